import DataSyncModel
import Foundation
import GRDB
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The emulator's own state (groups, members, agents, operations, logs, schemas) in one SQLite database.
///
/// Every method that changes state runs in one transaction, so a write is acknowledged only once it is
/// committed, and a resource and its operation record are never seen apart. GRDB types never leave
/// this module.
public final class StateStore: Sendable {
    private let writer: any DatabaseWriter
    private let pending = Mutex(PendingWrites())
    private let bodies = DecodedBodies()
    private let committed = CommittedRows()
    private let commits = Atomic<Int>(0)
    private let committedWrites = Atomic<Int>(0)

    /// The file that holds the state, or `nil` in memory.
    public let fileURL: URL?

    private init(writer: any DatabaseWriter, fileURL: URL?) throws {
        self.writer = writer
        self.fileURL = fileURL
        try Self.migrator.migrate(writer)
    }

    /// Opens the state in `directory` (creating `state.sqlite` there), or in memory when `directory` is `nil`.
    /// - Throws: ``StateStoreError`` when the file cannot be opened or is not a valid state database.
    public static func open(directory: URL?) throws -> StateStore {
        guard let directory else {
            return try StateStore(writer: DatabaseQueue(configuration: Self.configuration()), fileURL: nil)
        }
        let fileURL = directory.appendingPathComponent("state.sqlite")
        do {
            try OwnerOnly.createDirectory(directory)
            let closedCleanly = CleanClose.take(for: fileURL)
            try OwnerOnly.createFile(fileURL)
            if let reason = accessFailure(fileURL) { throw StateStoreError.unreadable(fileURL, reason) }
            let pool = try DatabasePool(path: fileURL.path, configuration: Self.configuration())
            if !closedCleanly {
                try pool.read { db in
                    let verdict = try String.fetchOne(db, sql: "PRAGMA quick_check") ?? "no answer"
                    guard verdict == "ok" else { throw StateStoreError.corrupt(fileURL, verdict) }
                }
            }
            // GRDB turns WAL on after `prepareDatabase` and sets NORMAL there; the writer must be FULL.
            try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
            return try StateStore(writer: pool, fileURL: fileURL)
        } catch let error as StateStoreError {
            throw error
        } catch let error as DatabaseError where [.SQLITE_CORRUPT, .SQLITE_NOTADB].contains(error.resultCode) {
            throw StateStoreError.corrupt(fileURL, error.message ?? "\(error)")
        } catch {
            throw StateStoreError.unreadable(fileURL, String(describing: error))
        }
    }

    private static func configuration() -> Configuration {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            // FULL: an acknowledged write survives a process kill and an OS crash alike.
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        return configuration
    }

