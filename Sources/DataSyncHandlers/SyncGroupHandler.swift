import DataSyncEngine
import DataSyncModel
import DataSyncStore
import Foundation
import Logging

/// The semantics of the sync group operations, transport-agnostic.
public struct SyncGroupHandler: Sendable {
    let environment: HandlerEnvironment
    let coordinator: SyncCoordinator

    public init(environment: HandlerEnvironment, coordinator: SyncCoordinator) {
        self.environment = environment
        self.coordinator = coordinator
    }

    /// `SyncGroups_Get`.
    public func get(_ path: SyncGroupPath) async throws -> SyncGroup {
        guard let group = try self.environment.store.group(path) else { throw DataSyncError.syncGroupNotFound(path.name) }
        return group
    }

    /// `SyncGroups_ListByDatabase`.
    public func list(in database: DatabasePath, pageToken: String?) async throws -> Page<SyncGroup> {
        let all = try await self.environment.store.read { try $0.groups(in: database) }
        return try Page.slicing(all, size: listPageSize, token: pageToken)
    }

    /// `SyncGroups_CreateOrUpdate`: creates the group or replaces its writable properties.
    public func createOrUpdate(
        _ path: SyncGroupPath,
        settings: SyncGroupSettings,
        operationID: UUID
    ) async throws -> LongRunningOperation {
        try Self.validate(settings)
        let environment = self.environment
        return try await self.writeGroup(operationID: operationID, server: path.database.server) { store in
            let existing = try store.reader.group(path)
            try Self.checkSyncDatabase(settings.syncDatabaseID, for: path, in: store.reader)
            var group = existing ?? SyncGroup(path: path, settings: settings, createdAt: environment.clock.now)
            if let existing {
                group.path.name = existing.path.name
                group.settings = settings
            }
            group.scheduledFrom = environment.clock.now
            let created = existing == nil
            return (group, settings.schema, { .groupUpserted($0, created: created) })
        }
    }

    /// `SyncGroups_Update`: merges the given properties into the group.
    public func patch(
        _ path: SyncGroupPath,
        patch: SyncGroupSettings,
        operationID: UUID
    ) async throws -> LongRunningOperation {
        guard patch != SyncGroupSettings() else { throw DataSyncError.emptyRequestBody(.syncGroup) }
        try Self.validate(patch)
        let environment = self.environment
        return try await self.writeGroup(operationID: operationID, server: path.database.server) { store in
            var group = try Self.existing(path, in: store.reader)
            try Self.checkSyncDatabase(patch.syncDatabaseID, for: path, in: store.reader)
            group.settings.merge(patch)
            group.scheduledFrom = environment.clock.now
            return (group, patch.schema, { .groupPatched($0, patch: patch) })
        }
    }

    /// `SyncGroups_Delete`: removes the group and its members, once their tracking is removed. `nil` when
    /// there was nothing to delete. When deprovisioning fails, the group stays and the operation fails
    /// with the reason.
    public func delete(_ path: SyncGroupPath, operationID: UUID) async throws -> LongRunningOperation? {
        let environment = self.environment
        let pending = try await environment.store.write { store -> (SyncGroup, [SyncMember], LongRunningOperation)? in
            guard let group = try store.reader.group(path) else { return nil }
            let operation = try environment.record(
                operationID,
                server: path.database.server,
                result: .groupDeleted(group.path),
                progress: .running,
                in: store
            )
            return (group, try store.reader.members(in: group.path), operation)
        }
        guard let (group, members, operation) = pending else { return nil }
        return try await self.finishDelete(group, members: members, operation: operation)
    }

