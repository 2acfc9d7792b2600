/// A sync group's lifecycle, without I/O. The one place that says when a group is `Good`:
///
/// - **Readiness.** A group is `NotReady` until its schema selects a table and every member (at least
///   one) is provisioned (``MemberLifecycle/provisionedStates``). It then becomes `Good`, or keeps the
///   state its last round left (`Warning`, `Error`).
/// - **Rounds.** A round makes it `Progressing`; the round's member outcomes then make it `Error` (a member
///   failed), `Warning` (a member succeeded with warnings) or `Good`.
/// - **Restarts.** A round cut short by a restart leaves it `Error` until its next successful round.
public struct GroupLifecycle: Sendable, Equatable {
    public enum Event: Sendable, Equatable {
        /// The schema was saved (or the group written): provision when it selects tables.
        case schemaSaved(selectsTables: Bool)
        /// A member was added, changed, provisioned or removed: `members` are the member states now.
        case membersChanged(selectsTables: Bool, members: [SyncMemberState])
        case roundStarted
        /// The round ended with these member outcomes.
        case roundFinished(outcomes: [SyncMemberState])
        case interruptedByRestart
        case deleteRequested
    }

    public enum Action: Sendable, Equatable {
        /// Provision the hub and the group's members for the schema.
        case provision
        /// Remove the group's tracking from its hub and members.
        case deprovision
        /// Drop the group's record.
        case deleteRecord
    }

    public private(set) var state: SyncGroupState

    public init(_ state: SyncGroupState) {
        self.state = state
    }

    /// Moves to the state `event` leads to.
    /// - Returns: the work to do for it.
    /// - Throws: ``InvalidTransition`` when the event makes no sense in the current state.
    public mutating func handle(_ event: Event) throws(InvalidTransition) -> [Action] {
        switch (event, self.state) {
        case (.schemaSaved(let selectsTables), _):
            guard selectsTables else {
                self.state = .notReady
                return []
            }
            return [.provision]
        case (.membersChanged(let selectsTables, let members), _):
            let ready = selectsTables && !members.isEmpty && members.allSatisfy(MemberLifecycle.provisionedStates.contains)
            if !ready {
                self.state = .notReady
            } else if self.state == .notReady {
                self.state = .good
            }
            return []
        case (.roundStarted, let state) where state != .progressing:
            self.state = .progressing
            return []
        case (.roundFinished(let outcomes), .progressing):
            self.state = Self.result(of: outcomes)
            return []
        case (.interruptedByRestart, .progressing):
            self.state = .error
            return []
        case (.deleteRequested, _):
            return [.deprovision, .deleteRecord]
        default:
            throw InvalidTransition(machine: "group", state: self.state.rawValue, event: event.name)
        }
    }

    /// The group state a round's member outcomes give.
    static func result(of outcomes: [SyncMemberState]) -> SyncGroupState {
        if outcomes.contains(.syncFailed) { return .error }
        if outcomes.contains(.syncSucceededWithWarnings) { return .warning }
        return .good
    }
}

extension GroupLifecycle.Event {
    /// The event's name, for errors.
    public var name: String {
        switch self {
        case .schemaSaved: "schemaSaved"
        case .membersChanged: "membersChanged"
        case .roundStarted: "roundStarted"
        case .roundFinished: "roundFinished"
        case .interruptedByRestart: "interruptedByRestart"
        case .deleteRequested: "deleteRequested"
        }
    }
}
