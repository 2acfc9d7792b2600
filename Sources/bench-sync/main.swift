// The sync-throughput benchmark of scripts/bench.sh: the data plane (DataSyncEngine) on its own, against
// plain SQLite baselines measured in the same run.
//
// Every measurement is one JSON object on its own stdout line; scripts/bench.sh turns them into the table.
// Progress goes to stderr.
//
//   bench-sync [--dir DIR] [--rows 100000,1000000] [--runs 3] [--incremental-base 100000]
//              [--changes 1000] [--members 3] [--incremental-runs 5] [--memory-rows 100000]
//              [--only bulk,grdb,trigger,bare,initial,memory,incremental] [--cache-kib K] [--pragma 'name = value']...
//
// Cases, each on file-backed databases in a fresh directory (WAL, synchronous=NORMAL, as the emulator
// opens its emulated databases), with the same pre-generated rows:
//   bulk_insert      plain SQLite: N rows into an untracked table, one transaction, one prepared statement.
//   trigger_insert   the same insert into a table provisioned with the emulator's tracking triggers.
//   initial_sync     a member holds N rows; provisioning it adds their tracking rows (timed apart, as
//                    `provision_seconds`); then one round as the emulator runs it (hub to member, which is
//                    empty, then member to hub) moves the N rows to the hub. `seconds` is engine time.
//   bare_copy        the physical limit of initial_sync: the same member and hub (the hub's triggers dropped),
//                    `INSERT INTO main.t SELECT * FROM src.t` for the rows and for their tracking rows,
//                    one transaction, the member attached.
//   initial_sync_memory  initial_sync with in-memory databases (interleaved with the file runs when
//                    --memory-rows is one of --rows).
// The bare copy and the initial syncs also report `cpu_seconds`, the process's CPU time over the timed part,
// which other processes on a shared machine disturb less than the wall time.
//   incremental_sync a hub and M members share B rows; 1,000 rows change, spread over the members; one
//                    round (per member: download, then upload) is timed, and so is the next round that
//                    finishes spreading the changes (`converge_seconds`).
import DataSyncEngine
import DataSyncModel
import Foundation
import GRDB
import GRDBSQLite

// MARK: - Options

struct Options {
    var dir = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("bench-sync-\(getpid())")
    var rows = [100_000, 1_000_000]
    var runs = 3
    var incrementalBase = 100_000
    var changes = 1_000
    var members = 3
    var incrementalRuns = 5
    var memoryRows = 100_000
    var only: Set<String> = ["bulk", "grdb", "trigger", "bare", "initial", "memory", "incremental"]
    var cacheKiB: Int?
    var pragmas: [String] = []

    static func parse(_ arguments: [String]) -> Options {
        var options = Options()
        var iterator = arguments.makeIterator()
        func value(_ flag: String) -> String {
            guard let next = iterator.next() else { fail("\(flag) needs a value") }
            return next
        }
        func integer(_ flag: String) -> Int {
            let text = value(flag)
            guard let number = Int(text.replacingOccurrences(of: "_", with: "")), number >= 0 else {
                fail("\(flag): '\(text)' is not a count")
            }
            return number
        }
        while let argument = iterator.next() {
            switch argument {
            case "--dir": options.dir = URL(fileURLWithPath: value(argument))
            case "--rows":
                options.rows = value(argument).split(separator: ",").map { part in
                    guard let number = Int(part.replacingOccurrences(of: "_", with: "")), number > 0 else {
                        fail("--rows: '\(part)' is not a count")
                    }
                    return number
                }
            case "--runs": options.runs = max(1, integer(argument))
            case "--incremental-base": options.incrementalBase = integer(argument)
            case "--changes": options.changes = integer(argument)
            case "--members": options.members = max(1, integer(argument))
            case "--incremental-runs": options.incrementalRuns = max(1, integer(argument))
            case "--memory-rows": options.memoryRows = integer(argument)
            case "--cache-kib": options.cacheKiB = integer(argument)
            case "--pragma": options.pragmas.append(value(argument))
            case "--only": options.only = Set(value(argument).split(separator: ",").map(String.init))
            case "-h", "--help":
                print("usage: bench-sync [--dir DIR] [--rows N,N] [--runs R] [--incremental-base B] [--changes C] [--members M] [--incremental-runs R] [--memory-rows N] [--only bulk,grdb,trigger,bare,initial,memory,incremental] [--cache-kib K] [--pragma 'name = value']...")
                exit(0)
            default: fail("unknown argument '\(argument)'")
            }
        }
        return options
    }
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("bench-sync: \(message)\n".utf8))
    exit(2)
}

