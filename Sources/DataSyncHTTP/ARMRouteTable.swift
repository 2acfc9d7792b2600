import ARMConventions
import DataSyncModel
import Foundation
import HTTPTypes
import Hummingbird

/// One matched ARM request: its path parameters, the api-version that serves it, and its body.
struct ARMCall: Sendable {
    let request: Request
    let context: EmulatorRequestContext
    let parameters: [String: String]
    let apiVersion: APIVersion
    let apiVersionWarning: String?
    /// `http` or `https`, as the listener serves; poll and next links use it.
    let scheme: String
    /// What `apiVersion` shows on the wire, worked out once per request.
    let features: WireFeatures
    var operationID: UUID { self.context.armRequestID }

    /// The decoded path parameter `name`, validated as a resource name of `kind`.
    func name(_ name: String, _ kind: ResourceKind) throws -> ResourceName {
        try ResourceName(self.parameters[name] ?? "", kind: kind)
    }

    func serverPath() throws -> ServerPath {
        let subscription = self.parameters["subscriptionId"] ?? ""
        guard UUID(uuidString: subscription) != nil else {
            throw ARMError(
                status: .badRequest,
                code: "InvalidSubscriptionId",
                message: "The provided subscription identifier '\(subscription)' is malformed or invalid."
            )
        }
        return ServerPath(
            subscriptionID: try self.name("subscriptionId", .subscription),
            resourceGroup: try self.name("resourceGroupName", .resourceGroup),
            server: try self.name("serverName", .server)
        )
    }

    func databasePath() throws -> DatabasePath {
        DatabasePath(server: try self.serverPath(), database: try self.name("databaseName", .database))
    }

    func syncGroupPath() throws -> SyncGroupPath {
        SyncGroupPath(database: try self.databasePath(), name: try self.name("syncGroupName", .syncGroup))
    }

    func syncMemberPath() throws -> SyncMemberPath {
        SyncMemberPath(group: try self.syncGroupPath(), name: try self.name("syncMemberName", .syncMember))
    }

    func syncAgentPath() throws -> SyncAgentPath {
        SyncAgentPath(server: try self.serverPath(), name: try self.name("syncAgentName", .syncAgent))
    }

    /// The query parameter `name` (matched without case, both sides percent-decoded).
    func query(_ name: String) -> String? {
        queryParameter(name, in: self.request)
    }

    /// The request body as a JSON object; `nil` when the body is empty.
    /// - Throws: 413 past ARM's limit, 415 for a non-JSON content type, `InvalidRequestContent` for bad JSON.
    func jsonBody() async throws -> JSONObject? {
        let buffer: ByteBuffer
        do {
            buffer = try await self.request.body.collect(upTo: armMaximumRequestBytes)
        } catch {
            throw ARMError.requestTooLarge
        }
        guard buffer.readableBytes > 0 else { return nil }
        if let contentType = self.request.headers[.contentType] {
            let mediaType = contentType.split(separator: ";").first.map {
                $0.trimmingCharacters(in: .whitespaces).lowercased()
            } ?? ""
            guard mediaType == "application/json" || mediaType.hasSuffix("+json") || mediaType == "text/json" else {
                throw ARMError.unsupportedMediaType(contentType)
            }
        }
        let data = Data(buffer.readableBytesView)
        guard String(data: data, encoding: .utf8) != nil else {
            throw DataSyncError.invalidRequestContent("The request body is not valid UTF-8.")
        }
        let value: JSONValue
        do {
            value = try JSONValue.parse(data)
        } catch let error as JSONParseError {
            throw DataSyncError.invalidRequestContent(error.reason)
        }
        guard case .object(let object) = value else {
            throw DataSyncError.invalidRequestContent(
                "Cannot deserialize the current JSON \(value.typeName.lowercased()) into an object. Path ''."
            )
        }
        return object
    }
}

/// The ARM routes, matched segment by segment without case for literals, as ARM matches them.
///
/// A route knows its methods, so a known path with an unknown method gets 405 rather than 404.
struct ARMRouteTable: Sendable {
    typealias Handler = @Sendable (ARMCall) async throws -> Response

    private enum Segment: Sendable {
        case literal(String)
        case parameter(String)
    }

    private struct Route: Sendable {
        let segments: [Segment]
        let versions: [APIVersion]
        var handlers: [HTTPRequest.Method: Handler]
    }

