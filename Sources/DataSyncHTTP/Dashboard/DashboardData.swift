import DataSyncEngine
import DataSyncHandlers
import DataSyncModel
import DataSyncStore
import Foundation

/// Every resource in the emulator as the dashboard's tree shows it: subscriptions, resource groups,
/// servers (with their agents), databases, and the sync groups on them with their members.
///
/// ARM has no such listing; the tree is built from one snapshot of the store, in creation order.
struct ResourceTree: Sendable {
    struct Subscription: Sendable {
        var name: String
        var resourceGroups: [ResourceGroup] = []
    }

    struct ResourceGroup: Sendable {
        var name: String
        var servers: [Server] = []
    }

    struct Server: Sendable {
        var path: ServerPath
        var agents: [SyncAgent] = []
        var databases: [Database] = []
    }

    struct Database: Sendable {
        var path: DatabasePath
        var groups: [Group] = []
    }

    struct Group: Sendable {
        var group: SyncGroup
        var members: [SyncMember]
    }

    var subscriptions: [Subscription] = []

    var isEmpty: Bool { self.subscriptions.isEmpty }

    /// Reads every group, member and agent in one snapshot.
    static func load(from store: StateStore) async throws -> ResourceTree {
        try await store.read { reader in
            let members = Dictionary(grouping: try reader.allMembers()) { $0.path.group.id.armKey }
            var tree = ResourceTree()
            for group in try reader.allGroups() {
                tree.add(Group(group: group, members: members[group.path.id.armKey] ?? []))
            }
            for agent in try reader.allAgents() {
                tree.add(agent)
            }
            return tree
        }
    }

    private mutating func add(_ group: Group) {
        let path = group.group.path.database
        self.withServer(path.server) { server in
            let index = server.databases.firstIndex { $0.path.id.armKey == path.id.armKey } ?? {
                server.databases.append(Database(path: path))
                return server.databases.count - 1
            }()
            server.databases[index].groups.append(group)
        }
    }

    private mutating func add(_ agent: SyncAgent) {
        self.withServer(agent.path.server) { $0.agents.append(agent) }
    }

    /// Runs `body` on the tree's entry for `path`, adding the subscription, resource group and server as needed.
    private mutating func withServer(_ path: ServerPath, _ body: (inout Server) -> Void) {
        let subscription = self.subscriptions.firstIndex { $0.name.lowercased() == path.subscriptionID.key } ?? {
            self.subscriptions.append(Subscription(name: path.subscriptionID.value))
            return self.subscriptions.count - 1
        }()
        var groups = self.subscriptions[subscription].resourceGroups
        let resourceGroup = groups.firstIndex { $0.name.lowercased() == path.resourceGroup.key } ?? {
            groups.append(ResourceGroup(name: path.resourceGroup.value))
            return groups.count - 1
        }()
        var servers = groups[resourceGroup].servers
        let server = servers.firstIndex { $0.path.id.armKey == path.id.armKey } ?? {
            servers.append(Server(path: path))
            return servers.count - 1
        }()
        body(&servers[server])
        groups[resourceGroup].servers = servers
        self.subscriptions[subscription].resourceGroups = groups
    }
}

/// What the group page shows: the group and its members, the selected schema, the content of every synced
/// table in the hub and each member, recent log entries and conflicts.
struct GroupDetail: Sendable {
    /// A selected table resolved against the hub's last refreshed schema.
    struct SelectedTable: Sendable {
        struct Column: Sendable {
            var name: String
            var dataType: String
            var isPrimaryKey: Bool
        }

        /// The name as the schema gives it, such as `[dbo].[T]`.
        var quotedName: String
        var columns: [Column]
        /// Why the table cannot be compared (not in the hub schema, a column missing), or `nil`.
        var problem: String?
        /// The table as sync reads it, when it resolved.
        var syncTable: SyncTable?
    }

    /// The content of one table in one database.
    enum Content: Sendable, Equatable {
        case rows(Int, checksum: String)
        /// The database has no such table.
        case missing
        /// The member holds no change tracking yet, so its content is not compared.
        case notProvisioned
        case unreadable(String)
    }

    /// One synced table across the hub and the members, in member order.
    struct Comparison: Sendable {
        var table: String
        var hub: Content
        var members: [Content]

        /// Whether every provisioned member holds what the hub holds (`nil` when none is provisioned).
        var converged: Bool? {
            let compared = self.members.filter { $0 != .notProvisioned }
            guard !compared.isEmpty else { return nil }
            guard case .rows = self.hub else { return false }
            return compared.allSatisfy { $0 == self.hub }
        }
    }

