import Foundation
import Synchronization

/// Decoded JSON bodies of state rows, each kept with the bytes it was decoded from.
///
/// A hit requires the stored bytes to equal the kept ones, so a value can never be stale whatever changed
/// the row (a write, a rolled-back write, a reset, a restart): there is no invalidation to get wrong, and
/// a read still costs its SQL query, but not `JSONDecoder`, which was most of a GET's read.
final class DecodedBodies: Sendable {
    private struct Entry: @unchecked Sendable {
        let data: Data
        /// Only ever a value of a `Sendable` type, decoded by ``value(_:key:data:)`` or given to ``remember(_:encodedAs:key:)``.
        let value: Any
    }

    /// At most this many rows are kept; past it the cache starts again empty, which bounds its memory.
    static let capacity = 4096
    private let entries = Mutex<[String: Entry]>([:])

    /// The value `data` decodes to as `type`, from the cache when the row `key` last decoded the same bytes.
    func value<T: Decodable & Sendable>(_ type: T.Type, key: String, data: Data) throws -> T {
        if let entry = self.entries.withLock({ $0[key] }), entry.data == data, let value = entry.value as? T {
            return value
        }
        let value = try JSONDecoder().decode(type, from: data)
        self.remember(value, encodedAs: data, key: key)
        return value
    }

    /// Keeps `value`, which encodes to `data`, for row `key`: a write calls it with what it stores, so the next
    /// read of the row does not decode what was just encoded. Should the write roll back, the stored bytes
    /// differ and the entry is never used.
    func remember<T: Sendable>(_ value: T, encodedAs data: Data, key: String) {
        self.entries.withLock { entries in
            if entries.count >= Self.capacity { entries.removeAll(keepingCapacity: true) }
            entries[key] = Entry(data: data, value: value)
        }
    }
}
