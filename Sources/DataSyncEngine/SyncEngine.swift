import DataSyncModel
import Foundation
import GRDB

/// One side of a transfer: a database and the peer id the other side knows it by.
public struct SyncEndpoint: Sendable {
    public let queue: DatabaseQueue
    /// Where SQLite opens the database (a file path, or the `memdb` URI of an in-memory database): the
    /// target of a transfer attaches the source there to copy rows set-wise.
    public let location: String
    /// `hub:<group>` or `member:<member>`: stamped as `origin` on rows it sends, and the key of its anchors.
    public let peer: String
    public let isHub: Bool

    public init(queue: DatabaseQueue, location: String, peer: String, isHub: Bool) {
        self.queue = queue
        self.location = location
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
///
/// The engine tracks the rows it applies itself, at one new version per table and direction; the
/// triggers track local writes only. With no conflict and no failing row, the whole table is copied
/// set-wise: the target attaches the source (a file, or an in-memory database by its `memdb` name, which
/// every connection of the process shares) and a few `INSERT … SELECT` statements do the work inside
/// SQLite. Conflicts and failing rows take the row-by-row path; both paths leave the same rows, tracking
/// and anchors.
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
            let copied = try self.copySetWise(table, from: source, to: target)
            results.append(try copied ?? self.transferRowByRow(table, from: source, to: target, policy: policy))
        }
        return results
    }

    /// The schema name under which the target attaches the source.
    private static let attached = "datasync_source"

    /// Copies `table`'s changes from `source` to `target` with set-wise statements, or returns `nil` when
    /// the row-by-row path must do it: a conflict, a row that fails a constraint, or one database on both sides.
    static func copySetWise(_ table: SyncTable, from source: SyncEndpoint, to target: SyncEndpoint) throws -> TableTransfer? {
        guard Self.differ(source.location, target.location) else { return nil }
        return try target.queue.writeWithoutTransaction { db -> TableTransfer? in
            // Should an earlier transfer have failed to detach, its attachment must not block this one.
            if try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM pragma_database_list WHERE name = ?)", arguments: [Self.attached]) == true {
                try db.execute(sql: "DETACH DATABASE \(Self.attached)")
            }
            // An in-memory source is a `file:` URI, which SQLite reads as one because it was built with
            // SQLITE_USE_URI: the emulated databases' own connections open the same way.
            try db.execute(sql: "ATTACH DATABASE ? AS \(Self.attached)", arguments: [source.location])
            let outcome = Result { () throws -> TableTransfer? in
                var copied: TableTransfer?
                do {
                    try db.inTransaction(.immediate) {
                        copied = try Self.copy(table, in: db, from: source.peer, to: target.peer)
                        return copied == nil ? .rollback : .commit
                    }
                } catch is DatabaseError {
                    // A row the target refuses (a constraint, a type): the row-by-row path isolates it.
                    return nil
                }
                return copied
            }
            try db.execute(sql: "DETACH DATABASE \(Self.attached)")
            return try outcome.get()
        }
    }

    /// Whether two locations name different databases (a file by its standardized path, a URI as written).
    private static func differ(_ first: String, _ second: String) -> Bool {
        func standardized(_ location: String) -> String {
            location.hasPrefix("file:") ? location : URL(fileURLWithPath: location).standardizedFileURL.path
        }
        return standardized(first) != standardized(second)
    }

    /// The set-wise copy, in the target's open transaction with the source attached.
    private static func copy(_ table: SyncTable, in db: Database, from sourcePeer: String, to targetPeer: String) throws -> TableTransfer? {
        let source = Self.attached
        guard try db.tableExists(table.trackingTable, in: source) else {
            throw EngineError("table '\(table.name)' is not provisioned in the source")
        }
        let newAnchor = try Int64.fetchOne(db, sql: "SELECT version FROM \(source).datasync_clock WHERE id = 1") ?? 0
        let threshold = try Self.anchor(db, schema: source, peer: targetPeer, table: table.name)
        let lastApplied = try Self.anchor(db, schema: "main", peer: sourcePeer, table: table.name)
        let tracking = quote(table.trackingTable)
        let base = quote(table.name)
        let keys = table.primaryKey.map(quote)
        func matching(_ left: String, _ right: String) -> String {
            keys.map { "\(left).\($0) = \(right).\($0)" }.joined(separator: " AND ")
        }
        let sourceKeys = keys.map { "s.\($0)" }.joined(separator: ", ")
        // ?1 last anchor applied here, ?2 the source's new anchor, ?3 the target (echo suppression).
        let inWindow = "s.version > ?1 AND s.version <= ?2 AND (s.origin IS NULL OR s.origin <> ?3)"
        let changes = "FROM \(source).\(tracking) AS s WHERE \(inWindow)"
        let present = "FROM \(source).\(tracking) AS s JOIN \(source).\(base) AS b ON \(matching("b", "s")) WHERE \(inWindow) AND s.tombstone = 0"
        let window: StatementArguments = [lastApplied, newAnchor, targetPeer]
        var result = TableTransfer(table: table.name)
        if try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 \(changes))", arguments: window) == true {
            // A conflict exists when a changed row was also changed here since the source last synced from
            // here (?4: the last version of this database the source applied) by anyone but the source (?5).
            // Whether anything changed here at all is one look at the index; only then are keys matched.
            let changedHere = try Bool.fetchOne(
                db,
                sql: "SELECT EXISTS (SELECT 1 FROM main.\(tracking) WHERE version > ? AND (origin IS NULL OR origin <> ?))",
                arguments: [threshold, sourcePeer]
            )
            let conflicted = try changedHere == true && Bool.fetchOne(
                db,
                sql: """
                    SELECT EXISTS (SELECT 1 \(changes)
                        AND EXISTS (SELECT 1 FROM main.\(tracking) AS m WHERE \(matching("m", "s"))
                                    AND m.version > ?4 AND (m.origin IS NULL OR m.origin <> ?5)))
                    """,
                arguments: [lastApplied, newAnchor, targetPeer, threshold, sourcePeer]
            ) == true
            if conflicted { return nil }
            let nonKeyColumns = table.columns.filter { !table.primaryKey.contains($0) }.map(quote)
            let tombstones = "SELECT \(sourceKeys) \(changes) AND s.tombstone = 1"
            // A delete can only remove rows or tracking here; in an empty table (an initial sync) there is nothing to
            // remove. Otherwise one scan of the window finds whether any row was deleted there.
            let empty = try Bool.fetchOne(db, sql: "SELECT NOT EXISTS (SELECT 1 FROM main.\(base))") == true
            let deletes = try !(empty && Bool.fetchOne(db, sql: "SELECT NOT EXISTS (SELECT 1 FROM main.\(tracking))") == true)
                && Bool.fetchOne(db, sql: "SELECT EXISTS (\(tombstones))", arguments: window) == true
            try db.execute(sql: "UPDATE main.datasync_context SET origin = ? WHERE id = 1", arguments: [sourcePeer])
            try Self.suspendingOwnTriggers(of: table, in: db, when: empty) {
                try db.execute(
                    sql: """
                        INSERT INTO main.\(base) (\(table.columns.map(quote).joined(separator: ", ")))
                        SELECT \(table.columns.map { "b.\(quote($0))" }.joined(separator: ", ")) \(present) ORDER BY s.version
                        ON CONFLICT (\(keys.joined(separator: ", "))) DO \(Self.updateClause(nonKeyColumns))
                        """,
                    arguments: window
                )
                if deletes {
                    try db.execute(sql: "DELETE FROM main.\(base) WHERE (\(keys.joined(separator: ", "))) IN (\(tombstones))", arguments: window)
                    result.deleted = db.changesCount
                }
            }
            try db.execute(sql: "UPDATE main.datasync_context SET origin = NULL WHERE id = 1")
            let version = try Self.nextVersion(db, schema: "main")
            // The time of the change, read once: `julianday('now')` in the statement would parse 'now' for every row.
            let changedAt = try Double.fetchOne(db, sql: "SELECT julianday('now')") ?? 0
            try db.execute(
                sql: """
                    INSERT INTO main.\(tracking) (\(keys.joined(separator: ", ")), version, origin, tombstone, changedAt)
                    SELECT \(sourceKeys), ?4, ?5, 0, ?6 \(present)
                    ON CONFLICT (\(keys.joined(separator: ", "))) DO UPDATE SET
                        version = excluded.version, origin = excluded.origin, tombstone = 0, changedAt = excluded.changedAt
                    """,
                arguments: [lastApplied, newAnchor, targetPeer, version, sourcePeer, changedAt]
            )
            result.upserted = db.changesCount
            // A row deleted above still has its live tracking row (the only ones left with tombstone = 0).
            if deletes {
                try db.execute(
                    sql: """
                        UPDATE main.\(tracking) SET version = ?4, origin = ?5, tombstone = 1, changedAt = ?6
                        WHERE tombstone = 0 AND (\(keys.joined(separator: ", "))) IN (\(tombstones))
                        """,
                    arguments: [lastApplied, newAnchor, targetPeer, version, sourcePeer, changedAt]
                )
            }
        }
        try Self.saveAnchor(db, peer: sourcePeer, table: table.name, version: newAnchor)
        return result
    }

    /// Runs `body` with the emulator's triggers on `table` dropped, when `suspending`, and puts them back as
    /// they were (their stored SQL), in the same transaction. While the engine applies rows they stand aside
    /// anyway (the origin is set), but SQLite still runs each for every row to find that out: a third of an
    /// initial sync into an empty table (BENCHMARKS.md). The user's own triggers still fire.
    private static func suspendingOwnTriggers(of table: SyncTable, in db: Database, when suspending: Bool, _ body: () throws -> Void) throws {
        guard suspending else { return try body() }
        let names = ChangeTracking.triggerNames(of: table.name)
        let placeholders = names.map { _ in "?" }.joined(separator: ", ")
        let saved = try String.fetchAll(
            db,
            sql: "SELECT sql FROM main.sqlite_master WHERE type = 'trigger' AND name IN (\(placeholders)) ORDER BY rowid",
            arguments: StatementArguments(names)
        )
        for name in names { try db.execute(sql: "DROP TRIGGER IF EXISTS main.\(quote(name))") }
        try body()
        for sql in saved { try db.execute(sql: sql) }
    }

    private struct Change {
        let version: Int64
        let key: [DatabaseValue]
        /// Selected column values in `table.columns` order; `nil` for a tombstone.
        let values: [DatabaseValue]?
    }

    static func transferRowByRow(
        _ table: SyncTable,
        from source: SyncEndpoint,
        to target: SyncEndpoint,
        policy: ConflictResolutionPolicy
    ) throws -> TableTransfer {
        let lastApplied = try target.queue.read { db in try Self.anchor(db, schema: "main", peer: source.peer, table: table.name) }
        let (newAnchor, threshold, changes) = try source.queue.read { db -> (Int64, Int64, [Change]) in
            guard try ChangeTracking.isTracked(db, table: table.name) else {
                throw EngineError("table '\(table.name)' is not provisioned in the source")
            }
            let newAnchor = try Int64.fetchOne(db, sql: "SELECT version FROM datasync_clock WHERE id = 1") ?? 0
            let threshold = try Self.anchor(db, schema: "main", peer: target.peer, table: table.name)
            let changes = try Self.enumerate(db, table: table, after: lastApplied, upTo: newAnchor, excludingOrigin: target.peer)
            return (newAnchor, threshold, changes)
        }
        let plan = ApplyPlan(
            table: table,
            origin: source.peer,
            threshold: threshold,
            policy: policy,
            incoming: source.isHub ? .hub : .member,
            newAnchor: newAnchor
        )
        // First every row in the transaction itself; only when one fails does a second transaction go
        // row by row, each row in its own savepoint. (A savepoint around the whole table would keep SQLite's
        // statement journal from being reset after each row, and it spills to a temporary file.)
        do {
            return try target.queue.write { db in try Self.apply(changes, plan: plan, in: db, isolatingRows: false) }
        } catch is RowFailed {
            return try target.queue.write { db in try Self.apply(changes, plan: plan, in: db, isolatingRows: true) }
        }
    }

    /// Thrown out of the first row-by-row attempt when a row fails, to roll its transaction back.
    private struct RowFailed: Error {}

    /// What the row-by-row path applies, from where, and how conflicts go.
    private struct ApplyPlan {
        let table: SyncTable
        let origin: String
        let threshold: Int64
        let policy: ConflictResolutionPolicy
        /// The side the changes come from.
        let incoming: SyncSide
        let newAnchor: Int64
    }

    static func anchor(_ db: Database, schema: String, peer: String, table: String) throws -> Int64 {
        guard try db.tableExists("datasync_anchor", in: schema) else { return 0 }
        return try Int64.fetchOne(
            db,
            sql: "SELECT version FROM \(schema).datasync_anchor WHERE peer = ? AND tableName = ?",
            arguments: [peer, table]
        ) ?? 0
    }

    private static func saveAnchor(_ db: Database, peer: String, table: String, version: Int64) throws {
        try db.execute(
            sql: """
                INSERT INTO main.datasync_anchor (peer, tableName, version) VALUES (?, ?, ?)
                ON CONFLICT (peer, tableName) DO UPDATE SET version = excluded.version
                """,
            arguments: [peer, table, version]
        )
    }

    /// Bumps the database's change counter and returns the new version.
    private static func nextVersion(_ db: Database, schema: String) throws -> Int64 {
        try db.execute(sql: "UPDATE \(schema).datasync_clock SET version = version + 1 WHERE id = 1")
        return try Int64.fetchOne(db, sql: "SELECT version FROM \(schema).datasync_clock WHERE id = 1") ?? 0
    }

    private static func updateClause(_ nonKeyColumns: [String]) -> String {
        nonKeyColumns.isEmpty ? "NOTHING" : "UPDATE SET " + nonKeyColumns.map { "\($0) = excluded.\($0)" }.joined(separator: ", ")
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

    private static func apply(_ changes: [Change], plan: ApplyPlan, in db: Database, isolatingRows: Bool) throws -> TableTransfer {
        let table = plan.table
        var result = TableTransfer(table: table.name)
        let keys = table.primaryKey.map(quote)
        let keyPredicate = keys.map { "\($0) = ?" }.joined(separator: " AND ")
        // Without a local change since the source last synced from here, no row can conflict: skip the lookups.
        let mayConflict = try Bool.fetchOne(
            db,
            sql: "SELECT EXISTS (SELECT 1 FROM \(quote(table.trackingTable)) WHERE version > ? AND (origin IS NULL OR origin <> ?))",
            arguments: [plan.threshold, plan.origin]
        ) == true
        let accepted = mayConflict ? try Self.settleConflicts(changes, plan: plan, in: db, result: &result) : changes
        var firstFailedVersion: Int64?
        if !accepted.isEmpty {
            let version = try Self.nextVersion(db, schema: "main")
            try db.execute(sql: "UPDATE datasync_context SET origin = ? WHERE id = 1", arguments: [plan.origin])
            let upsertSQL =
                "INSERT INTO \(quote(table.name)) (\(table.columns.map(quote).joined(separator: ", "))) VALUES (\(table.columns.map { _ in "?" }.joined(separator: ", ")))"
                + " ON CONFLICT (\(keys.joined(separator: ", "))) DO \(Self.updateClause(table.columns.filter { !table.primaryKey.contains($0) }.map(quote)))"
            let deleteSQL = "DELETE FROM \(quote(table.name)) WHERE \(keyPredicate)"
            let trackSQL = """
                INSERT INTO \(quote(table.trackingTable)) (\(keys.joined(separator: ", ")), version, origin, tombstone, changedAt)
                VALUES (\(keys.map { _ in "?" }.joined(separator: ", ")), ?, ?, ?, julianday('now'))
                ON CONFLICT (\(keys.joined(separator: ", "))) DO UPDATE SET
                    version = excluded.version, origin = excluded.origin, tombstone = excluded.tombstone, changedAt = excluded.changedAt
                """
            // A statement that failed keeps its error until re-prepared, so each failure gets fresh ones.
            var statements = try (upsert: db.makeStatement(sql: upsertSQL), delete: db.makeStatement(sql: deleteSQL), track: db.makeStatement(sql: trackSQL))
            func applyOne(_ change: Change) throws {
                if let values = change.values {
                    try statements.upsert.execute(arguments: Self.arguments(values))
                    result.upserted += 1
                } else {
                    try statements.delete.execute(arguments: Self.arguments(change.key))
                    guard db.changesCount > 0 else { return }
                    result.deleted += db.changesCount
                }
                try statements.track.execute(
                    arguments: Self.arguments(change.key) + [version, plan.origin, change.values == nil]
                )
            }
            if isolatingRows {
                for change in accepted {
                    do {
                        try db.inSavepoint {
                            try applyOne(change)
                            return .commit
                        }
                    } catch let error as DatabaseError {
                        result.failures.append(
                            RowFailure(table: table.name, key: change.key.map(Self.text), message: error.message ?? "\(error)")
                        )
                        firstFailedVersion = min(firstFailedVersion ?? change.version, change.version)
                        statements = try (db.makeStatement(sql: upsertSQL), db.makeStatement(sql: deleteSQL), db.makeStatement(sql: trackSQL))
                    }
                }
            } else {
                do {
                    for change in accepted { try applyOne(change) }
                } catch is DatabaseError {
                    throw RowFailed()
                }
            }
            try db.execute(sql: "UPDATE datasync_context SET origin = NULL WHERE id = 1")
        }
        try Self.saveAnchor(db, peer: plan.origin, table: table.name, version: firstFailedVersion.map { $0 - 1 } ?? plan.newAnchor)
        return result
    }

    /// The changes that win against local changes, recording every conflict in `result`.
    private static func settleConflicts(_ changes: [Change], plan: ApplyPlan, in db: Database, result: inout TableTransfer) throws -> [Change] {
        let table = plan.table
        let keyPredicate = table.primaryKey.map { "\(quote($0)) = ?" }.joined(separator: " AND ")
        let localChange = try db.makeStatement(
            sql: "SELECT version, origin, tombstone FROM \(quote(table.trackingTable)) WHERE \(keyPredicate)"
        )
        let currentRow = try db.makeStatement(
            sql: "SELECT \(table.columns.map(quote).joined(separator: ", ")) FROM \(quote(table.name)) WHERE \(keyPredicate)"
        )
        var accepted: [Change] = []
        accepted.reserveCapacity(changes.count)
        for change in changes {
            let key = Self.arguments(change.key)
            if let local = try Row.fetchOne(localChange, arguments: key) {
                let version: Int64 = local[0]
                let localOrigin: String? = local[1]
                if version > plan.threshold, localOrigin != plan.origin {
                    let conflict = RowConflict(incoming: plan.incoming, incomingDeletes: change.values == nil, localDeletes: local[2])
                    if conflict.isAgreement { continue }
                    let winner = plan.policy.winner(of: conflict)
                    let losingRow: [String: String]?
                    if winner == plan.incoming {
                        losingRow = try Row.fetchOne(currentRow, arguments: key).map { Self.describe($0, columns: table.columns) }
                    } else {
                        losingRow = change.values.map { Self.describe($0, columns: table.columns) }
                    }
                    result.conflicts.append(
                        SyncConflict(table: table.name, key: change.key.map(Self.text), winner: winner.rawValue, losingRow: losingRow)
                    )
                    if winner != plan.incoming { continue }
                }
            }
            accepted.append(change)
        }
        return accepted
    }

    /// Statement arguments from database values. GRDB's generic `StatementArguments(_:)` builds a key path
    /// at run time on every call; the existential form does not (see BENCHMARKS.md).
    private static func arguments(_ values: [DatabaseValue]) -> StatementArguments {
        StatementArguments(values.map { $0 as (any DatabaseValueConvertible)? })
    }

    private static func describe(_ row: Row, columns: [String]) -> [String: String] {
        Dictionary(zip(columns, (0..<columns.count).map { Self.text(row[$0] as DatabaseValue) }), uniquingKeysWith: { first, _ in first })
    }

    private static func describe(_ values: [DatabaseValue], columns: [String]) -> [String: String] {
        Dictionary(zip(columns, values.map(Self.text)), uniquingKeysWith: { first, _ in first })
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
