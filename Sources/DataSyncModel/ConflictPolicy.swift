/// The two ends of a sync relationship.
public enum SyncSide: String, Sendable, CaseIterable {
    case hub
    case member
}

/// A row changed on both sides since they last synced: the change arriving from `incoming` meets a local
/// change on the other side.
public struct RowConflict: Sendable, Equatable {
    /// The side whose change is being applied.
    public var incoming: SyncSide
    /// Whether the arriving change deletes the row.
    public var incomingDeletes: Bool
    /// Whether the local change deleted the row.
    public var localDeletes: Bool

    public init(incoming: SyncSide, incomingDeletes: Bool = false, localDeletes: Bool = false) {
        self.incoming = incoming
        self.incomingDeletes = incomingDeletes
        self.localDeletes = localDeletes
    }

    /// Two deletes agree: the row is gone either way, and the service logs no conflict.
    public var isAgreement: Bool { self.incomingDeletes && self.localDeletes }

    /// The side that is not `incoming`: the one holding the local change.
    public var local: SyncSide { self.incoming == .hub ? .member : .hub }
}

extension ConflictResolutionPolicy {
    /// The side whose change a conflicting row keeps. The sync engine asks once per conflicting row; a new
    /// policy is one enum case and one branch here.
    public func winner(of conflict: RowConflict) -> SyncSide {
        switch self {
        case .hubWin: .hub
        case .memberWin: .member
        }
    }
}
