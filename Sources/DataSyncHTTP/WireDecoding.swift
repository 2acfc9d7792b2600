import ARMConventions
import DataSyncHandlers
import DataSyncModel
import Foundation

/// Reads request bodies into domain settings, with the service's errors for wrong types and values.
///
/// `null` reads as "not given". Read-only properties (`syncState`, `lastSyncTime`, …) and unknown ones are
/// ignored, as the live service ignores them. Passwords become digests here and go no further.
struct WireDecoder: Sendable {
    let features: WireFeatures

    /// Runs `decode` (one of this decoder's methods) on `body`; off the cooperative pool when the body carries a
    /// password, whose hash is slow on purpose (see ``PasswordDigest``) and must not hold up other requests.
    func decoding<T: Sendable>(_ body: JSONObject?, with decode: @escaping @Sendable (JSONObject?) throws -> T) async throws -> T {
        let properties = body?["properties"]?.objectValue
        guard properties?["password"] != nil || properties?["hubDatabasePassword"] != nil else { return try decode(body) }
        return try await offload { try decode(body) }
    }

    func groupSettings(_ body: JSONObject?) throws -> SyncGroupSettings {
        var settings = SyncGroupSettings()
        guard let body else { return settings }
        let properties = try self.object(body["properties"], path: "properties")
        if let properties {
            settings.interval = try self.int32(properties["interval"], path: "properties.interval")
            settings.conflictResolutionPolicy = try self.enumeration(
                properties["conflictResolutionPolicy"],
                path: "properties.conflictResolutionPolicy",
                parameter: "conflictResolutionPolicy"
            )
            settings.syncDatabaseID = try self.string(properties["syncDatabaseId"], path: "properties.syncDatabaseId")
            settings.hubDatabaseUserName = try self.string(
                properties["hubDatabaseUserName"],
                path: "properties.hubDatabaseUserName"
            )
            settings.hubDatabasePasswordDigest = try self.string(
                properties["hubDatabasePassword"],
                path: "properties.hubDatabasePassword"
            ).map(PasswordDigest.of)
            settings.schema = try self.schema(properties["schema"])
            settings.usePrivateLinkConnection = try self.bool(
                properties["usePrivateLinkConnection"],
                path: "properties.usePrivateLinkConnection"
            )
            settings.enableConflictLogging = try self.bool(
                properties["enableConflictLogging"],
                path: "properties.enableConflictLogging"
            )
            settings.conflictLoggingRetentionInDays = try self.int32(
                properties["conflictLoggingRetentionInDays"],
                path: "properties.conflictLoggingRetentionInDays"
            )
        }
        if let sku = try self.object(body["sku"], path: "sku") {
            guard let name = try self.string(sku["name"], path: "sku.name") else {
                throw DataSyncError.invalidRequestContent("Required property 'name' not found in JSON. Path 'sku'.")
            }
            settings.sku = SyncGroupSku(
                name: name,
                tier: try self.string(sku["tier"], path: "sku.tier"),
                size: try self.string(sku["size"], path: "sku.size"),
                family: try self.string(sku["family"], path: "sku.family"),
                capacity: try self.int32(sku["capacity"], path: "sku.capacity")
            )
        }
        if self.features.identity {
            settings.identity = try self.identity(body["identity"])
        }
        return settings
    }

    func memberSettings(_ body: JSONObject?) throws -> SyncMemberSettings {
        var settings = SyncMemberSettings()
        guard let body else { return settings }
        if let properties = try self.object(body["properties"], path: "properties") {
            settings.databaseType = try self.enumeration(
                properties["databaseType"],
                path: "properties.databaseType",
                parameter: "databaseType"
            )
            settings.syncAgentID = try self.string(properties["syncAgentId"], path: "properties.syncAgentId")
            settings.sqlServerDatabaseID = try self.string(
                properties["sqlServerDatabaseId"],
                path: "properties.sqlServerDatabaseId"
            )
            if let id = settings.sqlServerDatabaseID, UUID(canonical: id) == nil {
                throw DataSyncError.invalidRequestContent(
                    "Error converting value \"\(id)\" to type 'System.Guid'. Path 'properties.sqlServerDatabaseId'."
                )
            }
            settings.syncMemberAzureDatabaseResourceID = try self.string(
                properties["syncMemberAzureDatabaseResourceId"],
                path: "properties.syncMemberAzureDatabaseResourceId"
            )
            settings.usePrivateLinkConnection = try self.bool(
                properties["usePrivateLinkConnection"],
                path: "properties.usePrivateLinkConnection"
            )
            settings.serverName = try self.string(properties["serverName"], path: "properties.serverName")
            settings.databaseName = try self.string(properties["databaseName"], path: "properties.databaseName")
            settings.userName = try self.string(properties["userName"], path: "properties.userName")
            settings.passwordDigest = try self.string(properties["password"], path: "properties.password")
                .map(PasswordDigest.of)
            settings.syncDirection = try self.enumeration(
                properties["syncDirection"],
                path: "properties.syncDirection",
                parameter: "syncDirection"
            )
        }
        if self.features.identity {
            settings.identity = try self.identity(body["identity"])
        }
        return settings
    }

    /// The agent's only writable property; `nil` when the body gives none.
    func agentSyncDatabaseID(_ body: JSONObject?) throws -> String? {
        guard let body, let properties = try self.object(body["properties"], path: "properties") else { return nil }
        return try self.string(properties["syncDatabaseId"], path: "properties.syncDatabaseId")
    }

