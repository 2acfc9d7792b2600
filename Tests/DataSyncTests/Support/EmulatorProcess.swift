import ARMConventions
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
    /// - Parameter stderr: a file that receives the emulator's log, or `nil` to discard it.
    init(_ arguments: [String], environment: [String: String] = [:], stderr: URL? = nil) throws {
        self.process.executableURL = Self.binary
        self.process.arguments = arguments + ["--port", "0"]
        var processEnvironment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("DATASYNC_EMULATOR_") }
        processEnvironment.merge(environment) { $1 }
        self.process.environment = processEnvironment
        self.process.standardOutput = self.output
        if let stderr {
            FileManager.default.createFile(atPath: stderr.path, contents: nil)
            self.process.standardError = try FileHandle(forWritingTo: stderr)
        } else {
            self.process.standardError = FileHandle.nullDevice
        }
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
    func send(
        _ method: String,
        _ pathOrURL: String,
        body: String? = nil,
        contentType: String = "application/json"
    ) async throws -> (status: Int, headers: [String: String], text: String) {
        let url = URL(string: pathOrURL.hasPrefix("http") ? pathOrURL : self.baseURL + pathOrURL)!
        var request = URLRequest(url: url)
        request.httpMethod = method
        if let body {
            request.httpBody = Data(body.utf8)
            request.setValue(contentType, forHTTPHeaderField: "Content-Type")
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

extension EmulatorProcess {
    /// Runs the emulator to its exit (it is expected not to start), with `prefix` before it (such as setpriv).
    static func runToExit(_ arguments: [String], prefix: [String] = []) throws -> (status: Int32, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: prefix.first ?? EmulatorProcess.binary.path)
        process.arguments = prefix.isEmpty ? arguments + ["--port", "0"] : Array(prefix.dropFirst()) + [EmulatorProcess.binary.path] + arguments + ["--port", "0"]
        process.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("DATASYNC_EMULATOR_") }
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text)
    }

    typealias Answer = (status: Int, headers: [String: String], text: String)

    /// Polls the `Location` of a 202 until it stops answering 202 (at most 20 polls).
    func finish(_ accepted: Answer) async throws -> Answer {
        guard accepted.status == 202, let location = accepted.headers["location"] else { return accepted }
        var poll = try await self.send("GET", location)
        for _ in 0..<20 where poll.status == 202 {
            poll = try await self.send("GET", location)
        }
        return poll
    }

    /// Runs SQL in an emulated database.
    @discardableResult
    func sql(_ database: TestDatabase, _ sql: String) async throws -> Answer {
        let body = JSONValue.object(["sql": .string(sql), "dialect": .string("sqlite")]).serialized()
        return try await self.send("POST", "/_emulator/databases/\(database.server)/\(database.database)/query", body: body)
    }

    /// What the sqlite3 shell prints (output and errors) for `sql` run in `file`.
    static func sqlite3(_ file: URL, _ sql: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        process.arguments = [file.path, sql]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return output
    }

    /// `PRAGMA integrity_check` of every SQLite file under `directory`, by the sqlite3 shell.
    static func integrityProblems(under directory: URL) throws -> [String] {
        var problems: [String] = []
        let files = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil)?
            .compactMap { $0 as? URL }.filter { $0.pathExtension == "sqlite" } ?? []
        for file in files {
            let output = try self.sqlite3(file, "PRAGMA integrity_check;")
            if output.trimmingCharacters(in: .whitespacesAndNewlines) != "ok" {
                problems.append("\(file.lastPathComponent): \(output)")
            }
        }
        return files.isEmpty ? ["no SQLite file under \(directory.path)"] : problems
    }
}

struct EmulatorProcessError: Error, CustomStringConvertible {
    let message: String
    var description: String { self.message }
}

/// Runs a command-line tool to its end: its exit status and its output (stdout and stderr together).
func runTool(_ path: String, _ arguments: [String], input: Data? = nil) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    let pipe = Pipe()
    let stdin = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    process.standardInput = input == nil ? FileHandle.nullDevice : stdin
    try process.run()
    if let input {
        stdin.fileHandleForWriting.write(input)
        try stdin.fileHandleForWriting.close()
    }
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return (process.terminationStatus, output)
}

/// A fresh temporary directory, removed by the caller.
func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("dse-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}