func progress(_ message: String) {
    FileHandle.standardError.write(Data("bench-sync: \(message)\n".utf8))
}

// MARK: - Output

/// One result line: `{"kind":…, …}` with keys in the given order.
func emit(_ fields: KeyValuePairs<String, Any>) {
    var parts: [String] = []
    for (key, value) in fields {
        let rendered: String
        switch value {
        case let text as String: rendered = "\"\(text)\""
        case let number as Double: rendered = String(format: "%.6f", number)
        case let number as Int: rendered = String(number)
        case let flag as Bool: rendered = flag ? "true" : "false"
        default: rendered = "\"\(value)\""
        }
        parts.append("\"\(key)\":\(rendered)")
    }
    FileHandle.standardOutput.write(Data(("{" + parts.joined(separator: ",") + "}\n").utf8))
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

func timed<T>(_ body: () throws -> T) rethrows -> (T, Double) {
    let clock = ContinuousClock()
    let start = clock.now
    let result = try body()
    return (result, seconds(clock.now - start))
}

/// CPU seconds (user and system, all threads) this process has used: on a shared machine, less disturbed by
/// other processes than wall time.
func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
    return seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

// MARK: - Data

/// The table of the how-to, widened to a realistic row: an `INT PRIMARY KEY` (not a rowid alias, as a
/// table made from SQL Server DDL) and four value columns.
enum Fixture {
    static let table = SyncTable(
        name: "Customers",
        columns: ["CustomerId", "Name", "Email", "Balance", "UpdatedAt"],
        primaryKey: ["CustomerId"]
    )
    static let createTable = """
        CREATE TABLE Customers (
            CustomerId INT NOT NULL PRIMARY KEY, Name NVARCHAR(100), Email NVARCHAR(200),
            Balance DECIMAL(12,2), UpdatedAt DATETIME2
        )
        """
    static let insertRow = "INSERT INTO Customers (CustomerId, Name, Email, Balance, UpdatedAt) VALUES (?, ?, ?, ?, ?)"
    static let now = Date()
    static let never: @Sendable () -> Bool = { false }
    static let hubKey = try! DatabaseKey(server: "hub-server", database: "hub")
    static let hubPeer = "hub:bench-group"

    static func memberKey(_ index: Int) -> DatabaseKey {
        try! DatabaseKey(server: "member-server-\(index)", database: "member\(index)")
    }

    static func memberPeer(_ index: Int) -> String { "member:bench-member-\(index)" }
}

/// Rows 1...count, generated once so that no timed loop formats strings.
func makeRows(_ count: Int) -> [[DatabaseValue]] {
    var rows: [[DatabaseValue]] = []
    rows.reserveCapacity(count)
    for id in 1...max(1, count) where id <= count {
        rows.append([
            Int64(id).databaseValue,
            "Customer \(id)".databaseValue,
            "customer\(id)@example.com".databaseValue,
            (Double(id % 100_000) / 100).databaseValue,
            "2024-01-01T00:00:00Z".databaseValue,
        ])
    }
    return rows
}

/// How the baselines bind values: straight through the SQLite C API (`raw`, the plain SQLite baseline),
/// or through GRDB's `StatementArguments`, as the engine does (`grdb`).
enum Binding: String {
    case raw
    case grdb
}

/// Inserts `rows` into Customers in one transaction through one prepared statement.
func insert(_ rows: [[DatabaseValue]], into queue: DatabaseQueue, binding: Binding = .raw) throws {
    try queue.write { db in
        let statement = try db.makeStatement(sql: Fixture.insertRow)
        switch binding {
        case .grdb:
            for row in rows {
                try statement.execute(arguments: StatementArguments(row))
            }
        case .raw:
            let handle = statement.sqliteStatement
            for row in rows {
                sqlite3_reset(handle)
                for (offset, value) in row.enumerated() {
                    let index = Int32(offset + 1)
                    switch value.storage {
                    case .null: sqlite3_bind_null(handle, index)
                    case .int64(let number): sqlite3_bind_int64(handle, index, number)
                    case .double(let number): sqlite3_bind_double(handle, index, number)
                    case .string(let text): sqlite3_bind_text(handle, index, text, -1, sqliteTransient())
                    case .blob(let data):
                        _ = data.withUnsafeBytes { bytes in
                            sqlite3_bind_blob(handle, index, bytes.baseAddress, Int32(bytes.count), sqliteTransient())
                        }
                    }
                }
                let code = sqlite3_step(handle)
                guard code == SQLITE_DONE else {
                    throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
                }
            }
            sqlite3_reset(handle)
        }
    }
}

/// SQLITE_TRANSIENT: SQLite copies the bound bytes.
func sqliteTransient() -> sqlite3_destructor_type {
    unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)
}

