import DataSyncModel
import Foundation
import Testing

@testable import DataSyncEngine

/// The engine below the API: the set-wise copy against the row-by-row path, on files and in memory, on the
/// same changes.
@Suite struct SyncEngineTests {
    static let hubKey = try! DatabaseKey(server: "hubsrv", database: "hub")
    static let memberKey = try! DatabaseKey(server: "membersrv", database: "member")
    static let tables = [
        SyncTable(name: "P", columns: ["a", "b", "v", "data"], primaryKey: ["a", "b"]),
        SyncTable(name: "K", columns: ["id"], primaryKey: ["id"]),
    ]
    static let now = Date(timeIntervalSince1970: 1_790_000_000)

    /// A hub and a member with pre-existing rows on both, provisioned; the hub's K starts empty, and a trigger of
    /// the user's own records every row K receives.
    static func provisioned(_ databases: EmulatedDatabases) throws {
        let create = """
            CREATE TABLE P (a INTEGER, b TEXT, v REAL, data BLOB, PRIMARY KEY (a, b)); CREATE TABLE K (id INTEGER PRIMARY KEY);
            CREATE TABLE audit (id INTEGER); CREATE TRIGGER audit_k AFTER INSERT ON K BEGIN INSERT INTO audit VALUES (NEW.id); END
            """
        _ = try databases.query(Self.hubKey, sql: create, parameters: [])
        _ = try databases.query(Self.hubKey, sql: "INSERT INTO P VALUES (1, 'x', 1.5, x'00ff'), (2, 'x', NULL, NULL), (3, 'y', 3.25, x'01')", parameters: [])
        _ = try databases.query(Self.memberKey, sql: create, parameters: [])
        _ = try databases.query(Self.memberKey, sql: "INSERT INTO P VALUES (100, 'm', 0.5, NULL); INSERT INTO K VALUES (7)", parameters: [])
        let definitions = try databases.provisionHub(Self.hubKey, scope: "hub:g", tables: Self.tables, now: Self.now)
        try databases.provisionMember(Self.memberKey, scope: "member:m", tables: Self.tables, definitions: definitions, now: Self.now)
    }

    static func endpoints(_ databases: EmulatedDatabases) throws -> (hub: SyncEndpoint, member: SyncEndpoint) {
        (
            try databases.endpoint(Self.hubKey, peer: "hub:g", isHub: true),
            try databases.endpoint(Self.memberKey, peer: "member:m", isHub: false)
        )
    }

    /// Everything a transfer leaves behind in `key`: rows, tracking (without its wall-clock time), anchors, what
    /// the user's trigger saw, and the triggers themselves.
    static func snapshot(_ databases: EmulatedDatabases, _ key: DatabaseKey) throws -> [QueryResult] {
        try [
            "SELECT * FROM P ORDER BY a, b", "SELECT * FROM K ORDER BY id",
            "SELECT a, b, version, origin, tombstone FROM datasync_tracking_P ORDER BY a, b",
            "SELECT id, version, origin, tombstone FROM datasync_tracking_K ORDER BY id",
            "SELECT * FROM datasync_anchor ORDER BY peer, tableName", "SELECT version FROM datasync_clock",
            "SELECT id FROM audit ORDER BY id", "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name",
        ].map { try databases.query(key, sql: $0, parameters: []) }
    }

    /// The changes both runs make after their first round: updates, deletes (one of a row the member never
    /// had), inserts, on both tables.
    static let memberEdits = """
        UPDATE P SET v = 9.75, data = x'beef' WHERE a = 2;
        DELETE FROM P WHERE a IN (1, 100);
        INSERT INTO P VALUES (200, 'new', NULL, x'');
        DELETE FROM K WHERE id = 7;
        INSERT INTO K VALUES (8), (9);
        """

