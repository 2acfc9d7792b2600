import DataSyncHandlers
import ServiceLifecycle

/// Runs interval syncs as real time passes: once a second it asks the coordinator for due rounds.
struct SyncScheduler: Service {
    let coordinator: SyncCoordinator

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: .seconds(1))
                await self.coordinator.runDueRounds()
            }
        }
    }
}
