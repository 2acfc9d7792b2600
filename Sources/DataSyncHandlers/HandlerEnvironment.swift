import Crypto
import _CryptoExtras
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

/// Turns a password into the only form the emulator keeps: `pbkdf2-sha256$<rounds>$<salt>$<key>` (base64),
/// PBKDF2-HMAC-SHA256 with a random 16-byte salt per password.
///
/// 100,000 rounds: a leaked state file costs an attacker that many HMACs per guess and per password, while
/// every write that carries a password pays it once. OWASP's 600,000 (Password Storage Cheat Sheet, 2023)
/// is for login passwords checked once a session; here SDK clients resend the password with every PUT, often
/// several clients at once in CI, where 600,000 rounds cost seconds per request in a debug build. The emulator never needs the password back; it only keeps a form that
/// proves which password was given. State files written before kept an unsalted SHA-256 in lowercase hex;
/// ``verify(_:against:)`` still accepts those.
public enum PasswordDigest {
    /// The rounds of new digests.
    public static let rounds = 100_000
    private static let scheme = "pbkdf2-sha256"

    /// A new salted digest of `password`.
    public static func of(_ password: String) -> String {
        var salt = [UInt8](repeating: 0, count: 16)
        var generator = SystemRandomNumberGenerator()
        for index in salt.indices { salt[index] = generator.next() }
        return Self.digest(password, salt: salt, rounds: Self.rounds)
    }

    /// Whether `password` is the one `digest` was made from; `false` for a digest of unknown form.
    public static func verify(_ password: String, against digest: String) -> Bool {
        let parts = digest.split(separator: "$", omittingEmptySubsequences: false)
        if parts.count == 4, parts[0] == Self.scheme, let rounds = Int(parts[1]), (1...10_000_000).contains(rounds),
            let salt = Data(base64Encoded: String(parts[2]))
        {
            return Self.constantTimeEqual(Self.digest(password, salt: Array(salt), rounds: rounds), digest)
        }
        if digest.count == 64, digest.allSatisfy(\.isHexDigit) {
            let legacy = SHA256.hash(data: Data(password.utf8)).map { String(format: "%02x", $0) }.joined()
            return Self.constantTimeEqual(legacy, digest.lowercased())
        }
        return false
    }

    private static func digest(_ password: String, salt: [UInt8], rounds: Int) -> String {
        // Only an output length or round count of zero makes this throw; neither can happen here.
        let key = (try? KDF.Insecure.PBKDF2.deriveKey(
            from: Data(password.utf8),
            salt: salt,
            using: .sha256,
            outputByteCount: 32,
            unsafeUncheckedRounds: rounds
        )).map { $0.withUnsafeBytes { Data($0) } } ?? Data()
        return "\(Self.scheme)$\(rounds)$\(Data(salt).base64EncodedString())$\(key.base64EncodedString())"
    }

    private static func constantTimeEqual(_ left: String, _ right: String) -> Bool {
        let (a, b) = (Array(left.utf8), Array(right.utf8))
        guard a.count == b.count else { return false }
        return zip(a, b).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
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
