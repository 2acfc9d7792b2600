import Foundation

/// Removes secrets from what the emulator records about requests, so that the request inspector and
/// `--log-requests` can be shown on a projector or pasted into a bug report.
///
/// A value is secret when its name says so: passwords, secrets, credentials, keys, signatures and tokens.
/// Paging cursors (`$skipToken`, `continuationToken`) are kept: they are opaque offsets, not credentials,
/// and seeing them is what debugging a paged list needs.
public enum Redaction {
    /// What a secret value becomes.
    public static let placeholder = "REDACTED"

    private static let secretFragments = [
        "password", "passwd", "pwd", "secret", "token", "credential", "apikey", "api_key", "accesskey",
        "access_key", "privatekey", "private_key", "connectionstring", "signature", "authorization",
    ]
    private static let secretNames: Set<String> = ["sig", "key"]
    private static let pagingCursors: Set<String> = ["$skiptoken", "continuationtoken"]

    /// Whether a query parameter or JSON member called `name` holds a secret.
    public static func isSecret(_ name: String) -> Bool {
        let lowered = name.lowercased()
        if self.pagingCursors.contains(lowered) { return false }
        return self.secretNames.contains(lowered) || self.secretFragments.contains { lowered.contains($0) }
    }

    /// `path?query` with the value of every secret query parameter replaced by ``placeholder``.
    public static func pathAndQuery(path: String, query: String?) -> String {
        guard let query, !query.isEmpty else { return path }
        let items = query.split(separator: "&", omittingEmptySubsequences: false).map { item -> String in
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let rawName = String(parts[0])
            let name = percentDecoded(rawName, plusIsSpace: true)
            guard parts.count == 2, self.isSecret(name) else { return String(item) }
            return "\(rawName)=\(self.placeholder)"
        }
        return path + "?" + items.joined(separator: "&")
    }

    /// `value` with every secret object member's value replaced by ``placeholder``, at any depth.
    public static func json(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let object):
            return .object(
                JSONObject(
                    object.members.map { member in
                        (key: member.key, value: self.isSecret(member.key) ? .string(self.placeholder) : self.json(member.value))
                    }
                )
            )
        case .array(let values):
            return .array(values.map(self.json))
        case .null, .bool, .integer, .double, .string:
            return value
        }
    }
}

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
