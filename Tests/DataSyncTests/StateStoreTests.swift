import DataSyncEngine
import DataSyncModel
@testable import DataSyncStore
import Foundation
import Testing

/// The state store's own queries, below the handlers.
@Suite struct StateStoreTests {
    static let database = SyncCoordinatorTests.database

    static func group(_ name: String, interval: Int?, state: SyncGroupState) throws -> SyncGroup {
        var settings = SyncGroupSettings()
        settings.interval = interval
        var group = SyncGroup(
            path: SyncGroupPath(database: Self.database, name: try ResourceName(name, kind: .syncGroup)),
            settings: settings,
            createdAt: Date(timeIntervalSince1970: 1_790_000_000)
        )
        group.syncState = state
        return group
    }

    @Test("the scheduler's query returns exactly the ready groups with a positive interval, oldest first")
    func scheduledGroups() async throws {
        let store = try StateStore.open(directory: nil)
        let groups = [
            try Self.group("manual", interval: -1, state: .good),
            try Self.group("unset", interval: nil, state: .good),
            try Self.group("every-minute", interval: 60, state: .good),
            try Self.group("not-ready", interval: 60, state: .notReady),
            try Self.group("hourly", interval: 3600, state: .error),
        ]
        try await store.write { writer in
            for group in groups { try writer.save(group) }
        }
        let scheduled = try await store.read { try $0.scheduledGroups() }
        #expect(scheduled.map(\.path.name.value) == ["every-minute", "hourly"])
        #expect(scheduled == [groups[2], groups[4]])
    }
}

/// Group commit: concurrent writes share transactions, and each still stands or falls on its own.
@Suite struct GroupCommitTests {
    struct Refused: Error {}

    @Test("of many concurrent writes, exactly those that succeeded are kept, on disk and after reopening")
    func failuresRollBackOnlyThemselves() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("group-commit-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try StateStore.open(directory: directory)
        let outcomes = await withTaskGroup(of: (Int, Bool).self) { tasks in
            for index in 0..<64 {
                tasks.addTask {
                    let group = try! StateStoreTests.group("g\(index)", interval: index, state: .good)
                    do {
                        try await store.write { writer in
                            try writer.save(group)
                            if index % 3 == 0 { throw Refused() }
                        }
                        return (index, true)
                    } catch {
                        #expect(error is Refused)
                        return (index, false)
                    }
                }
            }
            var outcomes: [Int: Bool] = [:]
            for await (index, kept) in tasks { outcomes[index] = kept }
            return outcomes
        }
        let expected = Set(outcomes.filter(\.value).map { "g\($0.key)" })
        #expect(expected.count == 42)
        let counts = store.commitCounts
        #expect(counts.writes == 42, "the writes that committed, and only those")
        #expect((1...64).contains(counts.commits))
        for store in [store, try StateStore.open(directory: directory)] {
            let names = try await store.read { reader in
                try reader.groups(in: StateStoreTests.database).map(\.path.name.value)
            }
            #expect(Set(names) == expected)
            #expect(names.count == expected.count)
            for index in 0..<64 {
                let path = try StateStoreTests.group("g\(index)", interval: index, state: .good).path
                #expect((try store.group(path) != nil) == outcomes[index], "committed read of g\(index)")
            }
        }
    }

    @Test("a write's reads see the writes committed before it and its own, not those of a body that failed")
    func readsWithinABatch() async throws {
        let store = try StateStore.open(directory: nil)
        let first = try StateStoreTests.group("shared", interval: 60, state: .good)
        try await store.write { try $0.save(first) }
        async let failed: Void = store.write { writer in
            var changed = first
            changed.settings.interval = 120
            try writer.save(changed)
            throw Refused()
        }
        async let read = store.write { writer in try writer.reader.group(first.path) }
        _ = try? await failed
        #expect(try await read == first)
        #expect(try await store.read { try $0.group(first.path) } == first)
        #expect(try store.group(first.path) == first)
    }
}

