import ArgumentParser
import ARMConventions
import DataSyncHTTP
import DataSyncStore
import EmulatorIdentity
import EmulatorTLS
import Foundation
import Hummingbird
import Logging

/// `datasync-emulator`: parses flags (and their `DATASYNC_EMULATOR_*` variables) and runs the server.
@main
struct Launcher {
    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        let names = EnvironmentFlags.names(ofSubcommand: arguments.first)
        await EmulatorCommand.main(arguments + EnvironmentFlags.arguments(names, notIn: arguments))
    }
}

struct EmulatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "datasync-emulator",
        abstract: "A local emulator of the Azure SQL Data Sync management REST API.",
        discussion: "Every flag can also be set with DATASYNC_EMULATOR_<FLAG>, for example DATASYNC_EMULATOR_PORT=0.",
        version: emulatorVersion,
        subcommands: [ServeCommand.self, AuthorityCommand.self, ClientEnvironmentCommand.self, HealthCommand.self],
        defaultSubcommand: ServeCommand.self
    )
}

/// `datasync-emulator ca --print`: where the CA certificate to trust lives (created if absent).
struct AuthorityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ca",
        abstract: "Show the emulator's certificate authority, which --https uses."
    )

    @Flag(help: "Print the path of the CA certificate (ca.pem), creating the CA when absent.")
    var print = false

    @Option(help: "Where the emulator keeps its state.")
    var dataDir = "./.datasync-emulator"

    func run() throws {
        let directory = URL(fileURLWithPath: self.dataDir).appendingPathComponent("tls")
        let authority = try LocalCertificateAuthority.loadOrCreate(in: directory)
        if let reason = authority.replacementReason {
            FileHandle.standardError.write(Data("datasync-emulator: made a new local CA, because \(reason)\n".utf8))
        }
        if let path = authority.certificatePath?.standardizedFileURL.path {
            Swift.print(path)
        }
    }
}

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the emulator (the default)."
    )

    @Option(help: "The address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "The port to listen on; 0 picks a free port.")
    var port = 10880

    @Option(help: "Where the emulator keeps its state.")
    var dataDir = "./.datasync-emulator"

    @Flag(help: "Keep everything in memory and write nothing to disk.")
    var inMemory = false

    @Option(help: "The poll delay told to clients, in seconds.")
    var retryAfter = 0.01

    @Option(help: "How long an operation stays in progress, in seconds.")
    var operationDelay = 0.0

    @Option(help: "async: 202 and polling, as the live service; sync: final answers straight away.")
    var lroStyle = EmulatorConfiguration.LongRunningStyle.async

    @Option(help: "How to treat an unknown api-version: nearest, strict or any.")
    var apiVersionPolicy = APIVersionPolicy.nearest

    @Option(help: "The region the emulator pretends to run in.")
    var location = "westus2"

    @Option(help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel = Logger.Level.info

    @Flag(help: "Serve HTTPS with a certificate from the emulator's own CA (see `datasync-emulator ca --print`).")
    var https = false

    @Option(help: "Serve HTTPS with this PEM certificate chain (with --key).")
    var cert: String?

    @Option(help: "The PEM private key of --cert.")
    var key: String?

    @Option(help: "Another name (DNS or IP) the --https certificate covers; repeatable.")
    var tlsName: [String] = []

    @Option(help: "none: tokens optional; token: ARM requests need a bearer token the emulator signed (its token endpoint); token-unsigned: any unexpired JWT for the management audience.")
    var auth = AuthenticationMode.none

    @Option(help: "A client the token endpoint accepts, as ID:SECRET; repeatable. Without it, any id and secret.")
    var client: [String] = []

    @Option(help: "Map an emulated database to an existing SQLite file: SERVER/DB=PATH; repeatable.")
    var database: [String] = []

    @Option(help: "Run a T-SQL script on a database at start when it has no user tables yet: SERVER/DB=FILE; repeatable.")
    var initSql: [String] = []

    @Option(help: "Seconds a connection may take to deliver a whole request before it is closed.")
    var requestTimeout = 30.0

    @Flag(help: "Log each ARM request: method, path, api-version, status, duration, request id, error code.")
    var logRequests = false

    @Flag(help: "Move a corrupt state file aside (state.sqlite.corrupt-<time>) and start empty.")
    var repair = false

    @Option(help: "Another Host name to answer to, beyond loopback, --host and --tls-name; repeatable (the variable takes a comma-separated list).")
    var allowHost: [String] = []

    @Option(help: "An origin (scheme://host[:port]) whose pages may call the emulator from a browser, with CORS; repeatable (the variable takes a comma-separated list).")
    var allowOrigin: [String] = []
    @Option(help: "Seconds a query of the query endpoint may run before it is interrupted.")
    var queryTimeout = 30.0

    @Option(help: "The largest answer of the query endpoint, in bytes.")
    var queryMaxBytes = 16 << 20

    func validate() throws {
        guard (0...65535).contains(self.port) else { throw ValidationError("--port must be between 0 and 65535.") }
        guard self.retryAfter >= 0 else { throw ValidationError("--retry-after must not be negative.") }
        guard self.operationDelay >= 0 else { throw ValidationError("--operation-delay must not be negative.") }
        guard self.requestTimeout > 0 else { throw ValidationError("--request-timeout must be positive.") }
        guard self.queryTimeout > 0, self.queryTimeout <= 86_400 else {
            throw ValidationError("--query-timeout must be more than 0 and at most 86400 seconds.")
        }
        guard self.queryMaxBytes > 0 else { throw ValidationError("--query-max-bytes must be positive.") }
        // Seconds become whole milliseconds and header values: a day is plenty, and nothing past it can overflow.
        for (flag, seconds) in [("--retry-after", self.retryAfter), ("--operation-delay", self.operationDelay), ("--request-timeout", self.requestTimeout)]
        where !(seconds <= 86_400) {
            throw ValidationError("\(flag) must be at most 86400 seconds (a day).")
        }
        guard (self.cert == nil) == (self.key == nil) else { throw ValidationError("--cert and --key go together.") }
        guard !(self.https && self.cert != nil) else { throw ValidationError("Use either --https or --cert/--key.") }
        for credential in self.client where ClientCredentials.pair(argument: credential) == nil {
            throw ValidationError("--client takes ID:SECRET, both non-empty.")
        }
        for mapping in self.database where DatabaseFile(argument: mapping) == nil {
            throw ValidationError("--database takes SERVER/DB=PATH; got '\(mapping)'.")
        }
        for name in self.allowHost where LocalOriginPolicy.hostName(ofAuthority: name) == nil {
            throw ValidationError("--allow-host takes a host name or address, such as emulator or 192.168.1.20; got '\(name)'.")
        }
        for origin in self.allowOrigin where LocalOriginPolicy.normalisedOrigin(origin) == nil {
            throw ValidationError("--allow-origin takes scheme://host[:port], such as http://localhost:3000; got '\(origin)'.")
        }
        for script in self.initSql where DatabaseFile(argument: script) == nil {
            throw ValidationError("--init-sql takes SERVER/DB=FILE; got '\(script)'.")
        }
    }

    var transportSecurity: TransportSecurity {
        if let cert, let key {
            return .certificateFiles(certificate: URL(fileURLWithPath: cert), key: URL(fileURLWithPath: key))
        }
        return self.https ? .localAuthority(extraNames: self.tlsName) : .plain
    }

    func run() async throws {
        var configuration = EmulatorConfiguration(
            host: self.host,
            port: self.port,
            dataDirectory: self.inMemory ? nil : URL(fileURLWithPath: self.dataDir),
            retryAfter: self.retryAfter,
            operationDelay: self.operationDelay,
            longRunningStyle: self.lroStyle,
            apiVersionPolicy: self.apiVersionPolicy,
            location: self.location,
            logLevel: self.logLevel,
            transportSecurity: self.transportSecurity,
            authentication: self.auth,
            clients: ClientCredentials(self.client.compactMap(ClientCredentials.pair(argument:))),
            databaseFiles: self.database.compactMap(DatabaseFile.init(argument:)),
            requestTimeout: self.requestTimeout,
            repair: self.repair,
            logRequests: self.logRequests,
            queryTimeout: self.queryTimeout,
            queryMaxBytes: self.queryMaxBytes
        )
        configuration.allowedHosts = self.allowHost
        configuration.allowedOrigins = self.allowOrigin
        configuration.initScripts = self.initSql.compactMap(DatabaseFile.init(argument:))
        LoggingSystem.bootstrap { label in
            DeferredMetadataLogHandler(label: label, level: configuration.logLevel)
        }
        let logger = Logger(label: "datasync-emulator")
        if self.auth == .none, !["127.0.0.1", "localhost", "::1"].contains(self.host) {
            logger.warning(
                "Listening beyond loopback with --auth none: anyone who can reach this address can change the emulator's state",
                metadata: ["dse-host": "\(self.host)"]
            )
        }
        warnOfUnverifiedTokens(host: self.host, auth: self.auth, logger: logger)
        // Held until the process ends: a second emulator on this data dir exits before touching anything.
        let dataDirectoryLock: DataDirectoryLock?
        do {
            dataDirectoryLock = try configuration.dataDirectory.map(DataDirectoryLock.acquire)
        } catch {
            FileHandle.standardError.write(Data("datasync-emulator: \(error)\n".utf8))
            throw ExitCode(2)
        }
        let application: any ApplicationProtocol
        do {
            application = try buildApplication(configuration) { baseURL in
                FileHandle.standardOutput.write(Data("datasync-emulator listening on \(baseURL)\n".utf8))
            }
        } catch let error as StateStoreError {
            let advice =
                error.isCorruption
                ? "Move it aside yourself, or start with --repair to have it moved aside"
                : "Fix the cause (--repair only moves corrupt files aside)"
            logger.critical(
                "Cannot open the emulator state; it is left as it is. \(advice)",
                metadata: ["dse-error": "\(error)"]
            )
            throw ExitCode(2)
        } catch let error as InitScriptError {
            logger.critical("An --init-sql script failed; the emulator does not start", metadata: ["dse-error": "\(error)"])
            FileHandle.standardError.write(Data("datasync-emulator: \(error)\n".utf8))
            throw ExitCode(2)
        }
        defer { withExtendedLifetime(dataDirectoryLock) {} }
        try await application.runService()
    }
}

extension EmulatorConfiguration.LongRunningStyle: ExpressibleByArgument {}
extension APIVersionPolicy: ExpressibleByArgument {}
extension AuthenticationMode: ExpressibleByArgument {}
extension Logger.Level: @retroactive ExpressibleByArgument {}

/// Beyond loopback, `--auth token-unsigned` is a weaker lock than it looks: it checks a token's shape, expiry and
/// audience, not its signature, so anyone who can reach the address can write a token that passes.
func warnOfUnverifiedTokens(host: String, auth: AuthenticationMode, logger: Logger) {
    guard auth == .tokenUnsigned, !LocalOriginPolicy.isLoopbackHost(host) else { return }
    logger.warning(
        "Listening beyond loopback with --auth token-unsigned, whose check does not verify token signatures: anyone who can reach this address can make a token it accepts",
        metadata: ["dse-host": "\(host)", "dse-auth": "\(auth.rawValue)"]
    )
}

/// Turns `DATASYNC_EMULATOR_<FLAG>` variables into arguments, for flags the command line does not give.
enum EnvironmentFlags {
    /// The options and flags of `serve`, and of `ca`.
    static let serveNames = [
        "host", "port", "data-dir", "retry-after", "operation-delay", "lro-style", "api-version-policy", "location",
        "log-level", "cert", "key", "tls-name", "auth", "client", "database", "init-sql", "request-timeout", "in-memory", "https", "repair",
        "log-requests", "allow-host", "allow-origin", "query-timeout", "query-max-bytes",
    ]
    /// Repeatable options whose variable holds a comma-separated list, one option per item.
    static let lists: Set<String> = ["allow-host", "allow-origin"]
    static let authorityNames = ["data-dir"]
    /// The options of `env`.
    static let clientEnvironmentNames = ["url", "data-dir", "ca-file", "format"]
    /// The options of `health`.
    static let healthNames = ["url", "data-dir", "ca-file"]

    /// The names whose variables apply to the subcommand the arguments start with (`serve` when none).
    static func names(ofSubcommand first: String?) -> [String] {
        switch first {
        case "ca": self.authorityNames
        case "env": self.clientEnvironmentNames
        case "health": self.healthNames
        default: self.serveNames
        }
    }
    static let flags: Set<String> = ["in-memory", "https", "repair", "log-requests"]

    static func arguments(
        _ names: [String],
        notIn given: [String],
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> [String] {
        var result: [String] = []
        func variable(_ name: String) -> String? {
            environment["DATASYNC_EMULATOR_" + name.uppercased().replacingOccurrences(of: "-", with: "_")]
        }
        func isGiven(_ name: String) -> Bool {
            given.contains { $0 == "--\(name)" || $0.hasPrefix("--\(name)=") }
        }
        for name in names where !isGiven(name) {
            guard let value = variable(name) else { continue }
            if self.flags.contains(name) {
                if ["1", "true", "yes", "on"].contains(value.lowercased()) { result.append("--\(name)") }
            } else if self.lists.contains(name) {
                for item in value.split(separator: ",") where !item.trimmingCharacters(in: .whitespaces).isEmpty {
                    result += ["--\(name)", item.trimmingCharacters(in: .whitespaces)]
                }
            } else {
                result += ["--\(name)", value]
            }
        }
        return result
    }
}
