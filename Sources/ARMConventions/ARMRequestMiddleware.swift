import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// A request context that carries ARM's per-request id.
public protocol ARMRequestContext: RequestContext {
    /// The `x-ms-request-id` of this request, made with the context (``RandomUUID``); a long-running operation
    /// started by it takes the same id.
    var armRequestID: UUID { get }
}

/// The outermost middleware: answers every request with its ids, and turns every error into the ARM envelope.
///
/// Every response carries `x-ms-request-id` and `x-ms-correlation-request-id` (the client's when it sent
/// one). Nothing thrown below escapes as a bare 500 page: unknown errors become `InternalServerError`.
public struct ARMRequestMiddleware<Context: ARMRequestContext>: RouterMiddleware {
    public init() {}

    public func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let requestIDText = context.armRequestID.lowercasedString
        let correlationID = request.headers[.correlationRequestID].flatMap(UUID.init(canonical:))?.lowercasedString
            ?? requestIDText
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            response = try Self.render(error, request: request, context: context)
        }
        if !response.headers.contains(.requestID) {
            response.headers[.requestID] = requestIDText
        }
        response.headers[.correlationRequestID] = correlationID
        return response
    }

    /// The answer for `error`: its own for HTTP errors, the ARM envelope of `InternalServerError` otherwise.
    static func render(_ error: any Error, request: Request, context: Context) throws -> Response {
        if let error = error as? HTTPError {
            let armError: ARMError =
                switch error.status {
                case .contentTooLarge: .requestTooLarge
                case .notFound: .pathNotFound(request.uri.path)
                case .methodNotAllowed: .methodNotAllowed(request.method.rawValue)
                default: ARMError(status: error.status, code: "BadRequest", message: error.body ?? "The request is invalid.")
                }
            return try armError.response(from: request, context: context)
        }
        if let error = error as? any HTTPResponseError {
            return try error.response(from: request, context: context)
        }
        context.logger.error("Unexpected error", metadata: ["dse-error": "\(String(reflecting: type(of: error)))"])
        return try ARMError.internalServerError.response(from: request, context: context)
    }
}

extension HTTPFields {
    /// The value of the first field named `name`. The subscript joins every such field's value into a new
    /// string, at a cost the request path notices; the fields read this way occur once.
    public func firstValue(_ name: HTTPField.Name) -> String? {
        self.first { $0.name == name }?.value
    }
}

extension HTTPField.Name {
    /// ARM's id of one request.
    public static let requestID = HTTPField.Name("x-ms-request-id")!
    /// The id that ties a client's related requests together.
    public static let correlationRequestID = HTTPField.Name("x-ms-correlation-request-id")!
    /// The URL a client polls with `Location` semantics.
    public static let azureAsyncOperation = HTTPField.Name("Azure-AsyncOperation")!
    /// Sub-second poll delay, which the Azure SDKs honour where `Retry-After: 0` would mean "use my default".
    public static let retryAfterMilliseconds = HTTPField.Name("retry-after-ms")!
    /// The Microsoft spelling of ``retryAfterMilliseconds``.
    public static let msRetryAfterMilliseconds = HTTPField.Name("x-ms-retry-after-ms")!
    /// The error code of a failed request, for clients and the request inspector that do not read bodies.
    public static let errorCode = HTTPField.Name("x-ms-error-code")!
    /// The standard HTTP warning header.
    public static let warning = HTTPField.Name("Warning")!
}
