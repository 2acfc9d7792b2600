import ARMConventions
import DataSyncEngine
import DataSyncModel
import DataSyncStore
import Foundation
import Synchronization
import Testing

@testable import DataSyncHandlers
@testable import DataSyncHTTP

/// Handler-level tests of sync rounds, with a hook at table boundaries.
@Suite struct SyncCoordinatorTests {
    final class Holder: Sendable {
        let coordinator = Mutex<SyncCoordinator?>(nil)
        let boundaries = Mutex(0)
    }

    static let database = DatabasePath(
        server: ServerPath(
            subscriptionID: try! ResourceName(HowTo.subscription, kind: .subscription),
            resourceGroup: try! ResourceName(HowTo.resourceGroup, kind: .resourceGroup),
            server: try! ResourceName(HowTo.server, kind: .server)
        ),
        database: try! ResourceName(HowTo.database, kind: .database)
    )
    static let group = SyncGroupPath(database: database, name: try! ResourceName("g", kind: .syncGroup))

    @Test("cancelSync stops a round between tables: nothing half-applied, members SyncCancelled, the next round completes")
    func cancelBetweenTables() async throws {
        let holder = Holder()
        let databases = EmulatedDatabases(root: nil)
        let environment = HandlerEnvironment(
            store: try StateStore.open(directory: nil),
            clock: EmulatorClock(frozenAt: Date(timeIntervalSince1970: 1_790_000_000)),
            location: "westus2",
            operationDelay: 0,
            databases: databases
        )
        let path = Self.group
        let coordinator = SyncCoordinator(environment: environment) { _ in
            let count = holder.boundaries.withLock { value -> Int in
                value += 1
                return value
            }
            if count == 2 { _ = holder.coordinator.withLock { $0 }?.requestCancellation(path) }
        }
        holder.coordinator.withLock { $0 = coordinator }
        let groups = SyncGroupHandler(environment: environment, coordinator: coordinator)
        let members = SyncMemberHandler(environment: environment)

        let hub = try DatabaseKey(server: HowTo.server, database: HowTo.database)
        _ = try databases.query(hub, sql: """
            CREATE TABLE First (id INTEGER PRIMARY KEY, v TEXT); CREATE TABLE Second (id INTEGER PRIMARY KEY, v TEXT);
            INSERT INTO First VALUES (1, 'one'), (2, 'two'); INSERT INTO Second VALUES (1, 'uno'), (2, 'dos');
            """, parameters: [])
        var settings = SyncGroupSettings()
        settings.interval = -1
        settings.conflictResolutionPolicy = .hubWin
        _ = try await groups.createOrUpdate(path, settings: settings, operationID: UUID())
        for name in ["a", "b"] {
            var member = SyncMemberSettings()
            member.serverName = "srv\(name)"
            member.databaseName = "db\(name)"
            member.syncDirection = .bidirectional
            _ = try await members.createOrUpdate(SyncMemberPath(group: path, name: try ResourceName(name, kind: .syncMember)), settings: member, operationID: UUID())
        }
        _ = try await groups.refreshHubSchema(path, operationID: UUID())
        var schema = SyncGroupSettings()
        schema.schema = SyncGroupSchema(
            tables: ["First", "Second"].map { SyncGroupSchemaTable(quotedName: "[dbo].[\($0)]", columns: [.init(quotedName: "[id]"), .init(quotedName: "[v]")]) },
            masterSyncMemberName: "a"
        )
        _ = try await groups.patch(path, patch: schema, operationID: UUID())

        try await groups.triggerSync(path)
        let memberA = try DatabaseKey(server: "srva", database: "dba")
        #expect(try databases.query(memberA, sql: "SELECT COUNT(*) FROM First", parameters: []) == .rows(columns: ["COUNT(*)"], rows: [[.integer(2)]]))
        #expect(try databases.query(memberA, sql: "SELECT COUNT(*) FROM Second", parameters: []) == .rows(columns: ["COUNT(*)"], rows: [[.integer(0)]]))
        for name in ["a", "b"] {
            let member = try await members.get(SyncMemberPath(group: path, name: try ResourceName(name, kind: .syncMember)))
            #expect(member.syncState == .syncCancelled, "member \(name)")
        }
        let logs = try await groups.listLogs(path, start: .distantPast, end: .distantFuture, type: .warning, continuation: nil)
        #expect(logs.items.contains { $0.operationStatus == "SyncCancelled" })

        try await groups.triggerSync(path)
        #expect(try databases.query(memberA, sql: "SELECT v FROM Second ORDER BY id", parameters: []) == .rows(columns: ["v"], rows: [[.text("uno")], [.text("dos")]]))
        #expect(try await members.get(SyncMemberPath(group: path, name: try ResourceName("b", kind: .syncMember))).syncState == .syncSucceeded)
        #expect(try await groups.get(path).syncState == .good)
    }
}

