/// A fragment of HTML whose interpolated strings are escaped unless they are fragments themselves.
///
/// Every name on the dashboard comes from a client (resource names, table and column names, log text,
/// SQL error messages), so escaping is the default rather than something each page must remember:
/// `"<td>\(name)</td>"` is safe, and only `HTML` values go in unescaped.
struct HTML: Sendable, ExpressibleByStringInterpolation {
    /// The markup.
    private(set) var text: String

    init(stringLiteral value: String) {
        self.text = value
    }

    init(stringInterpolation: Interpolation) {
        self.text = stringInterpolation.text
    }

    /// Builds the escaping interpolation.
    struct Interpolation: StringInterpolationProtocol {
        var text = ""

        init(literalCapacity: Int, interpolationCount: Int) {
            self.text.reserveCapacity(literalCapacity + interpolationCount * 16)
        }

        mutating func appendLiteral(_ literal: String) {
            self.text += literal
        }

        /// Text, escaped for element content and quoted attribute values alike.
        mutating func appendInterpolation(_ value: String) {
            self.text += HTML.escape(value)
        }

        mutating func appendInterpolation(_ value: Int) {
            self.text += String(value)
        }

        mutating func appendInterpolation(_ fragment: HTML) {
            self.text += fragment.text
        }

        mutating func appendInterpolation(_ fragments: [HTML]) {
            for fragment in fragments { self.text += fragment.text }
        }
    }

    /// `value` with `& < > " '` replaced by character references.
    static func escape(_ value: String) -> String {
        var result = ""
        result.reserveCapacity(value.utf8.count)
        for character in value {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            default: result.append(character)
            }
        }
        return result
    }
}
