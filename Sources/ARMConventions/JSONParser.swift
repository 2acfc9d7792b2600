/// A strict RFC 8259 parser that keeps object member order and reports errors the way ARM's
/// deserializer words them ("… Path 'x', line 1, position 5.").
struct JSONParser {
    static let maximumDepth = 64

    let bytes: [UInt8]
    var index = 0
    var depth = 0

    init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    mutating func parseDocument() throws -> JSONValue {
        if self.bytes.starts(with: [0xEF, 0xBB, 0xBF]) { self.index = 3 }
        self.skipWhitespace()
        let value = try self.parseValue(path: "")
        self.skipWhitespace()
        guard self.index == self.bytes.count else {
            throw self.error("Additional text encountered after finished reading JSON content", path: "")
        }
        return value
    }

    private func error(_ reason: String, path: String) -> JSONParseError {
        var line = 1
        var position = 0
        for byte in self.bytes[..<min(self.index, self.bytes.count)] {
            if byte == 0x0A {
                line += 1
                position = 0
            } else {
                position += 1
            }
        }
        return JSONParseError(reason: "\(reason). Path '\(path)', line \(line), position \(position).")
    }

    private mutating func skipWhitespace() {
        while self.index < self.bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(self.bytes[self.index]) {
            self.index += 1
        }
    }

    private mutating func parseValue(path: String) throws -> JSONValue {
        guard self.index < self.bytes.count else {
            throw self.error("Unexpected end when reading JSON", path: path)
        }
        switch self.bytes[self.index] {
        case UInt8(ascii: "{"): return try self.parseObject(path: path)
        case UInt8(ascii: "["): return try self.parseArray(path: path)
        case UInt8(ascii: "\""): return .string(try self.parseString(path: path))
        case UInt8(ascii: "t"): return try self.parseLiteral("true", .bool(true), path: path)
        case UInt8(ascii: "f"): return try self.parseLiteral("false", .bool(false), path: path)
        case UInt8(ascii: "n"): return try self.parseLiteral("null", .null, path: path)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try self.parseNumber(path: path)
        default:
            let character = Character(Unicode.Scalar(self.bytes[self.index]))
            throw self.error("Unexpected character encountered while parsing value: \(character)", path: path)
        }
    }

    private mutating func enter(path: String) throws {
        self.depth += 1
        guard self.depth <= Self.maximumDepth else {
            throw self.error("The reader's MaxDepth of \(Self.maximumDepth) has been exceeded", path: path)
        }
    }

    private mutating func parseObject(path: String) throws -> JSONValue {
        try self.enter(path: path)
        self.index += 1
        var object = JSONObject()
        self.skipWhitespace()
        if self.index < self.bytes.count, self.bytes[self.index] == UInt8(ascii: "}") {
            self.index += 1
            self.depth -= 1
            return .object(object)
        }
        while true {
            self.skipWhitespace()
            guard self.index < self.bytes.count, self.bytes[self.index] == UInt8(ascii: "\"") else {
                throw self.error("Invalid property identifier character", path: path)
            }
            let key = try self.parseString(path: path)
            let memberPath = path.isEmpty ? key : "\(path).\(key)"
            self.skipWhitespace()
            guard self.index < self.bytes.count, self.bytes[self.index] == UInt8(ascii: ":") else {
                throw self.error("Invalid character after parsing property name. Expected ':'", path: memberPath)
            }
            self.index += 1
            self.skipWhitespace()
            object.set(key, try self.parseValue(path: memberPath))
            self.skipWhitespace()
            guard self.index < self.bytes.count else {
                throw self.error("Unexpected end when reading JSON", path: memberPath)
            }
            if self.bytes[self.index] == UInt8(ascii: ",") {
                self.index += 1
                continue
            }
            guard self.bytes[self.index] == UInt8(ascii: "}") else {
                throw self.error("After parsing a value an unexpected character was encountered", path: memberPath)
            }
            self.index += 1
            self.depth -= 1
            return .object(object)
        }
    }

    private mutating func parseArray(path: String) throws -> JSONValue {
        try self.enter(path: path)
        self.index += 1
        var values: [JSONValue] = []
        self.skipWhitespace()
        if self.index < self.bytes.count, self.bytes[self.index] == UInt8(ascii: "]") {
            self.index += 1
            self.depth -= 1
            return .array(values)
        }
        while true {
            self.skipWhitespace()
            values.append(try self.parseValue(path: "\(path)[\(values.count)]"))
            self.skipWhitespace()
            guard self.index < self.bytes.count else {
                throw self.error("Unexpected end when reading JSON", path: path)
            }
            if self.bytes[self.index] == UInt8(ascii: ",") {
                self.index += 1
                continue
            }
            guard self.bytes[self.index] == UInt8(ascii: "]") else {
                throw self.error("After parsing a value an unexpected character was encountered", path: path)
            }
            self.index += 1
            self.depth -= 1
            return .array(values)
        }
    }

