import DataSyncEngine
import Foundation
import Synchronization

/// Serializes data-plane work per emulated database: provisioning, deprovisioning, schema reads and
/// each member's part of a sync round on database X wait for each other, and for nothing else. They run
/// outside the state store's write, so ARM writes that do not touch X, and every read, go on meanwhile.
///
/// Work on several databases takes their lanes in one global order (by key), so two such pieces of work
/// never wait for each other crosswise.
final class DatabaseLanes: Sendable {
    /// For each busy database, the work waiting for it, first come first served.
    private let waiting = Mutex<[DatabaseKey: [CheckedContinuation<Void, Never>]]>([:])

    /// Runs `work` off the cooperative pool once `keys` are free, holding them until it returns.
    func run<T: Sendable>(on keys: [DatabaseKey], _ work: @escaping @Sendable () throws -> T) async throws -> T {
        let ordered = Set(keys).sorted { $0.description < $1.description }
        for key in ordered { await self.acquire(key) }
        defer { for key in ordered.reversed() { self.release(key) } }
        return try await offload(work)
    }

    private func acquire(_ key: DatabaseKey) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let free = self.waiting.withLock { waiting -> Bool in
                guard waiting[key] != nil else {
                    waiting[key] = []
                    return true
                }
                waiting[key]?.append(continuation)
                return false
            }
            if free { continuation.resume() }
        }
    }

    private func release(_ key: DatabaseKey) {
        let next = self.waiting.withLock { waiting -> CheckedContinuation<Void, Never>? in
            guard let queue = waiting[key], !queue.isEmpty else {
                waiting[key] = nil
                return nil
            }
            waiting[key] = Array(queue.dropFirst())
            return queue.first
        }
        next?.resume()
    }
}
