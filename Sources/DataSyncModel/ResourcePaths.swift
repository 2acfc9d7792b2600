/// The ARM scope shared by every Data Sync resource: a logical server in a resource group.
public struct ServerPath: Hashable, Sendable {
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
public struct DatabasePath: Hashable, Sendable {
    public var server: ServerPath
    public var database: ResourceName

    public init(server: ServerPath, database: ResourceName) {
        self.server = server
        self.database = database
    }

    public var id: String { "\(self.server.id)/databases/\(self.database)" }
}

/// The path of a sync group.
public struct SyncGroupPath: Hashable, Sendable {
    public var database: DatabasePath
    public var name: ResourceName

    public init(database: DatabasePath, name: ResourceName) {
        self.database = database
        self.name = name
    }

    public var id: String { "\(self.database.id)/syncGroups/\(self.name)" }
}

/// The path of a sync member.
public struct SyncMemberPath: Hashable, Sendable {
    public var group: SyncGroupPath
    public var name: ResourceName

    public init(group: SyncGroupPath, name: ResourceName) {
        self.group = group
        self.name = name
    }

    public var id: String { "\(self.group.id)/syncMembers/\(self.name)" }
}

/// The path of a sync agent.
public struct SyncAgentPath: Hashable, Sendable {
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

private let serverLiterals = ["subscriptions", "resourcegroups", "providers", "servers"]

extension ServerPath {
    /// Parses `/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.Sql/servers/{srv}`, literals compared
    /// without case as ARM does. Returns `nil` for anything else.
    public init?(armID: String) {
        guard let names = parseARMID(armID, literals: serverLiterals) else { return nil }
        self.init(names)
    }

    fileprivate init(_ names: [ResourceName]) {
        self.init(subscriptionID: names[0], resourceGroup: names[1], server: names[2])
    }
}

extension DatabasePath {
    /// Parses `/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.Sql/servers/{srv}/databases/{db}`,
    /// literals compared without case as ARM does. Returns `nil` for anything else.
    public init?(armID: String) {
        guard let names = parseARMID(armID, literals: serverLiterals + ["databases"]) else { return nil }
        self.init(names)
    }

    fileprivate init(_ names: [ResourceName]) {
        self.init(server: ServerPath(names), database: names[3])
    }
}

extension SyncGroupPath {
    /// Parses a sync group ARM id; `nil` for anything else.
    public init?(armID: String) {
        guard let names = parseARMID(armID, literals: serverLiterals + ["databases", "syncgroups"]) else { return nil }
        self.init(names)
    }

    fileprivate init(_ names: [ResourceName]) {
        self.init(database: DatabasePath(names), name: names[4])
    }
}

extension SyncMemberPath {
    /// Parses a sync member ARM id; `nil` for anything else.
    public init?(armID: String) {
        guard let names = parseARMID(armID, literals: serverLiterals + ["databases", "syncgroups", "syncmembers"]) else {
            return nil
        }
        self.init(group: SyncGroupPath(names), name: names[5])
    }
}

extension SyncAgentPath {
    /// Parses a sync agent ARM id; `nil` for anything else.
    public init?(armID: String) {
        guard let names = parseARMID(armID, literals: serverLiterals + ["syncagents"]) else { return nil }
        self.init(server: ServerPath(names), name: names[3])
    }
}

/// A path is stored as its ARM id, one string, which is cheaper to encode than nested objects (see
/// BENCHMARKS.md). The nested form of older state files still decodes.
private protocol StoredAsARMID: Codable {
    associatedtype LegacyForm: Decodable
    var id: String { get }
    init?(armID: String)
    init(legacy: LegacyForm)
}

extension StoredAsARMID {
    public init(from decoder: any Decoder) throws {
        if let id = try? decoder.singleValueContainer().decode(String.self) {
            guard let path = Self(armID: id) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not an ARM id of this kind: \(id)"))
            }
            self = path
        } else {
            self.init(legacy: try LegacyForm(from: decoder))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(self.id)
    }
}

extension ServerPath: StoredAsARMID {
    fileprivate struct LegacyForm: Decodable {
        let subscriptionID: ResourceName
        let resourceGroup: ResourceName
        let server: ResourceName
    }

    fileprivate init(legacy: LegacyForm) {
        self.init(subscriptionID: legacy.subscriptionID, resourceGroup: legacy.resourceGroup, server: legacy.server)
    }
}

extension DatabasePath: StoredAsARMID {
    fileprivate struct LegacyForm: Decodable {
        let server: ServerPath
        let database: ResourceName
    }

    fileprivate init(legacy: LegacyForm) {
        self.init(server: legacy.server, database: legacy.database)
    }
}

extension SyncGroupPath: StoredAsARMID {
    fileprivate struct LegacyForm: Decodable {
        let database: DatabasePath
        let name: ResourceName
    }

    fileprivate init(legacy: LegacyForm) {
        self.init(database: legacy.database, name: legacy.name)
    }
}

extension SyncMemberPath: StoredAsARMID {
    fileprivate struct LegacyForm: Decodable {
        let group: SyncGroupPath
        let name: ResourceName
    }

    fileprivate init(legacy: LegacyForm) {
        self.init(group: legacy.group, name: legacy.name)
    }
}

extension SyncAgentPath: StoredAsARMID {
    fileprivate struct LegacyForm: Decodable {
        let server: ServerPath
        let name: ResourceName
    }

    fileprivate init(legacy: LegacyForm) {
        self.init(server: legacy.server, name: legacy.name)
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
        guard let name = try? ResourceName(String(value), kind: .database) else { return nil }
        values.append(name)
    }
    return values
}
