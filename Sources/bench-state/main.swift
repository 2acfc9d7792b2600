// The state generator of scripts/bench.sh: a data dir holding many sync groups and members, each with the
// operation record its create leaves, written through the emulator's own state store (`StateStore`), so the
// rows, indexes and flags are the ones the emulator writes. Creating 100,000 resources over HTTP takes
// minutes; this takes seconds. The rows are those of `PUT` with `--lro-style sync` of bench.sh's bodies:
// groups `NotReady` (no schema yet), members `UnProvisioned`, operations succeeded.
//
//   bench-state --dir DIR [--groups 1000] [--members 10]
//
// Prints "<resources> <seconds>" on stdout.
import DataSyncModel
import DataSyncStore
import Foundation

var directory: String?
var groupCount = 1000
var memberCount = 10
var arguments = CommandLine.arguments.dropFirst().makeIterator()
while let argument = arguments.next() {
    switch argument {
    case "--dir": directory = arguments.next()
    case "--groups": groupCount = arguments.next().flatMap(Int.init) ?? groupCount
    case "--members": memberCount = arguments.next().flatMap(Int.init) ?? memberCount
    default:
        FileHandle.standardError.write(Data("bench-state: unknown argument \(argument)\n".utf8))
        exit(2)
    }
}
guard let directory else {
    FileHandle.standardError.write(Data("usage: bench-state --dir DIR [--groups N] [--members M]\n".utf8))
    exit(2)
}

/// Writes `groups` groups of `members` members each into the state in `directory`.
func generate(in directory: String, groups: Int, members: Int) async throws {
    let store = try StateStore.open(directory: URL(fileURLWithPath: directory))
    let server = ServerPath(
        subscriptionID: try ResourceName("00000000-1111-2222-3333-444444444444", kind: .subscription),
        resourceGroup: try ResourceName("bench-rg", kind: .resourceGroup),
        server: try ResourceName("bench-server", kind: .server)
    )
    var groupSettings = SyncGroupSettings()
    groupSettings.interval = -1
    groupSettings.conflictResolutionPolicy = .hubWin
    groupSettings.syncDatabaseID = "\(server.id)/databases/bench-syncdb"
    groupSettings.hubDatabaseUserName = "hubUser"
    var memberSettings = SyncMemberSettings()
    memberSettings.databaseType = .azureSqlDatabase
    memberSettings.serverName = "member-server.database.windows.net"
    memberSettings.databaseName = "member-db"
    memberSettings.userName = "myUser"
    memberSettings.syncDirection = .bidirectional
    let settings = (group: groupSettings, member: memberSettings)

    /// The operation record a create answered in sync style leaves behind.
    @Sendable func finished(_ result: OperationResult, at now: Date) -> LongRunningOperation {
        LongRunningOperation(
            id: UUID(),
            subscriptionID: server.subscriptionID,
            resourceGroup: server.resourceGroup,
            result: result,
            startTime: now,
            readyAt: now,
            progress: .succeeded
        )
    }

    // One transaction per 100 groups: the store's own writes, without one fsync per resource.
    for first in stride(from: 0, to: groups, by: 100) {
        let range = first..<min(first + 100, groups)
        try await store.write { writer in
            let now = Date()
            for g in range {
                let database = DatabasePath(server: server, database: try ResourceName("bench-db-\(g % 10)", kind: .database))
                let path = SyncGroupPath(database: database, name: try ResourceName("group-\(g)", kind: .syncGroup))
                let group = SyncGroup(path: path, settings: settings.group, createdAt: now)
                try writer.save(group)
                try writer.save(finished(.groupUpserted(group, created: true), at: now))
                for m in 0..<members {
                    let memberPath = SyncMemberPath(group: path, name: try ResourceName("member-\(m)", kind: .syncMember))
                    let member = SyncMember(path: memberPath, settings: settings.member, createdAt: now)
                    try writer.save(member)
                    try writer.save(finished(.memberUpserted(member, created: true), at: now))
                }
            }
        }
    }
}

let started = Date()
try await generate(in: directory, groups: groupCount, members: memberCount)
print("\(groupCount * (1 + memberCount)) \(String(format: "%.1f", Date().timeIntervalSince(started)))")
