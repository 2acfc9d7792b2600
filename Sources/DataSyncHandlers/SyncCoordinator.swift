import DataSyncEngine
import DataSyncModel
import DataSyncStore
import Foundation
import Synchronization

/// Runs sync rounds: one at a time per group, with triggers that arrive during a run coalesced into one
/// more run, and cancellation between tables.
///
/// A round goes through the members in a fixed order (oldest first, then by name). For each member it
/// downloads hub → member (unless `OneWayMemberToHub`), then uploads member → hub (unless
/// `OneWayHubToMember`), table by table, parents first. The group is `Progressing` during the round, then
/// `Good`, `Warning` or `Error`; each member is `SyncInProgress`, then `SyncSucceeded`,
/// `SyncSucceededWithWarnings`, `SyncFailed` or `SyncCancelled`. Each member gets one log entry per round.
/// The order and the states are the lifecycles' (``RoundLifecycle``, ``GroupLifecycle``,
/// ``MemberLifecycle``); this type runs what they decide and saves it.
public final class SyncCoordinator: Sendable {
    private struct GroupRun {
        var pending = false
        var cancelRequested = false
    }

    private let environment: HandlerEnvironment
    private let runs = Mutex<[String: GroupRun]>([:])
    /// Called at each table boundary with the member's name; tests use it to cancel mid-run.
    private let onTableBoundary: @Sendable (String) -> Void
    /// Told about every member's part of every round, for metrics.
    private let observers = Mutex<[@Sendable (MemberRoundSummary) -> Void]>([])

    public init(environment: HandlerEnvironment, onTableBoundary: @escaping @Sendable (String) -> Void = { _ in }) {
        self.environment = environment
        self.onTableBoundary = onTableBoundary
    }

    /// Registers `observer` to be told about each member's part of each round once it is saved.
    public func observe(_ observer: @escaping @Sendable (MemberRoundSummary) -> Void) {
        self.observers.withLock { $0.append(observer) }
    }

    /// Runs a round for `path` now, or, when one is running, asks it to run once more when done.
    /// Returns when the rounds this call started are finished.
    public func trigger(_ path: SyncGroupPath) async throws {
        let key = path.id.armKey
        let startsRun = self.runs.withLock { runs -> Bool in
            if runs[key] != nil {
                runs[key]?.pending = true
                return false
            }
            runs[key] = GroupRun()
            return true
        }
        guard startsRun else { return }
        defer { _ = self.runs.withLock { $0.removeValue(forKey: key) } }
        while true {
            try await self.runRound(path)
            let again = self.runs.withLock { runs -> Bool in
                let pending = runs[key]?.pending ?? false
                runs[key] = GroupRun()
                return pending
            }
            if !again { return }
        }
    }

    /// Asks a running round to stop at the next table boundary. Harmless when none runs.
    public func cancel(_ path: SyncGroupPath) async throws {
        guard self.requestCancellation(path) else { return }
        try await self.environment.store.write { store in
            for var member in try store.reader.members(in: path) where member.syncState == .syncInProgress {
                var lifecycle = MemberLifecycle(member.syncState)
                _ = try lifecycle.handle(.cancelRequested)
                member.syncState = lifecycle.state
                try store.save(member)
            }
        }
    }

    /// Flags a running round of `path` to stop at its next table boundary.
    /// - Returns: whether a round was running.
    func requestCancellation(_ path: SyncGroupPath) -> Bool {
        let key = path.id.armKey
        return self.runs.withLock { runs -> Bool in
            guard runs[key] != nil else { return false }
            runs[key]?.cancelRequested = true
            runs[key]?.pending = false
            return true
        }
    }

    /// Runs the rounds of groups whose `interval` has elapsed on the emulator's clock.
    public func runDueRounds() async {
        let now = self.environment.clock.now
        let due = (try? await self.environment.store.read { reader in
            try reader.scheduledGroups().filter { group in
                guard let interval = group.settings.interval else { return false }
                let since = max(group.lastSyncTime, group.scheduledFrom ?? group.createdAt)
                return now >= since.addingTimeInterval(TimeInterval(interval))
            }.map(\.path)
        }) ?? []
        for path in due {
            try? await self.trigger(path)
        }
    }

    private func isCancelled(_ key: String) -> Bool {
        self.runs.withLock { $0[key]?.cancelRequested ?? false }
    }

