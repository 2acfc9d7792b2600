import EmulatorIdentity
import Foundation
import HTTPTypes
import Hummingbird

/// Requires `Authorization: Bearer <JWT>` for the requests ARM would authenticate (`--auth token` and
/// `--auth token-unsigned`), and answers as ARM does when it is missing or refused.
///
/// The header is checked here; the token itself by an ``AccessTokenVerifier``: structure, signature (the
/// emulator's own key, unless the verifier checks shapes only), expiry and audience.
public struct BearerTokenMiddleware<Context: RequestContext>: RouterMiddleware {
    let verifier: AccessTokenVerifier
    /// Whether a path stays open: health, the CA certificate, cloud metadata, the sign-in endpoints.
    let isOpen: @Sendable (String) -> Bool

    public init(verifier: AccessTokenVerifier, isOpen: @escaping @Sendable (String) -> Bool) {
        self.verifier = verifier
        self.isOpen = isOpen
    }

    public func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        if self.isOpen(request.uri.path) {
            return try await next(request, context)
        }
        try self.authenticate(request.headers[.authorization])
        return try await next(request, context)
    }

    func authenticate(_ header: String?) throws {
        guard let header, !header.isEmpty else {
            throw Self.failure(
                code: "AuthenticationFailed",
                message: "Authentication failed. The 'Authorization' header is missing.",
                description: "The authentication failed because of missing 'Authorization' header."
            )
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw Self.failure(
                code: "AuthenticationFailed",
                message: "Authentication failed. The 'Authorization' header is provided in an invalid format.",
                description: "The authentication failed because of invalid 'Authorization' header format."
            )
        }
        do {
            try self.verifier.verify(parts[1])
        } catch .invalid(let message) {
            throw Self.invalidToken(message)
        } catch .expired(let expiry, let now) {
            throw Self.failure(
                code: "ExpiredAuthenticationToken",
                message: "The access token expiry UTC time '\(Self.utc(expiry))' is earlier than current UTC time '\(Self.utc(now))'.",
                description: "The access token is expired."
            )
        } catch .wrongAudience(let audience, let accepted) {
            throw Self.failure(
                code: "InvalidAuthenticationTokenAudience",
                message: "The access token has been obtained for wrong audience or resource '\(audience)'. It should exactly match with one of the allowed audiences '\(accepted.joined(separator: "','"))'.",
                description: "The access token has been obtained for wrong audience."
            )
        }
    }

    private static func invalidToken(_ message: String) -> ARMError {
        failure(code: "InvalidAuthenticationToken", message: message, description: message)
    }

    private static func failure(code: String, message: String, description: String) -> ARMError {
        var headers = HTTPFields()
        headers[.wwwAuthenticate] =
            "Bearer authorization_uri=\"https://login.windows.net/\", error=\"invalid_token\", error_description=\"\(description)\""
        return ARMError(status: .unauthorized, code: code, message: message, headers: headers)
    }

    private static func utc(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "MM/dd/yyyy HH:mm:ss"
        return formatter.string(from: date)
    }
}
