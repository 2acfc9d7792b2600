import ARMConventions
import Foundation
import HTTPTypes
import Testing

@testable import DataSyncHTTP

/// A JWT with `claims`, unsigned, as a test credential would build it.
func makeToken(_ claims: [String: Any]) throws -> String {
    func encode(_ object: [String: Any]) throws -> String {
        try JSONSerialization.data(withJSONObject: object).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
    return try encode(["alg": "none", "typ": "JWT"]) + "." + encode(claims) + ".c2ln"
}

/// The answers to missing and malformed tokens, the same in both token modes; shown with
/// `--auth token-unsigned`, which lets hand-made tokens reach the expiry and audience checks.
@Suite struct AuthenticationTests {
    static let configuration = EmulatorConfiguration(authentication: .tokenUnsigned)

    private func send(_ arm: ARMClient, authorization: String?) async throws -> Reply {
        var headers = HTTPFields()
        if let authorization { headers[.authorization] = authorization }
        return try await arm.send(.get, HowTo.databasePath + "/syncGroups", headers: headers)
    }

    @Test("a valid bearer JWT for the management audience is accepted; health stays open")
    func validToken() async throws {
        try await withEmulator(Self.configuration) { arm in
            let token = try makeToken(["aud": "https://management.azure.com/", "exp": Date().timeIntervalSince1970 + 3600])
            #expect((try await self.send(arm, authorization: "Bearer \(token)")).status == .ok)
            #expect((try await arm.send(.get, "/_emulator/health", apiVersion: .some(nil))).status == .ok)
        }
    }

    @Test(
        "missing, malformed, expired and wrong-audience tokens get ARM's 401",
        arguments: [
            ("missing", nil, "AuthenticationFailed"),
            ("not bearer", "Basic dXNlcjpwdw==", "AuthenticationFailed"),
            ("not a JWT", "Bearer abc", "InvalidAuthenticationToken"),
            ("expired", "expired", "ExpiredAuthenticationToken"),
            ("wrong audience", "audience", "InvalidAuthenticationTokenAudience"),
        ] as [(String, String?, String)]
    )
    func refused(label: String, authorization: String?, code: String) async throws {
        try await withEmulator(Self.configuration) { arm in
            var header = authorization
            if authorization == "expired" {
                header = "Bearer " + (try makeToken(["aud": "https://management.azure.com/", "exp": 1_000_000_000]))
            } else if authorization == "audience" {
                header = "Bearer " + (try makeToken(["aud": "https://vault.azure.net", "exp": Date().timeIntervalSince1970 + 60]))
            }
            let reply = try await self.send(arm, authorization: header)
            #expect(reply.status == .unauthorized)
            #expect(reply.errorCode == code)
            #expect(reply.headers[.wwwAuthenticate]?.hasPrefix("Bearer authorization_uri=") == true)
        }
    }
}

/// HTTPS from the emulator's own CA, checked with curl trusting only that CA.
@Suite(.serialized) struct HTTPSTests {
    /// Runs curl and returns its exit status and output.
    private func curl(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = ["-sS", "--max-time", "10"] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test("--https serves a leaf that curl trusts through ca.pem alone, by name and by IP; the CA is reused")
    func localAuthority() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var emulator = try EmulatorProcess(["--https", "--data-dir", directory.path])
        #expect(emulator.baseURL.hasPrefix("https://127.0.0.1:"))
        let caPath = directory.appendingPathComponent("tls/ca.pem").path
        let port = try #require(emulator.baseURL.split(separator: ":").last)
        let byIP = try self.curl(["--cacert", caPath, emulator.baseURL + "/_emulator/health"])
        #expect(byIP.status == 0)
        #expect(byIP.output.contains("\"status\":\"ok\""))
        let byName = try self.curl(["--cacert", caPath, "https://localhost:\(port)/_emulator/health"])
        #expect(byName.status == 0)
        #expect(try self.curl([emulator.baseURL + "/_emulator/health"]).status != 0)
        let served = try self.curl(["--cacert", caPath, emulator.baseURL + "/_emulator/ca.pem"])
        let onDisk = try String(contentsOfFile: caPath, encoding: .utf8)
        #expect(served.output == onDisk)
        emulator.stop()

        emulator = try EmulatorProcess(["--https", "--data-dir", directory.path])
        #expect(try String(contentsOfFile: caPath, encoding: .utf8) == onDisk)
        #expect(try self.curl(["--cacert", caPath, emulator.baseURL + "/_emulator/health"]).status == 0)
        emulator.stop()
    }

    @Test("under --in-memory the CA lives in memory and /_emulator/ca.pem still serves it")
    func inMemoryAuthority() throws {
        let emulator = try EmulatorProcess(["--https", "--in-memory"])
        let fetched = try self.curl(["--insecure", emulator.baseURL + "/_emulator/ca.pem"])
        #expect(fetched.output.hasPrefix("-----BEGIN CERTIFICATE-----"))
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("dse-ca-\(UUID().uuidString).pem")
        defer { try? FileManager.default.removeItem(at: file) }
        try fetched.output.write(to: file, atomically: true, encoding: .utf8)
        #expect(try self.curl(["--cacert", file.path, emulator.baseURL + "/_emulator/health"]).status == 0)
        emulator.stop()
    }

    @Test("`ca --print` prints where ca.pem lives, creating it when absent")
    func printAuthorityPath() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let process = Process()
        process.executableURL = EmulatorProcess.binary
        process.arguments = ["ca", "--print", "--data-dir", directory.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let path = output.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(process.terminationStatus == 0)
        #expect(path.hasSuffix("/tls/ca.pem"))
        #expect(FileManager.default.fileExists(atPath: path))
    }
}
