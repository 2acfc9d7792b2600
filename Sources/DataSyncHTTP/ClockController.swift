import ARMConventions
import DataSyncHandlers
import DataSyncModel
import Foundation
import Hummingbird

/// The virtual clock: `GET /_emulator/clock` and `POST /_emulator/clock/advance {"seconds": N}`.
/// Advancing runs the interval syncs that became due, before it answers, so tests never sleep.
struct ClockController: Sendable {
    let clock: EmulatorClock
    let coordinator: SyncCoordinator

    func addRoutes(to router: Router<EmulatorRequestContext>) {
        router.get("_emulator/clock") { _, _ in
            jsonResponse(.ok, self.clockBody())
        }
        router.post("_emulator/clock/advance") { request, _ in
            let buffer = try await request.body.collect(upTo: 64 * 1024)
            let seconds: Double
            switch try? JSONValue.parse(Data(buffer.readableBytesView)).objectValue?["seconds"] {
            case .integer(let value)?: seconds = Double(value)
            case .double(let value)?: seconds = value
            default:
                throw DataSyncError.invalidRequestContent("Required property 'seconds' (a number) not found in JSON. Path ''.")
            }
            guard seconds >= 0, seconds.isFinite else {
                throw DataSyncError.invalidParameterValue("seconds", "must not be negative: the clock never runs backwards.")
            }
            self.clock.advance(by: seconds)
            await self.coordinator.runDueRounds()
            return jsonResponse(.ok, self.clockBody())
        }
    }

    private func clockBody() -> JSONValue {
        .object(["now": .string(WireDate.format(self.clock.now)), "offsetSeconds": .double(self.clock.offset)])
    }
}
