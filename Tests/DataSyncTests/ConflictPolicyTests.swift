import DataSyncModel
import Testing

/// The README's conflict table, played through ``ConflictResolutionPolicy/winner(of:)``: a hub and two
/// members (A syncs before B), one row, one round in the engine's order (per member: download, then
/// upload). The engine asks the same function for each conflicting row.
@Suite struct ConflictPolicyTests {
    /// One row's value on each replica (`nil`: deleted), and which replicas changed it since they last
    /// exchanged it.
    struct Replicas {
        var hub: String?
        var members: [String: String?]
        /// Members whose own change the hub has not received yet.
        var memberChanged: Set<String> = []
        /// Members that have not yet received the hub's current value.
        var hubChangedFor: Set<String> = []

        /// One round: each member downloads, then uploads; conflicts are settled by `policy`.
        mutating func round(_ policy: ConflictResolutionPolicy, order: [String]) -> Int {
            var conflicts = 0
            for member in order {
                if self.hubChangedFor.remove(member) != nil {
                    let conflict = RowConflict(incoming: .hub, incomingDeletes: self.hub == nil, localDeletes: self.members[member]! == nil)
                    if !self.memberChanged.contains(member) || conflict.isAgreement {
                        self.members[member] = self.hub
                        self.memberChanged.remove(member)
                    } else {
                        conflicts += 1
                        if policy.winner(of: conflict) == .hub {
                            self.members[member] = self.hub
                            self.memberChanged.remove(member)
                        }
                    }
                }
                if self.memberChanged.remove(member) != nil {
                    self.hub = self.members[member]!
                    self.hubChangedFor = Set(order).subtracting([member])
                }
            }
            return conflicts
        }
    }

    /// The starting point: every replica holds `v`, then the changes of a table row.
    static func replicas(hub: String?? = .none, a: String?? = .none, b: String?? = .none) -> Replicas {
        var replicas = Replicas(hub: "v", members: ["A": "v", "B": "v"])
        if case .some(let value) = hub {
            replicas.hub = value
            replicas.hubChangedFor = ["A", "B"]
        }
        if case .some(let value) = a {
            replicas.members["A"] = value
            replicas.memberChanged.insert("A")
        }
        if case .some(let value) = b {
            replicas.members["B"] = value
            replicas.memberChanged.insert("B")
        }
        return replicas
    }

    struct Row: Sendable, CustomTestStringConvertible {
        var name: String
        var start: Replicas
        /// After one round under `HubWin` and `MemberWin`: hub, A, B.
        var hubWin: [String?]
        var memberWin: [String?]
        var conflicts: Bool = true
        var testDescription: String { self.name }
    }

    static let table: [Row] = [
        Row(name: "hub h, A a", start: replicas(hub: "h", a: "a"), hubWin: ["h", "h", "h"], memberWin: ["a", "a", "a"]),
        Row(name: "A a, B b", start: replicas(a: "a", b: "b"), hubWin: ["a", "a", "a"], memberWin: ["b", "a", "b"]),
        Row(name: "hub h, A a, B b", start: replicas(hub: "h", a: "a", b: "b"), hubWin: ["h", "h", "h"], memberWin: ["b", "a", "b"]),
        Row(name: "A deletes, hub updates h", start: replicas(hub: "h", a: .some(nil)), hubWin: ["h", "h", "h"], memberWin: [nil, nil, nil]),
        Row(name: "A updates a, hub deletes", start: replicas(hub: .some(nil), a: "a"), hubWin: [nil, nil, nil], memberWin: ["a", "a", "a"]),
        Row(name: "A and B insert the same key", start: replicas(a: "a", b: "b"), hubWin: ["a", "a", "a"], memberWin: ["b", "a", "b"]),
        Row(name: "both delete", start: replicas(hub: .some(nil), a: .some(nil)), hubWin: [nil, nil, nil], memberWin: [nil, nil, nil], conflicts: false),
    ]

    @Test("The README's conflict table follows from winner(of:)", arguments: table)
    func conflictTable(_ row: Row) {
        for (policy, expected) in [(ConflictResolutionPolicy.hubWin, row.hubWin), (.memberWin, row.memberWin)] {
            var replicas = row.start
            let conflicts = replicas.round(policy, order: ["A", "B"])
            #expect([replicas.hub, replicas.members["A"]!, replicas.members["B"]!] == expected, "\(policy)")
            #expect((conflicts > 0) == row.conflicts, "\(policy)")
        }
    }

    @Test("Every policy names a winner for every kind of conflict; only two deletes agree")
    func everyPolicyDecides() {
        for policy in ConflictResolutionPolicy.allCases {
            for incoming in SyncSide.allCases {
                let conflict = RowConflict(incoming: incoming)
                #expect(policy.winner(of: conflict) == (policy == .hubWin ? .hub : .member))
                #expect(conflict.local != incoming)
            }
        }
        #expect(RowConflict(incoming: .hub, incomingDeletes: true, localDeletes: true).isAgreement)
        #expect(!RowConflict(incoming: .member, incomingDeletes: true, localDeletes: false).isAgreement)
    }
}
