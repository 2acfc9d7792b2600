import DataSyncEngine
import DataSyncModel
import DataSyncStore
import Foundation

/// Provisioning as the service drives it: saving a schema provisions the hub and every member; a member
/// added later is provisioned on its own; the group is ready once every member is provisioned
/// (``GroupLifecycle``). These are the two store-side halves; the work between them is
/// ``EffectExecutor/provision(group:tables:members:now:)``.
enum Provisioning {
    /// The tables `group`'s schema selects, resolved against the hub's refreshed schema; `nil` when it
    /// selects none, so there is nothing to provision.
    /// - Throws: ``DataSyncError`` for a schema the hub cannot sync.
    static func tables(of group: SyncGroup, in reader: StoreReader) throws -> [SyncTable]? {
        guard let schema = group.settings.schema, !schema.tables.isEmpty else { return nil }
        return try DataPlane.selection(schema, hub: try reader.schema(ownerID: group.path.id))
    }

    /// Whether a member write changes what is provisioned: a member already provisioned for the same
    /// database keeps its tracking (the group's schema changes reprovision every member).
    static func memberNeedsProvisioning(_ member: SyncMember, was existing: SyncMember?) -> Bool {
        guard let existing, MemberLifecycle(existing.syncState).isProvisioned else { return true }
        return existing.settings.serverName != member.settings.serverName
            || existing.settings.databaseName != member.settings.databaseName
    }

    /// Moves `members` to `Provisioning` and saves them. A member in a round keeps its state (the round
    /// settles it) but is provisioned all the same; a member being deleted is left out.
    /// - Returns: the members to provision, as saved.
    static func begin(_ members: [SyncMember], store: StoreWriter) throws -> [SyncMember] {
        try members.filter { $0.syncState != .deProvisioning }.map { member in
            var lifecycle = MemberLifecycle(member.syncState)
            guard !MemberLifecycle.busyStates.contains(member.syncState) || member.syncState == .provisioning else { return member }
            _ = try lifecycle.handle(.provisionRequested)
            var updated = member
            updated.syncState = lifecycle.state
            try store.save(updated)
            return updated
        }
    }

    /// Records what provisioning did: each member still `Provisioning` becomes `Provisioned`, or
    /// `ProvisionFailed` with an `Error` log entry. Members deleted or moved on meanwhile are left alone.
    static func commit(_ outcomes: [(member: SyncMember, failure: String?)], group: SyncGroupPath, now: Date, store: StoreWriter) throws {
        for (member, failure) in outcomes {
            guard var current = try store.reader.member(member.path), current.syncState == .provisioning else { continue }
            var lifecycle = MemberLifecycle(current.syncState)
            let actions = try lifecycle.handle(failure.map { .provisioningFailed(reason: $0) } ?? .provisioned)
            current.syncState = lifecycle.state
            try store.save(current)
            try writeLogs(actions, of: current, now: now, store: store)
        }
    }

    /// Puts members that `begin` marked back as they were: the hub failed, so nothing was provisioned.
    static func undo(_ previous: [SyncMember], store: StoreWriter) throws {
        for member in previous {
            guard let current = try store.reader.member(member.path), current.syncState == .provisioning else { continue }
            var restored = current
            restored.syncState = member.syncState
            try store.save(restored)
        }
    }

    /// Sets `group`'s readiness from its schema and its members' states now.
    static func updateReadiness(_ group: inout SyncGroup, reader: StoreReader) throws {
        var lifecycle = GroupLifecycle(group.syncState)
        let selectsTables = !(group.settings.schema?.tables.isEmpty ?? true)
        // A group that selects no tables is not ready whatever its members' states (LifecycleTests), so
        // they are read only when they count: reading them was a tenth of a member PUT's serialised work.
        _ = try lifecycle.handle(
            .membersChanged(
                selectsTables: selectsTables,
                members: selectsTables ? try reader.members(in: group.path).map(\.syncState) : []
            )
        )
        group.syncState = lifecycle.state
    }

    /// Saves the readiness of `path`'s group, when it changed.
    static func updateReadiness(of path: SyncGroupPath, store: StoreWriter) throws {
        guard let group = try store.reader.group(path) else { return }
        try self.updateReadiness(of: group, store: store)
    }

    /// Saves the readiness of `group`, when it changed. `group` must be the row as this write has it (read
    /// in it, and not saved since), which spares reading it again.
    static func updateReadiness(of group: SyncGroup, store: StoreWriter) throws {
        var updated = group
        try self.updateReadiness(&updated, reader: store.reader)
        if updated.syncState != group.syncState { try store.save(updated) }
    }
}

/// Writes the log entries a member's lifecycle asked for.
func writeLogs(_ actions: [MemberLifecycle.Action], of member: SyncMember, now: Date, store: StoreWriter) throws {
    for case .logError(let status, let details) in actions {
        try store.appendLog(
            SyncLogEntry(timestamp: now, type: .error, source: memberSource(member), details: details, tracingID: UUID(), operationStatus: status),
            to: member.path.group
        )
    }
}

/// The `source` of a member's log entries: `<server FQDN>/<database>`.
func memberSource(_ member: SyncMember) -> String {
    logSource(server: member.settings.serverName ?? "", database: member.settings.databaseName ?? "")
}