/// `--cache-kib` and `--pragma`: experiments, not the emulator's settings. Applied to every database a case opens.
func tune(_ queue: DatabaseQueue, _ options: Options) throws {
    var statements = options.pragmas.map { "PRAGMA \($0)" }
    if let kib = options.cacheKiB { statements.append("PRAGMA cache_size = -\(kib)") }
    guard !statements.isEmpty else { return }
    try queue.writeWithoutTransaction { db in
        for statement in statements { try db.execute(sql: statement) }
    }
}

func count(_ queue: DatabaseQueue) throws -> Int {
    try queue.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM Customers") ?? 0 }
}


/// A fresh directory for one case, removed afterwards.
func withDirectory<T>(_ options: Options, _ name: String, _ body: (URL) throws -> T) throws -> T {
    let dir = options.dir.appendingPathComponent(name)
    try? FileManager.default.removeItem(at: dir)
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    return try body(dir)
}


// MARK: - Cases

func bulkInsert(_ rows: [[DatabaseValue]], options: Options, run: Int, binding: Binding) throws {
    try withDirectory(options, "bulk") { dir in
        let databases = EmulatedDatabases(root: dir)
        let queue = try databases.queue(Fixture.hubKey)
        try tune(queue, options)
        try queue.write { db in try db.execute(sql: Fixture.createTable) }
        let (_, elapsed) = try timed { try insert(rows, into: queue, binding: binding) }
        guard try count(queue) == rows.count else { fail("bulk insert: row count differs") }
        emit([
            "kind": binding == .raw ? "bulk_insert" : "bulk_insert_grdb", "rows": rows.count, "run": run, "seconds": elapsed,
            "rows_per_s": Double(rows.count) / elapsed,
        ])
    }
}

func triggerInsert(_ rows: [[DatabaseValue]], options: Options, run: Int) throws {
    try withDirectory(options, "trigger") { dir in
        let databases = EmulatedDatabases(root: dir)
        let queue = try databases.queue(Fixture.hubKey)
        try tune(queue, options)
        try queue.write { db in try db.execute(sql: Fixture.createTable) }
        _ = try databases.provisionHub(Fixture.hubKey, scope: Fixture.hubPeer, tables: [Fixture.table], now: Fixture.now)
        let (_, elapsed) = try timed { try insert(rows, into: queue) }
        let tracked = try queue.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM datasync_tracking_Customers") ?? 0 }
        guard try count(queue) == rows.count, tracked == rows.count else { fail("trigger insert: row or tracking count differs") }
        emit(["kind": "trigger_insert", "rows": rows.count, "run": run, "seconds": elapsed, "rows_per_s": Double(rows.count) / elapsed])
    }
}

