import ARMConventions
import DataSyncModel
import Foundation
import Testing

/// The attacks of a web page in the developer's browser, and the inputs that used to crash the process,
/// against the real binary on a real socket. Each request goes out byte for byte as a browser (or a
/// rebinding page) would send it.
@Suite(.serialized) struct SecurityTests {
    static let v = "api-version=2025-01-01"
    static let evil = "http://evil.example"
    static let query = "/_emulator/databases/\(HowTo.server)/\(HowTo.database)/query"
    static let json = [("Content-Type", "application/json")]

    /// A running emulator and a raw client of it.
    struct Live {
        let process: EmulatorProcess
        let http: RawHTTP

        init(_ arguments: [String] = ["--in-memory"], environment: [String: String] = [:]) throws {
            self.process = try EmulatorProcess(arguments, environment: environment)
            self.http = try RawHTTP(baseURL: self.process.baseURL)
        }

        var port: Int { self.http.port }

        func send(_ method: String, _ path: String, host: String?? = nil, headers: [(String, String)] = [], _ body: String = "") throws -> RawHTTP.Reply {
            try self.http.send(method, path, host: host, headers: headers, text: body)
        }

        /// A JSON request as a well-behaved client sends it.
        func json(_ method: String, _ path: String, _ body: String = "", headers: [(String, String)] = []) throws -> RawHTTP.Reply {
            try self.send(method, path, headers: (body.isEmpty ? [] : SecurityTests.json) + headers, body)
        }

        func sql(_ statement: String) throws -> RawHTTP.Reply {
            try self.json("POST", SecurityTests.query, JSONValue.object(["sql": .string(statement)]).serialized())
        }

        /// Whether the process still serves.
        func isServing() throws -> Bool {
            try self.send("GET", "/_emulator/health").status == 200
        }
    }

    // MARK: Cross-site requests

    @Test("a cross-site form post to the query endpoint (text/plain, untyped, form) runs no SQL")
    func crossSiteQuery() throws {
        let live = try Live()
        #expect(try live.sql("CREATE TABLE kept (x INT)").status == 200)
        let attack = #"{"sql":"DROP TABLE kept; CREATE TABLE pwned (x)"}"#
        let fromForm = try live.send("POST", Self.query, headers: [("Origin", Self.evil), ("Content-Type", "text/plain")], attack)
        #expect(fromForm.status == 403)
        #expect(fromForm.errorCode == "CrossOriginRequest")
        #expect(fromForm.text.hasPrefix(#"{"error":{"code":"CrossOriginRequest""#))
        // Without an Origin (an old browser, a privacy extension), the body type alone stops it.
        for contentType in ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"] {
            let reply = try live.send("POST", Self.query, headers: [("Content-Type", contentType)], attack)
            #expect(reply.status == 415, "\(contentType)")
            #expect(reply.errorCode == "UnsupportedMediaType")
        }
        let untyped = try live.send("POST", Self.query, attack)
        #expect(untyped.status == 415, "a body without a type (a Blob) is refused too")
        let null = try live.send("POST", Self.query, headers: [("Origin", "null")] + Self.json, attack)
        #expect(null.status == 403, "a sandboxed page's Origin: null")
        let tables = try live.sql("SELECT name FROM sqlite_master WHERE name IN ('kept', 'pwned') ORDER BY name")
        #expect(tables.text == #"{"columns":["name"],"rows":[["kept"]]}"#)
        let accepted = try live.json("POST", Self.query, #"{"sql":"SELECT 1"}"#, headers: [("Content-Type", "application/json; charset=utf-8")])
        #expect(accepted.status == 200, "JSON with parameters passes")
    }

