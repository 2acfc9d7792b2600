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
            try await Self.advance(self.clock, by: seconds, coordinator: self.coordinator)
            return jsonResponse(.ok, self.clockBody())
        }
    }

    /// Moves `clock` forward by `seconds`, then runs the interval syncs that came due; the control API and
    /// the dashboard both come here.
    /// - Throws: `InvalidParameterValue` for a negative or non-finite amount, or one that would take the clock
    ///   past ``EmulatorClock/latest``, which no date on the wire could then show.
    static func advance(_ clock: EmulatorClock, by seconds: Double, coordinator: SyncCoordinator) async throws {
        guard seconds >= 0, seconds.isFinite else {
            throw DataSyncError.invalidParameterValue("seconds", "must be a number of seconds, zero or more: the clock never runs backwards.")
        }
        guard clock.advance(by: seconds) else {
            throw DataSyncError.invalidParameterValue(
                "seconds",
                "would take the clock past \(WireDate.format(EmulatorClock.latest)), the last date the service can show; it is now \(WireDate.format(clock.now))."
            )
        }
        await coordinator.runDueRounds()
    }

    private func clockBody() -> JSONValue {
        .object(["now": .string(WireDate.format(self.clock.now)), "offsetSeconds": .double(self.clock.offset)])
    }
}
