/// An ARM api-version such as `2025-01-01` or `2015-05-01-preview`, ordered by date, previews before
/// the stable release of the same date.
public struct APIVersion: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let rawValue: String
    let date: String
    let isPreview: Bool

    /// Parses `yyyy-mm-dd` with an optional `-preview` (or other `-suffix`); `nil` when malformed.
    public init?(_ rawValue: String) {
        let parts = rawValue.split(separator: "-", maxSplits: 3, omittingEmptySubsequences: false)
        guard parts.count >= 3,
            parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            parts[0...2].allSatisfy({ $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) })
        else { return nil }
        if parts.count == 4 {
            guard !parts[3].isEmpty, parts[3].allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) })
            else { return nil }
        }
        self.rawValue = rawValue
        self.date = parts[0...2].joined(separator: "-")
        self.isPreview = parts.count == 4
    }

    public var description: String { self.rawValue }

    public static func < (lhs: APIVersion, rhs: APIVersion) -> Bool {
        if lhs.date != rhs.date { return lhs.date < rhs.date }
        return lhs.isPreview && !rhs.isPreview
    }

    public static func == (lhs: APIVersion, rhs: APIVersion) -> Bool { lhs.rawValue == rhs.rawValue }
    public func hash(into hasher: inout Hasher) { hasher.combine(self.rawValue) }
}

/// How the emulator treats an `api-version` it does not know.
public enum APIVersionPolicy: String, Sendable, CaseIterable {
    /// Serve it as the closest older known version, with a warning header.
    case nearest
    /// Refuse it with ARM's `InvalidApiVersionParameter`.
    case strict
    /// Serve anything well-formed or not, shaped as the newest version.
    case any

    /// Decides which known version serves `requested`.
    /// - Parameters:
    ///   - requested: the query parameter, `nil` when absent.
    ///   - supported: the versions served for the resource type, in any order.
    /// - Returns: the version to serve and, when it differs from the one requested, a warning for the client.
    /// - Throws: ``ARMError`` for a missing version, or one the policy refuses.
    public func resolve(_ requested: String?, supported: [APIVersion]) throws -> (served: APIVersion, warning: String?) {
        guard let requested, !requested.isEmpty else { throw ARMError.missingAPIVersion }
        // Clients send a known version spelled as listed: found without sorting, lowercasing or parsing.
        if let exact = supported.first(where: { $0.rawValue == requested }) {
            return (exact, nil)
        }
        let sorted = supported.sorted()
        if let exact = sorted.first(where: { $0.rawValue.lowercased() == requested.lowercased() }) {
            return (exact, nil)
        }
        let parsed = APIVersion(requested)
        switch self {
        case .strict:
            throw ARMError.invalidAPIVersion(requested, supported: sorted)
        case .nearest:
            guard let parsed, let nearest = sorted.last(where: { $0 < parsed }) else {
                throw ARMError.invalidAPIVersion(requested, supported: sorted)
            }
            return (nearest, "api-version '\(requested)' is not known; served as '\(nearest)'")
        case .any:
            guard let served = parsed.flatMap({ wanted in sorted.last(where: { $0 < wanted }) }) ?? sorted.last else {
                throw ARMError.invalidAPIVersion(requested, supported: sorted)
            }
            return (served, "api-version '\(requested)' is not known; served as '\(served)'")
        }
    }
}
