import DataSyncEngine
import DataSyncModel
import DataSyncStore
import Foundation

/// Provisioning as the service drives it: saving a schema provisions the hub and every member; a member
/// added later is provisioned on its own; the group is ready (`Good`) once every member is provisioned.
enum Provisioning {
    /// States in which a member holds working change tracking.
    static let provisionedStates: Set<SyncMemberState> = [
        .provisioned, .syncInProgress, .syncSucceeded, .syncSucceededWithWarnings, .syncFailed, .syncCancelling,
        .syncCancelled,
    ]

    /// Provisions `group`'s schema on its hub and on `members` (all of the group's members when `nil`), saves
    /// the members' new states and sets the group's readiness (`NotReady` at once when the schema selects no
    /// table).
    /// - Throws: ``DataSyncError`` for a schema the hub cannot sync; the hub's own provisioning failures.
    static func apply(
        to group: inout SyncGroup,
        members only: [SyncMember]? = nil,
        environment: HandlerEnvironment,
        store: StoreWriter
    ) throws {
        // Without a schema there is nothing to provision and the group cannot be ready: no member is read.
        guard let schema = group.settings.schema, !schema.tables.isEmpty else {
            group.syncState = .notReady
            return
        }
        let hubSchema = try store.reader.schema(ownerID: group.path.id)
        let tables = try DataPlane.selection(schema, hub: hubSchema)
        let outcomes: [(member: SyncMember, failure: String?)]
        do {
            outcomes = try environment.dataPlane.provision(
                group: group,
                tables: tables,
                members: try only ?? store.reader.members(in: group.path),
                now: environment.clock.now
            )
        } catch let error as DataSyncError {
            throw error
        } catch {
            throw DataSyncError.genericFailure("provisioning the hub failed: \(error)")
        }
        for (member, failure) in outcomes {
            var updated = member
            updated.syncState = failure == nil ? .provisioned : .provisionFailed
            try store.save(updated)
            if let failure {
                try store.appendLog(
                    SyncLogEntry(
                        timestamp: environment.clock.now,
                        type: .error,
                        source: memberSource(member),
                        details: "Provisioning the member database failed: \(failure)",
                        tracingID: UUID(),
                        operationStatus: "ProvisionFailure"
                    ),
                    to: group.path
                )
            }
        }
        group.syncState = Self.readiness(group, members: try store.reader.members(in: group.path))
    }

    /// `NotReady` until the schema selects a table and every member (at least one) is provisioned; then the
    /// state the last run left, or `Good` before the first run.
    static func readiness(_ group: SyncGroup, members: [SyncMember]) -> SyncGroupState {
        let hasTables = !(group.settings.schema?.tables.isEmpty ?? true)
        let ready = hasTables && !members.isEmpty && members.allSatisfy { Self.provisionedStates.contains($0.syncState) }
        guard ready else { return .notReady }
        return group.syncState == .notReady ? .good : group.syncState
    }
}

/// The `source` of a member's log entries: `<server FQDN>/<database>`.
func memberSource(_ member: SyncMember) -> String {
    logSource(server: member.settings.serverName ?? "", database: member.settings.databaseName ?? "")
}
