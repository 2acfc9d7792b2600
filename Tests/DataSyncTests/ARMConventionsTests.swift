import ARMConventions
import Foundation
import Testing

@Suite struct UUIDTests {
    @Test("random ids are version 4, RFC 9562 variant, and distinct across many pool refills")
    func randomIDs() {
        var seen = Set<UUID>()
        for _ in 0..<3000 {
            let id = RandomUUID.make()
            #expect(id.uuid.6 >> 4 == 4)
            #expect(id.uuid.8 >> 6 == 0b10)
            seen.insert(id)
        }
        #expect(seen.count == 3000)
    }

    @Test("the canonical text form parses as Foundation parses it, in either case, and is written as Foundation writes it; anything else does not parse")
    func canonicalText() {
        for _ in 0..<100 {
            let id = UUID()
            #expect(UUID(canonical: id.uuidString) == id)
            #expect(UUID(canonical: id.uuidString.lowercased()) == id)
            #expect(id.lowercasedString == id.uuidString.lowercased())
        }
        let valid = "00000000-1111-2222-3333-44444444444a"
        #expect(UUID(canonical: valid) == UUID(uuidString: valid))
        for invalid in [
            "", "00000000-1111-2222-3333-44444444444", "00000000-1111-2222-3333-44444444444aa",
            "000000001-111-2222-3333-44444444444a", "00000000-1111-2222-3333-44444444444g",
            "{0000000-1111-2222-3333-44444444444a}", "00000000_1111_2222_3333_44444444444a",
            "0000000é-1111-2222-3333-44444444444a",
        ] {
            #expect(UUID(canonical: invalid) == nil, "\(invalid)")
        }
    }
}

@Suite struct QueryParameterTests {
    @Test("query keys match without case, decoded; values are decoded; the first occurrence wins", arguments: [
        ("api-version=2024-05-01-preview", "2024-05-01-preview"),
        ("x=1&API-Version=2", "2"),
        ("api%2Dversion=3", "3"),
        ("Api%2dVERSION=4&api-version=5", "4"),
        ("&&api-version=6&", "6"),
        ("api-version=a%2Bb+c", "a+b c"),
        ("api-version=", ""),
        ("api-version", ""),
        ("api-version=x=y", "x=y"),
    ])
    func found(query: String, value: String) {
        #expect(queryParameter("api-version", inQuery: query) == value)
    }

    @Test("absent keys, prefixes and suffixes of the key are not matches")
    func absent() {
        for query in ["", "api-versionx=1", "xapi-version=1", "api-versio=1", "api_version=1"] {
            #expect(queryParameter("api-version", inQuery: query) == nil, "\(query)")
        }
        #expect(queryParameter("api-version", inQuery: nil) == nil)
    }
}

@Suite struct JSONStringTests {
    /// Scalars that exercise every branch of string reading: plain ASCII, characters that must be escaped,
    /// two-, three- and four-byte UTF-8.
    static let alphabet: [Unicode.Scalar] = ["a", "Z", "0", " ", "\"", "\\", "/", "\u{08}", "\u{0C}", "\n", "\r", "\t",
                                             "\u{01}", "\u{1F}", "é", "ß", "€", "中", "\u{FFFD}", "😀", "𝄞"]

