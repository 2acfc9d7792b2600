import ARMConventions
import Foundation
import Hummingbird

/// `GET /metadata/endpoints`: the cloud description Azure clients read, with the resource manager
/// pointing at the emulator, so `Add-AzEnvironment -ARMEndpoint` and `az cloud register` can target it.
struct CloudMetadataController: Sendable {
    let scheme: String
    let port: Int

    private static let listOfCloudsSince = APIVersion("2019-05-01")

    func addRoutes(to router: Router<EmulatorRequestContext>) {
        router.get("metadata/endpoints") { request, _ in
            let host = request.head.authority ?? "127.0.0.1:\(self.port)"
            let base = "\(self.scheme)://\(host)/"
            let version = queryParameter("api-version", in: request).flatMap(APIVersion.init)
            // From 2019-05-01 the document is a list of clouds; before, one object without a name.
            if let version, let since = Self.listOfCloudsSince, version >= since {
                return jsonResponse(.ok, .array([self.cloud(base: base, named: true)]))
            }
            return jsonResponse(.ok, self.cloud(base: base, named: false))
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
        object.set("authentication", .object([
            "loginEndpoint": .string("https://login.microsoftonline.com/"),
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
