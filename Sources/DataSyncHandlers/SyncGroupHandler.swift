import DataSyncEngine
import DataSyncModel
import DataSyncStore
import Foundation

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
        return try await self.writeGroup { store in
            let existing = try store.reader.group(path)
            try Self.checkSyncDatabase(settings.syncDatabaseID, for: path, in: store.reader)
            var group = existing ?? SyncGroup(path: path, settings: settings, createdAt: environment.clock.now)
            if let existing {
                group.path.name = existing.path.name
                group.settings = settings
            }
            group.scheduledFrom = environment.clock.now
            let failure = try Self.applySchema(settings.schema, to: &group, environment: environment, store: store)
            let operation = environment.operation(
                id: operationID,
                server: path.database.server,
                result: .groupUpserted(group, created: existing == nil),
                failure: failure
            )
            guard failure == nil else { throw SchemaNotApplied(operation: operation) }
            try store.save(group)
            try store.save(operation)
            return operation
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
        return try await self.writeGroup { store in
            var group = try Self.existing(path, in: store.reader)
            try Self.checkSyncDatabase(patch.syncDatabaseID, for: path, in: store.reader)
            group.settings.merge(patch)
            group.scheduledFrom = environment.clock.now
            let failure = try Self.applySchema(patch.schema, to: &group, environment: environment, store: store)
            let operation = environment.operation(
                id: operationID,
                server: path.database.server,
                result: .groupPatched(group, patch: patch),
                failure: failure
            )
            guard failure == nil else { throw SchemaNotApplied(operation: operation) }
            try store.save(group)
            try store.save(operation)
            return operation
        }
    }

    /// `SyncGroups_Delete`: removes the group and its members. `nil` when there was nothing to delete.
    public func delete(_ path: SyncGroupPath, operationID: UUID) async throws -> LongRunningOperation? {
        let environment = self.environment
        return try await environment.store.write { store in
            guard let group = try store.reader.group(path) else { return nil }
            let members = try store.reader.members(in: group.path)
            try store.deleteGroup(group.path)
            environment.dataPlane.deprovision(group: group, members: members)
            let operation = environment.operation(
                id: operationID,
                server: path.database.server,
                result: .groupDeleted(group.path)
            )
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
        let environment = self.environment
        return try await environment.store.write { store in
            let group = try Self.existing(path, in: store.reader)
            try refreshDatabaseSchema(
                of: { try DataPlane.hubKey(group.path) },
                ownerID: group.path.id,
                source: logSource(server: path.database.server.server.value, database: path.database.database.value),
                group: group.path,
                tracingID: operationID,
                environment: environment,
                store: store
            )
            let operation = environment.operation(
                id: operationID,
                server: path.database.server,
                result: .hubSchemaRefreshed(group.path)
            )
            try store.save(operation)
            return operation
        }
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
        return try await self.environment.store.read { reader in
            let candidates =
                try reader.groups(inSubscription: subscriptionID).compactMap(\.settings.syncDatabaseID)
                + reader.agents(inSubscription: subscriptionID).compactMap(\.syncDatabaseID)
            var seen = Set<String>()
            return candidates.filter { seen.insert($0.armKey).inserted }
        }
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
        let subscription = path.database.server.subscriptionID
        let inUse =
            try reader.groupSyncDatabaseIDs(inSubscription: subscription, excluding: path.id.armKey)
            + reader.agents(inSubscription: subscription).compactMap(\.syncDatabaseID)
        try requireSameSyncDatabase(wanted, inUse: inUse)
    }

    /// Ends a group write whose schema cannot be applied, with the failed operation that answers for it.
    private struct SchemaNotApplied: Error {
        var operation: LongRunningOperation
    }

    /// Runs a group write in one transaction. When its schema cannot be applied, nothing of it is kept but
    /// its failed operation: the live service accepts such a write with 202 and fails it on the poll
    /// (`SyncOperation_GenericFailure`, Azure/azure-powershell#14405).
    private func writeGroup(
        _ body: @escaping @Sendable (StoreWriter) throws -> LongRunningOperation
    ) async throws -> LongRunningOperation {
        do {
            return try await self.environment.store.write(body)
        } catch let failure as SchemaNotApplied {
            try await self.environment.store.write { try $0.save(failure.operation) }
            return failure.operation
        }
    }

    /// Checks the schema a write gives (`requested`) and provisions the group's.
    /// - Returns: why the schema cannot be applied, or `nil` once it is.
    private static func applySchema(
        _ requested: SyncGroupSchema?,
        to group: inout SyncGroup,
        environment: HandlerEnvironment,
        store: StoreWriter
    ) throws -> DataSyncError? {
        do {
            try Self.checkSchema(requested, of: group.path, in: store.reader)
            try Provisioning.apply(to: &group, environment: environment, store: store)
            return nil
        } catch let error as DataSyncError {
            return error
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

/// Fails when `wanted` differs from a sync database already in use. Each distinct id is parsed once: a
/// subscription's groups mostly share one.
func requireSameSyncDatabase(_ wanted: DatabasePath, inUse: [String]) throws {
    var seen = Set<String>()
    for id in inUse where seen.insert(id.armKey).inserted {
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

/// Reads a database's catalogue into the stored schema of `ownerID`, and logs the outcome as the service
/// does: `SchemaRefreshSuccess`, or `SchemaRefreshFailure` with the reason (the operation still succeeds).
func refreshDatabaseSchema(
    of key: () throws -> DatabaseKey,
    ownerID: String,
    source: String,
    group: SyncGroupPath,
    tracingID: UUID,
    environment: HandlerEnvironment,
    store: StoreWriter
) throws {
    let now = environment.clock.now
    let entry: SyncLogEntry
    do {
        try store.saveSchema(try environment.databases.readSchema(try key(), at: now), ownerID: ownerID)
        entry = SyncLogEntry(
            timestamp: now,
            type: .success,
            source: source,
            details: "Schema information obtained successfully.",
            tracingID: tracingID,
            operationStatus: "SchemaRefreshSuccess"
        )
    } catch {
        entry = SyncLogEntry(
            timestamp: now,
            type: .error,
            source: source,
            details: "Getting schema information for the database failed with the exception \"\(error)\"",
            tracingID: tracingID,
            operationStatus: "SchemaRefreshFailure"
        )
    }
    try store.appendLog(entry, to: group)
}
