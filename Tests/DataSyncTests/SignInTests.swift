import _CryptoExtras
import ARMConventions
import Crypto
import EmulatorIdentity
import Foundation
import HTTPTypes
import Testing

@testable import DataSyncHTTP

/// A JWT's header or claims, decoded.
private func jwtPart(_ token: String, _ index: Int) throws -> [String: Any] {
    let segment = String(token.split(separator: ".", omittingEmptySubsequences: false)[index])
    var base64 = segment.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
    base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
    let data = try #require(Data(base64Encoded: base64))
    return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
}

private func base64URLDecoded(_ text: String) throws -> Data {
    var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
    base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
    return try #require(Data(base64Encoded: base64))
}

extension ARMClient {
    /// POSTs a client-credentials form to a token endpoint.
    func token(
        at path: String = "/\(EmulatorTenant.id)/oauth2/v2.0/token",
        clientID: String = "app-1",
        secret: String = "s3cret",
        scope: String = "https://management.azure.com/.default",
        grantType: String = "client_credentials"
    ) async throws -> Reply {
        let form = [
            ("grant_type", grantType), ("client_id", clientID), ("client_secret", secret), ("scope", scope),
            ("claims", #"{"access_token":{"xms_cc":{"values":["CP1"]}}}"#),
        ].map { "\($0)=\($1.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? $1)" }.joined(separator: "&")
        return try await self.send(
            .post, path, body: form, apiVersion: .some(nil),
            headers: [.contentType: "application/x-www-form-urlencoded"]
        )
    }

    /// A token from the emulator's endpoint for `scope`.
    func accessToken(scope: String = "https://management.azure.com/.default") async throws -> String {
        let reply = try await self.token(scope: scope)
        #expect(reply.status == .ok, "\(reply.text)")
        return try #require(reply.string("access_token"))
    }

    /// Lists the how-to's sync groups with `token` as bearer.
    func listGroups(bearer token: String) async throws -> Reply {
        try await self.send(.get, HowTo.databasePath + "/syncGroups", headers: [.authorization: "Bearer \(token)"])
    }
}

@Suite struct TokenEndpointTests {
    @Test("a client-credentials POST answers Bearer, 3600 s and an RS256 JWT the key set verifies", arguments: [
        "/\(EmulatorTenant.id)/oauth2/v2.0/token", "/organizations/oauth2/v2.0/token",
        "/adfs/oauth2/v2.0/token", "/adfs/6a1b2c3d-0000-4000-8000-000000000001/oauth2/v2.0/token",
    ])
    func issuesSignedToken(path: String) async throws {
        try await withEmulator { arm in
            let reply = try await arm.token(at: path)
            #expect(reply.status == .ok, "\(reply.text)")
            #expect(reply.string("token_type") == "Bearer")
            #expect(reply.value("expires_in") == .integer(3600))
            #expect(reply.headers[.cacheControl] == "no-store")
            let token = try #require(reply.string("access_token"))
            let header = try jwtPart(token, 0)
            let claims = try jwtPart(token, 1)
            #expect(header["alg"] as? String == "RS256")
            #expect(claims["aud"] as? String == "https://management.azure.com")
            #expect(claims["appid"] as? String == "app-1")
            let expiry = try #require((claims["exp"] as? NSNumber)?.doubleValue)
            #expect(abs(expiry - Date().timeIntervalSince1970 - 3600) < 60)
            if path.hasPrefix("/adfs/6a1b") { #expect(claims["tid"] as? String == "6a1b2c3d-0000-4000-8000-000000000001") }

            // Verified independently of the emulator's code: the JWK's modulus and exponent, RS256.
            let keys = try await arm.send(.get, "/\(EmulatorTenant.id)/discovery/v2.0/keys", apiVersion: .some(nil))
            let jwk = try #require(keys.value("keys")?.arrayValue?.first?.objectValue)
            #expect(jwk["kid"] == .string(try #require(header["kid"] as? String)))
            #expect(jwk["kty"] == .string("RSA") && jwk["alg"] == .string("RS256"))
            guard case .string(let modulus)? = jwk["n"], case .string(let exponent)? = jwk["e"] else {
                Issue.record("no n or e in \(keys.text)")
                return
            }
            let publicKey = try _RSA.Signing.PublicKey(n: try base64URLDecoded(modulus), e: try base64URLDecoded(exponent))
            let parts = token.split(separator: ".")
            let signature = _RSA.Signing.RSASignature(rawRepresentation: try base64URLDecoded(String(parts[2])))
            let signed = Data("\(parts[0]).\(parts[1])".utf8)
            #expect(publicKey.isValidSignature(signature, for: SHA256.hash(data: signed), padding: .insecurePKCS1v1_5))
            #expect(!publicKey.isValidSignature(signature, for: SHA256.hash(data: signed + Data("x".utf8)), padding: .insecurePKCS1v1_5))
        }
    }

    @Test("a token's audience is the resource its scope names; az's doubled slash keeps one trailing slash", arguments: [
        ("https://management.core.windows.net//.default", "https://management.core.windows.net/"),
        ("https://management.azure.com/.default openid offline_access", "https://management.azure.com"),
        ("https://management.azure.com/user_impersonation", "https://management.azure.com"),
        ("https://management.azure.com", "https://management.azure.com"),
        ("5f1c2a3e-0d9b-4c8e-9a7f-2b6d4e8c1a30/.default", "5f1c2a3e-0d9b-4c8e-9a7f-2b6d4e8c1a30"),
    ])
    func audienceOfScope(scope: String, audience: String) async throws {
        try await withEmulator { arm in
            let token = try await arm.accessToken(scope: scope)
            #expect(try jwtPart(token, 1)["aud"] as? String == audience)
        }
    }

    @Test("the OpenID configurations point at their own token endpoint, whose first segment is the tenant", arguments: [
        ("/contoso/v2.0/.well-known/openid-configuration", "/contoso"),
        ("/organizations/v2.0/.well-known/openid-configuration", "/organizations"),
        ("/adfs/.well-known/openid-configuration", "/adfs"),
        ("/adfs/contoso/.well-known/openid-configuration", "/adfs/contoso"),
    ])
    func openIDConfiguration(path: String, authority: String) async throws {
        try await withEmulator(EmulatorConfiguration(authentication: .token)) { arm in
            let reply = try await arm.send(.get, path, apiVersion: .some(nil))
            #expect(reply.status == .ok, "\(reply.text)")
            #expect(reply.string("token_endpoint") == "http://localhost\(authority)/oauth2/v2.0/token")
            #expect(reply.string("authorization_endpoint") == "http://localhost\(authority)/oauth2/v2.0/authorize")
            #expect(reply.string("issuer")?.hasPrefix("http://localhost/") == true)
            let jwks = try #require(reply.string("jwks_uri"))
            let keys = try await arm.send(.get, ARMClient.relative(jwks), apiVersion: .some(nil))
            #expect(keys.status == .ok && keys.value("keys")?.arrayValue?.count == 1, "\(jwks): \(keys.text)")
        }
    }

    @Test("bad requests get OAuth's error shape, not ARM's", arguments: [
        ("missing grant", "", 400, "invalid_request"),
        ("other grant", "password", 400, "unsupported_grant_type"),
    ])
    func badRequests(label: String, grantType: String, status: Int, error: String) async throws {
        try await withEmulator { arm in
            let reply = try await arm.token(grantType: grantType)
            #expect(reply.status.code == status)
            #expect(reply.string("error") == error)
            #expect(reply.string("error_description")?.hasPrefix("AADSTS") == true)
            #expect(reply.value("error.code") == nil)
        }
    }

    @Test("GET on the token endpoint is 405, and a JSON body is refused")
    func methodAndMediaType() async throws {
        try await withEmulator { arm in
            let get = try await arm.send(.get, "/common/oauth2/v2.0/token", apiVersion: .some(nil))
            #expect(get.status == .methodNotAllowed && get.string("error") == "invalid_request")
            let json = try await arm.send(.post, "/common/oauth2/v2.0/token", body: #"{"grant_type":"client_credentials"}"#, apiVersion: .some(nil))
            #expect(json.status == .badRequest && json.string("error") == "invalid_request")
        }
    }

    @Test("--client accepts only the given credentials: a wrong secret or an unknown id is invalid_client")
    func configuredClients() async throws {
        let configuration = EmulatorConfiguration(clients: ClientCredentials([("app-1", "s3cret:with:colons")]))
        try await withEmulator(configuration) { arm in
            #expect((try await arm.token(secret: "s3cret:with:colons")).status == .ok)
            let wrongSecret = try await arm.token(secret: "s3cret")
            #expect(wrongSecret.status == .unauthorized && wrongSecret.string("error") == "invalid_client")
            #expect(wrongSecret.string("error_description")?.hasPrefix("AADSTS7000215") == true)
            let unknown = try await arm.token(clientID: "app-2", secret: "s3cret:with:colons")
            #expect(unknown.status == .unauthorized && unknown.string("error") == "invalid_client")
        }
        #expect(ClientCredentials.pair(argument: "id:a:b")! == ("id", "a:b"))
        #expect(ClientCredentials.pair(argument: "id:") == nil && ClientCredentials.pair(argument: "secret") == nil)
    }

    @Test("by default any client id and secret get a token; an empty secret does not")
    func anyClient() async throws {
        try await withEmulator { arm in
            #expect((try await arm.token(clientID: UUID().uuidString, secret: "anything")).status == .ok)
            let empty = try await arm.token(secret: "")
            #expect(empty.status == .unauthorized && empty.string("error") == "invalid_client")
        }
    }
}

@Suite struct SignedTokenAuthenticationTests {
    static let configuration = EmulatorConfiguration(authentication: .token)

    @Test("--auth token accepts the emulator's own tokens, and the sign-in endpoints stay open")
    func ownToken() async throws {
        try await withEmulator(Self.configuration) { arm in
            let token = try await arm.accessToken()
            #expect((try await arm.listGroups(bearer: token)).status == .ok)
            let azToken = try await arm.accessToken(scope: "https://management.core.windows.net//.default")
            #expect((try await arm.listGroups(bearer: azToken)).status == .ok)
        }
    }

    @Test("--auth token refuses a token signed by another key, an unsigned one, and a tampered one")
    func foreignTokens() async throws {
        let elsewhere = try SigningKeyStore(directory: nil)
        let foreign = try String(
            decoding: TokenIssuer(keys: elsewhere, clients: .any).issue(
                form: "grant_type=client_credentials&client_id=a&client_secret=b&scope=https%3A%2F%2Fmanagement.azure.com%2F.default",
                authority: .tenant("common"), baseURL: "http://localhost"
            ),
            as: UTF8.self
        )
        let foreignToken = try #require(try JSONSerialization.jsonObject(with: Data(foreign.utf8)) as? [String: Any])["access_token"] as! String
        try await withEmulator(Self.configuration) { arm in
            let own = try await arm.accessToken()
            let parts = own.split(separator: ".").map(String.init)
            let forgedClaims = try JSONSerialization.data(withJSONObject: ["aud": "https://management.azure.com/", "exp": Date().timeIntervalSince1970 + 7200])
                .base64EncodedString().replacingOccurrences(of: "=", with: "").replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            let unsigned = try makeToken(["aud": "https://management.azure.com/", "exp": Date().timeIntervalSince1970 + 3600])
            for token in [foreignToken, unsigned, "\(parts[0]).\(forgedClaims).\(parts[2])"] {
                let reply = try await arm.listGroups(bearer: token)
                #expect(reply.status == .unauthorized)
                #expect(reply.errorCode == "InvalidAuthenticationToken")
                #expect(reply.errorMessage == "The access token is invalid.")
                #expect(reply.headers[.wwwAuthenticate]?.hasPrefix("Bearer authorization_uri=") == true)
            }
        }
    }

    @Test("--auth token refuses the emulator's own token for another audience")
    func wrongAudience() async throws {
        try await withEmulator(Self.configuration) { arm in
            let token = try await arm.accessToken(scope: "https://vault.azure.net/.default")
            let reply = try await arm.listGroups(bearer: token)
            #expect(reply.status == .unauthorized && reply.errorCode == "InvalidAuthenticationTokenAudience")
        }
    }

    @Test("the key is kept in <data-dir>/identity (0600): an expired token it signed before a restart is ExpiredAuthenticationToken")
    func persistedKeyAndExpiry() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let keys = try SigningKeyStore(directory: directory.appendingPathComponent("identity"))
        let twoHoursAgo = Date().addingTimeInterval(-7200)
        let answer = try TokenIssuer(keys: keys, clients: .any, now: { twoHoursAgo }).issue(
            form: "grant_type=client_credentials&client_id=a&client_secret=b&scope=https://management.azure.com/.default",
            authority: .tenant("common"), baseURL: "http://localhost"
        )
        let expired = try #require(try JSONSerialization.jsonObject(with: answer) as? [String: Any])["access_token"] as! String
        let file = try #require(keys.file)
        let mode = try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? Int
        #expect(mode == 0o600)

        try await withEmulator(EmulatorConfiguration(dataDirectory: directory, authentication: .token)) { arm in
            let reply = try await arm.listGroups(bearer: expired)
            #expect(reply.status == .unauthorized && reply.errorCode == "ExpiredAuthenticationToken", "\(reply.text)")
            let fresh = try await arm.accessToken()
            #expect(try jwtPart(fresh, 0)["kid"] as? String == keys.existingKey?.keyID)
        }
    }

    @Test("--auth token-unsigned keeps the shape-only check: an unsigned token passes, an expired one does not")
    func unsignedMode() async throws {
        try await withEmulator(EmulatorConfiguration(authentication: .tokenUnsigned)) { arm in
            let unsigned = try makeToken(["aud": "https://management.azure.com/", "exp": Date().timeIntervalSince1970 + 3600])
            #expect((try await arm.listGroups(bearer: unsigned)).status == .ok)
            #expect((try await arm.listGroups(bearer: try await arm.accessToken())).status == .ok)
            let expired = try makeToken(["aud": "https://management.azure.com/", "exp": 1_000_000_000])
            #expect((try await arm.listGroups(bearer: expired)).errorCode == "ExpiredAuthenticationToken")
        }
    }

    @Test("the verifier checks expiry on the wall clock it is given")
    func verifierClock() throws {
        let keys = try SigningKeyStore(directory: nil)
        let answer = try TokenIssuer(keys: keys, clients: .any).issue(
            form: "grant_type=client_credentials&client_id=a&client_secret=b&scope=https://management.azure.com/.default",
            authority: .tenant("common"), baseURL: "http://localhost"
        )
        let token = try #require(try JSONSerialization.jsonObject(with: answer) as? [String: Any])["access_token"] as! String
        try AccessTokenVerifier(keys: keys).verify(Substring(token))
        let later = Date().addingTimeInterval(3601)
        #expect(throws: TokenRejection.self) { try AccessTokenVerifier(keys: keys, now: { later }).verify(Substring(token)) }
        #expect(throws: TokenRejection.self) { try AccessTokenVerifier(keys: try SigningKeyStore(directory: nil)).verify(Substring(token)) }
    }
}

@Suite struct SignInProcessTests {
    @Test("the real binary takes --client from DATASYNC_EMULATOR_CLIENT, and keeps serving after a refused sign-in")
    func clientFromEnvironment() async throws {
        let emulator = try EmulatorProcess(
            ["--in-memory", "--auth", "token"],
            environment: ["DATASYNC_EMULATOR_CLIENT": "app-1:pw:1"]
        )
        let form = { (secret: String) in
            "grant_type=client_credentials&client_id=app-1&client_secret=\(secret)&scope=https%3A%2F%2Fmanagement.azure.com%2F.default"
        }
        let path = "/\(EmulatorTenant.id)/oauth2/v2.0/token"
        let refused = try await emulator.send("POST", path, body: form("pw"), contentType: "application/x-www-form-urlencoded")
        #expect(refused.status == 401 && refused.text.contains("\"error\":\"invalid_client\""), "\(refused.text)")
        let issued = try await emulator.send("POST", path, body: form("pw%3A1"), contentType: "application/x-www-form-urlencoded")
        #expect(issued.status == 200 && issued.text.contains("\"access_token\""), "\(issued.text)")
        #expect(try await emulator.send("GET", "/_emulator/health").status == 200)
        emulator.stop()
    }
}

@Suite struct CloudDiscoveryTests {
    @Test("2022-09-01 metadata is one named cloud whose login endpoint and resource manager are the emulator")
    func metadata() async throws {
        try await withEmulator(EmulatorConfiguration(authentication: .token)) { arm in
            for path in ["/metadata/endpoints?api-version=2022-09-01", "//metadata/endpoints?api-version=2022-09-01"] {
                let reply = try await arm.send(.get, path, apiVersion: .some(nil))
                #expect(reply.status == .ok, "\(path): \(reply.text)")
                #expect(reply.string("name") == "DataSyncEmulator")
                #expect(reply.string("resourceManager") == "http://localhost/")
                #expect(reply.string("authentication.loginEndpoint") == "http://localhost/")
                #expect(reply.value("authentication.audiences")?.arrayValue?.first == .string("https://management.core.windows.net/"))
                #expect(reply.value("suffixes")?.objectValue?["sqlServerHostname"] != nil)
            }
            let list = try await arm.send(.get, "/metadata/endpoints?api-version=2019-05-01", apiVersion: .some(nil))
            #expect(list.json?.arrayValue?.first?.objectValue?["name"] == .string("DataSyncEmulator"))
            let legacy = try await arm.send(.get, "/metadata/endpoints?api-version=2015-01-01", apiVersion: .some(nil))
            #expect(legacy.object?["resourceManager"] == .string("http://localhost/") && legacy.object?["name"] == nil)
        }
    }

