import ARMConventions
import DataSyncEngine
import EmulatorIdentity
import Foundation
import Logging

/// Everything the command line decides, in one value; `buildApplication` turns it into a server.
public struct EmulatorConfiguration: Sendable {
    /// How writes answer: with 202 and polling as the live service does, or directly.
    public enum LongRunningStyle: String, Sendable, CaseIterable {
        case async
        case sync
    }

    public var host: String
    public var port: Int
    /// Where state lives; `nil` keeps everything in memory.
    public var dataDirectory: URL?
    /// The poll delay told to clients, in seconds.
    public var retryAfter: TimeInterval
    /// How long an operation stays in progress, in seconds.
    public var operationDelay: TimeInterval
    public var longRunningStyle: LongRunningStyle
    public var apiVersionPolicy: APIVersionPolicy
    public var location: String
    public var logLevel: Logger.Level
    public var transportSecurity: TransportSecurity
    public var authentication: AuthenticationMode
    /// The client credentials the token endpoint accepts (`--client ID:SECRET`); by default any.
    public var clients: ClientCredentials
    /// Emulated databases mapped to existing SQLite files (`--database SERVER/DB=PATH`).
    public var databaseFiles: [DatabaseFile]
    /// T-SQL scripts run at start on databases without user tables (`--init-sql SERVER/DB=FILE`).
    public var initScripts: [DatabaseFile] = []
    /// How long a connection may take to deliver a whole request, in seconds.
    public var requestTimeout: TimeInterval
    /// Whether each ARM request gets a log line, with what the request inspector shows (`--log-requests`).
    public var logRequests: Bool
    /// Move a state file that cannot be opened aside and start empty, instead of refusing to start.
    public var repair: Bool
    /// Host names answered beyond loopback, the listen address and the TLS names (`--allow-host`).
    public var allowedHosts: [String] = []
    /// Origins whose pages may call the emulator from a browser, with CORS (`--allow-origin`).
    public var allowedOrigins: [String] = []
    /// Seconds a query of the query endpoint may run (`--query-timeout`).
    public var queryTimeout: TimeInterval
    /// The largest answer of the query endpoint, in bytes of JSON (`--query-max-bytes`).
    public var queryMaxBytes: Int

    public init(
        host: String = "127.0.0.1",
        port: Int = 10880,
        dataDirectory: URL? = nil,
        retryAfter: TimeInterval = 0.01,
        operationDelay: TimeInterval = 0,
        longRunningStyle: LongRunningStyle = .async,
        apiVersionPolicy: APIVersionPolicy = .nearest,
        location: String = "westus2",
        logLevel: Logger.Level = .info,
        transportSecurity: TransportSecurity = .plain,
        authentication: AuthenticationMode = .none,
        clients: ClientCredentials = .any,
        databaseFiles: [DatabaseFile] = [],
        requestTimeout: TimeInterval = 30,
        repair: Bool = false,
        logRequests: Bool = false,
        queryTimeout: TimeInterval = 30,
        queryMaxBytes: Int = 16 << 20
    ) {
        self.host = host
        self.port = port
        self.dataDirectory = dataDirectory
        self.retryAfter = retryAfter
        self.operationDelay = operationDelay
        self.longRunningStyle = longRunningStyle
        self.apiVersionPolicy = apiVersionPolicy
        self.location = location
        self.logLevel = logLevel
        self.transportSecurity = transportSecurity
        self.authentication = authentication
        self.clients = clients
        self.databaseFiles = databaseFiles
        self.requestTimeout = requestTimeout
        self.repair = repair
        self.logRequests = logRequests
        self.queryTimeout = queryTimeout
        self.queryMaxBytes = queryMaxBytes
    }

    var queryLimits: QueryLimits {
        QueryLimits(timeout: self.queryTimeout, maxBytes: self.queryMaxBytes)
    }

    /// The `http` or `https` the listener serves.
    public var scheme: String {
        if case .plain = self.transportSecurity { return "http" }
        return "https"
    }
}

/// How the one listener is secured.
public enum TransportSecurity: Sendable {
    /// Plain HTTP.
    case plain
    /// TLS with a leaf issued by the emulator's own CA, for `localhost`, `127.0.0.1`, `::1` and `extraNames`.
    case localAuthority(extraNames: [String])
    /// TLS with a PEM certificate chain and key the user brings.
    case certificateFiles(certificate: URL, key: URL)
}

/// Whether ARM requests must carry a bearer token, and how much of it is checked.
public enum AuthenticationMode: String, Sendable, CaseIterable {
    /// Requests are accepted with or without a token.
    case none
    /// Requests need `Authorization: Bearer <JWT>` with a token the emulator's own token endpoint signed,
    /// unexpired, for the management audience.
    case token
    /// As ``token``, but the signature is not checked: for users who bring tokens of their own.
    case tokenUnsigned = "token-unsigned"
}

/// The emulator's version, reported by `/_emulator/health`.
public let emulatorVersion = "0.1.0"

/// An emulated database and a file the user chose for it: a SQLite file to map (`--database`), or a
/// T-SQL script to run at start (`--init-sql`).
public struct DatabaseFile: Sendable {
    public var server: String
    public var database: String
    public var path: URL

    /// Parses `SERVER/DB=PATH`; `nil` when malformed.
    public init?(argument: String) {
        guard let equals = argument.firstIndex(of: "="), let slash = argument[..<equals].firstIndex(of: "/") else { return nil }
        let server = String(argument[..<slash])
        let database = String(argument[argument.index(after: slash)..<equals])
        let path = String(argument[argument.index(after: equals)...])
        guard !server.isEmpty, !database.isEmpty, !path.isEmpty else { return nil }
        self.server = server
        self.database = database
        self.path = URL(fileURLWithPath: path)
    }
}

extension EmulatorConfiguration {
    /// Who may call the emulator (see ``LocalOriginPolicy``): loopback, the listen address, the TLS names
    /// and `--allow-host` names; the emulator's own pages and `--allow-origin` origins. Every body is JSON
    /// except the dashboard's form posts and the OAuth2 token requests (form-encoded, as OAuth2 defines them;
    /// a JSON body passes through, so that the token endpoint refuses it in OAuth2's own error shape).
    var localOriginPolicy: LocalOriginPolicy {
        var hosts = [self.host] + self.allowedHosts
        if case .localAuthority(let names) = self.transportSecurity { hosts += names }
        return LocalOriginPolicy(
            hosts: hosts,
            origins: self.allowedOrigins,
            scheme: self.scheme,
            bodyRules: [
                RequestBodyRule("/_emulator/ui/**", accepts: [.json, .form]),
                RequestBodyRule("/*/oauth2/v2.0/token", accepts: [.form, .json]),
                RequestBodyRule("/adfs/*/oauth2/v2.0/token", accepts: [.form, .json]),
            ]
        )
    }
}
