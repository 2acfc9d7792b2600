import ArgumentParser
import ARMConventions
import DataSyncHTTP
import DataSyncStore
import Foundation
import Hummingbird
import Logging

/// `datasync-emulator`: parses flags (and their `DATASYNC_EMULATOR_*` variables) and runs the server.
@main
struct Launcher {
    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        await EmulatorCommand.main(arguments + EnvironmentFlags.arguments(notIn: arguments))
    }
}

struct EmulatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "datasync-emulator",
        abstract: "A local emulator of the Azure SQL Data Sync management REST API.",
        discussion: "Every flag can also be set with DATASYNC_EMULATOR_<FLAG>, for example DATASYNC_EMULATOR_PORT=0."
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

    func validate() throws {
        guard (0...65535).contains(self.port) else { throw ValidationError("--port must be between 0 and 65535.") }
        guard self.retryAfter >= 0 else { throw ValidationError("--retry-after must not be negative.") }
        guard self.operationDelay >= 0 else { throw ValidationError("--operation-delay must not be negative.") }
    }

    func run() async throws {
        let configuration = EmulatorConfiguration(
            host: self.host,
            port: self.port,
            dataDirectory: self.inMemory ? nil : URL(fileURLWithPath: self.dataDir),
            retryAfter: self.retryAfter,
            operationDelay: self.operationDelay,
            longRunningStyle: self.lroStyle,
            apiVersionPolicy: self.apiVersionPolicy,
            location: self.location,
            logLevel: self.logLevel
        )
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = configuration.logLevel
            return handler
        }
        let application: any ApplicationProtocol
        do {
            application = try buildApplication(configuration) { baseURL in
                FileHandle.standardOutput.write(Data("datasync-emulator listening on \(baseURL)\n".utf8))
            }
        } catch let error as StateStoreError {
            Logger(label: "datasync-emulator").critical("Cannot open the emulator state", metadata: ["dse-error": "\(error)"])
            throw ExitCode(2)
        }
        try await application.runService()
    }
}

extension EmulatorConfiguration.LongRunningStyle: ExpressibleByArgument {}
extension APIVersionPolicy: ExpressibleByArgument {}
extension Logger.Level: @retroactive ExpressibleByArgument {}

/// Turns `DATASYNC_EMULATOR_<FLAG>` variables into arguments, for flags the command line does not give.
enum EnvironmentFlags {
    static let options = [
        "host", "port", "data-dir", "retry-after", "operation-delay", "lro-style", "api-version-policy", "location",
        "log-level",
    ]
    static let flags = ["in-memory"]

    static func arguments(
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
        for name in self.options where !isGiven(name) {
            if let value = variable(name) { result += ["--\(name)", value] }
        }
        for name in self.flags where !isGiven(name) {
            if let value = variable(name)?.lowercased(), ["1", "true", "yes", "on"].contains(value) {
                result.append("--\(name)")
            }
        }
        return result
    }
}