@Suite struct RestartBetweenRunsTests {
    @Test("a restart between two runs loses nothing and sends nothing twice")
    func restartBetweenRuns() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let configuration = EmulatorConfigurationForTests.onDisk(directory)
        try await withEmulator(configuration) { arm in
            let scenario = SyncScenario(arm: arm)
            try await scenario.build()
            try await scenario.exec(.hub, "INSERT INTO T VALUES (1, 'before restart')")
            try await scenario.sync()
        }
        try await withEmulator(configuration) { arm in
            let scenario = SyncScenario(arm: arm)
            #expect(try await scenario.table(.a) == [[1, "before restart"]])
            #expect(try await scenario.groupState() == "Good")
            try await scenario.exec(.hub, "INSERT INTO T VALUES (2, 'after restart')")
            try await scenario.sync()
            #expect(try await scenario.table(.b) == [[1, "before restart"], [2, "after restart"]])
            let last = try await scenario.logs().last { $0["operationStatus"] == .string("SyncSuccess") }
            guard case .string(let details)? = last?["details"] else {
                Issue.record("no sync log")
                return
            }
            #expect(details.contains("Upload: 0 changes applied. Download: 1 changes applied."), "\(details)")
        }
    }
}

/// A member PUT that repeats the member as it is writes no row, and still answers and records its operation.
@Suite struct RepeatedMemberPutTests {
    @Test("a repeated PUT keeps the member and its order; a changed PUT replaces its settings")
    func repeatedPut() async throws {
        let environment = HandlerEnvironment(
            store: try StateStore.open(directory: nil),
            clock: EmulatorClock(frozenAt: Date(timeIntervalSince1970: 1_790_000_000)),
            location: "westus2",
            operationDelay: 0,
            databases: EmulatedDatabases(root: nil)
        )
        let groups = SyncGroupHandler(environment: environment, coordinator: SyncCoordinator(environment: environment))
        let members = SyncMemberHandler(environment: environment)
        _ = try await groups.createOrUpdate(SyncCoordinatorTests.group, settings: SyncGroupSettings(), operationID: UUID())
        var settings = SyncMemberSettings()
        settings.serverName = "srv"
        settings.databaseName = "db"
        let paths = try ["a", "b"].map { SyncMemberPath(group: SyncCoordinatorTests.group, name: try ResourceName($0, kind: .syncMember)) }
        for path in paths {
            _ = try await members.createOrUpdate(path, settings: settings, operationID: UUID())
        }
        let before = try await members.list(in: SyncCoordinatorTests.group, pageToken: nil).items

        let repeated = try await members.createOrUpdate(paths[0], settings: settings, operationID: UUID())
        #expect(repeated.result == .memberUpserted(before[0], created: false))
        #expect(try await environment.store.read { try $0.operation(repeated.id) } == repeated)
        #expect(try await members.list(in: SyncCoordinatorTests.group, pageToken: nil).items == before)

        settings.databaseName = "other"
        _ = try await members.createOrUpdate(paths[0], settings: settings, operationID: UUID())
        let after = try await members.list(in: SyncCoordinatorTests.group, pageToken: nil).items
        #expect(after.map(\.path.name.value) == ["a", "b"])
        #expect(after[0].settings.databaseName == "other")
        #expect(after[0].createdAt == before[0].createdAt)
    }
}