    /// Removes a group's tracking, then commits its removal (or the failure) with the operation.
    func finishDelete(_ group: SyncGroup, members: [SyncMember], operation: LongRunningOperation) async throws -> LongRunningOperation {
        let environment = self.environment
        var lifecycle = GroupLifecycle(group.syncState)
        let actions = try lifecycle.handle(.deleteRequested)
        let failure = actions.contains(.deprovision) ? await environment.executor.deprovision(group: group, members: members) : nil
        if let failure {
            environment.logger.error("deprovisioning \(group.path.id) failed: \(failure)")
        }
        return try await environment.store.write { store in
            var operation = operation
            if let failure {
                operation.progress = .failed(.genericFailure("deprovisioning the sync group's databases failed: \(failure)"))
            } else {
                if actions.contains(.deleteRecord) { try store.deleteGroup(group.path) }
                operation.progress = .succeeded
            }
            try store.save(operation)
            return operation
        }
    }

    /// `SyncGroups_TriggerSync`: runs a sync round, accepted only for a group with a schema and at least
    /// one member. A trigger during a running round makes that round run once more instead.
    public func triggerSync(_ path: SyncGroupPath) async throws {
        try await self.environment.store.read { reader in
            let group = try Self.existing(path, in: reader)
            let hasTables = !(group.settings.schema?.tables.isEmpty ?? true)
            guard hasTables, try !reader.members(in: path).isEmpty else {
                throw DataSyncError.genericFailure("'' is not an active sync group.")
            }
        }
        try await self.coordinator.trigger(path)
    }

    /// `SyncGroups_CancelSync`: stops a running round between tables; succeeds even when nothing runs,
    /// as the live service does.
    public func cancelSync(_ path: SyncGroupPath) async throws {
        _ = try await self.get(path)
        try await self.coordinator.cancel(path)
    }

    /// `SyncGroups_RefreshHubSchema`: a long-running read of the hub's catalogue.
    public func refreshHubSchema(_ path: SyncGroupPath, operationID: UUID) async throws -> LongRunningOperation {
        let group = try await self.environment.store.read { try Self.existing(path, in: $0) }
        return try await refreshDatabaseSchema(
            of: { try DataPlane.hubKey(group.path) },
            ownerID: group.path.id,
            source: logSource(server: path.database.server.server.value, database: path.database.database.value),
            group: group.path,
            operationID: operationID,
            result: .hubSchemaRefreshed(group.path),
            environment: self.environment
        )
    }

    /// `SyncGroups_ListHubSchemas`: empty until a refresh has run.
    public func listHubSchemas(_ path: SyncGroupPath) async throws -> [DatabaseSchema] {
        try await self.environment.store.read { reader in
            let group = try Self.existing(path, in: reader)
            return try reader.schema(ownerID: group.path.id).map { [$0] } ?? []
        }
    }

    /// `SyncGroups_ListLogs`: entries between `start` and `end`, of `type`, continuing after `continuation`.
    public func listLogs(
        _ path: SyncGroupPath,
        start: Date,
        end: Date,
        type: SyncLogType,
        continuation: String?
    ) async throws -> Page<SyncLogEntry> {
        var cursor: Int64 = 0
        if let continuation {
            guard let value = Int64(continuation), value >= 0 else {
                throw DataSyncError.invalidParameterValue("continuationToken", "is not a token this list issued.")
            }
            cursor = value
        }
        let after = cursor
        return try await self.environment.store.read { reader in
            let group = try Self.existing(path, in: reader)
            let rows = try reader.logs(
                of: group.path,
                from: start,
                to: end,
                type: type,
                after: after,
                limit: listPageSize + 1
            )
            let page = rows.prefix(listPageSize)
            let next = rows.count > listPageSize ? page.last.map { String($0.cursor) } : nil
            return Page(items: page.map(\.entry), nextToken: next)
        }
    }

    /// `SyncGroups_ListSyncDatabaseIds`: the sync databases in use in a subscription and location.
    public func listSyncDatabaseIDs(subscriptionID: ResourceName, location: String) async throws -> [String] {
        guard normalizedLocation(location) == normalizedLocation(self.environment.location) else { return [] }
        return try await self.environment.store.read { try syncDatabasesInUse(subscriptionID, in: $0) }
    }

    static func existing(_ path: SyncGroupPath, in reader: StoreReader) throws -> SyncGroup {
        guard let group = try reader.group(path) else { throw DataSyncError.syncGroupNotFound(path.name) }
        return group
    }

