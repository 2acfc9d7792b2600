import DataSyncModel
import Testing

/// The lifecycle state machines, every state against every event: each pair either moves to the state the
/// table below names, with the named actions, or is refused with ``InvalidTransition``.
@Suite struct LifecycleTests {
    // MARK: Members

    static let memberEvents: [MemberLifecycle.Event] = [
        .provisionRequested, .provisioned, .provisioningFailed(reason: "disk full"), .roundStarted,
        .memberSynced(outcome: .syncSucceeded), .memberSynced(outcome: .provisioned), .cancelRequested,
        .interruptedByRestart, .deleteRequested, .deprovisioned, .deprovisioningFailed(reason: "locked"),
    ]

    /// States in which no work is under way.
    static let settled: Set<SyncMemberState> = Set(SyncMemberState.allCases).subtracting([
        .provisioning, .syncInProgress, .syncCancelling, .deProvisioning, .deProvisioned,
    ])
    static let readyForRound: Set<SyncMemberState> = [.provisioned, .syncSucceeded, .syncSucceededWithWarnings, .syncFailed, .syncCancelled]

    /// The expected answer to `event` in `state`: the next state and its actions, or `nil` for a refusal.
    static func expected(_ event: MemberLifecycle.Event, in state: SyncMemberState) -> (SyncMemberState, [MemberLifecycle.Action])? {
        switch event {
        case .provisionRequested:
            return settled.union([.provisioning]).contains(state) ? (.provisioning, [.provision]) : nil
        case .provisioned:
            return state == .provisioning ? (.provisioned, []) : nil
        case .provisioningFailed:
            return state == .provisioning
                ? (.provisionFailed, [.logError(status: "ProvisionFailure", details: "Provisioning the member database failed: disk full")]) : nil
        case .roundStarted:
            return readyForRound.contains(state) ? (.syncInProgress, []) : nil
        case .memberSynced(let outcome):
            return [.syncInProgress, .syncCancelling].contains(state) && outcome == .syncSucceeded ? (.syncSucceeded, []) : nil
        case .cancelRequested:
            return [.syncInProgress, .syncCancelling].contains(state) ? (.syncCancelling, []) : nil
        case .interruptedByRestart:
            switch state {
            case .provisioning: return (.provisioning, [.provision])
            case .syncInProgress, .syncCancelling:
                return (.syncFailed, [.logError(status: "SyncFailure", details: MemberLifecycle.roundInterruptedDetails)])
            case .deProvisioning: return (.deProvisioning, [.deprovision])
            default: return nil
            }
        case .deleteRequested:
            switch state {
            case .unProvisioned: return (.deProvisioned, [.deleteRecord])
            case .deProvisioning, .deProvisioned: return nil
            default: return (.deProvisioning, [.deprovision])
            }
        case .deprovisioned:
            return state == .deProvisioning ? (.deProvisioned, [.deleteRecord]) : nil
        case .deprovisioningFailed:
            return state == .deProvisioning
                ? (.deProvisionFailed, [.logError(status: "DeprovisionFailure", details: "Deprovisioning the member database failed: locked")]) : nil
        }
    }

