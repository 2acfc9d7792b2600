import ARMConventions
import DataSyncHandlers
import DataSyncModel
import Foundation
import Hummingbird

/// The sync member routes (`SyncMembers_*`): decode, call ``SyncMemberHandler``, render.
struct SyncMemberController: Sendable {
    let handler: SyncMemberHandler
    let responder: LongRunningResponder
    let pages: RenderedPages
    private let bodies = RenderedBodies<SyncMember>()

    static let member = SyncGroupController.group + "/syncMembers/{syncMemberName}"

    func addRoutes(to table: inout ARMRouteTable) {
        table.on(.get, SyncGroupController.group + "/syncMembers", "SyncMembers_ListBySyncGroup", self.listBySyncGroup)
        table.on(.get, Self.member, "SyncMembers_Get", self.get)
        table.on(.put, Self.member, "SyncMembers_CreateOrUpdate", self.createOrUpdate)
        table.on(.patch, Self.member, "SyncMembers_Update", self.update)
        table.on(.delete, Self.member, "SyncMembers_Delete", self.delete)
        table.on(.post, Self.member + "/refreshSchema", "SyncMembers_RefreshMemberSchema", self.refreshMemberSchema)
        table.on(.get, Self.member + "/schemas", "SyncMembers_ListMemberSchemas", self.listMemberSchemas)
    }

    @Sendable func listBySyncGroup(_ call: ARMCall) async throws -> Response {
        let group = try call.syncGroupPath()
        return try await self.pages.response(call) {
            let page = try await self.handler.list(in: group, pageToken: call.query("$skipToken"))
            let wire = Wire(call.apiVersion)
            return Wire.list(page.items.map { wire.member($0, view: .get) }, nextLink: nextLink(call, page.nextToken))
        }
    }

    @Sendable func get(_ call: ARMCall) async throws -> Response {
        self.bodies.response(call, try await self.handler.get(try call.syncMemberPath())) { $0.member($1, view: .get) }
    }

    @Sendable func createOrUpdate(_ call: ARMCall) async throws -> Response {
        let path = try call.syncMemberPath()
        let decoder = WireDecoder(features: call.features)
        let settings = try await decoder.decoding(try await call.jsonBody(), with: decoder.memberSettings)
        guard settings != SyncMemberSettings() else { throw DataSyncError.emptyRequestBody(.syncMember) }
        let operation = try await self.handler.createOrUpdate(path, settings: settings, operationID: call.operationID)
        return try self.responder.accepted(operation, call: call)
    }

    @Sendable func update(_ call: ARMCall) async throws -> Response {
        let path = try call.syncMemberPath()
        let decoder = WireDecoder(features: call.features)
        let patch = try await decoder.decoding(try await call.jsonBody(), with: decoder.memberSettings)
        let operation = try await self.handler.patch(path, patch: patch, operationID: call.operationID)
        return try self.responder.accepted(operation, call: call)
    }

    @Sendable func delete(_ call: ARMCall) async throws -> Response {
        guard let operation = try await self.handler.delete(try call.syncMemberPath(), operationID: call.operationID) else {
            return emptyResponse(.noContent)
        }
        return try self.responder.accepted(operation, call: call)
    }

    @Sendable func refreshMemberSchema(_ call: ARMCall) async throws -> Response {
        let operation = try await self.handler.refreshSchema(try call.syncMemberPath(), operationID: call.operationID)
        return try self.responder.accepted(operation, call: call, forceAsync: true)
    }

    @Sendable func listMemberSchemas(_ call: ARMCall) async throws -> Response {
        let schemas = try await self.handler.listSchemas(try call.syncMemberPath())
        let wire = Wire(call.apiVersion)
        return jsonResponse(.ok, wire.schemaList(schemas))
    }
}
