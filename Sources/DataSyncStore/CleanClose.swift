import DataSyncModel
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The record of a clean close: `state.clean`, next to the state file, holding the file's identity (device,
/// inode, size, modification and change times) as the store left it when it closed, with its WAL folded in
/// (emptied by a checkpoint).
///
/// `PRAGMA quick_check` reads every page, so it grew start-up with the state (a fifth of a second at 100,000
/// resources). A file whose identity still matches was checked when it was opened and since then written only
/// by SQLite under this emulator's lock: checking it again finds nothing new. Anything else touching the file
/// (a copy, an editor, a restore; even `touch` changes its change time) or a stop that was not clean (no
/// record) gets the full check. The record is removed as the store opens, so a crash never leaves one behind.
enum CleanClose {
    static func recordURL(of fileURL: URL) -> URL {
        fileURL.deletingLastPathComponent().appendingPathComponent("state.clean")
    }

    /// The identity of the file at `url` as one line, or `nil` when it cannot be read.
    static func identity(of url: URL) -> String? {
        var info = stat()
        guard stat(url.path, &info) == 0 else { return nil }
        #if canImport(Darwin)
        let (modified, changed) = (info.st_mtimespec, info.st_ctimespec)
        #else
        let (modified, changed) = (info.st_mtim, info.st_ctim)
        #endif
        return [
            Int64(info.st_dev), Int64(info.st_ino), Int64(info.st_size),
            Int64(modified.tv_sec), Int64(modified.tv_nsec), Int64(changed.tv_sec), Int64(changed.tv_nsec),
        ].map(String.init).joined(separator: " ")
    }

    /// Whether the file at `fileURL` is exactly as a clean close left it; the record is removed either way.
    static func take(for fileURL: URL) -> Bool {
        let record = Self.recordURL(of: fileURL)
        guard let recorded = try? String(contentsOf: record, encoding: .utf8) else { return false }
        // A record that cannot be removed is not trusted: it could outlive a crash.
        guard unlink(record.path) == 0 else { return false }
        return Self.walIsEmpty(fileURL) && Self.identity(of: fileURL) == recorded
    }

    /// Whether the WAL of the file at `fileURL` holds nothing (absent, or truncated by a checkpoint).
    static func walIsEmpty(_ fileURL: URL) -> Bool {
        var info = stat()
        return stat(fileURL.path + "-wal", &info) != 0 || info.st_size == 0
    }

    /// Records the identity of the file at `fileURL`, just closed with its WAL folded in.
    static func record(for fileURL: URL) throws {
        guard Self.walIsEmpty(fileURL), let identity = Self.identity(of: fileURL) else { return }
        let record = Self.recordURL(of: fileURL)
        try OwnerOnly.createFile(record)
        try Data(identity.utf8).write(to: record)
    }
}
