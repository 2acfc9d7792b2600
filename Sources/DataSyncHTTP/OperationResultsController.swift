import ARMConventions
import DataSyncHandlers
import DataSyncModel
import Foundation
import Hummingbird

/// The polling endpoints of long-running operations, in every URL shape the service has used. The
/// specification leaves polls unnamed; the inspector and metrics name them after their resource type.
struct OperationResultsController: Sendable {
    let handler: OperationHandler
    let responder: LongRunningResponder

    func addRoutes(to table: inout ARMRouteTable) {
        let scopes = [
            "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Sql/locations/{locationName}",
            "/subscriptions/{subscriptionId}/providers/Microsoft.Sql/locations/{locationName}",
        ]
        for scope in scopes {
            table.on(.get, scope + "/syncGroupOperationResults/{operationId}", "SyncGroupOperationResults_Get") { call in
                try await self.locationPoll(call, family: .syncGroup, type: "Microsoft.Sql/locations/syncGroupOperationResults")
            }
            table.on(.get, scope + "/syncMemberOperationResults/{operationId}", "SyncMemberOperationResults_Get") { call in
                try await self.locationPoll(call, family: .syncMember, type: "Microsoft.Sql/locations/syncMemberOperationResults")
            }
            table.on(.get, scope + "/syncAgentOperationResults/{operationId}", "SyncAgentOperationResults_Get") { call in
                try await self.locationPoll(call, family: .syncAgent, type: "Microsoft.Sql/locations/syncAgentOperationResults")
            }
            table.on(.get, scope + "/syncGroupAzureAsyncOperation/{operationId}", "SyncGroupAzureAsyncOperation_Get", self.asyncOperationPoll)
        }
        table.on(.get, SyncGroupController.group + "/refreshHubSchemaOperationResults/{operationId}", "RefreshHubSchemaOperationResults_Get") { call in
            try await self.locationPoll(
                call,
                family: .refreshHubSchema(try call.syncGroupPath()),
                type: "Microsoft.Sql/servers/databases/syncGroups/refreshHubSchemaOperationResults"
            )
        }
        table.on(.get, SyncMemberController.member + "/refreshSchemaOperationResults/{operationId}", "RefreshSchemaOperationResults_Get") { call in
            try await self.locationPoll(
                call,
                family: .refreshMemberSchema(try call.syncMemberPath()),
                type: "Microsoft.Sql/servers/databases/syncGroups/syncMembers/refreshSchemaOperationResults"
            )
        }
    }

    private func locationPoll(_ call: ARMCall, family: OperationFamily, type: String) async throws -> Response {
        let id = try Self.operationID(call, type: type)
        let (operation, progress) = try await self.handler.poll(id, family: family, notFoundType: type)
        return try self.responder.locationPoll(operation, progress: progress, call: call)
    }

    @Sendable private func asyncOperationPoll(_ call: ARMCall) async throws -> Response {
        let type = "Microsoft.Sql/locations/syncGroupAzureAsyncOperation"
        let id = try Self.operationID(call, type: type)
        let (operation, progress) = try await self.handler.poll(id, family: .syncGroup, notFoundType: type)
        return self.responder.asyncOperationPoll(operation, progress: progress, call: call)
    }

    private static func operationID(_ call: ARMCall, type: String) throws -> UUID {
        let text = call.parameters["operationId"] ?? ""
        guard let id = UUID(canonical: text) else {
            throw DataSyncError.operationNotFound(type: type, id: text)
        }
        return id
    }
}
