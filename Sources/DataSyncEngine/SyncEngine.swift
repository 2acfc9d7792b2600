import DataSyncModel
import Foundation
import GRDB

/// One side of a transfer: a database and the peer id the other side knows it by.
public struct SyncEndpoint: Sendable {
    public let queue: DatabaseQueue
    /// `hub:<group>` or `member:<member>`: stamped as `origin` on rows it sends, and the key of its anchors.
    public let peer: String
    public let isHub: Bool

    public init(queue: DatabaseQueue, peer: String, isHub: Bool) {
        self.queue = queue
        self.peer = peer
        self.isHub = isHub
    }
}

/// A conflict: the same row changed on both sides since they last synced, and which side kept it.
public struct SyncConflict: Sendable, Equatable, Codable {
    public var table: String
    /// The primary key values, as text.
    public var key: [String]
    /// `hub` or `member`.
    public var winner: String
    /// The losing side's row (column → value as text), or `nil` when the loser had deleted it.
    public var losingRow: [String: String]?
}

/// A row that could not be applied (a constraint or type error); it is retried on the next run.
public struct RowFailure: Sendable, Equatable, Codable {
    public var table: String
    public var key: [String]
    public var message: String
}

/// What one direction did to one table.
public struct TableTransfer: Sendable, Equatable {
    public var table: String
    public var upserted = 0
    public var deleted = 0
    public var conflicts: [SyncConflict] = []
    public var failures: [RowFailure] = []

    public var applied: Int { self.upserted + self.deleted }
}

/// Thrown between tables when the run was cancelled; what was committed stays, nothing is half-applied.
public struct SyncCancelled: Error, Sendable {}

/// Moves changes between two emulated databases, by Data Sync's rules.
///
/// For each table, in one read snapshot of the source it takes the new anchor and enumerates tracked
/// changes above the last anchor the target recorded, leaving out rows the target itself sent (echo
/// suppression). It applies them to the target in one transaction per table, stamping the source as
/// their origin, and advances the target's anchor in that same transaction, so an anchor never passes a
/// change that did not commit. A target row changed locally since the target last sent to the source is
/// a conflict, settled by the group's policy. Rows that fail a constraint are skipped and the anchor stops
/// before them, so the next run retries them.
public enum SyncEngine {
    /// Transfers `tables` (parents first) from `source` to `target`.
    /// - Parameter isCancelled: checked between tables.
    /// - Throws: ``SyncCancelled`` when cancelled between tables; database errors.
    public static func transfer(
        from source: SyncEndpoint,
        to target: SyncEndpoint,
        tables: [SyncTable],
        policy: ConflictResolutionPolicy,
        isCancelled: @Sendable () -> Bool
    ) throws -> [TableTransfer] {
        var results: [TableTransfer] = []
        for table in tables {
            if isCancelled() { throw SyncCancelled() }
            results.append(try self.transfer(table, from: source, to: target, policy: policy))
        }
        return results
    }

    private struct Change {
        let version: Int64
        let key: [DatabaseValue]
        /// Selected column values in `table.columns` order; `nil` for a tombstone.
        let values: [DatabaseValue]?
    }

    private static func transfer(
        _ table: SyncTable,
        from source: SyncEndpoint,
        to target: SyncEndpoint,
        policy: ConflictResolutionPolicy
    ) throws -> TableTransfer {
        let lastApplied = try target.queue.read { db in try Self.anchor(db, peer: source.peer, table: table.name) }
        let (newAnchor, threshold, changes) = try source.queue.read { db -> (Int64, Int64, [Change]) in
            guard try ChangeTracking.isTracked(db, table: table.name) else {
                throw EngineError("table '\(table.name)' is not provisioned in the source")
            }
            let newAnchor = try Int64.fetchOne(db, sql: "SELECT version FROM datasync_clock WHERE id = 1") ?? 0
            let threshold = try Self.anchor(db, peer: target.peer, table: table.name)
            let changes = try Self.enumerate(db, table: table, after: lastApplied, upTo: newAnchor, excludingOrigin: target.peer)
            return (newAnchor, threshold, changes)
        }
        let sourceWins = (policy == .hubWin) == source.isHub
        return try target.queue.write { db in
            try Self.apply(
                changes,
                table: table,
                in: db,
                origin: source.peer,
                threshold: threshold,
                sourceWins: sourceWins,
                winnerName: sourceWins ? (source.isHub ? "hub" : "member") : (target.isHub ? "hub" : "member"),
                anchor: (peer: source.peer, newAnchor: newAnchor)
            )
        }
    }