/// Decoded bodies are reused only for identical stored bytes, and committed rows are replaced by each commit,
/// so reads of both kinds stay right through every change.
@Suite struct ReadCachesTests {
    @Test("snapshot and committed reads follow writes, rolled-back writes, deletes, a reset and a reopening")
    func coherent() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("decoded-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try StateStore.open(directory: directory)
        var group = try StateStoreTests.group("cached", interval: 60, state: .good)
        let path = group.path
        /// Reads the group both ways, and fails the test when they disagree.
        func read(_ store: StateStore) async throws -> SyncGroup? {
            let snapshot = try await store.read { try $0.group(path) }
            let committed = try store.group(path)
            #expect(snapshot == committed)
            return committed
        }
        try await store.write { [group] in try $0.save(group) }
        #expect(try await read(store) == group)
        #expect(try await read(store) == group)

        // Same length, different bytes: only a byte comparison tells them apart.
        group.settings.interval = 70
        try await store.write { [group] in try $0.save(group) }
        #expect(try await read(store)?.settings.interval == 70)
        #expect(try await store.read { try $0.groups(in: StateStoreTests.database) } == [group])

        var refused = group
        refused.settings.interval = 80
        _ = try? await store.write { [refused] writer in
            try writer.save(refused)
            throw GroupCommitTests.Refused()
        }
        #expect(try await read(store) == group)
        #expect(try await store.write { try $0.reader.group(path) } == group)

        try await store.write { try $0.deleteGroup(path) }
        #expect(try await read(store) == nil)

        try await store.write { [group] in try $0.save(group) }
        #expect(try await read(store) == group)
        try await store.reset()
        #expect(try await read(store) == nil)

        group.settings.interval = 90
        try await store.write { [group] in try $0.save(group) }
        #expect(try await read(store) == group)
        let reopened = try StateStore.open(directory: directory)
        #expect(try await read(reopened) == group)
    }
}

/// The committed-rows cache on its own: the rules that keep a reader from putting back an older value.
@Suite struct CommittedRowsTests {
    @Test("a value read before a commit was applied is not kept; one read after it is")
    func staleFillIsRefused() {
        let rows = CommittedRows()
        let before = rows.generation()
        let write = WriteChanges()
        write.upserted("k", 2)
        rows.apply([write])
        rows.fill(key: "k", value: 1, ifUnchangedSince: before)
        #expect(rows.value(Int.self, key: "k") == 2)

        let deletion = WriteChanges()
        deletion.deleted()
        rows.apply([deletion])
        #expect(rows.value(Int.self, key: "k") == nil)
        let after = rows.generation()
        rows.fill(key: "k", value: 3, ifUnchangedSince: after)
        #expect(rows.value(Int.self, key: "k") == 3)
        #expect(rows.value(String.self, key: "k") == nil)
    }

    @Test("a delete forgets what came before it in the same write, not what came after")
    func deleteThenUpsert() {
        let rows = CommittedRows()
        let earlier = WriteChanges()
        earlier.upserted("a", 1)
        rows.apply([earlier])
        let write = WriteChanges()
        write.upserted("b", 2)
        write.deleted()
        write.upserted("c", 3)
        rows.apply([write])
        #expect(rows.value(Int.self, key: "a") == nil)
        #expect(rows.value(Int.self, key: "b") == nil)
        #expect(rows.value(Int.self, key: "c") == 3)
    }
}

/// State files written by earlier versions: paths as nested objects, names as `{"value": …}`, keys sorted.
@Suite struct OlderStateFileTests {
    @Test("a group and its operation stored in the older form read back equal, and take new writes")
    func olderFormsStillRead() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("older-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        var group = try StateStoreTests.group("Legacy-Group", interval: 60, state: .good)
        let operation = LongRunningOperation(
            id: UUID(),
            subscriptionID: group.path.database.server.subscriptionID,
            resourceGroup: group.path.database.server.resourceGroup,
            result: .groupUpserted(group, created: true),
            startTime: Date(timeIntervalSince1970: 1_790_000_000),
            readyAt: Date(timeIntervalSince1970: 1_790_000_030),
            progress: .succeeded
        )
        try await StateStore.open(directory: directory).write { [group] writer in
            try writer.save(group)
            try writer.save(operation)
        }

        // Rewrite both rows as an earlier version stored them.
        let file = directory.appendingPathComponent("state.sqlite")
        for (table, column) in [("resource", "key"), ("operation", "id")] {
            guard case .rows(_, let rows) = try QueryRunner.run("SELECT \(column), CAST(body AS TEXT) FROM \(table)", parameters: [], at: file.path),
                case .text(let rowKey) = rows.first?[0], case .text(let body) = rows.first?[1]
            else {
                Issue.record("no \(table) row")
                return
            }
            let older = try Self.olderForm(of: body)
            #expect(older.contains(#""path":{"database":{"database":"#), "\(older)")
            let update = "UPDATE \(table) SET body = CAST(? AS BLOB) WHERE \(column) = ?"
            #expect(try QueryRunner.run(update, parameters: [.text(older), .text(rowKey)], at: file.path) == .changes(1))
        }

        let reopened = try StateStore.open(directory: directory)
        #expect(try reopened.group(group.path) == group)
        #expect(try await reopened.read { try $0.groups(in: StateStoreTests.database) } == [group])
        #expect(try reopened.operation(operation.id) == operation)
        group.settings.interval = 120
        try await reopened.write { [group] in try $0.save(group) }
        #expect(try StateStore.open(directory: directory).group(group.path)?.settings.interval == 120)
    }

