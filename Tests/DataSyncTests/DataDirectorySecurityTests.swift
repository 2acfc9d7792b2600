import DataSyncHandlers
import Foundation
import Testing

/// The data dir against real processes and real files: one emulator per dir, `--repair` only for real
/// corruption, passwords slow-hashed and files readable by their owner only.
@Suite(.serialized) struct DataDirectorySecurityTests {
    static let version = "api-version=2015-05-01-preview"

    @Test("a second emulator on the same data dir exits with code 2 and one line naming the holder's PID")
    func oneProcessPerDataDir() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let first = try EmulatorProcess(["--data-dir", directory.path])
        let second = try EmulatorProcess.runToExit(["--data-dir", directory.path])
        #expect(second.status == 2)
        let lines = second.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(second.stderr)")
        #expect(second.stderr.contains("PID \(first.process.processIdentifier)"), "\(second.stderr)")
        #expect(try await first.send("GET", "/_emulator/health").status == 200)
        first.stop()
        // The lock goes with its process.
        let third = try EmulatorProcess(["--data-dir", directory.path])
        third.stop()
        #expect(third.process.terminationStatus == 0)
    }

    @Test("--repair leaves a state file it may not read untouched, names the error, and exits 2")
    func permissionDeniedIsNotCorruption() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let emulator = try EmulatorProcess(["--data-dir", directory.path])
        _ = try await emulator.send("PUT", "\(HowTo.groupPath())?\(Self.version)", body: try HowTo.fixture("create-sync-group"))
        emulator.stop()
        let state = directory.appendingPathComponent("state.sqlite")
        let before = try Data(contentsOf: state)
        try FileManager.default.setAttributes([.posixPermissions: 0], ofItemAtPath: state.path)
        // Root reads any file; without CAP_DAC_OVERRIDE it meets the mode bits like anyone else.
        let prefix = geteuid() == 0 ? ["/usr/bin/setpriv", "--bounding-set", "-dac_override,-dac_read_search", "--"] : []
        let run = try EmulatorProcess.runToExit(["--data-dir", directory.path, "--repair"], prefix: prefix)
        #expect(run.status == 2)
        #expect(run.stderr.contains("Permission denied"), "\(run.stderr)")
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: state.path)
        #expect(try Data(contentsOf: state) == before)
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        #expect(!names.contains { $0.contains("corrupt") }, "\(names)")
        // Readable again, it serves what it held.
        let restarted = try EmulatorProcess(["--data-dir", directory.path])
        #expect(try await restarted.send("GET", "\(HowTo.groupPath())?\(Self.version)").status == 200)
        restarted.stop()
    }

    @Test("--repair moves a corrupt state file aside and starts empty")
    func corruptionIsRepaired() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let garbage = Data(repeating: 0x42, count: 8192)
        try garbage.write(to: directory.appendingPathComponent("state.sqlite"))
        let emulator = try EmulatorProcess(["--data-dir", directory.path, "--repair"])
        #expect(try await emulator.send("GET", "/_emulator/health").status == 200)
        emulator.stop()
        let moved = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasPrefix("state.sqlite.corrupt-") }
        #expect(moved.count == 1)
        #expect(try Data(contentsOf: directory.appendingPathComponent(try #require(moved.first))) == garbage)
    }

    @Test("passwords rest as salted PBKDF2, never plain or unsalted; the data dir is 0700 and its files 0600")
    func secretsAtRest() async throws {
        let parent = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: parent) }
        let directory = parent.appendingPathComponent("data")
        let emulator = try EmulatorProcess(["--data-dir", directory.path])
        let password = "myPassword!"
        let member = try HowTo.fixture("update-sync-member")
        #expect(member.contains(password))
        #expect(try await emulator.finish(try await emulator.send("PUT", "\(HowTo.groupPath())?\(Self.version)", body: try HowTo.fixture("create-sync-group"))).status == 201)
        #expect(try await emulator.finish(try await emulator.send("PUT", "\(HowTo.memberPath())?\(Self.version)", body: member)).status == 201)
        emulator.stop(signal: SIGKILL)

        var stored = Data()
        for suffix in ["", "-wal"] {
            stored += (try? Data(contentsOf: directory.appendingPathComponent("state.sqlite\(suffix)"))) ?? Data()
        }
        let text = String(decoding: stored, as: UTF8.self)
        #expect(!text.contains(password))
        #expect(!text.contains(try Self.sha256Hex(password)))
        #expect(text.contains("pbkdf2-sha256$100000$"))

        #expect(try Self.mode(directory) == 0o700)
        let files = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil)?.compactMap { $0 as? URL } ?? []
        let dataFiles = files.filter { ["sqlite", "sqlite-wal", "sqlite-shm"].contains($0.pathExtension) || $0.lastPathComponent == "lock" }
        #expect(dataFiles.contains { $0.lastPathComponent == "state.sqlite" })
        #expect(dataFiles.contains { $0.lastPathComponent == "lock" })
        for file in dataFiles {
            #expect(try Self.mode(file) == 0o600, "\(file.path)")
        }
    }

    @Test("a digest verifies its password only; each digest has its own salt; older unsalted digests still verify")
    func passwordDigests() throws {
        let first = PasswordDigest.of("secret")
        let second = PasswordDigest.of("secret")
        #expect(first != second)
        #expect(PasswordDigest.verify("secret", against: first))
        #expect(PasswordDigest.verify("secret", against: second))
        #expect(!PasswordDigest.verify("Secret", against: first))
        let legacy = try Self.sha256Hex("secret")
        #expect(PasswordDigest.verify("secret", against: legacy))
        #expect(PasswordDigest.verify("secret", against: legacy.uppercased()))
        #expect(!PasswordDigest.verify("other", against: legacy))
        #expect(!PasswordDigest.verify("secret", against: "pbkdf2-sha256$0$AA==$AA=="))
    }

    static func mode(_ url: URL) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: url.path)
        return (try #require(attributes[.posixPermissions] as? Int)) & 0o777
    }

    /// The unsalted digest older state files held, computed by the system's tool so the test owns no copy of it.
    static func sha256Hex(_ text: String) throws -> String {
        String(try runTool("/usr/bin/sha256sum", [], input: Data(text.utf8)).output.prefix(64))
    }
}