    @Test("Member lifecycle: every state × event moves as the table says, or is refused by name", arguments: SyncMemberState.allCases)
    func memberTransitions(_ state: SyncMemberState) throws {
        for event in Self.memberEvents {
            var lifecycle = MemberLifecycle(state)
            if let (next, actions) = Self.expected(event, in: state) {
                let got = try lifecycle.handle(event)
                #expect(lifecycle.state == next, "\(state) + \(event.name)")
                #expect(got == actions, "\(state) + \(event.name)")
            } else {
                #expect(throws: InvalidTransition(machine: "member", state: state.rawValue, event: event.name)) {
                    try lifecycle.handle(event)
                }
                #expect(lifecycle.state == state, "a refused event leaves \(state) as it was")
            }
        }
    }

    @Test("One declaration of the provisioned states: exactly those a round can include or is running")
    func provisionedStates() {
        #expect(MemberLifecycle.provisionedStates == Self.readyForRound.union([.syncInProgress, .syncCancelling]))
        #expect(MemberLifecycle(.provisioned).isProvisioned)
        #expect(!MemberLifecycle(.provisionFailed).isProvisioned)
    }

    // MARK: Groups

    static let groupEvents: [GroupLifecycle.Event] = [
        .schemaSaved(selectsTables: true), .schemaSaved(selectsTables: false),
        .membersChanged(selectsTables: true, members: [.provisioned, .syncSucceeded]),
        .membersChanged(selectsTables: true, members: [.provisioned, .provisionFailed]),
        .membersChanged(selectsTables: true, members: []),
        .membersChanged(selectsTables: false, members: [.provisioned]),
        .roundStarted,
        .roundFinished(outcomes: [.syncSucceeded, .syncCancelled]),
        .roundFinished(outcomes: [.syncSucceededWithWarnings, .syncSucceeded]),
        .roundFinished(outcomes: [.syncSucceededWithWarnings, .syncFailed]),
        .interruptedByRestart, .deleteRequested,
    ]

    static func expected(_ event: GroupLifecycle.Event, in state: SyncGroupState) -> (SyncGroupState, [GroupLifecycle.Action])? {
        switch event {
        case .schemaSaved(let selectsTables):
            return selectsTables ? (state, [.provision]) : (.notReady, [])
        case .membersChanged(let selectsTables, let members):
            let ready = selectsTables && !members.isEmpty && !members.contains(.provisionFailed)
            return (ready ? (state == .notReady ? .good : state) : .notReady, [])
        case .roundStarted:
            return state == .progressing ? nil : (.progressing, [])
        case .roundFinished(let outcomes):
            guard state == .progressing else { return nil }
            if outcomes.contains(.syncFailed) { return (.error, []) }
            return (outcomes.contains(.syncSucceededWithWarnings) ? .warning : .good, [])
        case .interruptedByRestart:
            return state == .progressing ? (.error, []) : nil
        case .deleteRequested:
            return (state, [.deprovision, .deleteRecord])
        }
    }

    @Test("Group lifecycle: every state × event moves as the table says, or is refused by name", arguments: SyncGroupState.allCases)
    func groupTransitions(_ state: SyncGroupState) throws {
        for event in Self.groupEvents {
            var lifecycle = GroupLifecycle(state)
            if let (next, actions) = Self.expected(event, in: state) {
                let got = try lifecycle.handle(event)
                #expect(lifecycle.state == next, "\(state) + \(event)")
                #expect(got == actions, "\(state) + \(event)")
            } else {
                #expect(throws: InvalidTransition(machine: "group", state: state.rawValue, event: event.name)) {
                    try lifecycle.handle(event)
                }
            }
        }
    }

    // MARK: Rounds

    /// A round of two members in each of its states.
    static func round(in state: RoundLifecycle.State) throws -> RoundLifecycle {
        var round = RoundLifecycle(memberCount: 2)
        switch state {
        case .notStarted: break
        case .syncing: _ = try round.handle(.started)
        case .cancelling:
            _ = try round.handle(.started)
            _ = try round.handle(.cancelRequested)
        case .finished:
            _ = try round.handle(.started)
            _ = try round.handle(.memberFinished(outcome: .syncSucceeded))
            _ = try round.handle(.memberFinished(outcome: .syncSucceeded))
        }
        return round
    }

    static let roundEvents: [RoundLifecycle.Event] = [
        .started, .memberFinished(outcome: .syncSucceeded), .memberFinished(outcome: .syncInProgress), .cancelRequested,
        .interruptedByRestart,
    ]

    @Test(
        "Round lifecycle: every state × event moves as expected, or is refused by name",
        arguments: [RoundLifecycle.State.notStarted, .syncing(next: 0), .cancelling(next: 0), .finished(.good)]
    )
    func roundTransitions(_ state: RoundLifecycle.State) throws {
        let expected: [RoundLifecycle.Event: (RoundLifecycle.State, [RoundLifecycle.Action])] =
            switch state {
            case .notStarted: [.started: (.syncing(next: 0), [.syncMember(0)])]
            case .syncing:
                [
                    .memberFinished(outcome: .syncSucceeded): (.syncing(next: 1), [.syncMember(1)]),
                    .cancelRequested: (.cancelling(next: 0), []),
                    .interruptedByRestart: (.finished(.error), [.finish(.error)]),
                ]
            case .cancelling:
                [
                    .memberFinished(outcome: .syncSucceeded): (.cancelling(next: 1), [.cancelMember(1)]),
                    .cancelRequested: (.cancelling(next: 0), []),
                    .interruptedByRestart: (.finished(.error), [.finish(.error)]),
                ]
            case .finished: [:]
            }
        for event in Self.roundEvents {
            var round = try Self.round(in: state)
            #expect(round.state == state)
            if let (next, actions) = expected[event] {
                #expect(try round.handle(event) == actions, "\(state) + \(event)")
                #expect(round.state == next, "\(state) + \(event)")
            } else {
                #expect(throws: InvalidTransition.self, "\(state) + \(event)") { try round.handle(event) }
            }
        }
    }

    @Test("A round syncs members in order, cancels the rest after a cancel, and ends with the group's state")
    func roundSequence() throws {
        var round = RoundLifecycle(memberCount: 3)
        #expect(try round.handle(.started) == [.syncMember(0)])
        #expect(try round.handle(.memberFinished(outcome: .syncSucceededWithWarnings)) == [.syncMember(1)])
        _ = try round.handle(.cancelRequested)
        #expect(try round.handle(.memberFinished(outcome: .syncCancelled)) == [.cancelMember(2)])
        #expect(try round.handle(.memberFinished(outcome: .syncCancelled)) == [.finish(.warning)])
        #expect(round.outcomes == [.syncSucceededWithWarnings, .syncCancelled, .syncCancelled])

        var empty = RoundLifecycle(memberCount: 0)
        #expect(try empty.handle(.started) == [.finish(.good)])
    }
}
