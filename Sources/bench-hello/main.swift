#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Hummingbird

// The baseline of the benchmarks (scripts/bench.sh): a bare Hummingbird server that answers one GET,
// with Hummingbird's defaults, as the emulator's own ARM traffic would be served without the emulator.
//
//   bench-hello [PORT [BODY_BYTES]]   (PORT 0 or nothing: a free port, read from the readiness line)
//
// It prints `bench-hello listening on http://127.0.0.1:PORT` once it is ready, then serves GET /hello, and
// GET /body: a JSON body of BODY_BYTES bytes (default 0: `{}`), made once at start and answered as is, the
// baseline of a list GET whose answer has that size.
let router = Router()
router.get("hello") { _, _ in "hello" }
let arguments = CommandLine.arguments.dropFirst()
let port = Int(arguments.first ?? "") ?? 0
let bodyBytes = max(Int(arguments.dropFirst().first ?? "") ?? 0, 2)
let storedBody = ByteBuffer(string: "{" + String(repeating: " ", count: bodyBytes - 2) + "}")
router.get("body") { _, _ in
    Response(
        status: .ok,
        headers: [.contentType: "application/json; charset=utf-8"],
        body: ResponseBody(byteBuffer: storedBody)
    )
}
let app = Application(
    router: router,
    configuration: .init(address: .hostname("127.0.0.1", port: port)),
    onServerRunning: { channel in
        // Written straight to the file descriptor: stdout to a file or pipe is block-buffered, and the
        // benchmark times this line.
        let line = "bench-hello listening on http://127.0.0.1:\(channel.localAddress?.port ?? port)\n"
        _ = line.withCString { write(1, $0, strlen($0)) }
    }
)
try await app.runService()
