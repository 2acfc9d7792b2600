/// A sync member's lifecycle, without I/O: it takes an event and answers with the next state and the
/// data-plane work to do. The handlers and the sync coordinator run that work; recovery at start-up feeds
/// `interruptedByRestart` to every member the previous process left busy.
///
/// ```
/// UnProvisioned ─provisionRequested─▶ Provisioning ─provisioned─▶ Provisioned ─roundStarted─▶ SyncInProgress
///                                          │                                                  │   │
///                                  provisioningFailed                          cancelRequested │   │ memberSynced
///                                          ▼                                                  ▼   ▼
///                                   ProvisionFailed                     SyncCancelling ─▶ SyncSucceeded / …WithWarnings
///                                                                                           / SyncFailed / SyncCancelled
/// UnProvisioned ─deleteRequested─▶ DeProvisioned (nothing to remove)
/// any other state ─deleteRequested─▶ DeProvisioning ─deprovisioned─▶ DeProvisioned (the record is dropped)
///                                                     └deprovisioningFailed─▶ DeProvisionFailed
/// ```
public struct MemberLifecycle: Sendable, Equatable {
    public enum Event: Sendable, Equatable {
        /// The member was saved into a group whose schema selects tables, or the schema changed.
        case provisionRequested
        case provisioned
        case provisioningFailed(reason: String)
        case roundStarted
        /// The member's part of a round ended in `outcome` (one of the round's end states).
        case memberSynced(outcome: SyncMemberState)
        case cancelRequested
        /// The process died while the member was busy.
        case interruptedByRestart
        case deleteRequested
        case deprovisioned
        case deprovisioningFailed(reason: String)
    }

    public enum Action: Sendable, Equatable {
        /// Install change tracking for the group's schema in the member's database (and the hub's).
        case provision
        /// Remove the member's tracking, and the hub's memory of it.
        case deprovision
        /// Drop the member's record: it is gone.
        case deleteRecord
        /// Write an `Error` entry to the group's log.
        case logError(status: String, details: String)
    }

    /// The states in which a member holds working change tracking: it takes part in rounds, and its
    /// tables are compared with the hub's. The one declaration of it.
    public static let provisionedStates: Set<SyncMemberState> = [
        .provisioned, .syncInProgress, .syncSucceeded, .syncSucceededWithWarnings, .syncFailed, .syncCancelling,
        .syncCancelled,
    ]

    /// The states a member can end a round in.
    public static let roundOutcomes: Set<SyncMemberState> = [
        .syncSucceeded, .syncSucceededWithWarnings, .syncFailed, .syncCancelled,
    ]

    /// The states in which work on the member's database is under way; none survives a restart.
    public static let busyStates: Set<SyncMemberState> = [.provisioning, .syncInProgress, .syncCancelling, .deProvisioning]

    /// The details of the log entry a member gets when a restart cut its round short.
    public static let roundInterruptedDetails = "Sync failed: the round was interrupted by a restart of the emulator."

    public private(set) var state: SyncMemberState

    public init(_ state: SyncMemberState) {
        self.state = state
    }

    /// Whether the member takes part in sync rounds.
    public var isProvisioned: Bool { Self.provisionedStates.contains(self.state) }

    /// Moves to the state `event` leads to.
    /// - Returns: the work to do for it, in order.
    /// - Throws: ``InvalidTransition`` when the event makes no sense in the current state.
    public mutating func handle(_ event: Event) throws(InvalidTransition) -> [Action] {
        let settled = !Self.busyStates.contains(self.state) && self.state != .deProvisioned
        switch (event, self.state) {
        case (.provisionRequested, _) where settled || self.state == .provisioning:
            self.state = .provisioning
            return [.provision]
        case (.provisioned, .provisioning):
            self.state = .provisioned
            return []
        case (.provisioningFailed(let reason), .provisioning):
            self.state = .provisionFailed
            return [.logError(status: "ProvisionFailure", details: "Provisioning the member database failed: \(reason)")]
        case (.roundStarted, _) where settled && self.isProvisioned:
            self.state = .syncInProgress
            return []
        case (.memberSynced(let outcome), .syncInProgress), (.memberSynced(let outcome), .syncCancelling):
            guard Self.roundOutcomes.contains(outcome) else { break }
            self.state = outcome
            return []
        case (.cancelRequested, .syncInProgress), (.cancelRequested, .syncCancelling):
            self.state = .syncCancelling
            return []
        case (.interruptedByRestart, .provisioning):
            // Provisioning is idempotent: resume it; the outcome arrives as `provisioned` or `provisioningFailed`.
            return [.provision]
        case (.interruptedByRestart, .syncInProgress), (.interruptedByRestart, .syncCancelling):
            self.state = .syncFailed
            return [.logError(status: "SyncFailure", details: Self.roundInterruptedDetails)]
        case (.interruptedByRestart, .deProvisioning):
            return [.deprovision]
        case (.deleteRequested, .unProvisioned):
            // Nothing was ever installed: the record just goes.
            self.state = .deProvisioned
            return [.deleteRecord]
        case (.deleteRequested, _) where self.state != .deProvisioning && self.state != .deProvisioned:
            self.state = .deProvisioning
            return [.deprovision]
        case (.deprovisioned, .deProvisioning):
            self.state = .deProvisioned
            return [.deleteRecord]
        case (.deprovisioningFailed(let reason), .deProvisioning):
            self.state = .deProvisionFailed
            return [.logError(status: "DeprovisionFailure", details: "Deprovisioning the member database failed: \(reason)")]
        default:
            break
        }
        throw InvalidTransition(machine: "member", state: self.state.rawValue, event: event.name)
    }
}

extension MemberLifecycle.Event {
    /// The event's name, for errors.
    public var name: String {
        switch self {
        case .provisionRequested: "provisionRequested"
        case .provisioned: "provisioned"
        case .provisioningFailed: "provisioningFailed"
        case .roundStarted: "roundStarted"
        case .memberSynced(let outcome): "memberSynced(\(outcome.rawValue))"
        case .cancelRequested: "cancelRequested"
        case .interruptedByRestart: "interruptedByRestart"
        case .deleteRequested: "deleteRequested"
        case .deprovisioned: "deprovisioned"
        case .deprovisioningFailed: "deprovisioningFailed"
        }
    }
}
