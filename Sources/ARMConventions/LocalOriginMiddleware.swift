import Foundation
import HTTPTypes
import Hummingbird

/// Which requests a server on the developer's machine answers, so that no web page in their browser can
/// drive it.
///
/// A page on any site can make the browser send requests to loopback. Simple requests (an HTML form, or
/// `fetch` with a text, form or untyped body) go out without a CORS preflight; and a hostile DNS name that
/// resolves to 127.0.0.1 (DNS rebinding) makes the page same-origin with the server, so it can read the
/// answers too. Hence, for every request, before any route:
/// - the `Host` must be a loopback name or address, or a name the server was told to answer to;
/// - a request that can change state and carries an `Origin` must come from the server itself or from an
///   origin the user allowed;
/// - a body must be of a media type its route declares (JSON unless a rule says otherwise), which no form
///   can send;
/// - CORS headers, preflights included, go only to the allowed origins.
public struct LocalOriginPolicy: Sendable {
    /// Host names and addresses answered beyond loopback: lowercase, without port or brackets.
    let hosts: Set<String>
    /// Origins whose pages may call the server (`--allow-origin`), normalised by ``normalisedOrigin(_:)``.
    let origins: Set<String>
    /// `http` or `https`, as the listener serves.
    let scheme: String
    let bodyRules: [RequestBodyRule]

    /// - Parameters:
    ///   - hosts: names to answer beyond loopback (the listen address, TLS names, `--allow-host`); a port is
    ///     ignored.
    ///   - origins: origins allowed to call the server from a browser (`--allow-origin`); each must pass
    ///     ``normalisedOrigin(_:)``.
    ///   - scheme: `http` or `https`, as the listener serves.
    ///   - bodyRules: routes that take something other than JSON; the first rule whose pattern matches wins.
    public init(hosts: [String], origins: [String], scheme: String, bodyRules: [RequestBodyRule] = []) {
        self.hosts = Set(hosts.compactMap { Self.hostName(ofAuthority: $0) })
        self.origins = Set(origins.compactMap(Self.normalisedOrigin))
        self.scheme = scheme.lowercased()
        self.bodyRules = bodyRules
    }

    /// `scheme://host[:port]` in lowercase, without a default port or a trailing slash; `nil` when `text` is
    /// not an origin.
    public static func normalisedOrigin(_ text: String) -> String? {
        let trimmed = text.hasSuffix("/") ? String(text.dropLast()) : text
        guard let separator = trimmed.range(of: "://") else { return nil }
        let scheme = trimmed[..<separator.lowerBound].lowercased()
        guard scheme == "http" || scheme == "https" else { return nil }
        let authority = String(trimmed[separator.upperBound...])
        guard !authority.contains("/"), !authority.contains("@"), let host = Self.hostName(ofAuthority: authority) else { return nil }
        let port = Self.port(ofAuthority: authority) ?? Self.defaultPort(scheme)
        guard let port else { return nil }
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return port == Self.defaultPort(scheme) ? "\(scheme)://\(shownHost)" : "\(scheme)://\(shownHost):\(port)"
    }

    /// Whether a `Host` header names this server: a loopback name or address, or an allowed name.
    /// A request without one (HTTP/1.0) is not a browser's, and passes.
    func allowsHost(_ authority: String?) -> Bool {
        guard let authority else { return true }
        if Self.isPlainLoopback(authority) { return true }
        guard let host = Self.hostName(ofAuthority: authority) else { return false }
        return Self.isLoopback(host) || self.hosts.contains(host)
    }

    /// Whether `authority` is `127.0.0.1` or `localhost`, with or without a port: what local clients send,
    /// recognised from its bytes (parsing the general form on every request was a thirtieth of a GET's CPU).
    static func isPlainLoopback(_ authority: String) -> Bool {
        var bytes = authority.utf8[...]
        guard bytes.starts(with: "127.0.0.1".utf8) || bytes.starts(with: "localhost".utf8) else { return false }
        bytes = bytes.dropFirst(9)
        guard let colon = bytes.first else { return true }
        let port = bytes.dropFirst()
        return colon == UInt8(ascii: ":") && (1...5).contains(port.count)
            && port.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }

