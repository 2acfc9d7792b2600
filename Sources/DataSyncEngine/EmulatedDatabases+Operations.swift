import DataSyncModel
import Foundation
import GRDB

/// Database-level operations on emulated databases by key, so callers never touch SQLite themselves.
extension EmulatedDatabases {
    /// The catalogue of `key`, as a schema refresh reports it.
    public func readSchema(_ key: DatabaseKey, at time: Date) throws -> DatabaseSchema {
        try self.queue(key).read { db in try SchemaReader.read(db, at: time) }
    }

    /// Provisions the hub for `scope` and returns the definitions of its tables, for members that lack them.
    public func provisionHub(_ key: DatabaseKey, scope: String, tables: [SyncTable], now: Date) throws -> [String: TableDefinition] {
        try self.queue(key).write { db in
            try ChangeTracking.provision(db, tables: tables, scope: scope, definitions: [:], now: now)
            let definitions = try tables.map { ($0.name, try TableDefinition.read(db, table: $0.name)) }
            return Dictionary(definitions, uniquingKeysWith: { first, _ in first })
        }
    }

    /// Provisions a member for `scope`, creating missing tables from `definitions`.
    public func provisionMember(
        _ key: DatabaseKey,
        scope: String,
        tables: [SyncTable],
        definitions: [String: TableDefinition],
        now: Date
    ) throws {
        try self.queue(key).write { db in
            try ChangeTracking.provision(db, tables: tables, scope: scope, definitions: definitions, now: now)
        }
    }

    /// Removes `scope`'s tracking (when given) and the anchors of `peers` from `key`.
    public func deprovision(_ key: DatabaseKey, scope: String?, forgetting peers: [String]) throws {
        try self.queue(key).write { db in try ChangeTracking.deprovision(db, scope: scope, forgetting: peers) }
    }

    /// Orders `tables` so that each comes after the tables its foreign keys (in `hub`) point to.
    public func parentsFirst(_ tables: [SyncTable], hub: DatabaseKey) throws -> [SyncTable] {
        let parents: [String: Set<String>] = try self.queue(hub).read { db in
            var result: [String: Set<String>] = [:]
            for table in tables {
                let referenced = try String.fetchAll(db, sql: "SELECT \"table\" FROM pragma_foreign_key_list(?)", arguments: [table.name])
                result[table.name] = Set(referenced.map { $0.lowercased() }).subtracting([table.name.lowercased()])
            }
            return result
        }
        var ordered: [SyncTable] = []
        var remaining = tables
        while !remaining.isEmpty {
            let placed = Set(ordered.map { $0.name.lowercased() })
            let pending = Set(remaining.map { $0.name.lowercased() })
            let index = remaining.firstIndex { table in
                (parents[table.name] ?? []).intersection(pending).subtracting(placed).isEmpty
            } ?? 0
            ordered.append(remaining.remove(at: index))
        }
        return ordered
    }

    /// Runs `sql`, final SQLite text, in `key` on a connection of its own; see ``QueryRunner``.
    /// - Throws: ``QueryError``; ``EngineError`` when the database cannot be opened.
    public func query(
        _ key: DatabaseKey,
        sql: String,
        parameters: [QueryValue],
        limits: QueryLimits = QueryLimits(),
        cancellation: QueryCancellation = QueryCancellation()
    ) throws -> QueryResult {
        // The engine's connection creates the database (and keeps an in-memory one alive) before the query's opens.
        _ = try self.queue(key)
        return try QueryRunner.run(sql, parameters: parameters, at: self.location(key), limits: limits, cancellation: cancellation)
    }

    /// An endpoint of a transfer.
    public func endpoint(_ key: DatabaseKey, peer: String, isHub: Bool) throws -> SyncEndpoint {
        SyncEndpoint(queue: try self.queue(key), location: self.location(key), peer: peer, isHub: isHub)
    }

    /// Row count and an order-independent checksum of the selected columns of `table` in `key`, so hub and
    /// members can be compared (`nil` when the table is missing).
    public func digest(_ key: DatabaseKey, table: SyncTable) throws -> (rows: Int, checksum: String)? {
        try self.queue(key).read { db in
            guard try db.tableExists(table.name) else { return nil }
            var rows = 0
            var sum: UInt64 = 0
            let cursor = try Row.fetchCursor(db, sql: "SELECT \(table.columns.map(quote).joined(separator: ", ")) FROM \(quote(table.name))")
            while let row = try cursor.next() {
                rows += 1
                var hash = FNV1a()
                for index in 0..<table.columns.count {
                    for byte in SyncEngine.text(row[index] as DatabaseValue).utf8 { hash.combine(UInt64(byte)) }
                    hash.combine(0x1F)
                }
                sum = sum &+ hash.value
            }
            return (rows, String(sum, radix: 16))
        }
    }
}
