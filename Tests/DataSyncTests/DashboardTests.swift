import ARMConventions
import DataSyncModel
import Foundation
import HTTPTypes
import Logging
import Synchronization
import Testing

@testable import DataSyncHTTP

/// A GET outside the ARM namespace (no api-version).
private func control(_ arm: ARMClient, _ path: String) async throws -> Reply {
    try await arm.send(.get, path, apiVersion: .some(nil))
}

/// The value of the sample `series` (name and labels, as exported) in a Prometheus exposition.
private func sample(_ exposition: String, _ series: String) -> Double? {
    for line in exposition.split(separator: "\n") where line.hasPrefix(series + " ") {
        return Double(line.dropFirst(series.count + 1))
    }
    return nil
}

@Suite struct MetricsTests {
    @Test("requests are counted by operation id and status, with a latency histogram and a gauge in flight")
    func requestMetrics() async throws {
        try await withEmulator { arm in
            _ = try await arm.createGroup()
            #expect(try await arm.get(HowTo.groupPath("missing")).status == .notFound)
            for _ in 0..<3 {
                #expect(try await arm.get(HowTo.groupPath()).status == .ok)
            }
            _ = try await control(arm, "/_emulator/health")
            let reply = try await control(arm, "/_emulator/metrics")
            #expect(reply.status == .ok)
            #expect(reply.headers[.contentType] == "text/plain; version=0.0.4; charset=utf-8")
            let text = reply.text
            #expect(text.contains("# TYPE arm_requests_total counter"))
            #expect(sample(text, #"arm_requests_total{operation="SyncGroups_CreateOrUpdate",status="202"}"#) == 1)
            #expect(sample(text, #"arm_requests_total{operation="SyncGroupOperationResults_Get",status="201"}"#) == 1)
            #expect(sample(text, #"arm_requests_total{operation="SyncGroups_Get",status="404"}"#) == 1)
            #expect(sample(text, #"arm_requests_total{operation="SyncGroups_Get",status="200"}"#) == 3)
            #expect(text.contains("# TYPE arm_request_duration_seconds histogram"))
            #expect(sample(text, #"arm_request_duration_seconds_count{operation="SyncGroups_CreateOrUpdate"}"#) == 1)
            #expect(sample(text, #"arm_request_duration_seconds_bucket{operation="SyncGroups_Get",le="+Inf"}"#) == 4)
            #expect(sample(text, #"arm_requests_in_flight{operation="SyncGroups_CreateOrUpdate"}"#) == 0)
            #expect(sample(text, #"arm_requests_in_flight{operation="SyncGroups_Get"}"#) == 0)
            #expect(!text.contains("_emulator"), "the control API is not an ARM operation")
        }
    }

    @Test("sync runs are counted by outcome, with the rows they moved and the conflicts they resolved")
    func syncMetrics() async throws {
        try await withScenario { scenario in
            try await scenario.build()
            let before = try await control(scenario.arm, "/_emulator/metrics").text
            #expect(sample(before, #"datasync_sync_runs_total{outcome="SyncSucceeded"}"#) == 0)
            #expect(sample(before, #"datasync_sync_runs_total{outcome="SyncFailed"}"#) == 0)
            #expect(sample(before, "datasync_conflicts_total") == 0)
            try await scenario.exec(.hub, "INSERT INTO T VALUES (1, 'h1'), (2, 'h2'), (3, 'h3')")
            try await scenario.exec(.a, "INSERT INTO T VALUES (1, 'a1'), (9, 'a9')")
            try await scenario.sync()
            let after = try await control(scenario.arm, "/_emulator/metrics").text
            #expect(sample(after, #"datasync_sync_runs_total{outcome="SyncSucceeded"}"#) == 2)
            #expect(sample(after, "datasync_conflicts_total") == 1)
            // a uploads its row 9; a downloads 1, 2 and 3, and b all four.
            #expect(sample(after, #"datasync_rows_synced_total{direction="upload"}"#) == 1)
            #expect(sample(after, #"datasync_rows_synced_total{direction="download"}"#) == 7)
        }
    }

