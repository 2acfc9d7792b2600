import ARMConventions
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import DataSyncHTTP

/// Each bad input gets its status, code and message, and leaves the state as it was.
@Suite struct ErrorTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let label: String
        let method: HTTPRequest.Method
        let path: String
        let body: String?
        let contentType: String?
        let status: HTTPResponse.Status
        let code: String
        let message: String?

        var testDescription: String { self.label }

        init(
            _ label: String,
            _ method: HTTPRequest.Method,
            _ path: String,
            body: String? = nil,
            contentType: String? = "application/json",
            _ status: HTTPResponse.Status,
            _ code: String,
            _ message: String? = nil
        ) {
            self.label = label
            self.method = method
            self.path = path
            self.body = body
            self.contentType = contentType
            self.status = status
            self.code = code
            self.message = message
        }
    }

    static let cases: [Case] = [
        Case("missing group", .get, HowTo.groupPath("nope"), .notFound, "ResourceNotFound",
             "The requested resource of type 'Microsoft.Sql/servers/databases/syncGroups' with name 'nope' was not found."),
        Case("missing member", .get, HowTo.memberPath("nope"), .notFound, "ResourceNotFound",
             "The requested resource of type 'Microsoft.Sql/servers/databases/syncGroups/syncMembers' with name 'nope' was not found."),
        Case("missing agent", .get, HowTo.agentPath("nope"), .notFound, "ResourceNotFound",
             "The requested resource of type 'Microsoft.Sql/servers/syncAgents' with name 'nope' was not found."),
        Case("empty PATCH", .patch, HowTo.groupPath(), body: "{}", .badRequest, "InvalidSyncGroupCreateOrUpdateRequest",
             "The create or update sync group request body is empty."),
        Case("PATCH without body", .patch, HowTo.groupPath(), .badRequest, "InvalidSyncGroupCreateOrUpdateRequest"),
        Case("PUT without body", .put, HowTo.groupPath("new"), .badRequest, "InvalidSyncGroupCreateOrUpdateRequest"),
        Case("malformed JSON", .put, HowTo.groupPath(), body: "{\"properties\":", .badRequest, "InvalidRequestContent"),
        Case("JSON array body", .put, HowTo.groupPath(), body: "[1,2]", .badRequest, "InvalidRequestContent"),
        Case("interval as text", .patch, HowTo.groupPath(), body: #"{"properties":{"interval":"soon"}}"#, .badRequest,
             "InvalidRequestContent",
             "The request content was invalid and could not be deserialized: 'Could not convert string to integer: soon. Path 'properties.interval'.'."),
        Case("interval too large", .patch, HowTo.groupPath(), body: #"{"properties":{"interval":99999999999}}"#, .badRequest,
             "InvalidRequestContent"),
        Case("interval 3", .patch, HowTo.groupPath(), body: #"{"properties":{"interval":3}}"#, .badRequest,
             "InvalidSyncGroupInterval", "Sync Interval should be greater than or equal to 5 seconds."),
        Case("interval -5", .patch, HowTo.groupPath(), body: #"{"properties":{"interval":-5}}"#, .badRequest,
             "InvalidSyncGroupInterval"),
        Case("negative conflict retention", .patch, HowTo.groupPath(), body: #"{"properties":{"conflictLoggingRetentionInDays":-1}}"#,
             .badRequest, "InvalidParameterValue",
             "An invalid value was given to a parameter. 'conflictLoggingRetentionInDays' must be zero or more days; got '-1'."),
        Case("unknown policy", .patch, HowTo.groupPath(), body: #"{"properties":{"conflictResolutionPolicy":"Coin"}}"#,
             .badRequest, "InvalidParameterValue"),
        Case("unknown direction", .patch, HowTo.memberPath(), body: #"{"properties":{"syncDirection":"Sideways"}}"#,
             .badRequest, "InvalidParameterValue"),
        Case("unknown database type", .patch, HowTo.memberPath(), body: #"{"properties":{"databaseType":"Oracle"}}"#,
             .badRequest, "InvalidParameterValue"),
        Case("bool as number", .patch, HowTo.groupPath(), body: #"{"properties":{"enableConflictLogging":1}}"#,
             .badRequest, "InvalidRequestContent"),
        Case("properties as string", .put, HowTo.groupPath(), body: #"{"properties":"x"}"#, .badRequest,
             "InvalidRequestContent"),
        Case("syncDatabaseId not an ARM id", .patch, HowTo.groupPath(), body: #"{"properties":{"syncDatabaseId":"db1"}}"#,
             .badRequest, "InvalidDatabaseResourceId", "Invalid database resource identifier."),
        Case("group name with a star", .put, HowTo.groupPath("bad*name"), body: #"{"properties":{"interval":-1}}"#,
             .badRequest, "InvalidSyncGroupName",
             "The Sync Group name is invalid. This field can contain letters, numbers, dashes and underscores."),
        Case("member name too long", .put, HowTo.memberPath(String(repeating: "m", count: 129)),
             body: #"{"properties":{"databaseName":"d"}}"#, .badRequest, "InvalidSyncMemberName"),
        Case("encoded slash in a name", .get, HowTo.databasePath + "/syncGroups/a%2Fb", .badRequest, "InvalidSyncGroupName"),
        Case("control character in a name", .get, HowTo.databasePath + "/syncGroups/a%01b", .badRequest, "InvalidSyncGroupName"),
        Case("subscription not a GUID", .get,
             "/subscriptions/sub1/resourceGroups/rg/providers/Microsoft.Sql/servers/s/databases/d/syncGroups", .badRequest,
             "InvalidSubscriptionId"),
        Case("wrong content type", .patch, HowTo.groupPath(), body: #"{"properties":{"interval":60}}"#,
             contentType: "text/plain", .unsupportedMediaType, "UnsupportedMediaType"),
        Case("method a path does not have", .patch, HowTo.agentPath("a1"), body: "{}", .methodNotAllowed, "MethodNotAllowed",
             "The requested resource does not support http method 'PATCH'."),
        Case("unknown path", .get, "/subscriptions/\(HowTo.subscription)/providers/Microsoft.Sql/nothing", .notFound, "NotFound"),
        Case("logs without times", .get, HowTo.groupPath() + "/logs?type=All", .badRequest, "InvalidParameterValue"),
        Case("logs with a bad type", .get, HowTo.groupPath() + "/logs?startTime=2020-01-01T00:00:00&endTime=2030-01-01T00:00:00&type=Bad",
             .badRequest, "InvalidParameterValue"),
        Case("bad page token", .get, HowTo.databasePath + "/syncGroups?$skipToken=zz", .badRequest, "InvalidParameterValue"),
        Case("null properties", .put, HowTo.groupPath("n1"), body: #"{"properties":null}"#, .badRequest,
             "InvalidSyncGroupCreateOrUpdateRequest"),
        Case("only nulls", .patch, HowTo.groupPath(), body: #"{"properties":{"interval":null,"conflictResolutionPolicy":null}}"#,
             .badRequest, "InvalidSyncGroupCreateOrUpdateRequest"),
        Case("only read-only properties", .patch, HowTo.groupPath(), body: #"{"properties":{"syncState":"Good","lastSyncTime":"2020-01-01T00:00:00Z"}}"#,
             .badRequest, "InvalidSyncGroupCreateOrUpdateRequest"),
        Case("huge number", .patch, HowTo.groupPath(), body: #"{"properties":{"interval":1e400}}"#, .badRequest,
             "InvalidRequestContent",
             "The request content was invalid and could not be deserialized: 'Input string '1e400' is not a valid number. Path 'properties.interval', line 1, position 31.'."),
        Case("fractional interval", .patch, HowTo.groupPath(), body: #"{"properties":{"interval":5.5}}"#, .badRequest,
             "InvalidRequestContent",
             "The request content was invalid and could not be deserialized: 'Error converting value of type Float to type 'System.Int32'. Path 'properties.interval'.'."),
        Case("interval as boolean", .patch, HowTo.groupPath(), body: #"{"properties":{"interval":true}}"#, .badRequest, "InvalidRequestContent"),
        Case("deep nesting", .patch, HowTo.groupPath(), body: #"{"properties":{"schema":"# + String(repeating: "[", count: 100) + String(repeating: "]", count: 100) + "}}",
             .badRequest, "InvalidRequestContent"),
        Case("duplicate keys, the last wins", .patch, HowTo.groupPath(), body: #"{"properties":{"interval":60,"interval":3}}"#,
             .badRequest, "InvalidSyncGroupInterval"),
        Case("text after the document", .patch, HowTo.groupPath(), body: #"{"properties":{"interval":60}} x"#, .badRequest,
             "InvalidRequestContent"),
        Case("a JSON string body", .put, HowTo.groupPath(), body: #""x""#, .badRequest, "InvalidRequestContent"),
        Case("control character in a string", .patch, HowTo.groupPath(), body: "{\"properties\":{\"hubDatabaseUserName\":\"a\u{01}b\"}}",
             .badRequest, "InvalidRequestContent"),
        Case("unterminated string", .patch, HowTo.groupPath(), body: #"{"properties":{"hubDatabaseUserName":"abc}}"#, .badRequest,
             "InvalidRequestContent"),
        Case("newline in a name", .get, HowTo.databasePath + "/syncGroups/a%0Ab", .badRequest, "InvalidSyncGroupName"),
        Case("dot-dot as a name", .get, HowTo.databasePath + "/syncGroups/..", .badRequest, "InvalidSyncGroupName"),
        Case("encoded dot-dot-slash in a member name", .get, HowTo.groupPath() + "/syncMembers/..%2F..%2Fx", .badRequest,
             "InvalidSyncMemberName"),
        Case("group name too long", .put, HowTo.groupPath(String(repeating: "g", count: 129)), body: #"{"properties":{"interval":-1}}"#,
             .badRequest, "InvalidSyncGroupName"),
        Case("agent name with <", .get, HowTo.serverPath + "/syncAgents/a%3Cb", .badRequest, "InvalidSyncAgentName"),
        Case("server name with *", .get, "/subscriptions/\(HowTo.subscription)/resourceGroups/rg/providers/Microsoft.Sql/servers/s%2A/syncAgents",
             .badRequest, "InvalidServerName"),
        Case("database name with :", .get, HowTo.serverPath + "/databases/d%3A1/syncGroups", .badRequest, "InvalidDatabaseName"),
        Case("SQL in syncDatabaseId", .patch, HowTo.groupPath(), body: #"{"properties":{"syncDatabaseId":"'; DROP TABLE resource; --"}}"#,
             .badRequest, "InvalidDatabaseResourceId"),
        Case("SQL in a policy", .patch, HowTo.groupPath(), body: #"{"properties":{"conflictResolutionPolicy":"HubWin'; DELETE FROM resource;--"}}"#,
             .badRequest, "InvalidParameterValue"),
        Case("syncDatabaseId without a database", .patch, HowTo.groupPath(),
             body: #"{"properties":{"syncDatabaseId":"/subscriptions/\#(HowTo.subscription)/resourceGroups/rg/providers/Microsoft.Sql/servers/s"}}"#,
             .badRequest, "InvalidDatabaseResourceId"),
        Case("syncDatabaseId of another provider", .patch, HowTo.groupPath(),
             body: #"{"properties":{"syncDatabaseId":"/subscriptions/\#(HowTo.subscription)/resourceGroups/rg/providers/Microsoft.Web/servers/s/databases/d"}}"#,
             .badRequest, "InvalidDatabaseResourceId"),
        Case("relative syncDatabaseId", .patch, HowTo.groupPath(),
             body: #"{"properties":{"syncDatabaseId":"subscriptions/\#(HowTo.subscription)/resourceGroups/rg/providers/Microsoft.Sql/servers/s/databases/d"}}"#,
             .badRequest, "InvalidDatabaseResourceId"),
        Case("syncDatabaseId with ..", .patch, HowTo.groupPath(),
             body: #"{"properties":{"syncDatabaseId":"/subscriptions/\#(HowTo.subscription)/resourceGroups/rg/providers/Microsoft.Sql/servers/../databases/d"}}"#,
             .badRequest, "InvalidDatabaseResourceId"),
        Case("syncAgentId not an ARM id", .patch, HowTo.memberPath(), body: #"{"properties":{"syncAgentId":"agent1"}}"#, .badRequest,
             "InvalidSyncAgentResourceId"),
        Case("sqlServerDatabaseId not a GUID", .patch, HowTo.memberPath(), body: #"{"properties":{"sqlServerDatabaseId":"db-1"}}"#,
             .badRequest, "InvalidRequestContent"),
        Case("sku without a name", .patch, HowTo.groupPath(), body: #"{"sku":{"capacity":5},"properties":{"interval":60}}"#, .badRequest,
             "InvalidRequestContent"),
        Case("schema tables not an array", .patch, HowTo.groupPath(), body: #"{"properties":{"schema":{"tables":{}}}}"#, .badRequest,
             "InvalidRequestContent"),
        Case("missing api-version on a member", .get, HowTo.memberPath() + "?api-version=", .badRequest, "MissingApiVersionParameter"),
        Case("api-version older than any", .get, HowTo.groupPath() + "?api-version=2014-01-01", .badRequest, "InvalidApiVersionParameter"),
        Case("malformed api-version", .get, HowTo.groupPath() + "?api-version=latest", .badRequest, "InvalidApiVersionParameter"),
        Case("XML body", .patch, HowTo.groupPath(), body: "<interval>60</interval>", contentType: "application/xml",
             .unsupportedMediaType, "UnsupportedMediaType"),
        Case("form body", .patch, HowTo.groupPath(), body: "interval=60", contentType: "application/x-www-form-urlencoded",
             .unsupportedMediaType, "UnsupportedMediaType"),
        Case("DELETE on hubSchemas", .delete, HowTo.groupPath() + "/hubSchemas", .methodNotAllowed, "MethodNotAllowed"),
        Case("PUT on triggerSync", .put, HowTo.groupPath() + "/triggerSync", body: "{}", .methodNotAllowed, "MethodNotAllowed"),
        Case("GET on refreshHubSchema", .get, HowTo.groupPath() + "/refreshHubSchema", .methodNotAllowed, "MethodNotAllowed"),
        Case("POST on a group", .post, HowTo.groupPath(), .methodNotAllowed, "MethodNotAllowed"),
        Case("empty PUT of a member", .put, HowTo.memberPath("new"), .badRequest, "InvalidSyncMemberCreateOrUpdateRequest"),
        Case("empty PUT of an agent", .put, HowTo.agentPath("new"), .badRequest, "InvalidSyncAgentCreateOrUpdateRequest"),
        Case("logs with a bad time", .get, HowTo.groupPath() + "/logs?startTime=yesterday&endTime=2030-01-01T00:00:00&type=All",
             .badRequest, "InvalidParameterValue"),
        Case("logs on February 30", .get, HowTo.groupPath() + "/logs?startTime=2020-02-30T00:00:00&endTime=2030-01-01T00:00:00&type=All",
             .badRequest, "InvalidParameterValue"),
        Case("bad continuation token", .get,
             HowTo.groupPath() + "/logs?startTime=2020-01-01T00:00:00&endTime=2030-01-01T00:00:00&type=All&continuationToken=abc",
             .badRequest, "InvalidParameterValue"),
        Case("triggerSync on a missing group", .post, HowTo.groupPath("nope") + "/triggerSync", .notFound, "ResourceNotFound"),
        Case("refresh of a missing member", .post, HowTo.memberPath("nope") + "/refreshSchema", .notFound, "ResourceNotFound"),
        Case("generateKey of a missing agent", .post, HowTo.agentPath("nope") + "/generateKey", .notFound, "ResourceNotFound"),
        Case("query without sql", .post, "/_emulator/databases/s1/d1/query", body: #"{"parameters":[]}"#, .badRequest,
             "InvalidRequestContent"),
        Case("query with malformed JSON", .post, "/_emulator/databases/s1/d1/query", body: #"{"sql":"#, .badRequest,
             "InvalidRequestContent"),
        Case("query with a SQL error", .post, "/_emulator/databases/s1/d1/query", body: #"{"sql":"DROP TABLE absent","dialect":"sqlite"}"#, .badRequest,
             "InvalidQuery", "no such table: absent"),
        Case("query with a T-SQL error", .post, "/_emulator/databases/s1/d1/query", body: #"{"sql":"DROP TABLE absent"}"#, .badRequest,
             "InvalidQuery", "Line 1, column 12: Cannot drop the table 'absent', because it does not exist or you do not have permission."),
        Case("query outside the T-SQL subset", .post, "/_emulator/databases/s1/d1/query", body: #"{"sql":"SELECT 1\nMERGE INTO T"}"#, .badRequest,
             "InvalidQuery", "Line 2, column 1: 'MERGE' is not in the T-SQL subset the emulator translates"),
        Case("query in an unknown dialect", .post, "/_emulator/databases/s1/d1/query", body: #"{"sql":"SELECT 1","dialect":"mysql"}"#, .badRequest,
             "InvalidRequestContent",
             "The request content was invalid and could not be deserialized: 'Property 'dialect' must be 'tsql' or 'sqlite'. Path 'dialect'.'."),
        Case("query in a database named ..", .post, "/_emulator/databases/s1/../query", body: #"{"sql":"SELECT 1"}"#, .badRequest,
             "InvalidDatabaseName"),
        Case("clock moved backwards", .post, "/_emulator/clock/advance", body: #"{"seconds":-5}"#, .badRequest, "InvalidParameterValue"),
    ]

    @Test("the corpus holds at least 60 cases")
    func corpusSize() {
        #expect(Self.cases.count >= 60)
    }

    @Test("bad input gets the envelope, and nothing changes", arguments: cases)
    func badInput(_ testCase: Case) async throws {
        try await withEmulator { arm in
            _ = try await arm.createGroup()
            _ = try await arm.createMember()
            let before = try await arm.get(HowTo.groupPath())
            let memberBefore = try await arm.get(HowTo.memberPath())
            var headers = HTTPFields()
            if let contentType = testCase.contentType, testCase.body != nil { headers[.contentType] = contentType }
            let control = testCase.path.hasPrefix("/_emulator") || testCase.path.contains("api-version=")
            let reply = try await arm.send(
                testCase.method,
                testCase.path,
                body: testCase.body,
                apiVersion: control ? .some(nil) : nil,
                headers: headers
            )
            #expect(reply.status == testCase.status)
            #expect(reply.errorCode == testCase.code)
            if let message = testCase.message { #expect(reply.errorMessage == message) }
            #expect(reply.headers[.requestID] != nil)
            #expect(reply.object?.members.map(\.key) == ["error"])
            #expect((try await arm.get(HowTo.groupPath())).text == before.text)
            #expect((try await arm.get(HowTo.memberPath())).text == memberBefore.text)
        }
    }

    @Test("a body that is not UTF-8 is InvalidRequestContent")
    func invalidUTF8() async throws {
        try await withEmulator { arm in
            _ = try await arm.createGroup()
            let bytes: [UInt8] = Array(#"{"properties":{"hubDatabaseUserName":""#.utf8) + [0xC3, 0x28, 0xFF] + Array(#""}}"#.utf8)
            let response = try await arm.client.execute(
                uri: HowTo.groupPath() + "?api-version=2025-01-01",
                method: .patch,
                headers: [.contentType: "application/json"],
                body: ByteBuffer(bytes: bytes)
            )
            #expect(response.status == .badRequest)
            #expect(String(buffer: response.body).contains("InvalidRequestContent"))
            #expect((try await arm.get(HowTo.groupPath())).string("properties.hubDatabaseUserName") == "hubUser")
        }
    }

    @Test("SQL fragments in names and values are stored as data, never run")
    func sqlFragments() async throws {
        try await withEmulator { arm in
            let name = "x';DROP TABLE resource;--"
            let encoded = try #require(name.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(.init(charactersIn: ";"))))
            let body = #"{"properties":{"interval":-1,"hubDatabaseUserName":"u'); DELETE FROM resource; --"}}"#
            #expect((try await arm.finish(try await arm.put(HowTo.databasePath + "/syncGroups/" + encoded, body))).status == .created)
            _ = try await arm.createGroup()
            let stored = try await arm.get(HowTo.databasePath + "/syncGroups/" + encoded)
            #expect(stored.string("name") == name)
            #expect(stored.string("properties.hubDatabaseUserName") == "u'); DELETE FROM resource; --")
            let list = try await arm.get(HowTo.databasePath + "/syncGroups")
            guard case .array(let groups)? = list.value("value") else { return }
            #expect(groups.count == 2)
            let tables = try await arm.sql("s1", "d1", "SELECT ? AS v", ["1); DROP TABLE x; --"])
            #expect(tables.text == #"{"columns":["v"],"rows":[["1); DROP TABLE x; --"]]}"#)
        }
    }

    @Test("a body over 4 MiB is 413 in the envelope")
    func tooLarge() async throws {
        try await withEmulator { arm in
            let padding = String(repeating: "x", count: 4 * 1024 * 1024 + 10)
            let reply = try await arm.put(HowTo.groupPath(), #"{"properties":{"hubDatabaseUserName":"\#(padding)"}}"#)
            #expect(reply.status == .contentTooLarge)
            #expect(reply.errorCode == "RequestContentTooLarge")
            #expect((try await arm.get(HowTo.groupPath())).status == .notFound)
        }
    }

    @Test("a body over 64 KiB, parsed in the low-priority lane, reads as a small one does; bad UTF-8 in it is refused")
    func largeBodies() async throws {
        try await withEmulator { arm in
            let value = String(repeating: "é\\\"😀x", count: 20_000)
            let reply = try await arm.sql("s1", "d1", "SELECT ? AS v, length(?) AS n", [.string(value), .string(value)])
            #expect(reply.status == .ok)
            #expect(reply.object?["rows"] == .array([.array([.string(value), .integer(Int64(value.unicodeScalars.count))])]))
            let body = Array(#"{"dialect":"sqlite","sql":"SELECT 1","parameters":[""#.utf8)
                + Array(repeating: UInt8(ascii: "a"), count: 100_000) + [0xC3, 0x28] + Array(#""]}"#.utf8)
            let refused = try await arm.client.execute(
                uri: "/_emulator/databases/s1/d1/query", method: .post, headers: [.contentType: "application/json"],
                body: ByteBuffer(bytes: body))
            #expect(refused.status == .badRequest)
            #expect(String(buffer: refused.body).contains("InvalidRequestContent"))
        }
    }

    @Test("the correlation id echoes the client's")
    func correlation() async throws {
        try await withEmulator { arm in
            var headers = HTTPFields()
            let id = "6f1b1f43-2f4a-4c59-9d8c-1e1c1d6d9a10"
            headers[.correlationRequestID] = id
            let reply = try await arm.send(.get, HowTo.groupPath(), headers: headers)
            #expect(reply.headers[.correlationRequestID] == id)
            #expect(reply.headers[.requestID] != id)
        }
    }
}

@Suite struct WireDateTests {
    @Test("formats like the service, including year 1 and fractions")
    func format() {
        #expect(WireDate.format(Date(timeIntervalSince1970: -62_135_596_800)) == "0001-01-01T00:00:00Z")
        #expect(WireDate.format(Date(timeIntervalSince1970: 1_522_197_537.397)) == "2018-03-28T00:38:57.397Z")
        #expect(WireDate.format(Date(timeIntervalSince1970: 1_522_197_537.5)) == "2018-03-28T00:38:57.5Z")
        #expect(WireDate.format(Date(timeIntervalSince1970: 253_402_300_799.999)) == "9999-12-31T23:59:59.999Z")
        #expect(WireDate.format(Date(timeIntervalSince1970: 1.25)) == "1970-01-01T00:00:01.25Z")
    }

    @Test("agrees with Foundation's Gregorian calendar over a seeded spread of instants")
    func formatMatchesCalendar() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        var generator = SeededGenerator(seed: 42)
        // 1600 to 9999: Foundation's calendar is Julian before 1582, the wire's is proleptic Gregorian.
        let first: Int64 = -11_676_096_000_000
        let last: Int64 = 253_402_300_799_999
        for _ in 0..<2_000 {
            let milliseconds = first + Int64(generator.next() % UInt64(last - first))
            let date = Date(timeIntervalSince1970: Double(milliseconds) / 1000)
            let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
            let fraction = Int64((date.timeIntervalSince1970 * 1000).rounded(.down)) - Int64((date.timeIntervalSince1970).rounded(.down)) * 1000
            var expected = String(
                format: "%04d-%02d-%02dT%02d:%02d:%02d",
                parts.year!, parts.month!, parts.day!, parts.hour!, parts.minute!, parts.second!
            )
            if fraction > 0 {
                var digits = String(format: "%03lld", fraction)
                while digits.hasSuffix("0") { digits.removeLast() }
                expected += "." + digits
            }
            #expect(WireDate.format(date) == expected + "Z")
        }
    }

    @Test("parses times with and without a zone")
    func parse() {
        #expect(WireDate.parse("2017-01-01T00:00:00") == Date(timeIntervalSince1970: 1_483_228_800))
        #expect(WireDate.parse("2017-01-01T01:00:00+01:00") == Date(timeIntervalSince1970: 1_483_228_800))
        #expect(WireDate.parse("2018-03-28T00:38:57.397Z")?.timeIntervalSince1970 == 1_522_197_537.397)
        #expect(WireDate.parse("2017-13-01T00:00:00") == nil)
        #expect(WireDate.parse("yesterday") == nil)
    }
}
