import ARMConventions
import Foundation
import HTTPTypes
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
    ]

    @Test("bad input gets the envelope, and nothing changes", arguments: cases)
    func badInput(_ testCase: Case) async throws {
        try await withEmulator { arm in
            _ = try await arm.createGroup()
            _ = try await arm.createMember()
            let before = try await arm.get(HowTo.groupPath())
            let memberBefore = try await arm.get(HowTo.memberPath())
            var headers = HTTPFields()
            if let contentType = testCase.contentType, testCase.body != nil { headers[.contentType] = contentType }
            let reply = try await arm.send(testCase.method, testCase.path, body: testCase.body, headers: headers)
            #expect(reply.status == testCase.status)
            #expect(reply.errorCode == testCase.code)
            if let message = testCase.message { #expect(reply.errorMessage == message) }
            #expect(reply.headers[.requestID] != nil)
            #expect(reply.object?.members.map(\.key) == ["error"])
            #expect((try await arm.get(HowTo.groupPath())).text == before.text)
            #expect((try await arm.get(HowTo.memberPath())).text == memberBefore.text)
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
