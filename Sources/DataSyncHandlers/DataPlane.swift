import DataSyncEngine
import DataSyncModel
import DataSyncStore
import Foundation

/// Where the management plane meets the real databases: which database a group or member is, what a
/// schema selects, and provisioning. It keeps the engine's vocabulary out of the other handlers.
struct DataPlane: Sendable {
    let databases: EmulatedDatabases

    /// The hub of a group: the database in its path.
    static func hubKey(_ path: SyncGroupPath) throws -> DatabaseKey {
        try DatabaseKey(server: path.database.server.server.value, database: path.database.database.value)
    }

    /// A member's database: `serverName` (an FQDN means its first label) and `databaseName`.
    static func memberKey(_ member: SyncMember) throws -> DatabaseKey {
        guard let server = member.settings.serverName, let database = member.settings.databaseName else {
            throw EngineError("the member has no serverName or databaseName")
        }
        return try DatabaseKey(server: server, database: database)
    }

    static func hubPeer(_ path: SyncGroupPath) -> String { "hub:\(path.id.armKey)" }
    static func memberPeer(_ path: SyncMemberPath) -> String { "member:\(path.id.armKey)" }

    /// The tables a group's schema selects, resolved against the hub's refreshed schema, parents first.
    /// - Throws: ``DataSyncError`` with the service's codes for tables or columns it cannot sync.
    static func selection(_ schema: SyncGroupSchema, hub: DatabaseSchema?) throws -> [SyncTable] {
        guard !schema.tables.isEmpty else { return [] }
        guard let hub else {
            throw DataSyncError.genericFailure("the hub schema has not been refreshed; call refreshHubSchema first.")
        }
        var tables: [SyncTable] = []
        var selectedNames = Set<String>()
        for selected in schema.tables {
            let selection = TableSelection(selected, hub: hub)
            guard let table = selection.table, let syncTable = selection.syncTable else {
                throw DataSyncError.genericFailure("table '\(selection.quotedName)' was not found in the hub schema.")
            }
            // `[dbo].[T]`, `dbo.T` and `t` are one table: selecting it twice would provision it twice.
            guard selectedNames.insert(syncTable.name.lowercased()).inserted else {
                throw DataSyncError.genericFailure("table '\(table.quotedName)' is selected more than once in the schema.")
            }
            guard Set(syncTable.columns.map { $0.lowercased() }).count == syncTable.columns.count else {
                throw DataSyncError.genericFailure("a column of table '\(table.quotedName)' is selected more than once in the schema.")
            }
            if let errorID = table.errorID {
                throw DataSyncError.genericFailure("table '\(table.quotedName)' cannot be synced: \(errorID).")
            }
            for column in selection.columns {
                guard let match = column.match else {
                    throw DataSyncError.genericFailure("column '\(column.quotedName)' was not found in table '\(table.quotedName)' of the hub schema.")
                }
                if match.errorID != nil {
                    throw DataSyncError.unsupportedColumnType(column: match.quotedName, table: table.quotedName, dataType: match.dataType)
                }
            }
            for key in syncTable.primaryKey where !syncTable.columns.contains(key) {
                throw DataSyncError.genericFailure("primary key column '[\(key)]' of table '\(table.quotedName)' must be selected.")
            }
            tables.append(syncTable)
        }
        return tables
    }

    /// Provisions the hub of `group` and each of `members` for `tables`, creating missing member tables
    /// from the hub's definitions.
    /// - Returns: each member's new state: `Provisioned`, or `ProvisionFailed` with the reason.
    func provision(
        group: SyncGroup,
        tables: [SyncTable],
        members: [SyncMember],
        now: Date
    ) throws -> [(member: SyncMember, failure: String?)] {
        let hubKey = try Self.hubKey(group.path)
        let definitions = try self.databases.provisionHub(hubKey, scope: Self.hubPeer(group.path), tables: tables, now: now)
        return members.map { member in
            do {
                let key = try Self.memberKey(member)
                guard key != hubKey else { throw EngineError("a member cannot be the hub database itself") }
                try self.databases.provisionMember(
                    key,
                    scope: Self.memberPeer(member.path),
                    tables: tables,
                    definitions: definitions,
                    now: now
                )
                return (member, nil)
            } catch {
                return (member, String(describing: error))
            }
        }
    }

