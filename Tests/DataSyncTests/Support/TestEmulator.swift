import ARMConventions
import DataSyncModel
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import DataSyncHTTP

/// The how-to's names, and helpers that build their ARM paths.
enum HowTo {
    static let subscription = "00000000-1111-2222-3333-444444444444"
    static let resourceGroup = "syncgroupcrud-65440"
    static let server = "syncgroupcrud-8475"
    static let database = "syncgroupcrud-4328"
    static let group = "syncgroupcrud-3187"
    static let member = "syncgroupcrud-4879"

    static var serverPath: String {
        "/subscriptions/\(subscription)/resourceGroups/\(resourceGroup)/providers/Microsoft.Sql/servers/\(server)"
    }
    static var databasePath: String { "\(serverPath)/databases/\(database)" }
    static func groupPath(_ name: String = group) -> String { "\(databasePath)/syncGroups/\(name)" }
    static func memberPath(_ name: String = member, group: String = group) -> String {
        "\(groupPath(group))/syncMembers/\(name)"
    }
    static func agentPath(_ name: String) -> String { "\(serverPath)/syncAgents/\(name)" }
    static func syncDatabaseID(_ database: String = database) -> String {
        "/subscriptions/\(subscription)/resourceGroups/syncgroupcrud-3521/providers/Microsoft.Sql/servers/\(server)/databases/\(database)"
    }

    /// A how-to request body from `fixtures/howto`.
    static func fixture(_ name: String) throws -> String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        return try String(contentsOf: root.appendingPathComponent("fixtures/howto/\(name).json"), encoding: .utf8)
    }
}

/// A parsed response: status, headers and JSON body.
struct Reply {
    let status: HTTPResponse.Status
    let headers: HTTPFields
    let text: String

    var json: JSONValue? { try? JSONValue.parse(Data(self.text.utf8)) }
    var object: JSONObject? { self.json?.objectValue }

    /// A value at a dotted path such as `properties.syncState`.
    func value(_ path: String) -> JSONValue? {
        var current: JSONValue? = self.json
        for key in path.split(separator: ".") {
            current = current?.objectValue?[String(key)]
        }
        return current
    }

    func string(_ path: String) -> String? {
        if case .string(let text)? = self.value(path) { return text }
        return nil
    }

    var errorCode: String? { self.string("error.code") }
    var errorMessage: String? { self.string("error.message") }
}

/// A client of one emulator application, through HummingbirdTesting's router transport.
struct ARMClient {
    let client: any TestClientProtocol
    var apiVersion = "2025-01-01"

    func send(
        _ method: HTTPRequest.Method,
        _ path: String,
        body: String? = nil,
        apiVersion: String?? = nil,
        headers: HTTPFields = [:]
    ) async throws -> Reply {
        var uri = path
        let version = apiVersion ?? self.apiVersion
        if let version, !path.contains("api-version=") {
            uri += (path.contains("?") ? "&" : "?") + "api-version=\(version)"
        }
        var headers = headers
        if body != nil, headers[.contentType] == nil { headers[.contentType] = "application/json" }
        let response = try await self.client.execute(
            uri: uri,
            method: method,
            headers: headers,
            body: body.map { ByteBuffer(string: $0) }
        )
        return Reply(status: response.status, headers: response.headers, text: String(buffer: response.body))
    }

    func get(_ path: String) async throws -> Reply { try await self.send(.get, path) }
    func put(_ path: String, _ body: String) async throws -> Reply { try await self.send(.put, path, body: body) }
    func patch(_ path: String, _ body: String) async throws -> Reply { try await self.send(.patch, path, body: body) }
    func delete(_ path: String) async throws -> Reply { try await self.send(.delete, path) }
    func post(_ path: String) async throws -> Reply { try await self.send(.post, path) }

    /// GETs an absolute poll URL through the router transport (scheme and host dropped).
    func poll(_ url: String) async throws -> Reply {
        try await self.send(.get, Self.relative(url), apiVersion: .some(nil))
    }

    /// Polls `Location` until the operation is no longer 202, at most `limit` times.
    func finish(_ accepted: Reply, limit: Int = 5) async throws -> Reply {
        let location = try #require(accepted.headers[.location])
        var reply = try await self.poll(location)
        var polls = 1
        while reply.status == .accepted, polls < limit {
            reply = try await self.poll(location)
            polls += 1
        }
        return reply
    }

    static func relative(_ url: String) -> String {
        guard let range = url.range(of: "://") else { return url }
        let rest = url[range.upperBound...]
        return rest.firstIndex(of: "/").map { String(rest[$0...]) } ?? "/"
    }

    // MARK: The how-to's steps

    func createGroup(_ name: String = HowTo.group) async throws -> Reply {
        try await self.finish(try await self.put(HowTo.groupPath(name), try HowTo.fixture("create-sync-group")))
    }

    func createMember(_ name: String = HowTo.member, group: String = HowTo.group) async throws -> Reply {
        try await self.finish(try await self.put(HowTo.memberPath(name, group: group), try HowTo.fixture("create-sync-member")))
    }

    /// Runs `sql` in an emulated database; the engine's tests speak the SQLite dialect unless they say otherwise.
    @discardableResult
    func sql(_ server: String, _ database: String, _ sql: String, _ parameters: [JSONValue] = [], dialect: String = "sqlite") async throws -> Reply {
        let body = JSONValue.object(["sql": .string(sql), "parameters": .array(parameters), "dialect": .string(dialect)]).serialized()
        return try await self.send(.post, "/_emulator/databases/\(server)/\(database)/query", body: body, apiVersion: .some(nil))
    }

    /// Creates the how-to's `Customers` table in the hub and refreshes the hub schema, so the how-to's
    /// schema update can name it.
    func prepareHowToHub() async throws {
        try await self.sql(HowTo.server, HowTo.database, "CREATE TABLE Customers (CustomerId INTEGER PRIMARY KEY, Name NVARCHAR(100))")
        _ = try await self.finish(try await self.post(HowTo.groupPath() + "/refreshHubSchema"))
    }
}

/// Runs `body` against a fresh in-memory emulator through the router transport.
func withEmulator(
    _ configuration: EmulatorConfiguration = EmulatorConfiguration(),
    clock: EmulatorClock = EmulatorClock(frozenAt: Date(timeIntervalSince1970: 1_790_000_000)),
    apiVersion: String = "2025-01-01",
    _ body: @Sendable (ARMClient) async throws -> Void
) async throws {
    let application = try buildApplication(configuration, clock: clock)
    try await application.test(.router) { client in
        try await body(ARMClient(client: client, apiVersion: apiVersion))
    }
}

enum EmulatorConfigurationForTests {
    /// The default configuration, keeping state and databases in `directory`.
    static func onDisk(_ directory: URL) -> EmulatorConfiguration {
        EmulatorConfiguration(dataDirectory: directory)
    }
}
