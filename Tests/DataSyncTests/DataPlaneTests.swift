import ARMConventions
import Foundation
import HTTPTypes
import Testing

@testable import DataSyncHTTP

@Suite struct SchemaAndProvisioningTests {
    @Test("refreshHubSchema reads the real catalogue: types, keys, and the service's error ids")
    func refreshReadsCatalogue() async throws {
        try await withEmulator { arm in
            _ = try await arm.createGroup()
            try await arm.sql(HowTo.server, HowTo.database, """
                CREATE TABLE Orders (OrderId INT NOT NULL, Line SMALLINT NOT NULL, Note VARCHAR(40), Total DECIMAL(10,2),
                                     PRIMARY KEY (OrderId, Line));
                CREATE TABLE Loose (Name TEXT);
                CREATE TABLE Odd (Id INTEGER PRIMARY KEY, Doc XML);
                """)
            _ = try await arm.finish(try await arm.post(HowTo.groupPath() + "/refreshHubSchema"))
            let reply = try await arm.get(HowTo.groupPath() + "/hubSchemas")
            guard case .array(let schemas)? = reply.value("value"), case .array(let tables)? = schemas.first?.objectValue?["tables"] else {
                Issue.record("no schema: \(reply.text)")
                return
            }
            let byName = Dictionary(uniqueKeysWithValues: tables.compactMap(\.objectValue).map { object -> (String, JSONObject) in
                guard case .string(let name)? = object["name"] else { return ("", object) }
                return (name, object)
            })
            let orders = try #require(byName["dbo.Orders"])
            #expect(orders["quotedName"] == .string("[dbo].[Orders]"))
            #expect(orders["hasError"] == .bool(false))
            guard case .array(let columns)? = orders["columns"] else { return }
            let described = columns.compactMap(\.objectValue).map {
                [$0["name"], $0["dataType"], $0["dataSize"], $0["isPrimaryKey"]]
            }
            #expect(described == [
                [.string("OrderId"), .string("int"), .string("4"), .bool(true)],
                [.string("Line"), .string("smallint"), .string("2"), .bool(true)],
                [.string("Note"), .string("varchar"), .string("40"), .bool(false)],
                [.string("Total"), .string("decimal"), .string("10,2"), .bool(false)],
            ])
            #expect(byName["dbo.Loose"]?["errorId"] == .string("Schema_TableHasNoPrimaryKey"))
            #expect(byName["dbo.Loose"]?["hasError"] == .bool(true))
            guard case .array(let oddColumns)? = byName["dbo.Odd"]?["columns"] else { return }
            #expect(oddColumns.last?.objectValue?["hasError"] == .bool(true))
        }
    }

    @Test(
        "a schema is validated against the refreshed hub schema",
        arguments: [
            (#"{"quotedName":"[dbo].[Missing]","columns":[{"quotedName":"[id]"}]}"#, "SyncOperation_GenericFailure", "was not found in the hub schema"),
            (#"{"quotedName":"[dbo].[T]","columns":[{"quotedName":"[id]"},{"quotedName":"[nope]"}]}"#, "SyncOperation_GenericFailure", "column '[nope]' was not found"),
            (#"{"quotedName":"[dbo].[T]","columns":[{"quotedName":"[v]"}]}"#, "SyncOperation_GenericFailure", "primary key column '[id]'"),
            (#"{"quotedName":"[dbo].[NoKey]","columns":[{"quotedName":"[v]"}]}"#, "SyncOperation_GenericFailure", "Schema_TableHasNoPrimaryKey"),
        ]
    )
    func schemaValidation(table: String, code: String, fragment: String) async throws {
        try await withEmulator { arm in
            _ = try await arm.createGroup()
            _ = try await arm.createMember()
            try await arm.sql(HowTo.server, HowTo.database, "CREATE TABLE T (id INTEGER PRIMARY KEY, v TEXT); CREATE TABLE NoKey (v TEXT)")
            _ = try await arm.finish(try await arm.post(HowTo.groupPath() + "/refreshHubSchema"))
            let body = #"{"properties":{"schema":{"tables":[\#(table)],"masterSyncMemberName":"\#(HowTo.member)"}}}"#
            let accepted = try await arm.patch(HowTo.groupPath(), body)
            #expect(accepted.status == .accepted)
            let reply = try await arm.finish(accepted)
            #expect(reply.status == .badRequest)
            #expect(reply.errorCode == code)
            #expect(reply.errorMessage?.contains(fragment) == true, "\(reply.errorMessage ?? "")")
            #expect((try await arm.get(HowTo.groupPath())).value("properties.schema") == nil)
        }
    }

    @Test("saving a schema provisions: tracking in hub and member, missing member tables created with the selected columns")
    func provisioning() async throws {
        try await withScenario { scenario in
            try await scenario.build(hubSQL: "CREATE TABLE T (id INTEGER PRIMARY KEY, v TEXT, secret TEXT)", tables: [("T", ["id", "v"])])
            #expect(try await scenario.memberState("a") == "Provisioned")
            #expect(try await scenario.groupState() == "Good")
            let memberColumns = try await scenario.rows(.a, "SELECT name FROM pragma_table_info('T') ORDER BY cid")
            #expect(memberColumns == [[.string("id")], [.string("v")]])
            for database in [TestDatabase.hub, .a, .b] {
                let objects = try await scenario.rows(
                    database,
                    "SELECT name FROM sqlite_master WHERE name LIKE 'datasync%' AND substr(name, -2) = '_T' ORDER BY name"
                )
                #expect(objects == [[.string("datasync_delete_T")], [.string("datasync_insert_T")], [.string("datasync_tracking_T")], [.string("datasync_update_T")]], "\(database)")
            }
            _ = try await scenario.arm.finish(try await scenario.arm.delete(HowTo.memberPath("b")))
            #expect(try await scenario.rows(.b, "SELECT COUNT(*) FROM sqlite_master WHERE name LIKE 'datasync_tracking%'") == [[.integer(0)]])
            #expect(try await scenario.rows(.b, "SELECT COUNT(*) FROM T") == [[.integer(0)]])
            _ = try await scenario.arm.finish(try await scenario.arm.delete(HowTo.groupPath()))
            #expect(try await scenario.rows(.hub, "SELECT COUNT(*) FROM sqlite_master WHERE name LIKE 'datasync_tracking%'") == [[.integer(0)]])
            #expect(try await scenario.rows(.hub, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'T'") == [[.integer(1)]])
        }
    }

    @Test("the query endpoint answers rows or a change count, and SQL errors as a 400 envelope")
    func queryEndpoint() async throws {
        try await withEmulator { arm in
            #expect((try await arm.sql("s1", "d1", "CREATE TABLE X (a INTEGER PRIMARY KEY, b TEXT)")).object?["changes"] == .integer(0))
            #expect((try await arm.sql("s1", "d1", "INSERT INTO X VALUES (?, ?), (?, ?)", [1, "one", 2, .null])).object?["changes"] == .integer(2))
            let rows = try await arm.sql("s1", "d1", "SELECT a, b FROM X WHERE a >= ? ORDER BY a", [1])
            #expect(rows.text == #"{"columns":["a","b"],"rows":[[1,"one"],[2,null]]}"#)
            let bad = try await arm.sql("s1", "d1", "SELECT * FROM Nope")
            #expect(bad.status == .badRequest)
            #expect(bad.errorCode == "InvalidQuery")
            #expect(bad.errorMessage == "no such table: Nope")
            let evil = try await arm.send(.post, "/_emulator/databases/..%2F..%2Fetc/d1/query", body: #"{"sql":"SELECT 1"}"#, apiVersion: .some(nil))
            #expect(evil.status == .badRequest)
        }
    }
}

@Suite struct SyncRoundTests {
    @Test("a round moves rows both ways, sets states, lastSyncTime and one log entry per member", arguments: Storage.allCases)
    func basicRound(storage: Storage) async throws {
        try await withScenario(storage) { scenario in
            try await scenario.build()
            try await scenario.exec(.hub, "INSERT INTO T VALUES (1, 'hub')")
            try await scenario.exec(.a, "INSERT INTO T VALUES (2, 'a')")
            try await scenario.exec(.b, "INSERT INTO T VALUES (3, 'b')")
            try await scenario.sync()
            #expect(try await scenario.table(.hub) == [[1, "hub"], [2, "a"], [3, "b"]])
            #expect(try await scenario.table(.b) == [[1, "hub"], [2, "a"], [3, "b"]])
            #expect(try await scenario.table(.a) == [[1, "hub"], [2, "a"]])
            #expect(try await scenario.memberState("a") == "SyncSucceeded")
            #expect(try await scenario.groupState() == "Good")
            #expect(try await scenario.arm.get(HowTo.groupPath()).string("properties.lastSyncTime") != "0001-01-01T00:00:00Z")
            let syncs = try await scenario.logs(type: "Success").filter { $0["operationStatus"] == .string("SyncSuccess") }
            #expect(syncs.map { $0["source"] } == [.string("srva.database.windows.net/dba"), .string("srvb.database.windows.net/dbb")])
            guard case .string(let details)? = syncs.first?["details"] else { return }
            #expect(details.contains("Upload: 1 changes applied. Download: 1 changes applied."))
            try await scenario.sync()
            #expect(try await scenario.table(.a) == [[1, "hub"], [2, "a"], [3, "b"]])
        }
    }

    @Test("directions: one-way members only send or only receive", arguments: Storage.allCases)
    func directions(storage: Storage) async throws {
        try await withScenario(storage) { scenario in
            try await scenario.build(members: [("a", .a, "OneWayHubToMember"), ("b", .b, "OneWayMemberToHub")])
            try await scenario.exec(.hub, "INSERT INTO T VALUES (1, 'hub')")
            try await scenario.exec(.a, "INSERT INTO T VALUES (2, 'a')")
            try await scenario.exec(.b, "INSERT INTO T VALUES (3, 'b')")
            try await scenario.sync()
            try await scenario.sync()
            #expect(try await scenario.table(.hub) == [[1, "hub"], [3, "b"]])
            #expect(try await scenario.table(.a) == [[1, "hub"], [2, "a"], [3, "b"]])
            #expect(try await scenario.table(.b) == [[3, "b"]])
        }
    }

    /// The conflict rules of sync-engine-anchors §2.8: hub `h`, member A `a`, member B `b`; A syncs first.
    static let conflictCases: [(String, String, String?, String?)] = [
        ("hub h, A a", "HubWin", "h", nil), ("hub h, A a", "MemberWin", "a", nil),
        ("A a, B b", "HubWin", "a", "a"), ("A a, B b", "MemberWin", "b", "a"),
        ("hub h, A a, B b", "HubWin", "h", nil), ("hub h, A a, B b", "MemberWin", "b", nil),
        ("A deletes, hub h", "HubWin", "h", nil), ("A deletes, hub h", "MemberWin", nil, nil),
        ("A a, hub deletes", "HubWin", nil, nil), ("A a, hub deletes", "MemberWin", "a", nil),
        ("A inserts, B inserts", "HubWin", "a", nil), ("A inserts, B inserts", "MemberWin", "b", nil),
        ("A deletes, hub deletes", "HubWin", nil, nil), ("A deletes, hub deletes", "MemberWin", nil, nil),
    ]

    @Test("each row of the conflict table, under both policies, after two rounds", arguments: conflictCases, Storage.allCases)
    func conflicts(conflict: (String, String, String?, String?), storage: Storage) async throws {
        let (change, policy, expected, afterOneRoundOnA) = conflict
        try await withScenario(storage) { scenario in
            try await scenario.build(policy: policy, extra: #","enableConflictLogging":true"#)
            let id = change == "A inserts, B inserts" ? 2 : 1
            if id == 1 {
                try await scenario.exec(.hub, "INSERT INTO T VALUES (1, 'x')")
                try await scenario.sync()
                #expect(try await scenario.value(.b, 1) == "x")
            }
            switch change {
            case "hub h, A a":
                try await scenario.exec(.hub, "UPDATE T SET v = 'h' WHERE id = 1")
                try await scenario.exec(.a, "UPDATE T SET v = 'a' WHERE id = 1")
            case "A a, B b":
                try await scenario.exec(.a, "UPDATE T SET v = 'a' WHERE id = 1")
                try await scenario.exec(.b, "UPDATE T SET v = 'b' WHERE id = 1")
            case "hub h, A a, B b":
                try await scenario.exec(.hub, "UPDATE T SET v = 'h' WHERE id = 1")
                try await scenario.exec(.a, "UPDATE T SET v = 'a' WHERE id = 1")
                try await scenario.exec(.b, "UPDATE T SET v = 'b' WHERE id = 1")
            case "A deletes, hub h":
                try await scenario.exec(.a, "DELETE FROM T WHERE id = 1")
                try await scenario.exec(.hub, "UPDATE T SET v = 'h' WHERE id = 1")
            case "A a, hub deletes":
                try await scenario.exec(.a, "UPDATE T SET v = 'a' WHERE id = 1")
                try await scenario.exec(.hub, "DELETE FROM T WHERE id = 1")
            case "A inserts, B inserts":
                try await scenario.exec(.a, "INSERT INTO T VALUES (2, 'a')")
                try await scenario.exec(.b, "INSERT INTO T VALUES (2, 'b')")
            default:
                try await scenario.exec(.a, "DELETE FROM T WHERE id = 1")
                try await scenario.exec(.hub, "DELETE FROM T WHERE id = 1")
            }
            try await scenario.sync()
            if let afterOneRoundOnA {
                #expect(try await scenario.value(.a, id) == afterOneRoundOnA, "A after one round")
            }
            try await scenario.sync()
            for database in [TestDatabase.hub, .a, .b] {
                #expect(try await scenario.value(database, id) == expected, "\(database) after two rounds")
            }
            let conflictLogs = try await scenario.logs(type: "Warning").filter { $0["operationStatus"] == .string("ConflictResolved") }
            #expect(conflictLogs.isEmpty == (change == "A deletes, hub deletes"), "conflict log entries: \(conflictLogs.count)")
        }
    }

    @Test("parent and child tables with a foreign key, pre-existing rows, deletes and 10,000-row changes", arguments: Storage.allCases)
    func tablesRowsAndBulk(storage: Storage) async throws {
        try await withScenario(storage) { scenario in
            try await scenario.build(
                hubSQL: """
                    CREATE TABLE Child (id INTEGER PRIMARY KEY, parentId INTEGER NOT NULL REFERENCES Parent(id), note TEXT);
                    CREATE TABLE Parent (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
                    INSERT INTO Parent VALUES (1, 'p1'), (2, 'p2');
                    INSERT INTO Child VALUES (10, 1, 'c10'), (11, 2, 'c11');
                    """,
                memberSQL: ["a": "CREATE TABLE Parent (id INTEGER PRIMARY KEY, name TEXT NOT NULL); INSERT INTO Parent VALUES (100, 'from a before provisioning');"],
                tables: [("Child", ["id", "parentId", "note"]), ("Parent", ["id", "name"])]
            )
            try await scenario.sync()
            let parents: [[JSONValue]] = [[1, "p1"], [2, "p2"], [100, "from a before provisioning"]]
            for database in [TestDatabase.hub, .a, .b] {
                #expect(try await scenario.table(database, "Parent") == parents, "\(database)")
                #expect(try await scenario.table(database, "Child") == [[10, 1, "c10"], [11, 2, "c11"]], "\(database)")
            }
            try await scenario.exec(.hub, "DELETE FROM Child WHERE id = 11; DELETE FROM Parent WHERE id = 2")
            try await scenario.exec(
                .b,
                "WITH RECURSIVE n(i) AS (SELECT 1000 UNION ALL SELECT i + 1 FROM n WHERE i < 10999) INSERT INTO Child SELECT i, 1, 'bulk ' || i FROM n"
            )
            try await scenario.sync()
            try await scenario.sync()
            for database in [TestDatabase.hub, .a, .b] {
                #expect(try await scenario.rows(database, "SELECT COUNT(*), SUM(id) FROM Child") == [[10_001, 59_995_010]], "\(database)")
                #expect(try await scenario.rows(database, "SELECT id FROM Parent ORDER BY id") == [[1], [100]], "\(database)")
            }
            try await scenario.exec(.a, "UPDATE Child SET note = 'edited' WHERE id >= 1000")
            try await scenario.sync()
            try await scenario.sync()
            #expect(try await scenario.rows(.b, "SELECT COUNT(*) FROM Child WHERE note = 'edited'") == [[10_000]])
        }
    }

    @Test("a row that fails a member's constraint is skipped with a warning and retried next run", arguments: Storage.allCases)
    func failedRowIsRetried(storage: Storage) async throws {
        try await withScenario(storage) { scenario in
            try await scenario.build(memberSQL: ["b": "CREATE TABLE T (id INTEGER PRIMARY KEY, v TEXT CHECK (v <> 'bad'))"])
            try await scenario.exec(.hub, "INSERT INTO T VALUES (1, 'fine'), (2, 'bad'), (3, 'also fine')")
            try await scenario.sync()
            let afterFirst = try await scenario.table(.b)
            let logs = try await scenario.logs()
            #expect(afterFirst == [[1, "fine"], [3, "also fine"]], "\(logs)")
            #expect(try await scenario.memberState("b") == "SyncSucceededWithWarnings")
            #expect(try await scenario.groupState() == "Warning")
            let warning = try await scenario.logs(type: "Warning").last
            guard case .string(let details)? = warning?["details"] else {
                Issue.record("no warning entry")
                return
            }
            #expect(details.contains("Row [dbo].[T] (2) was not applied and will be retried"))
            try await scenario.exec(.hub, "UPDATE T SET v = 'repaired' WHERE id = 2")
            try await scenario.sync()
            #expect(try await scenario.table(.b) == [[1, "fine"], [2, "repaired"], [3, "also fine"]])
            #expect(try await scenario.memberState("b") == "SyncSucceeded")
            #expect(try await scenario.groupState() == "Good")
        }
    }

    @Test("interval runs follow the virtual clock; nothing runs before the interval has passed")
    func intervalRuns() async throws {
        try await withScenario { scenario in
            try await scenario.build()
            _ = try await scenario.arm.finish(try await scenario.arm.patch(HowTo.groupPath(), #"{"properties":{"interval":60}}"#))
            try await scenario.exec(.hub, "INSERT INTO T VALUES (1, 'on schedule')")
            let advance = { (seconds: Int) in
                try await scenario.arm.send(.post, "/_emulator/clock/advance", body: #"{"seconds":\#(seconds)}"#, apiVersion: .some(nil))
            }
            #expect(try await advance(59).status == .ok)
            #expect(try await scenario.value(.a, 1) == nil)
            #expect(try await scenario.arm.get(HowTo.groupPath()).string("properties.lastSyncTime") == "0001-01-01T00:00:00Z")
            let after = try await advance(1)
            #expect(after.string("now") == "2026-09-21T14:14:20Z")
            #expect(try await scenario.value(.a, 1) == "on schedule")
            #expect(try await scenario.arm.get(HowTo.groupPath()).string("properties.lastSyncTime") == "2026-09-21T14:14:20Z")
            let clock = try await scenario.arm.send(.get, "/_emulator/clock", apiVersion: .some(nil))
            #expect(clock.value("offsetSeconds") == .double(60))
        }
    }

    @Test("conflict entries are kept for conflictLoggingRetentionInDays on the virtual clock")
    func conflictRetention() async throws {
        try await withScenario { scenario in
            try await scenario.build(extra: #","enableConflictLogging":true,"conflictLoggingRetentionInDays":1"#)
            try await scenario.exec(.hub, "INSERT INTO T VALUES (1, 'x')")
            try await scenario.sync()
            try await scenario.exec(.hub, "UPDATE T SET v = 'h' WHERE id = 1")
            try await scenario.exec(.a, "UPDATE T SET v = 'a' WHERE id = 1")
            try await scenario.sync()
            let conflict = try await scenario.logs(type: "Warning").filter { $0["operationStatus"] == .string("ConflictResolved") }
            #expect(conflict.count == 1)
            #expect(conflict.first?["details"] == .string("Conflict on [dbo].[T] (1): hub won. Losing row: id=1, v=a."))
            _ = try await scenario.arm.send(.post, "/_emulator/clock/advance", body: #"{"seconds":90000}"#, apiVersion: .some(nil))
            try await scenario.sync()
            #expect(try await scenario.logs(type: "Warning").filter { $0["operationStatus"] == .string("ConflictResolved") }.isEmpty)
        }
    }

    @Test("random writes on every database converge within two rounds", arguments: [1, 2, 3, 4, 5, 6], Storage.allCases)
    func convergence(seed: UInt64, storage: Storage) async throws {
        try await withScenario(storage) { scenario in
            var random = SeededGenerator(seed: seed)
            let policy = seed % 2 == 0 ? "HubWin" : "MemberWin"
            try await scenario.build(policy: policy)
            let databases = [TestDatabase.hub, .a, .b]
            for round in 0..<3 {
                for _ in 0..<25 {
                    let database = databases[Int(random.next() % 3)]
                    let id = Int(random.next() % 12)
                    switch random.next() % 3 {
                    case 0: try await scenario.exec(database, "INSERT OR REPLACE INTO T VALUES (\(id), 'r\(round)-\(random.next() % 1000)')")
                    case 1: try await scenario.exec(database, "UPDATE T SET v = v || '+' WHERE id = \(id)")
                    default: try await scenario.exec(database, "DELETE FROM T WHERE id = \(id)")
                    }
                }
                try await scenario.sync()
            }
            try await scenario.sync()
            try await scenario.sync()
            let hub = try await scenario.table(.hub)
            #expect(try await scenario.table(.a) == hub, "\(policy) seed \(seed): A")
            #expect(try await scenario.table(.b) == hub, "\(policy) seed \(seed): B")
        }
    }
}

/// A small deterministic generator (SplitMix64), so property tests replay.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { self.state = seed }

    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