    private static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-initial") { db in
            try db.execute(
                sql: """
                    CREATE TABLE resource (
                        key TEXT PRIMARY KEY,
                        type TEXT NOT NULL,
                        parentKey TEXT NOT NULL,
                        subscriptionKey TEXT NOT NULL,
                        seq INTEGER NOT NULL,
                        body BLOB NOT NULL
                    );
                    CREATE INDEX resourceByParent ON resource(parentKey, type, seq);
                    CREATE INDEX resourceBySubscription ON resource(subscriptionKey, type, seq);
                    CREATE TABLE operation (
                        id TEXT PRIMARY KEY,
                        body BLOB NOT NULL
                    );
                    CREATE TABLE syncLog (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        groupKey TEXT NOT NULL,
                        timestamp REAL NOT NULL,
                        type TEXT NOT NULL,
                        body BLOB NOT NULL
                    );
                    CREATE INDEX syncLogByGroup ON syncLog(groupKey, timestamp, id);
                    CREATE TABLE schemaSnapshot (
                        ownerKey TEXT PRIMARY KEY,
                        body BLOB NOT NULL
                    );
                    """
            )
        }
        migrator.registerMigration("v2-logStatus") { db in
            try db.execute(sql: "ALTER TABLE syncLog ADD COLUMN operationStatus TEXT NOT NULL DEFAULT ''")
        }
        // A new resource takes the next `seq`; without an index every write scanned the whole table for it.
        migrator.registerMigration("v3-resourceBySeq") { db in
            try db.execute(sql: "CREATE INDEX resourceBySeq ON resource(seq)")
        }
        // Recovery after a restart looks for work left in flight, and the scheduler's tick for groups that sync
        // on an interval. Flags kept by every save, each with a partial index that holds only the flagged rows,
        // let them read those rows alone: start-up and the idle tick stay as cheap with 100,000 resources as
        // with none.
        migrator.registerMigration("v4-flags") { db in
            let busyMembers = MemberLifecycle.busyStates.map { "'\($0.rawValue)'" }.sorted().joined(separator: ", ")
            try db.execute(
                sql: """
                    ALTER TABLE resource ADD COLUMN busy INTEGER NOT NULL DEFAULT 0;
                    UPDATE resource SET busy = 1
                    WHERE (type = 'member' AND json_extract(CAST(body AS TEXT), '$.syncState') IN (\(busyMembers)))
                    OR (type = 'group' AND json_extract(CAST(body AS TEXT), '$.syncState') = '\(SyncGroupState.progressing.rawValue)');
                    CREATE INDEX resourceBusy ON resource(type, seq) WHERE busy = 1;
                    ALTER TABLE resource ADD COLUMN scheduled INTEGER NOT NULL DEFAULT 0;
                    UPDATE resource SET scheduled = 1
                    WHERE type = 'group' AND json_extract(CAST(body AS TEXT), '$.settings.interval') > 0
                    AND json_extract(CAST(body AS TEXT), '$.syncState') <> '\(SyncGroupState.notReady.rawValue)';
                    CREATE INDEX resourceScheduled ON resource(seq) WHERE scheduled = 1;
                    ALTER TABLE operation ADD COLUMN running INTEGER NOT NULL DEFAULT 0;
                    UPDATE operation SET running = 1 WHERE json_extract(CAST(body AS TEXT), '$.progress.running') IS NOT NULL;
                    CREATE INDEX operationRunning ON operation(running) WHERE running = 1;
                    """
            )
        }
        return migrator
    }

    /// Runs `body` in a read-only snapshot, on the calling task: a WAL reader never waits for the writer,
    /// and GRDB's asynchronous read would hop to its own queue and back on every request.
    public func read<T: Sendable>(_ body: @Sendable (StoreReader) throws -> T) async throws -> T {
        try self.readOnCallingThread(body)
    }

    private func readOnCallingThread<T>(_ body: (StoreReader) throws -> T) throws -> T {
        try self.writer.read { db in try body(StoreReader(db: db, bodies: self.bodies)) }
    }

    /// A number that changes whenever a commit changes a resource or an operation record (never for one that
    /// wrote only logs or schemas). Taken before a read, and still the same afterwards, it proves the read
    /// saw the latest committed resources, so what was built from them can be served again.
    public var committedGeneration: UInt64 { self.committed.generation() }

    /// The latest committed group at `path`, read without a transaction when it is in ``CommittedRows``.
    /// For a single row; reads that must agree with each other belong in one ``read(_:)``.
    public func group(_ path: SyncGroupPath) throws -> SyncGroup? {
        try self.committedResource(SyncGroup.self, key: path.id.armKey)
    }

    /// The latest committed member at `path`; see ``group(_:)``.
    public func member(_ path: SyncMemberPath) throws -> SyncMember? {
        try self.committedResource(SyncMember.self, key: path.id.armKey)
    }

    /// The latest committed agent at `path`; see ``group(_:)``.
    public func agent(_ path: SyncAgentPath) throws -> SyncAgent? {
        try self.committedResource(SyncAgent.self, key: path.id.armKey)
    }

    /// The latest committed record of operation `id`; see ``group(_:)``.
    public func operation(_ id: UUID) throws -> LongRunningOperation? {
        try self.committedRow(LongRunningOperation.self, key: id.uuidString.lowercased()) { try $0.operation(id) }
    }

    private func committedResource<T: Decodable & Sendable>(_ type: T.Type, key: String) throws -> T? {
        try self.committedRow(type, key: key) { try $0.fetchResource(type, key: key) }
    }

    private func committedRow<T: Sendable>(_ type: T.Type, key: String, read: (StoreReader) throws -> T?) throws -> T? {
        if let value = self.committed.value(type, key: key) { return value }
        let generation = self.committed.generation()
        guard let value = try self.readOnCallingThread(read) else { return nil }
        self.committed.fill(key: key, value: value, ifUnchangedSince: generation)
        return value
    }

    /// Runs `body` in a write transaction and returns once its writes are committed; nothing it wrote survives
    /// if it throws.
    ///
    /// Writes that arrive while one is being committed are committed together (group commit): one
    /// transaction, one `fdatasync`, each body in a savepoint of its own, so a body that throws rolls back
    /// its own writes and nobody else's. No caller hears back before the shared commit succeeds.
    public func write<T: Sendable>(_ body: @escaping @Sendable (StoreWriter) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let outcome = WriteOutcome<T>()
            let job = WriteJob(
                run: { db in
                    let changes = WriteChanges()
                    outcome.result = Result {
                        var value: T?
                        try db.inSavepoint {
                            value = try body(StoreWriter(db: db, bodies: self.bodies, changes: changes))
                            return .commit
                        }
                        guard let value else { throw WriteNotRun() }
                        return value
                    }
                    if case .failure(let error) = outcome.result { return .failure(error) }
                    return .success(changes)
                },
                finish: { commitError in
                    continuation.resume(with: commitError.map { .failure($0) } ?? outcome.result ?? .failure(WriteNotRun()))
                }
            )
            let startsFlush = self.pending.withLock { pending -> Bool in
                pending.jobs.append(job)
                defer { pending.flushScheduled = true }
                return !pending.flushScheduled
            }
            if startsFlush {
                self.writer.asyncWriteWithoutTransaction { db in self.flush(db) }
            }
        }
    }

    /// Commits every write waiting now in one transaction, updates ``CommittedRows``, then tells each caller.
    /// A write that arrives meanwhile schedules the next flush, which waits its turn on GRDB's writer queue.
    private func flush(_ db: Database) {
        let jobs = self.pending.withLock { pending -> [WriteJob] in
            defer {
                pending.jobs = []
                pending.flushScheduled = false
            }
            return pending.jobs
        }
        do {
            var committedChanges: [WriteChanges] = []
            try db.inTransaction(.immediate) {
                for job in jobs {
                    switch job.run(db) {
                    case .success(let changes):
                        committedChanges.append(changes)
                    case .failure(let error):
                        // An error SQLite answers by rolling back the whole transaction (a full disk, an I/O
                        // error) takes the earlier bodies' writes with it: then every caller hears of it.
                        if !db.isInsideTransaction { throw error }
                    }
                }
                return .commit
            }
            self.committed.apply(committedChanges)
            self.commits.add(1, ordering: .relaxed)
            self.committedWrites.add(committedChanges.count, ordering: .relaxed)
            for job in jobs { job.finish(nil) }
        } catch {
            for job in jobs { job.finish(error) }
        }
    }

    /// How many transactions the store committed since it opened, and how many writes (calls of
    /// ``write(_:)`` whose body succeeded) they held: their ratio is what group commit saves in `fdatasync`s.
    public var commitCounts: (commits: Int, writes: Int) {
        (self.commits.load(ordering: .relaxed), self.committedWrites.load(ordering: .relaxed))
    }

    /// Closes the state file, folding its WAL in, and records that it was closed cleanly (``CleanClose``), so
    /// the next start need not check every page again. Every later read or write fails. Nothing in memory.
    public func close() throws {
        guard let pool = self.writer as? DatabasePool, let fileURL = self.fileURL else { return }
        // GRDB closes the writer before the read-only readers, so no connection can fold the WAL in as it
        // closes: the writer does it first, and the record is made only if it folded all of it.
        let folded = try pool.writeWithoutTransaction { db in
            try Int.fetchOne(db, sql: "PRAGMA wal_checkpoint(TRUNCATE)") == 0
        }
        try pool.close()
        if folded { try CleanClose.record(for: fileURL) }
    }

    /// Forgets every resource, operation, log and schema.
    public func reset() async throws {
        try await self.write { try $0.deleteAll() }
    }
}

