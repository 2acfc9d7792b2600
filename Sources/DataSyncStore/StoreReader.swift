import DataSyncModel
import Foundation
import GRDB

/// Unsorted keys (nothing reads the bytes but `JSONDecoder` and `json_extract`, so sorting would be work for
/// nobody), slashes unescaped (ARM ids are full of them).
private let encoder: JSONEncoder = {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.withoutEscapingSlashes]
    return encoder
}()

/// The stored form of a state row: ``StateJSONEncoder``'s, or `JSONEncoder`'s for a value it does not write
/// the same way.
func stateJSON(_ value: some Encodable) throws -> Data {
    do {
        return try StateJSONEncoder.encode(value)
    } catch {
        return try encoder.encode(value)
    }
}

enum ResourceTable: String {
    case group
    case member
    case agent
}

/// Typed reads of the emulator state inside one snapshot.
public struct StoreReader {
    let db: Database
    let bodies: DecodedBodies

    func decode<T: Decodable>(_ type: T.Type, _ data: Data) throws -> T {
        try JSONDecoder().decode(type, from: data)
    }

    func fetchResource<T: Decodable & Sendable>(_ type: T.Type, key: String) throws -> T? {
        let statement = try self.db.cachedStatement(sql: "SELECT body FROM resource WHERE key = ?")
        guard let data = try Data.fetchOne(statement, arguments: [key]) else { return nil }
        return try self.bodies.value(type, key: key, data: data)
    }

    /// The resources of `table` whose `column` is `value`, oldest first.
    private func fetchResources<T: Decodable & Sendable>(
        _ type: T.Type,
        table: ResourceTable,
        column: String,
        value: String
    ) throws -> [T] {
        let statement = try self.db.cachedStatement(
            sql: "SELECT key, body FROM resource WHERE \(column) = ? AND type = ? ORDER BY seq"
        )
        return try Row.fetchAll(statement, arguments: [value, table.rawValue]).map { row in
            try self.bodies.value(type, key: row[0], data: row[1])
        }
    }

    func fetchResources<T: Decodable & Sendable>(_ type: T.Type, table: ResourceTable, parentKey: String) throws -> [T] {
        try self.fetchResources(type, table: table, column: "parentKey", value: parentKey)
    }

    func fetchResources<T: Decodable & Sendable>(_ type: T.Type, table: ResourceTable, subscriptionKey: String) throws -> [T] {
        try self.fetchResources(type, table: table, column: "subscriptionKey", value: subscriptionKey)
    }

    public func group(_ path: SyncGroupPath) throws -> SyncGroup? {
        try self.fetchResource(SyncGroup.self, key: path.id.armKey)
    }

    public func groups(in database: DatabasePath) throws -> [SyncGroup] {
        try self.fetchResources(SyncGroup.self, table: .group, parentKey: database.id.armKey)
    }

    public func groups(inSubscription subscriptionID: ResourceName) throws -> [SyncGroup] {
        try self.fetchResources(SyncGroup.self, table: .group, subscriptionKey: subscriptionID.key)
    }

    /// Every group in the emulator, oldest first.
    public func allGroups() throws -> [SyncGroup] {
        try Data.fetchAll(self.db, sql: "SELECT body FROM resource WHERE type = 'group' ORDER BY seq")
            .map { try self.decode(SyncGroup.self, $0) }
    }

    /// The groups that sync on an interval (`interval > 0`) and are ready, oldest first. They are read through
    /// the partial index of scheduled groups, so the scheduler's tick reads only these, not every row.
    public func scheduledGroups() throws -> [SyncGroup] {
        try Data.fetchAll(self.db, sql: "SELECT body FROM resource WHERE scheduled = 1 ORDER BY seq")
            .map { try self.decode(SyncGroup.self, $0) }
    }

    public func member(_ path: SyncMemberPath) throws -> SyncMember? {
        try self.fetchResource(SyncMember.self, key: path.id.armKey)
    }

    public func members(in group: SyncGroupPath) throws -> [SyncMember] {
        try self.fetchResources(SyncMember.self, table: .member, parentKey: group.id.armKey)
    }

    public func members(inSubscription subscriptionID: ResourceName) throws -> [SyncMember] {
        try self.fetchResources(SyncMember.self, table: .member, subscriptionKey: subscriptionID.key)
    }

