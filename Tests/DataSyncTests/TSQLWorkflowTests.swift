import ARMConventions
import DataSyncModel
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@testable import DataSyncHTTP

/// The whole Data Sync workflow in T-SQL only, over a real socket: the AdventureWorksLT-style corpus in
/// `fixtures/adventureworks` fills the hub, a refresh reports the types as written, provisioning creates
/// both members' tables, and after changes on every side and a conflict, T-SQL `SELECT`s read exactly the
/// same values everywhere.
@Suite struct TSQLWorkflowTests {
    static func corpus(_ name: String) throws -> String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return try String(contentsOf: root.appendingPathComponent("fixtures/adventureworks/\(name)"), encoding: .utf8)
    }

    /// The synced tables and the columns that order their rows.
    static let tables = [
        ("[SalesLT].[ProductCategory]", "ProductCategoryID"), ("[SalesLT].[Product]", "ProductID"),
        ("[SalesLT].[Customer]", "CustomerID"), ("[SalesLT].[SalesOrderHeader]", "SalesOrderID"),
        ("[SalesLT].[SalesOrderDetail]", "SalesOrderID, SalesOrderDetailID"), ("[dbo].[BuildVersion]", "SystemInformationID"),
    ]

    @Test func adventureWorksInTSQL() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let clock = EmulatorClock(frozenAt: Date(timeIntervalSince1970: 1_790_000_000))
        let application = try buildApplication(EmulatorConfiguration(port: 0, dataDirectory: directory), clock: clock)
        try await application.test(.live) { client in
            let arm = ARMClient(client: client)
            @discardableResult
            func tsql(_ database: TestDatabase, _ sql: String) async throws -> [[JSONValue]] {
                let reply = try await arm.sql(database.server, database.database, sql, dialect: "tsql")
                #expect(reply.status == .ok, "T-SQL on \(database): \(reply.text)")
                guard case .array(let rows)? = reply.object?["rows"] else { return [] }
                return rows.map { if case .array(let values) = $0 { values } else { [] } }
            }
            func columns(_ reply: Reply, table: String) -> [JSONObject] {
                guard case .array(let schemas)? = reply.value("value"), case .array(let tables)? = schemas.first?.objectValue?["tables"],
                    case .array(let columns)? = tables.compactMap(\.objectValue).first(where: { $0["quotedName"] == .string(table) })?["columns"]
                else { return [] }
                return columns.compactMap(\.objectValue)
            }

            let group = #"{"properties":{"interval":-1,"conflictResolutionPolicy":"HubWin","enableConflictLogging":true,"syncDatabaseId":"\#(HowTo.syncDatabaseID())"}}"#
            #expect((try await arm.finish(try await arm.put(HowTo.groupPath(), group))).status == .created)
            try await tsql(.hub, try Self.corpus("schema.sql"))
            try await tsql(.hub, try Self.corpus("data.sql"))
            for (name, database) in [("a", TestDatabase.a), ("b", TestDatabase.b)] {
                let body = """
                    {"properties":{"databaseType":"AzureSqlDatabase","serverName":"\(database.server).database.windows.net",
                    "databaseName":"\(database.database)","userName":"u","password":"p","syncDirection":"Bidirectional"}}
                    """
                #expect((try await arm.finish(try await arm.put(HowTo.memberPath(name), body))).status == .created)
            }

            // Refresh: the types, sizes and keys as the script wrote them, schemas included.
            #expect((try await arm.finish(try await arm.post(HowTo.groupPath() + "/refreshHubSchema"))).status == .ok)
            let hubSchema = try await arm.get(HowTo.groupPath() + "/hubSchemas")
            let product = columns(hubSchema, table: "[SalesLT].[Product]").map { [$0["name"], $0["dataType"], $0["dataSize"], $0["isPrimaryKey"]] }
            #expect(product == [
                ["ProductID", "int", "4", true], ["Name", "nvarchar", "50", false], ["ProductNumber", "nvarchar", "25", false],
                ["Color", "nvarchar", "15", false], ["StandardCost", "money", "8", false], ["ListPrice", "money", "8", false],
                ["Weight", "decimal", "8,2", false], ["ProductCategoryID", "int", "4", false], ["SellStartDate", "datetime", "8", false],
                ["rowguid", "uniqueidentifier", "16", false], ["ModifiedDate", "datetime", "8", false],
            ] as [[JSONValue?]])
            let header = columns(hubSchema, table: "[SalesLT].[SalesOrderHeader]")
            #expect(header.first { $0["name"] == "Comment" }?["dataSize"] == "max")
            #expect(header.first { $0["name"] == "ModifiedDate" }?["dataType"] == "datetime2")
            #expect(columns(hubSchema, table: "[dbo].[ErrorLog]").last?["hasError"] == .bool(true))

            // Select the tables with every column, as the portal does; saving provisions both members.
            let selected = Self.tables.map { table, _ in
                let names = columns(hubSchema, table: table).compactMap { $0["quotedName"] }.map { #"{"quotedName":\#($0.serialized())}"# }
                return #"{"quotedName":"\#(table)","columns":[\#(names.joined(separator: ","))]}"#
            }
            let schema = #"{"properties":{"schema":{"tables":[\#(selected.joined(separator: ","))],"masterSyncMemberName":"a"}}}"#
            let saved = try await arm.finish(try await arm.patch(HowTo.groupPath(), schema))
            #expect(saved.status == .ok, "schema save: \(saved.text)")
            #expect(try await arm.get(HowTo.memberPath("b")).string("properties.syncState") == "Provisioned")
            #expect((try await arm.finish(try await arm.post(HowTo.memberPath("b") + "/refreshSchema"))).status == .ok)
            let memberSchema = try await arm.get(HowTo.memberPath("b") + "/schemas")
            #expect(columns(memberSchema, table: "[SalesLT].[Product]").map { [$0["dataType"], $0["dataSize"], $0["isPrimaryKey"]] }
                == columns(hubSchema, table: "[SalesLT].[Product]").map { [$0["dataType"], $0["dataSize"], $0["isPrimaryKey"]] })

            func sync() async throws {
                #expect((try await arm.post(HowTo.groupPath() + "/triggerSync")).status == .ok)
            }
            func sameEverywhere() async throws {
                for (table, order) in Self.tables {
                    let query = "SELECT * FROM \(table) ORDER BY \(order)"
                    let hub = try await tsql(.hub, query)
                    #expect(try await tsql(.a, query) == hub, "\(table) on a")
                    #expect(try await tsql(.b, query) == hub, "\(table) on b")
                }
            }
            try await sync()
            try await sameEverywhere()
            #expect(try await tsql(.b, "SELECT COUNT(*) FROM SalesLT.Customer") == [[1000]])
            #expect(try await tsql(.b, "SELECT COUNT(*), SUM(OrderQty) FROM SalesLT.SalesOrderDetail") == [[3000, 6000]])

            // Changes on every side, and a conflict on Customer 7 that the hub wins.
            try await tsql(.hub, """
                UPDATE SalesLT.Product SET ListPrice = 922337203685477.5807, ModifiedDate = GETDATE() WHERE ProductID = 680
                UPDATE SalesLT.Customer SET Title = N'Dr.' WHERE CustomerID = 7
                """)
            try await tsql(.a, """
                INSERT INTO SalesLT.Customer (FirstName, LastName, PasswordHash, rowguid)
                VALUES (N'Zoë', N'Ångström', 'x', '{0f8fad5b-d9cb-469f-a165-70867728950e}');
                UPDATE SalesLT.Customer SET Title = N'Prof.' WHERE CustomerID = 7;
                """)
            try await tsql(.b, """
                DELETE FROM SalesLT.SalesOrderDetail WHERE SalesOrderID = 71774 AND SalesOrderDetailID = 1
                UPDATE [SalesLT].[SalesOrderHeader] SET Freight = 19.99, Comment = N'Rush' WHERE SalesOrderID = 71775
                """)
            try await sync()
            try await sync()
            try await sameEverywhere()
            #expect(try await tsql(.b, "SELECT ListPrice FROM SalesLT.Product WHERE ProductID = 680") == [["922337203685477.5807"]])
            #expect(try await tsql(.b, "SELECT TOP (1) CustomerID, FirstName, rowguid FROM SalesLT.Customer ORDER BY CustomerID DESC")
                == [[1001, "Zoë", "0F8FAD5B-D9CB-469F-A165-70867728950E"]])
            #expect(try await tsql(.a, "SELECT Title FROM SalesLT.Customer WHERE CustomerID = 7") == [["Dr."]])
            #expect(try await tsql(.hub, "SELECT Freight, Comment FROM SalesLT.SalesOrderHeader WHERE SalesOrderID = 71775") == [["19.9900", "Rush"]])
            let logs = try await arm.get(HowTo.groupPath() + "/logs?startTime=2000-01-01T00:00:00&endTime=2999-12-31T00:00:00&type=All")
            #expect(logs.text.contains("Conflict on [SalesLT].[Customer] (7): hub won."), "\(logs.text.prefix(2000))")
        }
    }
}