    static func anchor(_ db: Database, peer: String, table: String) throws -> Int64 {
        guard try db.tableExists("datasync_anchor") else { return 0 }
        return try Int64.fetchOne(
            db,
            sql: "SELECT version FROM datasync_anchor WHERE peer = ? AND tableName = ?",
            arguments: [peer, table]
        ) ?? 0
    }

    private static func enumerate(
        _ db: Database,
        table: SyncTable,
        after anchor: Int64,
        upTo newAnchor: Int64,
        excludingOrigin origin: String
    ) throws -> [Change] {
        let keyCount = table.primaryKey.count
        let join = table.primaryKey.map { "b.\(quote($0)) = t.\(quote($0))" }.joined(separator: " AND ")
        let sql = """
            SELECT t.version, t.tombstone, \(table.primaryKey.map { "t.\(quote($0))" }.joined(separator: ", ")),
                   b.\(quote(table.primaryKey[0])) IS NOT NULL AS present,
                   \(table.columns.map { "b.\(quote($0))" }.joined(separator: ", "))
            FROM \(quote(table.trackingTable)) AS t LEFT JOIN \(quote(table.name)) AS b ON \(join)
            WHERE t.version > ? AND t.version <= ? AND (t.origin IS NULL OR t.origin <> ?)
            ORDER BY t.version
            """
        var changes: [Change] = []
        let rows = try Row.fetchCursor(db, sql: sql, arguments: [anchor, newAnchor, origin])
        while let row = try rows.next() {
            let tombstone: Bool = row[1]
            let key = (0..<keyCount).map { row[2 + $0] as DatabaseValue }
            let present: Bool = row[2 + keyCount]
            if tombstone {
                changes.append(Change(version: row[0], key: key, values: nil))
            } else if present {
                let values = (0..<table.columns.count).map { row[3 + keyCount + $0] as DatabaseValue }
                changes.append(Change(version: row[0], key: key, values: values))
            }
        }
        return changes
    }

