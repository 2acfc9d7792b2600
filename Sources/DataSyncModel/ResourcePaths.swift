/// The ARM scope shared by every Data Sync resource: a logical server in a resource group.
public struct ServerPath: Hashable, Sendable, Codable {
    public var subscriptionID: ResourceName
    public var resourceGroup: ResourceName
    public var server: ResourceName

    public init(subscriptionID: ResourceName, resourceGroup: ResourceName, server: ResourceName) {
        self.subscriptionID = subscriptionID
        self.resourceGroup = resourceGroup
        self.server = server
    }

    /// `/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Sql/servers/{server}`.
    public var id: String {
        "/subscriptions/\(self.subscriptionID)/resourceGroups/\(self.resourceGroup)/providers/Microsoft.Sql/servers/\(self.server)"
    }
}

/// A database on a server; the hub of the sync groups beneath it.
public struct DatabasePath: Hashable, Sendable, Codable {
    public var server: ServerPath
    public var database: ResourceName

    public init(server: ServerPath, database: ResourceName) {
        self.server = server
        self.database = database
    }

    public var id: String { "\(self.server.id)/databases/\(self.database)" }
}

/// The path of a sync group.
public struct SyncGroupPath: Hashable, Sendable, Codable {
    public var database: DatabasePath
    public var name: ResourceName

    public init(database: DatabasePath, name: ResourceName) {
        self.database = database
        self.name = name
    }

    public var id: String { "\(self.database.id)/syncGroups/\(self.name)" }
}

/// The path of a sync member.
public struct SyncMemberPath: Hashable, Sendable, Codable {
    public var group: SyncGroupPath
    public var name: ResourceName

    public init(group: SyncGroupPath, name: ResourceName) {
        self.group = group
        self.name = name
    }

    public var id: String { "\(self.group.id)/syncMembers/\(self.name)" }
}

/// The path of a sync agent.
public struct SyncAgentPath: Hashable, Sendable, Codable {
    public var server: ServerPath
    public var name: ResourceName

    public init(server: ServerPath, name: ResourceName) {
        self.server = server
        self.name = name
    }

    public var id: String { "\(self.server.id)/syncAgents/\(self.name)" }
}

extension String {
    /// The case-insensitive storage key of an ARM id.
    public var armKey: String { self.lowercased() }
}

extension DatabasePath {
    /// Parses `/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.Sql/servers/{srv}/databases/{db}`,
    /// literals compared without case as ARM does. Returns `nil` for anything else.
    public init?(armID: String) {
        guard let names = parseARMID(armID, literals: ["subscriptions", "resourcegroups", "providers", "servers", "databases"])
        else { return nil }
        self.init(server: ServerPath(subscriptionID: names[0], resourceGroup: names[1], server: names[2]), database: names[3])
    }
}

extension SyncAgentPath {
    /// Parses a sync agent ARM id; `nil` for anything else.
    public init?(armID: String) {
        guard let names = parseARMID(armID, literals: ["subscriptions", "resourcegroups", "providers", "servers", "syncagents"])
        else { return nil }
        self.init(server: ServerPath(subscriptionID: names[0], resourceGroup: names[1], server: names[2]), name: names[3])
    }
}

/// Splits an ARM id of the form `/lit0/v0/lit1/v1/providers/Microsoft.Sql/lit3/v3/...` into its values.
private func parseARMID(_ id: String, literals: [String]) -> [ResourceName]? {
    let segments = id.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
    guard id.hasPrefix("/"), segments.count == literals.count * 2 else { return nil }
    var values: [ResourceName] = []
    var iterator = segments.makeIterator()
    for literal in literals {
        guard let key = iterator.next(), let value = iterator.next(), key.lowercased() == literal else { return nil }
        if literal == "providers" {
            guard value.lowercased() == "microsoft.sql" else { return nil }
            continue
        }
        guard ResourceName.isValid(String(value)), let name = try? ResourceName(String(value), kind: .database)
        else { return nil }
        values.append(name)
    }
    return values
}
