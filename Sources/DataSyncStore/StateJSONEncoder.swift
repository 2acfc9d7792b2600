import Foundation

/// Encodes state rows to JSON by writing bytes as `Encodable` walks the value, with no tree in between.
///
/// Foundation's `JSONEncoder` builds a tree of objects and dictionaries and then serialises it: for a member
/// PUT that was a quarter of the serialised writer's CPU (the member and its operation record, BENCHMARKS.md,
/// second round). This writes the same JSON: the same keys and values (in declaration order, where
/// `JSONEncoder` on Linux takes a per-process hash order), numbers and strings spelled as `JSONEncoder`
/// spells them, slashes unescaped, `encodeIfPresent(nil)` left out. Whatever it does not handle in the
/// same way (`Data`, `URL` and `Decimal`, which `JSONEncoder` special-cases; super encoders; a value that
/// encodes nothing; a container used out of order) makes ``encode(_:)`` throw ``Unsupported``, and
/// ``stateJSON(_:)`` falls back to `JSONEncoder`. `StateJSONEncoderTests` holds it to `JSONEncoder`'s
/// output and decoding.
final class StateJSONEncoder {
    /// A value or a use of the containers this encoder does not write the way `JSONEncoder` does.
    struct Unsupported: Error {}

    /// The encoding's state, behind a pointer: a class's stored properties pay a dynamic exclusivity check on
    /// every access, which was most of this encoder's time when they held the state.
    private let state: UnsafeMutablePointer<State>

    private struct State {
        var bytes: [UInt8] = []
        /// Open containers, outermost first.
        var open: [OpenContainer] = []
        /// Where the container of the value being encoded goes in `open`.
        var valueDepth = 0
        /// Whether the value being encoded has written anything yet.
        var valueStarted = false
        /// Set by a use that cannot throw where it happens (a second kind of container, a super encoder).
        var failed = false
        var nextSerial = 0
    }

    private init() {
        self.state = .allocate(capacity: 1)
        self.state.initialize(to: State())
        self.state.pointee.bytes.reserveCapacity(1024)
    }

    deinit {
        self.state.deinitialize(count: 1)
        self.state.deallocate()
    }

    private struct OpenContainer {
        let isObject: Bool
        let serial: Int
        var count = 0
    }

    /// `value` as JSON.
    /// - Throws: ``Unsupported``, or what `value`'s own encoding throws.
    static func encode(_ value: some Encodable) throws -> Data {
        let encoder = StateJSONEncoder()
        try encoder.encodeValue(value)
        guard !encoder.state.pointee.failed, encoder.state.pointee.open.isEmpty else { throw Unsupported() }
        return Data(encoder.state.pointee.bytes)
    }

    // MARK: Values

    fileprivate func encodeValue<T: Encodable>(_ value: T) throws {
        if T.self == String.self {
            self.write(string: value as! String)
            return
        }
        if T.self == Data.self || T.self == URL.self || T.self == Decimal.self { throw Unsupported() }
        let (outerDepth, outerStarted) = (self.state.pointee.valueDepth, self.state.pointee.valueStarted)
        self.state.pointee.valueDepth = self.state.pointee.open.count
        self.state.pointee.valueStarted = false
        try value.encode(to: self)
        guard self.state.pointee.valueStarted, !self.state.pointee.failed else { throw Unsupported() }
        self.close(downTo: self.state.pointee.valueDepth)
        (self.state.pointee.valueDepth, self.state.pointee.valueStarted) = (outerDepth, outerStarted)
    }

    /// Starts the single value of the value being encoded.
    fileprivate func beginSingleValue() throws {
        guard !self.state.pointee.valueStarted, self.state.pointee.open.count == self.state.pointee.valueDepth else { throw Unsupported() }
        self.state.pointee.valueStarted = true
    }

    /// Opens a container as the next element of the container at `depth`; a use out of order fails the
    /// encoding (the protocol gives this no way to throw).
    fileprivate func openNested(in depth: Int, serial: Int, key: String?, isObject: Bool) -> Int {
        do {
            try self.beginElement(depth: depth, serial: serial, key: key)
        } catch {
            self.state.pointee.failed = true
            return -1
        }
        return self.openContainer(isObject: isObject)
    }

    private func openContainer(isObject: Bool) -> Int {
        self.state.pointee.bytes.append(isObject ? UInt8(ascii: "{") : UInt8(ascii: "["))
        self.state.pointee.nextSerial += 1
        self.state.pointee.open.append(OpenContainer(isObject: isObject, serial: self.state.pointee.nextSerial))
        return self.state.pointee.nextSerial
    }