/// `--init-sql` on the real binary: a script runs on an empty database at start, and a failing one stops
/// the start with the file, line and column.
@Suite struct InitSQLTests {
    @Test func scriptRunsAtStart() async throws {
        let schema = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("fixtures/adventureworks/schema.sql")
        let emulator = try EmulatorProcess(["--in-memory", "--init-sql", "srv/aw=\(schema.path)"])
        defer { emulator.stop() }
        let counted = try await emulator.send("POST", "/_emulator/databases/srv/aw/query", body: #"{"sql":"SELECT COUNT(*) FROM [SalesLT].[Product]"}"#)
        #expect(counted.status == 200 && counted.text.contains("[[0]]"), "\(counted.text)")
        let listed = try await emulator.send(
            "POST", "/_emulator/databases/srv/aw/query",
            body: #"{"sql":"SELECT type FROM pragma_table_info('SalesLT.Product') WHERE name = 'ListPrice'","dialect":"sqlite"}"#
        )
        #expect(listed.text.contains("money as text"), "\(listed.text)")
    }

    @Test func failingScriptStopsTheStart() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let script = directory.appendingPathComponent("bad.sql")
        try "CREATE TABLE T (a int PRIMARY KEY)\nGO\nINSERT INTO T VALUES (1)\n  MERGE INTO T USING T ON 1 = 1\n".write(to: script, atomically: true, encoding: .utf8)
        let (status, text) = try EmulatorProcess.runToExit(["--in-memory", "--init-sql", "srv/db=\(script.path)"])
        #expect(status == 2)
        #expect(text.contains("\(script.path):4:3: 'MERGE' is not in the T-SQL subset"), "\(text)")
    }
}
