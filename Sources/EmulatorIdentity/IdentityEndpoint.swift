import Foundation

/// The authority a sign-in path names: a tenant (`/{tenant}/…`, including `organizations` and `common`),
/// or ADFS (`/adfs/…` or `/adfs/{tenant}/…`).
///
/// ADFS matters offline: MSAL looks up every unknown authority on the public login host (instance
/// discovery), except one whose first path segment is `adfs`.
public enum Authority: Equatable, Sendable {
    case tenant(String)
    case adfs(tenant: String?)

    /// The authority's path, such as `/contoso` or `/adfs/contoso`.
    public var path: String {
        switch self {
        case .tenant(let tenant): "/\(tenant)"
        case .adfs(let tenant?): "/adfs/\(tenant)"
        case .adfs(nil): "/adfs"
        }
    }

    /// The tenant id tokens carry (`tid`): the path's tenant when it is a GUID, else the emulator's tenant.
    public var tenantID: String {
        let named: String? =
            switch self {
            case .tenant(let tenant): tenant
            case .adfs(let tenant): tenant
            }
        if let named, UUID(uuidString: named) != nil { return named.lowercased() }
        return EmulatorTenant.id
    }
}

/// The tenant the emulator signs everyone into unless a request names a GUID tenant of its own.
public enum EmulatorTenant {
    public static let id = "00000000-0000-0000-0000-00000000da7a"
}

/// One of the sign-in endpoints, matched from a request path.
public enum IdentityEndpoint: Equatable, Sendable {
    /// `…/v2.0/.well-known/openid-configuration`, or `/adfs[/{tenant}]/.well-known/openid-configuration`.
    case openIDConfiguration(Authority)
    /// `…/oauth2/v2.0/token`.
    case token(Authority)
    /// `…/discovery/v2.0/keys` (`/adfs[/{tenant}]/discovery/keys`): the JSON Web Key Set.
    case keys(Authority)

    public var authority: Authority {
        switch self {
        case .openIDConfiguration(let authority), .token(let authority), .keys(let authority): authority
        }
    }

    /// The endpoint `path` names (already free of repeated slashes), or `nil`.
    public init?(path: String) {
        // The longest endpoint, `/adfs/{tenant}/oauth2/v2.0/token/`, has six slashes. Splitting every ARM path
        // (a dozen segments) into strings first was a twentieth of a GET's CPU (BENCHMARKS.md).
        guard path.utf8.lazy.filter({ $0 == UInt8(ascii: "/") }).count <= 6 else { return nil }
        var segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map(String.init)
        if segments.last == "" { segments.removeLast() }
        guard let first = segments.first, !first.isEmpty, !first.hasPrefix("_") else { return nil }
        let isADFS = first.lowercased() == "adfs"
        let rest: ArraySlice<String>
        let authority: Authority
        if isADFS {
            // `/adfs/{tenant}/…` or `/adfs/…`: the tenant is there when what follows it is an endpoint.
            let afterADFS = segments.dropFirst()
            if let tenant = afterADFS.first, Self.endpointKind(afterADFS.dropFirst(), adfs: true) != nil {
                authority = .adfs(tenant: tenant)
                rest = afterADFS.dropFirst()
            } else {
                authority = .adfs(tenant: nil)
                rest = afterADFS
            }
        } else {
            authority = .tenant(first)
            rest = segments.dropFirst()
        }
        switch Self.endpointKind(rest, adfs: isADFS) {
        case .openIDConfiguration?: self = .openIDConfiguration(authority)
        case .token?: self = .token(authority)
        case .keys?: self = .keys(authority)
        case nil: return nil
        }
    }

    private enum Kind { case openIDConfiguration, token, keys }

    private static func endpointKind(_ rest: ArraySlice<String>, adfs: Bool) -> Kind? {
        switch rest.map({ $0.lowercased() }) {
        case ["v2.0", ".well-known", "openid-configuration"] where !adfs: .openIDConfiguration
        case [".well-known", "openid-configuration"] where adfs: .openIDConfiguration
        case ["oauth2", "v2.0", "token"]: .token
        case ["discovery", "v2.0", "keys"] where !adfs: .keys
        case ["discovery", "keys"] where adfs: .keys
        default: nil
        }
    }
}

/// The OpenID Connect discovery document of an authority, with every URL under `baseURL` (the emulator's
/// scheme and host, no trailing slash).
public func openIDConfiguration(for authority: Authority, baseURL: String) -> [String: Any] {
    let root = baseURL + authority.path
    let isADFS = if case .adfs = authority { true } else { false }
    return [
        "issuer": issuer(for: authority, baseURL: baseURL),
        "token_endpoint": "\(root)/oauth2/v2.0/token",
        "authorization_endpoint": "\(root)/oauth2/v2.0/authorize",
        "jwks_uri": isADFS ? "\(root)/discovery/keys" : "\(root)/discovery/v2.0/keys",
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_post"],
        "grant_types_supported": ["client_credentials"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "tenant_region_scope": "NA",
        "cloud_instance_name": "datasync-emulator",
    ]
}

/// The `iss` of the tokens an authority issues, as its discovery document states it.
func issuer(for authority: Authority, baseURL: String) -> String {
    switch authority {
    case .tenant: "\(baseURL)/\(authority.tenantID)/v2.0"
    case .adfs: "\(baseURL)\(authority.path)"
    }
}