    /// The value's own container: opened on first request; the same one on a later request of the same kind.
    fileprivate func container(isObject: Bool) -> (depth: Int, serial: Int) {
        if self.state.pointee.valueStarted {
            guard self.state.pointee.open.count > self.state.pointee.valueDepth, self.state.pointee.open[self.state.pointee.valueDepth].isObject == isObject else {
                self.state.pointee.failed = true
                return (self.state.pointee.valueDepth, -1)
            }
            return (self.state.pointee.valueDepth, self.state.pointee.open[self.state.pointee.valueDepth].serial)
        }
        self.state.pointee.valueStarted = true
        return (self.state.pointee.open.count, self.openContainer(isObject: isObject))
    }

    /// Closes the containers from `depth` on.
    private func close(downTo depth: Int) {
        while self.state.pointee.open.count > depth {
            self.state.pointee.bytes.append(self.state.pointee.open.removeLast().isObject ? UInt8(ascii: "}") : UInt8(ascii: "]"))
        }
    }

    /// Gets the container at `depth` ready for its next element: closes any container nested in it, then
    /// writes the separator and, in an object, the key.
    fileprivate func beginElement(depth: Int, serial: Int, key: String?) throws {
        guard depth < self.state.pointee.open.count, self.state.pointee.open[depth].serial == serial, !self.state.pointee.failed else { throw Unsupported() }
        self.close(downTo: depth + 1)
        if self.state.pointee.open[depth].count > 0 { self.state.pointee.bytes.append(UInt8(ascii: ",")) }
        self.state.pointee.open[depth].count += 1
        if let key {
            self.write(string: key)
            self.state.pointee.bytes.append(UInt8(ascii: ":"))
        }
    }

    fileprivate func count(depth: Int) -> Int {
        depth < self.state.pointee.open.count ? self.state.pointee.open[depth].count : 0
    }

    fileprivate func superEncoderRequested() -> any Encoder {
        self.state.pointee.failed = true
        return self
    }

    // MARK: Scalars, spelled as JSONEncoder spells them

    fileprivate func write(literal: StaticString) {
        literal.withUTF8Buffer { self.state.pointee.bytes.append(contentsOf: $0) }
    }

    fileprivate func write(bool: Bool) {
        self.write(literal: bool ? "true" : "false")
    }

    fileprivate func write(integer: some FixedWidthInteger) {
        self.state.pointee.bytes.append(contentsOf: String(integer).utf8)
    }

    /// `description`, without a trailing `.0`; NaN and infinities are refused (as `JSONEncoder` refuses them).
    fileprivate func write(float: some BinaryFloatingPoint & CustomStringConvertible) throws {
        guard float.isFinite else { throw Unsupported() }
        var text = float.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        self.state.pointee.bytes.append(contentsOf: text.utf8)
    }

    fileprivate func write(string: String) {
        let utf8 = string.utf8
        self.state.pointee.bytes.append(UInt8(ascii: "\""))
        let needsEscaping = { (byte: UInt8) in byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") }
        if utf8.withContiguousStorageIfAvailable({ $0.contains(where: needsEscaping) }) ?? utf8.contains(where: needsEscaping) {
            for byte in utf8 {
                switch byte {
                case UInt8(ascii: "\""): self.write(literal: "\\\"")
                case UInt8(ascii: "\\"): self.write(literal: "\\\\")
                case 0x08: self.write(literal: "\\b")
                case 0x0C: self.write(literal: "\\f")
                case UInt8(ascii: "\n"): self.write(literal: "\\n")
                case UInt8(ascii: "\r"): self.write(literal: "\\r")
                case UInt8(ascii: "\t"): self.write(literal: "\\t")
                case 0..<0x20:
                    self.write(literal: "\\u00")
                    self.state.pointee.bytes.append(Self.hexDigits[Int(byte >> 4)])
                    self.state.pointee.bytes.append(Self.hexDigits[Int(byte & 0xF)])
                default: self.state.pointee.bytes.append(byte)
                }
            }
        } else {
            self.state.pointee.bytes.append(contentsOf: utf8)
        }
        self.state.pointee.bytes.append(UInt8(ascii: "\""))
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)
}

extension StateJSONEncoder: Encoder {
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        let (depth, serial) = self.container(isObject: true)
        return KeyedEncodingContainer(KeyedContainer<Key>(encoder: self, depth: depth, serial: serial))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        let (depth, serial) = self.container(isObject: false)
        return UnkeyedContainer(encoder: self, depth: depth, serial: serial)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        SingleValueContainer(encoder: self)
    }
}