    /// `body` with every ARM id of a path turned back into the nested objects earlier versions wrote.
    static func olderForm(of body: String) throws -> String {
        func nested(_ value: Any) -> Any {
            switch value {
            case let object as [String: Any]:
                return object.mapValues(nested)
            case let array as [Any]:
                return array.map(nested)
            case let text as String:
                if let path = SyncGroupPath(armID: text) {
                    let server = path.database.server
                    return [
                        "database": [
                            "server": [
                                "subscriptionID": ["value": server.subscriptionID.value],
                                "resourceGroup": server.resourceGroup.value,
                                "server": server.server.value,
                            ],
                            "database": path.database.database.value,
                        ],
                        "name": path.name.value,
                    ] as [String: Any]
                }
                return text
            default:
                return value
            }
        }
        let value = nested(try JSONSerialization.jsonObject(with: Data(body.utf8)))
        return String(decoding: try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys]), as: UTF8.self)
    }
}

/// Recovery finds work left in flight, and the scheduler groups to sync, through flags and partial indexes: they
/// must find exactly what reading and decoding every row finds, in the same order, after any sequence of saves,
/// and in files made before them.
@Suite struct InFlightIndexTests {
    /// A member of `group` named `name` in `state`.
    static func member(_ name: String, of group: SyncGroup, state: SyncMemberState) throws -> SyncMember {
        var member = SyncMember(
            path: SyncMemberPath(group: group.path, name: try ResourceName(name, kind: .syncMember)),
            settings: SyncMemberSettings(),
            createdAt: Date(timeIntervalSince1970: 1_790_000_000)
        )
        member.syncState = state
        return member
    }

    static func operation(_ result: OperationResult, _ progress: OperationProgress) -> LongRunningOperation {
        LongRunningOperation(
            id: UUID(),
            subscriptionID: StateStoreTests.database.server.subscriptionID,
            resourceGroup: StateStoreTests.database.server.resourceGroup,
            result: result,
            startTime: Date(timeIntervalSince1970: 1_790_000_000),
            readyAt: Date(timeIntervalSince1970: 1_790_000_000),
            progress: progress
        )
    }

    /// Every operation, decoded from every row, in the order they were first stored.
    static func allOperations(in file: URL) throws -> [LongRunningOperation] {
        guard case .rows(_, let rows) = try QueryRunner.run("SELECT CAST(body AS TEXT) FROM operation ORDER BY rowid", parameters: [], at: file.path)
        else { return [] }
        return try rows.map { row in
            guard case .text(let body) = row[0] else { throw CocoaError(.coderInvalidValue) }
            return try JSONDecoder().decode(LongRunningOperation.self, from: Data(body.utf8))
        }
    }

