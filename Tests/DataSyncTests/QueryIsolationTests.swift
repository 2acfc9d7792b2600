import ARMConventions
import Foundation
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The query endpoint against a real emulator process: it stays inside its own database, away from the
/// emulator's bookkeeping, within its limits, and stops when its client or the emulator goes away.
@Suite(.serialized) struct QueryIsolationTests {
    static let version = "api-version=2015-05-01-preview"
    static let hub = TestDatabase(server: HowTo.server, database: HowTo.database)
    static let runaway = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"

    /// The error code of an envelope, or the whole text when it is not one.
    static func code(_ answer: EmulatorProcess.Answer) -> String {
        guard case .string(let code)? = (try? JSONValue.parse(Data(answer.text.utf8)))?.objectValue?["error"]?.objectValue?["code"] else {
            return answer.text
        }
        return code
    }

    @Test("ATTACH, DETACH and VACUUM INTO are refused, with a data dir and in memory, and write no file")
    func attachAndVacuum() async throws {
        let scratch = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let dataDir = scratch.appendingPathComponent("data")
        for arguments in [["--data-dir", dataDir.path], ["--in-memory"]] {
            let emulator = try EmulatorProcess(arguments)
            let planted = scratch.appendingPathComponent("planted-\(arguments[0]).db")
            let copy = scratch.appendingPathComponent("copy-\(arguments[0]).db")
            let attempts = [
                "ATTACH DATABASE '\(planted.path)' AS planted",
                "ATTACH DATABASE '\(planted.path)' AS planted; CREATE TABLE planted.t (x); INSERT INTO planted.t VALUES (char(10) || 'ssh-ed25519 AAAA' || char(10))",
                "ATTACH DATABASE '\(dataDir.appendingPathComponent("state.sqlite").path)' AS state; DELETE FROM state.resource",
                "DETACH DATABASE main",
                "VACUUM INTO '\(copy.path)'",
                "VACUUM",
            ]
            try await Self.expectRefused(attempts, by: emulator)
            #expect(!FileManager.default.fileExists(atPath: planted.path))
            #expect(!FileManager.default.fileExists(atPath: copy.path))
            // Ordinary SQL still runs.
            #expect(try await emulator.sql(Self.hub, "CREATE TABLE IF NOT EXISTS T (id INTEGER PRIMARY KEY); INSERT INTO T VALUES (1)").status == 200)
            emulator.stop()
        }
    }

    @Test("the emulator's datasync_* objects can be read but not written, dropped or shadowed; its triggers still track and sync")
    func bookkeeping() async throws {
        let emulator = try EmulatorProcess(["--in-memory"])
        try await Self.provisionHowTo(emulator)
        let attacks = [
            "DELETE FROM datasync_tracking_Customers",
            "UPDATE datasync_clock SET version = 0",
            "INSERT INTO datasync_anchor VALUES ('x', 'Customers', 99)",
            "DROP TABLE datasync_scope",
            "DROP TRIGGER datasync_insert_Customers",
            "ALTER TABLE datasync_clock ADD COLUMN evil",
            "CREATE INDEX evil ON datasync_tracking_Customers (version)",
            "CREATE TRIGGER evil AFTER INSERT ON datasync_clock BEGIN SELECT 1; END",
            "CREATE TRIGGER evil AFTER INSERT ON Customers BEGIN DELETE FROM datasync_anchor; END; INSERT INTO Customers VALUES (9, 'x')",
            "CREATE TABLE datasync_mine (x)",
            "CREATE TEMP TABLE datasync_context (id INTEGER PRIMARY KEY, origin TEXT)",
            "CREATE TEMP VIEW datasync_clock AS SELECT 1 AS id, 0 AS version",
            "CREATE TEMP TRIGGER evil AFTER UPDATE ON datasync_clock BEGIN SELECT 1; END",
            "PRAGMA writable_schema = ON",
            "BEGIN; DELETE FROM datasync_anchor; COMMIT",
        ]
        try await Self.expectRefused(attacks, by: emulator)
        // Reading the bookkeeping is fine, and a user's write is still tracked by the emulator's triggers.
        let before = try await emulator.sql(Self.hub, "SELECT count(*) FROM datasync_tracking_Customers")
        #expect(before.text == #"{"columns":["count(*)"],"rows":[[1]]}"#)
        #expect(try await emulator.sql(Self.hub, "INSERT INTO Customers VALUES (2, 'Bob')").status == 200)
        let after = try await emulator.sql(Self.hub, "SELECT count(*) FROM datasync_tracking_Customers")
        #expect(after.text == #"{"columns":["count(*)"],"rows":[[2]]}"#)
        #expect(try await emulator.send("POST", "\(HowTo.groupPath())/triggerSync?\(Self.version)").status == 200)
        let member = TestDatabase(server: "syncgroupcrud-3379", database: "syncgroupcrud-7421")
        let arrived = try await emulator.sql(member, "SELECT Name FROM Customers ORDER BY CustomerId")
        #expect(arrived.text == #"{"columns":["Name"],"rows":[["Ada"],["Bob"]]}"#)
        emulator.stop()
    }

