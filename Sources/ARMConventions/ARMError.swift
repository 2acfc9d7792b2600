import Foundation
import HTTPTypes
import Hummingbird

/// An error as ARM renders it: a status and the envelope `{"error":{"code","message"}}`.
///
/// This is the one place that writes error bodies; everything else throws and lets
/// ``ARMErrorMiddleware`` come here.
public struct ARMError: Error, Sendable, HTTPResponseError {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    /// Extra headers ARM sends with this error, such as `WWW-Authenticate`.
    public var headers: HTTPFields

    public init(status: HTTPResponse.Status, code: String, message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
    }

    /// The envelope body.
    public var body: JSONValue {
        .object(["error": .object(["code": .string(self.code), "message": .string(self.message)])])
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = self.headers
        headers[.contentType] = "application/json; charset=utf-8"
        headers[.errorCode] = self.code
        return Response(
            status: self.status,
            headers: headers,
            body: ResponseBody(byteBuffer: self.body.serializedBuffer())
        )
    }
}

extension ARMError {
    /// ARM's answer to a request without `api-version`.
    public static let missingAPIVersion = ARMError(
        status: .badRequest,
        code: "MissingApiVersionParameter",
        message: "The api-version query parameter (?api-version=) is required for all requests."
    )

    /// ARM's answer to an `api-version` it does not serve.
    public static func invalidAPIVersion(_ requested: String, supported: [APIVersion]) -> ARMError {
        ARMError(
            status: .badRequest,
            code: "InvalidApiVersionParameter",
            message: "The api-version '\(requested)' is invalid. The supported versions are '\(supported.map(\.rawValue).joined(separator: ","))'."
        )
    }

    /// A subscription id in a path that is not a GUID.
    public static func invalidSubscriptionID(_ subscription: String) -> ARMError {
        ARMError(
            status: .badRequest,
            code: "InvalidSubscriptionId",
            message: "The provided subscription identifier '\(subscription)' is malformed or invalid."
        )
    }

    /// A path the emulator does not serve.
    public static func pathNotFound(_ path: String) -> ARMError {
        ARMError(
            status: .notFound,
            code: "NotFound",
            message: "No HTTP resource was found that matches the request URI '\(path)'."
        )
    }

    /// A method a path does not have.
    public static func methodNotAllowed(_ method: String) -> ARMError {
        ARMError(
            status: .methodNotAllowed,
            code: "MethodNotAllowed",
            message: "The requested resource does not support http method '\(method)'."
        )
    }

    /// A body over ARM's 4 MiB request limit.
    public static let requestTooLarge = ARMError(
        status: .contentTooLarge,
        code: "RequestContentTooLarge",
        message: "The request content size exceeds the maximum size of 4 MB."
    )

    /// A body of a type its route does not take (JSON, unless the route says otherwise).
    public static func unsupportedMediaType(_ contentType: String, accepted: [String] = ["application/json"]) -> ARMError {
        let list = accepted.map { "'\($0)'" }.joined(separator: ", ")
        return ARMError(
            status: .unsupportedMediaType,
            code: "UnsupportedMediaType",
            message: "The content media type '\(contentType)' is not supported. Only \(list) \(accepted.count == 1 ? "is" : "are") supported."
        )
    }

    /// Request headers past what the server reads.
    public static func requestHeaderFieldsTooLarge(limit: String) -> ARMError {
        ARMError(
            status: .requestHeaderFieldsTooLarge,
            code: "RequestHeaderFieldsTooLarge",
            message: "The request headers are larger than the \(limit) the emulator accepts."
        )
    }

    /// Bytes that are not an HTTP/1.1 request.
    public static func malformedHTTP(_ reason: String) -> ARMError {
        ARMError(status: .badRequest, code: "BadRequest", message: "The request is not valid HTTP/1.1: \(reason).")
    }

    /// SQL the query endpoint cannot run: a syntax error, T-SQL outside the subset, a constraint.
    public static func invalidQuery(_ detail: String) -> ARMError {
        ARMError(status: .badRequest, code: "InvalidQuery", message: detail)
    }

    /// Anything unexpected; the request is answered and the server keeps serving.
    public static let internalServerError = ARMError(
        status: .internalServerError,
        code: "InternalServerError",
        message: "The server encountered an internal error. Please retry the request."
    )
}

/// ARM's request size limit.
public let armMaximumRequestBytes = 4 * 1024 * 1024
