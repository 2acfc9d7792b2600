import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Version 4 (random) UUIDs from the kernel's random source, drawn in blocks.
///
/// Foundation's `UUID()` on Linux opens, reads and closes `/dev/urandom` for every id: three system calls for
/// each request's `x-ms-request-id`. This reads 4 KiB at a time from a descriptor kept open instead, so an
/// id costs a copy under a lock, and one system call per 256 ids.
public enum RandomUUID {
    private static let idsPerBlock = 256
    private static let pool = Mutex(Pool())

    private struct Pool: ~Copyable {
        var bytes = [UInt8](repeating: 0, count: RandomUUID.idsPerBlock * 16)
        var next = RandomUUID.idsPerBlock * 16
    }

    /// A new random UUID (RFC 9562 version 4).
    public static func make() -> UUID {
        var raw: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        Self.pool.withLock { pool in
            if pool.next == pool.bytes.count {
                pool.bytes.withUnsafeMutableBytes { fillRandom($0) }
                pool.next = 0
            }
            let start = pool.next
            withUnsafeMutableBytes(of: &raw) { target in
                pool.bytes.withUnsafeBytes { source in
                    target.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[start..<start + 16]))
                }
            }
            pool.next += 16
        }
        raw.6 = (raw.6 & 0x0F) | 0x40
        raw.8 = (raw.8 & 0x3F) | 0x80
        return UUID(uuid: raw)
    }
}

/// Fills `buffer` from the kernel's cryptographic random source, through a descriptor kept open.
private func fillRandom(_ buffer: UnsafeMutableRawBufferPointer) {
    var filled = 0
    while filled < buffer.count {
        let count = read(urandom, buffer.baseAddress! + filled, buffer.count - filled)
        if count > 0 { filled += count } else if count == 0 || errno != EINTR { fatalError("cannot read /dev/urandom") }
    }
}

private let urandom: Int32 = {
    let descriptor = open("/dev/urandom", O_RDONLY | O_CLOEXEC)
    precondition(descriptor >= 0, "cannot open /dev/urandom")
    return descriptor
}()