/// An object being written: each element closes what was nested in the one before.
private struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let encoder: StateJSONEncoder
    let depth: Int
    let serial: Int
    var codingPath: [any CodingKey] { [] }

    private func begin(_ key: Key) throws {
        try self.encoder.beginElement(depth: self.depth, serial: self.serial, key: key.stringValue)
    }

    mutating func encodeNil(forKey key: Key) throws {
        try self.begin(key)
        self.encoder.write(literal: "null")
    }

    mutating func encode(_ value: Bool, forKey key: Key) throws {
        try self.begin(key)
        self.encoder.write(bool: value)
    }

    mutating func encode(_ value: String, forKey key: Key) throws {
        try self.begin(key)
        self.encoder.write(string: value)
    }

    mutating func encode(_ value: Double, forKey key: Key) throws {
        try self.begin(key)
        try self.encoder.write(float: value)
    }

    mutating func encode(_ value: Float, forKey key: Key) throws {
        try self.begin(key)
        try self.encoder.write(float: value)
    }

    mutating func encode(_ value: Int, forKey key: Key) throws {
        try self.begin(key)
        self.encoder.write(integer: value)
    }

    mutating func encode(_ value: Int8, forKey key: Key) throws {
        try self.begin(key)
        self.encoder.write(integer: value)
    }

    mutating func encode(_ value: Int16, forKey key: Key) throws {
        try self.begin(key)
        self.encoder.write(integer: value)
    }

    mutating func encode(_ value: Int32, forKey key: Key) throws {
        try self.begin(key)
        self.encoder.write(integer: value)
    }

    mutating func encode(_ value: Int64, forKey key: Key) throws {
        try self.begin(key)
        self.encoder.write(integer: value)
    }

    mutating func encode(_ value: UInt, forKey key: Key) throws {
        try self.begin(key)
        self.encoder.write(integer: value)
    }

    mutating func encode(_ value: UInt8, forKey key: Key) throws {
        try self.begin(key)
        self.encoder.write(integer: value)
    }

    mutating func encode(_ value: UInt16, forKey key: Key) throws {
        try self.begin(key)
        self.encoder.write(integer: value)
    }

    mutating func encode(_ value: UInt32, forKey key: Key) throws {
        try self.begin(key)
        self.encoder.write(integer: value)
    }

    mutating func encode(_ value: UInt64, forKey key: Key) throws {
        try self.begin(key)
        self.encoder.write(integer: value)
    }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        try self.begin(key)
        try self.encoder.encodeValue(value)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type,
        forKey key: Key
    ) -> KeyedEncodingContainer<NestedKey> {
        let serial = self.encoder.openNested(in: self.depth, serial: self.serial, key: key.stringValue, isObject: true)
        return KeyedEncodingContainer(KeyedContainer<NestedKey>(encoder: self.encoder, depth: self.depth + 1, serial: serial))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let serial = self.encoder.openNested(in: self.depth, serial: self.serial, key: key.stringValue, isObject: false)
        return UnkeyedContainer(encoder: self.encoder, depth: self.depth + 1, serial: serial)
    }

    mutating func superEncoder() -> any Encoder { self.encoder.superEncoderRequested() }

    mutating func superEncoder(forKey key: Key) -> any Encoder { self.encoder.superEncoderRequested() }
}

/// An array being written.
private struct UnkeyedContainer: UnkeyedEncodingContainer {
    let encoder: StateJSONEncoder
    let depth: Int
    let serial: Int
    var codingPath: [any CodingKey] { [] }
    var count: Int { self.encoder.count(depth: self.depth) }

    private func begin() throws {
        try self.encoder.beginElement(depth: self.depth, serial: self.serial, key: nil)
    }

    mutating func encodeNil() throws {
        try self.begin()
        self.encoder.write(literal: "null")
    }

    mutating func encode(_ value: Bool) throws {
        try self.begin()
        self.encoder.write(bool: value)
    }

    mutating func encode(_ value: String) throws {
        try self.begin()
        self.encoder.write(string: value)
    }

    mutating func encode(_ value: Double) throws {
        try self.begin()
        try self.encoder.write(float: value)
    }