    @Test("cross-site reset, clock advance, ARM writes and actions, and dashboard actions change nothing")
    func crossSiteWrites() throws {
        let live = try Live(["--in-memory", "--lro-style", "sync"])
        let group = "\(HowTo.groupPath())?\(Self.v)"
        #expect(try live.json("PUT", group, try HowTo.fixture("create-sync-group")).status == 201)
        let origin = [("Origin", Self.evil)]
        let attacks: [(String, String, [(String, String)], String)] = [
            ("POST", "/_emulator/reset", origin, ""),
            ("POST", "/_emulator/reset", origin + [("Content-Type", "text/plain")], "x"),
            ("POST", "/_emulator/clock/advance", origin + [("Content-Type", "text/plain")], #"{"seconds":86400}"#),
            ("POST", "/_emulator/clock/advance", origin + Self.json, #"{"seconds":86400}"#),
            ("POST", "\(HowTo.groupPath())/triggerSync?\(Self.v)", origin, ""),
            ("POST", "\(HowTo.groupPath())/refreshHubSchema?\(Self.v)", origin, ""),
            ("DELETE", group, origin, ""),
            ("PUT", "\(HowTo.groupPath("other"))?\(Self.v)", origin + Self.json, "{}"),
            ("POST", "/_emulator/ui/groups/\(HowTo.subscription)/\(HowTo.resourceGroup)/\(HowTo.server)/\(HowTo.database)/\(HowTo.group)/refresh-schema", origin, ""),
            ("POST", "/_emulator/ui/clock/advance", origin + [("Content-Type", "application/x-www-form-urlencoded")], "seconds=86400"),
        ]
        for (method, path, headers, body) in attacks {
            let reply = try live.send(method, path, headers: headers, body)
            #expect(reply.status == 403, "\(method) \(path)")
            #expect(reply.errorCode == "CrossOriginRequest", "\(method) \(path)")
        }
        for (contentType, body) in [("text/plain", "{}"), ("application/x-www-form-urlencoded", "a=b"), ("", "{}")] {
            let headers = contentType.isEmpty ? [] : [("Content-Type", contentType)]
            let reply = try live.send("PUT", "\(HowTo.groupPath("other"))?\(Self.v)", headers: headers, body)
            #expect(reply.status == 415, "an ARM write with '\(contentType)'")
            let clock = try live.send("POST", "/_emulator/clock/advance", headers: headers, #"{"seconds":86400}"#)
            #expect(clock.status == 415, "a clock advance with '\(contentType)'")
        }
        #expect(try live.send("GET", group).status == 200, "the group is still there")
        #expect(try live.send("GET", "\(HowTo.groupPath("other"))?\(Self.v)").status == 404, "no group was created")
        #expect(try live.send("GET", "/_emulator/clock").text.contains(#""offsetSeconds":0"#), "the clock did not move")
    }

    @Test("the emulator's own pages and allowed origins may write; CORS headers go only to allowed origins")
    func ownAndAllowedOrigins() throws {
        let live = try Live(["--in-memory", "--allow-origin", "http://localhost:3000/"])
        let own = [("Origin", "http://127.0.0.1:\(live.port)")] + Self.json
        #expect(try live.send("POST", Self.query, headers: own, #"{"sql":"SELECT 1"}"#).status == 200, "same origin")
        let otherSpelling = try live.send("POST", Self.query, host: "localhost:\(live.port)", headers: own, #"{"sql":"SELECT 1"}"#)
        #expect(otherSpelling.status == 200, "the emulator's origin under another loopback name")
        let otherPort = [("Origin", "http://127.0.0.1:\(live.port + 1)")] + Self.json
        #expect(try live.send("POST", Self.query, headers: otherPort, #"{"sql":"SELECT 1"}"#).status == 403, "another local server")
        let https = [("Origin", "https://127.0.0.1:\(live.port)")] + Self.json
        #expect(try live.send("POST", Self.query, headers: https, #"{"sql":"SELECT 1"}"#).status == 403, "another scheme")

        let app = "http://localhost:3000"
        let preflight = try live.send(
            "OPTIONS", Self.query,
            headers: [("Origin", app), ("Access-Control-Request-Method", "POST"), ("Access-Control-Request-Headers", "content-type")]
        )
        #expect(preflight.status == 204)
        #expect(preflight.headers["access-control-allow-origin"] == app)
        #expect(preflight.headers["access-control-allow-headers"] == "content-type")
        #expect(preflight.headers["access-control-allow-methods"]?.contains("POST") == true)
        let fromApp = try live.send("POST", Self.query, headers: [("Origin", app)] + Self.json, #"{"sql":"SELECT 1"}"#)
        #expect(fromApp.status == 200)
        #expect(fromApp.headers["access-control-allow-origin"] == app)
        #expect(fromApp.headers["access-control-expose-headers"]?.contains("Location") == true)
        let failed = try live.send("POST", Self.query, headers: [("Origin", app)] + Self.json, #"{"sql":"SELEC"}"#)
        #expect(failed.status == 400)
        #expect(failed.headers["access-control-allow-origin"] == app, "an error reaches the allowed app too")

        let evilPreflight = try live.send("OPTIONS", Self.query, headers: [("Origin", Self.evil), ("Access-Control-Request-Method", "POST")])
        #expect(evilPreflight.headers["access-control-allow-origin"] == nil)
        let evilRead = try live.send("GET", "/_emulator/requests", headers: [("Origin", Self.evil)])
        #expect(evilRead.status == 200)
        #expect(evilRead.headers["access-control-allow-origin"] == nil, "no CORS for a page elsewhere")
    }

    // MARK: DNS rebinding

    @Test("a rebound Host is refused on every route, reads included; loopback names pass")
    func rebinding() throws {
        let live = try Live(["--in-memory", "--lro-style", "sync"])
        #expect(try live.json("PUT", "\(HowTo.groupPath())?\(Self.v)", try HowTo.fixture("create-sync-group")).status == 201)
        let hostile = "evil.example:\(live.port)"
        let reads = [
            "/_emulator/requests", "/_emulator/ui", "/metadata/endpoints?api-version=2022-09-01", "/_emulator/health",
            "/_emulator/clock", "\(HowTo.groupPath())?\(Self.v)", "/_emulator/metrics",
            "/_emulator/ui/groups/\(HowTo.subscription)/\(HowTo.resourceGroup)/\(HowTo.server)/\(HowTo.database)/\(HowTo.group)",
        ]
        for path in reads {
            let reply = try live.send("GET", path, host: hostile)
            #expect(reply.status == 403, "GET \(path)")
            #expect(reply.errorCode == "DisallowedHost", "GET \(path)")
            #expect(!reply.text.contains(HowTo.group), "GET \(path) shows nothing")
        }
        let sameOriginForRebinder = [("Origin", "http://\(hostile)")] + Self.json
        let write = try live.send("POST", Self.query, host: hostile, headers: sameOriginForRebinder, #"{"sql":"CREATE TABLE pwned (x)"}"#)
        #expect(write.status == 403)
        #expect(try live.sql("SELECT count(*) FROM sqlite_master WHERE name = 'pwned'").text.contains("[[0]]"))
        for host in ["evil.example", "127.0.0.1.evil.example", "localhost.evil.example:\(live.port)", "[::2]:\(live.port)", "0x7f.0.0.1", ""] {
            #expect(try live.send("GET", "/_emulator/health", host: host).status == 403, "Host '\(host)'")
        }
        for host in ["localhost", "LOCALHOST:\(live.port)", "127.0.0.1", "127.3.2.1:\(live.port)", "[::1]:\(live.port)", "localhost.:\(live.port)"] {
            #expect(try live.send("GET", "/_emulator/health", host: host).status == 200, "Host '\(host)'")
        }
        #expect(try live.send("GET", "/_emulator/health", host: .some(nil)).status == 200, "HTTP/1.0 style, no Host")
        let metadata = try live.send("GET", "/metadata/endpoints?api-version=2022-09-01", host: "localhost:\(live.port)")
        #expect(metadata.text.contains("http://localhost:\(live.port)/"))
    }

    @Test("--allow-host and its variable add names; a wildcard listen address still answers loopback and only those")
    func allowedHosts() throws {
        let flag = try Live(["--in-memory", "--host", "0.0.0.0", "--allow-host", "emulator", "--allow-host", "Ci-Box.local"])
        for host in ["emulator:\(flag.port)", "ci-box.local", "localhost:\(flag.port)", "127.0.0.1:\(flag.port)", "0.0.0.0:\(flag.port)"] {
            #expect(try flag.send("GET", "/_emulator/health", host: host).status == 200, "Host '\(host)'")
        }
        #expect(try flag.send("GET", "/_emulator/health", host: "evil.example").status == 403)
        let own = [("Origin", "http://emulator:\(flag.port)")] + Self.json
        #expect(try flag.send("POST", Self.query, host: "emulator:\(flag.port)", headers: own, #"{"sql":"SELECT 1"}"#).status == 200)

        let variable = try Live(["--in-memory"], environment: ["DATASYNC_EMULATOR_ALLOW_HOST": "a.test, b.test"])
        #expect(try variable.send("GET", "/_emulator/health", host: "a.test").status == 200)
        #expect(try variable.send("GET", "/_emulator/health", host: "b.test").status == 200)
        #expect(try variable.send("GET", "/_emulator/health", host: "c.test").status == 403)
        let origins = try Live(["--in-memory"], environment: ["DATASYNC_EMULATOR_ALLOW_ORIGIN": "http://localhost:3000,http://localhost:4000"])
        for app in ["http://localhost:3000", "http://localhost:4000"] {
            let reply = try origins.send("POST", Self.query, headers: [("Origin", app)] + Self.json, #"{"sql":"SELECT 1"}"#)
            #expect(reply.headers["access-control-allow-origin"] == app)
        }
    }

    @Test("--auth token-unsigned beyond loopback warns that token signatures are not verified; --auth token and loopback do not")
    func unverifiedTokenWarning() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var logs: [String] = []
        for (host, auth) in [("0.0.0.0", "token-unsigned"), ("127.0.0.1", "token-unsigned"), ("0.0.0.0", "token")] {
            let log = directory.appendingPathComponent("\(host)-\(auth).log")
            let emulator = try EmulatorProcess(["--in-memory", "--host", host, "--auth", auth], stderr: log)
            emulator.stop()
            logs.append(try String(contentsOf: log, encoding: .utf8))
        }
        #expect(logs[0].contains("does not verify token signatures"), "\(logs[0])")
        #expect(!logs[1].contains("token signatures"))
        #expect(!logs[2].contains("token signatures"), "\(logs[2])")
    }

    // MARK: Crash inputs

    @Test("the inputs that crashed the process answer 400, and it serves on, after a restart too")
    func crashInputs() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let arguments = ["--data-dir", directory.path, "--lro-style", "sync"]
        var live = try Live(arguments)
        let group = "\(HowTo.groupPath())?\(Self.v)"
        try Self.buildHowToGroup(live, interval: 300)

        for seconds in ["1e16", "1e19", "1e308", "9223372036854775808", "-1", "-1e308"] {
            let reply = try live.json("POST", "/_emulator/clock/advance", #"{"seconds":\#(seconds)}"#)
            #expect(reply.status == 400, "seconds \(seconds)")
            #expect(reply.errorCode == "InvalidParameterValue" || reply.errorCode == "InvalidRequestContent", "seconds \(seconds)")
            let form = try live.send(
                "POST", "/_emulator/ui/clock/advance",
                headers: [("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json")],
                "seconds=\(seconds)"
            )
            #expect(form.status == 400, "dashboard seconds=\(seconds)")
            #expect(try live.isServing())
        }
        let formFallback = try live.send("POST", "/_emulator/ui/clock/advance", headers: [("Content-Type", "application/x-www-form-urlencoded")], "seconds=1e19")
        #expect(formFallback.status == 303, "a form post without script is told where the notice is")
        #expect(formFallback.headers["location"]?.contains("Failed") == true)
        #expect(try live.send("GET", group).text.contains(#""lastSyncTime":"0001-01-01T00:00:00Z""#), "no sync ran")

        // The last second the clock may reach: the interval sync runs and stamps a date the wire can show.
        let now = try #require(JSONValue.parse(Data(try live.send("GET", "/_emulator/clock").body)).objectValue?["now"])
        guard case .string(let nowText) = now, let nowDate = ISO8601DateFormatter().date(from: String(nowText.prefix(19)) + "Z") else {
            Issue.record("no clock time")
            return
        }
        let toEnd = Int(EmulatorClock.latest.timeIntervalSince(nowDate)) - 60
        #expect(try live.json("POST", "/_emulator/clock/advance", #"{"seconds":\#(toEnd)}"#).status == 200)
        #expect(try live.json("POST", "/_emulator/clock/advance", #"{"seconds":3600}"#).status == 400, "past 9999-12-31")
        let synced = try live.send("GET", group).text
        #expect(synced.contains(#""lastSyncTime":"9999-12-31T23:5"#), "\(synced)")

        let duplicate = try HowTo.fixture("update-sync-group").replacingOccurrences(
            of: #""quotedName": "[dbo].[Customers]","#,
            with: #""quotedName": "[dbo].[Customers]", "columns": [{"quotedName": "[CustomerId]"}]}, {"quotedName": "dbo.customers","#
        )
        let twice = try live.json("PUT", group, duplicate)
        #expect(twice.status == 400, "\(twice.text)")
        #expect(twice.errorCode == "SyncOperation_GenericFailure")
        #expect(try live.isServing())

        live.process.stop()
        live = try Live(arguments)
        for path in [group, "\(HowTo.databasePath)/syncGroups?\(Self.v)", "/_emulator/ui",
                     "/_emulator/ui/groups/\(HowTo.subscription)/\(HowTo.resourceGroup)/\(HowTo.server)/\(HowTo.database)/\(HowTo.group)"] {
            let reply = try live.send("GET", path)
            #expect(reply.status == 200, "GET \(path) after a restart")
        }
        #expect(try live.send("GET", group).text.contains(#""lastSyncTime":"9999-12-31T23:5"#))
    }

    /// The how-to's group with its member, the hub's `Customers` table and the schema, syncing every
    /// `interval` seconds.
    static func buildHowToGroup(_ live: Live, interval: Int) throws {
        #expect(try live.sql("CREATE TABLE Customers (CustomerId INT PRIMARY KEY, Name NVARCHAR(100)); INSERT INTO Customers VALUES (1, 'Ada')").status == 200)
        #expect(try live.json("PUT", "\(HowTo.groupPath())?\(Self.v)", try HowTo.fixture("create-sync-group")).status == 201)
        #expect(try live.json("PUT", "\(HowTo.memberPath())?\(Self.v)", try HowTo.fixture("create-sync-member")).status == 201)
        var refresh = try live.send("POST", "\(HowTo.groupPath())/refreshHubSchema?\(Self.v)")
        for _ in 0..<20 where refresh.status == 202 {
            guard let location = refresh.headers["location"], let url = URLComponents(string: location) else { break }
            refresh = try live.send("GET", url.percentEncodedPath + "?" + (url.percentEncodedQuery ?? ""))
        }
        #expect(refresh.status == 200)
        let update = try HowTo.fixture("update-sync-group").replacingOccurrences(of: #""interval": -1"#, with: #""interval": \#(interval)"#)
        let updated = try live.json("PUT", "\(HowTo.groupPath())?\(Self.v)", update)
        #expect(updated.status == 200, "\(updated.text)")
    }

    @Test("every number a request carries, at every edge value: 2xx or 4xx, and the process serves the next request")
    func everyNumber() throws {
        let live = try Live(["--in-memory", "--lro-style", "sync"])
        try Self.buildHowToGroup(live, interval: 300)
        let values = ["0", "-1", "2147483648", "9223372036854775808", "1e16", "1e308", "-1e308", #""5""#]
        let group = "\(HowTo.groupPath())?\(Self.v)"
        let dashboardGroup = "/_emulator/ui/groups/\(HowTo.subscription)/\(HowTo.resourceGroup)/\(HowTo.server)/\(HowTo.database)/\(HowTo.group)"
        var sent = 0
        func check(_ method: String, _ path: String, _ body: String = "", headers: [(String, String)] = []) throws {
            let reply = try live.send(method, path, headers: (body.isEmpty || !headers.isEmpty ? [] : Self.json) + headers, body)
            #expect((200..<300).contains(reply.status) || (400..<500).contains(reply.status), "\(method) \(path) \(body): \(reply.status) \(reply.text)")
            #expect(try live.isServing(), "after \(method) \(path) \(body)")
            sent += 1
        }
        for value in values {
            let bare = value.replacingOccurrences(of: "\"", with: "")
            for method in ["PUT", "PATCH"] {
                try check(method, "\(HowTo.groupPath("fuzz"))?\(Self.v)", #"{"properties":{"interval":\#(value)}}"#)
                try check(method, "\(HowTo.groupPath("fuzz"))?\(Self.v)", #"{"properties":{"conflictLoggingRetentionInDays":\#(value),"enableConflictLogging":true}}"#)
                try check(method, "\(HowTo.groupPath("fuzz"))?\(Self.v)", #"{"sku":{"name":"s","capacity":\#(value)}}"#)
                try check(method, group, #"{"properties":{"interval":\#(value)}}"#)
            }
            try check("PUT", "\(HowTo.memberPath("fuzz"))?\(Self.v)", #"{"properties":{"serverName":\#(value),"databaseName":\#(value)}}"#)
            try check("PUT", "\(HowTo.agentPath("fuzz"))?\(Self.v)", #"{"properties":{"syncDatabaseId":\#(value)}}"#)
            try check("POST", "/_emulator/clock/advance", #"{"seconds":\#(value)}"#)
            try check("POST", "/_emulator/ui/clock/advance", #"{"seconds":\#(value)}"#, headers: Self.json + [("Accept", "application/json")])
            try check("POST", "/_emulator/ui/clock/advance", "seconds=\(bare)", headers: [("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json")])
            try check("POST", Self.query, #"{"sql":"SELECT ?","parameters":[\#(value)]}"#)
            try check("POST", Self.query, #"{"sql":"SELECT \#(bare)"}"#)
            for list in ["\(HowTo.databasePath)/syncGroups", "\(HowTo.groupPath())/syncMembers", "\(HowTo.serverPath)/syncAgents"] {
                try check("GET", "\(list)?\(Self.v)&$skipToken=\(bare)")
            }
            let logs = "\(HowTo.groupPath())/logs?\(Self.v)&type=All"
            try check("GET", "\(logs)&startTime=2020-01-01T00:00:00Z&endTime=9999-12-31T23:59:59Z&continuationToken=\(bare)")
            try check("GET", "\(logs)&startTime=\(bare)&endTime=\(bare)")
            try check("GET", "\(dashboardGroup)?logType=\(bare)")
            try check("GET", "/_emulator/requests?limit=\(bare)")
        }
        for date in ["0000-01-01T00:00:00Z", "9999-12-31T23:59:59.9999999Z", "+275760-09-13T00:00:00Z", "9999-12-31T23:59:59-14:00"] {
            try check("GET", "\(HowTo.groupPath())/logs?\(Self.v)&type=All&startTime=\(date)&endTime=\(date)")
        }
        #expect(sent > 150)
        for path in [group, "\(HowTo.databasePath)/syncGroups?\(Self.v)", "/_emulator/ui", dashboardGroup, "/_emulator/requests", "/_emulator/clock"] {
            #expect(try live.send("GET", path).status == 200, "GET \(path) at the end")
        }
    }

    // MARK: Names

    @Test("a name composed (NFC) and decomposed (NFD) is one resource, one database file, across a restart")
    func unicodeNames() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let arguments = ["--data-dir", directory.path, "--lro-style", "sync"]
        let composed = "caf\u{E9}"
        let decomposed = "cafe\u{301}"
        func encoded(_ name: String) -> String { name.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? name }
        func groupPath(_ name: String) -> String {
            "/subscriptions/\(HowTo.subscription)/resourceGroups/rg/providers/Microsoft.Sql/servers/\(encoded(name))/databases/\(encoded(name))/syncGroups/\(encoded(name))?\(Self.v)"
        }
        func query(_ name: String) -> String { "/_emulator/databases/\(encoded(name))/\(encoded(name))/query" }

        var live = try Live(arguments)
        #expect(try live.json("POST", query(composed), #"{"sql":"CREATE TABLE T (id INTEGER PRIMARY KEY); INSERT INTO T VALUES (1)"}"#).status == 200)
        #expect(try live.json("POST", query(decomposed), #"{"sql":"INSERT INTO T VALUES (2)"}"#).status == 200)
        #expect(try live.json("PUT", groupPath(decomposed), #"{"properties":{"interval":-1,"conflictResolutionPolicy":"HubWin"}}"#).status == 201)
        #expect(try live.json("PUT", groupPath(composed), #"{"properties":{"interval":-1,"conflictResolutionPolicy":"HubWin"}}"#).status == 200, "the same group")
        live.process.stop()

        live = try Live(arguments)
        #expect(try live.send("GET", groupPath(composed)).status == 200)
        #expect(try live.send("GET", groupPath(decomposed)).status == 200)
        let list = try live.send("GET", "/subscriptions/\(HowTo.subscription)/resourceGroups/rg/providers/Microsoft.Sql/servers/\(encoded(decomposed))/databases/\(encoded(composed))/syncGroups?\(Self.v)")
        #expect(list.text.components(separatedBy: "\"type\":\"Microsoft.Sql/servers/databases/syncGroups\"").count == 2, "one group: \(list.text)")
        #expect(list.text.utf8.elementsEqual(list.text.precomposedStringWithCanonicalMapping.utf8), "names are served composed")
        #expect(try live.json("POST", query(decomposed), #"{"sql":"SELECT id FROM T ORDER BY id"}"#).text.contains("[[1],[2]]"))
        let servers = try FileManager.default.contentsOfDirectory(atPath: directory.appendingPathComponent("databases").path)
        #expect(servers.map { Array($0.utf8) } == [Array(composed.utf8)], "one server directory, composed")
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.appendingPathComponent("databases/\(composed)").path)
            .filter { $0.hasSuffix(".sqlite") }
        #expect(files.map { Array($0.utf8) } == [Array("\(composed).sqlite".utf8)], "one database file, composed")
    }
}
