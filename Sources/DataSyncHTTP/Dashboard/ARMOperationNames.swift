import Foundation
import HTTPTypes

/// Names each ARM request by the operation id of the REST specification (`SyncGroups_TriggerSync`), so the
/// request inspector and metrics speak the contract's language rather than raw paths.
///
/// The route table matches requests to handlers but not to names; this table repeats its templates
/// (the controllers' own constants) with the names. Polls of long-running operations, which the
/// specification leaves unnamed, are named after their resource type.
enum ARMOperationNames {
    private struct Entry {
        let method: HTTPRequest.Method
        let segments: [String?]
        let name: String
    }

    private static let entries: [Entry] = {
        let group = SyncGroupController.group
        let member = SyncMemberController.member
        let agent = SyncAgentController.agent
        let locations = [
            "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Sql/locations/{locationName}",
            "/subscriptions/{subscriptionId}/providers/Microsoft.Sql/locations/{locationName}",
        ]
        var table: [(HTTPRequest.Method, String, String)] = [
            (.get, "/subscriptions/{subscriptionId}/providers/Microsoft.Sql/locations/{locationName}/syncDatabaseIds", "SyncGroups_ListSyncDatabaseIds"),
            (.get, SyncGroupController.database + "/syncGroups", "SyncGroups_ListByDatabase"),
            (.get, group, "SyncGroups_Get"),
            (.put, group, "SyncGroups_CreateOrUpdate"),
            (.patch, group, "SyncGroups_Update"),
            (.delete, group, "SyncGroups_Delete"),
            (.post, group + "/cancelSync", "SyncGroups_CancelSync"),
            (.post, group + "/triggerSync", "SyncGroups_TriggerSync"),
            (.post, group + "/refreshHubSchema", "SyncGroups_RefreshHubSchema"),
            (.get, group + "/hubSchemas", "SyncGroups_ListHubSchemas"),
            (.get, group + "/logs", "SyncGroups_ListLogs"),
            (.get, group + "/syncMembers", "SyncMembers_ListBySyncGroup"),
            (.get, member, "SyncMembers_Get"),
            (.put, member, "SyncMembers_CreateOrUpdate"),
            (.patch, member, "SyncMembers_Update"),
            (.delete, member, "SyncMembers_Delete"),
            (.post, member + "/refreshSchema", "SyncMembers_RefreshMemberSchema"),
            (.get, member + "/schemas", "SyncMembers_ListMemberSchemas"),
            (.get, SyncAgentController.server + "/syncAgents", "SyncAgents_ListByServer"),
            (.get, agent, "SyncAgents_Get"),
            (.put, agent, "SyncAgents_CreateOrUpdate"),
            (.delete, agent, "SyncAgents_Delete"),
            (.post, agent + "/generateKey", "SyncAgents_GenerateKey"),
            (.get, agent + "/linkedDatabases", "SyncAgents_ListLinkedDatabases"),
            (.get, group + "/refreshHubSchemaOperationResults/{operationId}", "RefreshHubSchemaOperationResults_Get"),
            (.get, member + "/refreshSchemaOperationResults/{operationId}", "RefreshSchemaOperationResults_Get"),
        ]
        for scope in locations {
            table.append((.get, scope + "/syncGroupOperationResults/{operationId}", "SyncGroupOperationResults_Get"))
            table.append((.get, scope + "/syncMemberOperationResults/{operationId}", "SyncMemberOperationResults_Get"))
            table.append((.get, scope + "/syncAgentOperationResults/{operationId}", "SyncAgentOperationResults_Get"))
            table.append((.get, scope + "/syncGroupAzureAsyncOperation/{operationId}", "SyncGroupAzureAsyncOperation_Get"))
        }
        return table.map { method, template, name in
            Entry(
                method: method,
                segments: template.split(separator: "/").map { $0.hasPrefix("{") ? nil : $0.lowercased() },
                name: name
            )
        }
    }()

    /// The name given to an ARM request that matches no operation (it is answered 404 or 405).
    static let unknown = "Unknown"

    /// The operation id of `method` on `path`; ``unknown`` for an ARM path that matches none, and `nil`
    /// outside the ARM namespace (the control API, the dashboard), which is not recorded.
    static func classify(_ method: HTTPRequest.Method, _ path: String) -> String? {
        guard ARMRouteTable.isARMPath(path) else { return nil }
        let segments = path.split(separator: "/").map { $0.lowercased() }
        let entry = self.entries.first { entry in
            entry.method == method && entry.segments.count == segments.count
                && zip(entry.segments, segments).allSatisfy { expected, actual in expected.map { $0 == actual } ?? true }
        }
        return entry?.name ?? self.unknown
    }
}
