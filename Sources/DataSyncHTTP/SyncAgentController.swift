import ARMConventions
import DataSyncHandlers
import DataSyncModel
import Foundation
import Hummingbird

/// The sync agent routes (`SyncAgents_*`): decode, call ``SyncAgentHandler``, render.
struct SyncAgentController: Sendable {
    let handler: SyncAgentHandler
    let responder: LongRunningResponder
    let pages: RenderedPages
    private let bodies = RenderedBodies<SyncAgent>()

    static let server = "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Sql/servers/{serverName}"
    static let agent = server + "/syncAgents/{syncAgentName}"

    func addRoutes(to table: inout ARMRouteTable) {
        let versions = ServedAPIVersions.syncAgents
        table.on(.get, Self.server + "/syncAgents", "SyncAgents_ListByServer", versions: versions, self.listByServer)
        table.on(.get, Self.agent, "SyncAgents_Get", versions: versions, self.get)
        table.on(.put, Self.agent, "SyncAgents_CreateOrUpdate", versions: versions, self.createOrUpdate)
        table.on(.delete, Self.agent, "SyncAgents_Delete", versions: versions, self.delete)
        table.on(.post, Self.agent + "/generateKey", "SyncAgents_GenerateKey", versions: versions, self.generateKey)
        table.on(.get, Self.agent + "/linkedDatabases", "SyncAgents_ListLinkedDatabases", versions: versions, self.listLinkedDatabases)
    }

    @Sendable func listByServer(_ call: ARMCall) async throws -> Response {
        let server = try call.serverPath()
        return try await self.pages.response(call) {
            let page = try await self.handler.list(on: server, pageToken: call.query("$skipToken"))
            let wire = Wire(call.apiVersion)
            return Wire.list(page.items.map { wire.agent($0, view: .get) }, nextLink: nextLink(call, page.nextToken))
        }
    }

    @Sendable func get(_ call: ARMCall) async throws -> Response {
        self.bodies.response(call, try await self.handler.get(try call.syncAgentPath())) { $0.agent($1, view: .get) }
    }

    @Sendable func createOrUpdate(_ call: ARMCall) async throws -> Response {
        let path = try call.syncAgentPath()
        let body = try await call.jsonBody()
        let syncDatabaseID = try WireDecoder(features: call.features).agentSyncDatabaseID(body)
        guard let body, !body.isEmpty else { throw DataSyncError.emptyRequestBody(.syncAgent) }
        let operation = try await self.handler.createOrUpdate(path, syncDatabaseID: syncDatabaseID, operationID: call.operationID)
        return try self.responder.accepted(operation, call: call)
    }

    @Sendable func delete(_ call: ARMCall) async throws -> Response {
        guard let operation = try await self.handler.delete(try call.syncAgentPath(), operationID: call.operationID) else {
            return emptyResponse(.noContent)
        }
        return try self.responder.accepted(operation, call: call)
    }

    @Sendable func generateKey(_ call: ARMCall) async throws -> Response {
        let key = try await self.handler.generateKey(try call.syncAgentPath())
        return jsonResponse(.ok, .object(["syncAgentKey": .string(key)]))
    }

    @Sendable func listLinkedDatabases(_ call: ARMCall) async throws -> Response {
        let page = try await self.handler.listLinkedDatabases(try call.syncAgentPath(), pageToken: call.query("$skipToken"))
        let wire = Wire(call.apiVersion)
        return jsonResponse(.ok, Wire.list(page.items.map(wire.linkedDatabase), nextLink: nextLink(call, page.nextToken)))
    }
}
