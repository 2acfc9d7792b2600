import ARMConventions
import DataSyncEngine
import DataSyncHandlers
import DataSyncModel
import DataSyncStore
import EmulatorIdentity
import EmulatorTLS
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore

/// Builds the emulator: opens its state, wires handlers to routes, and returns a Hummingbird application.
///
/// This is the one place where concrete types are chosen. The executable only parses flags and calls it;
/// tests call it with their own clock.
/// - Parameters:
///   - configuration: the parsed command line.
///   - clock: the emulator's time source.
///   - onReady: called once with the base URL when the listener is bound (the readiness line).
/// - Throws: ``StateStoreError`` when the state cannot be opened.
public func buildApplication(
    _ configuration: EmulatorConfiguration,
    clock: EmulatorClock = EmulatorClock(),
    onReady: @escaping @Sendable (String) async -> Void = { _ in }
) throws -> some ApplicationProtocol {
    var logger = Logger(label: "datasync-emulator")
    logger.logLevel = configuration.logLevel
    let store = try openState(configuration, logger: logger)
    let tls = try ServingTLS.make(configuration.transportSecurity, dataDirectory: configuration.dataDirectory, logger: logger)
    let parts = try buildRouter(configuration, store: store, clock: clock, authority: tls?.authority)
    let scheme = configuration.scheme
    let recovery = parts.recovery
    let timeout = TimeAmount.milliseconds(Int64(configuration.requestTimeout * 1000))
    let http1 = HTTPServerBuilder.http1(
        configuration: HTTP1Channel.Configuration(
            additionalChannelHandlers: [
                ParseErrorHandler(),
                RequestDeadlineHandler(timeout: timeout),
                ClientDisconnectHandler(),
            ]
        )
    )
    let server: HTTPServerBuilder = try tls.map { try .tls(http1, tlsConfiguration: $0.configuration) } ?? http1
    return Application(
        responder: SingleSlashResponder(wrapping: parts.router.buildResponder()),
        server: server,
        configuration: ApplicationConfiguration(
            address: .hostname(configuration.host, port: configuration.port),
            serverName: "datasync-emulator"
        ),
        // Services stop in reverse order, after the server: the scheduler, then the store.
        services: [StateStoreCloser(store: store, logger: logger), SyncScheduler(coordinator: parts.coordinator)],
        onServerRunning: { channel in
            let port = channel.localAddress?.port ?? configuration.port
            let host = configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host
            // Nothing the previous process left in flight survives the readiness line.
            await recovery.run()
            await onReady("\(scheme)://\(host):\(port)")
        },
        logger: logger
    )
}

