import DataSyncEngine
import DataSyncModel
import Foundation

/// Runs the data-plane actions of the lifecycles (``MemberLifecycle/Action``, ``GroupLifecycle/Action``):
/// provisioning, deprovisioning and schema reads, outside the state store's write and one piece of work
/// per database at a time (``DatabaseLanes``).
///
/// Every write that needs it goes in three steps: decide in one store write (the lifecycle's new state
/// and the operation record, still running), run the work here, then commit the outcome and the finished
/// operation in one more store write. The running record is what recovery at start-up finishes
/// (``LifecycleRecovery``).
struct EffectExecutor: Sendable {
    let dataPlane: DataPlane
    let lanes: DatabaseLanes

    /// How provisioning a group's schema went.
    enum ProvisionOutcome: Sendable {
        /// The hub is provisioned; each member is, or failed with the reason.
        case provisioned([(member: SyncMember, failure: String?)])
        /// The hub could not be provisioned; no member was touched.
        case hubFailed(DataSyncError)
    }

    /// Provisions the hub of `group` and each of `members` for `tables`.
    func provision(group: SyncGroup, tables: [SyncTable], members: [SyncMember], now: Date) async -> ProvisionOutcome {
        let dataPlane = self.dataPlane
        let keys = [try? DataPlane.hubKey(group.path)].compactMap { $0 } + members.flatMap(DataPlane.keys(of:))
        do {
            return .provisioned(
                try await self.lanes.run(on: keys) {
                    try dataPlane.provision(group: group, tables: tables, members: members, now: now)
                }
            )
        } catch let error as DataSyncError {
            return .hubFailed(error)
        } catch {
            return .hubFailed(.genericFailure("provisioning the hub failed: \(error)"))
        }
    }

    /// Removes `member`'s tracking. - Returns: why it failed, or `nil`.
    func deprovision(member: SyncMember) async -> String? {
        let dataPlane = self.dataPlane
        do {
            try await self.lanes.run(on: DataPlane.keys(of: member)) { try dataPlane.deprovision(member: member) }
            return nil
        } catch {
            return String(describing: error)
        }
    }

    /// Removes `group`'s tracking from its hub and `members`. - Returns: why it failed, or `nil`.
    func deprovision(group: SyncGroup, members: [SyncMember]) async -> String? {
        let dataPlane = self.dataPlane
        let keys = [try? DataPlane.hubKey(group.path)].compactMap { $0 } + members.flatMap(DataPlane.keys(of:))
        do {
            try await self.lanes.run(on: keys) { try dataPlane.deprovision(group: group, members: members) }
            return nil
        } catch {
            return String(describing: error)
        }
    }

    /// Reads the catalogue of the database `key` names.
    func readSchema(_ key: () throws -> DatabaseKey, at now: Date) async -> Result<DatabaseSchema, any Error> {
        let databases = self.dataPlane.databases
        do {
            let key = try key()
            return .success(try await self.lanes.run(on: [key]) { try databases.readSchema(key, at: now) })
        } catch {
            return .failure(error)
        }
    }
}