    // MARK: Typed reads

    private func object(_ value: JSONValue?, path: String) throws -> JSONObject? {
        switch value {
        case nil, .null: return nil
        case .object(let object): return object
        case let value?: throw Self.typeError(value, expected: "object", path: path)
        }
    }

    private func string(_ value: JSONValue?, path: String) throws -> String? {
        switch value {
        case nil, .null: return nil
        case .string(let string): return string
        case .integer(let number): return String(number)
        case .bool(let flag): return flag ? "True" : "False"
        case let value?: throw Self.typeError(value, expected: "System.String", path: path)
        }
    }

    private func bool(_ value: JSONValue?, path: String) throws -> Bool? {
        switch value {
        case nil, .null: return nil
        case .bool(let flag): return flag
        case .string(let text) where text.lowercased() == "true": return true
        case .string(let text) where text.lowercased() == "false": return false
        case let value?: throw Self.typeError(value, expected: "System.Boolean", path: path)
        }
    }

    private func int32(_ value: JSONValue?, path: String) throws -> Int? {
        switch value {
        case nil, .null:
            return nil
        case .integer(let number) where number >= Int64(Int32.min) && number <= Int64(Int32.max):
            return Int(number)
        case .integer(let number):
            throw DataSyncError.invalidRequestContent(
                "JSON integer \(number) is too large or small for an Int32. Path '\(path)'."
            )
        case .string(let text):
            guard let number = Int32(text) else {
                throw DataSyncError.invalidRequestContent("Could not convert string to integer: \(text). Path '\(path)'.")
            }
            return Int(number)
        case let value?:
            throw Self.typeError(value, expected: "System.Int32", path: path)
        }
    }

    private func enumeration<E: RawRepresentable & CaseIterable>(
        _ value: JSONValue?,
        path: String,
        parameter: String
    ) throws -> E? where E.RawValue == String {
        guard let text = try self.string(value, path: path) else { return nil }
        guard let match = E.allCases.first(where: { $0.rawValue.lowercased() == text.lowercased() }) else {
            let allowed = E.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
            throw DataSyncError.invalidParameterValue(parameter, "must be one of \(allowed); got '\(text)'.")
        }
        return match
    }

    private func schema(_ value: JSONValue?) throws -> SyncGroupSchema? {
        guard let object = try self.object(value, path: "properties.schema") else { return nil }
        var tables: [SyncGroupSchemaTable] = []
        for (tableIndex, tableValue) in try self.array(object["tables"], path: "properties.schema.tables").enumerated() {
            let tablePath = "properties.schema.tables[\(tableIndex)]"
            guard let table = try self.object(tableValue, path: tablePath) else { continue }
            var columns: [SyncGroupSchemaColumn] = []
            for (columnIndex, columnValue) in try self.array(table["columns"], path: "\(tablePath).columns").enumerated() {
                let columnPath = "\(tablePath).columns[\(columnIndex)]"
                guard let column = try self.object(columnValue, path: columnPath) else { continue }
                columns.append(
                    SyncGroupSchemaColumn(
                        quotedName: try self.string(column["quotedName"], path: "\(columnPath).quotedName"),
                        dataSize: try self.string(column["dataSize"], path: "\(columnPath).dataSize"),
                        dataType: try self.string(column["dataType"], path: "\(columnPath).dataType")
                    )
                )
            }
            tables.append(
                SyncGroupSchemaTable(
                    quotedName: try self.string(table["quotedName"], path: "\(tablePath).quotedName"),
                    columns: columns
                )
            )
        }
        return SyncGroupSchema(
            tables: tables,
            masterSyncMemberName: try self.string(object["masterSyncMemberName"], path: "properties.schema.masterSyncMemberName")
        )
    }

    private func array(_ value: JSONValue?, path: String) throws -> [JSONValue] {
        switch value {
        case nil, .null: return []
        case .array(let values): return values
        case let value?: throw Self.typeError(value, expected: "array", path: path)
        }
    }

    private func identity(_ value: JSONValue?) throws -> DataSyncIdentity? {
        guard let object = try self.object(value, path: "identity") else { return nil }
        guard object["type"] != nil, object["type"] != .null else {
            throw DataSyncError.missingIdentityType
        }
        guard let type: DataSyncIdentityType = try self.enumeration(object["type"], path: "identity.type", parameter: "identity.type") else {
            return nil
        }
        let identities = try self.object(object["userAssignedIdentities"], path: "identity.userAssignedIdentities")?
            .members.map(\.key) ?? []
        if type == .userAssigned || type == .systemAssignedUserAssigned {
            guard !identities.isEmpty else {
                throw DataSyncError.missingUserAssignedIdentities
            }
            guard identities.count == 1 else {
                throw DataSyncError.multipleIdentities
            }
        }
        return DataSyncIdentity(
            type: type,
            tenantID: try self.string(object["tenantId"], path: "identity.tenantId"),
            userAssignedIdentities: identities
        )
    }

    private static func typeError(_ value: JSONValue, expected: String, path: String) -> DataSyncError {
        DataSyncError.invalidRequestContent(
            "Error converting value of type \(value.typeName) to type '\(expected)'. Path '\(path)'."
        )
    }
}