    @Test("a query past --query-timeout is interrupted with a 400 that names the limit")
    func timeout() async throws {
        let emulator = try EmulatorProcess(["--in-memory", "--query-timeout", "0.5"])
        let answer = try await emulator.sql(Self.hub, Self.runaway)
        #expect(answer.status == 400)
        #expect(Self.code(answer) == "QueryTimeout")
        #expect(answer.text.contains("0.5 seconds (--query-timeout)"))
        #expect(try await emulator.sql(Self.hub, "SELECT 1").status == 200)
        emulator.stop()
    }

    @Test("a runaway query stops when its client disconnects, and releases the database")
    func clientDisconnect() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let emulator = try EmulatorProcess(["--data-dir", directory.path, "--query-timeout", "3600"])
        #expect(try await emulator.sql(Self.hub, "CREATE TABLE T (x)").status == 200)
        // The INSERT takes the database's write lock; the runaway SELECT then holds it until interrupted.
        let socket = try Self.startQuery("INSERT INTO T VALUES (1); \(Self.runaway)", on: emulator)
        // The query has begun once another writer finds the database locked (the busy wait gives up after 5 s).
        var locked = false
        for _ in 0..<50 where !locked {
            locked = try await emulator.sql(Self.hub, "INSERT INTO T VALUES (2)").text.contains("locked")
        }
        #expect(locked, "the runaway query never took the write lock")
        socket.close()
        // Interrupted, it rolls back and lets go: the next writer gets in within its busy wait.
        let next = try await emulator.sql(Self.hub, "INSERT INTO T VALUES (3)")
        #expect(next.status == 200, "\(next.text)")
        let kept = try await emulator.sql(Self.hub, "SELECT x FROM T WHERE x <> 2 ORDER BY x")
        #expect(kept.text == #"{"columns":["x"],"rows":[[3]]}"#, "the interrupted query's INSERT must be rolled back")
        // Not SIGTERM: should the query still run, a graceful shutdown would wait for it (the SIGTERM test's subject).
        emulator.stop(signal: SIGKILL)
    }

    @Test("SIGTERM interrupts a running query and the process exits")
    func sigterm() async throws {
        let emulator = try EmulatorProcess(["--in-memory", "--query-timeout", "3600"])
        let socket = try Self.startQuery(Self.runaway, on: emulator)
        // Once the emulator answers other requests, the query request has been read and is running.
        #expect(try await emulator.send("GET", "/_emulator/health").status == 200)
        kill(emulator.process.processIdentifier, SIGTERM)
        // A bounded wait for the exit; the assertion is that it happened, not how fast.
        for _ in 0..<300 where emulator.process.isRunning {
            usleep(50_000)
        }
        #expect(!emulator.process.isRunning, "the emulator was still running 15 s after SIGTERM")
        if !emulator.process.isRunning {
            #expect(emulator.process.terminationStatus == 0)
            #expect(socket.readAll().contains("ServiceUnavailable"))
        }
    }

    @Test("a huge answer is refused whole, rows stop being read at the cap, and memory stays small")
    func hugeResult() async throws {
        let emulator = try EmulatorProcess(["--in-memory"])
        let blob = try await emulator.sql(Self.hub, "SELECT zeroblob(80000000)")
        #expect(blob.status == 400)
        #expect(Self.code(blob) == "QueryResultTooLarge")
        #expect(blob.text.contains("16777216 bytes (--query-max-bytes)"))
        #expect(blob.text.utf8.count < 1000)
        let peak = try Self.peakResidentMiB(emulator.process.processIdentifier)
        #expect(peak < 200, "peak RSS \(peak) MiB")
        emulator.stop()

        let small = try EmulatorProcess(["--in-memory", "--query-max-bytes", "1000"])
        #expect(try await small.sql(Self.hub, "SELECT 1 AS one").status == 200)
        // Endless rows: only the cap ends this query.
        let endless = try await small.sql(Self.hub, "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x, 'row ' || x FROM c")
        #expect(Self.code(endless) == "QueryResultTooLarge")
        let escaped = try await small.sql(Self.hub, "SELECT replace(hex(zeroblob(300)), '00', char(1))")
        #expect(Self.code(escaped) == "QueryResultTooLarge", "the JSON of 300 control characters is over 1000 bytes")
        small.stop()
    }

    @Test("a runaway query on one database holds up neither its provisioning nor other groups' writes")
    func writesAreNotHeld() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let emulator = try EmulatorProcess(["--data-dir", directory.path, "--query-timeout", "3600"])
        try await Self.provisionHowTo(emulator)
        let socket = try Self.startQuery(Self.runaway, on: emulator)
        #expect(try await emulator.send("GET", "/_emulator/health").status == 200)
        // Saving the schema again provisions the hub, the database the query reads.
        let schema = try await emulator.finish(
            try await emulator.send("PUT", "\(HowTo.groupPath())?\(Self.version)", body: try HowTo.fixture("update-sync-group"))
        )
        #expect(schema.status == 200, "\(schema.text)")
        let other = try await emulator.finish(
            try await emulator.send("PUT", "\(HowTo.groupPath("other"))?\(Self.version)", body: try HowTo.fixture("create-sync-group"))
        )
        #expect(other.status == 201, "\(other.text)")
        #expect(socket.isOpenWithoutAnswer(), "the query ended before the writes were done")
        socket.close()
        emulator.stop(signal: SIGKILL)
    }

    /// Expects each of `sqls` to be refused as not allowed.
    static func expectRefused(_ sqls: [String], by emulator: EmulatorProcess) async throws {
        for sql in sqls {
            let answer = try await emulator.sql(Self.hub, sql)
            #expect(answer.status == 400, "\(sql): \(answer.text)")
            #expect(Self.code(answer) == "QueryNotAllowed", "\(sql): \(answer.text)")
        }
    }

    /// Sends a query (SQLite's dialect) in the hub on a bare connection and returns without waiting for its
    /// answer.
    static func startQuery(_ sql: String, on emulator: EmulatorProcess) throws -> RawHTTPClient {
        let body = JSONValue.object(["sql": .string(sql), "dialect": .string("sqlite")]).serialized()
        let socket = try RawHTTPClient(baseURL: emulator.baseURL)
        try socket.send(
            "POST /_emulator/databases/\(Self.hub.server)/\(Self.hub.database)/query HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
        )
        return socket
    }

    /// The how-to: a group with a hub table `Customers` (one row), one member, the schema saved (provisioned).
    static func provisionHowTo(_ emulator: EmulatorProcess) async throws {
        let group = "\(HowTo.groupPath())?\(Self.version)"
        let member = "\(HowTo.memberPath())?\(Self.version)"
        #expect(try await emulator.finish(try await emulator.send("PUT", group, body: try HowTo.fixture("create-sync-group"))).status == 201)
        #expect(try await emulator.finish(try await emulator.send("PUT", member, body: try HowTo.fixture("create-sync-member"))).status == 201)
        let created = try await emulator.sql(
            Self.hub,
            "CREATE TABLE Customers (CustomerId INTEGER PRIMARY KEY, Name NVARCHAR(100)); INSERT INTO Customers VALUES (1, 'Ada')"
        )
        #expect(created.status == 200)
        #expect(try await emulator.finish(try await emulator.send("POST", "\(HowTo.groupPath())/refreshHubSchema?\(Self.version)")).status == 200)
        #expect(try await emulator.finish(try await emulator.send("PUT", group, body: try HowTo.fixture("update-sync-group"))).status == 200)
        #expect(try await emulator.finish(try await emulator.send("PUT", member, body: try HowTo.fixture("update-sync-member"))).status == 200)
    }

    /// The highest resident set size the process reached, from `/proc`.
    static func peakResidentMiB(_ pid: Int32) throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") })
        let kilobytes = try #require(Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]))
        return kilobytes / 1024
    }
}

/// A bare TCP client, for requests a test must abandon mid-way.
final class RawHTTPClient: @unchecked Sendable {
    private var descriptor: Int32

    init(baseURL: String) throws {
        let port = try #require(URL(string: baseURL)?.port)
        self.descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(self.descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw EmulatorProcessError(message: "cannot connect to \(baseURL)") }
    }

    func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        guard write(self.descriptor, bytes, bytes.count) == bytes.count else { throw EmulatorProcessError(message: "short write") }
    }

    /// Whether the connection is still open and nothing has been answered yet.
    func isOpenWithoutAnswer() -> Bool {
        var byte: UInt8 = 0
        let received = recv(self.descriptor, &byte, 1, Int32(MSG_DONTWAIT | MSG_PEEK))
        return received < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)
    }

    /// Everything the server sends until it closes the connection.
    func readAll() -> String {
        var collected: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(self.descriptor, &buffer, buffer.count)
            if count <= 0 { break }
            collected += buffer[..<count]
        }
        return String(decoding: collected, as: UTF8.self)
    }

    func close() {
        guard self.descriptor >= 0 else { return }
        Glibc.close(self.descriptor)
        self.descriptor = -1
    }

    deinit { self.close() }
}
