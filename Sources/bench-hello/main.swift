import Hummingbird

// The baseline of the benchmarks: a bare Hummingbird server that answers one GET.
let router = Router()
router.get("hello") { _, _ in "hello" }
let port = Int(CommandLine.arguments.dropFirst().first ?? "") ?? 0
let app = Application(
    router: router,
    configuration: .init(address: .hostname("127.0.0.1", port: port)),
    onServerRunning: { channel in
        print("bench-hello listening on http://127.0.0.1:\(channel.localAddress?.port ?? port)")
    }
)
try await app.runService()
