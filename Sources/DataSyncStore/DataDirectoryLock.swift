import DataSyncModel
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One emulator per data dir: an advisory `flock` on `<data-dir>/lock`, held for the life of the process.
/// Two emulators sharing a state would each serve what the other deleted. The file also holds the holder's
/// PID, so a second emulator can say who has it. The kernel drops the lock when the process ends, however it
/// ends, so a stale lock file never blocks a start.
public final class DataDirectoryLock: Sendable {
    /// The lock file.
    public let fileURL: URL
    private let descriptor: Int32

    private init(fileURL: URL, descriptor: Int32) {
        self.fileURL = fileURL
        self.descriptor = descriptor
    }

    deinit {
        close(self.descriptor)
    }

    /// Creates the data dir (`0700`) when missing, and takes its lock.
    /// - Throws: ``DataDirectoryLockError/held(_:pid:)`` when another process holds it;
    ///   ``DataDirectoryLockError/unavailable(_:_:)`` when the directory or lock file cannot be made.
    public static func acquire(_ directory: URL) throws -> DataDirectoryLock {
        let fileURL = directory.appendingPathComponent("lock")
        do {
            try OwnerOnly.createDirectory(directory)
        } catch {
            throw DataDirectoryLockError.unavailable(directory, "\(error)")
        }
        let descriptor = open(fileURL.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw DataDirectoryLockError.unavailable(fileURL, String(cString: strerror(errno)))
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            let holder = Self.recordedPID(descriptor)
            close(descriptor)
            if code == EWOULDBLOCK { throw DataDirectoryLockError.held(directory, pid: holder) }
            throw DataDirectoryLockError.unavailable(fileURL, String(cString: strerror(code)))
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(descriptor, 0)
        _ = pwrite(descriptor, pid, pid.count, 0)
        return DataDirectoryLock(fileURL: fileURL, descriptor: descriptor)
    }

    private static func recordedPID(_ descriptor: Int32) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = pread(descriptor, &buffer, buffer.count, 0)
        guard count > 0 else { return nil }
        return Int32(String(decoding: buffer[..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }
}

/// Why the data dir's lock could not be taken.
public enum DataDirectoryLockError: Error, CustomStringConvertible {
    /// Another process holds it; its PID when it wrote one.
    case held(URL, pid: Int32?)
    /// The directory or the lock file cannot be created or locked, with the system's reason.
    case unavailable(URL, String)

    public var description: String {
        switch self {
        case .held(let directory, let pid):
            "the data dir \(directory.path) is in use by another datasync-emulator (PID \(pid.map(String.init) ?? "unknown")); stop it, or use another --data-dir"
        case .unavailable(let url, let reason):
            "cannot lock the data dir at \(url.path): \(reason)"
        }
    }
}
