import Foundation

/// Why a bearer token is refused; the HTTP edge turns each into ARM's 401 code.
public enum TokenRejection: Error, Equatable, Sendable {
    /// Not a JWT, claims that do not parse, no `exp`, or (when signatures are checked) not signed by the
    /// emulator's key.
    case invalid(String)
    /// `exp` is in the past.
    case expired(expiry: Date, now: Date)
    /// `aud` names none of the accepted audiences.
    case wrongAudience(String, accepted: [String])
}

/// Checks the access tokens ARM requests carry: structure, expiry, audience and, unless told otherwise,
/// the signature against the emulator's own key.
public struct AccessTokenVerifier: Sendable {
    /// The keys tokens must be signed with; `nil` checks the shape only (`--auth token-unsigned`).
    let keys: SigningKeyStore?
    /// Audiences accepted, lowercased.
    let audiences: Set<String>
    let now: @Sendable () -> Date

    /// The audiences ARM accepts: the management endpoints, with and without their trailing slash.
    public static let managementAudiences = [
        "https://management.azure.com/", "https://management.azure.com",
        "https://management.core.windows.net/", "https://management.core.windows.net",
    ]

    /// - Parameters:
    ///   - keys: the emulator's key store, whose key must have signed the token; `nil` skips the signature.
    ///   - extraAudiences: audiences accepted beside ``managementAudiences`` (the emulator's own URL).
    ///   - now: the wall clock; tokens expire in real time, whatever the emulator's virtual clock says.
    public init(keys: SigningKeyStore?, extraAudiences: [String] = [], now: @escaping @Sendable () -> Date = Date.init) {
        self.keys = keys
        self.audiences = Set((Self.managementAudiences + extraAudiences).map { $0.lowercased() })
        self.now = now
    }

    /// Checks `token` (the part after `Bearer `).
    /// - Throws: ``TokenRejection``: a foreign or malformed token before an expired one, and that before a
    ///   wrong audience.
    public func verify(_ token: Substring) throws(TokenRejection) {
        let segments = token.split(separator: ".", omittingEmptySubsequences: false)
        guard segments.count == 3, let header = Self.object(segments[0]), let claims = Self.object(segments[1]) else {
            throw .invalid("The access token is invalid.")
        }
        if let keys = self.keys {
            guard header["alg"] as? String == "RS256", let key = keys.existingKey, header["kid"] as? String == key.keyID,
                let signature = Base64URL.decode(segments[2]),
                key.isValidSignature(signature, for: Data(token[..<segments[1].endIndex].utf8))
            else {
                throw .invalid("The access token is invalid.")
            }
        }
        guard let expiry = (claims["exp"] as? NSNumber)?.doubleValue else {
            throw .invalid("The access token is missing the 'exp' claim.")
        }
        let now = self.now()
        guard expiry > now.timeIntervalSince1970 else {
            throw .expired(expiry: Date(timeIntervalSince1970: expiry), now: now)
        }
        let audiences: [String] =
            if let single = claims["aud"] as? String { [single] } else { claims["aud"] as? [String] ?? [] }
        guard audiences.contains(where: { self.audiences.contains($0.lowercased()) }) else {
            throw .wrongAudience(audiences.first ?? "", accepted: self.audiences.sorted())
        }
    }

    private static func object(_ segment: Substring) -> [String: Any]? {
        Base64URL.decode(segment).flatMap { (try? JSONSerialization.jsonObject(with: $0)) as? [String: Any] }
    }
}