    /// The indexed reads against the full scans.
    static func expectSameAsFullScan(_ store: StateStore, file: URL, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let (busy, allMembers, progressing, allGroups, running) = try await store.read { reader in
            (try reader.busyMembers(), try reader.allMembers(), try reader.progressingGroups(), try reader.allGroups(), try reader.runningOperations())
        }
        let scheduled = try await store.read { try $0.scheduledGroups() }
        #expect(busy == allMembers.filter { MemberLifecycle.busyStates.contains($0.syncState) }, sourceLocation: sourceLocation)
        #expect(progressing == allGroups.filter { $0.syncState == .progressing }, sourceLocation: sourceLocation)
        #expect(
            scheduled == allGroups.filter { ($0.settings.interval ?? 0) > 0 && $0.syncState != .notReady },
            sourceLocation: sourceLocation
        )
        #expect(running == (try Self.allOperations(in: file)).filter { $0.progress == .running }, sourceLocation: sourceLocation)
    }

    /// Groups in every state, each with members in every state, and operations in every progress; then every
    /// busy resource settles and every settled one becomes busy, and running operations finish.
    static func fill(_ store: StateStore) async throws -> (groups: [SyncGroup], members: [SyncMember], operations: [LongRunningOperation]) {
        var groups: [SyncGroup] = []
        var members: [SyncMember] = []
        var operations: [LongRunningOperation] = []
        for (index, state) in SyncGroupState.allCases.enumerated() {
            let group = try StateStoreTests.group("g\(index)", interval: [nil, -1, 0, 60][index % 4], state: state)
            groups.append(group)
            for (memberIndex, memberState) in SyncMemberState.allCases.enumerated() {
                members.append(try Self.member("m\(memberIndex)", of: group, state: memberState))
            }
            for progress in [OperationProgress.running, .succeeded, .failed(.interruptedByRestart)] {
                operations.append(Self.operation(.groupUpserted(group, created: true), progress))
            }
        }
        try await store.write { [groups, members, operations] writer in
            for group in groups { try writer.save(group) }
            for member in members { try writer.save(member) }
            for operation in operations { try writer.save(operation) }
        }
        return (groups, members, operations)
    }

    @Test("busy members, progressing and scheduled groups, running operations come back as a full scan finds them, after every change")
    func indexedReadsEqualFullScans() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("in-flight-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try StateStore.open(directory: directory)
        let file = directory.appendingPathComponent("state.sqlite")
        var (groups, members, operations) = try await Self.fill(store)
        try await Self.expectSameAsFullScan(store, file: file)
        #expect(try await store.read { try $0.busyMembers() }.count == MemberLifecycle.busyStates.count * groups.count)

        // Busy becomes settled and settled becomes busy; running operations finish and finished ones run again.
        let states = SyncMemberState.allCases
        for index in members.indices {
            let next = states[(states.firstIndex(of: members[index].syncState)! + 1) % states.count]
            members[index].syncState = next
        }
        for index in groups.indices {
            groups[index].syncState = groups[index].syncState == .progressing ? .good : .progressing
            groups[index].settings.interval = (groups[index].settings.interval ?? 0) > 0 ? -1 : 300
        }
        for index in operations.indices {
            operations[index].progress = operations[index].progress == .running ? .succeeded : .running
        }
        try await store.write { [groups, members, operations] writer in
            for group in groups { try writer.save(group) }
            for member in members { try writer.save(member) }
            for operation in operations { try writer.save(operation) }
        }
        try await Self.expectSameAsFullScan(store, file: file)
        #expect(try await store.read { try $0.progressingGroups() }.count == groups.count - 1)

        // Deleting a group takes its busy members with it; after a reopening the flags are still right.
        try await store.write { [path = groups[0].path] in try $0.deleteGroup(path) }
        try await Self.expectSameAsFullScan(store, file: file)
        try await Self.expectSameAsFullScan(try StateStore.open(directory: directory), file: file)
    }

    @Test("a state file from before the flags gets them from its rows when it is opened")
    func olderFileGetsFlags() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("in-flight-older-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("state.sqlite")
        _ = try await Self.fill(try StateStore.open(directory: directory))
        // Back to the schema of the version before: no flags, no indexes, no record of the migration.
        let older = """
            DROP INDEX resourceBusy; DROP INDEX resourceScheduled; DROP INDEX operationRunning;
            ALTER TABLE resource DROP COLUMN busy; ALTER TABLE resource DROP COLUMN scheduled;
            ALTER TABLE operation DROP COLUMN running;
            DELETE FROM grdb_migrations WHERE identifier = 'v4-flags'
            """
        _ = try QueryRunner.run(older, parameters: [], at: file.path)
        let reopened = try StateStore.open(directory: directory)
        try await Self.expectSameAsFullScan(reopened, file: file)
        #expect(try await reopened.read { try $0.runningOperations() }.count == SyncGroupState.allCases.count)
        #expect(try await reopened.read { try $0.busyMembers() }.count == MemberLifecycle.busyStates.count * SyncGroupState.allCases.count)
    }
}

/// A cleanly closed state file skips `quick_check` at the next open only while it is exactly as it was left.
@Suite struct CleanCloseTests {
    /// A store in a new directory holding `count` groups.
    static func store(groups count: Int) async throws -> (StateStore, URL) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("clean-close-\(UUID())")
        let store = try StateStore.open(directory: directory)
        let groups = try (0..<count).map { try StateStoreTests.group("g\($0)", interval: $0, state: .good) }
        try await store.write { writer in
            for group in groups { try writer.save(group) }
        }
        return (store, directory)
    }

    @Test("a clean close leaves a record that the next open removes; a store never closed leaves none")
    func recordLifecycle() async throws {
        let (store, directory) = try await Self.store(groups: 3)
        defer { try? FileManager.default.removeItem(at: directory) }
        let record = directory.appendingPathComponent("state.clean")
        #expect(!FileManager.default.fileExists(atPath: record.path))
        try store.close()
        #expect(FileManager.default.fileExists(atPath: record.path))
        await #expect(throws: (any Error).self) { try await store.read { try $0.allGroups() } }
        let reopened = try StateStore.open(directory: directory)
        #expect(!FileManager.default.fileExists(atPath: record.path))
        #expect(try await reopened.read { try $0.allGroups() }.count == 3)
    }

    @Test("a page damaged after a clean close is still found as corruption")
    func damageAfterCleanClose() async throws {
        let (store, directory) = try await Self.store(groups: 400)
        defer { try? FileManager.default.removeItem(at: directory) }
        try store.close()
        let file = directory.appendingPathComponent("state.sqlite")
        var bytes = try Data(contentsOf: file)
        #expect(bytes.count > 5 * 4096)
        bytes.replaceSubrange(3 * 4096..<4 * 4096, with: Data(repeating: 0x42, count: 4096))
        try bytes.write(to: file)
        #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent("state.clean").path))
        #expect {
            try StateStore.open(directory: directory)
        } throws: { error in
            (error as? StateStoreError)?.isCorruption == true
        }
    }
}
