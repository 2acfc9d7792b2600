/// A strict RFC 8259 parser that keeps object member order and reports errors the way ARM's
/// deserializer words them ("… Path 'x', line 1, position 5.").
///
/// It runs in time linear in the body: where it is in the document is a stack of keys and indexes, and the
/// path text is written only for an error.
struct JSONParser {
    static let maximumDepth = 64

    /// The path to the value being read, one entry per open container: an array's entry is the index of
    /// the element being read (``betweenElements`` after it), an object's is ``keyStep(_:)`` of the member's
    /// key in `keys`. Plain integers, so that an array updates its entry in place for each element.
    private var steps: [Int] = []
    private var keys: [String] = []
    private static let betweenElements = -1
    private static func keyStep(_ keyIndex: Int) -> Int { -2 - keyIndex }

    /// How many elements each array holds, in the order the arrays open, counted by one linear scan before
    /// parsing, so that each array is allocated once at its size. Growing a 2-million-element array instead
    /// touched twice its final memory, and those page faults were a third of the parse. Only a capacity
    /// hint: the parser alone decides what is valid.
    private let arraySizes: [Int]
    private var arraysOpened = 0

    let bytes: [UInt8]
    var index = 0
    var depth = 0

    init(bytes: [UInt8]) {
        self.bytes = bytes
        self.arraySizes = Self.countArrayElements(in: bytes)
    }

    /// The element count of every array in `bytes`, in opening order: the commas at the array's own level,
    /// plus one when it holds anything. Stops past ``maximumDepth``, where the parser stops too.
    private static func countArrayElements(in bytes: [UInt8]) -> [Int] {
        var sizes: [Int] = []
        // The innermost open container in locals (its slot in `sizes`, none for an object or the top level;
        // the commas at its level; whether it holds anything), the ones around it on a stack.
        var slot: Int?
        var commas = 0
        var holdsValue = false
        var outer: [(slot: Int?, commas: Int, holdsValue: Bool)] = []
        var inString = false
        var escaped = false
        for byte in bytes {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch byte {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                continue
            case UInt8(ascii: ","):
                commas += 1
                continue
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                if let slot, holdsValue { sizes[slot] = commas + 1 }
                guard let enclosing = outer.popLast() else { return sizes }
                (slot, commas, holdsValue) = enclosing
                continue
            default:
                holdsValue = true
            }
            switch byte {
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                guard outer.count < Self.maximumDepth else { return sizes }
                outer.append((slot, commas, holdsValue))
                if byte == UInt8(ascii: "[") {
                    sizes.append(0)
                    slot = sizes.count - 1
                } else {
                    slot = nil
                }
                (commas, holdsValue) = (0, false)
            case UInt8(ascii: "\""):
                inString = true
            default:
                break
            }
        }
        return sizes
    }

    mutating func parseDocument() throws -> JSONValue {
        if self.bytes.starts(with: [0xEF, 0xBB, 0xBF]) { self.index = 3 }
        self.skipWhitespace()
        let value = try self.parseValue()
        self.skipWhitespace()
        guard self.index == self.bytes.count else {
            throw self.error("Additional text encountered after finished reading JSON content")
        }
        return value
    }

    /// The path of the value being read, as Newtonsoft.Json writes it: `properties.schema.tables[0]`.
    private var path: String {
        var text = ""
        for step in self.steps where step != Self.betweenElements {
            if step >= 0 {
                text += "[\(step)]"
            } else {
                let key = self.keys[Self.keyStep(step)]
                text += text.isEmpty ? key : ".\(key)"
            }
        }
        return text
    }

    private func error(_ reason: String) -> JSONParseError {
        let path = self.path
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
        while self.index < self.bytes.count {
            switch self.bytes[self.index] {
            case 0x20, 0x09, 0x0A, 0x0D: self.index += 1
            default: return
            }
        }
    }