    private static func apply(
        _ changes: [Change],
        table: SyncTable,
        in db: Database,
        origin: String,
        threshold: Int64,
        sourceWins: Bool,
        winnerName: String,
        anchor: (peer: String, newAnchor: Int64)
    ) throws -> TableTransfer {
        var result = TableTransfer(table: table.name)
        let keyPredicate = table.primaryKey.map { "\(quote($0)) = ?" }.joined(separator: " AND ")
        let localChange = try db.makeStatement(
            sql: "SELECT version, origin, tombstone FROM \(quote(table.trackingTable)) WHERE \(keyPredicate)"
        )
        let nonKeyColumns = table.columns.filter { !table.primaryKey.contains($0) }
        let upsertSQL =
            "INSERT INTO \(quote(table.name)) (\(table.columns.map(quote).joined(separator: ", "))) VALUES (\(table.columns.map { _ in "?" }.joined(separator: ", ")))"
            + " ON CONFLICT (\(table.primaryKey.map(quote).joined(separator: ", "))) DO "
            + (nonKeyColumns.isEmpty ? "NOTHING" : "UPDATE SET " + nonKeyColumns.map { "\(quote($0)) = excluded.\(quote($0))" }.joined(separator: ", "))
        let deleteSQL = "DELETE FROM \(quote(table.name)) WHERE \(keyPredicate)"
        let currentRow = try db.makeStatement(
            sql: "SELECT \(table.columns.map(quote).joined(separator: ", ")) FROM \(quote(table.name)) WHERE \(keyPredicate)"
        )
        var accepted: [Change] = []
        accepted.reserveCapacity(changes.count)
        for change in changes {
            let key = StatementArguments(change.key)
            if let local = try Row.fetchOne(localChange, arguments: key) {
                let version: Int64 = local[0]
                let localOrigin: String? = local[1]
                if version > threshold, localOrigin != origin {
                    let tombstone: Bool = local[2]
                    let bothDeleted = tombstone && change.values == nil
                    if !bothDeleted {
                        let losingRow: [String: String]?
                        if sourceWins {
                            losingRow = try Row.fetchOne(currentRow, arguments: key).map { Self.describe($0, columns: table.columns) }
                        } else {
                            losingRow = change.values.map { Self.describe($0, columns: table.columns) }
                        }
                        result.conflicts.append(
                            SyncConflict(table: table.name, key: change.key.map(Self.text), winner: winnerName, losingRow: losingRow)
                        )
                    }
                    if !sourceWins || bothDeleted { continue }
                }
            }
            accepted.append(change)
        }
        try db.execute(sql: "UPDATE datasync_context SET origin = ? WHERE id = 1", arguments: [origin])
        var firstFailedVersion: Int64?
        // A statement that failed keeps its error until re-prepared, so each failure gets fresh ones.
        var upsert = try db.makeStatement(sql: upsertSQL)
        var delete = try db.makeStatement(sql: deleteSQL)
        func applyOne(_ change: Change) throws {
            if let values = change.values {
                try upsert.execute(arguments: StatementArguments(values))
                result.upserted += 1
            } else {
                try delete.execute(arguments: StatementArguments(change.key))
                result.deleted += db.changesCount
            }
        }
        do {
            // The fast path: every row in one savepoint. Only when a row fails does it go row by row.
            try db.inSavepoint {
                for change in accepted { try applyOne(change) }
                return .commit
            }
        } catch is DatabaseError {
            result.upserted = 0
            result.deleted = 0
            for change in accepted {
                do {
                    upsert = try db.makeStatement(sql: upsertSQL)
                    delete = try db.makeStatement(sql: deleteSQL)
                    try db.inSavepoint {
                        try applyOne(change)
                        return .commit
                    }
                } catch let error as DatabaseError {
                    result.failures.append(
                        RowFailure(table: table.name, key: change.key.map(Self.text), message: error.message ?? "\(error)")
                    )
                    firstFailedVersion = min(firstFailedVersion ?? change.version, change.version)
                }
            }
        }
        try db.execute(sql: "UPDATE datasync_context SET origin = NULL WHERE id = 1")
        let reached = firstFailedVersion.map { $0 - 1 } ?? anchor.newAnchor
        try db.execute(
            sql: """
                INSERT INTO datasync_anchor (peer, tableName, version) VALUES (?, ?, ?)
                ON CONFLICT (peer, tableName) DO UPDATE SET version = excluded.version
                """,
            arguments: [anchor.peer, table.name, reached]
        )
        return result
    }

    private static func describe(_ row: Row, columns: [String]) -> [String: String] {
        Dictionary(uniqueKeysWithValues: zip(columns, (0..<columns.count).map { Self.text(row[$0] as DatabaseValue) }))
    }

    private static func describe(_ values: [DatabaseValue], columns: [String]) -> [String: String] {
        Dictionary(uniqueKeysWithValues: zip(columns, values.map(Self.text)))
    }

    static func text(_ value: DatabaseValue) -> String {
        switch value.storage {
        case .null: "NULL"
        case .int64(let number): String(number)
        case .double(let number): String(number)
        case .string(let string): string
        case .blob(let data): data.base64EncodedString()
        }
    }
}
