import Foundation
import HTTPTypes
import Hummingbird

/// Requires `Authorization: Bearer <JWT>` for the requests ARM would authenticate (`--auth token`).
///
/// It checks what ARM checks before anything else: the header is there, the token is a JWT whose
/// payload parses, it has not expired, and its audience is the management endpoint (or the emulator's
/// own URL). It does not check the signature: nothing issues tokens offline that a signature could be
/// checked against, and a local emulator gains nothing from refusing a well-formed token.
public struct BearerTokenMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Audiences ARM accepts, plus any the emulator adds (its own base URL).
    let audiences: Set<String>
    /// Paths that stay open: health, the CA certificate, cloud metadata.
    let openPaths: Set<String>
    let now: @Sendable () -> Date

    public init(extraAudiences: [String] = [], openPaths: Set<String>, now: @escaping @Sendable () -> Date = Date.init) {
        let standard = [
            "https://management.azure.com/", "https://management.azure.com",
            "https://management.core.windows.net/", "https://management.core.windows.net",
        ]
        self.audiences = Set((standard + extraAudiences).map { $0.lowercased() })
        self.openPaths = openPaths
        self.now = now
    }

    public func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        if self.openPaths.contains(request.uri.path) {
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
        let segments = parts[1].split(separator: ".", omittingEmptySubsequences: false)
        guard segments.count == 3, let claims = Self.decodeClaims(segments[1]), Self.decodeClaims(segments[0]) != nil else {
            throw Self.invalidToken("The access token is invalid.")
        }
        guard let expiry = (claims["exp"] as? NSNumber)?.doubleValue else {
            throw Self.invalidToken("The access token is missing the 'exp' claim.")
        }
        let now = self.now()
        guard expiry > now.timeIntervalSince1970 else {
            throw Self.failure(
                code: "ExpiredAuthenticationToken",
                message: "The access token expiry UTC time '\(Self.utc(Date(timeIntervalSince1970: expiry)))' is earlier than current UTC time '\(Self.utc(now))'.",
                description: "The access token is expired."
            )
        }
        let audiences: [String] =
            if let single = claims["aud"] as? String { [single] } else { claims["aud"] as? [String] ?? [] }
        guard audiences.contains(where: { self.audiences.contains($0.lowercased()) }) else {
            throw Self.failure(
                code: "InvalidAuthenticationTokenAudience",
                message: "The access token has been obtained for wrong audience or resource '\(audiences.first ?? "")'. It should exactly match with one of the allowed audiences '\(self.audiences.sorted().joined(separator: "','"))'.",
                description: "The access token has been obtained for wrong audience."
            )
        }
    }

    private static func decodeClaims(_ segment: Substring) -> [String: Any]? {
        var base64 = segment.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard let data = Data(base64Encoded: base64) else { return nil }
        return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
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