    /// Writes `text` as a JSON string, escaping each scalar in one of the ways JSON allows, chosen by `random`.
    static func encode(_ text: [Unicode.Scalar], using random: inout some RandomNumberGenerator) -> String {
        var out = "\""
        for scalar in text {
            let mustEscape = scalar == "\"" || scalar == "\\" || scalar.value < 0x20
            switch (mustEscape, Int.random(in: 0..<3, using: &random)) {
            case (_, 0):
                if scalar.value > 0xFFFF {
                    let value = scalar.value - 0x10000
                    out += String(format: "\\u%04X\\u%04x", 0xD800 + (value >> 10), 0xDC00 + (value & 0x3FF))
                } else {
                    out += String(format: "\\u%04x", scalar.value)
                }
            case (true, _):
                let short: [Unicode.Scalar: String] = ["\"": "\\\"", "\\": "\\\\", "\u{08}": "\\b", "\u{0C}": "\\f",
                                                       "\n": "\\n", "\r": "\\r", "\t": "\\t"]
                out += short[scalar] ?? String(format: "\\u%04x", scalar.value)
            case (false, 1) where scalar == "/":
                out += "\\/"
            default:
                out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    @Test("strings with any mix of plain runs and escapes read back as written, over a seeded corpus")
    func seededCorpus() throws {
        var random = SeededGenerator(seed: 0x5EED_0012)
        for _ in 0..<2000 {
            let text = (0..<Int.random(in: 0..<40, using: &random)).map { _ in Self.alphabet.randomElement(using: &random)! }
            let json = Self.encode(text, using: &random)
            let parsed = try JSONValue.parse(Data(json.utf8))
            var expected = String.UnicodeScalarView()
            expected.append(contentsOf: text)
            #expect(parsed == .string(String(expected)), "\(json)")
        }
    }

    @Test("invalid UTF-8, lone surrogates and bad escapes in a string are refused", arguments: [
        Array(#"["a"#.utf8) + [0xC3, 0x28] + Array(#""]"#.utf8),
        Array(#"[""#.utf8) + [0xE2, 0x82] + Array(#"\n"]"#.utf8),
        Array(#"["\ud800"]"#.utf8),
        Array(#"["\ud800\u0041"]"#.utf8),
        Array(#"["\x"]"#.utf8),
        Array(#"["\u12"]"#.utf8),
        Array(#"["abc"#.utf8),
    ])
    func refused(_ bytes: [UInt8]) {
        #expect(throws: JSONParseError.self) { try JSONValue.parse(bytes) }
    }
}

@Suite struct JSONDocumentTests {
    /// A random document of nested arrays and objects whose strings hold brackets, commas, quotes and
    /// backslashes (what the element count before parsing must step over), and integers near the ends of
    /// the fast path (18 digits) and of Int64. No booleans: Foundation on Linux reads them as numbers.
    static func document(depth: Int, using random: inout some RandomNumberGenerator) -> String {
        let leaves = ["0", "7", "-12", "999999999999999999", "-999999999999999999", "1000000000000000000",
                      "9223372036854775807", "-9223372036854775808", "9223372036854775808", "1.5", "-2.25e1",
                      "null", #""""#, #""a,b]""#, #""[{\"x\":1}]""#, #""\\""#, #"" \\\" ]""#]
        guard depth > 0, Int.random(in: 0..<3, using: &random) > 0 else { return leaves.randomElement(using: &random)! }
        let count = Int.random(in: 0..<5, using: &random)
        let children = (0..<count).map { _ in Self.document(depth: depth - 1, using: &random) }
        if Bool.random(using: &random) { return "[" + children.joined(separator: " , ") + "]" }
        return "{" + children.enumerated().map { "\"k\($0.offset)]\":\($0.element)" }.joined(separator: ",") + "}"
    }

    /// `value` rebuilt from what Foundation's parser read, in the same terms as ``JSONValue``.
    static func foundationValue(_ value: Any) -> JSONValue {
        switch value {
        case let array as [Any]: return .array(array.map(Self.foundationValue))
        case let object as [String: Any]: return .object(JSONObject(object.map { ($0.key, Self.foundationValue($0.value)) }.sorted { $0.0 < $1.0 }))
        case let string as String: return .string(string)
        case is NSNull: return .null
        case let number as NSNumber:
            if let exact = Int64(exactly: number), !"\(number)".contains(".") { return .integer(exact) }
            return .double(number.doubleValue)
        default: return .null
        }
    }

    static func sortedMembers(_ value: JSONValue) -> JSONValue {
        switch value {
        case .array(let values): return .array(values.map(Self.sortedMembers))
        case .object(let object): return .object(JSONObject(object.members.map { ($0.key, Self.sortedMembers($0.value)) }.sorted { $0.0 < $1.0 }))
        default: return value
        }
    }

    @Test("nested documents read as Foundation reads them, over a seeded corpus")
    func seededDocuments() throws {
        var random = SeededGenerator(seed: 0xA11A_0016)
        for _ in 0..<500 {
            let text = Self.document(depth: 5, using: &random)
            let ours = try JSONValue.parse(Data(text.utf8))
            let theirs = try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
            #expect(Self.sortedMembers(ours) == Self.sortedMembers(Self.foundationValue(theirs)), "\(text)")
        }
    }
}
