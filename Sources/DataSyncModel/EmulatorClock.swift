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

    /// Moves the clock forward; negative values are ignored because emulated time never runs backwards.
    public func advance(by seconds: TimeInterval) {
        guard seconds > 0 else { return }
        self.state.withLock { $0.offset += seconds }
    }
}