    private mutating func parseLiteral(_ literal: String, _ value: JSONValue, path: String) throws -> JSONValue {
        let expected = Array(literal.utf8)
        guard self.bytes.count - self.index >= expected.count,
            Array(self.bytes[self.index..<(self.index + expected.count)]) == expected
        else {
            throw self.error("Unexpected character encountered while parsing value", path: path)
        }
        self.index += expected.count
        return value
    }

    private mutating func parseNumber(path: String) throws -> JSONValue {
        let start = self.index
        var isInteger = true
        if self.bytes[self.index] == UInt8(ascii: "-") { self.index += 1 }
        func digits() -> Int {
            let begin = self.index
            while self.index < self.bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self.bytes[self.index]) {
                self.index += 1
            }
            return self.index - begin
        }
        let integerDigits = digits()
        guard integerDigits > 0 else { throw self.error("Input string is not a valid number", path: path) }
        if integerDigits > 1, self.bytes[self.index - integerDigits] == UInt8(ascii: "0") {
            throw self.error("Input string is not a valid number", path: path)
        }
        if self.index < self.bytes.count, self.bytes[self.index] == UInt8(ascii: ".") {
            isInteger = false
            self.index += 1
            guard digits() > 0 else { throw self.error("Input string is not a valid number", path: path) }
        }
        if self.index < self.bytes.count, self.bytes[self.index] == UInt8(ascii: "e") || self.bytes[self.index] == UInt8(ascii: "E") {
            isInteger = false
            self.index += 1
            if self.index < self.bytes.count, self.bytes[self.index] == UInt8(ascii: "+") || self.bytes[self.index] == UInt8(ascii: "-") {
                self.index += 1
            }
            guard digits() > 0 else { throw self.error("Input string is not a valid number", path: path) }
        }
        let text = String(decoding: self.bytes[start..<self.index], as: UTF8.self)
        if isInteger, let value = Int64(text) { return .integer(value) }
        guard let value = Double(text), value.isFinite else {
            throw self.error("Input string '\(text)' is not a valid number", path: path)
        }
        return .double(value)
    }

    private mutating func parseString(path: String) throws -> String {
        self.index += 1
        var scalars = String.UnicodeScalarView()
        var chunkStart = self.index
        func flush(_ parser: JSONParser, upTo end: Int) throws {
            guard chunkStart < end else { return }
            guard let text = String(validating: parser.bytes[chunkStart..<end], as: UTF8.self) else {
                throw parser.error("Invalid UTF-8 in string", path: path)
            }
            scalars.append(contentsOf: text.unicodeScalars)
        }
        while self.index < self.bytes.count {
            let byte = self.bytes[self.index]
            switch byte {
            case UInt8(ascii: "\""):
                try flush(self, upTo: self.index)
                self.index += 1
                return String(scalars)
            case UInt8(ascii: "\\"):
                try flush(self, upTo: self.index)
                self.index += 1
                guard self.index < self.bytes.count else { break }
                let escape = self.bytes[self.index]
                self.index += 1
                switch escape {
                case UInt8(ascii: "\""): scalars.append("\"")
                case UInt8(ascii: "\\"): scalars.append("\\")
                case UInt8(ascii: "/"): scalars.append("/")
                case UInt8(ascii: "b"): scalars.append("\u{08}")
                case UInt8(ascii: "f"): scalars.append("\u{0C}")
                case UInt8(ascii: "n"): scalars.append("\n")
                case UInt8(ascii: "r"): scalars.append("\r")
                case UInt8(ascii: "t"): scalars.append("\t")
                case UInt8(ascii: "u"):
                    var code = try self.hex4(path: path)
                    if (0xD800..<0xDC00).contains(code) {
                        guard self.index + 1 < self.bytes.count, self.bytes[self.index] == UInt8(ascii: "\\"),
                            self.bytes[self.index + 1] == UInt8(ascii: "u")
                        else { throw self.error("Invalid Unicode surrogate pair", path: path) }
                        self.index += 2
                        let low = try self.hex4(path: path)
                        guard (0xDC00..<0xE000).contains(low) else {
                            throw self.error("Invalid Unicode surrogate pair", path: path)
                        }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let scalar = Unicode.Scalar(code) else {
                        throw self.error("Invalid Unicode escape", path: path)
                    }
                    scalars.append(scalar)
                default:
                    throw self.error("Bad JSON escape sequence", path: path)
                }
                chunkStart = self.index
            case 0x00..<0x20:
                throw self.error("Unescaped control character in string", path: path)
            default:
                self.index += 1
            }
        }
        throw self.error("Unterminated string. Expected delimiter: \"", path: path)
    }

    private mutating func hex4(path: String) throws -> UInt32 {
        guard self.index + 4 <= self.bytes.count,
            let value = UInt32(String(decoding: self.bytes[self.index..<(self.index + 4)], as: UTF8.self), radix: 16)
        else { throw self.error("Invalid Unicode escape", path: path) }
        self.index += 4
        return value
    }
}
