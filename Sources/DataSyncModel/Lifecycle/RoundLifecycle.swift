/// One sync round of a group, without I/O: which member to sync next, when cancellation takes over, and
/// the group state the round ends with. The sync coordinator runs each ``Action`` and reports back.
///
/// Members go in the order given (oldest first, then by name). After a cancel, the members not yet
/// synced are cancelled without touching their databases.
public struct RoundLifecycle: Sendable, Equatable {
    public enum State: Sendable, Hashable {
        case notStarted
        /// Syncing the member at `next` of ``members``.
        case syncing(next: Int)
        /// Cancelled; the members from `next` on are cancelled as they come up.
        case cancelling(next: Int)
        case finished(SyncGroupState)
    }

    public enum Event: Sendable, Hashable {
        case started
        /// The member the last action named ended in `outcome`.
        case memberFinished(outcome: SyncMemberState)
        case cancelRequested
        case interruptedByRestart
    }

    public enum Action: Sendable, Equatable {
        /// Move `member`'s rows (download, then upload).
        case syncMember(Int)
        /// Record `member` as cancelled without syncing it.
        case cancelMember(Int)
        /// Save the group's final state and `lastSyncTime`.
        case finish(SyncGroupState)
    }

    /// How many members take part, in round order.
    public let memberCount: Int
    public private(set) var state: State = .notStarted
    /// The outcome of each member so far, in round order.
    public private(set) var outcomes: [SyncMemberState] = []

    public init(memberCount: Int) {
        self.memberCount = memberCount
    }

    /// Moves the round on.
    /// - Returns: the next thing to do, or none while waiting for a member.
    /// - Throws: ``InvalidTransition`` for an event the round does not expect now.
    public mutating func handle(_ event: Event) throws(InvalidTransition) -> [Action] {
        switch (event, self.state) {
        case (.started, .notStarted):
            return self.advance(to: 0, cancelling: false)
        case (.memberFinished(let outcome), .syncing(let next)), (.memberFinished(let outcome), .cancelling(let next)):
            guard next < self.memberCount, MemberLifecycle.roundOutcomes.contains(outcome) else { break }
            self.outcomes.append(outcome)
            if case .cancelling = self.state { return self.advance(to: next + 1, cancelling: true) }
            return self.advance(to: next + 1, cancelling: false)
        case (.cancelRequested, .syncing(let next)), (.cancelRequested, .cancelling(let next)):
            self.state = .cancelling(next: next)
            return []
        case (.interruptedByRestart, .syncing), (.interruptedByRestart, .cancelling):
            self.state = .finished(.error)
            return [.finish(.error)]
        default:
            break
        }
        throw InvalidTransition(machine: "round", state: "\(self.state)", event: "\(event)")
    }

    /// Whether the member about to be synced should be skipped as cancelled.
    public var isCancelling: Bool {
        if case .cancelling = self.state { return true }
        return false
    }

    private mutating func advance(to next: Int, cancelling: Bool) -> [Action] {
        guard next < self.memberCount else {
            let result = GroupLifecycle.result(of: self.outcomes)
            self.state = .finished(result)
            return [.finish(result)]
        }
        self.state = cancelling ? .cancelling(next: next) : .syncing(next: next)
        return [cancelling ? .cancelMember(next) : .syncMember(next)]
    }
}
