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

    private struct Pool {
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

extension UUID {
    /// Parses the canonical text form (`8-4-4-4-12` hex digits, either case), as `UUID(uuidString:)` does,
    /// without its `sscanf`: the subscription id of every ARM request, and the id of every poll, pass here.
    public init?(canonical text: String) {
        var raw: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        let parsed = withUnsafeMutableBytes(of: &raw) { bytes -> Bool in
            let utf8 = text.utf8
            guard utf8.count == 36 else { return false }
            var index = 0
            var high: UInt8?
            for (position, character) in utf8.enumerated() {
                if position == 8 || position == 13 || position == 18 || position == 23 {
                    guard character == UInt8(ascii: "-") else { return false }
                    continue
                }
                guard let nibble = hexValue(character) else { return false }
                if let first = high {
                    bytes[index] = first << 4 | nibble
                    index += 1
                    high = nil
                } else {
                    high = nibble
                }
            }
            return true
        }
        guard parsed else { return nil }
        self.init(uuid: raw)
    }
}

extension UUID {
    /// The canonical text form in lowercase, as ARM writes ids: `uuidString.lowercased()` without the
    /// `snprintf` and the second pass, for the request id of every response.
    public var lowercasedString: String {
        let digits = Array("0123456789abcdef".utf8)
        return withUnsafeBytes(of: self.uuid) { bytes in
            String(unsafeUninitializedCapacity: 36) { text in
                var position = 0
                for (index, byte) in bytes.enumerated() {
                    if index == 4 || index == 6 || index == 8 || index == 10 {
                        text[position] = UInt8(ascii: "-")
                        position += 1
                    }
                    text[position] = digits[Int(byte >> 4)]
                    text[position + 1] = digits[Int(byte & 0xF)]
                    position += 2
                }
                return position
            }
        }
    }
}

private func hexValue(_ character: UInt8) -> UInt8? {
    switch character {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): character - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): character - UInt8(ascii: "A") + 10
    default: nil
    }
}