    @Test("repeated slashes in a path read as one, before routing and authentication; the query keeps its own")
    func repeatedSlashes() async throws {
        #expect(collapsingSlashes(inPathOf: "//a///b/?x=//y") == "/a/b/?x=//y")
        #expect(collapsingSlashes(inPathOf: "/a/b?x=//y") == nil)
        try await withEmulator { arm in
            let path = "//subscriptions//\(HowTo.subscription)/resourceGroups/\(HowTo.resourceGroup)//providers/Microsoft.Sql/servers/\(HowTo.server)/databases/\(HowTo.database)/syncGroups"
            let reply = try await arm.send(.get, path)
            #expect(reply.status == .ok, "\(reply.text)")
            #expect((try await arm.send(.get, "//_emulator//health", apiVersion: .some(nil))).status == .ok)
        }
    }

    @Test("GET /subscriptions lists the default subscription and those holding resources; one reads alone")
    func subscriptions() async throws {
        try await withEmulator { arm in
            let empty = try await arm.send(.get, "/subscriptions", apiVersion: "2022-12-01")
            let first = try #require(empty.value("value")?.arrayValue?.first?.objectValue)
            #expect(empty.value("value")?.arrayValue?.count == 1)
            #expect(first["subscriptionId"] == .string(defaultSubscriptionID))
            #expect(first["id"] == .string("/subscriptions/\(defaultSubscriptionID)"))
            #expect(first["tenantId"] == .string(EmulatorTenant.id))
            #expect(first["state"] == .string("Enabled") && first["displayName"] != nil)

            let other = "0f0f0f0f-1111-2222-3333-444444444444"
            let agent = "/subscriptions/\(other)/resourceGroups/rg/providers/Microsoft.Sql/servers/srv/syncAgents/agent-1"
            let created = try await arm.put(agent, #"{"properties":{"syncDatabaseId":"\#(HowTo.syncDatabaseID())"}}"#)
            _ = try await arm.finish(created)
            let listed = try await arm.send(.get, "/subscriptions/", apiVersion: "2022-12-01")
            #expect(listed.value("value")?.arrayValue?.compactMap { $0.objectValue?["subscriptionId"] } == [
                .string(defaultSubscriptionID), .string(other),
            ])
            let one = try await arm.send(.get, "/subscriptions/\(other)", apiVersion: "2022-12-01")
            #expect(one.status == .ok && one.string("subscriptionId") == other)
            let malformed = try await arm.send(.get, "/subscriptions/not-a-guid", apiVersion: "2022-12-01")
            #expect(malformed.status == .badRequest && malformed.errorCode == "InvalidSubscriptionId")
        }
    }