    @Test("the state store's commits and the writes they held are counted, a refused write not among them")
    func stateCommits() async throws {
        try await withEmulator { arm in
            let before = try await control(arm, "/_emulator/metrics").text
            #expect(sample(before, "datasync_state_commits_total") == 0)
            #expect(sample(before, "datasync_state_writes_total") == 0)
            #expect(try await arm.put(HowTo.groupPath(), try HowTo.fixture("create-sync-group")).status.code < 300)
            #expect(try await arm.put(HowTo.memberPath(), #"{"properties":{"databaseType":"AzureSqlDatabase"}}"#).status.code < 300)
            let refused = try await arm.put(HowTo.groupPath() + "x/syncMembers/m", #"{"properties":{"databaseType":"AzureSqlDatabase"}}"#)
            #expect(refused.status == .notFound, "\(refused.text)")
            let after = try await control(arm, "/_emulator/metrics").text
            #expect(sample(after, "datasync_state_writes_total") == 2)
            #expect(sample(after, "datasync_state_commits_total").map { (1...3).contains($0) } == true)
        }
    }

    @Test("long-running operations in progress are counted against the emulator's clock")
    func operationsInProgress() async throws {
        try await withEmulator(EmulatorConfiguration(operationDelay: 30)) { arm in
            #expect(try await arm.put(HowTo.groupPath(), try HowTo.fixture("create-sync-group")).status == .accepted)
            #expect(sample(try await control(arm, "/_emulator/metrics").text, "datasync_operations_in_progress") == 1)
            let advanced = try await arm.send(.post, "/_emulator/clock/advance", body: #"{"seconds":31}"#, apiVersion: .some(nil))
            #expect(advanced.status == .ok)
            #expect(sample(try await control(arm, "/_emulator/metrics").text, "datasync_operations_in_progress") == 0)
        }
    }

    @Test("ARM requests are named by the specification's operation ids", arguments: [
        (HTTPRequest.Method.put, HowTo.groupPath(), "SyncGroups_CreateOrUpdate"),
        (.post, HowTo.groupPath().uppercased() + "/TRIGGERSYNC", "SyncGroups_TriggerSync"),
        (.get, HowTo.memberPath() + "/schemas", "SyncMembers_ListMemberSchemas"),
        (.post, HowTo.agentPath("agent") + "/generateKey", "SyncAgents_GenerateKey"),
        (.get, "/subscriptions/\(HowTo.subscription)/providers/Microsoft.Sql/locations/westus2/syncGroupOperationResults/x", "SyncGroupOperationResults_Get"),
        (.get, HowTo.groupPath().replacingOccurrences(of: "syncGroups", with: "sync%47roups"), "SyncGroups_Get"),
        (.get, HowTo.groupPath() + "/nonsense", "Unknown"),
        (.put, HowTo.groupPath() + "/logs", "Unknown"),
    ])
    func operationNames(method: HTTPRequest.Method, path: String, name: String) async throws {
        try await withEmulator { arm in
            _ = try await arm.send(method, path, body: "{}")
            let listed = try await control(arm, "/_emulator/requests?limit=1")
            guard case .array(let entries)? = listed.value("value") else {
                Issue.record("no list: \(listed.text)")
                return
            }
            #expect(entries.first?.objectValue?["operation"] == .string(name))
        }
    }

    @Test("requests outside the ARM namespace are not recorded")
    func controlAPIIsNotRecorded() async throws {
        try await withEmulator { arm in
            _ = try await control(arm, "/_emulator/health")
            _ = try await control(arm, "/_emulator/ui")
            _ = try await control(arm, "/subscriptionsX/health")
            let listed = try await control(arm, "/_emulator/requests")
            #expect(listed.value("value") == .array([]), "\(listed.text)")
        }
    }
}

@Suite struct RequestInspectorTests {
    @Test("the inspector lists ARM requests newest first, with what they were answered")
    func listsRequests() async throws {
        try await withEmulator { arm in
            _ = try await arm.createGroup()
            let missing = try await arm.get(HowTo.groupPath("missing"))
            _ = try await control(arm, "/_emulator/health")
            let reply = try await control(arm, "/_emulator/requests")
            #expect(reply.status == .ok)
            guard case .array(let entries)? = reply.value("value") else {
                Issue.record("no list: \(reply.text)")
                return
            }
            #expect(entries.count == 3, "the PUT, its poll and the GET; the control API is not listed")
            let newest = try #require(entries.first?.objectValue)
            #expect(newest["method"] == .string("GET"))
            #expect(newest["path"] == .string(HowTo.groupPath("missing") + "?api-version=2025-01-01"))
            #expect(newest["apiVersion"] == .string("2025-01-01"))
            #expect(newest["operation"] == .string("SyncGroups_Get"))
            #expect(newest["status"] == .integer(404))
            #expect(newest["errorCode"] == .string("ResourceNotFound"))
            #expect(newest["requestId"] == missing.headers[.requestID].map(JSONValue.string))
            if case .double(let milliseconds)? = newest["durationMs"] {
                #expect(milliseconds >= 0)
            } else {
                Issue.record("durationMs is not a number: \(String(describing: newest["durationMs"]))")
            }
            let oldest = try #require(entries.last?.objectValue)
            #expect(oldest["operation"] == .string("SyncGroups_CreateOrUpdate"))
            #expect(oldest["status"] == .integer(202))
            #expect(oldest["errorCode"] == .null)
            #expect(oldest["body"]?.objectValue?["properties"]?.objectValue?["interval"] == .integer(-1))
            let limited = try await control(arm, "/_emulator/requests?limit=1")
            guard case .array(let one)? = limited.value("value") else { return }
            #expect(one.count == 1)
            #expect(try await control(arm, "/_emulator/requests?limit=0").errorCode == "InvalidParameterValue")
        }
    }

    @Test("passwords in bodies and tokens in query strings are redacted")
    func redactsSecrets() async throws {
        try await withEmulator { arm in
            let group = #"{"properties":{"interval":-1,"hubDatabaseUserName":"hub","hubDatabasePassword":"hub-Secret-1"}}"#
            _ = try await arm.finish(try await arm.put(HowTo.groupPath(), group))
            let member = #"{"properties":{"databaseType":"AzureSqlDatabase","serverName":"s","databaseName":"d","userName":"u","password":"member-Secret-2"}}"#
            _ = try await arm.finish(try await arm.put(HowTo.memberPath(), member))
            _ = try await arm.get(HowTo.groupPath() + "/syncMembers?access_token=token-Secret-3&sig=sig-Secret-4&$skipToken=0")
            let text = try await control(arm, "/_emulator/requests").text
            for secret in ["hub-Secret-1", "member-Secret-2", "token-Secret-3", "sig-Secret-4"] {
                #expect(!text.contains(secret), "\(secret) leaked: \(text)")
            }
            #expect(text.contains(#""hubDatabasePassword":"REDACTED""#))
            #expect(text.contains(#""password":"REDACTED""#))
            #expect(text.contains(#""userName":"u""#), "what is not secret stays")
            #expect(text.contains("access_token=REDACTED&sig=REDACTED&$skipToken=0"), "paging cursors stay")
        }
    }

    @Test("redaction works on any depth and spelling of a secret's name")
    func redactionRules() {
        let body: JSONValue = .object([
            "Password": "a",
            "nested": .array([.object(["clientSecret": "b", "connectionString": "c", "name": "kept"])]),
            "refresh_token": "d",
            "$skipToken": "5",
        ])
        #expect(Redaction.json(body).serialized() == #"{"Password":"REDACTED","nested":[{"clientSecret":"REDACTED","connectionString":"REDACTED","name":"kept"}],"refresh_token":"REDACTED","$skipToken":"5"}"#)
        #expect(Redaction.pathAndQuery(path: "/p", query: "api-version=1&Access%5FToken=x&key=y&continuationToken=3")
            == "/p?api-version=1&Access%5FToken=REDACTED&key=REDACTED&continuationToken=3")
        #expect(Redaction.pathAndQuery(path: "/p", query: nil) == "/p")
    }

    @Test("the log keeps the newest requests up to its capacity, however often it wraps")
    func logCapacity() {
        let log = RequestLog(capacity: 3)
        #expect(log.recent(limit: 10).isEmpty)
        log.requestFinished(Self.record(status: 200))
        log.requestFinished(Self.record(status: 201))
        #expect(log.recent(limit: 10).map(\.status) == [201, 200])
        for status in 202...208 {
            log.requestFinished(Self.record(status: status))
            #expect(log.recent(limit: 10).map(\.status) == Array((200...status).suffix(3).reversed()))
        }
        #expect(log.recent(limit: 2).map(\.status) == [208, 207])
        #expect(log.recent(limit: 0).isEmpty)
    }

    @Test("--log-requests writes one line per request with the inspector's fields")
    func requestLogLines() {
        let lines = LinesHandler.Lines()
        let writer = RequestLogWriter(logger: Logger(label: "test") { _ in LinesHandler(lines: lines) })
        writer.requestFinished(Self.record(status: 404))
        let written = lines.value.withLock { $0 }
        #expect(written.count == 1)
        let line = written.first ?? ""
        for fragment in ["GET /p?api-version=v 404", "dse-operation=SyncGroups_Get", "dse-request-id=rid", "dse-error-code=ResourceNotFound", "dse-api-version=v"] {
            #expect(line.contains(fragment), "\(fragment) not in \(line)")
        }
    }

    private static func record(status: Int) -> RecordedRequest {
        RecordedRequest(
            time: Date(timeIntervalSince1970: 0),
            method: "GET",
            path: "/p",
            query: "api-version=v",
            operation: "SyncGroups_Get",
            status: status,
            duration: .milliseconds(3),
            requestID: "rid",
            errorCode: "ResourceNotFound",
            body: nil
        )
    }
}

/// A log handler that keeps each message with its metadata as one line.
private struct LinesHandler: LogHandler {
    final class Lines: Sendable {
        let value = Mutex<[String]>([])
    }

