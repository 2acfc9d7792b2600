import DataSyncModel
import DataSyncStore
import Foundation

/// A database linked to a sync agent: a member that reaches its database through the agent.
public struct LinkedDatabase: Sendable, Equatable {
    public var agent: SyncAgentPath
    public var databaseID: String
    public var databaseType: SyncMemberDatabaseType
    public var serverName: String
    public var databaseName: String
    public var userName: String
}

/// The semantics of the sync agent operations, transport-agnostic.
public struct SyncAgentHandler: Sendable {
    let environment: HandlerEnvironment

    public init(environment: HandlerEnvironment) {
        self.environment = environment
    }

    /// `SyncAgents_Get`.
    public func get(_ path: SyncAgentPath) async throws -> SyncAgent {
        guard let agent = try self.environment.store.agent(path) else { throw DataSyncError.syncAgentNotFound(path.name) }
        return agent
    }

    /// `SyncAgents_ListByServer`.
    public func list(on server: ServerPath, pageToken: String?) async throws -> Page<SyncAgent> {
        let all = try await self.environment.store.read { try $0.agents(on: server) }
        return try Page.slicing(all, size: listPageSize, token: pageToken)
    }

    /// `SyncAgents_CreateOrUpdate`.
    public func createOrUpdate(
        _ path: SyncAgentPath,
        syncDatabaseID: String?,
        operationID: UUID
    ) async throws -> LongRunningOperation {
        if let id = syncDatabaseID, DatabasePath(armID: id) == nil {
            throw DataSyncError.invalidDatabaseResourceID
        }
        let environment = self.environment
        return try await environment.store.write { store in
            let existing = try store.reader.agent(path)
            if let id = syncDatabaseID, let wanted = DatabasePath(armID: id) {
                try requireSameSyncDatabase(wanted, inUse: syncDatabasesInUse(path.server.subscriptionID, excluding: path.id.armKey, in: store.reader))
            }
            var agent = existing ?? SyncAgent(
                path: path,
                syncDatabaseID: syncDatabaseID,
                keyID: UUID(),
                createdAt: environment.clock.now
            )
            agent.syncDatabaseID = syncDatabaseID
            try store.save(agent)
            return try environment.record(operationID, server: path.server, result: .agentUpserted(agent, created: existing == nil), in: store)
        }
    }

    /// `SyncAgents_Delete`. `nil` when there was nothing to delete.
    /// - Throws: `CannotDeleteInUseSyncAgent` while a member still uses the agent.
    public func delete(_ path: SyncAgentPath, operationID: UUID) async throws -> LongRunningOperation? {
        let environment = self.environment
        return try await environment.store.write { store in
            guard let agent = try store.reader.agent(path) else { return nil }
            guard try Self.users(of: agent, in: store.reader).isEmpty else {
                throw DataSyncError.cannotDeleteInUseSyncAgent
            }
            try store.deleteAgent(agent.path)
            return try environment.record(operationID, server: path.server, result: .agentDeleted(agent.path), in: store)
        }
    }

    /// `SyncAgents_GenerateKey`: `<stable GUID>:<fresh base64 secret>:<base64 of "server FQDN⁇sync database">`.
    public func generateKey(_ path: SyncAgentPath) async throws -> String {
        let agent = try await self.get(path)
        var secret = [UInt8](repeating: 0, count: 32)
        var generator = SystemRandomNumberGenerator()
        for index in secret.indices { secret[index] = generator.next() }
        let database = agent.syncDatabaseID.flatMap(DatabasePath.init(armID:))
        let server = database?.server.server.value ?? agent.path.server.server.value
        let target = "\(server).database.windows.net\u{2047}\(database?.database.value ?? "")"
        return [
            agent.keyID.uuidString.lowercased(),
            Data(secret).base64EncodedString(),
            Data(target.utf8).base64EncodedString(),
        ].joined(separator: ":")
    }

    /// `SyncAgents_ListLinkedDatabases`: the members that reach their database through this agent.
    public func listLinkedDatabases(_ path: SyncAgentPath, pageToken: String?) async throws -> Page<LinkedDatabase> {
        let all = try await self.environment.store.read { reader in
            let agent = try Self.existing(path, in: reader)
            return try Self.users(of: agent, in: reader).map { member in
                LinkedDatabase(
                    agent: agent.path,
                    databaseID: member.settings.sqlServerDatabaseID ?? StableID.uuidString(member.path.id),
                    databaseType: member.settings.databaseType ?? .sqlServerDatabase,
                    serverName: member.settings.serverName ?? "",
                    databaseName: member.settings.databaseName ?? "",
                    userName: member.settings.userName ?? ""
                )
            }
        }
        return try Page.slicing(all, size: listPageSize, token: pageToken)
    }

    static func existing(_ path: SyncAgentPath, in reader: StoreReader) throws -> SyncAgent {
        guard let agent = try reader.agent(path) else { throw DataSyncError.syncAgentNotFound(path.name) }
        return agent
    }

    static func users(of agent: SyncAgent, in reader: StoreReader) throws -> [SyncMember] {
        try reader.members(inSubscription: agent.path.server.subscriptionID).filter { member in
            guard let id = member.settings.syncAgentID, let path = SyncAgentPath(armID: id) else { return false }
            return path.id.armKey == agent.path.id.armKey
        }
    }
}