    @Test("a resource group reads with the emulator's location; the Microsoft.Sql provider lists the served api-versions")
    func resourceGroupAndProvider() async throws {
        try await withEmulator { arm in
            let group = try await arm.send(.get, "/subscriptions/\(HowTo.subscription)/resourcegroups/\(HowTo.resourceGroup)", apiVersion: "2024-11-01")
            #expect(group.status == .ok && group.string("location") == "westus2" && group.string("name") == HowTo.resourceGroup)
            let provider = try await arm.send(.get, "/subscriptions/\(HowTo.subscription)/providers/Microsoft.Sql", apiVersion: "2024-11-01")
            #expect(provider.string("namespace") == "Microsoft.Sql")
            let types = try #require(provider.value("resourceTypes")?.arrayValue?.compactMap { $0.objectValue })
            let groups = try #require(types.first { $0["resourceType"] == .string("servers/databases/syncGroups") })
            let versions = groups["apiVersions"]?.arrayValue?.compactMap { value -> String? in
                if case .string(let text) = value { return text }
                return nil
            }
            #expect(versions == ServedAPIVersions.all.sorted(by: >).map(\.rawValue))
            #expect(types.contains { $0["resourceType"] == .string("servers/syncAgents") })
            #expect(types.contains { $0["resourceType"] == .string("servers") })
            let other = try await arm.send(.get, "/subscriptions/\(HowTo.subscription)/providers/Microsoft.Web", apiVersion: "2024-11-01")
            #expect(other.status == .notFound && other.errorCode == "InvalidResourceNamespace")
        }
    }