    public func agent(_ path: SyncAgentPath) throws -> SyncAgent? {
        try self.fetchResource(SyncAgent.self, key: path.id.armKey)
    }

    public func agents(on server: ServerPath) throws -> [SyncAgent] {
        try self.fetchResources(SyncAgent.self, table: .agent, parentKey: server.id.armKey)
    }

    /// The `syncDatabaseID`s of a subscription's groups other than the one keyed `key`, read from the stored
    /// JSON by SQLite, so that creating a group does not decode every group before it.
    public func groupSyncDatabaseIDs(inSubscription subscriptionID: ResourceName, excluding key: String) throws -> [String] {
        try String.fetchAll(
            self.db,
            sql: """
                SELECT json_extract(body, '$.settings.syncDatabaseID') AS id FROM resource
                WHERE subscriptionKey = ? AND type = 'group' AND key <> ? AND id IS NOT NULL
                ORDER BY seq
                """,
            arguments: [subscriptionID.key, key]
        )
    }

    public func agents(inSubscription subscriptionID: ResourceName) throws -> [SyncAgent] {
        try self.fetchResources(SyncAgent.self, table: .agent, subscriptionKey: subscriptionID.key)
    }

    public func operation(_ id: UUID) throws -> LongRunningOperation? {
        let key = id.uuidString.lowercased()
        let statement = try self.db.cachedStatement(sql: "SELECT body FROM operation WHERE id = ?")
        guard let data = try Data.fetchOne(statement, arguments: [key]) else { return nil }
        return try self.bodies.value(LongRunningOperation.self, key: key, data: data)
    }

    /// Log entries of a group between two instants, oldest first, after `cursor`, at most `limit`.
    /// - Returns: each entry with the cursor that continues after it.
    public func logs(
        of group: SyncGroupPath,
        from start: Date,
        to end: Date,
        type: SyncLogType,
        after cursor: Int64,
        limit: Int
    ) throws -> [(cursor: Int64, entry: SyncLogEntry)] {
        var sql = "SELECT id, body FROM syncLog WHERE groupKey = ? AND timestamp >= ? AND timestamp <= ? AND id > ?"
        var arguments: StatementArguments = [
            group.id.armKey, start.timeIntervalSince1970, end.timeIntervalSince1970, cursor,
        ]
        if type != .all {
            sql += " AND type = ?"
            arguments += [type.rawValue]
        }
        sql += " ORDER BY id LIMIT ?"
        arguments += [limit]
        return try Row.fetchAll(self.db, sql: sql, arguments: arguments).map { row in
            (row["id"] as Int64, try self.decode(SyncLogEntry.self, row["body"] as Data))
        }
    }

    /// The schema a refresh last read for `ownerID` (a group id for the hub, a member id for a member).
    public func schema(ownerID: String) throws -> DatabaseSchema? {
        guard
            let data = try Data.fetchOne(
                self.db,
                sql: "SELECT body FROM schemaSnapshot WHERE ownerKey = ?",
                arguments: [ownerID.armKey]
            )
        else { return nil }
        return try self.decode(DatabaseSchema.self, data)
    }
}

/// Typed writes of the emulator state inside one transaction; it can read what it wrote.
public struct StoreWriter {
    let db: Database
    let bodies: DecodedBodies
    /// What this write changes among the rows ``CommittedRows`` keeps.
    let changes: WriteChanges

    /// Reads inside the same transaction.
    public var reader: StoreReader { StoreReader(db: self.db, bodies: self.bodies) }

    private func upsertResource(
        key: String,
        table: ResourceTable,
        parentKey: String,
        subscriptionKey: String,
        busy: Bool,
        scheduled: Bool = false,
        body: some Encodable & Sendable
    ) throws {
        let data = try stateJSON(body)
        // Cached statements: compiling and authorising the SQL again on every write was a twentieth of a
        // durable PUT's work.
        try self.db.cachedStatement(
            sql: """
                INSERT INTO resource (key, type, parentKey, subscriptionKey, seq, busy, scheduled, body)
                VALUES (?, ?, ?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM resource), ?, ?, ?)
                ON CONFLICT(key) DO UPDATE SET body = excluded.body, busy = excluded.busy, scheduled = excluded.scheduled
                """
        ).execute(arguments: [key, table.rawValue, parentKey, subscriptionKey, busy, scheduled, data])
        self.bodies.remember(body, encodedAs: data, key: key)
        self.changes.upserted(key, body)
    }