    mutating func encode(_ value: Float) throws {
        try self.begin()
        try self.encoder.write(float: value)
    }

    mutating func encode(_ value: Int) throws {
        try self.begin()
        self.encoder.write(integer: value)
    }

    mutating func encode(_ value: Int8) throws {
        try self.begin()
        self.encoder.write(integer: value)
    }

    mutating func encode(_ value: Int16) throws {
        try self.begin()
        self.encoder.write(integer: value)
    }

    mutating func encode(_ value: Int32) throws {
        try self.begin()
        self.encoder.write(integer: value)
    }

    mutating func encode(_ value: Int64) throws {
        try self.begin()
        self.encoder.write(integer: value)
    }

    mutating func encode(_ value: UInt) throws {
        try self.begin()
        self.encoder.write(integer: value)
    }

    mutating func encode(_ value: UInt8) throws {
        try self.begin()
        self.encoder.write(integer: value)
    }

    mutating func encode(_ value: UInt16) throws {
        try self.begin()
        self.encoder.write(integer: value)
    }

    mutating func encode(_ value: UInt32) throws {
        try self.begin()
        self.encoder.write(integer: value)
    }

    mutating func encode(_ value: UInt64) throws {
        try self.begin()
        self.encoder.write(integer: value)
    }

    mutating func encode<T: Encodable>(_ value: T) throws {
        try self.begin()
        try self.encoder.encodeValue(value)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let serial = self.encoder.openNested(in: self.depth, serial: self.serial, key: nil, isObject: true)
        return KeyedEncodingContainer(KeyedContainer<NestedKey>(encoder: self.encoder, depth: self.depth + 1, serial: serial))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let serial = self.encoder.openNested(in: self.depth, serial: self.serial, key: nil, isObject: false)
        return UnkeyedContainer(encoder: self.encoder, depth: self.depth + 1, serial: serial)
    }

    mutating func superEncoder() -> any Encoder { self.encoder.superEncoderRequested() }
}

/// The value itself, written in place.
private struct SingleValueContainer: SingleValueEncodingContainer {
    let encoder: StateJSONEncoder
    var codingPath: [any CodingKey] { [] }

    mutating func encodeNil() throws {
        try self.encoder.beginSingleValue()
        self.encoder.write(literal: "null")
    }

    mutating func encode(_ value: Bool) throws {
        try self.encoder.beginSingleValue()
        self.encoder.write(bool: value)
    }

    mutating func encode(_ value: String) throws {
        try self.encoder.beginSingleValue()
        self.encoder.write(string: value)
    }

    mutating func encode(_ value: Double) throws {
        try self.encoder.beginSingleValue()
        try self.encoder.write(float: value)
    }

    mutating func encode(_ value: Float) throws {
        try self.encoder.beginSingleValue()
        try self.encoder.write(float: value)
    }

    mutating func encode(_ value: Int) throws {
        try self.encoder.beginSingleValue()
        self.encoder.write(integer: value)
    }

    mutating func encode(_ value: Int8) throws {
        try self.encoder.beginSingleValue()
        self.encoder.write(integer: value)
    }

    mutating func encode(_ value: Int16) throws {
        try self.encoder.beginSingleValue()
        self.encoder.write(integer: value)
    }

    mutating func encode(_ value: Int32) throws {
        try self.encoder.beginSingleValue()
        self.encoder.write(integer: value)
    }

    mutating func encode(_ value: Int64) throws {
        try self.encoder.beginSingleValue()
        self.encoder.write(integer: value)
    }

    mutating func encode(_ value: UInt) throws {
        try self.encoder.beginSingleValue()
        self.encoder.write(integer: value)
    }

    mutating func encode(_ value: UInt8) throws {
        try self.encoder.beginSingleValue()
        self.encoder.write(integer: value)
    }

    mutating func encode(_ value: UInt16) throws {
        try self.encoder.beginSingleValue()
        self.encoder.write(integer: value)
    }

    mutating func encode(_ value: UInt32) throws {
        try self.encoder.beginSingleValue()
        self.encoder.write(integer: value)
    }

    mutating func encode(_ value: UInt64) throws {
        try self.encoder.beginSingleValue()
        self.encoder.write(integer: value)
    }

    mutating func encode<T: Encodable>(_ value: T) throws {
        try self.encoder.beginSingleValue()
        try self.encoder.encodeValue(value)
    }
}
