/// Ids the live service would have assigned (private endpoint names, identity principals, linked database
/// ids), derived from a text so that they stay the same across calls and restarts.
public enum StableID {
    /// A lowercase UUID-formatted string derived from `text` (ignoring case).
    public static func uuidString(_ text: String) -> String {
        // FNV-1a over the UTF-8 bytes, widened to 128 bits: deterministic across runs, unlike `Hasher`.
        var low: UInt64 = 0xcbf2_9ce4_8422_2325
        var high: UInt64 = 0x8422_2325_cbf2_9ce4
        for byte in text.lowercased().utf8 {
            low = (low ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
            high = (high ^ UInt64(byte) ^ (low >> 7)) &* 0x0000_0100_0000_01B3
        }
        let hex = Array(Self.hex(low) + Self.hex(high))
        return [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { String(hex[$0]) }.joined(separator: "-")
    }

    private static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