    var group: SyncGroup
    var members: [SyncMember]
    var tables: [SelectedTable]
    var comparisons: [Comparison]
    var logs: [SyncLogEntry]
    var logFilter: SyncLogType
    /// The newest conflicts, or `nil` when the group does not log conflicts.
    var conflicts: [SyncLogEntry]?

    /// Whether every compared table has converged: `nil` when nothing could be compared.
    var converged: Bool? {
        let verdicts = self.comparisons.compactMap(\.converged)
        guard !verdicts.isEmpty else { return nil }
        return verdicts.allSatisfy { $0 }
    }

    /// How many log entries the page shows.
    static let logLimit = 25
    /// How many conflicts the page shows.
    static let conflictLimit = 20
    /// Reads the group (`nil` when it does not exist) and digests its tables in every database.
    static func load(
        _ path: SyncGroupPath,
        logFilter: SyncLogType,
        store: StateStore,
        databases: EmulatedDatabases
    ) async throws -> GroupDetail? {
        let stored = try await store.read { reader -> (SyncGroup, [SyncMember], DatabaseSchema?, [SyncLogEntry], [SyncLogEntry]?)? in
            guard let group = try reader.group(path) else { return nil }
            let conflicts =
                group.settings.enableConflictLogging == true
                ? try reader.recentLogs(of: group.path, type: .all, operationStatus: "ConflictResolved", limit: Self.conflictLimit)
                : nil
            return (
                group,
                try reader.members(in: group.path),
                try reader.schema(ownerID: group.path.id),
                try reader.recentLogs(of: group.path, type: logFilter, limit: Self.logLimit),
                conflicts
            )
        }
        guard case let (group, members, hubSchema, logs, conflicts)? = stored else { return nil }
        let tables = (group.settings.schema?.tables ?? []).map { Self.resolve($0, hub: hubSchema) }
        let comparisons = try await offload {
            try Self.compare(tables.compactMap(\.syncTable), group: group, members: members, databases: databases)
        }
        return GroupDetail(
            group: group,
            members: members,
            tables: tables,
            comparisons: comparisons,
            logs: logs,
            logFilter: logFilter,
            conflicts: conflicts
        )
    }

    /// Resolves a selected table as sync does, but reports a problem instead of failing, so the page can
    /// still show the rest.
    private static func resolve(_ selected: SyncGroupSchemaTable, hub: DatabaseSchema?) -> SelectedTable {
        let selection = TableSelection(selected, hub: hub)
        guard selection.table != nil else {
            let columns = selection.columns.map { SelectedTable.Column(name: $0.name, dataType: "", isPrimaryKey: false) }
            return SelectedTable(
                quotedName: selection.quotedName,
                columns: columns,
                problem: "not in the hub schema: refresh the hub schema",
                syncTable: nil
            )
        }
        let display = selection.selectedColumns.map { SelectedTable.Column(name: $0.name, dataType: $0.dataType, isPrimaryKey: $0.isPrimaryKey) }
        let missing = selection.columns.filter { $0.match == nil }.map(\.name)
        guard missing.isEmpty else {
            return SelectedTable(
                quotedName: selection.quotedName,
                columns: display,
                problem: "columns not in the hub schema: \(missing.joined(separator: ", "))",
                syncTable: nil
            )
        }
        return SelectedTable(quotedName: selection.quotedName, columns: display, problem: nil, syncTable: selection.syncTable)
    }

    private static func compare(
        _ tables: [SyncTable],
        group: SyncGroup,
        members: [SyncMember],
        databases: EmulatedDatabases
    ) throws -> [Comparison] {
        let hubKey = try DatabaseKey(server: group.path.database.server.server.value, database: group.path.database.database.value)
        let memberKeys: [DatabaseKey?] = members.map { member in
            guard MemberLifecycle(member.syncState).isProvisioned,
                let server = member.settings.serverName, let database = member.settings.databaseName
            else { return nil }
            return try? DatabaseKey(server: server, database: database)
        }
        return tables.map { table in
            Comparison(
                table: table.name,
                hub: Self.content(of: table, in: hubKey, databases: databases),
                members: memberKeys.map { key in key.map { Self.content(of: table, in: $0, databases: databases) } ?? .notProvisioned }
            )
        }
    }

    private static func content(of table: SyncTable, in key: DatabaseKey, databases: EmulatedDatabases) -> Content {
        do {
            guard let digest = try databases.digest(key, table: table) else { return .missing }
            return .rows(digest.rows, checksum: digest.checksum)
        } catch {
            return .unreadable(String(describing: error))
        }
    }
}
