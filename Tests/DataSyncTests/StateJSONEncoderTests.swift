import DataSyncEngine
import DataSyncModel
@testable import DataSyncStore
import Foundation
import Testing

/// The state store's streaming encoder writes what `JSONEncoder` writes: scalars byte for byte, every stored
/// kind of row as the same JSON (same keys and values; `JSONEncoder` on Linux orders keys by hash), decoding
/// to the same value; and anything it does not write that way falls back to `JSONEncoder`.
@Suite struct StateJSONEncoderTests {
    static let foundation: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return encoder
    }()

    /// `data` parsed and written again with sorted keys, so two spellings of the same JSON compare equal.
    static func canonical(_ data: Data) throws -> Data {
        try JSONSerialization.data(withJSONObject: JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]),
                                   options: [.sortedKeys, .fragmentsAllowed])
    }

    /// Holds the streaming form of `value` to `JSONEncoder`'s, and to the value itself once decoded.
    static func expectSame<T: Codable & Equatable>(_ value: T, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let streamed = try StateJSONEncoder.encode(value)
        let foundation = try Self.foundation.encode(value)
        #expect(try Self.canonical(streamed) == Self.canonical(foundation), "\(String(decoding: streamed, as: UTF8.self))", sourceLocation: sourceLocation)
        #expect(streamed.count == foundation.count, "the same spelling, in another key order", sourceLocation: sourceLocation)
        #expect(try JSONDecoder().decode(T.self, from: streamed) == value, sourceLocation: sourceLocation)
        #expect(try stateJSON(value) == streamed, "no fallback for a stored kind", sourceLocation: sourceLocation)
    }

    static let strings = [
        "", "plain", "quote \" backslash \\ slash / ids/a/b", "é ü 中文 🙂 \u{2028} \u{7F}", "tab\tnew\nline\rcr",
        String((0..<32).map { Character(UnicodeScalar(UInt8($0))) }), "trailing \\",
    ]
    static let doubles: [Double] = [
        0, -0.0, 1, -1, 1.5, 0.1, 1e20, 1e21, 1e-7, 123_456_789.123, 1_790_000_000.25, Double.greatestFiniteMagnitude,
        Double.leastNonzeroMagnitude, -2.5e-300, 0.30000000000000004, 4_503_599_627_370_496.0,
    ]

    @Test("strings, numbers, booleans, null and dates are spelled byte for byte as JSONEncoder spells them")
    func scalars() throws {
        for string in Self.strings {
            #expect(try StateJSONEncoder.encode([string]) == Self.foundation.encode([string]), "\(string.debugDescription)")
        }
        for double in Self.doubles {
            #expect(try StateJSONEncoder.encode([double]) == Self.foundation.encode([double]), "\(double)")
            if Float(double).isFinite {
                #expect(try StateJSONEncoder.encode([Float(double)]) == Self.foundation.encode([Float(double)]), "\(Float(double))")
            }
            let date = Date(timeIntervalSinceReferenceDate: double)
            #expect(try StateJSONEncoder.encode([date]) == Self.foundation.encode([date]), "\(date)")
        }
        let integers: [Int64] = [0, 1, -1, 42, .min, .max]
        #expect(try StateJSONEncoder.encode(integers) == Self.foundation.encode(integers))
        #expect(try StateJSONEncoder.encode([UInt64.max]) == Self.foundation.encode([UInt64.max]))
        let mixed: [Bool?] = [true, false, nil]
        #expect(try StateJSONEncoder.encode(mixed) == Self.foundation.encode(mixed))
        #expect(try StateJSONEncoder.encode(["k/1": [1, 2], "k2": []]).count == Self.foundation.encode(["k/1": [1, 2], "k2": []]).count)
        #expect(throws: (any Error).self) { try StateJSONEncoder.encode([Double.nan]) }
    }

    static let group: SyncGroup = {
        var settings = SyncGroupSettings()
        settings.interval = 300
        settings.conflictResolutionPolicy = .memberWin
        settings.syncDatabaseID = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Sql/servers/srv/databases/syncdb"
        settings.hubDatabaseUserName = "hub \"user\""
        settings.hubDatabasePasswordDigest = "pbkdf2-sha256$100000$c2FsdA==$a2V5"
        settings.schema = SyncGroupSchema(
            tables: [
                SyncGroupSchemaTable(quotedName: "[dbo].[T]", columns: [
                    SyncGroupSchemaColumn(quotedName: "[id]", dataSize: "4", dataType: "int"),
                    SyncGroupSchemaColumn(quotedName: "[name]"),
                ]),
                SyncGroupSchemaTable(quotedName: nil, columns: []),
            ],
            masterSyncMemberName: "m1"
        )
        settings.enableConflictLogging = true
        settings.conflictLoggingRetentionInDays = 30
        settings.usePrivateLinkConnection = false
        settings.sku = SyncGroupSku(name: "Basic", tier: "Basic", capacity: 1)
        settings.identity = DataSyncIdentity(type: .userAssigned, tenantID: "t", userAssignedIdentities: ["/a/b", "/c"])
        var group = SyncGroup(
            path: SyncGroupPath(database: StateStoreTests.database, name: try! ResourceName("Group-1", kind: .syncGroup)),
            settings: settings,
            createdAt: Date(timeIntervalSince1970: 1_790_000_000.125)
        )
        group.syncState = .progressing
        group.lastSyncTime = Date(timeIntervalSince1970: 1_790_000_100.5)
        return group
    }()

    static let member: SyncMember = {
        var settings = SyncMemberSettings()
        settings.databaseType = .azureSqlDatabase
        settings.syncAgentID = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Sql/servers/srv/syncAgents/a"
        settings.sqlServerDatabaseID = "5f2c1a8e-0000-4000-8000-000000000000"
        settings.syncMemberAzureDatabaseResourceID = ""
        settings.usePrivateLinkConnection = true
        settings.serverName = "member-server.database.windows.net"
        settings.databaseName = "member-db"
        settings.userName = "user-123"
        settings.passwordDigest = "pbkdf2-sha256$100000$c2FsdA==$a2V5"
        settings.syncDirection = .oneWayHubToMember
        settings.identity = DataSyncIdentity(type: .systemAssigned)
        var member = SyncMember(
            path: SyncMemberPath(group: Self.group.path, name: try! ResourceName("member-1", kind: .syncMember)),
            settings: settings,
            createdAt: Date(timeIntervalSince1970: 1_790_000_000)
        )
        member.syncState = .provisioned
        return member
    }()

    static let agent = SyncAgent(
        path: SyncAgentPath(server: StateStoreTests.database.server, name: try! ResourceName("agent", kind: .syncAgent)),
        syncDatabaseID: nil,
        keyID: UUID(uuidString: "0B4E2C3A-1111-4222-8333-444455556666")!,
        createdAt: Date(timeIntervalSince1970: 0)
    )

    @Test("every kind of stored row is the same JSON as JSONEncoder's, and decodes to the same value")
    func storedKinds() throws {
        var bare = SyncMember(path: Self.member.path, settings: SyncMemberSettings(), createdAt: Date(timeIntervalSince1970: -1.5))
        bare.syncState = .unProvisioned
        try Self.expectSame(Self.group)
        try Self.expectSame(SyncGroup(path: Self.group.path, settings: SyncGroupSettings(), createdAt: Date(timeIntervalSince1970: 1)))
        try Self.expectSame(Self.member)
        try Self.expectSame(bare)
        try Self.expectSame(Self.agent)
        let results: [OperationResult] = [
            .groupUpserted(Self.group, created: true), .groupPatched(Self.group, patch: Self.group.settings),
            .groupDeleted(Self.group.path), .memberUpserted(Self.member, created: false),
            .memberPatched(bare, patch: Self.member.settings), .memberDeleted(Self.member.path),
            .agentUpserted(Self.agent, created: true), .agentDeleted(Self.agent.path),
            .hubSchemaRefreshed(Self.group.path), .memberSchemaRefreshed(Self.member.path),
        ]
        let progresses: [OperationProgress] = [.running, .succeeded, .failed(.genericFailure("it \"broke\"\n/here"))]
        for (index, result) in results.enumerated() {
            try Self.expectSame(
                LongRunningOperation(
                    id: UUID(),
                    subscriptionID: Self.group.path.database.server.subscriptionID,
                    resourceGroup: Self.group.path.database.server.resourceGroup,
                    result: result,
                    startTime: Date(timeIntervalSince1970: 1_790_000_000.123456),
                    readyAt: Date(timeIntervalSince1970: 1_790_000_030.123456),
                    progress: progresses[index % progresses.count]
                )
            )
        }
        try Self.expectSame(
            SyncLogEntry(timestamp: Date(timeIntervalSince1970: 1_790_000_000.5), type: .error, source: "srv.database.windows.net/db",
                         details: "Sync failed: \"x\"", tracingID: UUID(), operationStatus: "SyncFailed")
        )
        try Self.expectSame(
            DatabaseSchema(
                tables: [
                    SchemaTable(name: "T", quotedName: "[dbo].[T]", columns: [
                        SchemaColumn(name: "id", quotedName: "[id]", dataType: "int", dataSize: "4", isPrimaryKey: true, errorID: nil),
                        SchemaColumn(name: "v", quotedName: "[v]", dataType: "nvarchar", dataSize: "max", isPrimaryKey: false, errorID: "E1"),
                    ], errorID: nil),
                ],
                lastUpdateTime: Date(timeIntervalSince1970: 1_790_000_000)
            )
        )
    }

    struct Blob: Codable, Equatable {
        var data = Data([0, 1, 2, 250])
        var url = URL(string: "https://example.test/a b")!
        var amount = Decimal(string: "12.50")!
    }

    struct Silent: Codable, Equatable {
        func encode(to encoder: any Encoder) throws {}
        init() {}
        init(from decoder: any Decoder) throws {}
    }

    final class Base: Codable {
        var a = 1
    }

    final class Derived: Codable {
        var b = "x"
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(self.b, forKey: .b)
            try Base().encode(to: container.superEncoder())
        }
    }

    @Test("what JSONEncoder special-cases, or the streaming encoder cannot write the same way, falls back to JSONEncoder")
    func fallbacks() throws {
        #expect(throws: StateJSONEncoder.Unsupported.self) { try StateJSONEncoder.encode(Blob()) }
        #expect(try Self.canonical(stateJSON(Blob())) == Self.canonical(Self.foundation.encode(Blob())))
        #expect(try JSONDecoder().decode(Blob.self, from: stateJSON(Blob())) == Blob())
        #expect(throws: StateJSONEncoder.Unsupported.self) { try StateJSONEncoder.encode([Silent()]) }
        #expect(try stateJSON([Silent()]) == Self.foundation.encode([Silent()]))
        #expect(throws: StateJSONEncoder.Unsupported.self) { try StateJSONEncoder.encode(Derived()) }
        #expect(try Self.canonical(stateJSON(Derived())) == Self.canonical(Self.foundation.encode(Derived())))
    }

    @Test("a member and its operation stored through the writer hold JSONEncoder's JSON, and read back equal")
    func storedBytes() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("state-json-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try StateStore.open(directory: directory)
        let operation = LongRunningOperation(
            id: UUID(), subscriptionID: Self.group.path.database.server.subscriptionID,
            resourceGroup: Self.group.path.database.server.resourceGroup, result: .memberUpserted(Self.member, created: true),
            startTime: Date(timeIntervalSince1970: 1_790_000_000.5), readyAt: Date(timeIntervalSince1970: 1_790_000_000.5),
            progress: .succeeded
        )
        try await store.write { writer in
            try writer.save(Self.group)
            try writer.save(Self.member)
            try writer.save(operation)
        }
        let file = directory.appendingPathComponent("state.sqlite")
        for (sql, key, value) in [
            ("SELECT CAST(body AS TEXT) FROM resource WHERE key = ?", Self.member.path.id.armKey, try Self.foundation.encode(Self.member)),
            ("SELECT CAST(body AS TEXT) FROM operation WHERE id = ?", operation.id.uuidString.lowercased(), try Self.foundation.encode(operation)),
        ] {
            guard case .rows(_, let rows) = try QueryRunner.run(sql, parameters: [.text(key)], at: file.path),
                case .text(let body) = rows.first?[0]
            else {
                Issue.record("no row for \(key)")
                return
            }
            #expect(try Self.canonical(Data(body.utf8)) == Self.canonical(value))
        }
        let reopened = try StateStore.open(directory: directory)
        #expect(try reopened.member(Self.member.path) == Self.member)
        #expect(try reopened.operation(operation.id) == operation)
        #expect(try await reopened.read { try $0.groups(in: StateStoreTests.database) } == [Self.group])
    }
}
