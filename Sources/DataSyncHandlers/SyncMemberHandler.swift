import DataSyncEngine
import DataSyncModel
import DataSyncStore
import Foundation
import Logging

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
        let decision = try await environment.store.write { store -> MemberWrite in
            let group = try SyncGroupHandler.existing(path.group, in: store.reader)
            let existing = try store.reader.member(path)
            var member = existing ?? SyncMember(
                path: SyncMemberPath(group: group.path, name: path.name),
                settings: settings,
                createdAt: environment.clock.now
            )
            member.settings = settings
            let created = existing == nil
            return try Self.decide(member, was: existing, in: group, operationID: operationID, environment: environment, store: store) {
                .memberUpserted($0, created: created)
            }
        }
        return try await self.finish(decision)
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
        let decision = try await environment.store.write { store -> MemberWrite in
            let existing = try Self.existing(path, in: store.reader)
            var member = existing
            member.settings.merge(patch)
            let group = try SyncGroupHandler.existing(path.group, in: store.reader)
            return try Self.decide(member, was: existing, in: group, operationID: operationID, environment: environment, store: store) {
                .memberPatched($0, patch: patch)
            }
        }
        return try await self.finish(decision)
    }

    /// A member write decided in one store write: finished there, or waiting for provisioning.
    enum MemberWrite: Sendable {
        case done(LongRunningOperation)
        case provision(Pending)

        struct Pending: Sendable {
            var group: SyncGroup
            var tables: [SyncTable]
            /// The member as saved, `Provisioning`.
            var member: SyncMember
            /// The member before the write; `nil` when the write creates it.
            var previous: SyncMember?
            /// The running operation, finished by the commit.
            var operation: LongRunningOperation
        }
    }

    /// Saves `member` and its operation. When the group's schema selects tables and the member is not yet
    /// provisioned for its database, the member is saved `Provisioning` and the operation running.
    static func decide(
        _ member: SyncMember,
        was existing: SyncMember?,
        in group: SyncGroup,
        operationID: UUID,
        environment: HandlerEnvironment,
        store: StoreWriter,
        result: @escaping @Sendable (SyncMember) -> OperationResult
    ) throws -> MemberWrite {
        let server = group.path.database.server
        guard Provisioning.memberNeedsProvisioning(member, was: existing), let tables = try Provisioning.tables(of: group, in: store.reader) else {
            // A PUT that repeats the member as it is (retries, declarative tools) changes no row, and
            // spends nothing inside the serialised write.
            if member != existing { try store.save(member) }
            // `group` was read in this write, which saves no group before here.
            try Provisioning.updateReadiness(of: group, store: store)
            return .done(try environment.record(operationID, server: server, result: result(member), in: store))
        }
        let marked = try Provisioning.begin([member], store: store)[0]
        let operation = try environment.record(operationID, server: server, result: result(marked), progress: .running, in: store)
        return .provision(MemberWrite.Pending(group: group, tables: tables, member: marked, previous: existing, operation: operation))
    }

    /// The operation of a member write, once any provisioning it decided on is done.
    /// - Throws: the hub's failure, after putting the member back as it was.
    func finish(_ decision: MemberWrite) async throws -> LongRunningOperation {
        switch decision {
        case .done(let operation): return operation
        case .provision(let pending): return try await self.provision(pending)
        }
    }

    /// Provisions a pending member outside the store's write, then commits its state and its operation.
    private func provision(_ pending: MemberWrite.Pending) async throws -> LongRunningOperation {
        let environment = self.environment
        let outcome = await environment.executor.provision(
            group: pending.group,
            tables: pending.tables,
            members: [pending.member],
            now: environment.clock.now
        )
        let operation = try await environment.store.write { store -> LongRunningOperation in
            var operation = pending.operation
            switch outcome {
            case .hubFailed(let error):
                if let previous = pending.previous {
                    try Provisioning.undo([previous], store: store)
                } else {
                    try store.deleteMember(pending.member.path)
                }
                operation.progress = .failed(error)
            case .provisioned(let outcomes):
                try Provisioning.commit(outcomes, group: pending.group.path, now: environment.clock.now, store: store)
                try Provisioning.updateReadiness(of: pending.group.path, store: store)
                let member = try store.reader.member(pending.member.path) ?? pending.member
                operation.result = operation.result.replacingMember(member)
                operation.progress = .succeeded
            }
            try store.save(operation)
            return operation
        }
        // The undo and the failed operation are committed; the client hears of the failure directly.
        if case .failed(let error) = operation.progress { throw error }
        return operation
    }

    /// `SyncMembers_Delete`. `nil` when there was nothing to delete. A member that holds tracking is
    /// `DeProvisioning` while its databases are cleaned; when that fails, it stays, `DeProvisionFailed`, and
    /// the operation fails with the reason (a second delete tries again).
    public func delete(_ path: SyncMemberPath, operationID: UUID) async throws -> LongRunningOperation? {
        let environment = self.environment
        let server = path.group.database.server
        let pending = try await environment.store.write { store -> MemberDelete? in
            guard let member = try store.reader.member(path) else { return nil }
            var lifecycle = MemberLifecycle(member.syncState)
            let actions = try lifecycle.handle(.deleteRequested)
            guard actions.contains(.deprovision) else {
                try store.deleteMember(member.path)
                try Provisioning.updateReadiness(of: member.path.group, store: store)
                return .done(try environment.record(operationID, server: server, result: .memberDeleted(member.path), in: store))
            }
            var marked = member
            marked.syncState = lifecycle.state
            try store.save(marked)
            let operation = try environment.record(operationID, server: server, result: .memberDeleted(member.path), progress: .running, in: store)
            return .deprovision(marked, operation)
        }
        switch pending {
        case nil: return nil
        case .done(let operation): return operation
        case .deprovision(let member, let operation): return try await self.finishDelete(member, operation: operation)
        }
    }

    /// A member delete decided in one store write: finished there, or waiting for deprovisioning.
    enum MemberDelete: Sendable {
        case done(LongRunningOperation)
        case deprovision(SyncMember, LongRunningOperation)
    }

    /// Removes a `DeProvisioning` member's tracking, then commits its removal (or its failure) and the
    /// operation.
    func finishDelete(_ member: SyncMember, operation: LongRunningOperation) async throws -> LongRunningOperation {
        let environment = self.environment
        let failure = await environment.executor.deprovision(member: member)
        if let failure {
            environment.logger.error("deprovisioning \(member.path.id) failed: \(failure)")
        }
        return try await environment.store.write { store in
            var operation = operation
            var lifecycle = MemberLifecycle(.deProvisioning)
            let actions = try lifecycle.handle(failure.map { .deprovisioningFailed(reason: $0) } ?? .deprovisioned)
            if actions.contains(.deleteRecord) {
                try store.deleteMember(member.path)
                operation.progress = .succeeded
            } else if var current = try store.reader.member(member.path) {
                current.syncState = lifecycle.state
                try store.save(current)
                try writeLogs(actions, of: current, now: environment.clock.now, store: store)
                operation.progress = .failed(.genericFailure("deprovisioning the member database failed: \(failure ?? "")"))
            }
            try Provisioning.updateReadiness(of: member.path.group, store: store)
            try store.save(operation)
            return operation
        }
    }

    /// `SyncMembers_RefreshMemberSchema`: a long-running read of the member's catalogue.
    public func refreshSchema(_ path: SyncMemberPath, operationID: UUID) async throws -> LongRunningOperation {
        let environment = self.environment
        let member = try await environment.store.read { try Self.existing(path, in: $0) }
        return try await refreshDatabaseSchema(
            of: { try DataPlane.memberKey(member) },
            ownerID: member.path.id,
            source: memberSource(member),
            group: member.path.group,
            operationID: operationID,
            result: .memberSchemaRefreshed(member.path),
            environment: environment
        )
    }

    /// `SyncMembers_ListMemberSchemas`: empty until a refresh has run.
    public func listSchemas(_ path: SyncMemberPath) async throws -> [DatabaseSchema] {
        try await self.environment.store.read { reader in
            let member = try Self.existing(path, in: reader)
            return try reader.schema(ownerID: member.path.id).map { [$0] } ?? []
        }
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
