import ARMConventions
import DataSyncModel
import Foundation
import HTTPTypes
import Hummingbird
import Synchronization

/// One matched ARM request: its path parameters, the api-version that serves it, and its body.
struct ARMCall: Sendable {
    let request: Request
    let context: EmulatorRequestContext
    let parameters: PathParameters
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
        guard UUID(canonical: subscription) != nil else { throw ARMError.invalidSubscriptionID(subscription) }
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
    /// - Throws: 413 past ARM's limit, `InvalidRequestContent` for bad JSON. (``LocalOriginMiddleware`` has
    ///   already refused a body that is not JSON, with 415.)
    func jsonBody() async throws -> JSONObject? {
        let buffer: ByteBuffer
        do {
            buffer = try await self.request.body.collect(upTo: armMaximumRequestBytes)
        } catch {
            throw ARMError.requestTooLarge
        }
        guard buffer.readableBytes > 0 else { return nil }
        let value: JSONValue
        do {
            value = try await parseJSONBody(buffer)
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

/// A request matched against the ARM routes. The outermost middleware matches each request once and
/// keeps the result in its context, where the request recorder reads the operation's name and
/// ``ARMDispatchMiddleware`` finds the handler.
struct ARMRouteMatch: Sendable {
    /// The contract's operation id for the request's method and path (`SyncGroups_Get`), or
    /// ``ARMRouteTable/unknownOperation`` when no route has the path or the method.
    let operation: String
    /// The index of the route whose path matched; `nil` when none did.
    fileprivate let route: Int?
    /// The path parameters, percent-decoded.
    let parameters: PathParameters
}

/// The parameters of a matched path, by name: at most six, so a list beats hashing them into a dictionary.
struct PathParameters: Sendable {
    fileprivate(set) var values: [(name: String, value: String)] = []

    subscript(name: String) -> String? {
        self.values.first { $0.name == name }?.value
    }
}

/// The ARM routes, each with the contract's operation id, matched segment by segment (literals without
/// case, as ARM matches them).
///
/// A route knows its methods, so a known path with an unknown method gets 405 rather than 404.
struct ARMRouteTable: Sendable {
    typealias Handler = @Sendable (ARMCall) async throws -> Response

    /// The name of an ARM request that matches no operation (it is answered 404 or 405).
    static let unknownOperation = "Unknown"

    private enum Segment: Sendable {
        /// Lowercase ASCII bytes.
        case literal([UInt8])
        case parameter(String)
    }

    private struct Operation: Sendable {
        let name: String
        let handler: Handler
    }

    private struct Route: Sendable {
        let segments: [Segment]
        let versions: [APIVersion]
        var operations: [HTTPRequest.Method: Operation]
    }

    private var routes: [Route] = []
    private let matched = MatchedPaths()
    let policy: APIVersionPolicy
    let scheme: String

    init(policy: APIVersionPolicy, scheme: String) {
        self.policy = policy
        self.scheme = scheme
    }

    /// Adds `handler` for `method` on `template`, such as `/subscriptions/{subscriptionId}/...`, as the
    /// contract's operation `operation` (`SyncGroups_Get`), which the request inspector and metrics show.
    mutating func on(
        _ method: HTTPRequest.Method,
        _ template: String,
        _ operation: String,
        versions: [APIVersion] = ServedAPIVersions.all,
        _ handler: @escaping Handler
    ) {
        let segments: [Segment] = template.split(separator: "/").map { part in
            part.hasPrefix("{") ? .parameter(String(part.dropFirst().dropLast())) : .literal(Array(part.lowercased().utf8))
        }
        let entry = Operation(name: operation, handler: handler)
        if let index = self.routes.firstIndex(where: { Self.sameShape($0.segments, segments) }) {
            self.routes[index].operations[method] = entry
        } else {
            self.routes.append(Route(segments: segments, versions: versions, operations: [method: entry]))
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

    /// Whether `path` belongs to the ARM namespace this table serves (`/subscriptions` and below, without case).
    private static func isARMPath(_ path: String) -> Bool {
        let prefix = "/subscriptions".utf8
        let bytes = path.utf8
        guard bytes.count >= prefix.count, zip(prefix, bytes).allSatisfy({ $0 == asciiLowercased($1) }) else { return false }
        return bytes.count == prefix.count || bytes[bytes.index(bytes.startIndex, offsetBy: prefix.count)] == UInt8(ascii: "/")
    }

    /// The route and operation of `method` on `path`; `nil` outside the ARM namespace.
    func match(_ method: HTTPRequest.Method, path: String) -> ARMRouteMatch? {
        guard Self.isARMPath(path) else { return nil }
        let (route, parameters) = self.matched.result(path) { self.matchPath(path) }
        let operation = route.flatMap { self.routes[$0].operations[method]?.name } ?? Self.unknownOperation
        return ARMRouteMatch(operation: operation, route: route, parameters: parameters)
    }

    /// The index of the route `path` fits, with its parameters; `nil` and none when no route fits.
    private func matchPath(_ path: String) -> (route: Int?, parameters: PathParameters) {
        var segments = path.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).dropFirst()
        if segments.last?.isEmpty == true { segments = segments.dropLast() }
        for (index, route) in self.routes.enumerated() where route.segments.count == segments.count {
            guard zip(route.segments, segments).allSatisfy({ Self.literalMatches($0, $1) }) else { continue }
            var parameters = PathParameters()
            for (expected, actual) in zip(route.segments, segments) {
                if case .parameter(let name) = expected { parameters.values.append((name, percentDecoded(Substring(actual)))) }
            }
            return (index, parameters)
        }
        return (nil, PathParameters())
    }

    /// Whether `actual` fits `expected`: any segment fits a parameter; a literal fits its spelling in any case,
    /// percent-encoded or not.
    private static func literalMatches(_ expected: Segment, _ actual: Substring.UTF8View) -> Bool {
        guard case .literal(let literal) = expected else { return true }
        if actual.contains(UInt8(ascii: "%")) {
            return Array(percentDecoded(Substring(actual)).lowercased().utf8) == literal
        }
        return literal.count == actual.count && zip(literal, actual).allSatisfy { $0 == asciiLowercased($1) }
    }

    /// Runs the handler `match` found for `request`, after checking its method and api-version.
    func dispatch(_ match: ARMRouteMatch, _ request: Request, context: EmulatorRequestContext) async throws -> Response {
        guard let index = match.route else { throw ARMError.pathNotFound(request.uri.path) }
        let route = self.routes[index]
        guard let operation = route.operations[request.method] else {
            var error = ARMError.methodNotAllowed(request.method.rawValue)
            error.headers[.allow] = route.operations.keys.map(\.rawValue).sorted().joined(separator: ", ")
            throw error
        }
        let requested = queryParameter("api-version", in: request)
        let (served, warning) = try self.policy.resolve(requested, supported: route.versions)
        var response = try await operation.handler(
            ARMCall(
                request: request,
                context: context,
                parameters: match.parameters,
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
}

/// The routes that paths matched, by path: clients ask for the same few paths again and again (polls, GETs
/// of the same resource), and matching segment by segment against every route was a twentieth of a GET's
/// CPU (BENCHMARKS.md).
private final class MatchedPaths: Sendable {
    /// At most this many paths are kept; past it the memo starts again empty, which bounds its memory.
    static var capacity: Int { 1024 }
    private let results = Mutex<[String: (route: Int?, parameters: PathParameters)]>([:])

    /// What `match` answers for `path`, run only the first time `path` is seen.
    func result(
        _ path: String,
        match: () -> (route: Int?, parameters: PathParameters)
    ) -> (route: Int?, parameters: PathParameters) {
        if let known = self.results.withLock({ $0[path] }) { return known }
        let result = match()
        self.results.withLock { results in
            if results.count >= Self.capacity { results.removeAll(keepingCapacity: true) }
            results[path] = result
        }
        return result
    }
}

/// Matches every request against the ARM routes, once, before anything else reads the match.
struct ARMRouteMatchMiddleware: RouterMiddleware {
    let table: ARMRouteTable

    func handle(
        _ request: Request,
        context: EmulatorRequestContext,
        next: (Request, EmulatorRequestContext) async throws -> Response
    ) async throws -> Response {
        var context = context
        context.armRoute = self.table.match(request.method, path: request.uri.path)
        return try await next(request, context)
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
        guard let match = context.armRoute else { return try await next(request, context) }
        return try await self.table.dispatch(match, request, context: context)
    }
}

/// The value of query parameter `name` in `request`, read as ``queryParameter(_:inQuery:)`` reads it.
func queryParameter(_ name: String, in request: Request) -> String? {
    queryParameter(name, inQuery: request.uri.query)
}
