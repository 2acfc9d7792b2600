import ARMConventions
import DataSyncModel
import Foundation
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// Bodies up to this size parse where the request runs; larger ones parse in ``BulkWorkLane``.
let inlineParseLimit = 64 * 1024

/// Checks that a request body is UTF-8 and parses it as JSON. A large body (up to ARM's 4 MiB) costs tens of
/// milliseconds of CPU; a few of them at once on the cooperative pool or at normal priority would take both
/// cores from every other request, so they run in ``BulkWorkLane``.
/// - Throws: `InvalidRequestContent` when the body is not UTF-8, ``JSONParseError`` when it is not JSON.
func parseJSONBody(_ buffer: ByteBuffer) async throws -> JSONValue {
    guard buffer.readableBytes > inlineParseLimit else { return try parseUTF8JSON(buffer) }
    return try await BulkWorkLane.shared.run { try parseUTF8JSON(buffer) }
}

private func parseUTF8JSON(_ buffer: ByteBuffer) throws -> JSONValue {
    let bytes = Array(buffer.readableBytesView)
    guard String(validating: bytes, as: UTF8.self) != nil else {
        throw DataSyncError.invalidRequestContent("The request body is not valid UTF-8.")
    }
    return try JSONValue.parse(bytes)
}

/// A few threads at low scheduling priority (nice 10) for CPU-heavy work a single request can bring (parsing
/// a 4 MiB body). Whenever the event loops or the cooperative pool want a core, the kernel gives it to them
/// first, so a burst of such requests slows only themselves: `/_emulator/health` and every small request keep
/// their latency. Nice 10 rather than 19, so that other processes on a busy machine cannot starve the work.
/// At most one job per core runs at a time; the others wait in order.
final class BulkWorkLane: @unchecked Sendable {
    static let shared = BulkWorkLane(threads: max(1, ProcessInfo.processInfo.activeProcessorCount))

    private let condition = NSCondition()
    private var jobs: [() -> Void] = []

    private init(threads: Int) {
        for index in 0..<threads {
            let thread = Thread { [unowned self] in self.serve() }
            thread.name = "bulk-work-\(index)"
            thread.start()
        }
    }

    /// Runs `work` on a lane thread and returns what it returns or throws.
    func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            self.condition.lock()
            self.jobs.append { continuation.resume(with: Result { try work() }) }
            self.condition.signal()
            self.condition.unlock()
        }
    }

    private func serve() {
        Self.lowerOwnPriority()
        while true {
            self.condition.lock()
            while self.jobs.isEmpty { self.condition.wait() }
            let job = self.jobs.removeFirst()
            self.condition.unlock()
            job()
        }
    }

    /// Nice 10 for the calling thread: on Linux the nice value belongs to each thread, and `who` 0 names the
    /// caller's own task. Elsewhere the thread's quality of service says the same.
    private static func lowerOwnPriority() {
        #if os(Linux)
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 10)
        #else
        Thread.current.qualityOfService = .background
        #endif
    }
}