    /// Whether `origin` may change state here: one of the allowed origins, or the server's own (its scheme,
    /// an allowed host, and the port the request was sent to).
    func allowsOrigin(_ origin: String, authority: String?) -> Bool {
        guard let normalised = Self.normalisedOrigin(origin) else { return false }
        if self.origins.contains(normalised) { return true }
        guard let authority, normalised.hasPrefix(self.scheme + "://") else { return false }
        let originAuthority = String(normalised.dropFirst(self.scheme.count + 3))
        guard let originHost = Self.hostName(ofAuthority: originAuthority),
            Self.isLoopback(originHost) || self.hosts.contains(originHost)
        else { return false }
        let defaultPort = Self.defaultPort(self.scheme)
        return (Self.port(ofAuthority: originAuthority) ?? defaultPort) == (Self.port(ofAuthority: authority) ?? defaultPort)
    }

    /// The response headers an allowed origin's script may read: the polling and error headers ARM clients use.
    static let exposedHeaders = [
        "Location", "Azure-AsyncOperation", "Retry-After", "retry-after-ms", "x-ms-retry-after-ms",
        "x-ms-request-id", "x-ms-correlation-request-id", "x-ms-error-code", "Warning",
    ].joined(separator: ", ")

    /// Whether `origin` gets CORS headers: only the allowed origins do.
    func sharesResponses(with origin: String) -> Bool {
        Self.normalisedOrigin(origin).map(self.origins.contains) ?? false
    }

    /// The media types a body sent to `path` may have.
    func acceptedMediaTypes(_ path: String) -> [MediaType] {
        self.bodyRules.first { $0.matches(path) }?.accepts ?? [.json]
    }

    // MARK: Host names

    /// The host of an authority (`name`, `name:port`, `[v6]`, `[v6]:port`), lowercase, without brackets or a
    /// trailing dot; `nil` when malformed.
    public static func hostName(ofAuthority authority: String) -> String? {
        var host: Substring
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let rest = authority[authority.index(after: close)...]
            guard rest.isEmpty || (rest.hasPrefix(":") && Self.isPort(rest.dropFirst())) else { return nil }
        } else {
            let colons = authority.filter { $0 == ":" }.count
            if colons == 1, let colon = authority.firstIndex(of: ":") {
                guard Self.isPort(authority[authority.index(after: colon)...]) else { return nil }
                host = authority[..<colon]
            } else {
                host = authority[...]
            }
        }
        if host.hasSuffix(".") { host = host.dropLast() }
        guard !host.isEmpty, !host.contains(where: { $0 == " " || $0 == "/" || $0 == "@" }) else { return nil }
        return host.lowercased()
    }

    private static func port(ofAuthority authority: String) -> Int? {
        let afterHost = authority.hasPrefix("[") ? authority.split(separator: "]", maxSplits: 1).dropFirst().first ?? "" : authority[...]
        guard afterHost.filter({ $0 == ":" }).count == 1, let colon = afterHost.firstIndex(of: ":") else { return nil }
        return Int(afterHost[afterHost.index(after: colon)...])
    }

    private static func isPort(_ text: Substring) -> Bool {
        !text.isEmpty && text.count <= 5 && text.allSatisfy(\.isASCIIDigit)
    }

    private static func defaultPort(_ scheme: String) -> Int? {
        switch scheme {
        case "http": 80
        case "https": 443
        default: nil
        }
    }

    /// Whether a host name or address (`--host`, a `Host` header) is loopback.
    public static func isLoopbackHost(_ authority: String) -> Bool {
        Self.hostName(ofAuthority: authority).map(Self.isLoopback) ?? false
    }

    /// `localhost`, an address in 127.0.0.0/8, or `::1`.
    static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" || host == "::1" || host == "0:0:0:0:0:0:0:1" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4, parts.allSatisfy({ Self.isPort($0) && UInt8($0) != nil }) else { return false }
        return parts[0] == "127"
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}

/// A media type a route takes, compared without case and without its parameters.
public struct MediaType: Sendable, Hashable, CustomStringConvertible {
    /// The `type/subtype` part, lowercase.
    public let essence: String

    public init(_ essence: String) {
        self.essence = essence.lowercased()
    }

    /// `application/json`; `application/…+json` types match it too.
    public static let json = MediaType("application/json")
    /// `application/x-www-form-urlencoded`: what an HTML form and the OAuth2 token endpoint send.
    public static let form = MediaType("application/x-www-form-urlencoded")

    public var description: String { self.essence }

    /// Whether a `Content-Type` value is this type (with any parameters).
    public func matches(_ contentType: String) -> Bool {
        let essence = contentType.split(separator: ";", maxSplits: 1).first?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
        if essence == self.essence { return true }
        return self == .json && essence.hasPrefix("application/") && essence.hasSuffix("+json")
    }
}

