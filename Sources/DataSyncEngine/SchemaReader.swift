import DataSyncModel
import Foundation
import GRDB
import TSQL

/// Reads a database's real catalogue and describes it as the service does: `dbo.T`, `[dbo].[T]`, SQL
/// Server type names and sizes, primary keys, and the service's error ids.
public enum SchemaReader {
    /// The error id of a table the service cannot sync because it has no primary key.
    public static let noPrimaryKey = "Schema_TableHasNoPrimaryKey"
    /// The error id of a column whose type the service cannot sync.
    public static let unsupportedType = "Schema_ColumnTypeNotSupported"

    /// The user tables of `db`, in name order, without SQLite's and the engine's own tables.
    public static func read(_ db: Database, at time: Date) throws -> DatabaseSchema {
        let names = try String.fetchAll(
            db,
            sql: """
                SELECT name FROM sqlite_master
                WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE 'datasync\\_%' ESCAPE '\\'
                ORDER BY name
                """
        )
        let tables = try names.map { name in try self.table(db, name: name) }
        return DatabaseSchema(tables: tables, lastUpdateTime: time)
    }

    static func table(_ db: Database, name: String) throws -> SchemaTable {
        let columns = try self.columns(db, table: name).map { column in
            let (dataType, dataSize, supported) = SQLServerType(declared: column.declaredType).map { ($0.name, $0.dataSize, $0.isSupported) }
                ?? Self.serviceType(column.declaredType)
            return SchemaColumn(
                name: column.name,
                quotedName: "[\(column.name)]",
                dataType: dataType,
                dataSize: dataSize,
                isPrimaryKey: column.primaryKeyIndex > 0,
                errorID: supported ? nil : Self.unsupportedType
            )
        }
        let hasKey = columns.contains(where: \.isPrimaryKey)
        let (schema, table) = Self.schemaAndTable(name)
        return SchemaTable(
            name: "\(schema).\(table)",
            quotedName: "[\(schema)].[\(table)]",
            columns: columns,
            errorID: hasKey ? nil : Self.noPrimaryKey
        )
    }

    /// One column as SQLite declares it.
    struct Column {
        let name: String
        let declaredType: String
        let notNull: Bool
        /// The default expression as SQLite keeps it, or `nil`.
        let defaultSQL: String?
        /// 1-based position in the primary key, 0 when not part of it.
        let primaryKeyIndex: Int
    }

    static func columns(_ db: Database, table: String) throws -> [Column] {
        try Row.fetchAll(db, sql: "SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info(?)", arguments: [table])
            .map { row in
                Column(name: row["name"], declaredType: row["type"] ?? "", notNull: row["notnull"], defaultSQL: row["dflt_value"], primaryKeyIndex: row["pk"])
            }
    }

    /// Maps a SQLite declared type that is not a SQL Server type (a table created in the SQLite dialect) to
    /// the service's type name and size, and whether Data Sync can sync it. SQL Server type names are read
    /// by ``SQLServerType`` first.
    static func serviceType(_ declared: String) -> (type: String, size: String, supported: Bool) {
        let lower = declared.trimmingCharacters(in: .whitespaces).lowercased()
        let base = lower.split(separator: "(").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? lower
        var argument: String?
        if let open = lower.firstIndex(of: "("), let close = lower.lastIndex(of: ")"), open < close {
            argument = lower[lower.index(after: open)..<close].replacingOccurrences(of: " ", with: "")
        }
        switch base {
        case "integer", "int8": return ("bigint", "8", true)
        case "int2": return ("smallint", "2", true)
        case "bool", "boolean": return ("bit", "1", true)
        case "double", "double precision": return ("float", "8", true)
        case "timestamp with time zone": return ("datetime2", "8", true)
        case "uuid", "guid": return ("uniqueidentifier", "16", true)
        case "character": return ("char", argument ?? "1", true)
        case "varying character": return ("varchar", argument ?? "max", true)
        case "native character": return ("nvarchar", argument ?? "max", true)
        case "clob": return ("nvarchar", "max", true)
        case "": return ("sql_variant", "", false)
        case "blob": return ("varbinary", argument ?? "max", true)
        default:
            // SQLite's affinity rules decide what the rest is.
            if lower.contains("int") { return ("bigint", "8", true) }
            if lower.contains("char") || lower.contains("clob") || lower.contains("text") { return ("nvarchar", "max", true) }
            if lower.contains("blob") { return ("varbinary", "max", true) }
            if lower.contains("real") || lower.contains("floa") || lower.contains("doub") { return ("float", "8", true) }
            return ("decimal", "18,0", true)
        }
    }

    /// The SQLite table of a service quoted name: `[dbo].[T]`, `dbo.T`, `[T]` and `T` all mean `T`; another
    /// schema's `[S].[T]` means the table `S.T`, as the T-SQL front end names it.
    public static func tableName(fromQuoted quoted: String) -> String {
        let parts = self.splitQuoted(quoted)
        guard parts.count >= 2, parts[parts.count - 2].lowercased() != "dbo" else { return parts.last ?? quoted }
        return "\(parts[parts.count - 2]).\(parts[parts.count - 1])"
    }

    /// The service's quoted name of a SQLite table: `[dbo].[T]`, or `[S].[T]` for the table `S.T`.
    public static func quotedName(_ table: String) -> String {
        let (schema, name) = self.schemaAndTable(table)
        return "[\(schema)].[\(name)]"
    }

    /// The schema and table a SQLite table name stands for: `S.T` is table `T` of schema `S`, any other is in `dbo`.
    public static func schemaAndTable(_ name: String) -> (schema: String, table: String) {
        guard let dot = name.firstIndex(of: "."), dot != name.startIndex, name.index(after: dot) != name.endIndex else {
            return ("dbo", name)
        }
        return (String(name[..<dot]), String(name[name.index(after: dot)...]))
    }

    /// The bare column name in `[C]` or `C`.
    public static func columnName(fromQuoted quoted: String) -> String {
        self.splitQuoted(quoted).last ?? quoted
    }

    private static func splitQuoted(_ quoted: String) -> [String] {
        var parts: [String] = []
        var current = ""
        var inBrackets = false
        for character in quoted {
            switch character {
            case "[" where !inBrackets: inBrackets = true
            case "]" where inBrackets: inBrackets = false
            case "." where !inBrackets:
                parts.append(current)
                current = ""
            default: current.append(character)
            }
        }
        parts.append(current)
        return parts
    }
}