    let lines: Lines
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let fields = (event.metadata ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        self.lines.value.withLock { $0.append(([event.message.description] + fields).joined(separator: " ")) }
    }
}

@Suite struct DashboardTests {
    private static let groupPage =
        "/_emulator/ui/groups/\(HowTo.subscription)/\(HowTo.resourceGroup)/\(HowTo.server)/\(HowTo.database)/\(HowTo.group)"

    @Test("the overview shows every group with its state, settings and members")
    func overview() async throws {
        try await withScenario { scenario in
            try await scenario.build(members: [("a", .a, "Bidirectional"), ("b", .b, "OneWayHubToMember")])
            let page = try await control(scenario.arm, "/_emulator/ui")
            #expect(page.status == .ok)
            #expect(page.headers[.contentType] == "text/html; charset=utf-8")
            #expect(page.headers[.contentSecurityPolicy]?.contains("script-src 'self'") == true)
            let html = page.text
            #expect(html.contains(#"data-group="\#(HowTo.group)""#))
            #expect(html.contains(#"href="\#(Self.groupPage)""#))
            #expect(html.contains(#"data-state="Good""#))
            #expect(html.contains(#"<li data-member="a">"#) && html.contains(#"<li data-member="b">"#))
            #expect(html.contains(#"data-direction="OneWayHubToMember""#))
            #expect(html.contains(#"data-state="Provisioned""#))
            #expect(html.contains("Manual (no interval)") && html.contains("HubWin"))
            #expect(html.contains("SyncMembers_CreateOrUpdate"), "the request list")
        }
    }