/// A route's declaration of the bodies it takes, when they are not JSON.
///
/// The pattern is a path whose segments are literals (matched without case), `*` (any one segment), or a
/// final `**` (anything below): `/_emulator/ui/**`, `/*/oauth2/v2.0/token`.
public struct RequestBodyRule: Sendable {
    let segments: [Substring]
    let accepts: [MediaType]

    public init(_ pattern: String, accepts: [MediaType]) {
        self.segments = pattern.split(separator: "/")
        self.accepts = accepts
    }

    func matches(_ path: String) -> Bool {
        let actual = path.split(separator: "/")
        for (index, expected) in self.segments.enumerated() {
            if expected == "**" { return actual.count > index }
            guard index < actual.count else { return false }
            if expected != "*", expected.lowercased() != actual[index].lowercased() { return false }
        }
        return actual.count == self.segments.count
    }
}

/// Applies a ``LocalOriginPolicy`` to every request, ahead of every route; see there for why.
///
/// It sits inside ``ARMRequestMiddleware``, so its refusals are ARM envelopes with request ids; errors from
/// below are rendered here when the answer goes to an allowed origin, so that it carries CORS headers too.
public struct LocalOriginMiddleware<Context: ARMRequestContext>: RouterMiddleware {
    let policy: LocalOriginPolicy

    public init(policy: LocalOriginPolicy) {
        self.policy = policy
    }

    public func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let authority = request.head.authority
        guard self.policy.allowsHost(authority) else {
            throw ARMError.disallowedHost(authority ?? "")
        }
        let origin = request.headers.firstValue(.origin)
        let changesState = ![.get, .head, .options].contains(request.method)
        if changesState, let origin, !self.policy.allowsOrigin(origin, authority: authority) {
            throw ARMError.crossOriginRequest(origin)
        }
        guard let origin, self.policy.sharesResponses(with: origin) else {
            if changesState { try self.checkBody(request) }
            return try await next(request, context)
        }
        if request.method == .options, let method = request.headers.firstValue(.accessControlRequestMethod) {
            return Self.preflight(origin: origin, method: method, headers: request.headers.firstValue(.accessControlRequestHeaders))
        }
        var response: Response
        do {
            if changesState { try self.checkBody(request) }
            response = try await next(request, context)
        } catch {
            response = try ARMRequestMiddleware<Context>.render(error, request: request, context: context)
        }
        response.headers[.accessControlAllowOrigin] = origin
        response.headers[.accessControlExposeHeaders] = LocalOriginPolicy.exposedHeaders
        response.headers[.vary] = "Origin"
        return response
    }

    /// A body must be of a type its route takes. One that may be present (a length above zero, or a type
    /// without a length) is checked; an empty one is not, so `curl -X POST -d ''` still works. A chunked body
    /// without a type passes: clients send an empty POST that way, and no browser sends a chunked request
    /// over HTTP/1.1 (streamed uploads need HTTP/2), so no web page can use it.
    private func checkBody(_ request: Request) throws {
        let contentType = request.headers.firstValue(.contentType)
        let length = request.headers.firstValue(.contentLength).flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        let hasBody =
            (length ?? 0) > 0 || (length == nil && contentType != nil)
        guard hasBody else { return }
        let accepted = self.policy.acceptedMediaTypes(request.uri.path)
        guard let contentType, accepted.contains(where: { $0.matches(contentType) }) else {
            throw ARMError.unsupportedMediaType(contentType ?? "", accepted: accepted.map(\.essence))
        }
    }

    private static func preflight(origin: String, method: String, headers: String?) -> Response {
        var fields: HTTPFields = [
            .accessControlAllowOrigin: origin,
            .accessControlAllowMethods: "GET, HEAD, PUT, PATCH, POST, DELETE, OPTIONS",
            .accessControlMaxAge: "600",
            .vary: "Origin",
        ]
        if let headers { fields[.accessControlAllowHeaders] = headers }
        return Response(status: .noContent, headers: fields)
    }
}

extension ARMError {
    /// A `Host` the server does not answer to: a DNS name rebound to loopback, or a name not allowed yet.
    static func disallowedHost(_ host: String) -> ARMError {
        ARMError(
            status: .forbidden,
            code: "DisallowedHost",
            message: "The host '\(host)' is not one this emulator answers to. Use localhost or 127.0.0.1, or start it with --allow-host NAME."
        )
    }

    /// A state-changing request from a page of another origin.
    static func crossOriginRequest(_ origin: String) -> ARMError {
        ARMError(
            status: .forbidden,
            code: "CrossOriginRequest",
            message: "Requests that change state are accepted only from the emulator's own pages or an --allow-origin origin; this one came from '\(origin)'."
        )
    }
}