    private var routes: [Route] = []
    let policy: APIVersionPolicy
    let scheme: String

    init(policy: APIVersionPolicy, scheme: String) {
        self.policy = policy
        self.scheme = scheme
    }

    /// Adds `handler` for `method` on `template`, such as `/subscriptions/{subscriptionId}/...`.
    mutating func on(
        _ method: HTTPRequest.Method,
        _ template: String,
        versions: [APIVersion] = ServedAPIVersions.all,
        _ handler: @escaping Handler
    ) {
        let segments: [Segment] = template.split(separator: "/").map { part in
            part.hasPrefix("{") ? .parameter(String(part.dropFirst().dropLast())) : .literal(part.lowercased())
        }
        if let index = self.routes.firstIndex(where: { Self.sameShape($0.segments, segments) }) {
            self.routes[index].handlers[method] = handler
        } else {
            self.routes.append(Route(segments: segments, versions: versions, handlers: [method: handler]))
        }
    }

    private static func sameShape(_ a: [Segment], _ b: [Segment]) -> Bool {
        guard a.count == b.count else { return false }
        return zip(a, b).allSatisfy { pair in
            switch pair {
            case (.literal(let x), .literal(let y)): x == y
            case (.parameter, .parameter): true
            default: false
            }
        }
    }

    /// Whether `path` belongs to the ARM namespace this table serves.
    static func isARMPath(_ path: String) -> Bool {
        path.lowercased().hasPrefix("/subscriptions/")
    }

    /// Finds the route for `request`, checks its method and api-version, and runs its handler.
    func dispatch(_ request: Request, context: EmulatorRequestContext) async throws -> Response {
        let rawSegments = request.uri.path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        let segments = (rawSegments.last == "" ? rawSegments.dropLast() : rawSegments).map { raw in
            percentDecoded(raw)
        }
        let lowered = segments.map { $0.lowercased() }
        for route in self.routes {
            guard let parameters = Self.match(route.segments, segments, lowered: lowered) else { continue }
            guard let handler = route.handlers[request.method] else {
                var error = ARMError.methodNotAllowed(request.method.rawValue)
                error.headers[.allow] = route.handlers.keys.map(\.rawValue).sorted().joined(separator: ", ")
                throw error
            }
            let requested = queryParameter("api-version", in: request)
            let (served, warning) = try self.policy.resolve(requested, supported: route.versions)
            var response = try await handler(
                ARMCall(
                    request: request,
                    context: context,
                    parameters: parameters,
                    apiVersion: served,
                    apiVersionWarning: warning,
                    scheme: self.scheme,
                    features: WireFeatures(served)
                )
            )
            if let warning {
                response.headers[.warning] = "299 - \"\(warning)\""
            }
            return response
        }
        throw ARMError.pathNotFound(request.uri.path)
    }

    /// The parameters of `segments` when they fit `pattern`; `lowered` holds the same segments in lowercase,
    /// worked out once per request rather than once per route tried.
    private static func match(_ pattern: [Segment], _ segments: [String], lowered: [String]) -> [String: String]? {
        guard pattern.count == segments.count else { return nil }
        for (expected, actual) in zip(pattern, lowered) {
            if case .literal(let literal) = expected, literal != actual { return nil }
        }
        var parameters: [String: String] = [:]
        for (expected, actual) in zip(pattern, segments) {
            if case .parameter(let name) = expected { parameters[name] = actual }
        }
        return parameters
    }
}

/// Sends every request under `/subscriptions/` to the ARM route table, whatever its method, so that any
/// method a known path lacks gets 405; everything else goes on to the router (control API, dashboard).
struct ARMDispatchMiddleware: RouterMiddleware {
    let table: ARMRouteTable

    func handle(
        _ request: Request,
        context: EmulatorRequestContext,
        next: (Request, EmulatorRequestContext) async throws -> Response
    ) async throws -> Response {
        guard ARMRouteTable.isARMPath(request.uri.path) else { return try await next(request, context) }
        return try await self.table.dispatch(request, context: context)
    }
}

/// The value of query parameter `name` in `request`, read as ``queryParameter(_:inQuery:)`` reads it.
func queryParameter(_ name: String, in request: Request) -> String? {
    queryParameter(name, inQuery: request.uri.query)
}