    @Test("the group page compares hub and members, and trigger sync makes them converge")
    func groupPage() async throws {
        try await withScenario { scenario in
            try await scenario.build()
            try await scenario.exec(.hub, "INSERT INTO T VALUES (1, 'x'), (2, 'y'), (3, 'z')")
            let before = try await control(scenario.arm, Self.groupPage).text
            #expect(before.contains(#"data-convergence="differs""#))
            #expect(before.contains(#"data-database="hub" data-rows="3""#))
            #expect(before.contains(#"data-database="a" data-rows="0""#))
            #expect(before.contains("<code>id</code>"), "the schema lists the selected columns")
            let action = try await scenario.arm.send(
                .post,
                Self.groupPage + "/trigger-sync",
                apiVersion: .some(nil),
                headers: [.accept: "application/json"]
            )
            #expect(action.status == .ok)
            #expect(action.string("message") == "Sync finished. The group is Good.")
            let after = try await control(scenario.arm, Self.groupPage).text
            #expect(after.contains(#"<p id="convergence" class="marker marker-converged" data-convergence="converged">"#))
            #expect(after.contains(#"data-database="b" data-rows="3""#))
            #expect(after.contains("SyncSuccess"), "the log lists the run")
            let errors = try await control(scenario.arm, Self.groupPage + "?logType=Error").text
            #expect(!errors.contains("SyncSuccess"), "the log filter")
        }
    }

