import DataSyncModel
import Foundation
import GRDB
import Synchronization

/// The emulated databases: real SQLite files at `<data-dir>/databases/<server>/<database>.sqlite`, created
/// empty on first use, or in-memory databases under `--in-memory`, or files the user maps with `--database`.
///
/// Names are validated before they reach the filesystem, and each database has one serial connection
/// here, shared by the sync engine and the query endpoint, so the emulator never races itself.
public final class EmulatedDatabases: Sendable {
    /// Where databases live; `nil` keeps them in memory.
    public let root: URL?
    private let mappings: [DatabaseKey: URL]
    private let open: Mutex<[DatabaseKey: DatabaseQueue]>

    /// - Parameters:
    ///   - root: `<data-dir>/databases`, or `nil` for in-memory databases.
    ///   - mappings: databases mapped to existing files (`--database SERVER/DB=PATH`).
    public init(root: URL?, mappings: [DatabaseKey: URL] = [:]) {
        self.root = root
        self.mappings = mappings
        self.open = Mutex([:])
    }

    /// The connection of database `key`, opening (and creating) it on first use.
    /// - Throws: ``EngineError`` for a name that cannot be a file, or a file SQLite cannot open.
    public func queue(_ key: DatabaseKey) throws -> DatabaseQueue {
        if let existing = self.open.withLock({ $0[key] }) { return existing }
        let queue = try self.makeQueue(key)
        return self.open.withLock { open in
            if let raced = open[key] { return raced }
            open[key] = queue
            return queue
        }
    }

    /// The file of database `key`, or `nil` in memory.
    func fileURL(_ key: DatabaseKey) -> URL? {
        if let mapped = self.mappings[key] { return mapped }
        return self.root?.appendingPathComponent(key.server).appendingPathComponent("\(key.database).sqlite")
    }

    /// Closes in-memory databases (their content is lost) and forgets open connections; files stay.
    public func reset() {
        self.open.withLock { $0.removeAll() }
    }

    private func makeQueue(_ key: DatabaseKey) throws -> DatabaseQueue {
        let url = self.fileURL(key)
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            // WAL lets a user's sqlite3 shell read while the emulator writes; NORMAL survives a process kill.
            if url != nil { try db.execute(sql: "PRAGMA journal_mode = WAL") }
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            // A large sync's statement journal would otherwise spill to a temporary file, row after row.
            try db.execute(sql: "PRAGMA temp_store = MEMORY")
        }
        guard let url else {
            return try DatabaseQueue(configuration: configuration)
        }
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            return try DatabaseQueue(path: url.path, configuration: configuration)
        } catch {
            throw EngineError("cannot open the database \(key) at \(url.path): \(error)")
        }
    }
}

/// A database by server and name, both lowercased, as ARM compares them.
public struct DatabaseKey: Hashable, Sendable, CustomStringConvertible {
    public let server: String
    public let database: String

    /// Validates both parts: no path separator, no `.` or `..`, no control character.
    /// - Parameter server: a server name, or an FQDN such as `x.database.windows.net` (meaning `x`).
    /// - Throws: ``EngineError`` for a name that cannot safely become a file name.
    public init(server: String, database: String) throws {
        let serverName = ResourceName.composed(Self.shortServerName(server))
        let database = ResourceName.composed(database)
        for name in [serverName, database] {
            guard ResourceName.isValid(name), name != ".", name != "..", !name.hasPrefix(".") else {
                throw EngineError("'\(name)' cannot name an emulated database")
            }
        }
        self.server = serverName.lowercased()
        self.database = database.lowercased()
    }

    /// `x.database.windows.net` (or any FQDN) means server `x`.
    public static func shortServerName(_ server: String) -> String {
        server.split(separator: ".", maxSplits: 1).first.map(String.init) ?? server
    }

    public var description: String { "\(self.server)/\(self.database)" }
}

/// A failure of the data plane, with a message for logs and error envelopes.
public struct EngineError: Error, Sendable, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}