    @Test("on files and in memory the set-wise copy leaves exactly the rows, tracking and anchors the row-by-row path leaves")
    func setWiseMatchesRowByRow() throws {
        let directories = [try temporaryDirectory(), try temporaryDirectory()]
        defer { for directory in directories { try? FileManager.default.removeItem(at: directory) } }
        let runs = [
            (EmulatedDatabases(root: directories[0]), true), (EmulatedDatabases(root: directories[1]), false),
            (EmulatedDatabases(root: nil), true), (EmulatedDatabases(root: nil), false),
        ]
        var transfers: [[[TableTransfer]]] = []
        for (databases, setWise) in runs {
            try Self.provisioned(databases)
            let (hub, member) = try Self.endpoints(databases)
            _ = try databases.query(Self.hubKey, sql: "DELETE FROM P WHERE a = 3", parameters: [])
            var results: [[TableTransfer]] = []
            for edits in [nil, Self.memberEdits] {
                if let edits { _ = try databases.query(Self.memberKey, sql: edits, parameters: []) }
                for (source, target) in [(hub, member), (member, hub)] {
                    results.append(try Self.tables.map { table in
                        if setWise {
                            return try #require(try SyncEngine.copySetWise(table, from: source, to: target), "set-wise copy of \(table.name)")
                        }
                        return try SyncEngine.transferRowByRow(table, from: source, to: target, policy: .hubWin)
                    })
                }
            }
            transfers.append(results)
        }
        for (index, (databases, _)) in runs.enumerated().dropFirst() {
            #expect(transfers[index] == transfers[0], "run \(index)")
            for key in [Self.hubKey, Self.memberKey] {
                #expect(try Self.snapshot(databases, key) == Self.snapshot(runs[0].0, key), "run \(index), \(key)")
            }
        }
        #expect(transfers[0].last?.map(\.deleted) == [2, 1], "the member's deletes reached the hub")
        // The hub's K was empty when the member's row arrived: the set-wise copy suspends the emulator's own
        // triggers for it, and they are back and tracking local writes afterwards.
        _ = try runs[2].0.query(Self.hubKey, sql: "INSERT INTO K VALUES (50)", parameters: [])
        #expect(try runs[2].0.query(Self.hubKey, sql: "SELECT origin, tombstone FROM datasync_tracking_K WHERE id = 50", parameters: []) == .rows(columns: ["origin", "tombstone"], rows: [[.null, .integer(0)]]))
        #expect(try runs[2].0.query(Self.hubKey, sql: "SELECT id FROM audit ORDER BY id", parameters: []) == .rows(columns: ["id"], rows: [[.integer(7)], [.integer(8)], [.integer(9)], [.integer(50)]]))
        #expect(try runs[2].0.query(Self.hubKey, sql: "SELECT a FROM P ORDER BY a", parameters: []) == .rows(columns: ["a"], rows: [[.integer(2)], [.integer(200)]]))
    }

    @Test("a conflict or a failing row sends the table down the row-by-row path, which settles it", arguments: [false, true])
    func conflictsAndFailuresGoRowByRow(inMemory: Bool) throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let databases = EmulatedDatabases(root: inMemory ? nil : directory)
        try Self.provisioned(databases)
        let (hub, member) = try Self.endpoints(databases)
        _ = try SyncEngine.transfer(from: hub, to: member, tables: Self.tables, policy: .hubWin, isCancelled: { false })
        _ = try SyncEngine.transfer(from: member, to: hub, tables: Self.tables, policy: .hubWin, isCancelled: { false })
        _ = try databases.query(Self.hubKey, sql: "UPDATE P SET v = 1 WHERE a = 1", parameters: [])
        _ = try databases.query(Self.memberKey, sql: "UPDATE P SET v = 2 WHERE a = 1", parameters: [])
        #expect(try SyncEngine.copySetWise(Self.tables[0], from: member, to: hub) == nil)
        let settled = try SyncEngine.transfer(from: member, to: hub, tables: [Self.tables[0]], policy: .hubWin, isCancelled: { false })
        #expect(settled.first?.conflicts.map(\.winner) == ["hub"])

        _ = try databases.query(Self.hubKey, sql: "CREATE TABLE Strict (id INTEGER PRIMARY KEY, v TEXT)", parameters: [])
        _ = try databases.query(Self.memberKey, sql: "CREATE TABLE Strict (id INTEGER PRIMARY KEY, v TEXT CHECK (v <> 'bad'))", parameters: [])
        let strict = SyncTable(name: "Strict", columns: ["id", "v"], primaryKey: ["id"])
        let definitions = try databases.provisionHub(Self.hubKey, scope: "hub:g", tables: Self.tables + [strict], now: Self.now)
        try databases.provisionMember(Self.memberKey, scope: "member:m", tables: Self.tables + [strict], definitions: definitions, now: Self.now)
        _ = try databases.query(Self.hubKey, sql: "INSERT INTO Strict VALUES (1, 'good'), (2, 'bad'), (3, 'good')", parameters: [])
        #expect(try SyncEngine.copySetWise(strict, from: hub, to: member) == nil)
        let partial = try SyncEngine.transfer(from: hub, to: member, tables: [strict], policy: .hubWin, isCancelled: { false })
        #expect(partial.first?.upserted == 2)
        #expect(partial.first?.failures.map(\.key) == [["2"]])
        #expect(try databases.query(Self.memberKey, sql: "SELECT id FROM Strict ORDER BY id", parameters: []) == .rows(columns: ["id"], rows: [[.integer(1)], [.integer(3)]]))
    }
}