    @Test("selected tables and columns the refreshed hub schema no longer has are shown as problems")
    func schemaProblems() async throws {
        try await withScenario { scenario in
            try await scenario.build(
                hubSQL: "CREATE TABLE T (id INTEGER PRIMARY KEY, v TEXT); CREATE TABLE U (id INTEGER PRIMARY KEY, w TEXT)",
                tables: [("T", ["id", "v"]), ("U", ["id", "w"])]
            )
            try await scenario.exec(.hub, "ALTER TABLE T RENAME COLUMN v TO v2; ALTER TABLE U RENAME TO U2")
            #expect((try await scenario.arm.finish(try await scenario.arm.post(HowTo.groupPath() + "/refreshHubSchema"))).status == .ok)
            let page = try await control(scenario.arm, Self.groupPage).text
            #expect(page.contains("columns not in the hub schema: v</p>"))
            #expect(page.contains("not in the hub schema: refresh the hub schema</p>"))
            #expect(page.contains(#"<li><code>id</code> <span class="type">bigint</span> <span class="pk">primary key</span></li>"#))
            #expect(page.contains("<li><code>w</code></li>"), "a table not found lists the selected names")
        }
    }

    @Test("an action answered without script redirects back with its outcome; a failure is reported there too")
    func formPosts() async throws {
        try await withEmulator { arm in
            _ = try await arm.createGroup()
            let reply = try await arm.send(.post, Self.groupPage + "/trigger-sync", apiVersion: .some(nil))
            #expect(reply.status == .seeOther)
            let location = try #require(reply.headers[.location])
            #expect(location.hasPrefix(Self.groupPage + "?notice=Failed"), "a group without members cannot sync: \(location)")
            let refreshed = try await arm.send(.post, Self.groupPage + "/refresh-schema", apiVersion: .some(nil))
            #expect(refreshed.headers[.location] == Self.groupPage + "?notice=Hub%20schema%20refreshed.")
            let page = try await control(arm, refreshed.headers[.location] ?? "")
            #expect(page.text.contains(#"<p id="action-status" role="status" class="status">Hub schema refreshed.</p>"#))
        }
    }

