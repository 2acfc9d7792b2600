import ARMConventions
import DataSyncHandlers
import DataSyncModel
import EmulatorIdentity
import Foundation

/// Renders domain values as the ARM JSON the live service sends, shaped for one api-version.
///
/// Views differ as they do live (recordings §3): a GET shows `NotReady` and the user name, while the final
/// poll of a create shows `Good`, the conflict-logging defaults and no user name.
struct Wire {
    let features: WireFeatures

    init(_ version: APIVersion) {
        self.features = WireFeatures(version)
    }

    /// Which answer a resource is rendered for: a GET (and lists), or the final poll of its operation.
    enum View {
        case get
        case finalPoll
    }

    // MARK: Sync groups

    func group(_ group: SyncGroup, view: View) -> JSONValue {
        let settings = group.settings
        var properties = JSONObject()
        properties.set("interval", .integer(Int64(settings.interval ?? -1)))
        properties.set("lastSyncTime", .string(WireDate.format(group.lastSyncTime)))
        properties.set("conflictResolutionPolicy", settings.conflictResolutionPolicy.map { .string($0.rawValue) })
        properties.set("syncDatabaseId", settings.syncDatabaseID.map(JSONValue.string))
        switch view {
        case .get:
            properties.set("hubDatabaseUserName", settings.hubDatabaseUserName.map(JSONValue.string))
            properties.set("syncState", .string(group.syncState.rawValue))
            properties.set("schema", settings.schema.map(self.schema))
            if self.features.conflictLoggingAndSku {
                properties.set("enableConflictLogging", settings.enableConflictLogging.map(JSONValue.bool))
                properties.set(
                    "conflictLoggingRetentionInDays",
                    settings.conflictLoggingRetentionInDays.map { .integer(Int64($0)) }
                )
            }
        case .finalPoll:
            // Every version's final poll shows the conflict-logging defaults, even where no GET does
            // (recordings N1 at 2015-05-01-preview, S1 at 2019-06-01-preview).
            properties.set("syncState", .string(SyncGroupState.good.rawValue))
            properties.set("schema", settings.schema.map(self.schema))
            properties.set("enableConflictLogging", .bool(settings.enableConflictLogging ?? false))
            properties.set("conflictLoggingRetentionInDays", .integer(Int64(settings.conflictLoggingRetentionInDays ?? 30)))
        }
        if view == .get || self.features.groupFinalPollPrivateLink {
            self.privateLink(
                settings.usePrivateLinkConnection,
                name: group.path.name,
                endpointName: self.features.groupPrivateEndpointName,
                into: &properties
            )
        }
        var resource = JSONObject()
        if self.features.conflictLoggingAndSku, let sku = settings.sku ?? (self.features.identity ? SyncGroupSku(name: "Basic", capacity: 50) : nil) {
            resource.set("sku", self.sku(sku))
        }
        if self.features.identity {
            resource.set("identity", self.identity(settings.identity ?? DataSyncIdentity(type: .none)))
        }
        return self.envelope(&resource, properties: properties, id: group.path.id, name: group.path.name, type: ARMResourceType.syncGroup)
    }

    /// The final poll of a PATCH: what was patched (the conflict policy included, recording P1), with the
    /// blanked sync database id the service returns.
    func patchedGroup(_ group: SyncGroup, patch: SyncGroupSettings) -> JSONValue {
        var properties = JSONObject()
        properties.set("interval", patch.interval.map { .integer(Int64($0)) })
        properties.set("lastSyncTime", .string(WireDate.format(group.lastSyncTime)))
        properties.set("conflictResolutionPolicy", patch.conflictResolutionPolicy.map { .string($0.rawValue) })
        properties.set(
            "syncDatabaseId",
            .string("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups//providers/Microsoft.Sql/servers//databases/")
        )
        properties.set("syncState", .string(SyncGroupState.good.rawValue))
        if patch.usePrivateLinkConnection != nil, self.features.groupFinalPollPrivateLink {
            self.privateLink(group.settings.usePrivateLinkConnection, name: group.path.name, endpointName: true, into: &properties)
        }
        var resource = JSONObject()
        return self.envelope(&resource, properties: properties, id: group.path.id, name: group.path.name, type: ARMResourceType.syncGroup)
    }

    func deletedGroup(_ path: SyncGroupPath) -> JSONValue {
        var resource = JSONObject()
        let properties: JSONObject = [
            "lastSyncTime": .string(WireDate.format(neverSyncedTime)),
            "syncState": .string(SyncGroupState.notReady.rawValue),
        ]
        return self.envelope(&resource, properties: properties, id: path.id, name: path.name, type: ARMResourceType.syncGroup)
    }

