import Crypto
import Foundation

/// Which client credentials the token endpoint accepts: any, or only those given with `--client ID:SECRET`.
public struct ClientCredentials: Sendable {
    /// SHA-256 digests of the secrets by client id; `nil` accepts any id and secret.
    private let secrets: [String: [UInt8]]?

    /// Any client id with any non-empty secret.
    public static let any = ClientCredentials(secrets: nil)

    private init(secrets: [String: [UInt8]]?) {
        self.secrets = secrets
    }

    /// Only these `(id, secret)` pairs; an empty list accepts any, as ``any`` does.
    public init(_ pairs: [(id: String, secret: String)]) {
        self.secrets = pairs.isEmpty ? nil : Dictionary(pairs.map { ($0.id, Self.digest($0.secret)) }) { first, _ in first }
    }

    private static func digest(_ secret: String) -> [UInt8] {
        Array(SHA256.hash(data: Data(secret.utf8)))
    }

    /// Parses `ID:SECRET` (split at the first colon; the secret may hold more); `nil` when either is empty.
    public static func pair(argument: String) -> (id: String, secret: String)? {
        guard let colon = argument.firstIndex(of: ":") else { return nil }
        let id = String(argument[..<colon])
        let secret = String(argument[argument.index(after: colon)...])
        return id.isEmpty || secret.isEmpty ? nil : (id, secret)
    }

    func check(id: String, secret: String, tenant: String) throws(OAuthError) {
        guard let secrets = self.secrets else { return }
        guard let expected = secrets[id] else {
            throw OAuthError(
                status: 401,
                error: "invalid_client",
                code: 700016,
                description: "AADSTS700016: Application with identifier '\(id)' was not found in the directory '\(tenant)'."
            )
        }
        // Equal-length digests, compared without stopping early: the time taken does not tell how much of
        // a secret was right.
        let differences = zip(Self.digest(secret), expected).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) }
        guard differences == 0 else {
            throw OAuthError(
                status: 401,
                error: "invalid_client",
                code: 7000215,
                description: "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '\(id)'."
            )
        }
    }
}

/// An OAuth 2.0 error answer (RFC 6749 §5.2), as Microsoft Entra ID words it: not ARM's envelope.
public struct OAuthError: Error, Equatable, Sendable {
    public let status: Int
    public let error: String
    public let code: Int
    public let description: String

    public init(status: Int, error: String, code: Int, description: String) {
        self.status = status
        self.error = error
        self.code = code
        self.description = description
    }

    /// `{"error":…,"error_description":…,"error_codes":[…]}`.
    public var body: Data {
        serializedJSON(["error": self.error, "error_description": self.description, "error_codes": [self.code]])
    }

    static func missing(_ parameter: String) -> OAuthError {
        OAuthError(
            status: 400,
            error: "invalid_request",
            code: 900144,
            description: "AADSTS900144: The request body must contain the following parameter: '\(parameter)'."
        )
    }
}

/// Issues signed access tokens for the OAuth 2.0 client-credentials grant, as Microsoft Entra ID's v2.0
/// token endpoint does for a service principal.
public struct TokenIssuer: Sendable {
    let keys: SigningKeyStore
    let clients: ClientCredentials
    let now: @Sendable () -> Date

    /// How long a token lives, in seconds (Entra's default for app tokens is 60 to 90 minutes).
    public static let lifetime = 3600

    public init(keys: SigningKeyStore, clients: ClientCredentials, now: @escaping @Sendable () -> Date = Date.init) {
        self.keys = keys
        self.clients = clients
        self.now = now
    }

