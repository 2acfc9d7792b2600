import DataSyncModel
import Foundation
import GRDB

/// A table as a group syncs it: its SQLite name, the selected columns, and its primary key.
public struct SyncTable: Sendable, Equatable, Codable {
    public var name: String
    /// The selected columns, primary key included, in table order.
    public var columns: [String]
    public var primaryKey: [String]

    public init(name: String, columns: [String], primaryKey: [String]) {
        self.name = name
        self.columns = columns
        self.primaryKey = primaryKey
    }

    var trackingTable: String { "datasync_tracking_\(self.name)" }
}

/// Installs and removes change tracking in an emulated database, in the emulator's own `datasync_`
/// namespace, modelled on what Data Sync installs (`DataSync.<table>_dss_tracking` and three triggers).
///
/// - `datasync_tracking_<T>`: one row per primary key, tombstones included, with the local `version` of
///   its last change, the `origin` that wrote it through a sync (NULL for a local write), and `changedAt`.
///   Its index on `(version, origin, tombstone)` covers the scans of a sync, so they never touch the rows.
/// - `datasync_clock`: a one-row counter bumped by every tracked write; SQLite has one writer, so version
///   order is commit order.
/// - `datasync_context`: the origin of the sync applying changes while it applies them. The triggers track
///   local writes only and stand aside while it is set: the engine tracks what it applies itself, stamped
///   with that origin (echo suppression).
/// - `datasync_anchor`: per peer and table, the last version of that peer applied here.
/// - `datasync_scope`: which group scopes use which tracked table, so a shared database keeps tracking
///   until its last user is deprovisioned.
public enum ChangeTracking {
    /// Provisions `tables` for `scope` in `db`. A table missing here is created from `definitions` (the
    /// hub's), with the selected columns only. Rows already present get tracking rows, so they sync.
    /// Tables the scope tracked before but no longer selects are deprovisioned.
    public static func provision(
        _ db: Database,
        tables: [SyncTable],
        scope: String,
        definitions: [String: TableDefinition],
        now: Date
    ) throws {
        try self.installInfrastructure(db)
        for table in tables {
            if try !db.tableExists(table.name) {
                guard let definition = definitions[table.name] else {
                    throw EngineError("table '\(table.name)' does not exist and its definition is unknown")
                }
                try db.execute(sql: definition.createStatement(columns: table.columns, primaryKey: table.primaryKey))
            }
            try self.installTracking(db, table: table, now: now)
            try db.execute(
                sql: "INSERT OR IGNORE INTO datasync_scope (scope, tableName) VALUES (?, ?)",
                arguments: [scope, table.name]
            )
        }
        let selected = Set(tables.map(\.name))
        let previous = try String.fetchAll(db, sql: "SELECT tableName FROM datasync_scope WHERE scope = ?", arguments: [scope])
        for name in previous where !selected.contains(name) {
            try self.release(db, table: name, scope: scope)
        }
    }

    /// Removes `scope`'s tracking from `db` and forgets the anchors of `peers`; user tables and data are
    /// never dropped. Pass `scope: nil` to forget anchors only (a member leaving a hub that stays).
    public static func deprovision(_ db: Database, scope: String?, forgetting peers: [String]) throws {
        guard try db.tableExists("datasync_scope") else { return }
        if let scope {
            for name in try String.fetchAll(db, sql: "SELECT tableName FROM datasync_scope WHERE scope = ?", arguments: [scope]) {
                try self.release(db, table: name, scope: scope)
            }
        }
        for peer in peers {
            try db.execute(sql: "DELETE FROM datasync_anchor WHERE peer = ?", arguments: [peer])
        }
    }

    /// Whether `table` is tracked in `db`.
    public static func isTracked(_ db: Database, table: String) throws -> Bool {
        try db.tableExists("datasync_tracking_\(table)")
    }

    /// The names of the triggers that track local writes to `table`.
    static func triggerNames(of table: String) -> [String] {
        ["insert", "update", "delete"].map { "datasync_\($0)_\(table)" }
    }

    private static func release(_ db: Database, table: String, scope: String) throws {
        try db.execute(sql: "DELETE FROM datasync_scope WHERE scope = ? AND tableName = ?", arguments: [scope, table])
        let users = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM datasync_scope WHERE tableName = ?", arguments: [table]) ?? 0
        guard users == 0 else { return }
        for trigger in self.triggerNames(of: table) {
            try db.execute(sql: "DROP TRIGGER IF EXISTS \(quote(trigger))")
        }
        try db.execute(sql: "DROP TABLE IF EXISTS \(quote("datasync_tracking_\(table)"))")
        try db.execute(sql: "DELETE FROM datasync_anchor WHERE tableName = ?", arguments: [table])
    }