    /// Removes a member's tracking, and the hub's memory of it. Data is never dropped. A database that
    /// cannot be named was never provisioned, so it holds nothing to remove.
    /// - Throws: the data plane's failure, for the caller to log and report.
    func deprovision(member: SyncMember) throws {
        if let key = try? Self.memberKey(member) {
            try self.databases.deprovision(key, scope: Self.memberPeer(member.path), forgetting: [Self.hubPeer(member.path.group)])
        }
        if let hub = try? Self.hubKey(member.path.group) {
            try self.databases.deprovision(hub, scope: nil, forgetting: [Self.memberPeer(member.path)])
        }
    }

    /// Removes a group's tracking from its hub and its members.
    /// - Throws: the first failure, after trying every database.
    func deprovision(group: SyncGroup, members: [SyncMember]) throws {
        var failures: [any Error] = []
        for member in members {
            do { try self.deprovision(member: member) } catch { failures.append(error) }
        }
        if let hub = try? Self.hubKey(group.path) {
            do { try self.databases.deprovision(hub, scope: Self.hubPeer(group.path), forgetting: []) } catch { failures.append(error) }
        }
        if let first = failures.first { throw first }
    }

    /// The databases work on `member` touches: its own (when it can be named) and its group's hub.
    static func keys(of member: SyncMember) -> [DatabaseKey] {
        [try? Self.memberKey(member), try? Self.hubKey(member.path.group)].compactMap { $0 }
    }
}

/// A selected table matched against the hub's refreshed schema, gaps included: saving a schema turns the
/// gaps into the service's errors, the dashboard shows them beside what did match.
public struct TableSelection: Sendable {
    public struct Column: Sendable {
        /// The name as the group's schema gives it, such as `[C]`.
        public var quotedName: String
        /// The bare name.
        public var name: String
        /// The hub's column of that name (without case), or `nil`.
        public var match: SchemaColumn?
    }

    /// The name as the group's schema gives it, such as `[dbo].[T]`.
    public var quotedName: String
    /// The hub's table of that bare name (without case); `nil` when there is none or no refreshed schema.
    public var table: SchemaTable?
    /// The selected columns, in the order the schema gives them.
    public var columns: [Column]

    public init(_ selected: SyncGroupSchemaTable, hub: DatabaseSchema?) {
        self.quotedName = selected.quotedName ?? ""
        let name = SchemaReader.tableName(fromQuoted: self.quotedName).lowercased()
        let table = hub?.tables.first { SchemaReader.tableName(fromQuoted: $0.quotedName).lowercased() == name }
        self.table = table
        self.columns = selected.columns.map { column in
            let quoted = column.quotedName ?? ""
            let bare = SchemaReader.columnName(fromQuoted: quoted)
            return Column(quotedName: quoted, name: bare, match: table?.columns.first { $0.name.lowercased() == bare.lowercased() })
        }
    }

    /// The hub's columns that the schema selects, in table order.
    public var selectedColumns: [SchemaColumn] {
        let chosen = Set(self.columns.compactMap(\.match?.name))
        return self.table?.columns.filter { chosen.contains($0.name) } ?? []
    }

    /// The table as sync reads it, from the columns that matched; `nil` exactly when ``table`` is.
    public var syncTable: SyncTable? {
        self.table.map { table in
            SyncTable(
                name: SchemaReader.tableName(fromQuoted: table.quotedName),
                columns: self.selectedColumns.map(\.name),
                primaryKey: table.columns.filter(\.isPrimaryKey).map(\.name)
            )
        }
    }
}
