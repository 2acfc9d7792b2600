import Foundation
import Testing

/// `datasync-emulator env`: the real binary, its output read back by a shell, by JSON, and used with curl
/// against a running emulator.
@Suite(.serialized) struct ClientEnvironmentTests {
    /// Runs `executable` with `arguments` and only `environment` (plus PATH); returns status, stdout, stderr.
    private func run(
        _ executable: URL,
        _ arguments: [String],
        environment: [String: String] = [:]
    ) throws -> (status: Int32, output: String, error: String) {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = environment.merging(["PATH": "/usr/bin:/bin"]) { given, _ in given }
        let output = Pipe()
        let error = Pipe()
        process.standardOutput = output
        process.standardError = error
        try process.run()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        let errorData = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: outputData, as: UTF8.self), String(decoding: errorData, as: UTF8.self))
    }

    private func environment(_ arguments: [String], variables: [String: String] = [:]) throws -> (status: Int32, output: String, error: String) {
        try self.run(EmulatorProcess.binary, ["env"] + arguments, environment: variables)
    }

    private func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test("against a running --https emulator: the URLs reach it and the CA is the one that verifies it")
    func runningEmulator() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let emulator = try EmulatorProcess(["--https", "--data-dir", directory.path])
        defer { emulator.stop() }
        let printed = try self.environment(["--url", emulator.baseURL, "--data-dir", directory.path, "--format", "json"])
        #expect(printed.status == 0, "\(printed.error)")
        let variables = try self.json(printed.output)
        let caPath = directory.appendingPathComponent("tls/ca.pem").standardizedFileURL.path
        #expect(variables["DATASYNC_EMULATOR_URL"] as? String == emulator.baseURL)
        #expect(variables["DATASYNC_EMULATOR_ARM_ENDPOINT"] as? String == emulator.baseURL + "/")
        #expect(variables["DATASYNC_EMULATOR_CA_FILE"] as? String == caPath)
        #expect(variables["REQUESTS_CA_BUNDLE"] as? String == caPath)
        #expect(variables["SSL_CERT_FILE"] as? String == caPath)
        #expect(variables["AZURE_AUTHORITY_HOST"] as? String == emulator.baseURL + "/adfs")
        let tenant = try #require(variables["AZURE_TENANT_ID"] as? String)
        #expect(UUID(uuidString: tenant) != nil)

        // The metadata URL, fetched trusting only the printed CA, names the printed ARM endpoint.
        let metadataURL = try #require(variables["DATASYNC_EMULATOR_METADATA_URL"] as? String)
        let fetched = try self.run(URL(fileURLWithPath: "/usr/bin/curl"), ["-sS", "--max-time", "10", "--cacert", caPath, metadataURL])
        #expect(fetched.status == 0, "\(fetched.error)")
        let cloud = try #require(try JSONSerialization.jsonObject(with: Data(fetched.output.utf8)) as? [String: Any])
        #expect(cloud["resourceManager"] as? String == emulator.baseURL + "/")
        #expect(cloud["name"] as? String == "DataSyncEmulator")

        let register = try #require(variables["azCloudRegister"] as? [String])
        #expect(Array(register.prefix(5)) == ["az", "cloud", "register", "--name", "DataSyncEmulator"])
        #expect(register.contains(emulator.baseURL + "/"))
    }

    @Test("sh output survives eval with a data dir holding spaces and quotes; dotenv and powershell name the same values")
    func shellFormats() throws {
        let directory = try temporaryDirectory().appendingPathComponent("it's a dir")
        defer { try? FileManager.default.removeItem(at: directory.deletingLastPathComponent()) }
        let authority = try self.run(EmulatorProcess.binary, ["ca", "--print", "--data-dir", directory.path])
        let caPath = authority.output.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(authority.status == 0)
        let arguments = ["--url", "https://localhost:4443/", "--data-dir", directory.path]

        let sh = try self.environment(arguments)
        #expect(sh.status == 0, "\(sh.error)")
        let evaluated = try self.run(
            URL(fileURLWithPath: "/bin/sh"),
            ["-c", #"eval "$1" && printf '%s\n' "$REQUESTS_CA_BUNDLE" "$DATASYNC_EMULATOR_METADATA_URL" "$AZURE_AUTHORITY_HOST""#, "sh", sh.output]
        )
        #expect(evaluated.status == 0, "\(evaluated.error)")
        #expect(evaluated.output == "\(caPath)\nhttps://localhost:4443/metadata/endpoints?api-version=2022-09-01\nhttps://localhost:4443/adfs\n")

        let dotenv = try self.environment(arguments + ["--format", "dotenv"])
        let pairs = dotenv.output.split(separator: "\n").map { $0.split(separator: "=", maxSplits: 1).map(String.init) }
        #expect(pairs.allSatisfy { $0.count == 2 })
        #expect(pairs.first { $0[0] == "SSL_CERT_FILE" }?[1] == caPath)

        let powershell = try self.environment(arguments + ["--format", "powershell"])
        let quotedPath = "'" + caPath.replacingOccurrences(of: "'", with: "''") + "'"
        #expect(powershell.output.contains("$env:REQUESTS_CA_BUNDLE = \(quotedPath)\n"))
        #expect(powershell.output.contains("$env:AZURE_AUTHORITY_HOST = 'https://localhost:4443/adfs'\n"))
    }

    @Test("a plain http:// emulator needs no CA; the address can come from DATASYNC_EMULATOR_URL")
    func plainAndVariables() throws {
        let printed = try self.environment(["--format", "json"], variables: ["DATASYNC_EMULATOR_URL": "http://127.0.0.1:5555"])
        #expect(printed.status == 0, "\(printed.error)")
        let variables = try self.json(printed.output)
        #expect(variables["DATASYNC_EMULATOR_ARM_ENDPOINT"] as? String == "http://127.0.0.1:5555/")
        #expect(variables["REQUESTS_CA_BUNDLE"] == nil)
        #expect(variables["DATASYNC_EMULATOR_CA_FILE"] == nil)
    }

    @Test("an https:// URL without a CA, and a URL that is not an emulator's address, are refused with a reason")
    func refusals() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let missing = try self.environment(["--url", "https://127.0.0.1:4443", "--data-dir", directory.path])
        #expect(missing.status != 0)
        #expect(missing.output.isEmpty)
        #expect(missing.error.contains("curl -k https://127.0.0.1:4443/_emulator/ca.pem"))
        for url in ["ftp://127.0.0.1:21", "https://127.0.0.1:4443/subscriptions", "127.0.0.1:10880"] {
            let refused = try self.environment(["--url", url])
            #expect(refused.status != 0, "\(url)")
            #expect(refused.error.contains("--url takes http(s)://HOST:PORT"), "\(url)")
        }
    }
}

