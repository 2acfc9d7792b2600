import DataSyncModel
import Foundation
import GRDB
import TSQL

/// The T-SQL front end of the emulated databases: what users write, translated against the database's own
/// catalogue, so values are made canonical for the declared SQL Server type of the column they go to.
extension EmulatedDatabases {
    /// The SQLite that the T-SQL script `tsql` runs as in `key` (see ``Translator``).
    /// - Parameter now: what `GETDATE()` and its kin return: the emulator's clock.
    /// - Throws: ``EngineError`` naming the construct, line and column of anything outside the subset.
    public func translate(_ key: DatabaseKey, tsql: String, now: Date) throws -> String {
        do {
            return try self.queue(key).read { db in
                try Self.statements(of: tsql, in: db, now: now).map(\.sql).joined(separator: ";\n")
            }
        } catch let error as TSQLError {
            throw EngineError("Line \(error.line), column \(error.column): \(error.message)")
        }
    }

    /// Runs the T-SQL script in `file` on `key` when the database has no user table yet, as `--init-sql`
    /// does at start; all of it or nothing.
    /// - Returns: whether the script ran.
    /// - Throws: ``EngineError`` naming the file, line and column of the statement that failed.
    public func initialize(_ key: DatabaseKey, script file: URL, now: Date) throws -> Bool {
        let tsql: String
        do {
            tsql = try String(contentsOf: file, encoding: .utf8)
        } catch {
            throw EngineError("\(file.path): cannot read the script: \(error.localizedDescription)")
        }
        return try self.queue(key).write { db in
            guard try SchemaReader.read(db, at: now).tables.isEmpty else { return false }
            let statements: [Translator.Statement]
            do {
                statements = try Self.statements(of: tsql, in: db, now: now)
            } catch let error as TSQLError {
                throw EngineError("\(file.path):\(error.line):\(error.column): \(error.message)")
            }
            for statement in statements {
                do {
                    try db.execute(sql: statement.sql)
                } catch let error as DatabaseError {
                    throw EngineError("\(file.path):\(statement.line):\(statement.column): \(error.message ?? "\(error)")")
                }
            }
            return true
        }
    }

    private static func statements(of tsql: String, in db: Database, now: Date) throws -> [Translator.Statement] {
        var translator = Translator(now: now) { table in try? Self.catalog(db, table: table) }
        return try translator.translate(tsql)
    }

    private static func catalog(_ db: Database, table: String) throws -> [CatalogColumn]? {
        let rows = try Row.fetchAll(db, sql: "SELECT name, type, dflt_value FROM pragma_table_info(?)", arguments: [table])
        guard !rows.isEmpty else { return nil }
        return rows.map { CatalogColumn(name: $0["name"], declaredType: $0["type"] ?? "", defaultSQL: $0["dflt_value"]) }
    }
}