    private mutating func parseValue() throws -> JSONValue {
        guard self.index < self.bytes.count else {
            throw self.error("Unexpected end when reading JSON")
        }
        switch self.bytes[self.index] {
        case UInt8(ascii: "{"): return try self.parseObject()
        case UInt8(ascii: "["): return try self.parseArray()
        case UInt8(ascii: "\""): return .string(try self.parseString())
        case UInt8(ascii: "t"): return try self.parseLiteral("true", .bool(true))
        case UInt8(ascii: "f"): return try self.parseLiteral("false", .bool(false))
        case UInt8(ascii: "n"): return try self.parseLiteral("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try self.parseNumber()
        default:
            let character = Character(Unicode.Scalar(self.bytes[self.index]))
            throw self.error("Unexpected character encountered while parsing value: \(character)")
        }
    }

    private mutating func enter() throws {
        self.depth += 1
        guard self.depth <= Self.maximumDepth else {
            throw self.error("The reader's MaxDepth of \(Self.maximumDepth) has been exceeded")
        }
    }

    private mutating func parseObject() throws -> JSONValue {
        try self.enter()
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
                throw self.error("Invalid property identifier character")
            }
            let key = try self.parseString()
            self.keys.append(key)
            self.steps.append(Self.keyStep(self.keys.count - 1))
            self.skipWhitespace()
            guard self.index < self.bytes.count, self.bytes[self.index] == UInt8(ascii: ":") else {
                throw self.error("Invalid character after parsing property name. Expected ':'")
            }
            self.index += 1
            self.skipWhitespace()
            object.set(key, try self.parseValue())
            self.skipWhitespace()
            guard self.index < self.bytes.count else {
                throw self.error("Unexpected end when reading JSON")
            }
            if self.bytes[self.index] == UInt8(ascii: ",") {
                self.index += 1
                self.steps.removeLast()
                self.keys.removeLast()
                continue
            }
            guard self.bytes[self.index] == UInt8(ascii: "}") else {
                throw self.error("After parsing a value an unexpected character was encountered")
            }
            self.steps.removeLast()
            self.keys.removeLast()
            self.index += 1
            self.depth -= 1
            return .object(object)
        }
    }

    private mutating func parseArray() throws -> JSONValue {
        try self.enter()
        self.index += 1
        var values: [JSONValue] = []
        if self.arraysOpened < self.arraySizes.count {
            values.reserveCapacity(self.arraySizes[self.arraysOpened])
        }
        self.arraysOpened += 1
        self.skipWhitespace()
        if self.index < self.bytes.count, self.bytes[self.index] == UInt8(ascii: "]") {
            self.index += 1
            self.depth -= 1
            return .array(values)
        }
        self.steps.append(Self.betweenElements)
        let step = self.steps.count - 1
        while true {
            self.skipWhitespace()
            self.steps[step] = values.count
            values.append(try self.parseValue())
            self.steps[step] = Self.betweenElements
            self.skipWhitespace()
            guard self.index < self.bytes.count else {
                throw self.error("Unexpected end when reading JSON")
            }
            if self.bytes[self.index] == UInt8(ascii: ",") {
                self.index += 1
                continue
            }
            guard self.bytes[self.index] == UInt8(ascii: "]") else {
                throw self.error("After parsing a value an unexpected character was encountered")
            }
            self.steps.removeLast()
            self.index += 1
            self.depth -= 1
            return .array(values)
        }
    }

    private mutating func parseLiteral(_ literal: StaticString, _ value: JSONValue) throws -> JSONValue {
        let count = literal.utf8CodeUnitCount
        let matches = literal.withUTF8Buffer { expected in
            self.bytes.count - self.index >= count && expected.indices.allSatisfy { self.bytes[self.index + $0] == expected[$0] }
        }
        guard matches else {
            throw self.error("Unexpected character encountered while parsing value")
        }
        self.index += count
        return value
    }

    private mutating func parseNumber() throws -> JSONValue {
        let start = self.index
        var isInteger = true
        let negative = self.bytes[self.index] == UInt8(ascii: "-")
        if negative { self.index += 1 }
        func digits() -> Int {
            let begin = self.index
            while self.index < self.bytes.count, self.bytes[self.index] &- UInt8(ascii: "0") < 10 {
                self.index += 1
            }
            return self.index - begin
        }
        // The integer digits, read once: up to 18 of them always fit in Int64.
        var magnitude: Int64 = 0
        let integerStart = self.index
        while self.index < self.bytes.count, case let digit = self.bytes[self.index] &- UInt8(ascii: "0"), digit < 10 {
            magnitude = magnitude &* 10 &+ Int64(digit)
            self.index += 1
        }
        let integerDigits = self.index - integerStart
        guard integerDigits > 0 else { throw self.error("Input string is not a valid number") }
        if integerDigits > 1, self.bytes[self.index - integerDigits] == UInt8(ascii: "0") {
            throw self.error("Input string is not a valid number")
        }
        if self.index < self.bytes.count, self.bytes[self.index] == UInt8(ascii: ".") {
            isInteger = false
            self.index += 1
            guard digits() > 0 else { throw self.error("Input string is not a valid number") }
        }
        if self.index < self.bytes.count, self.bytes[self.index] == UInt8(ascii: "e") || self.bytes[self.index] == UInt8(ascii: "E") {
            isInteger = false
            self.index += 1
            if self.index < self.bytes.count, self.bytes[self.index] == UInt8(ascii: "+") || self.bytes[self.index] == UInt8(ascii: "-") {
                self.index += 1
            }
            guard digits() > 0 else { throw self.error("Input string is not a valid number") }
        }
        if isInteger, integerDigits <= 18 { return .integer(negative ? -magnitude : magnitude) }
        if isInteger, let value = self.integer(start..<self.index) { return .integer(value) }
        let text = String(decoding: self.bytes[start..<self.index], as: UTF8.self)
        guard let value = Double(text), value.isFinite else {
            throw self.error("Input string '\(text)' is not a valid number")
        }
        return .double(value)
    }

    /// The integer the bytes in `range` spell (`-`? digits), read without making a string; `nil` past `Int64`.
    private func integer(_ range: Range<Int>) -> Int64? {
        var digits = range
        let negative = self.bytes[range.lowerBound] == UInt8(ascii: "-")
        if negative { digits = (range.lowerBound + 1)..<range.upperBound }
        var value: Int64 = 0
        for index in digits {
            let digit = Int64(self.bytes[index] &- UInt8(ascii: "0"))
            let (shifted, overflowA) = value.multipliedReportingOverflow(by: 10)
            let (next, overflowB) = negative ? shifted.subtractingReportingOverflow(digit) : shifted.addingReportingOverflow(digit)
            guard !overflowA, !overflowB else { return nil }
            value = next
        }
        return value
    }

    /// Reads a string. Runs of plain bytes are copied whole and escapes are appended as UTF-8, so the text
    /// is validated once at the end; a string without escapes is made straight from its bytes.
    private mutating func parseString() throws -> String {
        self.index += 1
        let start = self.index
        var unescaped: [UInt8] = []
        var runStart = start
        while self.index < self.bytes.count {
            let byte = self.bytes[self.index]
            switch byte {
            case UInt8(ascii: "\""):
                let end = self.index
                self.index += 1
                if runStart == start {
                    return try self.validated(self.bytes[start..<end])
                }
                unescaped.append(contentsOf: self.bytes[runStart..<end])
                return try self.validated(unescaped[...])
            case UInt8(ascii: "\\"):
                unescaped.append(contentsOf: self.bytes[runStart..<self.index])
                self.index += 1
                guard self.index < self.bytes.count else { break }
                let escape = self.bytes[self.index]
                self.index += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): unescaped.append(escape)
                case UInt8(ascii: "b"): unescaped.append(0x08)
                case UInt8(ascii: "f"): unescaped.append(0x0C)
                case UInt8(ascii: "n"): unescaped.append(0x0A)
                case UInt8(ascii: "r"): unescaped.append(0x0D)
                case UInt8(ascii: "t"): unescaped.append(0x09)
                case UInt8(ascii: "u"):
                    var code = try self.hex4()
                    if (0xD800..<0xDC00).contains(code) {
                        guard self.index + 1 < self.bytes.count, self.bytes[self.index] == UInt8(ascii: "\\"),
                            self.bytes[self.index + 1] == UInt8(ascii: "u")
                        else { throw self.error("Invalid Unicode surrogate pair") }
                        self.index += 2
                        let low = try self.hex4()
                        guard (0xDC00..<0xE000).contains(low) else {
                            throw self.error("Invalid Unicode surrogate pair")
                        }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let scalar = Unicode.Scalar(code) else {
                        throw self.error("Invalid Unicode escape")
                    }
                    unescaped.append(contentsOf: scalar.utf8)
                default:
                    throw self.error("Bad JSON escape sequence")
                }
                runStart = self.index
            case 0x00..<0x20:
                throw self.error("Unescaped control character in string")
            default:
                self.index += 1
            }
        }
        throw self.error("Unterminated string. Expected delimiter: \"")
    }

    /// The string `bytes` spell; escapes only ever add whole scalars, so checking the joined bytes once is
    /// the same as checking every run between them.
    private func validated(_ bytes: some Collection<UInt8>) throws -> String {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw self.error("Invalid UTF-8 in string")
        }
        return text
    }

    private mutating func hex4() throws -> UInt32 {
        guard self.index + 4 <= self.bytes.count,
            let value = UInt32(String(decoding: self.bytes[self.index..<(self.index + 4)], as: UTF8.self), radix: 16)
        else { throw self.error("Invalid Unicode escape") }
        self.index += 4
        return value
    }
}