/// `datasync-emulator health`, the image's health check: 0 only when the emulator answers, over TLS only
/// when the CA verifies it.
@Suite(.serialized) struct HealthCommandTests {
    private func health(_ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = EmulatorProcess.binary
        process.arguments = ["health"] + arguments
        process.environment = ["PATH": "/usr/bin:/bin"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }

    @Test("over HTTPS: 0 with the emulator's CA, by IP and by name; not 0 with another CA, or once it stopped")
    func https() throws {
        let directory = try temporaryDirectory()
        let stranger = try temporaryDirectory()
        defer {
            try? FileManager.default.removeItem(at: directory)
            try? FileManager.default.removeItem(at: stranger)
        }
        let emulator = try EmulatorProcess(["--https", "--data-dir", directory.path])
        let port = try #require(emulator.baseURL.split(separator: ":").last)
        #expect(try self.health(["--url", emulator.baseURL, "--data-dir", directory.path]) == 0)
        #expect(try self.health(["--url", "https://localhost:\(port)", "--data-dir", directory.path]) == 0)
        let otherAuthority = try EmulatorProcess(["--https", "--data-dir", stranger.path])
        otherAuthority.stop()
        #expect(try self.health(["--url", emulator.baseURL, "--data-dir", stranger.path]) != 0)
        emulator.stop()
        #expect(try self.health(["--url", emulator.baseURL, "--data-dir", directory.path]) != 0)
    }

    @Test("over plain HTTP: 0 while the emulator runs")
    func plain() throws {
        let emulator = try EmulatorProcess(["--in-memory"])
        defer { emulator.stop() }
        #expect(try self.health(["--url", emulator.baseURL]) == 0)
    }
}