/// One round for one member, in the emulator's order: hub to member, then member to hub.
func round(_ databases: EmulatedDatabases, members: [Int]) throws -> Int {
    let hub = try databases.endpoint(Fixture.hubKey, peer: Fixture.hubPeer, isHub: true)
    var applied = 0
    for index in members {
        let member = try databases.endpoint(Fixture.memberKey(index), peer: Fixture.memberPeer(index), isHub: false)
        applied += try SyncEngine.transfer(from: hub, to: member, tables: [Fixture.table], policy: .hubWin, isCancelled: Fixture.never)
            .reduce(0) { $0 + $1.applied }
        applied += try SyncEngine.transfer(from: member, to: hub, tables: [Fixture.table], policy: .hubWin, isCancelled: Fixture.never)
            .reduce(0) { $0 + $1.applied }
    }
    return applied
}

/// A member holding `rows`, provisioned (so it tracks them), and an empty provisioned hub; returns the time
/// provisioning the member took.
func seed(_ databases: EmulatedDatabases, _ rows: [[DatabaseValue]], options: Options) throws -> Double {
    let member = try databases.queue(Fixture.memberKey(1))
    try tune(member, options)
    try member.write { db in try db.execute(sql: Fixture.createTable) }
    try insert(rows, into: member)
    let hub = try databases.queue(Fixture.hubKey)
    try tune(hub, options)
    try hub.write { db in try db.execute(sql: Fixture.createTable) }
    let definitions = try databases.provisionHub(Fixture.hubKey, scope: Fixture.hubPeer, tables: [Fixture.table], now: Fixture.now)
    let (_, provisioning) = try timed {
        try databases.provisionMember(Fixture.memberKey(1), scope: Fixture.memberPeer(1), tables: [Fixture.table], definitions: definitions, now: Fixture.now)
    }
    return provisioning
}

func initialSync(_ rows: [[DatabaseValue]], options: Options, run: Int, inMemory: Bool) throws {
    try withDirectory(options, "initial") { dir in
        let databases = EmulatedDatabases(root: inMemory ? nil : dir)
        let provisioning = try seed(databases, rows, options: options)
        let hub = try databases.queue(Fixture.hubKey)
        let cpu = cpuSeconds()
        let (applied, elapsed) = try timed { try round(databases, members: [1]) }
        let cpuUsed = cpuSeconds() - cpu
        guard applied == rows.count, try count(hub) == rows.count else {
            fail("initial sync: applied \(applied), hub has \(try count(hub)), expected \(rows.count)")
        }
        emit([
            "kind": inMemory ? "initial_sync_memory" : "initial_sync", "rows": rows.count, "run": run,
            "seconds": elapsed, "rows_per_s": Double(rows.count) / elapsed, "provision_seconds": provisioning,
            "cpu_seconds": cpuUsed,
        ])
    }
}

/// The physical limit of an initial sync: the same seeded pair, with the hub's triggers dropped, and the
/// rows and then their tracking rows copied by bare `INSERT INTO main.t SELECT * FROM src.t`, in one
/// transaction of the hub with the member attached.
func bareCopy(_ rows: [[DatabaseValue]], options: Options, run: Int) throws {
    try withDirectory(options, "bare") { dir in
        let databases = EmulatedDatabases(root: dir)
        _ = try seed(databases, rows, options: options)
        let source = try databases.endpoint(Fixture.memberKey(1), peer: Fixture.memberPeer(1), isHub: false).location
        let hub = try databases.queue(Fixture.hubKey)
        let tracking = "datasync_tracking_Customers"
        try hub.writeWithoutTransaction { db in
            for event in ["insert", "update", "delete"] { try db.execute(sql: "DROP TRIGGER datasync_\(event)_Customers") }
        }
        let cpu = cpuSeconds()
        let (_, elapsed) = try timed {
            try hub.writeWithoutTransaction { db in
                try db.execute(sql: "ATTACH DATABASE ? AS src", arguments: [source])
                try db.inTransaction(.immediate) {
                    try db.execute(sql: "INSERT INTO main.Customers SELECT * FROM src.Customers")
                    try db.execute(sql: "INSERT INTO main.\(tracking) SELECT * FROM src.\(tracking)")
                    return .commit
                }
                try db.execute(sql: "DETACH DATABASE src")
            }
        }
        let cpuUsed = cpuSeconds() - cpu
        let tracked = try hub.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(tracking)") ?? 0 }
        guard try count(hub) == rows.count, tracked == rows.count else { fail("bare copy: row or tracking count differs") }
        emit([
            "kind": "bare_copy", "rows": rows.count, "run": run, "seconds": elapsed, "rows_per_s": Double(rows.count) / elapsed,
            "cpu_seconds": cpuUsed,
        ])
    }
}

