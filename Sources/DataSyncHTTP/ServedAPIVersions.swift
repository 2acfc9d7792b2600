import ARMConventions

/// The api-versions served per resource type, from the contract's presence table, and what each adds to
/// the wire shape. This file is the one place that decides api-version shaping.
enum ServedAPIVersions {
    static let all: [APIVersion] = [
        "2015-05-01-preview", "2019-06-01-preview", "2020-02-02-preview", "2020-08-01-preview",
        "2020-11-01-preview", "2021-02-01-preview", "2021-05-01-preview", "2021-08-01-preview",
        "2021-11-01-preview", "2021-11-01", "2022-02-01-preview", "2022-05-01-preview", "2022-08-01-preview",
        "2022-11-01-preview", "2023-02-01-preview", "2023-05-01-preview", "2023-08-01-preview", "2023-08-01",
        "2024-05-01-preview", "2024-11-01-preview", "2025-01-01", "2025-02-01-preview", "2025-08-01-preview",
    ].map { APIVersion($0)! }

    /// 2019-06-01-preview has no sync agent contract.
    static let syncAgents = all.filter { $0.rawValue != "2019-06-01-preview" }

    /// The Microsoft.Resources versions of the subscription reads the Azure CLI signs in with.
    static let subscriptions: [APIVersion] = [
        "2014-04-01-preview", "2015-01-01", "2016-06-01", "2018-06-01", "2019-06-01", "2019-11-01", "2020-01-01",
        "2021-01-01", "2022-12-01",
    ].map { APIVersion($0)! }

    /// The Microsoft.Resources versions of the resource group and provider reads (`az resource`).
    static let resources: [APIVersion] = [
        "2014-04-01", "2015-01-01", "2016-02-01", "2016-09-01", "2017-05-10", "2018-05-01", "2019-05-01",
        "2019-07-01", "2019-10-01", "2020-06-01", "2020-10-01", "2021-01-01", "2021-04-01", "2022-09-01",
        "2023-07-01", "2024-03-01", "2024-07-01", "2024-11-01", "2025-03-01", "2025-04-01",
    ].map { APIVersion($0)! }

    /// The parent types of the Data Sync resources, as the `Microsoft.Sql` provider lists them: `az resource`
    /// takes a child's api-version from its top-level parent's entry (`servers`), so they carry the versions
    /// of the Data Sync types beneath them. The emulator serves no servers or databases themselves.
    static let parentTypes: [(type: String, versions: [APIVersion])] = [
        ("Microsoft.Sql/servers", all),
        ("Microsoft.Sql/servers/databases", all),
    ]

    /// The versions for each resource type, as `/_emulator/api-versions` reports them.
    static let byResourceType: [(type: String, versions: [APIVersion])] = [
        ("Microsoft.Sql/servers/databases/syncGroups", all),
        ("Microsoft.Sql/servers/databases/syncGroups/syncMembers", all),
        ("Microsoft.Sql/servers/syncAgents", syncAgents),
        ("Microsoft.Sql/locations/syncDatabaseIds", all),
        ("Microsoft.Sql/locations/syncGroupOperationResults", all),
        ("Microsoft.Sql/locations/syncGroupAzureAsyncOperation", all),
        ("Microsoft.Sql/locations/syncMemberOperationResults", all),
        ("Microsoft.Sql/locations/syncAgentOperationResults", syncAgents),
    ]
}

/// What a served api-version adds to the wire, from the contract's change log (§3.2).
struct WireFeatures: Sendable {
    /// `usePrivateLinkConnection`, and `syncMemberAzureDatabaseResourceId` on members.
    let privateLink: Bool
    /// `sku`, `enableConflictLogging`, `conflictLoggingRetentionInDays`, `privateEndpointName`.
    let conflictLoggingAndSku: Bool
    /// `identity` on groups and members, and `Azure-AsyncOperation` on group writes.
    let identity: Bool

    private static let privateLinkSince = APIVersion("2019-06-01-preview")!
    private static let conflictLoggingAndSkuSince = APIVersion("2020-02-02-preview")!
    private static let identitySince = APIVersion("2025-02-01-preview")!

    init(_ version: APIVersion) {
        self.privateLink = version >= Self.privateLinkSince
        self.conflictLoggingAndSku = version >= Self.conflictLoggingAndSkuSince
        self.identity = version >= Self.identitySince
    }
}
