import Synchronization

/// The latest committed value of resource and operation rows, by key, for reads that need one row and no
/// snapshot: a GET of a group, a member, an agent, or a poll of an operation.
///
/// A hit costs a dictionary lookup under a lock instead of a pooled SQLite read transaction. The store
/// keeps it right: after each commit, and before anyone hears of the commit, it replaces what the committed
/// writes upserted and forgets everything when one deleted. A reader that missed fills the entry only if
/// no commit was applied since it started, so a value read from an older snapshot never overwrites a newer
/// one.
final class CommittedRows: Sendable {
    private struct Entry: @unchecked Sendable {
        /// Only ever a value of a `Sendable` type, stored by ``apply(_:)`` or ``fill(key:value:ifUnchangedSince:)``.
        let value: Any
    }

    private struct State {
        var generation: UInt64 = 0
        var entries: [String: Entry] = [:]
    }

    /// At most this many rows are kept; past it the cache starts again empty, which bounds its memory.
    static let capacity = 4096
    private let state = Mutex(State())

    /// The committed value of `key` as `T`, when it is known.
    func value<T: Sendable>(_ type: T.Type, key: String) -> T? {
        self.state.withLock { $0.entries[key]?.value as? T }
    }

    /// A token to pass to ``fill(key:value:ifUnchangedSince:)``: take it before reading the row.
    func generation() -> UInt64 {
        self.state.withLock { $0.generation }
    }

    /// Keeps `value`, read for `key` after ``generation()`` answered `generation`, unless a commit was applied
    /// since (then the value may be older than the committed one).
    func fill<T: Sendable>(key: String, value: T, ifUnchangedSince generation: UInt64) {
        self.state.withLock { state in
            guard state.generation == generation else { return }
            Self.store(Entry(value: value), key: key, in: &state)
        }
    }

    /// Applies the changes of committed writes, in commit order.
    func apply(_ changes: [WriteChanges]) {
        guard !changes.allSatisfy(\.isEmpty) else { return }
        self.state.withLock { state in
            state.generation &+= 1
            for change in changes {
                if change.forgetsAll { state.entries.removeAll(keepingCapacity: true) }
                for (key, value) in change.upserts {
                    Self.store(Entry(value: value), key: key, in: &state)
                }
            }
        }
    }

    private static func store(_ entry: Entry, key: String, in state: inout State) {
        if state.entries.count >= Self.capacity, state.entries[key] == nil {
            state.entries.removeAll(keepingCapacity: true)
        }
        state.entries[key] = entry
    }
}

/// What one write changed among the rows ``CommittedRows`` keeps, collected on the writer while the write
/// runs and applied only if it commits.
final class WriteChanges {
    /// Rows written, in order; a later entry for the same key wins.
    private(set) var upserts: [(key: String, value: any Sendable)] = []
    /// Whether the write deleted rows, which makes the cache forget everything (deletes are rare, and a
    /// delete of a tree removes keys the write never names).
    private(set) var forgetsAll = false

    var isEmpty: Bool { self.upserts.isEmpty && !self.forgetsAll }

    func upserted(_ key: String, _ value: any Sendable) {
        self.upserts.append((key, value))
    }

    func deleted() {
        self.upserts.removeAll()
        self.forgetsAll = true
    }
}