    private func runRound(_ path: SyncGroupPath) async throws {
        let environment = self.environment
        let key = path.id.armKey
        let (group, members, tables) = try await environment.store.write { store -> (SyncGroup, [SyncMember], [SyncTable]) in
            var group = try SyncGroupHandler.existing(path, in: store.reader)
            let tables = try DataPlane.selection(
                group.settings.schema ?? SyncGroupSchema(tables: [], masterSyncMemberName: nil),
                hub: try store.reader.schema(ownerID: group.path.id)
            )
            var lifecycle = GroupLifecycle(group.syncState)
            _ = try lifecycle.handle(.roundStarted)
            group.syncState = lifecycle.state
            try store.save(group)
            let members = try store.reader.members(in: path)
                .sorted { ($0.createdAt, $0.path.name.key) < ($1.createdAt, $1.path.name.key) }
                .filter { MemberLifecycle($0.syncState).isProvisioned }
            for var member in members {
                var memberLifecycle = MemberLifecycle(member.syncState)
                _ = try memberLifecycle.handle(.roundStarted)
                member.syncState = memberLifecycle.state
                try store.save(member)
            }
            return (group, members, tables)
        }
        let hubKey = try DataPlane.hubKey(group.path)
        let ordered = try await offload { try environment.databases.parentsFirst(tables, hub: hubKey) }
        var round = RoundLifecycle(memberCount: members.count)
        var actions = try round.handle(.started)
        while let action = actions.first {
            let index: Int
            let started = environment.clock.now
            var outcome = MemberRound(state: .syncCancelled)
            switch action {
            case .finish:
                let outcomes = round.outcomes
                try await environment.store.write { store in
                    guard var current = try store.reader.group(path) else { return }
                    // A group whose readiness changed during the round (its last member deleted) keeps it.
                    var lifecycle = GroupLifecycle(current.syncState)
                    if current.syncState == .progressing { _ = try lifecycle.handle(.roundFinished(outcomes: outcomes)) }
                    current.lastSyncTime = environment.clock.now
                    current.syncState = lifecycle.state
                    try store.save(current)
                    try Self.expireConflictLogs(current, store: store, now: environment.clock.now)
                }
                return
            case .syncMember(let next):
                index = next
                if self.isCancelled(key) {
                    _ = try round.handle(.cancelRequested)
                } else {
                    outcome = await self.sync(members[next], group: group, tables: ordered, hubKey: hubKey)
                }
            case .cancelMember(let next):
                index = next
            }
            let member = members[index]
            try await self.record(outcome, of: member, in: group, started: started)
            actions = try round.handle(.memberFinished(outcome: outcome.state))
        }
    }

    /// Saves a member's part of a round (its state and log entries), then tells the observers.
    private func record(_ outcome: MemberRound, of member: SyncMember, in group: SyncGroup, started: Date) async throws {
        let environment = self.environment
        try await environment.store.write { store in
            guard var current = try store.reader.member(member.path) else { return }
            // A member written to meanwhile (moved to another database, being deleted) left the round.
            if [.syncInProgress, .syncCancelling].contains(current.syncState) {
                var lifecycle = MemberLifecycle(current.syncState)
                _ = try lifecycle.handle(.memberSynced(outcome: outcome.state))
                current.syncState = lifecycle.state
                try store.save(current)
            }
            try store.appendLog(outcome.logEntry(member: member, started: started, now: environment.clock.now), to: group.path)
            if group.settings.enableConflictLogging == true {
                for conflict in outcome.conflicts {
                    try store.appendLog(
                        SyncLogEntry(
                            timestamp: environment.clock.now,
                            type: .warning,
                            source: memberSource(member),
                            details: conflictDetails(conflict),
                            tracingID: UUID(),
                            operationStatus: "ConflictResolved"
                        ),
                        to: group.path
                    )
                }
            }
        }
        let summary = MemberRoundSummary(
            group: group.path,
            member: member.path,
            state: outcome.state,
            rowsUploaded: outcome.uploaded.reduce(0) { $0 + $1.applied },
            rowsDownloaded: outcome.downloaded.reduce(0) { $0 + $1.applied },
            conflicts: outcome.conflicts.count,
            failedRows: outcome.failures.count
        )
        for observer in self.observers.withLock({ $0 }) { observer(summary) }
    }

    /// Drops conflict entries older than the group's `conflictLoggingRetentionInDays` (30 by default).
    static func expireConflictLogs(_ group: SyncGroup, store: StoreWriter, now: Date) throws {
        let days = group.settings.conflictLoggingRetentionInDays ?? 30
        try store.deleteLogs(of: group.path, operationStatus: "ConflictResolved", olderThan: now.addingTimeInterval(-Double(days) * 86_400))
    }

    private struct MemberRound {
        var state: SyncMemberState
        var uploaded: [TableTransfer] = []
        var downloaded: [TableTransfer] = []
        var error: String?

        var conflicts: [SyncConflict] { (self.downloaded + self.uploaded).flatMap(\.conflicts) }
        var failures: [RowFailure] { (self.downloaded + self.uploaded).flatMap(\.failures) }

