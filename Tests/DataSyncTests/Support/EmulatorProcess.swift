import Foundation
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The real `datasync-emulator` binary, started as a child process on a free port.
final class EmulatorProcess: @unchecked Sendable {
    let process = Process()
    let baseURL: String
    private let output = Pipe()

    /// The built executable beside the test bundle.
    static var binary: URL {
        if let path = ProcessInfo.processInfo.environment["DATASYNC_EMULATOR_BINARY"] {
            return URL(fileURLWithPath: path)
        }
        let testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = testBinary.deletingLastPathComponent()
        while directory.path != "/" {
            let candidate = directory.appendingPathComponent("datasync-emulator")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        return URL(fileURLWithPath: ".build/debug/datasync-emulator")
    }

    /// Starts the emulator with `arguments` plus `--port 0`, and waits for its readiness line.
    init(_ arguments: [String], environment: [String: String] = [:]) throws {
        self.process.executableURL = Self.binary
        self.process.arguments = arguments + ["--port", "0"]
        var processEnvironment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("DATASYNC_EMULATOR_") }
        processEnvironment.merge(environment) { $1 }
        self.process.environment = processEnvironment
        self.process.standardOutput = self.output
        self.process.standardError = FileHandle.nullDevice
        try self.process.run()
        let line = try Self.readLine(from: self.output.fileHandleForReading, timeout: 30)
        let prefix = "datasync-emulator listening on "
        guard line.hasPrefix(prefix) else {
            throw EmulatorProcessError(message: "unexpected readiness line: \(line)")
        }
        self.baseURL = String(line.dropFirst(prefix.count))
    }

    /// Reads one line, giving up after `timeout` seconds.
    private static func readLine(from handle: FileHandle, timeout: TimeInterval) throws -> String {
        var collected = Data()
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            collected.append(chunk)
            if let newline = collected.firstIndex(of: 0x0A) {
                return String(decoding: collected[..<newline], as: UTF8.self)
            }
        }
        throw EmulatorProcessError(message: "no readiness line; got \(String(decoding: collected, as: UTF8.self))")
    }

    /// Sends `signal` and waits for the process to end.
    func stop(signal: Int32 = SIGTERM) {
        guard self.process.isRunning else { return }
        kill(self.process.processIdentifier, signal)
        self.process.waitUntilExit()
    }

    deinit {
        self.stop(signal: SIGKILL)
    }

    /// Sends one request and returns status, headers and body text.
    func send(_ method: String, _ pathOrURL: String, body: String? = nil) async throws -> (status: Int, headers: [String: String], text: String) {
        let url = URL(string: pathOrURL.hasPrefix("http") ? pathOrURL : self.baseURL + pathOrURL)!
        var request = URLRequest(url: url)
        request.httpMethod = method
        if let body {
            request.httpBody = Data(body.utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = response as! HTTPURLResponse
        var headers: [String: String] = [:]
        for (key, value) in http.allHeaderFields {
            headers[String(describing: key).lowercased()] = String(describing: value)
        }
        return (http.statusCode, headers, String(decoding: data, as: UTF8.self))
    }
}

struct EmulatorProcessError: Error, CustomStringConvertible {
    let message: String
    var description: String { self.message }
}

/// A fresh temporary directory, removed by the caller.
func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("dse-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}
