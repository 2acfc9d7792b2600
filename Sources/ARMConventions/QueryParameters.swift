import Foundation

/// `text` percent-decoded, with `+` read as a space when `plusIsSpace` (query strings). Text with nothing to
/// decode is returned as it is, without Foundation's round trip through CFString: the common case of
/// every request path and query item.
public func percentDecoded(_ text: some StringProtocol, plusIsSpace: Bool = false) -> String {
    let string = String(text)
    let hasPlus = plusIsSpace && string.utf8.contains(UInt8(ascii: "+"))
    guard hasPlus || string.utf8.contains(UInt8(ascii: "%")) else { return string }
    let spaced = hasPlus ? string.replacingOccurrences(of: "+", with: " ") : string
    return spaced.removingPercentEncoding ?? spaced
}

/// The value of query parameter `name` in `query`, with keys and values percent-decoded (`+` as a space)
/// and keys compared without case, as ARM reads them.
///
/// Every ARM request reads its `api-version` here, so the query's bytes are scanned in place rather than
/// split into arrays of characters, and a key is decoded only when it holds `%` or `+`.
public func queryParameter(_ name: String, inQuery query: String?) -> String? {
    guard let query else { return nil }
    let wanted = name.lowercased()
    var rest = query.utf8[...]
    while !rest.isEmpty {
        let item = rest.prefix { $0 != UInt8(ascii: "&") }
        rest = rest[item.endIndex...].dropFirst()
        guard !item.isEmpty else { continue }
        let key = item.prefix { $0 != UInt8(ascii: "=") }
        guard keyMatches(Substring(key), wanted) else { continue }
        return percentDecoded(Substring(item[key.endIndex...].dropFirst()), plusIsSpace: true)
    }
    return nil
}

/// Whether the query key `key` is `wanted` (lowercase) without case, once percent-decoded.
private func keyMatches(_ key: Substring, _ wanted: String) -> Bool {
    if key.utf8.contains(where: { $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "+") }) {
        return percentDecoded(key, plusIsSpace: true).lowercased() == wanted
    }
    return key.utf8.count == wanted.utf8.count && zip(key.utf8, wanted.utf8).allSatisfy { asciiLowercased($0) == $1 }
}

/// `byte` with an ASCII capital letter made small; every other byte as it is.
public func asciiLowercased(_ byte: UInt8) -> UInt8 {
    (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte + 32 : byte
}