    private static func installInfrastructure(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE IF NOT EXISTS datasync_clock (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL);
                INSERT OR IGNORE INTO datasync_clock (id, version) VALUES (1, 0);
                CREATE TABLE IF NOT EXISTS datasync_context (id INTEGER PRIMARY KEY CHECK (id = 1), origin TEXT);
                INSERT OR IGNORE INTO datasync_context (id, origin) VALUES (1, NULL);
                CREATE TABLE IF NOT EXISTS datasync_anchor (
                    peer TEXT NOT NULL, tableName TEXT NOT NULL, version INTEGER NOT NULL,
                    PRIMARY KEY (peer, tableName)
                ) WITHOUT ROWID;
                CREATE TABLE IF NOT EXISTS datasync_scope (
                    scope TEXT NOT NULL, tableName TEXT NOT NULL, PRIMARY KEY (scope, tableName)
                ) WITHOUT ROWID;
                """
        )
    }

    private static func installTracking(_ db: Database, table: SyncTable, now: Date) throws {
        let tracking = quote(table.trackingTable)
        let base = quote(table.name)
        let keyColumns = table.primaryKey.map(quote).joined(separator: ", ")
        try db.execute(
            sql: """
                CREATE TABLE IF NOT EXISTS \(tracking) (
                    \(table.primaryKey.map { "\(quote($0))" }.joined(separator: ", ")),
                    version INTEGER NOT NULL,
                    origin TEXT,
                    tombstone INTEGER NOT NULL DEFAULT 0,
                    changedAt REAL NOT NULL,
                    PRIMARY KEY (\(keyColumns))
                ) WITHOUT ROWID;
                DROP INDEX IF EXISTS \(quote("\(table.trackingTable)_version"));
                CREATE INDEX IF NOT EXISTS \(quote("\(table.trackingTable)_changes")) ON \(tracking) (version, origin, tombstone);
                """
        )
        func trigger(_ event: String, row: String, tombstone: Int) -> String {
            let values = table.primaryKey.map { "\(row).\(quote($0))" }.joined(separator: ", ")
            return """
                DROP TRIGGER IF EXISTS \(quote("datasync_\(event.lowercased())_\(table.name)"));
                CREATE TRIGGER \(quote("datasync_\(event.lowercased())_\(table.name)")) AFTER \(event) ON \(base)
                WHEN (SELECT origin FROM datasync_context WHERE id = 1) IS NULL
                BEGIN
                    UPDATE datasync_clock SET version = version + 1 WHERE id = 1;
                    INSERT INTO \(tracking) (\(keyColumns), version, origin, tombstone, changedAt)
                    VALUES (\(values), (SELECT version FROM datasync_clock WHERE id = 1), NULL, \(tombstone), julianday('now'))
                    ON CONFLICT (\(keyColumns)) DO UPDATE SET
                        version = excluded.version, origin = excluded.origin,
                        tombstone = excluded.tombstone, changedAt = excluded.changedAt;
                END;
                """
        }
        try db.execute(sql: trigger("INSERT", row: "NEW", tombstone: 0))
        try db.execute(sql: trigger("UPDATE", row: "NEW", tombstone: 0))
        try db.execute(sql: trigger("DELETE", row: "OLD", tombstone: 1))
        // Rows that predate provisioning get a tracking row at one new version, so they sync too. `EXCEPT`
        // sorts both key sets once: a correlated lookup could not use the tracking table's key (its
        // columns carry no affinity), which made provisioning a table tracked already quadratic.
        let missing = try Int.fetchOne(
            db,
            sql: "SELECT COUNT(*) FROM (SELECT \(keyColumns) FROM \(base) EXCEPT SELECT \(keyColumns) FROM \(tracking))"
        ) ?? 0
        guard missing > 0 else { return }
        try db.execute(sql: "UPDATE datasync_clock SET version = version + 1 WHERE id = 1")
        try db.execute(
            sql: """
                INSERT INTO \(tracking) (\(keyColumns), version, origin, tombstone, changedAt)
                SELECT \(table.primaryKey.map { "b.\(quote($0))" }.joined(separator: ", ")),
                       (SELECT version FROM datasync_clock WHERE id = 1), NULL, 0, ?
                FROM \(base) AS b WHERE true
                ON CONFLICT (\(keyColumns)) DO NOTHING
                """,
            arguments: [now.timeIntervalSince1970 / 86_400 + 2_440_587.5]
        )
    }
}

/// How a hub table is declared, so a member that lacks it can get it with the selected columns only.
public struct TableDefinition: Sendable, Equatable {
    public var name: String
    /// Declared types by column name.
    public var declaredTypes: [String: String]
    public var notNull: Set<String>
    /// Default expressions by column name, so rows written on a member get what they would get on the hub.
    public var defaults: [String: String] = [:]

    /// Reads the definition of `table` in `db`.
    public static func read(_ db: Database, table: String) throws -> TableDefinition {
        let columns = try SchemaReader.columns(db, table: table)
        return TableDefinition(
            name: table,
            declaredTypes: Dictionary(columns.map { ($0.name, $0.declaredType) }, uniquingKeysWith: { first, _ in first }),
            notNull: Set(columns.filter(\.notNull).map(\.name)),
            defaults: Dictionary(
                columns.compactMap { column in column.defaultSQL.map { (column.name, $0) } },
                uniquingKeysWith: { first, _ in first }
            )
        )
    }

    func createStatement(columns: [String], primaryKey: [String]) -> String {
        let definitions = columns.map { column in
            var text = "\(quote(column)) \(Self.typeSQL(self.declaredTypes[column] ?? ""))".trimmingCharacters(in: .whitespaces)
            if self.notNull.contains(column) { text += " NOT NULL" }
            if let value = self.defaults[column] { text += " DEFAULT (\(value))" }
            return text
        }
        return "CREATE TABLE \(quote(self.name)) (\(definitions.joined(separator: ", ")), PRIMARY KEY (\(primaryKey.map(quote).joined(separator: ", "))))"
    }

    /// A declared type as SQL: a string, which SQLite reads back as the same declared type, whatever SQLite's
    /// type grammar would make of it (`nvarchar(max)`, `money as text`).
    static func typeSQL(_ declared: String) -> String {
        declared.isEmpty ? "" : "'" + declared.replacingOccurrences(of: "'", with: "''") + "'"
    }
}

/// `name` as a quoted SQLite identifier; user names never reach SQL text any other way.
func quote(_ name: String) -> String {
    "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
}
