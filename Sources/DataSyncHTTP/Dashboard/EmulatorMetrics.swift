import ARMConventions
import DataSyncHandlers
import DataSyncModel
import DataSyncStore
import Foundation
import Hummingbird
import Metrics
import NIOCore
import Prometheus
import Synchronization

/// The emulator's metrics, in a Prometheus registry of its own: ARM requests by operation id and status,
/// their latency, requests and long-running operations in progress, and what sync rounds did.
///
/// Each application has its own registry and passes its factory to every swift-metrics handle, instead of
/// bootstrapping the process-wide metrics system, which can happen only once while tests build many
/// applications in one process.
final class EmulatorMetrics: RequestObserver {
    let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory
    private let operationsInProgress: Metrics.Gauge
    private let stateCommits: Metrics.Counter
    private let stateWrites: Metrics.Counter
    /// The store's counts already added to the two counters above, which only count up by deltas.
    private let exportedCommitCounts = Mutex((commits: 0, writes: 0))
    /// The per-request handles of each operation, made once: making one asks the factory to sanitise its
    /// names and look it up in the registry under a lock, which every request would otherwise pay.
    private let operations = Mutex<[String: OperationMetrics]>([:])

    private struct OperationMetrics: Sendable {
        let inFlight: Meter
        let duration: Timer
        /// By status code.
        var totals: [Int: Metrics.Counter] = [:]
    }

    /// Member outcomes of a sync round, each exported from zero so that rates work from the start.
    static let outcomes: [SyncMemberState] = [.syncSucceeded, .syncSucceededWithWarnings, .syncFailed, .syncCancelled]

    init() {
        let registry = PrometheusCollectorRegistry()
        self.registry = registry
        var factory = PrometheusMetricsFactory(registry: registry)
        // Emulated requests take microseconds to milliseconds: finer buckets than the defaults' 5 ms floor.
        factory.defaultDurationHistogramBuckets = [
            .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2.5), .milliseconds(5),
            .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
            .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10),
        ]
        self.factory = factory
        self.operationsInProgress = Metrics.Gauge(label: "datasync_operations_in_progress", factory: factory)
        self.operationsInProgress.record(0)
        self.stateCommits = Metrics.Counter(label: "datasync_state_commits_total", factory: factory)
        self.stateWrites = Metrics.Counter(label: "datasync_state_writes_total", factory: factory)
        for outcome in Self.outcomes {
            _ = self.syncRuns(outcome)
        }
        _ = self.rowsSynced("upload")
        _ = self.rowsSynced("download")
        _ = self.conflicts
    }

    /// The handles of `operation`, with the request counter of `status` when one is given; made on first use.
    private func handles(_ operation: String, status: Int? = nil) -> (metrics: OperationMetrics, total: Metrics.Counter?) {
        self.operations.withLock { operations in
            if let known = operations[operation] {
                guard let status else { return (known, nil) }
                if let total = known.totals[status] { return (known, total) }
            }
            var metrics = operations[operation] ?? OperationMetrics(
                inFlight: Meter(label: "arm_requests_in_flight", dimensions: [("operation", operation)], factory: self.factory),
                duration: Timer(label: "arm_request_duration_seconds", dimensions: [("operation", operation)], factory: self.factory)
            )
            let total = status.map { status in
                Metrics.Counter(
                    label: "arm_requests_total",
                    dimensions: [("operation", operation), ("status", String(status))],
                    factory: self.factory
                )
            }
            if let status, let total { metrics.totals[status] = total }
            operations[operation] = metrics
            return (metrics, total)
        }
    }

    private func syncRuns(_ outcome: SyncMemberState) -> Metrics.Counter {
        Metrics.Counter(label: "datasync_sync_runs_total", dimensions: [("outcome", outcome.rawValue)], factory: self.factory)
    }

    private func rowsSynced(_ direction: String) -> Metrics.Counter {
        Metrics.Counter(label: "datasync_rows_synced_total", dimensions: [("direction", direction)], factory: self.factory)
    }

    private var conflicts: Metrics.Counter {
        Metrics.Counter(label: "datasync_conflicts_total", factory: self.factory)
    }

    func requestStarted(operation: String) {
        self.handles(operation).metrics.inFlight.increment()
    }

    func requestFinished(_ request: RecordedRequest) {
        let (metrics, total) = self.handles(request.operation, status: request.status)
        metrics.inFlight.decrement()
        total?.increment()
        metrics.duration
            .recordNanoseconds(request.duration.components.seconds * 1_000_000_000 + request.duration.components.attoseconds / 1_000_000_000)
    }

    /// Counts one member's part of a sync round (``SyncCoordinator/observe(_:)``).
    func record(_ round: MemberRoundSummary) {
        self.syncRuns(round.state).increment()
        self.rowsSynced("upload").increment(by: round.rowsUploaded)
        self.rowsSynced("download").increment(by: round.rowsDownloaded)
        self.conflicts.increment(by: round.conflicts)
    }

    /// The registry in Prometheus text format, with the long-running operations in progress counted now and
    /// the state store's commits and writes (``StateStore/commitCounts``) as they stand.
    func exposition(operationsInProgress: Int, commitCounts: (commits: Int, writes: Int)) -> String {
        self.operationsInProgress.record(operationsInProgress)
        self.exportedCommitCounts.withLock { exported in
            // Two scrapes may read the counts in one order and get here in the other: never count down.
            self.stateCommits.increment(by: max(0, commitCounts.commits - exported.commits))
            self.stateWrites.increment(by: max(0, commitCounts.writes - exported.writes))
            exported = (max(exported.commits, commitCounts.commits), max(exported.writes, commitCounts.writes))
        }
        return self.registry.emitToString()
    }
}

/// `GET /_emulator/metrics`: the metrics in Prometheus text format.
struct MetricsController: Sendable {
    let metrics: EmulatorMetrics
    let store: StateStore
    let clock: EmulatorClock

    func addRoutes(to router: Router<EmulatorRequestContext>) {
        router.get("_emulator/metrics") { _, _ in
            let now = self.clock.now
            let inProgress = try await self.store.read { try $0.operationsInProgress(at: now) }
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(
                    string: self.metrics.exposition(operationsInProgress: inProgress, commitCounts: self.store.commitCounts)
                ))
            )
        }
    }
}