    @Test("a sync group PUT with a top-level location, as az resource create sends it, is accepted")
    func putWithLocation() async throws {
        try await withEmulator { arm in
            let body = #"{"location":"westus2","properties":{"interval":-1,"conflictResolutionPolicy":"HubWin","syncDatabaseId":"\#(HowTo.syncDatabaseID())","hubDatabaseUserName":"hubUser","hubDatabasePassword":"pw"}}"#
            let accepted = try await arm.put(HowTo.groupPath(), body)
            #expect(accepted.status == .accepted || accepted.status == .ok || accepted.status == .created, "\(accepted.text)")
            #expect((try await arm.get(HowTo.groupPath())).status == .ok)
        }
    }
}

@Suite struct IdentityEndpointTests {
    @Test("sign-in paths match their endpoint and authority; others do not", arguments: [
        ("/t1/oauth2/v2.0/token", IdentityEndpoint.token(.tenant("t1"))),
        ("/adfs/oauth2/v2.0/token", .token(.adfs(tenant: nil))),
        ("/adfs/t1/oauth2/v2.0/token", .token(.adfs(tenant: "t1"))),
        ("/adfs/t1/oauth2/v2.0/token/", .token(.adfs(tenant: "t1"))),
        ("/t1/v2.0/.well-known/openid-configuration", .openIDConfiguration(.tenant("t1"))),
        ("/adfs/.well-known/openid-configuration", .openIDConfiguration(.adfs(tenant: nil))),
        ("/adfs/t1/.well-known/openid-configuration", .openIDConfiguration(.adfs(tenant: "t1"))),
        ("/t1/discovery/v2.0/keys", .keys(.tenant("t1"))),
        ("/adfs/discovery/keys", .keys(.adfs(tenant: nil))),
    ] as [(String, IdentityEndpoint)])
    func matches(path: String, endpoint: IdentityEndpoint) {
        #expect(IdentityEndpoint(path: path) == endpoint)
    }

    @Test("non-sign-in paths are not sign-in endpoints")
    func others() {
        for path in ["/", "/_emulator/health", "/t1/oauth2/token", "/t1/.well-known/openid-configuration", "/adfs/v2.0/token", "/subscriptions"] {
            #expect(IdentityEndpoint(path: path) == nil, "\(path)")
        }
    }
}

extension JSONValue {
    fileprivate var arrayValue: [JSONValue]? {
        if case .array(let items) = self { return items }
        return nil
    }
}
