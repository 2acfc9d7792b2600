import ARMConventions
import Foundation
import Testing

/// The real executable on a real socket: the how-to walkthrough, restarts and kill -9.
@Suite(.serialized) struct LiveProcessTests {
    static let version = "api-version=2015-05-01-preview"

    /// Polls `location` until it stops answering 202.
    private func finish(_ emulator: EmulatorProcess, _ accepted: (status: Int, headers: [String: String], text: String)) async throws -> Int {
        #expect(accepted.status == 202)
        let location = try #require(accepted.headers["location"])
        #expect(location.hasPrefix(emulator.baseURL))
        for _ in 0..<20 {
            let poll = try await emulator.send("GET", location)
            if poll.status != 202 { return poll.status }
        }
        return 202
    }

    @Test("the how-to walkthrough over a real socket, with polling")
    func walkthrough() async throws {
        let emulator = try EmulatorProcess(["--in-memory"])
        #expect(emulator.baseURL.hasPrefix("http://127.0.0.1:"))
        let health = try await emulator.send("GET", "/_emulator/health")
        #expect(health.status == 200)
        #expect(health.text.contains("\"status\":\"ok\""))

        let group = "\(HowTo.groupPath())?\(Self.version)"
        let member = "\(HowTo.memberPath())?\(Self.version)"
        #expect(try await self.finish(emulator, try await emulator.send("PUT", group, body: try HowTo.fixture("create-sync-group"))) == 201)
        #expect(try await self.finish(emulator, try await emulator.send("PUT", member, body: try HowTo.fixture("create-sync-member"))) == 201)
        let hubQuery = "/_emulator/databases/\(HowTo.server)/\(HowTo.database)/query"
        let created = try await emulator.send(
            "POST",
            hubQuery,
            body: #"{"sql":"CREATE TABLE Customers (CustomerId INTEGER PRIMARY KEY, Name NVARCHAR(100)); INSERT INTO Customers VALUES (1, 'Ada')"}"#
        )
        #expect(created.status == 200)
        let refresh = try await emulator.send("POST", "\(HowTo.groupPath())/refreshHubSchema?\(Self.version)")
        #expect(try await self.finish(emulator, refresh) == 200)
        #expect(try await emulator.send("GET", "\(HowTo.groupPath())/hubSchemas?\(Self.version)").status == 200)
        #expect(try await self.finish(emulator, try await emulator.send("PUT", group, body: try HowTo.fixture("update-sync-group"))) == 200)
        #expect(try await self.finish(emulator, try await emulator.send("PUT", member, body: try HowTo.fixture("update-sync-member"))) == 200)
        #expect(try await emulator.send("POST", "\(HowTo.groupPath())/triggerSync?\(Self.version)").status == 200)
        let state = try await emulator.send("GET", group)
        #expect(state.text.contains("\"masterSyncMemberName\":\"syncgroupcrud-4879\""))
        #expect(state.text.contains("\"syncState\":\"Good\""))
        let arrived = try await emulator.send(
            "POST",
            "/_emulator/databases/syncgroupcrud-3379/syncgroupcrud-7421/query",
            body: #"{"sql":"SELECT Name FROM Customers"}"#
        )
        #expect(arrived.text == #"{"columns":["Name"],"rows":[["Ada"]]}"#)
        emulator.stop()
        #expect(emulator.process.terminationStatus == 0)
    }

    @Test("state and operations survive SIGTERM and kill -9")
    func restart() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let arguments = ["--data-dir", directory.path]

        var emulator = try EmulatorProcess(arguments)
        let group = "\(HowTo.groupPath())?\(Self.version)"
        let accepted = try await emulator.send("PUT", group, body: try HowTo.fixture("create-sync-group"))
        let location = try #require(accepted.headers["location"])
        let agent = "\(HowTo.agentPath("agent1"))?\(Self.version)"
        _ = try await emulator.send("PUT", agent, body: #"{"properties":{"syncDatabaseId":"\#(HowTo.syncDatabaseID())"}}"#)
        emulator.stop(signal: SIGTERM)

        emulator = try EmulatorProcess(arguments)
        #expect(try await emulator.send("GET", group).text.contains("\"hubDatabaseUserName\":\"hubUser\""))
        let relocated = location.replacingOccurrences(of: try #require(location.split(separator: "/").dropFirst(1).first).description, with: emulator.baseURL.split(separator: "/").dropFirst(1).first!.description)
        #expect(try await emulator.send("GET", relocated).status == 201)
        _ = try await emulator.send("PATCH", group, body: #"{"properties":{"interval":300}}"#)
        emulator.stop(signal: SIGKILL)

        emulator = try EmulatorProcess(arguments)
        let after = try await emulator.send("GET", group)
        #expect(after.status == 200)
        #expect(after.text.contains("\"interval\":300"))
        #expect(try await emulator.send("GET", agent).status == 200)
        emulator.stop()
    }

    @Test("every flag can come from its DATASYNC_EMULATOR_ variable")
    func environmentVariables() async throws {
        let emulator = try EmulatorProcess(
            ["--in-memory"],
            environment: ["DATASYNC_EMULATOR_LOCATION": "eastus", "DATASYNC_EMULATOR_LRO_STYLE": "sync"]
        )
        let created = try await emulator.send("PUT", "\(HowTo.groupPath())?\(Self.version)", body: try HowTo.fixture("create-sync-group"))
        #expect(created.status == 201)
        let ids = try await emulator.send(
            "GET",
            "/subscriptions/\(HowTo.subscription)/providers/Microsoft.Sql/locations/eastus/syncDatabaseIds?\(Self.version)"
        )
        #expect(ids.text.contains(HowTo.syncDatabaseID()))
        emulator.stop()
    }

    @Test("an unreadable state file stops startup with a non-zero exit and is left as it was")
    func corruptState() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("state.sqlite")
        let garbage = Data(repeating: 0x42, count: 8192)
        try garbage.write(to: file)
        #expect(throws: (any Error).self) { try EmulatorProcess(["--data-dir", directory.path]) }
        #expect(try Data(contentsOf: file) == garbage)
    }
}