    func schema(_ schema: SyncGroupSchema) -> JSONValue {
        var object = JSONObject()
        object.set(
            "tables",
            .array(
                schema.tables.map { table in
                    var tableObject = JSONObject()
                    tableObject.set(
                        "columns",
                        .array(
                            table.columns.map { column in
                                var columnObject = JSONObject()
                                columnObject.set("quotedName", column.quotedName.map(JSONValue.string))
                                columnObject.set("dataSize", column.dataSize.map(JSONValue.string))
                                columnObject.set("dataType", column.dataType.map(JSONValue.string))
                                return .object(columnObject)
                            }
                        )
                    )
                    tableObject.set("quotedName", table.quotedName.map(JSONValue.string))
                    return .object(tableObject)
                }
            )
        )
        object.set("masterSyncMemberName", schema.masterSyncMemberName.map(JSONValue.string))
        return .object(object)
    }

    /// A hub or member schema list. A refresh that found no tables lists nothing: every live recording
    /// of a schema list after refreshing an empty database answered `{"value":[]}` (N1, N2, S4).
    func schemaList(_ schemas: [DatabaseSchema]) -> JSONValue {
        Self.list(schemas.filter { !$0.tables.isEmpty }.map(self.fullSchema), nextLink: nil)
    }

    private func fullSchema(_ schema: DatabaseSchema) -> JSONValue {
        let tables: [JSONValue] = schema.tables.map { table in
            var tableObject = JSONObject()
            tableObject.set(
                "columns",
                .array(
                    table.columns.map { column in
                        var columnObject = JSONObject()
                        columnObject.set("dataSize", .string(column.dataSize))
                        columnObject.set("dataType", .string(column.dataType))
                        columnObject.set("errorId", column.errorID.map(JSONValue.string))
                        columnObject.set("hasError", .bool(column.errorID != nil))
                        columnObject.set("isPrimaryKey", .bool(column.isPrimaryKey))
                        columnObject.set("name", .string(column.name))
                        columnObject.set("quotedName", .string(column.quotedName))
                        return .object(columnObject)
                    }
                )
            )
            tableObject.set("errorId", table.errorID.map(JSONValue.string))
            tableObject.set("hasError", .bool(table.errorID != nil))
            tableObject.set("name", .string(table.name))
            tableObject.set("quotedName", .string(table.quotedName))
            return .object(tableObject)
        }
        return .object(["tables": .array(tables), "lastUpdateTime": .string(WireDate.format(schema.lastUpdateTime))])
    }

    func logEntry(_ entry: SyncLogEntry) -> JSONValue {
        .object([
            "timestamp": .string(WireDate.format(entry.timestamp)),
            "type": .string(entry.type.rawValue),
            "source": .string(entry.source),
            "details": .string(entry.details),
            "tracingId": .string(entry.tracingID.uuidString.lowercased()),
            "operationStatus": .string(entry.operationStatus),
        ])
    }

    // MARK: Sync members

    func member(_ member: SyncMember, view: View) -> JSONValue {
        let settings = member.settings
        var properties = JSONObject()
        properties.set("databaseType", .string((settings.databaseType ?? .azureSqlDatabase).rawValue))
        properties.set("syncAgentId", settings.syncAgentID.map(JSONValue.string))
        properties.set("sqlServerDatabaseId", settings.sqlServerDatabaseID.map(JSONValue.string))
        if view == .get, self.features.privateLink {
            let resourceID = settings.syncMemberAzureDatabaseResourceID
            if resourceID != nil || !self.features.memberDatabaseResourceIDOnlyWhenSet {
                properties.set("syncMemberAzureDatabaseResourceId", .string(resourceID ?? ""))
            }
        }
        self.privateLink(
            settings.usePrivateLinkConnection,
            name: member.path.name,
            endpointName: self.features.conflictLoggingAndSku,
            into: &properties
        )
        properties.set("serverName", settings.serverName.map(JSONValue.string))
        properties.set("databaseName", settings.databaseName.map(JSONValue.string))
        if view == .get {
            properties.set("userName", .string(settings.userName ?? ""))
        }
        properties.set("syncDirection", .string((settings.syncDirection ?? .bidirectional).rawValue))
        if view == .get {
            properties.set("syncState", .string(member.syncState.rawValue))
        }
        properties.set("skipInitSync", .bool(false))
        var resource = JSONObject()
        if self.features.identity, let identity = settings.identity {
            resource.set("identity", self.identity(identity))
        }
        return self.envelope(&resource, properties: properties, id: member.path.id, name: member.path.name, type: ARMResourceType.syncMember)
    }

    /// The final poll of a PATCH: the patched descriptive properties and `skipInitSync`.
    func patchedMember(_ member: SyncMember, patch: SyncMemberSettings) -> JSONValue {
        var properties = JSONObject()
        properties.set("databaseType", patch.databaseType.map { .string($0.rawValue) })
        properties.set("syncAgentId", patch.syncAgentID.map(JSONValue.string))
        properties.set("sqlServerDatabaseId", patch.sqlServerDatabaseID.map(JSONValue.string))
        properties.set("serverName", patch.serverName.map(JSONValue.string))
        properties.set("databaseName", patch.databaseName.map(JSONValue.string))
        properties.set("syncDirection", patch.syncDirection.map { .string($0.rawValue) })
        properties.set("skipInitSync", .bool(false))
        var resource = JSONObject()
        return self.envelope(&resource, properties: properties, id: member.path.id, name: member.path.name, type: ARMResourceType.syncMember)
    }

