import Foundation

/// `0001-01-01T00:00:00Z`, the `lastSyncTime` of a group that never synced.
public let neverSyncedTime = Date(timeIntervalSince1970: -62_135_596_800)

/// The `sku` of a sync group, as the client sent it.
public struct SyncGroupSku: Sendable, Codable, Equatable {
    public var name: String
    public var tier: String?
    public var size: String?
    public var family: String?
    public var capacity: Int?

    public init(name: String, tier: String? = nil, size: String? = nil, family: String? = nil, capacity: Int? = nil) {
        self.name = name
        self.tier = tier
        self.size = size
        self.family = family
        self.capacity = capacity
    }
}

/// A managed identity attached to a group or member.
public struct DataSyncIdentity: Sendable, Codable, Equatable {
    public var type: DataSyncIdentityType
    public var tenantID: String?
    /// User-assigned identity ids, in the order given.
    public var userAssignedIdentities: [String]

    public init(type: DataSyncIdentityType, tenantID: String? = nil, userAssignedIdentities: [String] = []) {
        self.type = type
        self.tenantID = tenantID
        self.userAssignedIdentities = userAssignedIdentities
    }
}

/// One column chosen for sync.
public struct SyncGroupSchemaColumn: Sendable, Codable, Equatable {
    public var quotedName: String?
    public var dataSize: String?
    public var dataType: String?

    public init(quotedName: String?, dataSize: String? = nil, dataType: String? = nil) {
        self.quotedName = quotedName
        self.dataSize = dataSize
        self.dataType = dataType
    }
}

/// One table chosen for sync, with its columns.
public struct SyncGroupSchemaTable: Sendable, Codable, Equatable {
    public var quotedName: String?
    public var columns: [SyncGroupSchemaColumn]

    public init(quotedName: String?, columns: [SyncGroupSchemaColumn]) {
        self.quotedName = quotedName
        self.columns = columns
    }
}

/// The tables and columns a group syncs, and the member whose schema they came from.
public struct SyncGroupSchema: Sendable, Codable, Equatable {
    public var tables: [SyncGroupSchemaTable]
    public var masterSyncMemberName: String?

    public init(tables: [SyncGroupSchemaTable], masterSyncMemberName: String?) {
        self.tables = tables
        self.masterSyncMemberName = masterSyncMemberName
    }
}

/// The writable properties of a sync group. `nil` means "not given" (PUT) or "unchanged" (PATCH).
public struct SyncGroupSettings: Sendable, Codable, Equatable {
    public var interval: Int?
    public var conflictResolutionPolicy: ConflictResolutionPolicy?
    public var syncDatabaseID: String?
    public var hubDatabaseUserName: String?
    /// A digest of the hub password; the password itself is never kept.
    public var hubDatabasePasswordDigest: String?
    public var schema: SyncGroupSchema?
    public var enableConflictLogging: Bool?
    public var conflictLoggingRetentionInDays: Int?
    public var usePrivateLinkConnection: Bool?
    public var sku: SyncGroupSku?
    public var identity: DataSyncIdentity?

    public init() {}

    /// Copies every property `patch` sets over `self`.
    public mutating func merge(_ patch: SyncGroupSettings) {
        if let value = patch.interval { self.interval = value }
        if let value = patch.conflictResolutionPolicy { self.conflictResolutionPolicy = value }
        if let value = patch.syncDatabaseID { self.syncDatabaseID = value }
        if let value = patch.hubDatabaseUserName { self.hubDatabaseUserName = value }
        if let value = patch.hubDatabasePasswordDigest { self.hubDatabasePasswordDigest = value }
        if let value = patch.schema { self.schema = value }
        if let value = patch.enableConflictLogging { self.enableConflictLogging = value }
        if let value = patch.conflictLoggingRetentionInDays { self.conflictLoggingRetentionInDays = value }
        if let value = patch.usePrivateLinkConnection { self.usePrivateLinkConnection = value }
        if let value = patch.sku { self.sku = value }
        if let value = patch.identity { self.identity = value }
    }
}

/// A sync group: a hub database, the policy for conflicts, and the tables to sync.
public struct SyncGroup: Sendable, Codable, Equatable {
    public var path: SyncGroupPath
    public var settings: SyncGroupSettings
    public var syncState: SyncGroupState
    public var lastSyncTime: Date
    public var createdAt: Date
    /// When the configuration was last saved: the first interval run comes one interval after it.
    public var scheduledFrom: Date?

    public init(path: SyncGroupPath, settings: SyncGroupSettings, createdAt: Date) {
        self.path = path
        self.settings = settings
        self.syncState = .notReady
        self.lastSyncTime = neverSyncedTime
        self.createdAt = createdAt
        self.scheduledFrom = createdAt
    }
}

