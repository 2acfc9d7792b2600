import ARMConventions
import Foundation
import Hummingbird

/// `GET /metadata/endpoints`: the cloud description Azure clients read, with the resource manager and the
/// login endpoint both pointing at the emulator, so `az cloud register --endpoint-resource-manager` and
/// `Add-AzEnvironment -ARMEndpoint` can target it and then sign in offline.
///
/// The shape follows the public cloud's per api-version: from 2022-09-01 one named object (what az 2.91
/// asks for), from 2019-05-01 a list of clouds, before that one object without a name.
struct CloudMetadataController: Sendable {
    let scheme: String
    let port: Int

    private static let listSince = APIVersion("2019-05-01")!
    private static let singleNamedSince = APIVersion("2022-09-01")!

    func addRoutes(to router: Router<EmulatorRequestContext>) {
        router.get("metadata/endpoints") { request, _ in
            let base = requestBaseURL(request, scheme: self.scheme, port: self.port) + "/"
            let version = queryParameter("api-version", in: request).flatMap(APIVersion.init)
            guard let version, version >= Self.listSince else {
                return jsonResponse(.ok, self.cloud(base: base, named: false))
            }
            if version >= Self.singleNamedSince {
                return jsonResponse(.ok, self.cloud(base: base, named: true))
            }
            return jsonResponse(.ok, .array([self.cloud(base: base, named: true)]))
        }
    }

    private func cloud(base: String, named: Bool) -> JSONValue {
        var object = JSONObject()
        if named { object.set("name", .string("DataSyncEmulator")) }
        object.set("portal", .string(base))
        object.set("portalEndpoint", .string(base))
        object.set("galleryEndpoint", .string(base))
        object.set("graphEndpoint", .string("https://graph.windows.net/"))
        object.set("graph", .string("https://graph.windows.net/"))
        object.set("resourceManager", .string(base))
        object.set("sqlManagement", .string(base))
        // az asks for tokens for audiences[0] (+ "/.default"), and signs in at loginEndpoint/{tenant}.
        object.set("authentication", .object([
            "loginEndpoint": .string(base),
            "audiences": .array([.string("https://management.core.windows.net/"), .string("https://management.azure.com/")]),
            "tenant": .string("common"),
            "identityProvider": .string("AAD"),
        ]))
        object.set("suffixes", .object([
            "sqlServerHostname": .string("database.windows.net"),
            "storage": .string("core.windows.net"),
            "keyVaultDns": .string("vault.azure.net"),
            "acrLoginServer": .string("azurecr.io"),
        ]))
        return .object(object)
    }
}

/// The emulator's URL as the client addressed it (`https://127.0.0.1:10880`, no trailing slash): the
/// scheme the listener serves and the request's Host (which the edge has already allowed).
func requestBaseURL(_ request: Request, scheme: String, port: Int) -> String {
    "\(scheme)://\(request.head.authority ?? "127.0.0.1:\(port)")"
}