    private func deleteTree(key: String) throws {
        let prefix = key + "/"
        try self.db.execute(
            sql: "DELETE FROM resource WHERE key = ? OR substr(key, 1, ?) = ?",
            arguments: [key, prefix.count, prefix]
        )
        try self.db.execute(
            sql: "DELETE FROM schemaSnapshot WHERE ownerKey = ? OR substr(ownerKey, 1, ?) = ?",
            arguments: [key, prefix.count, prefix]
        )
        self.changes.deleted()
    }

    public func save(_ group: SyncGroup) throws {
        try self.upsertResource(
            key: group.path.id.armKey,
            table: .group,
            parentKey: group.path.database.id.armKey,
            subscriptionKey: group.path.database.server.subscriptionID.key,
            busy: group.syncState == .progressing,
            scheduled: (group.settings.interval ?? 0) > 0 && group.syncState != .notReady,
            body: group
        )
    }

    /// Deletes the group, its members, its schemas and its logs.
    public func deleteGroup(_ path: SyncGroupPath) throws {
        try self.deleteTree(key: path.id.armKey)
        try self.db.execute(sql: "DELETE FROM syncLog WHERE groupKey = ?", arguments: [path.id.armKey])
    }

    public func save(_ member: SyncMember) throws {
        try self.upsertResource(
            key: member.path.id.armKey,
            table: .member,
            parentKey: member.path.group.id.armKey,
            subscriptionKey: member.path.group.database.server.subscriptionID.key,
            busy: MemberLifecycle.busyStates.contains(member.syncState),
            body: member
        )
    }

    public func deleteMember(_ path: SyncMemberPath) throws {
        try self.deleteTree(key: path.id.armKey)
    }

    public func save(_ agent: SyncAgent) throws {
        try self.upsertResource(
            key: agent.path.id.armKey,
            table: .agent,
            parentKey: agent.path.server.id.armKey,
            subscriptionKey: agent.path.server.subscriptionID.key,
            busy: false,
            body: agent
        )
    }

    public func deleteAgent(_ path: SyncAgentPath) throws {
        try self.deleteTree(key: path.id.armKey)
    }

    public func save(_ operation: LongRunningOperation) throws {
        let key = operation.id.uuidString.lowercased()
        let data = try stateJSON(operation)
        try self.db.cachedStatement(
            sql: """
                INSERT INTO operation (id, running, body) VALUES (?, ?, ?)
                ON CONFLICT(id) DO UPDATE SET body = excluded.body, running = excluded.running
                """
        ).execute(arguments: [key, operation.progress == .running, data])
        // Only polls read an operation back, and they read the committed rows: keeping it for decoding too
        // would hold every operation twice.
        self.changes.upserted(key, operation)
    }

    /// Forgets every resource, operation, log and schema.
    func deleteAll() throws {
        for table in ["resource", "operation", "syncLog", "schemaSnapshot"] {
            try self.db.execute(sql: "DELETE FROM \(table)")
        }
        self.changes.deleted()
    }

    public func appendLog(_ entry: SyncLogEntry, to group: SyncGroupPath) throws {
        try self.db.execute(
            sql: "INSERT INTO syncLog (groupKey, timestamp, type, operationStatus, body) VALUES (?, ?, ?, ?, ?)",
            arguments: [
                group.id.armKey, entry.timestamp.timeIntervalSince1970, entry.type.rawValue, entry.operationStatus,
                try stateJSON(entry),
            ]
        )
    }

    /// Removes a group's log entries of `operationStatus` older than `cutoff` (retention).
    public func deleteLogs(of group: SyncGroupPath, operationStatus: String, olderThan cutoff: Date) throws {
        try self.db.execute(
            sql: "DELETE FROM syncLog WHERE groupKey = ? AND operationStatus = ? AND timestamp < ?",
            arguments: [group.id.armKey, operationStatus, cutoff.timeIntervalSince1970]
        )
    }

    public func saveSchema(_ schema: DatabaseSchema, ownerID: String) throws {
        try self.db.execute(
            sql: "INSERT INTO schemaSnapshot (ownerKey, body) VALUES (?, ?) ON CONFLICT(ownerKey) DO UPDATE SET body = excluded.body",
            arguments: [ownerID.armKey, try stateJSON(schema)]
        )
    }
}