    /// Answers a token request: `form` is the `application/x-www-form-urlencoded` body.
    /// - Returns: `{"token_type":"Bearer","expires_in":3600,"access_token":…}`.
    /// - Throws: ``OAuthError`` for a missing parameter, another grant type or a refused client.
    public func issue(form: String, authority: Authority, baseURL: String) throws -> Data {
        let fields = formFields(form)
        guard let grantType = fields["grant_type"], !grantType.isEmpty else { throw OAuthError.missing("grant_type") }
        guard grantType == "client_credentials" else {
            throw OAuthError(
                status: 400,
                error: "unsupported_grant_type",
                code: 70003,
                description: "AADSTS70003: The app requested an unsupported grant type '\(grantType)'. The emulator issues tokens for client_credentials only."
            )
        }
        guard let clientID = fields["client_id"], !clientID.isEmpty else { throw OAuthError.missing("client_id") }
        guard let secret = fields["client_secret"], !secret.isEmpty else {
            throw OAuthError(
                status: 401,
                error: "invalid_client",
                code: 7000216,
                description: "AADSTS7000216: 'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type."
            )
        }
        guard let scope = fields["scope"], let audience = Self.audience(ofScope: scope) else { throw OAuthError.missing("scope") }
        try self.clients.check(id: clientID, secret: secret, tenant: authority.tenantID)

        let now = Int(self.now().timeIntervalSince1970)
        let principal = Self.principalID(clientID)
        let claims: [String: Any] = [
            "aud": audience,
            "iss": issuer(for: authority, baseURL: baseURL),
            "iat": now,
            "nbf": now,
            "exp": now + Self.lifetime,
            "appid": clientID,
            "azp": clientID,
            "appidacr": "1",
            "idtyp": "app",
            "oid": principal,
            "sub": principal,
            "tid": authority.tenantID,
            "ver": "2.0",
        ]
        let key = try self.keys.signingKey()
        let header: [String: Any] = ["alg": "RS256", "typ": "JWT", "kid": key.keyID]
        let signingInput = Base64URL.encode(serializedJSON(header)) + "." + Base64URL.encode(serializedJSON(claims))
        let token = signingInput + "." + Base64URL.encode(try key.sign(Data(signingInput.utf8)))
        return serializedJSON(["token_type": "Bearer", "expires_in": Self.lifetime, "access_token": token])
    }

    /// The JSON Web Key Set clients verify tokens with: the one signing key (made now if it was not yet).
    public func keySet() throws -> Data {
        serializedJSON(["keys": [try self.keys.signingKey().publicJWK]])
    }

    /// The resource a scope names: `https://management.azure.com/.default` → `https://management.azure.com`,
    /// and az's `https://management.core.windows.net//.default` → `https://management.core.windows.net/`.
    /// OpenID scopes (`openid`, `profile`, `offline_access`) beside it are ignored.
    static func audience(ofScope scope: String) -> String? {
        let resources = scope.split(separator: " ").filter { !["openid", "profile", "offline_access", "email"].contains($0) }
        guard let first = resources.first else { return nil }
        guard let slash = first.lastIndex(of: "/"), first.contains("://") || first.hasPrefix("api:") else { return String(first) }
        return String(first[..<slash])
    }

    /// The service principal's object id: a name-based UUID of the client id, the same on every run.
    static func principalID(_ clientID: String) -> String {
        var bytes = Array(SHA256.hash(data: Data("datasync-emulator principal \(clientID)".utf8)).prefix(16))
        bytes[6] = (bytes[6] & 0x0F) | 0x50
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        return UUID(uuid: (
            bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
            bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]
        )).uuidString.lowercased()
    }
}

/// The fields of an `application/x-www-form-urlencoded` body; the first occurrence of a name wins.
func formFields(_ form: String) -> [String: String] {
    var fields: [String: String] = [:]
    for pair in form.split(separator: "&") {
        let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        let decode = { (text: Substring) in
            text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(text)
        }
        let name = decode(parts[0])
        if fields[name] == nil { fields[name] = parts.count > 1 ? decode(parts[1]) : "" }
    }
    return fields
}

/// Compact JSON with sorted keys and unescaped slashes, as the sign-in endpoints answer.
public func serializedJSON(_ object: Any) -> Data {
    (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
}