/// The router of the emulator: the control API, then every ARM path through one route table; the
/// coordinator of sync rounds, which the interval scheduler shares; and the recovery to run before serving.
func buildRouter(
    _ configuration: EmulatorConfiguration,
    store: StateStore,
    clock: EmulatorClock,
    authority: LocalCertificateAuthority? = nil
) throws -> (router: Router<EmulatorRequestContext>, coordinator: SyncCoordinator, recovery: LifecycleRecovery) {
    var mappings: [DatabaseKey: URL] = [:]
    for file in configuration.databaseFiles {
        mappings[try DatabaseKey(server: file.server, database: file.database)] = file.path
    }
    let databases = EmulatedDatabases(
        root: configuration.dataDirectory?.appendingPathComponent("databases"),
        mappings: mappings
    )
    for script in configuration.initScripts {
        do {
            _ = try databases.initialize(try DatabaseKey(server: script.server, database: script.database), script: script.path, now: clock.now)
        } catch let error as EngineError {
            throw InitScriptError(description: "--init-sql \(script.server)/\(script.database): \(error.description)")
        }
    }
    let environment = HandlerEnvironment(
        store: store,
        clock: clock,
        location: configuration.location,
        operationDelay: configuration.operationDelay,
        databases: databases
    )
    let coordinator = SyncCoordinator(environment: environment)
    let responder = LongRunningResponder(
        style: configuration.longRunningStyle,
        retryAfter: configuration.retryAfter,
        location: configuration.location,
        clock: clock
    )
    var table = ARMRouteTable(policy: configuration.apiVersionPolicy, scheme: configuration.scheme)
    let groupHandler = SyncGroupHandler(environment: environment, coordinator: coordinator)
    let pages = RenderedPages(store: store)
    SyncGroupController(handler: groupHandler, responder: responder, pages: pages)
        .addRoutes(to: &table)
    SyncMemberController(handler: SyncMemberHandler(environment: environment), responder: responder, pages: pages)
        .addRoutes(to: &table)
    SyncAgentController(handler: SyncAgentHandler(environment: environment), responder: responder, pages: pages)
        .addRoutes(to: &table)
    OperationResultsController(handler: OperationHandler(environment: environment), responder: responder)
        .addRoutes(to: &table)
    ResourceManagerController(store: store, location: configuration.location)
        .addRoutes(to: &table)

    let metrics = EmulatorMetrics()
    coordinator.observe { metrics.record($0) }
    let requestLog = RequestLog()
    var observers: [any RequestObserver] = [requestLog, metrics]
    if configuration.logRequests {
        var requestLogger = Logger(label: "datasync-emulator.requests")
        requestLogger.logLevel = configuration.logLevel
        observers.append(RequestLogWriter(logger: requestLogger))
    }

    let router = Router(context: EmulatorRequestContext.self)
    router.add(middleware: ARMRouteMatchMiddleware(table: table))
    router.add(middleware: RequestRecordingMiddleware(classify: { _, context in context.armRoute?.operation }, observers: observers))
    router.add(middleware: ARMRequestMiddleware())
    router.add(middleware: LocalOriginMiddleware(policy: configuration.localOriginPolicy))
    let signingKeys = try SigningKeyStore(directory: configuration.dataDirectory?.appendingPathComponent("identity"))
    router.add(
        middleware: SignInMiddleware(
            issuer: TokenIssuer(keys: signingKeys, clients: configuration.clients),
            scheme: configuration.scheme,
            port: configuration.port
        )
    )
    if configuration.authentication != .none {
        let openPaths: Set<String> = ["/_emulator/health", "/_emulator/ca.pem", "/metadata/endpoints"]
        router.add(
            middleware: BearerTokenMiddleware(
                verifier: AccessTokenVerifier(
                    keys: configuration.authentication == .token ? signingKeys : nil,
                    extraAudiences: ["\(configuration.scheme)://localhost:\(configuration.port)/", "\(configuration.scheme)://127.0.0.1:\(configuration.port)/"]
                ),
                isOpen: { openPaths.contains($0) }
            )
        )
    }
    EmulatorControlController(store: store, databases: databases, authority: authority).addRoutes(to: router)
    DatabaseQueryController(databases: databases, limits: configuration.queryLimits, clock: clock).addRoutes(to: router)
    ClockController(clock: clock, coordinator: coordinator).addRoutes(to: router)
    CloudMetadataController(scheme: configuration.scheme, port: configuration.port).addRoutes(to: router)
    RequestInspectorController(log: requestLog).addRoutes(to: router)
    MetricsController(metrics: metrics, store: store, clock: clock).addRoutes(to: router)
    DashboardController(
        store: store,
        databases: databases,
        clock: clock,
        coordinator: coordinator,
        groups: groupHandler,
        requests: requestLog
    ).addRoutes(to: router)
    router.add(middleware: ARMDispatchMiddleware(table: table))
    return (router, coordinator, LifecycleRecovery(environment: environment, coordinator: coordinator))
}

/// Opens the state; under `--repair`, a corrupt state file is moved aside (never overwritten) and the emulator
/// starts empty. A file that cannot be read (permissions, I/O) is never moved: repairing cannot help it.
func openState(_ configuration: EmulatorConfiguration, logger: Logger) throws -> StateStore {
    do {
        return try StateStore.open(directory: configuration.dataDirectory)
    } catch let error as StateStoreError where configuration.repair && error.isCorruption {
        let movedTo = try error.moveAside()
        logger.warning(
            "The state file could not be opened; it was moved aside and the emulator starts with an empty state",
            metadata: ["dse-error": "\(error)", "dse-moved-to": "\(movedTo.path)"]
        )
        return try StateStore.open(directory: configuration.dataDirectory)
    }
}

/// A `--init-sql` script that could not run: the start stops, and the message names the file, line and column.
public struct InitScriptError: Error, CustomStringConvertible {
    public let description: String
}
