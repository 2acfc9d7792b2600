import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Synchronization

/// One ARM request as the emulator answered it: what the request inspector lists, `--log-requests`
/// writes and metrics count. What it shows has secrets redacted (``Redaction``).
public struct RecordedRequest: Sendable {
    /// When the request arrived (wall-clock time, not the emulator's virtual clock).
    public var time: Date
    public var method: String
    /// The path as requested.
    let rawPath: String
    /// The query as requested, secrets included: only ``path`` and ``apiVersion`` read it. Most records are
    /// never shown, so redacting on every request was wasted work.
    let rawQuery: String?
    /// The operation the request called, as the recorder's classifier names it (an ARM operation id).
    public var operation: String
    public var status: Int
    public var duration: Duration
    /// The `x-ms-request-id` of the answer.
    public var requestID: String?
    /// The `x-ms-error-code` of the answer, for a failed request.
    public var errorCode: String?
    /// The request body as received, when small enough to keep; only ``body`` reads it.
    let rawBody: ByteBuffer?

    /// - Parameters:
    ///   - path: the path as requested.
    ///   - query: the query as requested, secrets included.
    ///   - body: the request body as received, secrets included.
    public init(
        time: Date,
        method: String,
        path: String,
        query: String?,
        operation: String,
        status: Int,
        duration: Duration,
        requestID: String?,
        errorCode: String?,
        body: ByteBuffer?
    ) {
        self.time = time
        self.method = method
        self.rawPath = path
        self.rawQuery = query
        self.operation = operation
        self.status = status
        self.duration = duration
        self.requestID = requestID
        self.errorCode = errorCode
        self.rawBody = body
    }

    /// The JSON request body with secrets redacted; `nil` when there was none, it was not JSON, or it was
    /// too large to keep.
    public var body: JSONValue? {
        guard let rawBody, let value = try? JSONValue.parse(Data(rawBody.readableBytesView)) else { return nil }
        return Redaction.json(value)
    }

    /// The path and query, with secret query values redacted.
    public var path: String { Redaction.pathAndQuery(path: self.rawPath, query: self.rawQuery) }

    /// The `api-version` query parameter, read as the router reads it.
    public var apiVersion: String? { queryParameter("api-version", inQuery: self.rawQuery) }

    /// The duration in milliseconds, as the inspector and the log show it.
    public var milliseconds: Double {
        let components = self.duration.components
        return Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15
    }
}

/// Something told about each recorded request: the inspector's memory, the request log, metrics.
public protocol RequestObserver: Sendable {
    /// A request for `operation` has arrived and is being served.
    func requestStarted(operation: String)
    /// A request has been answered.
    func requestFinished(_ request: RecordedRequest)
}

extension RequestObserver {
    /// Most observers care only about answered requests.
    public func requestStarted(operation: String) {}
}

/// The last requests, newest first, for the request inspector; older ones are forgotten.
public final class RequestLog: RequestObserver {
    /// How many requests are kept.
    public let capacity: Int
    /// A ring: once full, each request overwrites the oldest, so keeping one never moves the others.
    private let ring = Mutex<(entries: [RecordedRequest], next: Int)>(([], 0))

    public init(capacity: Int = 200) {
        self.capacity = max(1, capacity)
    }

    public func requestFinished(_ request: RecordedRequest) {
        self.ring.withLock { ring in
            if ring.entries.count < self.capacity {
                ring.entries.append(request)
            } else {
                ring.entries[ring.next] = request
            }
            ring.next = (ring.next + 1) % self.capacity
        }
    }

    /// At most `limit` of the kept requests, newest first.
    public func recent(limit: Int) -> [RecordedRequest] {
        self.ring.withLock { ring in
            let oldestFirst = ring.entries[ring.next...] + ring.entries[..<ring.next]
            return Array(oldestFirst.suffix(max(0, limit)).reversed())
        }
    }
}

/// Writes one log line per request (`--log-requests`), with the fields the inspector shows.
public struct RequestLogWriter: RequestObserver {
    let logger: Logger

    public init(logger: Logger) {
        self.logger = logger
    }

    public func requestFinished(_ request: RecordedRequest) {
        var metadata: Logger.Metadata = [
            "dse-operation": "\(request.operation)",
            "dse-status": "\(request.status)",
            "dse-duration-ms": "\(String(format: "%.3f", request.milliseconds))",
        ]
        if let apiVersion = request.apiVersion { metadata["dse-api-version"] = "\(apiVersion)" }
        if let requestID = request.requestID { metadata["dse-request-id"] = "\(requestID)" }
        if let errorCode = request.errorCode { metadata["dse-error-code"] = "\(errorCode)" }
        if let body = request.body { metadata["dse-body"] = "\(body.serialized())" }
        self.logger.info("\(request.method) \(request.path) \(request.status)", metadata: metadata)
    }
}

/// Records the requests that `classify` names (the ARM ones) and tells every observer.
///
/// Add it before ``ARMRequestMiddleware`` so that it sees the final answer: the error envelope's
/// `x-ms-error-code` and the `x-ms-request-id`. It keeps a JSON body only when its `Content-Length` is at most
/// ``bodyLimit``, so that a large or streamed body is never buffered for the inspector's sake.
public struct RequestRecordingMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The largest body kept, in bytes.
    public static var bodyLimit: Int { 64 * 1024 }

    let classify: @Sendable (Request, Context) -> String?
    let observers: [any RequestObserver]

    /// - Parameters:
    ///   - classify: the operation a request calls, or `nil` for a request not to record.
    ///   - observers: told about each recorded request.
    public init(
        classify: @escaping @Sendable (Request, Context) -> String?,
        observers: [any RequestObserver]
    ) {
        self.classify = classify
        self.observers = observers
    }

    public func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard let operation = self.classify(request, context) else {
            return try await next(request, context)
        }
        let time = Date()
        let start = ContinuousClock.now
        var request = request
        let body = await Self.keptBody(of: &request)
        for observer in self.observers { observer.requestStarted(operation: operation) }
        func finish(status: Int, headers: HTTPFields) {
            let record = RecordedRequest(
                time: time,
                method: request.method.rawValue,
                path: request.uri.path,
                query: request.uri.query,
                operation: operation,
                status: status,
                duration: start.duration(to: .now),
                requestID: headers.firstValue(.requestID),
                errorCode: headers.firstValue(.errorCode),
                body: body
            )
            for observer in self.observers { observer.requestFinished(record) }
        }
        do {
            let response = try await next(request, context)
            finish(status: response.status.code, headers: response.headers)
            return response
        } catch {
            finish(status: (error as? any HTTPResponseError)?.status.code ?? 500, headers: [:])
            throw error
        }
    }

    /// The body, collected into `request` so that the handler still reads it; parsed and redacted only when
    /// the record is shown.
    private static func keptBody(of request: inout Request) async -> ByteBuffer? {
        guard let length = request.headers[.contentLength].flatMap(Int.init), length > 0, length <= self.bodyLimit
        else { return nil }
        return try? await request.collectBody(upTo: self.bodyLimit)
    }
}