    static func validate(_ settings: SyncGroupSettings) throws {
        if let interval = settings.interval, interval != -1, interval < 5 {
            throw DataSyncError.invalidSyncInterval
        }
        if let days = settings.conflictLoggingRetentionInDays, days < 0 {
            throw DataSyncError.invalidParameterValue("conflictLoggingRetentionInDays", "must be zero or more days; got '\(days)'.")
        }
        if let id = settings.syncDatabaseID, DatabasePath(armID: id) == nil {
            throw DataSyncError.invalidDatabaseResourceID
        }
    }

    /// One sync database per subscription and region: a different one than the groups and agents already use fails.
    static func checkSyncDatabase(_ id: String?, for path: SyncGroupPath, in reader: StoreReader) throws {
        guard let id, let wanted = DatabasePath(armID: id) else { return }
        try requireSameSyncDatabase(wanted, inUse: syncDatabasesInUse(path.database.server.subscriptionID, excluding: path.id.armKey, in: reader))
    }

    /// A group write decided in one store write, waiting for its schema to be provisioned.
    struct PendingGroup: Sendable {
        var group: SyncGroup
        var tables: [SyncTable]
        /// The members as they were before being marked `Provisioning`.
        var previous: [SyncMember]
        var marked: [SyncMember]
        var operation: LongRunningOperation
    }

    /// A group write: `prepare` builds the group as written (in the store's write) with the schema the
    /// request gave and the result to answer with. When the schema cannot be applied, nothing of it is kept
    /// but its failed operation: the live service accepts such a write with 202 and fails it on the poll
    /// (`SyncOperation_GenericFailure`, Azure/azure-powershell#14405). When it selects tables, the members
    /// are `Provisioning` until the executor has provisioned them, outside the store's write.
    private func writeGroup(
        operationID: UUID,
        server: ServerPath,
        _ prepare: @escaping @Sendable (StoreWriter) throws -> (SyncGroup, SyncGroupSchema?, @Sendable (SyncGroup) -> OperationResult)
    ) async throws -> LongRunningOperation {
        let environment = self.environment
        let decision = try await environment.store.write { store -> GroupWrite in
            var (group, requested, result) = try prepare(store)
            let tables: [SyncTable]?
            do {
                try Self.checkSchema(requested, of: group.path, in: store.reader)
                tables = try Provisioning.tables(of: group, in: store.reader)
            } catch let error as DataSyncError {
                return .done(try environment.record(operationID, server: server, result: result(group), progress: .failed(error), in: store))
            }
            var lifecycle = GroupLifecycle(group.syncState)
            guard try !lifecycle.handle(.schemaSaved(selectsTables: tables != nil)).isEmpty, let tables else {
                group.syncState = lifecycle.state
                try store.save(group)
                return .done(try environment.record(operationID, server: server, result: result(group), in: store))
            }
            let previous = try store.reader.members(in: group.path)
            let marked = try Provisioning.begin(previous, store: store)
            let operation = try environment.record(operationID, server: server, result: result(group), progress: .running, in: store)
            return .provision(PendingGroup(group: group, tables: tables, previous: previous, marked: marked, operation: operation))
        }
        switch decision {
        case .done(let finished): return finished
        case .provision(let pending): return try await self.finishProvisioning(pending)
        }
    }

    /// A group write decided in one store write: finished there, or waiting for provisioning.
    enum GroupWrite: Sendable {
        case done(LongRunningOperation)
        case provision(PendingGroup)
    }

    /// Provisions a pending group's schema outside the store's write, then commits the group, its members'
    /// states and the operation in one write.
    func finishProvisioning(_ pending: PendingGroup) async throws -> LongRunningOperation {
        let environment = self.environment
        let outcome = await environment.executor.provision(
            group: pending.group,
            tables: pending.tables,
            members: pending.marked,
            now: environment.clock.now
        )
        return try await environment.store.write { store in
            var operation = pending.operation
            switch outcome {
            case .hubFailed(let error):
                try Provisioning.undo(pending.previous, store: store)
                operation.progress = .failed(error)
            case .provisioned(let outcomes):
                try Provisioning.commit(outcomes, group: pending.group.path, now: environment.clock.now, store: store)
                var group = pending.group
                try Provisioning.updateReadiness(&group, reader: store.reader)
                try store.save(group)
                operation.result = operation.result.replacingGroup(group)
                operation.progress = .succeeded
            }
            try store.save(operation)
            return operation
        }
    }

