import ARMConventions
import Foundation
import Glibc
import Synchronization
import Testing

/// Crash safety, concurrency and exposure, against the real binary.
@Suite(.serialized) struct ReliabilityTests {
    static let v = "api-version=2025-01-01"

    /// What a client knows about one resource it writes alone: the value of its last acknowledged write, and
    /// of a write that was in flight when the process died.
    struct Written: Sendable {
        var acknowledged: Int?
        var inFlight: Int?
        var location: String?
    }

    @Test("kill -9 at 20 random moments under 8 writing clients: acknowledged writes survive, files stay intact, syncs are whole")
    func killNineUnderLoad() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let arguments = ["--data-dir", directory.path]
        var emulator = try EmulatorProcess(arguments)
        let member = TestDatabase(server: "srvm", database: "dbm")
        try await emulator.sql(.hub, "CREATE TABLE T (id INTEGER PRIMARY KEY, v TEXT)")
        _ = try await emulator.finish(try await emulator.send("PUT", "\(HowTo.groupPath("crash"))?\(Self.v)", body: #"{"properties":{"interval":-1,"conflictResolutionPolicy":"HubWin"}}"#))
        let memberBody = #"{"properties":{"serverName":"srvm","databaseName":"dbm","syncDirection":"Bidirectional"}}"#
        _ = try await emulator.finish(try await emulator.send("PUT", "\(HowTo.memberPath("m", group: "crash"))?\(Self.v)", body: memberBody))
        _ = try await emulator.finish(try await emulator.send("POST", "\(HowTo.groupPath("crash"))/refreshHubSchema?\(Self.v)"))
        let schema = #"{"properties":{"schema":{"tables":[{"quotedName":"[dbo].[T]","columns":[{"quotedName":"[id]"},{"quotedName":"[v]"}]}],"masterSyncMemberName":"m"}}}"#
        #expect(try await emulator.finish(try await emulator.send("PATCH", "\(HowTo.groupPath("crash"))?\(Self.v)", body: schema)).status == 200)

        let written = Locked<[Int: Written]>([:])
        let batches = Locked((acknowledged: 0, inFlight: 0))
        var generator = SeededGenerator(seed: 20_261_127)
        for killPoint in 0..<20 {
            let current = emulator
            let base = killPoint * 1_000
            // Clients stop on their own (a flag, or the connection dying with the process): cancelling a task
            // inside URLSession deadlocks FoundationNetworking on Linux.
            let stop = Locked(false)
            let burst = Task {
                await withTaskGroup(of: Void.self) { group in
                    for client in 0..<8 {
                        group.addTask {
                            var sequence = base
                            while !stop.withLock({ $0 }) {
                                sequence += 1
                                do {
                                if client < 6 {
                                    let value = 5 + sequence
                                    written.withLock { $0[client, default: Written()].inFlight = value }
                                    let reply = try await current.send(
                                        "PUT",
                                        "\(HowTo.groupPath("c\(client)"))?\(Self.v)",
                                        body: #"{"properties":{"interval":\#(value),"conflictResolutionPolicy":"MemberWin"}}"#
                                    )
                                    if reply.status == 202 {
                                        written.withLock { $0[client] = Written(acknowledged: value, inFlight: nil, location: reply.headers["location"]) }
                                    }
                                } else if client == 6 {
                                    let start = batches.withLock { state -> Int in
                                        state.inFlight = state.acknowledged + 1
                                        return state.acknowledged * 100
                                    }
                                    let reply = try await current.sql(
                                        .hub,
                                        "WITH RECURSIVE n(i) AS (SELECT \(start + 1) UNION ALL SELECT i + 1 FROM n WHERE i < \(start + 100)) INSERT INTO T SELECT i, 'row ' || i FROM n"
                                    )
                                    if reply.status == 200 { batches.withLock { $0 = (acknowledged: $0.inFlight, inFlight: 0) } }
                                } else {
                                    _ = try await current.send("POST", "\(HowTo.groupPath("crash"))/triggerSync?\(Self.v)")
                                }
                                } catch {
                                    return
                                }
                            }
                        }
                    }
                }
            }
            try await Task.sleep(for: .milliseconds(40 + Int(generator.next() % 260)))
            current.stop(signal: SIGKILL)
            stop.withLock { $0 = true }
            await burst.value
            #expect(try EmulatorProcess.integrityProblems(under: directory).isEmpty, "kill point \(killPoint)")

            emulator = try EmulatorProcess(arguments)
            for (client, state) in written.withLock({ $0 }) {
                guard let acknowledged = state.acknowledged else { continue }
                let group = try await emulator.send("GET", "\(HowTo.groupPath("c\(client)"))?\(Self.v)")
                let interval = group.text.firstMatch(of: /"interval":(\d+)/).flatMap { Int($0.1) }
                #expect(interval == acknowledged || (interval != nil && interval == state.inFlight), "kill point \(killPoint), client \(client): \(group.text)")
                written.withLock { $0[client] = Written(acknowledged: interval, inFlight: nil, location: nil) }
                if let location = state.location.map({ Self.relocate($0, to: emulator.baseURL) }), interval == acknowledged {
                    let poll = try await emulator.send("GET", location)
                    #expect([200, 201].contains(poll.status), "poll after restart: \(poll.status) \(poll.text)")
                }
            }
            let hubCount = try await Self.count(emulator, .hub)
            let memberCount = try await Self.count(emulator, member)
            let (acknowledgedBatches, inFlightBatch) = batches.withLock { ($0.acknowledged, $0.inFlight) }
            #expect(hubCount == acknowledgedBatches * 100 || hubCount == inFlightBatch * 100, "hub rows \(hubCount) at kill point \(killPoint)")
            #expect(memberCount % 100 == 0 && memberCount <= hubCount, "member rows \(memberCount) of \(hubCount)")
            batches.withLock { $0 = (hubCount / 100, 0) }
        }
        #expect(try await emulator.send("POST", "\(HowTo.groupPath("crash"))/triggerSync?\(Self.v)").status == 200)
        #expect(try await Self.count(emulator, member) == (try await Self.count(emulator, .hub)))
        emulator.stop()
    }

    /// One write as the concurrency test saw it: when it started and ended, and what it wrote.
    struct Write: Sendable {
        let started: Date
        let ended: Date
        let value: Int
    }

    @Test("32 clients on the same and different resources: no 5xx, every request answered, no lost update, no half resource")
    func concurrentClients() async throws {
        let emulator = try EmulatorProcess(["--in-memory", "--retry-after", "0.001"])
        let writes = Locked<[String: [Write]]>([:])
        let failures = Locked<[String]>([])
        let requests = Locked(0)
        let deadline = Date().addingTimeInterval(3)
        await withTaskGroup(of: Void.self) { group in
            for client in 0..<32 {
                group.addTask {
                    var generator = SeededGenerator(seed: UInt64(client) + 1)
                    while Date() < deadline {
                        do {
                        let name = "g\(generator.next() % 6)"
                        let path = "\(HowTo.groupPath(name))?\(Self.v)"
                        let started = Date()
                        let answer: EmulatorProcess.Answer
                        let value = Int(generator.next() % 100_000) + 5
                        switch generator.next() % 8 {
                        case 0, 1:
                            answer = try await emulator.send("PUT", path, body: #"{"properties":{"interval":\#(value),"conflictResolutionPolicy":"HubWin"}}"#)
                            if answer.status == 202 {
                                let write = Write(started: started, ended: Date(), value: value)
                                writes.withLock { $0[name, default: []].append(write) }
                            }
                        case 2:
                            answer = try await emulator.send("PATCH", path, body: #"{"properties":{"interval":\#(value)}}"#)
                            if answer.status == 202 {
                                let write = Write(started: started, ended: Date(), value: value)
                                writes.withLock { $0[name, default: []].append(write) }
                            }
                        case 3:
                            answer = try await emulator.send("GET", "\(HowTo.databasePath)/syncGroups?\(Self.v)")
                            if answer.status == 200, answer.text.contains("\"properties\":{}") || !answer.text.hasPrefix("{\"value\":[") {
                                failures.withLock { $0.append("half resource in a list: \(answer.text)") }
                            }
                        case 4:
                            answer = try await emulator.send("DELETE", "\(HowTo.groupPath("d\(client % 4)"))?\(Self.v)")
                        case 5:
                            answer = try await emulator.send("PUT", "\(HowTo.groupPath("d\(client % 4)"))?\(Self.v)", body: #"{"properties":{"interval":-1}}"#)
                            if let location = answer.headers["location"] {
                                let poll = try await emulator.send("GET", location)
                                if poll.status >= 500 { failures.withLock { $0.append("poll \(poll.status)") } }
                            }
                        case 6:
                            answer = try await emulator.send("POST", "\(HowTo.groupPath(name))/triggerSync?\(Self.v)")
                        default:
                            answer = try await emulator.send("GET", path)
                        }
                        requests.withLock { $0 += 1 }
                        if answer.status >= 500 { failures.withLock { $0.append("\(answer.status): \(answer.text)") } }
                        } catch {
                            failures.withLock { $0.append("no answer: \(error)") }
                        }
                    }
                }
            }
            await group.waitForAll()
        }
        #expect(failures.withLock { $0 }.isEmpty, "\(failures.withLock { $0.prefix(5) })")
        #expect(requests.withLock { $0 } > 100)
        for (name, list) in writes.withLock({ $0 }) {
            let final = try await emulator.send("GET", "\(HowTo.groupPath(name))?\(Self.v)")
            let interval = final.text.firstMatch(of: /"interval":(\d+)/).flatMap { Int($0.1) }
            // A value is a possible final one unless another acknowledged write started after it ended.
            let candidates = list.filter { write in !list.contains { $0.started > write.ended } }.map(\.value)
            #expect(interval.map(candidates.contains) == true, "\(name): \(interval ?? -1) not in \(candidates)")
        }
        emulator.stop()
    }

    @Test("keep-alive and pipelined requests are answered in order; a client that trickles its headers is cut off")
    func pipelinedAndSlowClients() async throws {
        let emulator = try EmulatorProcess(["--in-memory", "--request-timeout", "1"])
        let port = try #require(emulator.baseURL.split(separator: ":").last.flatMap { UInt16($0) })
        let pipelined = try RawConnection(port: port)
        let request = "GET /_emulator/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        try pipelined.write(String(repeating: request, count: 5))
        let replies = try pipelined.read(until: { $0.components(separatedBy: "HTTP/1.1 200 OK").count - 1 >= 5 }, timeout: 5)
        #expect(replies.components(separatedBy: "HTTP/1.1 200 OK").count - 1 == 5)

        let slow = try RawConnection(port: port)
        try slow.write("GET /_emulator/health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        let started = Date()
        #expect(try await emulator.send("GET", "/_emulator/health").status == 200)
        let closed = try slow.waitForClose(timeout: 5)
        #expect(closed)
        #expect(Date().timeIntervalSince(started) < 4)

        // The deadline starts again after each response: a connection that sends a whole request every 0.6 s
        // outlives the 1 s timeout, and a kept-alive connection that then trickles is cut off.
        let busy = try RawConnection(port: port)
        for _ in 0..<3 {
            try busy.write(request)
            let reply = try busy.read(until: { $0.contains("HTTP/1.1 200 OK") }, timeout: 5)
            #expect(reply.contains("HTTP/1.1 200 OK"))
            try await Task.sleep(for: .milliseconds(600))
        }
        let kept = try RawConnection(port: port)
        try kept.write(request)
        #expect(try kept.read(until: { $0.contains("HTTP/1.1 200 OK") }, timeout: 5).contains("HTTP/1.1 200 OK"))
        try kept.write("GET /_emulator/health HTTP/1.1\r\n")
        let trickleStarted = Date()
        #expect(try kept.waitForClose(timeout: 5))
        #expect(Date().timeIntervalSince(trickleStarted) < 4)
        emulator.stop()
    }

    @Test("passwords never reach responses, logs at trace level, or the state file")
    func secretsStaySecret() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let log = directory.appendingPathComponent("emulator.log")
        let emulator = try EmulatorProcess(["--data-dir", directory.path, "--log-level", "trace"], stderr: log)
        let hubSecret = "Hub-S3cret-pw!"
        let memberSecret = "Member-S3cret-pw!"
        var answers: [String] = []
        answers.append(try await emulator.finish(try await emulator.send(
            "PUT", "\(HowTo.groupPath())?\(Self.v)",
            body: #"{"properties":{"interval":-1,"hubDatabaseUserName":"hubUser","hubDatabasePassword":"\#(hubSecret)"}}"#
        )).text)
        answers.append(try await emulator.finish(try await emulator.send(
            "PUT", "\(HowTo.memberPath())?\(Self.v)",
            body: #"{"properties":{"serverName":"s","databaseName":"d","userName":"u","password":"\#(memberSecret)"}}"#
        )).text)
        answers.append(try await emulator.send("PATCH", "\(HowTo.memberPath())?\(Self.v)", body: #"{"properties":{"password":"\#(memberSecret)","syncDirection":"Nope"}}"#).text)
        for path in [HowTo.groupPath(), HowTo.memberPath(), HowTo.databasePath + "/syncGroups", HowTo.groupPath() + "/syncMembers"] {
            answers.append(try await emulator.send("GET", "\(path)?\(Self.v)").text)
        }
        emulator.stop()
        var stored = Data()
        for name in ["state.sqlite", "state.sqlite-wal"] {
            stored.append((try? Data(contentsOf: directory.appendingPathComponent(name))) ?? Data())
        }
        let logText = try String(contentsOf: log, encoding: .utf8)
        #expect(!logText.isEmpty)
        for secret in [hubSecret, memberSecret] {
            #expect(!answers.contains { $0.contains(secret) })
            #expect(!logText.contains(secret))
            #expect(stored.range(of: Data(secret.utf8)) == nil)
        }
    }

    @Test("binding beyond loopback with --auth none logs a warning")
    func nonLoopbackWarning() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let log = directory.appendingPathComponent("emulator.log")
        let emulator = try EmulatorProcess(["--in-memory", "--host", "0.0.0.0"], stderr: log)
        emulator.stop()
        let text = try String(contentsOf: log, encoding: .utf8)
        #expect(text.contains("Listening beyond loopback with --auth none"))
        #expect(text.contains("dse-host=0.0.0.0"), "the line's metadata is written: \(text)")
    }

    private static func count(_ emulator: EmulatorProcess, _ database: TestDatabase) async throws -> Int {
        let reply = try await emulator.sql(database, "SELECT COUNT(*) FROM T")
        return reply.text.firstMatch(of: /\[\[(\d+)\]\]/).flatMap { Int($0.1) } ?? -1
    }

    /// The same URL on another base (the port changes at each restart).
    static func relocate(_ url: String, to base: String) -> String {
        guard let range = url.range(of: "/subscriptions/") else { return url }
        return base + url[range.lowerBound...]
    }
}

/// A plain TCP connection, for pipelined and slow clients that URLSession cannot be.
final class RawConnection {
    let socket: Int32

    init(port: UInt16) throws {
        self.socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(self.socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else { throw EmulatorProcessError(message: "connect failed") }
        var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(self.socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(self.socket) }

    func write(_ text: String) throws {
        let bytes = Array(text.utf8)
        guard send(self.socket, bytes, bytes.count, 0) == bytes.count else { throw EmulatorProcessError(message: "send failed") }
    }

    /// Reads until `done` holds for what arrived, or `timeout` seconds pass.
    func read(until done: (String) -> Bool, timeout: TimeInterval) throws -> String {
        var received = [UInt8]()
        let deadline = Date().addingTimeInterval(timeout)
        var buffer = [UInt8](repeating: 0, count: 4096)
        while Date() < deadline, !done(String(decoding: received, as: UTF8.self)) {
            let count = recv(self.socket, &buffer, buffer.count, 0)
            if count > 0 { received.append(contentsOf: buffer[0..<count]) }
            if count == 0 { break }
        }
        return String(decoding: received, as: UTF8.self)
    }

    /// Whether the server closes the connection within `timeout` seconds.
    func waitForClose(timeout: TimeInterval) throws -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        var buffer = [UInt8](repeating: 0, count: 256)
        while Date() < deadline {
            let count = recv(self.socket, &buffer, buffer.count, 0)
            if count == 0 { return true }
            if count < 0, errno != EAGAIN, errno != EWOULDBLOCK { return true }
        }
        return false
    }
}
