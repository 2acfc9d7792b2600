import Foundation
import Hummingbird

/// A JSON value that keeps object keys in insertion order, so responses read like the live service's.
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case integer(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    /// Parses `data` as one JSON document, keeping member order; with duplicate keys the last one wins on lookup.
    /// - Throws: ``JSONParseError`` with a Newtonsoft-style reason (and position) when it is not valid JSON,
    ///   or nests deeper than 64 levels.
    public static func parse(_ data: Data) throws -> JSONValue {
        try self.parse(Array(data))
    }

    /// Parses `bytes` as one JSON document; see ``parse(_:)-(Data)``.
    public static func parse(_ bytes: [UInt8]) throws -> JSONValue {
        var parser = JSONParser(bytes: bytes)
        return try parser.parseDocument()
    }

    /// The compact UTF-8 encoding.
    public var data: Data { Data(self.serializedBytes()) }

    /// The compact text encoding.
    public func serialized() -> String {
        String(decoding: self.serializedBytes(), as: UTF8.self)
    }

    /// The compact encoding in a buffer, ready to be a response body.
    public func serializedBuffer() -> ByteBuffer {
        ByteBuffer(bytes: self.serializedBytes())
    }

    /// Writes UTF-8 bytes straight into an array: appending one Unicode scalar at a time to a `String` cost
    /// as much as building the value.
    private func serializedBytes() -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(512)
        self.write(to: &output)
        return output
    }

    private func write(to output: inout [UInt8]) {
        switch self {
        case .null: output.append(contentsOf: "null".utf8)
        case .bool(let value): output.append(contentsOf: (value ? "true" : "false").utf8)
        case .integer(let value): output.append(contentsOf: String(value).utf8)
        case .double(let value):
            output.append(contentsOf: (value.isFinite ? String(value) : "null").utf8)
        case .string(let value): Self.writeString(value, to: &output)
        case .array(let values):
            output.append(UInt8(ascii: "["))
            for (index, value) in values.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                value.write(to: &output)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let object):
            output.append(UInt8(ascii: "{"))
            for (index, member) in object.members.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                Self.writeString(member.key, to: &output)
                output.append(UInt8(ascii: ":"))
                member.value.write(to: &output)
            }
            output.append(UInt8(ascii: "}"))
        }
    }

    /// A JSON string literal. Bytes of multi-byte UTF-8 sequences are all 0x80 or above, so they pass through;
    /// a string with nothing to escape (nearly all) is copied whole.
    private static func writeString(_ value: String, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        defer { output.append(UInt8(ascii: "\"")) }
        // Native strings are contiguous UTF-8: scanning and copying the buffer is several times faster than
        // iterating the UTF-8 view, which was a tenth of a list GET (BENCHMARKS.md).
        let clean = value.utf8.withContiguousStorageIfAvailable { !$0.contains(where: Self.needsEscape) }
            ?? !value.utf8.contains(where: Self.needsEscape)
        guard !clean else {
            output.append(contentsOf: value.utf8)
            return
        }
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case UInt8(ascii: "\n"): output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case UInt8(ascii: "\r"): output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case UInt8(ascii: "\t"): output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case ..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                output.append(contentsOf: "\\u00".utf8)
                output.append(hex[Int(byte >> 4)])
                output.append(hex[Int(byte & 0xF)])
            default: output.append(byte)
            }
        }
    }

    private static func needsEscape(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
    }

    /// The object's members, or `nil` for any other value.
    public var objectValue: JSONObject? {
        if case .object(let object) = self { return object }
        return nil
    }

    /// A name for the value's JSON type, for error messages.
    public var typeName: String {
        switch self {
        case .null: "Null"
        case .bool: "Boolean"
        case .integer: "Integer"
        case .double: "Float"
        case .string: "String"
        case .array: "Array"
        case .object: "Object"
        }
    }
}

/// A JSON object whose members keep their order. Lookups ignore case, as ARM's deserializer does.
public struct JSONObject: Sendable, Equatable, ExpressibleByDictionaryLiteral {
    public private(set) var members: [(key: String, value: JSONValue)]

    public init(_ members: [(key: String, value: JSONValue)] = []) {
        self.members = members
    }

    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self.members = elements.map { (key: $0.0, value: $0.1) }
    }

    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        lhs.members.count == rhs.members.count
            && zip(lhs.members, rhs.members).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    }

    /// The value of `key`; with several members of that name, the last one, as Newtonsoft.Json reads it.
    public subscript(key: String) -> JSONValue? {
        let lowered = key.lowercased()
        return self.members.last(where: { $0.key.lowercased() == lowered })?.value
    }

    /// Appends a member, or skips it when `value` is `nil`.
    public mutating func set(_ key: String, _ value: JSONValue?) {
        guard let value else { return }
        self.members.append((key: key, value: value))
    }

    public var isEmpty: Bool { self.members.isEmpty }
}

/// Why a body is not JSON.
public struct JSONParseError: Error, Sendable {
    public let reason: String

    public init(reason: String) {
        self.reason = reason
    }
}


extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .integer(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(nilLiteral: ()) { self = .null }
}