    /// A schema with tables needs `masterSyncMemberName` to name a member of the group.
    static func checkSchema(_ schema: SyncGroupSchema?, of path: SyncGroupPath, in reader: StoreReader) throws {
        guard let schema, !schema.tables.isEmpty else { return }
        let master = schema.masterSyncMemberName ?? ""
        let members = try reader.members(in: path)
        guard members.contains(where: { $0.path.name.key == master.lowercased() }) else {
            throw DataSyncError.genericFailure("'\(master)' can't be found as sync group member")
        }
    }
}

/// The sync databases a subscription's groups and agents use, each once, groups first; the resource keyed
/// `excluding` (the one being written) left out.
func syncDatabasesInUse(_ subscription: ResourceName, excluding key: String? = nil, in reader: StoreReader) throws -> [String] {
    let ids =
        try reader.groupSyncDatabaseIDs(inSubscription: subscription, excluding: key ?? "")
        + reader.agents(inSubscription: subscription).filter { $0.path.id.armKey != key }.compactMap(\.syncDatabaseID)
    var seen = Set<String>()
    return ids.filter { seen.insert($0.armKey).inserted }
}

/// Fails when `wanted` differs from a sync database already in use.
func requireSameSyncDatabase(_ wanted: DatabasePath, inUse: [String]) throws {
    for id in inUse {
        guard let existing = DatabasePath(armID: id), existing.id.armKey != wanted.id.armKey else { continue }
        throw DataSyncError.wrongSyncDatabase(
            specified: "\(wanted.server.server)\\\(wanted.database)",
            existing: "\(existing.server.server)\\\(existing.database)"
        )
    }
}

/// `westus2`, `West US 2` and `WESTUS2` name the same region.
func normalizedLocation(_ location: String) -> String {
    location.lowercased().filter { !$0.isWhitespace }
}

/// The `source` of a log entry: `<server FQDN>/<database>`.
public func logSource(server: String, database: String) -> String {
    let fqdn = server.contains(".") ? server : "\(server).database.windows.net"
    return "\(fqdn)/\(database)"
}

/// Reads a database's catalogue outside the store's write, then stores it as the schema of `ownerID` with
/// its log entry and the finished operation in one write. The outcome is logged as the service does:
/// `SchemaRefreshSuccess`, or `SchemaRefreshFailure` with the reason (the operation still succeeds).
func refreshDatabaseSchema(
    of key: () throws -> DatabaseKey,
    ownerID: String,
    source: String,
    group: SyncGroupPath,
    operationID: UUID,
    result: OperationResult,
    environment: HandlerEnvironment
) async throws -> LongRunningOperation {
    let now = environment.clock.now
    let schema = await environment.executor.readSchema(key, at: now)
    return try await environment.store.write { store in
        let entry: SyncLogEntry
        switch schema {
        case .success(let schema):
            try store.saveSchema(schema, ownerID: ownerID)
            entry = SyncLogEntry(
                timestamp: now,
                type: .success,
                source: source,
                details: "Schema information obtained successfully.",
                tracingID: operationID,
                operationStatus: "SchemaRefreshSuccess"
            )
        case .failure(let error):
            entry = SyncLogEntry(
                timestamp: now,
                type: .error,
                source: source,
                details: "Getting schema information for the database failed with the exception \"\(error)\"",
                tracingID: operationID,
                operationStatus: "SchemaRefreshFailure"
            )
        }
        try store.appendLog(entry, to: group)
        return try environment.record(operationID, server: group.database.server, result: result, in: store)
    }
}
