import DataSyncModel
import DataSyncStore
import Foundation

/// Answers polls of long-running operations.
public struct OperationHandler: Sendable {
    let environment: HandlerEnvironment

    public init(environment: HandlerEnvironment) {
        self.environment = environment
    }

    /// The operation `id` if it belongs to `family`, with the progress a poll sees now.
    /// - Throws: the ARM 404 when no such operation exists in that family.
    public func poll(
        _ id: UUID,
        family: OperationFamily,
        notFoundType: String
    ) async throws -> (operation: LongRunningOperation, progress: OperationProgress) {
        let now = self.environment.clock.now
        let operation = try self.environment.store.operation(id)
        guard let operation, Self.matches(operation.result.family, family) else {
            throw DataSyncError.operationNotFound(type: notFoundType, id: id.uuidString.lowercased())
        }
        return (operation, operation.visibleProgress(at: now))
    }

    private static func matches(_ actual: OperationFamily, _ wanted: OperationFamily) -> Bool {
        switch (actual, wanted) {
        case (.syncGroup, .syncGroup), (.syncMember, .syncMember), (.syncAgent, .syncAgent): true
        case (.refreshHubSchema(let a), .refreshHubSchema(let b)): a.id.armKey == b.id.armKey
        case (.refreshMemberSchema(let a), .refreshMemberSchema(let b)): a.id.armKey == b.id.armKey
        default: false
        }
    }
}
