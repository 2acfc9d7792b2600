import Foundation

/// A validated name for a server, database, sync group, sync member or sync agent.
///
/// The live service accepts far more than its error text admits, so the emulator enforces only what keeps
/// names safe everywhere they travel (URLs, file paths, log lines): 1 to 128 characters, no control
/// characters, none of `/ \ ? # % & : * < >`, and not `.` or `..`.
public struct ResourceName: Hashable, Sendable, CustomStringConvertible {
    /// The name as the client first spelled it, in Unicode normal form C.
    public let value: String

    /// The case-insensitive identity ARM uses for lookups.
    public var key: String { self.value.lowercased() }

    public var description: String { self.value }

    static let maximumLength = 128
    static let forbiddenCharacters: Set<Character> = ["/", "\\", "?", "#", "%", "&", ":", "*", "<", ">"]

    /// Validates `value` as a name of `kind`.
    /// - Throws: ``DataSyncError`` with the kind's invalid-name code.
    public init(_ value: String, kind: ResourceKind) throws {
        let value = Self.composed(value)
        guard Self.isValid(value) else {
            throw DataSyncError.invalidName(kind: kind, name: value)
        }
        self.value = value
    }

    /// `name` in Unicode normal form C. Swift compares `café` composed and decomposed as equal, but SQLite
    /// and the file system compare bytes; a name is composed once, where it comes in, so all three agree.
    public static func composed(_ name: String) -> String {
        name.utf8.allSatisfy { $0 < 0x80 } ? name : name.precomposedStringWithCanonicalMapping
    }

    /// Whether `value` meets the rules, without throwing.
    public static func isValid(_ value: String) -> Bool {
        if let ascii = Self.isValidASCII(value) { return ascii }
        guard !value.isEmpty, value.count <= Self.maximumLength, value != ".", value != ".." else { return false }
        for scalar in value.unicodeScalars {
            if scalar.properties.generalCategory == .control { return false }
            if scalar.value == 0xFFFD { return false }
        }
        return !value.contains(where: { Self.forbiddenCharacters.contains($0) })
    }

    /// The same rules on the bytes of an ASCII name (every name in practice), without the grapheme and
    /// Unicode-property lookups the general check pays; `nil` when `value` is not ASCII.
    private static func isValidASCII(_ value: String) -> Bool? {
        let bytes = value.utf8
        guard bytes.allSatisfy({ $0 < 0x80 }) else { return nil }
        guard !bytes.isEmpty, bytes.count <= Self.maximumLength, value != ".", value != ".." else { return false }
        let (low, high) = Self.refusedBytes
        return !bytes.contains { byte in byte < 64 ? low >> byte & 1 == 1 : high >> (byte - 64) & 1 == 1 }
    }

    /// The ASCII bytes a name may not hold (controls, DEL and the forbidden characters) as bits of two words:
    /// a hash lookup per byte was a fiftieth of a GET's CPU (BENCHMARKS.md).
    private static let refusedBytes: (low: UInt64, high: UInt64) = {
        var bits: (low: UInt64, high: UInt64) = (0, 0)
        let refused = Array(0..<0x20) + [0x7F] + Self.forbiddenCharacters.compactMap(\.asciiValue)
        for byte in refused {
            if byte < 64 { bits.low |= 1 << byte } else { bits.high |= 1 << (byte - 64) }
        }
        return bits
    }()
}

/// The kinds of names that appear in Data Sync resource paths.
public enum ResourceKind: String, Sendable, Codable, CaseIterable {
    case subscription
    case resourceGroup
    case server
    case database
    case syncGroup
    case syncMember
    case syncAgent
    case location
}

/// Stored as a bare JSON string: a member's path holds six names, and a keyed container per name costs
/// every read (see BENCHMARKS.md). The keyed form `{"value": …}` of older state files still decodes.
extension ResourceName: Codable {
    private enum CodingKeys: String, CodingKey {
        case value
    }

    public init(from decoder: any Decoder) throws {
        if let value = try? decoder.singleValueContainer().decode(String.self) {
            self.value = value
        } else {
            self.value = try decoder.container(keyedBy: CodingKeys.self).decode(String.self, forKey: .value)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(self.value)
    }
}
