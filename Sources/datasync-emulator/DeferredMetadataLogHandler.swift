import Logging

/// Writes like `StreamLogHandler` to standard error, but formats the logger's metadata only when it writes a
/// line. `StreamLogHandler` formats it again each time metadata is set, and Hummingbird sets a request id on
/// the logger of every request: a few percent of a GET's CPU, for lines that are almost never written.
struct DeferredMetadataLogHandler: LogHandler {
    private var stream: StreamLogHandler
    var metadata: Logger.Metadata = [:]

    init(label: String, level: Logger.Level) {
        self.stream = StreamLogHandler.standardError(label: label)
        self.stream.logLevel = level
    }

    var logLevel: Logger.Level {
        get { self.stream.logLevel }
        set { self.stream.logLevel = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var event = event
        event.metadata = self.metadata.merging(event.metadata ?? [:]) { _, explicit in explicit }
        self.stream.log(event: event)
    }
}
