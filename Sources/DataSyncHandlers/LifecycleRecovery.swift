import DataSyncEngine
import DataSyncModel
import DataSyncStore
import Foundation
import Logging

/// Reconciles, at start-up, what the previous process left in flight, so that nothing stays in an
/// in-progress state after a restart. It runs before the readiness line.
///
/// - **Operations still running** (their decide write committed, their commit did not) are finished
///   from each database's own bookkeeping: provisioning is idempotent, so it is run again and the
///   members end `Provisioned` or `ProvisionFailed`; deprovisioning is run again and the resource is
///   removed, or stays `DeProvisionFailed`. The operation then succeeds, or fails with the reason; an
///   operation of any other kind fails with ``DataSyncError/interruptedByRestart``.
/// - **Rounds cut short**: members still `SyncInProgress` or `SyncCancelling` become `SyncFailed` with an
///   `Error` log entry saying so, and the group becomes `Error` until its next successful round. The rows
///   a round moved are safe either way: each table's transfer and its anchor commit together.
/// - **Anything else still busy** (no running operation owns it) is marked failed: `ProvisionFailed` or
///   `DeProvisionFailed`, with a log entry.
public struct LifecycleRecovery: Sendable {
    let environment: HandlerEnvironment
    let coordinator: SyncCoordinator

    public init(environment: HandlerEnvironment, coordinator: SyncCoordinator) {
        self.environment = environment
        self.coordinator = coordinator
    }

    /// Reconciles everything. Failures are logged, never thrown: the emulator must start.
    public func run() async {
        do {
            for operation in try await self.environment.store.read({ try $0.runningOperations() }) {
                do {
                    try await self.finish(operation)
                } catch {
                    self.environment.logger.error("recovering operation \(operation.id) failed: \(error)")
                    try await self.fail(operation, because: .interruptedByRestart)
                }
            }
            try await self.settleInterruptedWork()
        } catch {
            self.environment.logger.error("recovery after a restart failed: \(error)")
        }
    }

    /// Finishes the work `operation` stands for, and the operation with it.
    private func finish(_ operation: LongRunningOperation) async throws {
        let store = self.environment.store
        let members = SyncMemberHandler(environment: self.environment)
        let groups = SyncGroupHandler(environment: self.environment, coordinator: self.coordinator)
        switch operation.result {
        case .memberUpserted(let member, _), .memberPatched(let member, _):
            let pending = try await store.read { reader -> SyncMemberHandler.MemberWrite.Pending? in
                guard let current = try reader.member(member.path), current.syncState == .provisioning,
                    let group = try reader.group(member.path.group), let tables = try Provisioning.tables(of: group, in: reader)
                else { return nil }
                var failed = current
                failed.syncState = .provisionFailed
                return .init(group: group, tables: tables, member: current, previous: failed, operation: operation)
            }
            guard let pending else { return try await self.fail(operation, because: .interruptedByRestart) }
            do {
                _ = try await members.finish(.provision(pending))
            } catch is DataSyncError {
                // The hub failed: the member is `ProvisionFailed` and the operation failed with the reason.
            }
        case .groupUpserted(let group, _), .groupPatched(let group, _):
            let pending = try await store.read { reader -> SyncGroupHandler.PendingGroup? in
                guard let tables = try Provisioning.tables(of: group, in: reader) else { return nil }
                let marked = try reader.members(in: group.path).filter { $0.syncState == .provisioning }
                let failed = marked.map { member in
                    var failed = member
                    failed.syncState = .provisionFailed
                    return failed
                }
                return .init(group: group, tables: tables, previous: failed, marked: marked, operation: operation)
            }
            guard let pending else { return try await self.fail(operation, because: .interruptedByRestart) }
            _ = try await groups.finishProvisioning(pending)
        case .memberDeleted(let path):
            guard let member = try await store.read({ try $0.member(path) }) else { return try await self.succeed(operation) }
            var marked = member
            if marked.syncState != .deProvisioning {
                var lifecycle = MemberLifecycle(member.syncState)
                _ = try lifecycle.handle(.deleteRequested)
                marked.syncState = lifecycle.state
            }
            _ = try await members.finishDelete(marked, operation: operation)
        case .groupDeleted(let path):
            let found = try await store.read { reader in try reader.group(path).map { ($0, try reader.members(in: path)) } }
            guard let (group, groupMembers) = found else { return try await self.succeed(operation) }
            _ = try await groups.finishDelete(group, members: groupMembers, operation: operation)
        case .agentUpserted, .agentDeleted, .hubSchemaRefreshed, .memberSchemaRefreshed:
            try await self.fail(operation, because: .interruptedByRestart)
        }
    }

    private func succeed(_ operation: LongRunningOperation) async throws {
        var finished = operation
        finished.progress = .succeeded
        try await self.environment.store.write { [finished] in try $0.save(finished) }
    }

    private func fail(_ operation: LongRunningOperation, because error: DataSyncError) async throws {
        var finished = operation
        finished.progress = .failed(error)
        try await self.environment.store.write { [finished] in try $0.save(finished) }
    }

    /// Ends what no running operation owns: rounds cut short, and leftover provisioning or deprovisioning.
    private func settleInterruptedWork() async throws {
        let now = self.environment.clock.now
        try await self.environment.store.write { store in
            for var member in try store.reader.busyMembers() {
                var lifecycle = MemberLifecycle(member.syncState)
                let actions: [MemberLifecycle.Action]
                switch member.syncState {
                case .provisioning:
                    actions = try lifecycle.handle(.provisioningFailed(reason: DataSyncError.interruptedByRestart.message))
                case .deProvisioning:
                    actions = try lifecycle.handle(.deprovisioningFailed(reason: DataSyncError.interruptedByRestart.message))
                default:
                    actions = try lifecycle.handle(.interruptedByRestart)
                }
                member.syncState = lifecycle.state
                try store.save(member)
                try writeLogs(actions, of: member, now: now, store: store)
            }
            for var group in try store.reader.progressingGroups() {
                var lifecycle = GroupLifecycle(group.syncState)
                _ = try lifecycle.handle(.interruptedByRestart)
                group.syncState = lifecycle.state
                try store.save(group)
            }
        }
    }
}
