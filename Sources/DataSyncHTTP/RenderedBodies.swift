import ARMConventions
import Hummingbird
import Synchronization

/// Serialized JSON bodies of single-resource GETs, by request path and api-version, each kept with the value
/// it renders.
///
/// A hit requires the value read now to equal the kept one, so a body is never stale, whatever changed the
/// resource; comparing is far cheaper than building and serializing the body, which was a twentieth of a
/// GET's CPU. Polling clients GET the same URL over and over.
final class RenderedBodies<Value: Equatable & Sendable>: Sendable {
    private struct Key: Hashable {
        let path: String
        let version: APIVersion
    }

    private struct Entry: Sendable {
        let value: Value
        let body: ByteBuffer
    }

    /// At most this many bodies are kept; past it the cache starts again empty, which bounds its memory.
    static var capacity: Int { 1024 }
    private let entries = Mutex<[Key: Entry]>([:])

    /// The `200` answer to `call` with `value` as `render` shows it, rendered only when not already kept.
    func response(_ call: ARMCall, _ value: Value, render: (Wire, Value) -> JSONValue) -> Response {
        let key = Key(path: call.request.uri.path, version: call.apiVersion)
        if let entry = self.entries.withLock({ $0[key] }), entry.value == value {
            return jsonResponse(.ok, serialized: entry.body)
        }
        let body = render(Wire(call.apiVersion), value).serializedBuffer()
        self.entries.withLock { entries in
            if entries.count >= Self.capacity { entries.removeAll(keepingCapacity: true) }
            entries[key] = Entry(value: value, body: body)
        }
        return jsonResponse(.ok, serialized: body)
    }
}
