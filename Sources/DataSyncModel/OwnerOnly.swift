import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Files and directories only their owner may read: the data dir is `0700`, the state and database files
/// in it `0600`, from the moment they exist. SQLite gives a database's `-wal` and `-shm` files the mode of
/// the database file, so those follow.
public enum OwnerOnly {
    /// Creates `url` empty with mode `0600` when it does not exist; an existing file is left as it is.
    /// - Throws: ``OwnerOnlyError`` naming the system's reason (permission, I/O, …).
    public static func createFile(_ url: URL) throws {
        let descriptor = open(url.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if descriptor >= 0 {
            close(descriptor)
            return
        }
        guard errno == EEXIST else { throw OwnerOnlyError(path: url.path, errno: errno) }
    }

    /// Creates `url` (and missing parents) with mode `0700`; an existing directory is left as it is.
    /// - Throws: ``OwnerOnlyError`` naming the system's reason.
    public static func createDirectory(_ url: URL) throws {
        do {
            try FileManager.default.createDirectory(
                at: url,
                withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700]
            )
        } catch {
            throw OwnerOnlyError(path: url.path, reason: "\(error)")
        }
    }
}

/// A file or directory that could not be created, with the system's reason.
public struct OwnerOnlyError: Error, CustomStringConvertible {
    public let path: String
    public let reason: String

    init(path: String, errno code: Int32) {
        self.path = path
        self.reason = String(cString: strerror(code))
    }

    init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String { "\(self.path): \(self.reason)" }
}