    @Test("advancing the clock from the dashboard runs the interval syncs that came due")
    func advanceClock() async throws {
        try await withScenario { scenario in
            try await scenario.build()
            #expect(try await scenario.arm.finish(try await scenario.arm.patch(HowTo.groupPath(), #"{"properties":{"interval":300}}"#)).status == .ok)
            let reply = try await scenario.arm.send(
                .post,
                "/_emulator/ui/clock/advance",
                body: "seconds=301&returnTo=" + (Self.groupPage.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""),
                apiVersion: .some(nil),
                headers: [.contentType: "application/x-www-form-urlencoded"]
            )
            #expect(reply.status == .seeOther)
            #expect(reply.headers[.location]?.hasPrefix(Self.groupPage + "?notice=Clock%20advanced") == true)
            let group = try await scenario.arm.get(HowTo.groupPath())
            #expect(group.string("properties.lastSyncTime") != "0001-01-01T00:00:00Z")
            let elsewhere = try await scenario.arm.send(
                .post,
                "/_emulator/ui/clock/advance",
                body: "seconds=0&returnTo=%2F%2Fevil.example%2F",
                apiVersion: .some(nil),
                headers: [.contentType: "application/x-www-form-urlencoded"]
            )
            #expect(elsewhere.headers[.location]?.hasPrefix("/_emulator/ui?notice=") == true, "no open redirect")
        }
    }

    @Test("actions from another site are refused")
    func crossOrigin() async throws {
        try await withEmulator { arm in
            _ = try await arm.createGroup()
            let reply = try await arm.send(
                .post,
                Self.groupPage + "/refresh-schema",
                apiVersion: .some(nil),
                headers: [.origin: "http://evil.example", .accept: "application/json"]
            )
            #expect(reply.status == .forbidden)
            #expect(reply.errorCode == "CrossOriginRequest")
        }
    }

    @Test("names and data from clients are escaped")
    func escaping() async throws {
        try await withScenario { scenario in
            try await scenario.build(
                hubSQL: #"CREATE TABLE "<b>T</b>" (id INTEGER PRIMARY KEY, "x'<i>" TEXT)"#,
                tables: [(name: "<b>T</b>", columns: ["id", "x'<i>"])]
            )
            let html = try await control(scenario.arm, Self.groupPage).text
            #expect(html.contains("&lt;b&gt;T&lt;/b&gt;"))
            #expect(html.contains("x&#39;&lt;i&gt;"))
            #expect(!html.contains("<b>T</b>") && !html.contains("<i>"))
        }
        let fragment: HTML = "<p title=\"\("\"'")\">\("<script>&")</p>"
        #expect(fragment.text == "<p title=\"&quot;&#39;\">&lt;script&gt;&amp;</p>")
    }

    @Test("an unknown group gets a page that says so; the assets are served")
    func notFoundAndAssets() async throws {
        try await withEmulator { arm in
            let missing = try await control(arm, Self.groupPage)
            #expect(missing.status == .notFound)
            #expect(missing.text.contains("There is no sync group \(HowTo.group)"))
            let css = try await control(arm, "/_emulator/ui/assets/dashboard.css")
            #expect(css.status == .ok && css.headers[.contentType] == "text/css; charset=utf-8")
            let script = try await control(arm, "/_emulator/ui/assets/dashboard.js")
            #expect(script.status == .ok && script.text.contains("data-live"))
        }
    }
}

@Suite struct JSONSerializationTests {
    @Test("strings are escaped as before: quotes, backslashes, controls; other text passes through")
    func escaping() throws {
        let value: JSONValue = .object([
            "q\"k": .string("a\"b\\c\nd\re\tf\u{1}g\u{1F}h"),
            "unicode": .string("Größe 数据 😀"),
            "list": .array([.null, .bool(true), .bool(false), .integer(-42), .double(1.5), .double(.infinity)]),
        ])
        #expect(value.serialized() == #"{"q\"k":"a\"b\\c\nd\re\tf\u0001g\u001fh","unicode":"Größe 数据 😀","list":[null,true,false,-42,1.5,null]}"#)
        #expect(value.data == Data(value.serialized().utf8))
        #expect(try JSONValue.parse(value.data) == .object([
            "q\"k": .string("a\"b\\c\nd\re\tf\u{1}g\u{1F}h"),
            "unicode": .string("Größe 数据 😀"),
            "list": .array([.null, .bool(true), .bool(false), .integer(-42), .double(1.5), .null]),
        ]))
    }
}