/// The writable properties of a sync member. `nil` means "not given" (PUT) or "unchanged" (PATCH).
public struct SyncMemberSettings: Sendable, Codable, Equatable {
    public var databaseType: SyncMemberDatabaseType?
    public var syncAgentID: String?
    public var sqlServerDatabaseID: String?
    public var syncMemberAzureDatabaseResourceID: String?
    public var usePrivateLinkConnection: Bool?
    public var serverName: String?
    public var databaseName: String?
    public var userName: String?
    /// A digest of the member password; the password itself is never kept.
    public var passwordDigest: String?
    public var syncDirection: SyncDirection?
    public var identity: DataSyncIdentity?

    public init() {}

    /// Copies every property `patch` sets over `self`.
    public mutating func merge(_ patch: SyncMemberSettings) {
        if let value = patch.databaseType { self.databaseType = value }
        if let value = patch.syncAgentID { self.syncAgentID = value }
        if let value = patch.sqlServerDatabaseID { self.sqlServerDatabaseID = value }
        if let value = patch.syncMemberAzureDatabaseResourceID { self.syncMemberAzureDatabaseResourceID = value }
        if let value = patch.usePrivateLinkConnection { self.usePrivateLinkConnection = value }
        if let value = patch.serverName { self.serverName = value }
        if let value = patch.databaseName { self.databaseName = value }
        if let value = patch.userName { self.userName = value }
        if let value = patch.passwordDigest { self.passwordDigest = value }
        if let value = patch.syncDirection { self.syncDirection = value }
        if let value = patch.identity { self.identity = value }
    }
}

/// A member database that syncs with the group's hub.
public struct SyncMember: Sendable, Codable, Equatable {
    public var path: SyncMemberPath
    public var settings: SyncMemberSettings
    public var syncState: SyncMemberState
    public var createdAt: Date

    public init(path: SyncMemberPath, settings: SyncMemberSettings, createdAt: Date) {
        self.path = path
        self.settings = settings
        self.syncState = .unProvisioned
        self.createdAt = createdAt
    }
}

/// An on-premises sync agent registered on a server.
public struct SyncAgent: Sendable, Codable, Equatable {
    public var path: SyncAgentPath
    public var syncDatabaseID: String?
    public var state: SyncAgentState
    /// The stable first part of every key `generateKey` returns.
    public var keyID: UUID
    public var createdAt: Date

    public init(path: SyncAgentPath, syncDatabaseID: String?, keyID: UUID, createdAt: Date) {
        self.path = path
        self.syncDatabaseID = syncDatabaseID
        self.state = .neverConnected
        self.keyID = keyID
        self.createdAt = createdAt
    }
}

/// One entry of a group's sync log.
public struct SyncLogEntry: Sendable, Codable, Equatable {
    public var timestamp: Date
    public var type: SyncLogType
    public var source: String
    public var details: String
    public var tracingID: UUID
    public var operationStatus: String

    public init(
        timestamp: Date,
        type: SyncLogType,
        source: String,
        details: String,
        tracingID: UUID,
        operationStatus: String
    ) {
        self.timestamp = timestamp
        self.type = type
        self.source = source
        self.details = details
        self.tracingID = tracingID
        self.operationStatus = operationStatus
    }
}

/// A column of a database schema as a refresh read it.
public struct SchemaColumn: Sendable, Codable, Equatable {
    public var name: String
    public var quotedName: String
    public var dataType: String
    public var dataSize: String
    public var isPrimaryKey: Bool
    public var errorID: String?

    public init(name: String, quotedName: String, dataType: String, dataSize: String, isPrimaryKey: Bool, errorID: String?) {
        self.name = name
        self.quotedName = quotedName
        self.dataType = dataType
        self.dataSize = dataSize
        self.isPrimaryKey = isPrimaryKey
        self.errorID = errorID
    }
}

/// A table of a database schema as a refresh read it.
public struct SchemaTable: Sendable, Codable, Equatable {
    public var name: String
    public var quotedName: String
    public var columns: [SchemaColumn]
    public var errorID: String?

    public init(name: String, quotedName: String, columns: [SchemaColumn], errorID: String?) {
        self.name = name
        self.quotedName = quotedName
        self.columns = columns
        self.errorID = errorID
    }
}

/// The schema of a hub or member database at the time of its last refresh.
public struct DatabaseSchema: Sendable, Codable, Equatable {
    public var tables: [SchemaTable]
    public var lastUpdateTime: Date

    public init(tables: [SchemaTable], lastUpdateTime: Date) {
        self.tables = tables
        self.lastUpdateTime = lastUpdateTime
    }
}
