/// Ids the live service would have assigned (private endpoint names, identity principals, linked database
/// ids), derived from a text so that they stay the same across calls and restarts.
public enum StableID {
    /// A lowercase UUID-formatted string derived from `text` (ignoring case).
    public static func uuidString(_ text: String) -> String {
        // FNV-1a over the UTF-8 bytes, widened to 128 bits by a second lane that also mixes in the first.
        var low = FNV1a()
        var high = FNV1a(seed: 0x8422_2325_cbf2_9ce4)
        for byte in text.lowercased().utf8 {
            low.combine(UInt64(byte))
            high.combine(UInt64(byte) ^ (low.value >> 7))
        }
        let hex = Array(Self.hex(low.value) + Self.hex(high.value))
        return [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { String(hex[$0]) }.joined(separator: "-")
    }

    private static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}

/// FNV-1a, 64 bits: a hash that stays the same across runs and machines, unlike `Hasher`. Stable ids and
/// the digests that compare hub and member tables both use it.
public struct FNV1a: Sendable {
    public private(set) var value: UInt64

    public init(seed: UInt64 = 0xcbf2_9ce4_8422_2325) {
        self.value = seed
    }

    /// Folds `input` (a byte, or any 64-bit word) into the hash.
    public mutating func combine(_ input: UInt64) {
        self.value = (self.value ^ input) &* 0x0000_0100_0000_01B3
    }
}
