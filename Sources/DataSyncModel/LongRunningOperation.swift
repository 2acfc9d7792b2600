import Foundation

/// What a finished long-running operation did; the poll's final answer is rendered from it.
public enum OperationResult: Sendable, Codable, Equatable {
    case groupUpserted(SyncGroup, created: Bool)
    case groupPatched(SyncGroup, patch: SyncGroupSettings)
    case groupDeleted(SyncGroupPath)
    case memberUpserted(SyncMember, created: Bool)
    case memberPatched(SyncMember, patch: SyncMemberSettings)
    case memberDeleted(SyncMemberPath)
    case agentUpserted(SyncAgent, created: Bool)
    case agentDeleted(SyncAgentPath)
    case hubSchemaRefreshed(SyncGroupPath)
    case memberSchemaRefreshed(SyncMemberPath)

    /// The operation name the live service puts in its 202 body, typo included.
    public var operationName: String {
        switch self {
        case .groupUpserted, .groupPatched: "UpsertSyncGroup"
        case .groupDeleted: "DropSyncGroup"
        case .memberUpserted, .memberPatched: "UpsertSyncMember"
        case .memberDeleted: "DropSyncMember"
        case .agentUpserted: "CreateSyncAgent"
        case .agentDeleted: "DropSyncAgent"
        case .hubSchemaRefreshed: "RefrehSyncHubFullSchema"
        case .memberSchemaRefreshed: "RefrehSyncMemberSchema"
        }
    }

    /// The same result with the member as committed, for a write whose member changed state after it was
    /// accepted (provisioning).
    public func replacingMember(_ member: SyncMember) -> OperationResult {
        switch self {
        case .memberUpserted(_, let created): .memberUpserted(member, created: created)
        case .memberPatched(_, let patch): .memberPatched(member, patch: patch)
        default: self
        }
    }

    /// The same result with the group as committed; see ``replacingMember(_:)``.
    public func replacingGroup(_ group: SyncGroup) -> OperationResult {
        switch self {
        case .groupUpserted(_, let created): .groupUpserted(group, created: created)
        case .groupPatched(_, let patch): .groupPatched(group, patch: patch)
        default: self
        }
    }

    /// The polling endpoint family that answers for this operation.
    public var family: OperationFamily {
        switch self {
        case .groupUpserted, .groupPatched, .groupDeleted: .syncGroup
        case .memberUpserted, .memberPatched, .memberDeleted: .syncMember
        case .agentUpserted, .agentDeleted: .syncAgent
        case .hubSchemaRefreshed(let path): .refreshHubSchema(path)
        case .memberSchemaRefreshed(let path): .refreshMemberSchema(path)
        }
    }
}

/// Where clients poll an operation: a location-scoped results endpoint, or one under the refreshed resource.
public enum OperationFamily: Sendable, Equatable {
    case syncGroup
    case syncMember
    case syncAgent
    case refreshHubSchema(SyncGroupPath)
    case refreshMemberSchema(SyncMemberPath)
}

/// How far an operation has got. The visible status also depends on the clock (see ``LongRunningOperation``).
public enum OperationProgress: Sendable, Codable, Equatable {
    case running
    case succeeded
    case failed(DataSyncError)
}

/// A long-running operation, persisted with the write it belongs to so a poll after a restart still answers.
///
/// Its visible status is a pure function of the record and the clock: it is done once its work has
/// finished and `readyAt` has passed (`--operation-delay`). No timer is needed to emulate latency.
public struct LongRunningOperation: Sendable, Codable, Equatable {
    public var id: UUID
    public var subscriptionID: ResourceName
    public var resourceGroup: ResourceName
    public var result: OperationResult
    public var startTime: Date
    public var readyAt: Date
    public var progress: OperationProgress

    public init(
        id: UUID,
        subscriptionID: ResourceName,
        resourceGroup: ResourceName,
        result: OperationResult,
        startTime: Date,
        readyAt: Date,
        progress: OperationProgress
    ) {
        self.id = id
        self.subscriptionID = subscriptionID
        self.resourceGroup = resourceGroup
        self.result = result
        self.startTime = startTime
        self.readyAt = readyAt
        self.progress = progress
    }

    /// The status a poll at `now` sees.
    public func visibleProgress(at now: Date) -> OperationProgress {
        if now < self.readyAt { return .running }
        return self.progress
    }
}
