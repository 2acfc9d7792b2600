import HTTPTypes
import Hummingbird

/// Reads repeated slashes in a request path as one, as ARM does, before routing and authentication see
/// the path: `//metadata/endpoints` is `/metadata/endpoints`. az sends such paths when the endpoint a user
/// registered ends in `/`.
struct SingleSlashResponder<Wrapped: HTTPResponder>: HTTPResponder {
    let wrapped: Wrapped

    init(wrapping wrapped: Wrapped) {
        self.wrapped = wrapped
    }

    func respond(to request: Request, context: Wrapped.Context) async throws -> Response {
        guard let target = request.head.path, let collapsed = collapsingSlashes(inPathOf: target) else {
            return try await self.wrapped.respond(to: request, context: context)
        }
        var head = request.head
        head.path = collapsed
        return try await self.wrapped.respond(to: Request(head: head, body: request.body), context: context)
    }
}

/// `target` (path and query) with each run of slashes in its path made one; `nil` when it has none.
/// The query is left alone: a slash there is data.
func collapsingSlashes(inPathOf target: String) -> String? {
    // A byte scan: searching the path as characters for "//" was a tenth of a GET's CPU (BENCHMARKS.md).
    var last: UInt8 = 0
    var repeated = false
    for byte in target.utf8 {
        if byte == UInt8(ascii: "?") { break }
        if byte == UInt8(ascii: "/") && last == byte {
            repeated = true
            break
        }
        last = byte
    }
    guard repeated else { return nil }
    let pathEnd = target.firstIndex(of: "?") ?? target.endIndex
    var path = ""
    var previous: Character?
    for character in target[..<pathEnd] where !(character == "/" && previous == "/") {
        path.append(character)
        previous = character
    }
    return path + target[pathEnd...]
}