        func logEntry(member: SyncMember, started: Date, now: Date) -> SyncLogEntry {
            let seconds = String(format: "%.2f", max(0, now.timeIntervalSince(started)))
            let upload = self.uploaded.reduce(0) { $0 + $1.applied }
            let download = self.downloaded.reduce(0) { $0 + $1.applied }
            var details = ""
            let type: SyncLogType
            let status: String
            switch self.state {
            case .syncCancelled:
                type = .warning
                status = "SyncCancelled"
                details = "Sync was cancelled. Upload: \(upload) changes applied. Download: \(download) changes applied."
            case .syncFailed:
                type = .error
                status = "SyncFailure"
                details = "Sync failed: \(self.error ?? "unknown error")"
            default:
                type = self.failures.isEmpty ? .success : .warning
                status = self.failures.isEmpty ? "SyncSuccess" : "SyncWarning"
                details = "Sync completed in \(seconds) seconds. Upload: \(upload) changes applied. Download: \(download) changes applied. Conflicts: \(self.conflicts.count)."
            }
            var tables: [String] = []
            for transfer in self.downloaded where transfer.applied > 0 || !transfer.conflicts.isEmpty {
                tables.append("\(SchemaReader.quotedName(transfer.table)) download: \(transfer.upserted) upserted, \(transfer.deleted) deleted, \(transfer.conflicts.count) conflicts")
            }
            for transfer in self.uploaded where transfer.applied > 0 || !transfer.conflicts.isEmpty {
                tables.append("\(SchemaReader.quotedName(transfer.table)) upload: \(transfer.upserted) upserted, \(transfer.deleted) deleted, \(transfer.conflicts.count) conflicts")
            }
            if !tables.isEmpty { details += " " + tables.joined(separator: "; ") + "." }
            for failure in self.failures {
                details += " Row \(SchemaReader.quotedName(failure.table)) (\(failure.key.joined(separator: ", "))) was not applied and will be retried: \(failure.message)."
            }
            return SyncLogEntry(timestamp: now, type: type, source: memberSource(member), details: details, tracingID: UUID(), operationStatus: status)
        }
    }

    private func sync(_ member: SyncMember, group: SyncGroup, tables: [SyncTable], hubKey: DatabaseKey) async -> MemberRound {
        let environment = self.environment
        let key = group.path.id.armKey
        let direction = member.settings.syncDirection ?? .bidirectional
        let policy = group.settings.conflictResolutionPolicy ?? .hubWin
        let boundary = self.onTableBoundary
        let cancelled: @Sendable () -> Bool = { [self] in self.isCancelled(key) }
        var round = MemberRound(state: .syncSucceeded)
        do {
            let memberKey = try DataPlane.memberKey(member)
            let hub = try environment.databases.endpoint(hubKey, peer: DataPlane.hubPeer(group.path), isHub: true)
            let local = try environment.databases.endpoint(memberKey, peer: DataPlane.memberPeer(member.path), isHub: false)
            let name = member.path.name.value
            let checked: @Sendable () -> Bool = {
                boundary(name)
                return cancelled()
            }
            let lanes = [hubKey, memberKey]
            if direction != .oneWayMemberToHub {
                round.downloaded = try await environment.lanes.run(on: lanes) {
                    try SyncEngine.transfer(from: hub, to: local, tables: tables, policy: policy, isCancelled: checked)
                }
            }
            if direction != .oneWayHubToMember {
                round.uploaded = try await environment.lanes.run(on: lanes) {
                    try SyncEngine.transfer(from: local, to: hub, tables: tables, policy: policy, isCancelled: checked)
                }
            }
            if !round.failures.isEmpty { round.state = .syncSucceededWithWarnings }
        } catch is SyncCancelled {
            round.state = .syncCancelled
        } catch {
            round.state = .syncFailed
            round.error = String(describing: error)
        }
        return round
    }
}

/// One member's part of one sync round, as observers (metrics) see it.
public struct MemberRoundSummary: Sendable {
    public var group: SyncGroupPath
    public var member: SyncMemberPath
    public var state: SyncMemberState
    public var rowsUploaded: Int
    public var rowsDownloaded: Int
    public var conflicts: Int
    public var failedRows: Int
}

/// A conflict as a log entry's details: which row, who won, and the losing row.
func conflictDetails(_ conflict: SyncConflict) -> String {
    let losing = conflict.losingRow.map { row in
        row.keys.sorted().map { "\($0)=\(row[$0] ?? "")" }.joined(separator: ", ")
    } ?? "deleted"
    return "Conflict on \(SchemaReader.quotedName(conflict.table)) (\(conflict.key.joined(separator: ", "))): \(conflict.winner) won. Losing row: \(losing)."
}