    func deletedMember(_ path: SyncMemberPath) -> JSONValue {
        var resource = JSONObject()
        return self.envelope(&resource, properties: ["skipInitSync": .bool(false)], id: path.id, name: path.name, type: ARMResourceType.syncMember)
    }

    // MARK: Sync agents

    func agent(_ agent: SyncAgent, view: View) -> JSONValue {
        var properties = JSONObject()
        properties.set("syncDatabaseId", agent.syncDatabaseID.map(JSONValue.string))
        if view == .get {
            properties.set("state", .string(agent.state.rawValue))
            properties.set("isUpToDate", .bool(true))
            properties.set("expiryTime", .string("9999-12-31T23:59:59.9999999Z"))
            properties.set("version", .string("4.2.0.0"))
        }
        var resource = JSONObject()
        return self.envelope(&resource, properties: properties, id: agent.path.id, name: agent.path.name, type: ARMResourceType.syncAgent)
    }

    func deletedAgent(_ path: SyncAgentPath) -> JSONValue {
        var resource = JSONObject()
        return self.envelope(&resource, properties: [:], id: path.id, name: path.name, type: ARMResourceType.syncAgent)
    }

    func linkedDatabase(_ database: LinkedDatabase) -> JSONValue {
        .object([
            "properties": .object([
                "databaseType": .string(database.databaseType.rawValue),
                "databaseId": .string(database.databaseID),
                "description": .string(""),
                "serverName": .string(database.serverName),
                "databaseName": .string(database.databaseName),
                "userName": .string(database.userName),
            ]),
            "id": .string("\(database.agent.id)/linkedDatabases/\(database.databaseID)"),
        ])
    }

    // MARK: Shared pieces

    private func privateLink(_ enabled: Bool?, name: ResourceName, endpointName: Bool, into properties: inout JSONObject) {
        guard self.features.privateLink else { return }
        properties.set("usePrivateLinkConnection", .bool(enabled ?? false))
        if endpointName {
            let endpoint = enabled == true ? "PE_\(privateEndpointID(name).uppercased())_\(name)" : ""
            properties.set("privateEndpointName", .string(endpoint))
        }
    }

    private func sku(_ sku: SyncGroupSku) -> JSONValue {
        var object = JSONObject()
        object.set("name", .string(sku.name))
        object.set("tier", sku.tier.map(JSONValue.string))
        object.set("size", sku.size.map(JSONValue.string))
        object.set("family", sku.family.map(JSONValue.string))
        object.set("capacity", sku.capacity.map { .integer(Int64($0)) })
        return .object(object)
    }

    /// A user-assigned identity shows its directory's `tenantId` (recording S3, a member GET at
    /// 2025-02-01-preview): the emulator's own tenant, the one `/subscriptions` lists, unless the request named one.
    private func identity(_ identity: DataSyncIdentity) -> JSONValue {
        var object = JSONObject()
        object.set("type", .string(identity.type.rawValue))
        let tenant = identity.userAssignedIdentities.isEmpty ? nil : EmulatorTenant.id
        object.set("tenantId", (identity.tenantID ?? tenant).map(JSONValue.string))
        if !identity.userAssignedIdentities.isEmpty {
            var identities = JSONObject()
            for id in identity.userAssignedIdentities {
                let principal = stableIdentityUUID(id, salt: "principal")
                let client = stableIdentityUUID(id, salt: "client")
                identities.set(id, .object(["principalId": .string(principal), "clientId": .string(client)]))
            }
            object.set("userAssignedIdentities", .object(identities))
        }
        return .object(object)
    }

    private func envelope(
        _ resource: inout JSONObject,
        properties: JSONObject,
        id: String,
        name: ResourceName,
        type: String
    ) -> JSONValue {
        resource.set("properties", .object(properties))
        resource.set("id", .string(id))
        resource.set("name", .string(name.value))
        resource.set("type", .string(type))
        return .object(resource)
    }

    /// `{"value":[…],"nextLink":…}`.
    static func list(_ values: [JSONValue], nextLink: String?) -> JSONValue {
        var object = JSONObject()
        object.set("value", .array(values))
        object.set("nextLink", nextLink.map(JSONValue.string))
        return .object(object)
    }
}

private func privateEndpointID(_ name: ResourceName) -> String {
    StableID.uuidString("private-endpoint|" + name.key)
}

private func stableIdentityUUID(_ text: String, salt: String) -> String {
    StableID.uuidString(salt + "|" + text)
}
