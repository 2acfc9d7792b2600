import Foundation
import Synchronization

/// The emulator's one source of time, injected everywhere so that no test sleeps.
///
/// It follows the system clock shifted by an offset that `advance(by:)` grows (the virtual clock of the
/// control API), or stands still at a fixed instant when created with one (tests).
public final class EmulatorClock: Sendable {
    private struct State {
        var frozenAt: Date?
        var offset: TimeInterval
    }

    private let state: Mutex<State>

    /// A clock that follows the system time.
    public init() {
        self.state = Mutex(State(frozenAt: nil, offset: 0))
    }

    /// A clock that stands still at `instant` until advanced.
    public init(frozenAt instant: Date) {
        self.state = Mutex(State(frozenAt: instant, offset: 0))
    }

    /// The current emulated time.
    public var now: Date {
        self.state.withLock { state in
            (state.frozenAt ?? Date()).addingTimeInterval(state.offset)
        }
    }

    /// How far the clock has been moved ahead of its source.
    public var offset: TimeInterval {
        self.state.withLock { $0.offset }
    }

    /// The last instant the service's dates can hold, `9999-12-31T23:59:59Z` (.NET's `DateTime.MaxValue`,
    /// to the second). The clock never passes it, so every date it stamps can be written on the wire.
    public static let latest = Date(timeIntervalSince1970: 253_402_300_799)

    /// Moves the clock forward; negative values are ignored because emulated time never runs backwards.
    /// - Returns: `false`, leaving the clock as it was, when the move would take it past ``latest``.
    @discardableResult
    public func advance(by seconds: TimeInterval) -> Bool {
        guard seconds > 0 else { return true }
        return self.state.withLock { state in
            let now = (state.frozenAt ?? Date()).addingTimeInterval(state.offset)
            guard seconds.isFinite, seconds <= Self.latest.timeIntervalSince(now) else { return false }
            state.offset += seconds
            return true
        }
    }
}
