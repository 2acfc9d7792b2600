#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Hummingbird

// The baseline of the benchmarks (scripts/bench.sh): a bare Hummingbird server that answers one GET,
// with Hummingbird's defaults, as the emulator's own ARM traffic would be served without the emulator.
//
//   bench-hello [PORT]   (0 or nothing: a free port, read from the readiness line)
//
// It prints `bench-hello listening on http://127.0.0.1:PORT` once it is ready, then serves GET /hello.
let router = Router()
router.get("hello") { _, _ in "hello" }
let port = Int(CommandLine.arguments.dropFirst().first ?? "") ?? 0
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
