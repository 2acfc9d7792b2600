// Raw values are the API's exact spellings.

/// Which side keeps its row when the hub and a member changed the same row between syncs.
public enum ConflictResolutionPolicy: String, Sendable, Codable, CaseIterable {
    case hubWin = "HubWin"
    case memberWin = "MemberWin"
}

/// Which way rows flow between the hub and one member.
public enum SyncDirection: String, Sendable, Codable, CaseIterable {
    case bidirectional = "Bidirectional"
    case oneWayMemberToHub = "OneWayMemberToHub"
    case oneWayHubToMember = "OneWayHubToMember"
}

/// Where a member database lives.
public enum SyncMemberDatabaseType: String, Sendable, Codable, CaseIterable {
    case azureSqlDatabase = "AzureSqlDatabase"
    case sqlServerDatabase = "SqlServerDatabase"
}

/// The group-level state the service reports.
public enum SyncGroupState: String, Sendable, Codable, CaseIterable {
    case notReady = "NotReady"
    case error = "Error"
    case warning = "Warning"
    case progressing = "Progressing"
    case good = "Good"
}

/// The member-level state the service reports (all 18 spellings of the contract).
public enum SyncMemberState: String, Sendable, Codable, CaseIterable {
    case syncInProgress = "SyncInProgress"
    case syncSucceeded = "SyncSucceeded"
    case syncFailed = "SyncFailed"
    case disabledTombstoneCleanup = "DisabledTombstoneCleanup"
    case disabledBackupRestore = "DisabledBackupRestore"
    case syncSucceededWithWarnings = "SyncSucceededWithWarnings"
    case syncCancelling = "SyncCancelling"
    case syncCancelled = "SyncCancelled"
    case unProvisioned = "UnProvisioned"
    case provisioning = "Provisioning"
    case provisioned = "Provisioned"
    case provisionFailed = "ProvisionFailed"
    case deProvisioning = "DeProvisioning"
    case deProvisioned = "DeProvisioned"
    case deProvisionFailed = "DeProvisionFailed"
    case reprovisioning = "Reprovisioning"
    case reprovisionFailed = "ReprovisionFailed"
    case unReprovisioned = "UnReprovisioned"
}

/// Whether an on-premises agent has been heard from.
public enum SyncAgentState: String, Sendable, Codable, CaseIterable {
    case online = "Online"
    case offline = "Offline"
    case neverConnected = "NeverConnected"
}

/// Managed-identity kinds accepted from 2025-02-01-preview on.
public enum DataSyncIdentityType: String, Sendable, Codable, CaseIterable {
    case none = "None"
    case systemAssigned = "SystemAssigned"
    case userAssigned = "UserAssigned"
    case systemAssignedUserAssigned = "SystemAssignedUserAssigned"
}

/// The `type` filter of `listLogs`, and the type of each entry.
public enum SyncLogType: String, Sendable, Codable, CaseIterable {
    case all = "All"
    case error = "Error"
    case warning = "Warning"
    case success = "Success"
}