/// The writes waiting for the next group commit.
private struct PendingWrites {
    var jobs: [WriteJob] = []
    /// Whether a flush is queued on the writer that has not yet taken the jobs.
    var flushScheduled = false
}

/// One caller's write: `run` executes its body on the writer (returning what it changed, or its error), and
/// `finish` answers the caller once the transaction's fate is known (with the commit's error, if any).
private struct WriteJob: Sendable {
    let run: @Sendable (Database) -> Result<WriteChanges, any Error>
    let finish: @Sendable ((any Error)?) -> Void
}

/// The result of one body, set on the writer's queue before the commit and read after it.
private final class WriteOutcome<T: Sendable>: @unchecked Sendable {
    var result: Result<T, any Error>?
}

/// A write whose body never ran: it cannot happen, but it answers as an error rather than trapping.
private struct WriteNotRun: Error {}
/// Opens `url` for reading and writing as SQLite will, so a permission or I/O error is named as the system
/// names it (SQLite only says it cannot open the file); `nil` when the file can be read and written.
private func accessFailure(_ url: URL) -> String? {
    let descriptor = open(url.path, O_RDWR | O_CLOEXEC)
    guard descriptor >= 0 else { return String(cString: strerror(errno)) }
    defer { close(descriptor) }
    var byte: UInt8 = 0
    guard pread(descriptor, &byte, 1, 0) >= 0 else { return String(cString: strerror(errno)) }
    return nil
}

