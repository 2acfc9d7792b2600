import ARMConventions
import DataSyncModel
import Foundation
import Hummingbird

/// `GET /_emulator/requests[?limit=N]`: the last ARM requests, newest first, with secrets redacted, so a
/// developer can see what a client really sent and what it got back without a proxy.
struct RequestInspectorController: Sendable {
    let log: RequestLog

    /// How many requests the inspector answers with when no `limit` is given.
    static let defaultLimit = 50

    func addRoutes(to router: Router<EmulatorRequestContext>) {
        router.get("_emulator/requests") { request, _ in
            let limit = try Self.limit(queryParameter("limit", in: request))
            return jsonResponse(.ok, .object(["value": .array(self.log.recent(limit: limit).map(Self.json))]))
        }
    }

    private static func limit(_ text: String?) throws -> Int {
        guard let text else { return self.defaultLimit }
        guard let value = Int(text), value > 0 else {
            throw DataSyncError.invalidParameterValue("limit", "must be a positive whole number; got '\(text)'.")
        }
        return value
    }

    /// One request as the inspector lists it.
    static func json(_ request: RecordedRequest) -> JSONValue {
        var object = JSONObject()
        object.set("time", .string(WireDate.format(request.time)))
        object.set("method", .string(request.method))
        object.set("path", .string(request.path))
        object.set("apiVersion", request.apiVersion.map(JSONValue.string) ?? .null)
        object.set("operation", .string(request.operation))
        object.set("status", .integer(Int64(request.status)))
        object.set("durationMs", .double((request.milliseconds * 1000).rounded() / 1000))
        object.set("requestId", request.requestID.map(JSONValue.string) ?? .null)
        object.set("errorCode", request.errorCode.map(JSONValue.string) ?? .null)
        object.set("body", request.body)
        return .object(object)
    }
}
