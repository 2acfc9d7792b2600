import ARMConventions
import DataSyncStore
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

/// Serialized list pages (groups, members, agents), by request URL and api-version, each kept with the
/// ``StateStore/committedGeneration`` taken before it was read.
///
/// A page shows stored resources and, in its `nextLink`, the request's own URL, nothing else; while no commit
/// changed a resource since the page was read, it is the page a fresh read would render. Reading 100
/// members and rendering them was 90% of a list GET's CPU (BENCHMARKS.md); a hit is a lock and a lookup.
final class RenderedPages: Sendable {
    private struct Key: Hashable {
        let scheme: String
        let authority: String?
        let target: String
        let version: APIVersion
    }

    private struct Entry: Sendable {
        let generation: UInt64
        let body: ByteBuffer
    }

    private struct State {
        var entries: [Key: Entry] = [:]
        var bytes = 0
    }

    /// At most this many bytes of pages are kept; past it the cache starts again empty, which bounds its memory.
    static var byteCapacity: Int { 4 << 20 }
    private let store: StateStore
    private let state = Mutex(State())

    init(store: StateStore) {
        self.store = store
    }

    /// The `200` answer to `call`: the kept page when no commit changed a resource since it was read, else
    /// what `render` reads and builds now.
    func response(_ call: ARMCall, render: () async throws -> JSONValue) async throws -> Response {
        let key = Key(
            scheme: call.scheme,
            authority: call.request.head.authority,
            target: call.request.head.path ?? "",
            version: call.apiVersion
        )
        let generation = self.store.committedGeneration
        if let entry = self.state.withLock({ $0.entries[key] }), entry.generation == generation {
            return jsonResponse(.ok, serialized: entry.body)
        }
        let body = try await render().serializedBuffer()
        self.state.withLock { state in
            let replaced = state.entries[key]?.body.readableBytes ?? 0
            if state.bytes - replaced + body.readableBytes > Self.byteCapacity {
                state.entries.removeAll(keepingCapacity: true)
                state.bytes = 0
            } else {
                state.bytes -= replaced
            }
            state.entries[key] = Entry(generation: generation, body: body)
            state.bytes += body.readableBytes
        }
        return jsonResponse(.ok, serialized: body)
    }
}
