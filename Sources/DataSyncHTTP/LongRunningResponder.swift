import ARMConventions
import DataSyncHandlers
import DataSyncModel
import Foundation
import HTTPTypes
import Hummingbird

/// Writes the answers of long-running operations: the 202 that accepts one, and each poll of it.
struct LongRunningResponder: Sendable {
    let style: EmulatorConfiguration.LongRunningStyle
    let retryAfter: TimeInterval
    let location: String

    /// The response to a write: 202 with `Location` (and `Azure-AsyncOperation` for groups from
    /// 2025-02-01-preview), or under `--lro-style sync` the final answer straight away, a failure included.
    func accepted(_ operation: LongRunningOperation, call: ARMCall, forceAsync: Bool = false) throws -> Response {
        if self.style == .sync, !forceAsync {
            if case .failed(let error) = operation.progress { throw error }
            return self.finalResponse(operation.result, wire: Wire(call.apiVersion), view: .get)
        }
        var headers = HTTPFields()
        headers[.location] = self.pollURL(operation, kind: .location, call: call)
        if case .syncGroup = operation.result.family, call.features.identity {
            headers[.azureAsyncOperation] = self.pollURL(operation, kind: .asyncOperation, call: call)
        }
        headers[.requestID] = operation.id.uuidString.lowercased()
        self.addRetryAfter(to: &headers)
        return jsonResponse(.accepted, self.acceptedBody(operation), headers: headers)
    }

    /// A poll of a `…OperationResults` URL: 202 while running, then the final answer.
    func locationPoll(_ operation: LongRunningOperation, progress: OperationProgress, call: ARMCall) throws -> Response {
        switch progress {
        case .running:
            var headers = HTTPFields()
            headers[.location] = self.pollURL(operation, kind: .location, call: call)
            self.addRetryAfter(to: &headers)
            return jsonResponse(.accepted, self.acceptedBody(operation), headers: headers)
        case .failed(let error):
            throw error
        case .succeeded:
            return self.finalResponse(operation.result, wire: Wire(call.apiVersion), view: .finalPoll)
        }
    }

    /// A poll of a `syncGroupAzureAsyncOperation` URL: always 200 with `{name,status,startTime}`.
    func asyncOperationPoll(_ operation: LongRunningOperation, progress: OperationProgress) -> Response {
        var body = JSONObject()
        body.set("name", .string(operation.id.uuidString.lowercased()))
        let status: String
        switch progress {
        case .running: status = "InProgress"
        case .succeeded: status = "Succeeded"
        case .failed: status = "Failed"
        }
        body.set("status", .string(status))
        body.set("startTime", .string(WireDate.format(operation.startTime)))
        if case .failed(let error) = progress {
            body.set("error", .object(["code": .string(error.wireCode), "message": .string(error.message)]))
        }
        var headers = HTTPFields()
        self.addRetryAfter(to: &headers)
        return jsonResponse(.ok, .object(body), headers: headers)
    }

    private func finalResponse(_ result: OperationResult, wire: Wire, view: Wire.View) -> Response {
        switch result {
        case .groupUpserted(let group, let created):
            return jsonResponse(created ? .created : .ok, wire.group(group, view: view))
        case .groupPatched(let group, let patch):
            return jsonResponse(.ok, view == .get ? wire.group(group, view: .get) : wire.patchedGroup(group, patch: patch))
        case .groupDeleted(let path):
            return view == .get ? emptyResponse(.ok) : jsonResponse(.ok, wire.deletedGroup(path))
        case .memberUpserted(let member, let created):
            return jsonResponse(created ? .created : .ok, wire.member(member, view: view))
        case .memberPatched(let member, let patch):
            return jsonResponse(.ok, view == .get ? wire.member(member, view: .get) : wire.patchedMember(member, patch: patch))
        case .memberDeleted(let path):
            return view == .get ? emptyResponse(.ok) : jsonResponse(.ok, wire.deletedMember(path))
        case .agentUpserted(let agent, let created):
            return jsonResponse(created ? .created : .ok, wire.agent(agent, view: view))
        case .agentDeleted(let path):
            return view == .get ? emptyResponse(.ok) : jsonResponse(.ok, wire.deletedAgent(path))
        case .hubSchemaRefreshed, .memberSchemaRefreshed:
            return emptyResponse(.ok)
        }
    }

    private func acceptedBody(_ operation: LongRunningOperation) -> JSONValue {
        .object([
            "operation": .string(operation.result.operationName),
            "startTime": .string(WireDate.format(operation.startTime)),
        ])
    }

    private enum PollKind {
        case location
        case asyncOperation
    }

    /// The absolute URL of the poll endpoint, on the scheme, host and port the client used.
    private func pollURL(_ operation: LongRunningOperation, kind: PollKind, call: ARMCall) -> String {
        let id = operation.id.uuidString.lowercased()
        let scope = "/subscriptions/\(operation.subscriptionID)/resourceGroups/\(operation.resourceGroup)/providers/Microsoft.Sql/locations/\(self.location)"
        let path: String
        switch (operation.result.family, kind) {
        case (.syncGroup, .asyncOperation): path = "\(scope)/syncGroupAzureAsyncOperation/\(id)"
        case (.syncGroup, .location): path = "\(scope)/syncGroupOperationResults/\(id)"
        case (.syncMember, _): path = "\(scope)/syncMemberOperationResults/\(id)"
        case (.syncAgent, _): path = "\(scope)/syncAgentOperationResults/\(id)"
        case (.refreshHubSchema(let group), _): path = "\(group.id)/refreshHubSchemaOperationResults/\(id)"
        case (.refreshMemberSchema(let member), _): path = "\(member.id)/refreshSchemaOperationResults/\(id)"
        }
        let host = call.request.head.authority ?? "127.0.0.1"
        let encodedPath = path.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? path
        return "\(call.scheme)://\(host)\(encodedPath)?api-version=\(call.apiVersion)"
    }

    /// Whole seconds go out as `Retry-After`; anything finer as `retry-after-ms` and `x-ms-retry-after-ms`,
    /// because the Azure SDKs read `Retry-After: 0` as "use my own default" (30 s in Python).
    private func addRetryAfter(to headers: inout HTTPFields) {
        if self.retryAfter >= 1, self.retryAfter.rounded() == self.retryAfter {
            headers[.retryAfter] = String(Int(self.retryAfter))
        } else {
            let milliseconds = String(max(1, Int((self.retryAfter * 1000).rounded())))
            headers[.retryAfterMilliseconds] = milliseconds
            headers[.msRetryAfterMilliseconds] = milliseconds
        }
    }
}

/// A JSON response with `value` as its body.
func jsonResponse(_ status: HTTPResponse.Status, _ value: JSONValue, headers: HTTPFields = [:]) -> Response {
    jsonResponse(status, serialized: value.serializedBuffer(), headers: headers)
}

/// A JSON response whose body is already serialized.
func jsonResponse(_ status: HTTPResponse.Status, serialized body: ByteBuffer, headers: HTTPFields = [:]) -> Response {
    var headers = headers
    headers[.contentType] = "application/json; charset=utf-8"
    return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: body))
}

/// A response with no body and `Content-Length: 0`, as the live service sends after a refresh.
func emptyResponse(_ status: HTTPResponse.Status) -> Response {
    Response(status: status, headers: [.contentLength: "0"], body: ResponseBody())
}
