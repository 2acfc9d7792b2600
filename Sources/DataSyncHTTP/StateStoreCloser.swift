import DataSyncStore
import Logging
import ServiceLifecycle

/// Closes the state store on a graceful shutdown, once the server and the scheduler have stopped, so the
/// next start finds a cleanly closed file and need not check every page of it (``StateStore/close()``).
struct StateStoreCloser: Service {
    let store: StateStore
    let logger: Logger

    func run() async throws {
        do {
            try await gracefulShutdown()
        } catch {
            return  // cancelled rather than shut down: nothing is recorded, and the next start checks the file
        }
        do {
            try self.store.close()
        } catch {
            self.logger.warning("The state file was not closed cleanly; the next start checks it whole", metadata: ["dse-error": "\(error)"])
        }
    }
}
