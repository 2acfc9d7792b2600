import DataSyncEngine
import Foundation
import TSQL
import Testing

/// The T-SQL subset, construct by construct, run on a real SQLite database: each case is a script and the
/// rows a T-SQL `SELECT` then reads back.
@Suite struct TSQLTests {
    static let now = Date(timeIntervalSince1970: 1_767_268_800.25)  // 2026-01-01 12:00:00.25 UTC
    static let key = try! DatabaseKey(server: "s", database: "d")

    /// Runs `scripts` in order on a new database and returns what the last one answers.
    static func run(_ scripts: [String]) throws -> QueryResult {
        let databases = EmulatedDatabases(root: nil)
        var result = QueryResult.changes(0)
        for script in scripts {
            result = try databases.query(Self.key, sql: try databases.translate(Self.key, tsql: script, now: Self.now), parameters: [])
        }
        return result
    }

    static let customers = """
        CREATE TABLE dbo.Customers (
            CustomerId INT IDENTITY(1,1) PRIMARY KEY,
            Name NVARCHAR(100) NOT NULL,
            Created DATETIME2 DEFAULT SYSUTCDATETIME(),
            Token UNIQUEIDENTIFIER DEFAULT NEWID(),
            Balance MONEY NOT NULL DEFAULT 0,
            Active BIT NOT NULL DEFAULT 1
        )
        """

    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var scripts: [String]
        var rows: [[QueryValue]]
        var testDescription: String { self.name }
    }

    static let cases: [Case] = [
        Case(name: "identity, defaults, clock and canonical values", scripts: [
            Self.customers,
            "INSERT INTO Customers (Name) VALUES (N'Ada'), (N'Grace')",
            "SELECT CustomerId, Name, Created, Balance, Active, LEN(Token) FROM dbo.Customers ORDER BY CustomerId",
        ], rows: [
            [.integer(1), .text("Ada"), .text("2026-01-01 12:00:00.2500000"), .text("0.0000"), .integer(1), .integer(36)],
            [.integer(2), .text("Grace"), .text("2026-01-01 12:00:00.2500000"), .text("0.0000"), .integer(1), .integer(36)],
        ]),
        Case(name: "SET IDENTITY_INSERT and the identity after it", scripts: [
            Self.customers,
            "SET IDENTITY_INSERT dbo.Customers ON; INSERT INTO Customers (CustomerId, Name) VALUES (10, 'x'); SET IDENTITY_INSERT dbo.Customers OFF",
            "INSERT INTO Customers (Name) VALUES ('y'); SELECT CustomerId FROM Customers ORDER BY 1",
        ], rows: [[.integer(10)], [.integer(11)]]),
        Case(name: "IDENTITY(seed, increment) and INSERT without a column list", scripts: [
            "CREATE TABLE T (Id int IDENTITY(100, 5) NOT NULL, V varchar(10), CONSTRAINT PK_T PRIMARY KEY CLUSTERED (Id))",
            "INSERT T VALUES ('a'), ('b'); INSERT INTO T SELECT V FROM T",
            "SELECT Id, V FROM T ORDER BY Id",
        ], rows: [[.integer(100), .text("a")], [.integer(105), .text("b")], [.integer(110), .text("a")], [.integer(115), .text("b")]]),
        Case(name: "decimal and money stay exact", scripts: [
            "CREATE TABLE P (Id int PRIMARY KEY, Price decimal(19,4), Cost money, Small smallmoney, Q numeric(5))",
            "INSERT INTO P VALUES (1, 123456789012345.6789, '12.3', 0.00005, 12.5), (2, -0.5, 7, NULL, -2.5)",
            "SELECT Id, Price, Cost, Small, Q FROM P WHERE Price > 1 OR Cost > 6 ORDER BY Price",
        ], rows: [
            [.integer(2), .text("-0.5000"), .text("7.0000"), .null, .text("-3")],
            [.integer(1), .text("123456789012345.6789"), .text("12.3000"), .text("0.0001"), .text("13")],
        ]),
        Case(name: "uniqueidentifier, bit and dates in one canonical form", scripts: [
            "CREATE TABLE V (Id int PRIMARY KEY, G uniqueidentifier, B bit, D date, T time(3), DT datetime, DT2 datetime2(2), DTO datetimeoffset)",
            "INSERT INTO V VALUES (1, '{6f9619ff-8b86-d011-b42d-00c04fc964ff}', 5, '20240229', '7:05', '2024-02-29T23:59:59.5', '2024-02-29 01:02:03.456789', '2024-02-29 01:02:03 +02:00')",
            "SELECT G, B, D, T, DT, DT2, DTO FROM V",
        ], rows: [[
            .text("6F9619FF-8B86-D011-B42D-00C04FC964FF"), .integer(1), .text("2024-02-29"), .text("07:05:00.000"),
            .text("2024-02-29 23:59:59.500"), .text("2024-02-29 01:02:03.45"), .text("2024-02-29 01:02:03.0000000 +02:00"),
        ]]),
        Case(name: "schemas: dbo is the default, others are part of the name", scripts: [
            "CREATE TABLE [SalesLT].[Customer] ([CustomerID] int NOT NULL PRIMARY KEY, \"Name\" nvarchar(max))",
            "INSERT INTO SalesLT.Customer VALUES (1, N'O''Brien'); CREATE TABLE [dbo].[T] (a int primary key)",
            "SELECT Customer.Name, c2.CustomerID FROM SalesLT.Customer JOIN [SalesLT].[Customer] AS c2 ON c2.CustomerID = SalesLT.Customer.CustomerID",
        ], rows: [[.text("O'Brien"), .integer(1)]]),
        Case(name: "TOP, OFFSET … FETCH, string +, functions", scripts: [
            "CREATE TABLE N (i int PRIMARY KEY, s varchar(20))",
            "INSERT INTO N VALUES (1, 'a  '), (2, 'bb'), (3, NULL), (4, 'dddd')",
            """
            SELECT TOP (2) i, ISNULL(s, 'none') + '!' AS s, LEN(s) AS n, UPPER(LEFT(s, 1)), CONCAT(s, i), SUBSTRING('hello', 2, 3)
            FROM N WHERE i > 1 ORDER BY i DESC
            """,
        ], rows: [
            [.integer(4), .text("dddd!"), .integer(4), .text("D"), .text("dddd4"), .text("ell")],
            [.integer(3), .text("none!"), .null, .null, .text("3"), .text("ell")],
        ]),
        Case(name: "OFFSET … FETCH NEXT", scripts: [
            "CREATE TABLE N (i int PRIMARY KEY); INSERT INTO N VALUES (1), (2), (3), (4)",
            "SELECT i FROM N ORDER BY i OFFSET 1 ROWS FETCH NEXT 2 ROWS ONLY",
        ], rows: [[.integer(2)], [.integer(3)]]),
        Case(name: "CAST, CONVERT, DATEADD, DATEDIFF, GETDATE", scripts: [
            """
            SELECT CAST('12.345' AS decimal(10,2)), CONVERT(int, '42'), CAST(1.9 AS int), CAST('abc' AS varchar(2)),
                   CONVERT(date, '2024-03-01T10:00:00'), DATEADD(day, 1, '2024-02-28'), DATEADD(month, -1, '2024-03-31 10:00:00'),
                   DATEDIFF(day, '2024-02-28 23:00', '2024-03-01 01:00'), DATEDIFF(month, '2023-12-31', '2024-01-01'),
                   GETDATE(), SYSDATETIME(), CAST('true' AS bit)
            """,
        ], rows: [[
            .text("12.35"), .integer(42), .integer(1), .text("ab"), .text("2024-03-01"), .text("2024-02-29 00:00:00.000"),
            .text("2024-03-02 10:00:00.000"), .integer(2), .integer(1), .text("2026-01-01 12:00:00.250"),
            .text("2026-01-01 12:00:00.2500000"), .integer(1),
        ]]),
        Case(name: "UPDATE and DELETE with canonical values", scripts: [
            Self.customers,
            "INSERT INTO Customers (Name, Balance) VALUES ('a', 1), ('b', 2), ('c', 3)",
            "UPDATE dbo.Customers SET Balance = Balance * 2, Active = 0 WHERE Balance >= 2; DELETE dbo.Customers WHERE Name = 'c'",
            "SELECT Name, Balance, Active FROM Customers ORDER BY Name",
        ], rows: [[.text("a"), .text("1.0000"), .integer(1)], [.text("b"), .text("4.0000"), .integer(0)]]),
        Case(name: "scripts: GO, comments, SET options, no semicolons", scripts: [
            """
            SET NOCOUNT ON
            SET ANSI_NULLS ON
            GO
            /* a block comment /* nested */ still comment */
            CREATE TABLE dbo.A (Id int NOT NULL, Note nvarchar(10) NULL, CONSTRAINT [PK_A] PRIMARY KEY CLUSTERED ([Id] ASC)) ON [PRIMARY]
            GO
            -- a line comment
            INSERT INTO dbo.A (Id, Note) VALUES (1, N'x') INSERT INTO dbo.A (Id) VALUES (2)
            go
            """,
            "SELECT COUNT(*), MAX(Id) FROM A",
        ], rows: [[.integer(2), .integer(2)]]),
        Case(name: "constraints: UNIQUE, CHECK, FOREIGN KEY, CREATE INDEX, ALTER TABLE ADD, DROP TABLE", scripts: [
            """
            CREATE TABLE P (Id int PRIMARY KEY, Code char(3) UNIQUE, Qty int CONSTRAINT CK_Qty CHECK (Qty >= 0))
            CREATE TABLE C (Id int PRIMARY KEY, PId int NOT NULL CONSTRAINT FK_C_P FOREIGN KEY REFERENCES dbo.P (Id) ON DELETE CASCADE)
            CREATE UNIQUE NONCLUSTERED INDEX IX_C_PId ON dbo.C (PId DESC)
            ALTER TABLE P ADD Note nvarchar(50) NULL, Price money NULL
            INSERT INTO P (Id, Code, Qty, Price) VALUES (1, 'abc', 1, 2)
            INSERT INTO C VALUES (10, 1)
            DELETE FROM P WHERE Id = 1
            DROP TABLE IF EXISTS dbo.Nothing
            """,
            "SELECT (SELECT COUNT(*) FROM C), (SELECT COUNT(*) FROM P)",
        ], rows: [[.integer(0), .integer(0)]]),
    ]

    @Test(arguments: Self.cases)
    func construct(_ testCase: Case) throws {
        guard case .rows(_, let rows) = try Self.run(testCase.scripts) else {
            Issue.record("no rows")
            return
        }
        #expect(rows == testCase.rows)
    }

    struct Refusal: CustomTestStringConvertible, Sendable {
        var script: String
        var message: String
        var line: Int
        var column: Int
        var testDescription: String { self.script }
    }

    static let refusals: [Refusal] = [
        Refusal(script: "MERGE INTO T USING S ON 1 = 1", message: "'MERGE' is not in the T-SQL subset", line: 1, column: 1),
        Refusal(script: "SELECT 1\nDECLARE @x int", message: "'DECLARE'", line: 2, column: 1),
        Refusal(script: "SELECT @x", message: "variables (@x)", line: 1, column: 8),
        Refusal(script: "SELECT TOP 10 PERCENT 1", message: "TOP … PERCENT", line: 1, column: 15),
        Refusal(script: "SELECT 1 INTO #t", message: "SELECT … INTO", line: 1, column: 10),
        Refusal(script: "SELECT 1 FOR XML PATH", message: "'FOR'", line: 1, column: 10),
        Refusal(script: "SELECT FORMAT(1, 'N')", message: "the function FORMAT", line: 1, column: 8),
        Refusal(script: "SELECT CONVERT(varchar, GETDATE(), 120)", message: "CONVERT with a style", line: 1, column: 34),
        Refusal(script: "CREATE TABLE T (a int PRIMARY KEY, b as a + 1)", message: "computed columns", line: 1, column: 38),
        Refusal(script: "CREATE TABLE T (a int PRIMARY KEY, b nvarchar(10) COLLATE Latin1_General_CI_AS)", message: "'COLLATE'", line: 1, column: 51),
        Refusal(script: "CREATE TABLE T (a dbo.MyType)", message: "user-defined types", line: 1, column: 19),
        Refusal(script: "CREATE TABLE T (a sysname)", message: "Cannot find data type sysname.", line: 1, column: 19),
        Refusal(script: "CREATE TABLE T (a decimal(40, 2))", message: "decimal(40,2) is out of range", line: 1, column: 19),
        Refusal(script: "CREATE VIEW V AS SELECT 1", message: "'CREATE VIEW'", line: 1, column: 8),
        Refusal(script: "CREATE TABLE T (a int PRIMARY KEY)\nGO\nUPDATE T SET a += 1", message: "compound assignment", line: 3, column: 16),
        Refusal(script: "CREATE TABLE T (a int PRIMARY KEY)\nSELECT * FROM T WITH (NOLOCK)", message: "table hints", line: 2, column: 17),
        Refusal(script: "CREATE TABLE T (a int IDENTITY PRIMARY KEY, b int)\nINSERT INTO T (a, b) VALUES (1, 2)", message: "IDENTITY_INSERT is set to OFF", line: 2, column: 16),
        Refusal(script: "CREATE TABLE T (a int IDENTITY PRIMARY KEY, b int)\nUPDATE T SET a = 2", message: "Cannot update identity column 'a'.", line: 2, column: 14),
        Refusal(script: "CREATE TABLE T (a int PRIMARY KEY, g uniqueidentifier)\nINSERT INTO T VALUES (1, 'nope')", message: "to uniqueidentifier", line: 2, column: 26),
        Refusal(script: "CREATE TABLE T (a int PRIMARY KEY, d datetime2)\nINSERT INTO T VALUES (1, '2024-02-30')", message: "date and/or time", line: 2, column: 26),
        Refusal(script: "CREATE TABLE T (a int PRIMARY KEY, m money)\nINSERT INTO T VALUES (1, 'ten')", message: "to numeric", line: 2, column: 26),
        Refusal(script: "CREATE TABLE T (a int PRIMARY KEY, s varchar(2))\nINSERT INTO T VALUES (1, 'abc')", message: "would be truncated", line: 2, column: 26),
        Refusal(script: "CREATE TABLE T (a int PRIMARY KEY)\nINSERT INTO T VALUES (1, 2)", message: "more values", line: 2, column: 26),
        Refusal(script: "SELECT * FROM Nowhere", message: "Invalid object name 'Nowhere'.", line: 1, column: 15),
        Refusal(script: "SELECT * FROM Db.dbo.T", message: "database or server part", line: 1, column: 15),
        Refusal(script: "SET ANSI_NULLS OFF", message: "SET ANSI_NULLS OFF", line: 1, column: 16),
        Refusal(script: "SELECT 'open", message: "unterminated string literal", line: 1, column: 8),
        Refusal(script: "BEGIN TRANSACTION", message: "'BEGIN'", line: 1, column: 1),
        Refusal(script: "SELECT a FROM (SELECT 1 AS a) x CROSS APPLY (SELECT 2 AS b) y", message: "CROSS APPLY", line: 1, column: 33),
        Refusal(script: "SELECT ROW_NUMBER() OVER (ORDER BY 1)", message: "the function ROW_NUMBER", line: 1, column: 8),
    ]

    @Test(arguments: Self.refusals)
    func refusal(_ refusal: Refusal) throws {
        var translator = Translator(now: Self.now) { _ in nil }
        #expect {
            _ = try translator.translate(refusal.script)
        } throws: { error in
            guard let error = error as? TSQLError else { return false }
            return error.message.contains(refusal.message) && error.line == refusal.line && error.column == refusal.column
        }
    }

    @Test func exactDecimalsSurviveRoundTrips() throws {
        let databases = EmulatedDatabases(root: nil)
        let value = "922337203685477.5807"
        _ = try databases.query(Self.key, sql: try databases.translate(Self.key, tsql: "CREATE TABLE M (Id int PRIMARY KEY, Amount money)", now: Self.now), parameters: [])
        _ = try databases.query(Self.key, sql: try databases.translate(Self.key, tsql: "INSERT INTO M VALUES (1, \(value))", now: Self.now), parameters: [])
        for _ in 0..<3 {
            let copy = "UPDATE M SET Amount = (SELECT Amount FROM M WHERE Id = 1) WHERE Id = 1"
            _ = try databases.query(Self.key, sql: try databases.translate(Self.key, tsql: copy, now: Self.now), parameters: [])
        }
        let read = try databases.query(Self.key, sql: try databases.translate(Self.key, tsql: "SELECT Amount FROM M", now: Self.now), parameters: [])
        #expect(read == .rows(columns: ["Amount"], rows: [[.text(value)]]))
    }
}
