import EmulatorIdentity
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The Entra-like sign-in endpoints: OpenID discovery, the client-credentials token endpoint and the key
/// set, under `/{tenant}/…`, `/adfs/…` and `/adfs/{tenant}/…` (see ``IdentityEndpoint``).
///
/// A middleware rather than routes, because one path shape (`/{tenant}/…`) holds many literals; it answers
/// before authentication, since clients come here to get the token they lack. Errors take OAuth's shape
/// (`{"error":"invalid_client",…}`), which MSAL reads, not ARM's envelope.
struct SignInMiddleware: RouterMiddleware {
    let issuer: TokenIssuer
    let scheme: String
    let port: Int

    /// Larger form bodies are refused; a client-credentials request is a few hundred bytes.
    private static let maximumFormBytes = 64 * 1024

    func handle(
        _ request: Request,
        context: EmulatorRequestContext,
        next: (Request, EmulatorRequestContext) async throws -> Response
    ) async throws -> Response {
        guard let endpoint = IdentityEndpoint(path: request.uri.path) else { return try await next(request, context) }
        let baseURL = requestBaseURL(request, scheme: self.scheme, port: self.port)
        do {
            switch endpoint {
            case .openIDConfiguration(let authority):
                try Self.require([.get, .head], request)
                return Self.json(.ok, serializedJSON(openIDConfiguration(for: authority, baseURL: baseURL)))
            case .keys:
                try Self.require([.get, .head], request)
                return Self.json(.ok, try self.issuer.keySet())
            case .token(let authority):
                try Self.require([.post], request)
                let form = try await Self.formBody(request)
                var response = Self.json(.ok, try self.issuer.issue(form: form, authority: authority, baseURL: baseURL))
                response.headers[.cacheControl] = "no-store"
                return response
            }
        } catch let error as OAuthError {
            return Self.json(HTTPResponse.Status(code: error.status), error.body)
        }
    }

    private static func require(_ methods: [HTTPRequest.Method], _ request: Request) throws {
        guard methods.contains(request.method) else {
            throw OAuthError(
                status: 405,
                error: "invalid_request",
                code: 900561,
                description: "AADSTS900561: The endpoint only accepts \(methods[0].rawValue) requests. Received a \(request.method.rawValue) request."
            )
        }
    }

    private static func formBody(_ request: Request) async throws -> String {
        let mediaType = request.headers[.contentType]?.split(separator: ";").first?
            .trimmingCharacters(in: .whitespaces).lowercased()
        guard mediaType == "application/x-www-form-urlencoded" else {
            throw OAuthError(
                status: 400,
                error: "invalid_request",
                code: 900144,
                description: "AADSTS900144: The request body must be application/x-www-form-urlencoded and contain the parameter 'grant_type'."
            )
        }
        guard let buffer = try? await request.body.collect(upTo: Self.maximumFormBytes) else {
            throw OAuthError(status: 413, error: "invalid_request", code: 90020, description: "The request body is too large.")
        }
        return String(buffer: buffer)
    }

    private static func json(_ status: HTTPResponse.Status, _ body: Data) -> Response {
        Response(
            status: status,
            headers: [.contentType: "application/json; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: body))
        )
    }
}
