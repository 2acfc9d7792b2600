import DataSyncEngine
import DataSyncModel
import DataSyncStore
import Foundation

/// The semantics of the sync member operations, transport-agnostic.
public struct SyncMemberHandler: Sendable {
    let environment: HandlerEnvironment

    public init(environment: HandlerEnvironment) {
        self.environment = environment
    }

    /// `SyncMembers_Get`.
    public func get(_ path: SyncMemberPath) async throws -> SyncMember {
        let store = self.environment.store
        guard try store.group(path.group) != nil else { throw DataSyncError.syncGroupNotFound(path.group.name) }
        guard let member = try store.member(path) else { throw DataSyncError.syncMemberNotFound(path.name) }
        return member
    }

    /// `SyncMembers_ListBySyncGroup`.
    public func list(in group: SyncGroupPath, pageToken: String?) async throws -> Page<SyncMember> {
        let all = try await self.environment.store.read { reader in
            _ = try SyncGroupHandler.existing(group, in: reader)
            return try reader.members(in: group)
        }
        return try Page.slicing(all, size: listPageSize, token: pageToken)
    }

    /// `SyncMembers_CreateOrUpdate`: creates the member or replaces its writable properties.
    public func createOrUpdate(
        _ path: SyncMemberPath,
        settings: SyncMemberSettings,
        operationID: UUID
    ) async throws -> LongRunningOperation {
        try Self.validate(settings)
        let environment = self.environment
        return try await environment.store.write { store in
            let group = try SyncGroupHandler.existing(path.group, in: store.reader)
            let existing = try store.reader.member(path)
            var member = existing ?? SyncMember(
                path: SyncMemberPath(group: group.path, name: path.name),
                settings: settings,
                createdAt: environment.clock.now
            )
            member.settings = settings
            // A PUT that repeats the member as it is (retries, declarative tools) changes no row: its
            // encoding and update were a tenth of a durable PUT's CPU, inside the serialised write.
            if member != existing { try store.save(member) }
            try Self.provision(member, in: group, environment: environment, store: store)
            let operation = environment.operation(
                id: operationID,
                server: path.group.database.server,
                result: .memberUpserted(member, created: existing == nil)
            )
            try store.save(operation)
            return operation
        }
    }

    /// `SyncMembers_Update`: merges the given properties into the member.
    public func patch(
        _ path: SyncMemberPath,
        patch: SyncMemberSettings,
        operationID: UUID
    ) async throws -> LongRunningOperation {
        guard patch != SyncMemberSettings() else { throw DataSyncError.emptyRequestBody(.syncMember) }
        try Self.validate(patch)
        let environment = self.environment
        return try await environment.store.write { store in
            var member = try Self.existing(path, in: store.reader)
            member.settings.merge(patch)
            try store.save(member)
            try Self.provision(member, in: try SyncGroupHandler.existing(path.group, in: store.reader), environment: environment, store: store)
            let operation = environment.operation(
                id: operationID,
                server: path.group.database.server,
                result: .memberPatched(member, patch: patch)
            )
            try store.save(operation)
            return operation
        }
    }

    /// `SyncMembers_Delete`. `nil` when there was nothing to delete.
    public func delete(_ path: SyncMemberPath, operationID: UUID) async throws -> LongRunningOperation? {
        let environment = self.environment
        return try await environment.store.write { store in
            guard let member = try store.reader.member(path) else { return nil }
            try store.deleteMember(member.path)
            environment.dataPlane.deprovision(member: member)
            if var group = try store.reader.group(path.group) {
                group.syncState = Provisioning.readiness(group, members: try store.reader.members(in: group.path))
                try store.save(group)
            }
            let operation = environment.operation(
                id: operationID,
                server: path.group.database.server,
                result: .memberDeleted(member.path)
            )
            try store.save(operation)
            return operation
        }
    }

    /// `SyncMembers_RefreshMemberSchema`: a long-running read of the member's catalogue.
    public func refreshSchema(_ path: SyncMemberPath, operationID: UUID) async throws -> LongRunningOperation {
        let environment = self.environment
        return try await environment.store.write { store in
            let member = try Self.existing(path, in: store.reader)
            try refreshDatabaseSchema(
                of: { try DataPlane.memberKey(member) },
                ownerID: member.path.id,
                source: memberSource(member),
                group: member.path.group,
                tracingID: operationID,
                environment: environment,
                store: store
            )
            let operation = environment.operation(
                id: operationID,
                server: path.group.database.server,
                result: .memberSchemaRefreshed(member.path)
            )
            try store.save(operation)
            return operation
        }
    }

    /// `SyncMembers_ListMemberSchemas`: empty until a refresh has run.
    public func listSchemas(_ path: SyncMemberPath) async throws -> [DatabaseSchema] {
        try await self.environment.store.read { reader in
            let member = try Self.existing(path, in: reader)
            return try reader.schema(ownerID: member.path.id).map { [$0] } ?? []
        }
    }

    /// Provisions a member added to (or changed in) a group whose schema is set, and updates the group's
    /// readiness.
    static func provision(_ member: SyncMember, in group: SyncGroup, environment: HandlerEnvironment, store: StoreWriter) throws {
        var updated = group
        try Provisioning.apply(to: &updated, members: [member], environment: environment, store: store)
        if updated.syncState != group.syncState { try store.save(updated) }
    }

    static func existing(_ path: SyncMemberPath, in reader: StoreReader) throws -> SyncMember {
        _ = try SyncGroupHandler.existing(path.group, in: reader)
        guard let member = try reader.member(path) else { throw DataSyncError.syncMemberNotFound(path.name) }
        return member
    }

    static func validate(_ settings: SyncMemberSettings) throws {
        if let id = settings.syncAgentID, SyncAgentPath(armID: id) == nil {
            throw DataSyncError.invalidSyncAgentResourceID
        }
        if let id = settings.syncMemberAzureDatabaseResourceID, !id.isEmpty, DatabasePath(armID: id) == nil {
            throw DataSyncError.invalidDatabaseResourceID
        }
    }
}
