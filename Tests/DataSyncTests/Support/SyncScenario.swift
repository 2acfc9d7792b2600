import ARMConventions
import Foundation
import HTTPTypes
import Testing

@testable import DataSyncHTTP

/// An emulated database by server and name.
struct TestDatabase: Sendable, CustomStringConvertible {
    let server: String
    let database: String
    var description: String { "\(self.server)/\(self.database)" }

    static let hub = TestDatabase(server: HowTo.server, database: HowTo.database)
    static let a = TestDatabase(server: "srva", database: "dba")
    static let b = TestDatabase(server: "srvb", database: "dbb")
}

/// A hub and members built through the ARM API, with SQL on each database: what the data-plane tests
/// drive. Members are created in name order, so they sync in that order.
struct SyncScenario: Sendable {
    let arm: ARMClient

    /// Creates the group, runs `hubSQL` on the hub, `memberSQL` on members, creates members (name →
    /// direction), refreshes the hub schema and saves a schema selecting every column of `tables`.
    func build(
        policy: String = "HubWin",
        members: [(name: String, database: TestDatabase, direction: String)] = [("a", .a, "Bidirectional"), ("b", .b, "Bidirectional")],
        hubSQL: String = "CREATE TABLE T (id INTEGER PRIMARY KEY, v TEXT)",
        memberSQL: [String: String] = [:],
        tables: [(name: String, columns: [String])] = [("T", ["id", "v"])],
        extra: String = ""
    ) async throws {
        let group = #"{"properties":{"interval":-1,"conflictResolutionPolicy":"\#(policy)","syncDatabaseId":"\#(HowTo.syncDatabaseID())"\#(extra)}}"#
        #expect((try await self.arm.finish(try await self.arm.put(HowTo.groupPath(), group))).status == .created)
        try await self.exec(.hub, hubSQL)
        for member in members {
            if let sql = memberSQL[member.name] { try await self.exec(member.database, sql) }
            let body = """
                {"properties":{"databaseType":"AzureSqlDatabase","serverName":"\(member.database.server).database.windows.net",
                "databaseName":"\(member.database.database)","userName":"u","password":"p","syncDirection":"\(member.direction)"}}
                """
            #expect((try await self.arm.finish(try await self.arm.put(HowTo.memberPath(member.name), body))).status == .created)
        }
        #expect((try await self.arm.finish(try await self.arm.post(HowTo.groupPath() + "/refreshHubSchema"))).status == .ok)
        let tableJSON = tables.map { table in
            let columns = table.columns.map { #"{"quotedName":"[\#($0)]"}"# }.joined(separator: ",")
            return #"{"quotedName":"[dbo].[\#(table.name)]","columns":[\#(columns)]}"#
        }.joined(separator: ",")
        let withSchema = #"{"properties":{"schema":{"tables":[\#(tableJSON)],"masterSyncMemberName":"\#(members[0].name)"}}}"#
        let saved = try await self.arm.finish(try await self.arm.patch(HowTo.groupPath(), withSchema))
        #expect(saved.status == .ok, "schema save: \(saved.text)")
    }

    /// Runs SQL that must succeed.
    func exec(_ database: TestDatabase, _ sql: String, _ parameters: [JSONValue] = []) async throws {
        let reply = try await self.arm.sql(database.server, database.database, sql, parameters)
        #expect(reply.status == .ok, "SQL on \(database) failed: \(reply.text)")
    }

    /// The rows of `sql` in `database`.
    func rows(_ database: TestDatabase, _ sql: String) async throws -> [[JSONValue]] {
        let reply = try await self.arm.sql(database.server, database.database, sql)
        guard case .array(let rows)? = reply.object?["rows"] else {
            Issue.record("no rows from \(database): \(reply.text)")
            return []
        }
        return rows.map { row in if case .array(let values) = row { values } else { [] } }
    }

    /// `v` of row `id` in table T, or `nil` when the row is absent.
    func value(_ database: TestDatabase, _ id: Int) async throws -> String? {
        let rows = try await self.rows(database, "SELECT v FROM T WHERE id = \(id)")
        guard let first = rows.first?.first else { return nil }
        if case .string(let text) = first { return text }
        return "\(first)"
    }

    /// The whole of table T in `database`, ordered by id.
    func table(_ database: TestDatabase, _ name: String = "T") async throws -> [[JSONValue]] {
        try await self.rows(database, "SELECT * FROM \(name) ORDER BY 1")
    }

    /// Triggers one sync round and checks it was accepted.
    func sync() async throws {
        let reply = try await self.arm.post(HowTo.groupPath() + "/triggerSync")
        #expect(reply.status == .ok, "triggerSync: \(reply.text)")
    }

    func memberState(_ name: String) async throws -> String? {
        try await self.arm.get(HowTo.memberPath(name)).string("properties.syncState")
    }

    func groupState() async throws -> String? {
        try await self.arm.get(HowTo.groupPath()).string("properties.syncState")
    }

    /// The log entries of the group, oldest first.
    func logs(type: String = "All") async throws -> [JSONObject] {
        let reply = try await self.arm.get(
            HowTo.groupPath() + "/logs?startTime=2000-01-01T00:00:00&endTime=2999-12-31T00:00:00&type=\(type)"
        )
        guard case .array(let entries)? = reply.value("value") else { return [] }
        return entries.compactMap(\.objectValue)
    }
}

/// Where a scenario's emulated databases live. Between files the engine copies set-wise; in memory it goes
/// row by row; the data-plane tests run on both, so the two paths are held to the same results.
enum Storage: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case memory
    case files

    var testDescription: String { self.rawValue }
}

/// Runs `body` with a scenario on a fresh emulator, its state and databases in memory or in a temporary
/// directory removed afterwards.
func withScenario(
    _ storage: Storage = .memory,
    _ body: @Sendable (SyncScenario) async throws -> Void
) async throws {
    switch storage {
    case .memory:
        try await withEmulator { arm in try await body(SyncScenario(arm: arm)) }
    case .files:
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try await withEmulator(EmulatorConfigurationForTests.onDisk(directory)) { arm in try await body(SyncScenario(arm: arm)) }
    }
}
