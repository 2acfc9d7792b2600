/// An event a lifecycle state machine does not accept in its current state. Callers treat it as a bug in
/// their own sequencing, never as something to ignore.
public struct InvalidTransition: Error, Sendable, Equatable, CustomStringConvertible {
    /// Which machine refused: `member`, `group` or `round`.
    public var machine: String
    /// The state it was in.
    public var state: String
    /// The event it refused.
    public var event: String

    public init(machine: String, state: String, event: String) {
        self.machine = machine
        self.state = state
        self.event = event
    }

    public var description: String { "the \(self.machine) lifecycle cannot take '\(self.event)' in state '\(self.state)'" }
}
