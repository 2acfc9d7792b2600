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
    let clock: EmulatorClock

    /// The response to a write: 202 with `Location` (and `Azure-AsyncOperation` for groups from
    /// 2025-02-01-preview), or under `--lro-style sync` the final answer straight away, a failure included.
    func accepted(_ operation: LongRunningOperation, call: ARMCall, forceAsync: Bool = false) throws -> Response {
        if self.style == .sync, !forceAsync {
            if case .failed(let error) = operation.progress { throw error }
            return self.finalResponse(operation.result, wire: Wire(call.apiVersion), view: .get)
        }
        var headers = HTTPFields()
        headers[.location] = self.pollURL(operation, kind: .location, call: call)
        self.addAsyncOperation(to: &headers, operation: operation, call: call, onLocationPoll: false)
        headers[.requestID] = operation.id.uuidString.lowercased()
        self.addRetryAfter(to: &headers, operation: operation, call: call)
        return jsonResponse(.accepted, self.acceptedBody(operation), headers: headers)
    }

    /// A poll of a `…OperationResults` URL: 202 while running, then the final answer.
    func locationPoll(_ operation: LongRunningOperation, progress: OperationProgress, call: ARMCall) throws -> Response {
        switch progress {
        case .running:
            var headers = HTTPFields()
            headers[.location] = self.pollURL(operation, kind: .location, call: call)
            self.addAsyncOperation(to: &headers, operation: operation, call: call, onLocationPoll: true)
            self.addRetryAfter(to: &headers, operation: operation, call: call)
            return jsonResponse(.accepted, self.acceptedBody(operation), headers: headers)
        case .failed(let error):
            throw error
        case .succeeded:
            return self.finalResponse(operation.result, wire: Wire(call.apiVersion), view: .finalPoll)
        }
    }

    /// A poll of a `syncGroupAzureAsyncOperation` URL: always 200 with `{name,status,startTime}`.
    func asyncOperationPoll(_ operation: LongRunningOperation, progress: OperationProgress, call: ARMCall) -> Response {
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
        self.addRetryAfter(to: &headers, operation: operation, call: call)
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

    /// `Azure-AsyncOperation` where the live service sends it: group writes from 2025-02-01-preview, and a
    /// group DELETE's 202 and Location polls at 2015-05-01-preview (see ``WireFeatures``).
    private func addAsyncOperation(to headers: inout HTTPFields, operation: LongRunningOperation, call: ARMCall, onLocationPoll: Bool) {
        guard case .syncGroup = operation.result.family else { return }
        let isDelete = if case .groupDeleted = operation.result { true } else { false }
        if (call.features.identity && !onLocationPoll) || (isDelete && call.features.groupDeleteAsyncOperation) {
            headers[.azureAsyncOperation] = self.pollURL(operation, kind: .asyncOperation, call: call)
        }
    }

    /// The poll delay for this answer, written the way the calling client's poller reads it (see ``PollDelay``).
    private func addRetryAfter(to headers: inout HTTPFields, operation: LongRunningOperation, call: ARMCall) {
        let delay = PollDelay(
            configured: self.retryAfter,
            remaining: operation.readyAt.timeIntervalSince(self.clock.now),
            poller: PollerGeneration(userAgent: call.request.headers[.userAgent])
        )
        for (name, value) in delay.headers {
            headers[name] = value
        }
    }
}

/// The two generations of Azure SDK pollers, which read the poll delay differently.
enum PollerGeneration: Sendable, Equatable {
    /// msrest / msrestazure (azure-mgmt-sql 0.x): `time.sleep(int(Retry-After))` when the header is
    /// there, its 30 s default when it is not; it never reads `retry-after-ms`.
    case msrestAzure
    /// azure-core and every other client: `Retry-After` first, where 0 means its own default (30 s in
    /// Python), then `retry-after-ms` / `x-ms-retry-after-ms`.
    case azureCore

    /// msrestazure's configuration adds `msrest_azure/<version>` to every User-Agent it sends.
    init(userAgent: String?) {
        self = userAgent?.contains("msrest_azure/") == true ? .msrestAzure : .azureCore
    }
}

/// The one rule for the delay the emulator tells a polling client.
///
/// The wait is `--retry-after`, or the time the operation still stays in progress (`--operation-delay`)
/// when that is longer, so that no poller spins while an operation really runs. It goes out as each
/// generation reads it:
/// - azure-core: whole seconds as `Retry-After`, anything finer as `retry-after-ms` and
///   `x-ms-retry-after-ms` only, because `Retry-After: 0` would mean its 30 s default.
/// - msrestazure: `Retry-After` in whole seconds only. `Retry-After: 0` makes it poll again at once
///   (it sleeps `int("0")`), which is right when the answer is ready; while the operation still runs,
///   the wait is rounded up to whole seconds, because anything shorter would spin.
struct PollDelay: Sendable, Equatable {
    let configured: TimeInterval
    /// Seconds until the operation stops being in progress; zero or less once it is done.
    let remaining: TimeInterval
    let poller: PollerGeneration

    /// The wait, capped where a header's integer still holds it (an absurd `--operation-delay` must not trap).
    var seconds: TimeInterval { min(max(self.configured, self.remaining), Self.longest) }

    private static let longest: TimeInterval = 2_147_483

    var headers: [(HTTPField.Name, String)] {
        switch self.poller {
        case .msrestAzure:
            let whole = self.remaining > 0 ? self.seconds.rounded(.up) : min(self.configured, Self.longest).rounded(.down)
            return [(.retryAfter, String(Int(whole)))]
        case .azureCore:
            let seconds = self.seconds
            if seconds >= 1, seconds.rounded() == seconds {
                return [(.retryAfter, String(Int(seconds)))]
            }
            let milliseconds = String(max(1, Int((seconds * 1000).rounded(.up))))
            return [(.retryAfterMilliseconds, milliseconds), (.msRetryAfterMilliseconds, milliseconds)]
        }
    }
}