func incrementalSync(options: Options) throws {
    let base = makeRows(options.incrementalBase)
    let members = Array(1...options.members)
    try withDirectory(options, "incremental") { dir in
        let databases = EmulatedDatabases(root: dir)
        let hub = try databases.queue(Fixture.hubKey)
        try tune(hub, options)
        try hub.write { db in try db.execute(sql: Fixture.createTable) }
        let definitions = try databases.provisionHub(Fixture.hubKey, scope: Fixture.hubPeer, tables: [Fixture.table], now: Fixture.now)
        try insert(base, into: hub)
        for index in members {
            try tune(try databases.queue(Fixture.memberKey(index)), options)
            try databases.provisionMember(Fixture.memberKey(index), scope: Fixture.memberPeer(index), tables: [Fixture.table], definitions: definitions, now: Fixture.now)
        }
        let (seeded, seeding) = try timed { try round(databases, members: members) }
        _ = try round(databases, members: members)
        progress("incremental: \(options.members) members seeded with \(seeded / options.members) rows each in \(String(format: "%.2f", seeding)) s")
        for run in 1...options.incrementalRuns {
            // Changes spread over the members, on distinct rows (no conflicts), different each run.
            var changed = 0
            for (offset, index) in members.enumerated() {
                let share = options.changes / options.members + (offset < options.changes % options.members ? 1 : 0)
                let first = (run * options.changes + changed) % max(1, options.incrementalBase - share) + 1
                try databases.queue(Fixture.memberKey(index)).write { db in
                    try db.execute(
                        sql: "UPDATE Customers SET Balance = Balance + 1, UpdatedAt = ? WHERE CustomerId BETWEEN ? AND ?",
                        arguments: ["2024-06-0\(run % 9 + 1)T00:00:00Z", first, first + share - 1]
                    )
                    changed += db.changesCount
                }
            }
            let (applied, elapsed) = try timed { try round(databases, members: members) }
            let (spread, converging) = try timed { try round(databases, members: members) }
            emit([
                "kind": "incremental_sync", "base": options.incrementalBase, "changes": changed, "members": options.members,
                "run": run, "seconds": elapsed, "applied": applied, "converge_seconds": elapsed + converging,
                "converge_applied": applied + spread,
            ])
        }
    }
}

// MARK: - Main

let options = Options.parse(Array(CommandLine.arguments.dropFirst()))
try FileManager.default.createDirectory(at: options.dir, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: options.dir) }

for count in options.rows {
    let rows = makeRows(count)
    for run in 1...options.runs {
        progress("\(count) rows, run \(run) of \(options.runs)")
        // Interleaved, so that each run's baseline and measurement share the machine's state.
        if options.only.contains("bulk") { try bulkInsert(rows, options: options, run: run, binding: .raw) }
        if options.only.contains("grdb") { try bulkInsert(rows, options: options, run: run, binding: .grdb) }
        if options.only.contains("trigger") { try triggerInsert(rows, options: options, run: run) }
        if options.only.contains("bare") { try bareCopy(rows, options: options, run: run) }
        if options.only.contains("initial") { try initialSync(rows, options: options, run: run, inMemory: false) }
        if options.only.contains("memory"), count == options.memoryRows {
            try initialSync(rows, options: options, run: run, inMemory: true)
        }
    }
}
if options.only.contains("memory"), options.memoryRows > 0, !options.rows.contains(options.memoryRows) {
    let rows = makeRows(options.memoryRows)
    for run in 1...options.runs {
        try initialSync(rows, options: options, run: run, inMemory: true)
    }
}
if options.only.contains("incremental"), options.changes > 0 {
    try incrementalSync(options: options)
}
