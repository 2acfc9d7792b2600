import ARMConventions
import DataSyncModel
import DataSyncStore
import EmulatorIdentity
import Foundation
import Hummingbird

/// The Azure Resource Manager reads around Data Sync that generic clients make first: the subscription
/// list `az login` keeps, a subscription, a resource group (`az resource create` reads its location),
/// and the `Microsoft.Sql` provider (`az resource show` picks its api-version there).
///
/// Subscriptions and resource groups exist implicitly in the emulator, as they do for its Data Sync
/// paths: any well-formed subscription id reads as an enabled subscription, any resource group as one in
/// the emulator's location.
struct ResourceManagerController: Sendable {
    let store: StateStore
    let location: String

    /// The subscription listed even on an empty emulator, so that signing in always finds one: the one the
    /// README's examples use.
    static let defaultSubscription = "00000000-1111-2222-3333-444444444444"

    func addRoutes(to table: inout ARMRouteTable) {
        let subscription = "/subscriptions/{subscriptionId}"
        table.on(.get, "/subscriptions", "Subscriptions_List", versions: ServedAPIVersions.subscriptions, self.list)
        table.on(.get, subscription, "Subscriptions_Get", versions: ServedAPIVersions.subscriptions, self.get)
        table.on(
            .get, subscription + "/resourcegroups/{resourceGroupName}", "ResourceGroups_Get",
            versions: ServedAPIVersions.resources, self.resourceGroup
        )
        table.on(
            .get, subscription + "/providers/{resourceProviderNamespace}", "Providers_Get",
            versions: ServedAPIVersions.resources, self.provider
        )
    }

    @Sendable func list(_ call: ARMCall) async throws -> Response {
        let known = try await self.store.read { try $0.subscriptionKeys() }
        let ids = [Self.defaultSubscription] + known.filter { $0 != Self.defaultSubscription }
        return jsonResponse(.ok, .object([
            "value": .array(ids.map(Self.subscription)),
            "count": .object(["type": .string("Total"), "value": .integer(Int64(ids.count))]),
        ]))
    }

    @Sendable func get(_ call: ARMCall) async throws -> Response {
        jsonResponse(.ok, Self.subscription(try Self.subscriptionID(call)))
    }

    @Sendable func resourceGroup(_ call: ARMCall) async throws -> Response {
        let subscription = try Self.subscriptionID(call)
        let name = try call.name("resourceGroupName", .resourceGroup)
        return jsonResponse(.ok, .object([
            "id": .string("/subscriptions/\(subscription)/resourceGroups/\(name)"),
            "name": .string("\(name)"),
            "type": .string("Microsoft.Resources/resourceGroups"),
            "location": .string(self.location),
            "properties": .object(["provisioningState": .string("Succeeded")]),
        ]))
    }

    @Sendable func provider(_ call: ARMCall) async throws -> Response {
        let subscription = try Self.subscriptionID(call)
        let namespace = call.parameters["resourceProviderNamespace"] ?? ""
        guard namespace.lowercased() == "microsoft.sql" else {
            throw ARMError(
                status: .notFound,
                code: "InvalidResourceNamespace",
                message: "The resource namespace '\(namespace)' is invalid."
            )
        }
        let types: [JSONValue] = (ServedAPIVersions.parentTypes + ServedAPIVersions.byResourceType).map { type, versions in
            .object([
                "resourceType": .string(String(type.dropFirst("Microsoft.Sql/".count))),
                "locations": .array([.string(self.location)]),
                "apiVersions": .array(versions.sorted(by: >).map { .string($0.rawValue) }),
            ])
        }
        return jsonResponse(.ok, .object([
            "id": .string("/subscriptions/\(subscription)/providers/Microsoft.Sql"),
            "namespace": .string("Microsoft.Sql"),
            "registrationState": .string("Registered"),
            "registrationPolicy": .string("RegistrationRequired"),
            "resourceTypes": .array(types),
        ]))
    }

    /// The subscription id of the path, lowercased.
    /// - Throws: ARM's `InvalidSubscriptionId` when it is not a GUID.
    private static func subscriptionID(_ call: ARMCall) throws -> String {
        let subscription = call.parameters["subscriptionId"] ?? ""
        guard let id = UUID(canonical: subscription) else { throw ARMError.invalidSubscriptionID(subscription) }
        return id.uuidString.lowercased()
    }

    private static func subscription(_ id: String) -> JSONValue {
        .object([
            "id": .string("/subscriptions/\(id)"),
            "authorizationSource": .string("RoleBased"),
            "managedByTenants": .array([]),
            "subscriptionId": .string(id),
            "tenantId": .string(EmulatorTenant.id),
            "displayName": .string(id == defaultSubscription ? "Data Sync Emulator" : "Data Sync Emulator \(id.prefix(8))"),
            "state": .string("Enabled"),
            "subscriptionPolicies": .object([
                "locationPlacementId": .string("Public_2014-09-01"),
                "quotaId": .string("PayAsYouGo_2014-09-01"),
                "spendingLimit": .string("Off"),
            ]),
        ])
    }
}