/// Why the state could not be opened.
///
/// Only ``corrupt(_:_:)`` (`SQLITE_CORRUPT`, `SQLITE_NOTADB`, or a failed `quick_check`) is something
/// `--repair` may act on; anything else (permissions, I/O, a directory in the file's place) is left untouched.
public enum StateStoreError: Error, CustomStringConvertible {
    /// The file cannot be opened or read: permissions, I/O; the system's or SQLite's reason.
    case unreadable(URL, String)
    /// The file is not a healthy SQLite database.
    case corrupt(URL, String)

    public var description: String {
        switch self {
        case .unreadable(let url, let reason): "cannot open the state file \(url.path): \(reason)"
        case .corrupt(let url, let verdict): "the state file \(url.path) is corrupt: \(verdict)"
        }
    }

    /// Whether the file itself is damaged, the one case `--repair` acts on.
    public var isCorruption: Bool {
        if case .corrupt = self { return true }
        return false
    }

    /// Moves the state file (and its WAL and shared-memory files) aside to `<name>.corrupt-<unix time>`, so a
    /// fresh state can start without ever overwriting it.
    /// - Returns: where the state file went.
    public func moveAside(now: Date = Date()) throws -> URL {
        let suffix = ".corrupt-\(Int(now.timeIntervalSince1970))"
        let target = URL(fileURLWithPath: self.fileURL.path + suffix)
        for extra in ["", "-wal", "-shm"] {
            let source = URL(fileURLWithPath: self.fileURL.path + extra)
            guard FileManager.default.fileExists(atPath: source.path) else { continue }
            try FileManager.default.moveItem(at: source, to: URL(fileURLWithPath: target.path + extra))
        }
        return target
    }

    /// The file concerned.
    public var fileURL: URL {
        switch self {
        case .unreadable(let url, _), .corrupt(let url, _): url
        }
    }
}
