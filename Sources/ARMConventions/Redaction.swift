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
