import Crypto
import DataSyncEngine
import DataSyncModel
import DataSyncStore
import Foundation
import Logging

/// What every handler shares: the state, the clock, and the emulator-wide settings.
public struct HandlerEnvironment: Sendable {
    public let store: StateStore
    public let clock: EmulatorClock
    /// The region the emulator pretends to run in; it appears in polling URLs and scopes `syncDatabaseIds`.
    public let location: String
    /// How long an operation stays in progress after it was accepted.
    public let operationDelay: TimeInterval
    /// The emulated databases: hubs and members.
    public let databases: EmulatedDatabases

    /// Where data-plane failures that no client waits for are reported (deprovisioning, recovery).
    public var logger = Logger(label: "datasync-emulator.lifecycle")
    /// Serializes data-plane work per database; shared by every handler of this environment.
    let lanes = DatabaseLanes()

    public init(
        store: StateStore,
        clock: EmulatorClock,
        location: String,
        operationDelay: TimeInterval,
        databases: EmulatedDatabases
    ) {
        self.store = store
        self.clock = clock
        self.location = location
        self.operationDelay = operationDelay
        self.databases = databases
    }

    var dataPlane: DataPlane { DataPlane(databases: self.databases) }

    /// Runs data-plane work outside the store's write, one piece of work per database at a time.
    var executor: EffectExecutor { EffectExecutor(dataPlane: self.dataPlane, lanes: self.lanes) }

    /// Saves the operation record for `result` in the write `store` belongs to, and returns it: accepted
    /// now, visible as finished once its delay passes. Every write that answers with an operation ends here.
    @discardableResult
    func record(
        _ id: UUID,
        server: ServerPath,
        result: OperationResult,
        progress: OperationProgress = .succeeded,
        in store: StoreWriter
    ) throws -> LongRunningOperation {
        let now = self.clock.now
        let operation = LongRunningOperation(
            id: id,
            subscriptionID: server.subscriptionID,
            resourceGroup: server.resourceGroup,
            result: result,
            startTime: now,
            readyAt: now.addingTimeInterval(self.operationDelay),
            progress: progress
        )
        try store.save(operation)
        return operation
    }
}

/// Turns a password into the only form the emulator keeps: a SHA-256 digest.
public enum PasswordDigest {
    /// The lowercase hex SHA-256 of `password`.
    public static func of(_ password: String) -> String {
        SHA256.hash(data: Data(password.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}

/// A page of a list and the token that fetches the next one.
public struct Page<Item: Sendable>: Sendable {
    public var items: [Item]
    /// `nil` on the last page.
    public var nextToken: String?

    public init(items: [Item], nextToken: String?) {
        self.items = items
        self.nextToken = nextToken
    }

    /// Cuts `all` into pages of `size`, starting at the offset in `token`.
    /// - Throws: ``DataSyncError`` when the token is not one this emulator issued.
    static func slicing(_ all: [Item], size: Int, token: String?) throws -> Page<Item> {
        var start = 0
        if let token {
            guard let offset = Int(token), offset >= 0, offset <= all.count else {
                throw DataSyncError.invalidParameterValue("$skipToken", "is not a token this list issued.")
            }
            start = offset
        }
        let end = min(start + size, all.count)
        return Page(items: Array(all[start..<end]), nextToken: end < all.count ? String(end) : nil)
    }
}

/// How many items a list page holds before it continues with `nextLink`.
public let listPageSize = 100
