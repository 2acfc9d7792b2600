import ARMConventions
import DataSyncHandlers
import DataSyncModel
import Foundation
import Hummingbird

/// The sync group routes (`SyncGroups_*`): decode, call ``SyncGroupHandler``, render.
struct SyncGroupController: Sendable {
    let handler: SyncGroupHandler
    let responder: LongRunningResponder
    let pages: RenderedPages
    private let bodies = RenderedBodies<SyncGroup>()

    static let database = "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Sql/servers/{serverName}/databases/{databaseName}"
    static let group = database + "/syncGroups/{syncGroupName}"

    func addRoutes(to table: inout ARMRouteTable) {
        table.on(.get, "/subscriptions/{subscriptionId}/providers/Microsoft.Sql/locations/{locationName}/syncDatabaseIds", "SyncGroups_ListSyncDatabaseIds", self.listSyncDatabaseIDs)
        table.on(.get, Self.database + "/syncGroups", "SyncGroups_ListByDatabase", self.listByDatabase)
        table.on(.get, Self.group, "SyncGroups_Get", self.get)
        table.on(.put, Self.group, "SyncGroups_CreateOrUpdate", self.createOrUpdate)
        table.on(.patch, Self.group, "SyncGroups_Update", self.update)
        table.on(.delete, Self.group, "SyncGroups_Delete", self.delete)
        table.on(.post, Self.group + "/cancelSync", "SyncGroups_CancelSync", self.cancelSync)
        table.on(.post, Self.group + "/triggerSync", "SyncGroups_TriggerSync", self.triggerSync)
        table.on(.post, Self.group + "/refreshHubSchema", "SyncGroups_RefreshHubSchema", self.refreshHubSchema)
        table.on(.get, Self.group + "/hubSchemas", "SyncGroups_ListHubSchemas", self.listHubSchemas)
        table.on(.get, Self.group + "/logs", "SyncGroups_ListLogs", self.listLogs)
    }

    @Sendable func listSyncDatabaseIDs(_ call: ARMCall) async throws -> Response {
        let subscription = try call.name("subscriptionId", .subscription)
        let location = try call.name("locationName", .location)
        let ids = try await self.handler.listSyncDatabaseIDs(subscriptionID: subscription, location: location.value)
        return jsonResponse(.ok, Wire.list(ids.map { .object(["id": .string($0)]) }, nextLink: nil))
    }

    @Sendable func listByDatabase(_ call: ARMCall) async throws -> Response {
        let database = try call.databasePath()
        return try await self.pages.response(call) {
            let page = try await self.handler.list(in: database, pageToken: call.query("$skipToken"))
            let wire = Wire(call.apiVersion)
            return Wire.list(page.items.map { wire.group($0, view: .get) }, nextLink: nextLink(call, page.nextToken))
        }
    }

    @Sendable func get(_ call: ARMCall) async throws -> Response {
        self.bodies.response(call, try await self.handler.get(try call.syncGroupPath())) { $0.group($1, view: .get) }
    }

    @Sendable func createOrUpdate(_ call: ARMCall) async throws -> Response {
        let path = try call.syncGroupPath()
        let decoder = WireDecoder(features: call.features)
        let settings = try await decoder.decoding(try await call.jsonBody(), with: decoder.groupSettings)
        guard settings != SyncGroupSettings() else { throw DataSyncError.emptyRequestBody(.syncGroup) }
        let operation = try await self.handler.createOrUpdate(path, settings: settings, operationID: call.operationID)
        return try self.responder.accepted(operation, call: call)
    }

    @Sendable func update(_ call: ARMCall) async throws -> Response {
        let path = try call.syncGroupPath()
        let decoder = WireDecoder(features: call.features)
        let patch = try await decoder.decoding(try await call.jsonBody(), with: decoder.groupSettings)
        let operation = try await self.handler.patch(path, patch: patch, operationID: call.operationID)
        return try self.responder.accepted(operation, call: call)
    }

    @Sendable func delete(_ call: ARMCall) async throws -> Response {
        guard let operation = try await self.handler.delete(try call.syncGroupPath(), operationID: call.operationID) else {
            return emptyResponse(.noContent)
        }
        return try self.responder.accepted(operation, call: call)
    }

    @Sendable func cancelSync(_ call: ARMCall) async throws -> Response {
        try await self.handler.cancelSync(try call.syncGroupPath())
        return emptyResponse(.ok)
    }

    @Sendable func triggerSync(_ call: ARMCall) async throws -> Response {
        try await self.handler.triggerSync(try call.syncGroupPath())
        return emptyResponse(.ok)
    }

    @Sendable func refreshHubSchema(_ call: ARMCall) async throws -> Response {
        let operation = try await self.handler.refreshHubSchema(try call.syncGroupPath(), operationID: call.operationID)
        return try self.responder.accepted(operation, call: call, forceAsync: true)
    }

    @Sendable func listHubSchemas(_ call: ARMCall) async throws -> Response {
        let schemas = try await self.handler.listHubSchemas(try call.syncGroupPath())
        let wire = Wire(call.apiVersion)
        return jsonResponse(.ok, wire.schemaList(schemas))
    }

    @Sendable func listLogs(_ call: ARMCall) async throws -> Response {
        let path = try call.syncGroupPath()
        let start = try Self.time(call, "startTime")
        let end = try Self.time(call, "endTime")
        guard let typeText = call.query("type") else {
            throw DataSyncError.invalidParameterValue("type", "is required: one of 'All', 'Error', 'Warning', 'Success'.")
        }
        guard let type = SyncLogType.allCases.first(where: { $0.rawValue.lowercased() == typeText.lowercased() }) else {
            throw DataSyncError.invalidParameterValue("type", "must be one of 'All', 'Error', 'Warning', 'Success'; got '\(typeText)'.")
        }
        let page = try await self.handler.listLogs(
            path,
            start: start,
            end: end,
            type: type,
            continuation: call.query("continuationToken")
        )
        let wire = Wire(call.apiVersion)
        let next = page.nextToken.map { nextURL(call, replacing: "continuationToken", with: $0) }
        return jsonResponse(.ok, Wire.list(page.items.map(wire.logEntry), nextLink: next))
    }

    private static func time(_ call: ARMCall, _ name: String) throws -> Date {
        guard let text = call.query(name) else {
            throw DataSyncError.invalidParameterValue(name, "is required.")
        }
        guard let date = WireDate.parse(text) else {
            throw DataSyncError.invalidParameterValue(name, "must be an ISO 8601 date and time; got '\(text)'.")
        }
        return date
    }
}
