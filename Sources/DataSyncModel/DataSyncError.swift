/// A failure a client caused, with the live service's wire code and message.
///
/// It carries no HTTP status: the HTTP layer maps each ``Code`` to one in a single place.
public struct DataSyncError: Error, Sendable, Codable, Equatable, CustomStringConvertible {
    /// The classes of failure; the HTTP layer decides each one's status.
    public enum Code: String, Sendable, Codable {
        case notFound
        case badRequest
    }

    public var code: Code
    /// The service's error code, such as `ResourceNotFound`.
    public var wireCode: String
    public var message: String

    public init(_ code: Code, wireCode: String, message: String) {
        self.code = code
        self.wireCode = wireCode
        self.message = message
    }

    public var description: String { "\(self.wireCode): \(self.message)" }
}

extension DataSyncError {
    /// The RP's 404, with the exact per-type text.
    public static func resourceNotFound(type: String, name: String) -> DataSyncError {
        DataSyncError(
            .notFound,
            wireCode: "ResourceNotFound",
            message: "The requested resource of type '\(type)' with name '\(name)' was not found."
        )
    }

    public static func syncGroupNotFound(_ name: ResourceName) -> DataSyncError {
        .resourceNotFound(type: ARMResourceType.syncGroup, name: name.value)
    }

    public static func syncMemberNotFound(_ name: ResourceName) -> DataSyncError {
        .resourceNotFound(type: ARMResourceType.syncMember, name: name.value)
    }

    public static func syncAgentNotFound(_ name: ResourceName) -> DataSyncError {
        .resourceNotFound(type: ARMResourceType.syncAgent, name: name.value)
    }

    public static func operationNotFound(type: String, id: String) -> DataSyncError {
        .resourceNotFound(type: type, name: id)
    }

    /// A PATCH (or PUT) whose body holds nothing to apply.
    public static func emptyRequestBody(_ kind: ResourceKind) -> DataSyncError {
        switch kind {
        case .syncMember:
            DataSyncError(
                .badRequest,
                wireCode: "InvalidSyncMemberCreateOrUpdateRequest",
                message: "The create or update sync member request body is empty."
            )
        case .syncAgent:
            DataSyncError(
                .badRequest,
                wireCode: "InvalidSyncAgentCreateOrUpdateRequest",
                message: "The create or update sync agent request body is empty."
            )
        default:
            DataSyncError(
                .badRequest,
                wireCode: "InvalidSyncGroupCreateOrUpdateRequest",
                message: "The create or update sync group request body is empty."
            )
        }
    }

    /// A name that breaks ``ResourceName``'s rules.
    public static func invalidName(kind: ResourceKind, name: String) -> DataSyncError {
        let (code, label): (String, String) =
            switch kind {
            case .syncGroup: ("InvalidSyncGroupName", "Sync Group")
            case .syncMember: ("InvalidSyncMemberName", "Sync Member")
            case .syncAgent: ("InvalidSyncAgentName", "Sync Agent")
            case .server: ("InvalidServerName", "server")
            case .database: ("InvalidDatabaseName", "database")
            case .resourceGroup: ("InvalidResourceGroupName", "resource group")
            case .subscription: ("InvalidSubscriptionId", "subscription id")
            case .location: ("InvalidLocationName", "location")
            }
        return DataSyncError(
            .badRequest,
            wireCode: code,
            message: "The \(label) name is invalid. This field can contain letters, numbers, dashes and underscores."
        )
    }

    /// A value outside what the contract allows, such as an unknown enum spelling.
    public static func invalidParameterValue(_ parameter: String, _ detail: String) -> DataSyncError {
        DataSyncError(
            .badRequest,
            wireCode: "InvalidParameterValue",
            message: "An invalid value was given to a parameter. '\(parameter)' \(detail)"
        )
    }

    /// An `interval` that is neither -1 nor at least 5 seconds.
    public static let invalidSyncInterval = DataSyncError(
        .badRequest,
        wireCode: "InvalidSyncGroupInterval",
        message: "Sync Interval should be greater than or equal to 5 seconds."
    )

    /// The service's catch-all for data-sync semantic failures.
    public static func genericFailure(_ detail: String) -> DataSyncError {
        DataSyncError(
            .badRequest,
            wireCode: "SyncOperation_GenericFailure",
            message: "Failed to perform data sync operation: \(detail)"
        )
    }

    /// A group names a sync database other than the one already used in its subscription and region.
    public static func wrongSyncDatabase(specified: String, existing: String) -> DataSyncError {
        DataSyncError(
            .badRequest,
            wireCode: "SyncOperation_WrongSyncDatabase",
            message:
                "The sync database specified (\(specified)) does not match the existing sync database (\(existing))."
        )
    }

    /// A `syncDatabaseId` (or similar) that is not a database ARM id.
    /// A schema selects a column whose type Data Sync cannot sync.
    public static func unsupportedColumnType(column: String, table: String, dataType: String) -> DataSyncError {
        DataSyncError(
            .badRequest,
            wireCode: "SyncOperation_UnsupportedDataTypeColumnInSchema",
            message: "Column '\(column)' of table '\(table)' has the data type '\(dataType)', which Data Sync does not support."
        )
    }

    /// The answer to a poll of an operation whose work a restart of the emulator cut short.
    public static let interruptedByRestart = DataSyncError.genericFailure(
        "the operation was interrupted by a restart of the emulator; run it again."
    )

    public static let invalidDatabaseResourceID = DataSyncError(
        .badRequest,
        wireCode: "InvalidDatabaseResourceId",
        message: "Invalid database resource identifier."
    )

    /// A member's `syncAgentId` that is not a sync agent ARM id.
    public static let invalidSyncAgentResourceID = DataSyncError(
        .badRequest,
        wireCode: "InvalidSyncAgentResourceId",
        message: "Invalid sync agent resource identifier."
    )

    /// Deleting an agent that members still use.
    public static let cannotDeleteInUseSyncAgent = DataSyncError(
        .badRequest,
        wireCode: "CannotDeleteInUseSyncAgent",
        message: "Cannot delete sync agent because it is used by sync member."
    )

    /// An `identity` without a `type`.
    public static let missingIdentityType = DataSyncError(
        .badRequest,
        wireCode: "DataSyncMissingIdentityType",
        message: "The identity type must be specified."
    )

    /// A user-assigned identity type with no identity listed.
    public static let missingUserAssignedIdentities = DataSyncError(
        .badRequest,
        wireCode: "DataSyncMissingUserAssignedIdentities",
        message: "The identity type is set to 'UserAssigned', but no user-assigned identities are listed."
    )

    /// More than one user-assigned identity: the service takes one.
    public static let multipleIdentities = DataSyncError(
        .badRequest,
        wireCode: "DataSyncMultipleIdentities",
        message: "Only one user-assigned managed identity is supported for a sync configuration."
    )

    /// A body that is not JSON, or a property of the wrong type.
    public static func invalidRequestContent(_ detail: String) -> DataSyncError {
        DataSyncError(
            .badRequest,
            wireCode: "InvalidRequestContent",
            message: "The request content was invalid and could not be deserialized: '\(detail)'."
        )
    }
}

/// The ARM `type` strings of the Data Sync resources.
public enum ARMResourceType {
    public static let syncGroup = "Microsoft.Sql/servers/databases/syncGroups"
    public static let syncMember = "Microsoft.Sql/servers/databases/syncGroups/syncMembers"
    public static let syncAgent = "Microsoft.Sql/servers/syncAgents"
}
