import DataSyncModel
import Foundation
import GRDB

/// Whole-emulator reads for the dashboard and metrics, which look at everything at once rather than
/// one ARM scope at a time.
extension StoreReader {
    /// Every member in the emulator, oldest first.
    public func allMembers() throws -> [SyncMember] {
        try Data.fetchAll(self.db, sql: "SELECT body FROM resource WHERE type = ? ORDER BY seq", arguments: [ResourceTable.member.rawValue])
            .map { try self.decode(SyncMember.self, $0) }
    }

    /// The subscriptions that hold a resource, lowercased, in the order they were first used.
    public func subscriptionKeys() throws -> [String] {
        try String.fetchAll(self.db, sql: "SELECT subscriptionKey FROM resource GROUP BY subscriptionKey ORDER BY MIN(seq)")
    }

    /// Every agent in the emulator, oldest first.
    public func allAgents() throws -> [SyncAgent] {
        try Data.fetchAll(self.db, sql: "SELECT body FROM resource WHERE type = ? ORDER BY seq", arguments: [ResourceTable.agent.rawValue])
            .map { try self.decode(SyncAgent.self, $0) }
    }

    /// The newest `limit` log entries of a group, newest first: of `type` (all types for `.all`), and of
    /// `operationStatus` when given.
    public func recentLogs(of group: SyncGroupPath, type: SyncLogType, operationStatus: String? = nil, limit: Int) throws -> [SyncLogEntry] {
        var sql = "SELECT body FROM syncLog WHERE groupKey = ?"
        var arguments: StatementArguments = [group.id.armKey]
        if type != .all {
            sql += " AND type = ?"
            arguments += [type.rawValue]
        }
        if let operationStatus {
            sql += " AND operationStatus = ?"
            arguments += [operationStatus]
        }
        sql += " ORDER BY id DESC LIMIT ?"
        arguments += [limit]
        return try Data.fetchAll(self.db, sql: sql, arguments: arguments).map { try self.decode(SyncLogEntry.self, $0) }
    }

    /// How many long-running operations are still in progress at `now`: accepted, and not yet past
    /// `readyAt` (``LongRunningOperation/visibleProgress(at:)``).
    ///
    /// Operation bodies are written by this module's encoder, whose dates are seconds since the reference
    /// date, so the comparison runs in SQL without decoding every operation ever accepted.
    public func operationsInProgress(at now: Date) throws -> Int {
        try Int.fetchOne(
            self.db,
            sql: "SELECT COUNT(*) FROM operation WHERE json_extract(CAST(body AS TEXT), '$.readyAt') > ?",
            arguments: [now.timeIntervalSinceReferenceDate]
        ) ?? 0
    }

    /// The operations whose work had not finished when they were last written: after a restart, the work
    /// the previous process left in flight. Read through the partial index of running operations, so the
    /// cost follows their number, not that of every operation ever accepted.
    public func runningOperations() throws -> [LongRunningOperation] {
        try Data.fetchAll(self.db, sql: "SELECT body FROM operation WHERE running = 1 ORDER BY rowid")
            .map { try self.decode(LongRunningOperation.self, $0) }
    }

    /// The members in one of ``MemberLifecycle/busyStates``, oldest first, through the partial index of busy
    /// resources (no other member is read).
    public func busyMembers() throws -> [SyncMember] {
        try self.busyResources(SyncMember.self, table: .member)
    }

    /// The groups that are `Progressing`, oldest first, through the partial index of busy resources.
    public func progressingGroups() throws -> [SyncGroup] {
        try self.busyResources(SyncGroup.self, table: .group)
    }

    private func busyResources<T: Decodable>(_ type: T.Type, table: ResourceTable) throws -> [T] {
        try Data.fetchAll(self.db, sql: "SELECT body FROM resource WHERE busy = 1 AND type = ? ORDER BY seq", arguments: [table.rawValue])
            .map { try self.decode(type, $0) }
    }
}
