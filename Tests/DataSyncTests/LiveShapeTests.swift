import ARMConventions
import DataSyncModel
import EmulatorIdentity
import Foundation
import HTTPTypes
import Testing

@testable import DataSyncHTTP

/// Shapes the live service answered in its recorded sessions, where they differ from the specification.
///
/// Each test names its recording, and copies the facts it relies on (a clone has no recordings):
/// - N1, N2: azure-sdk-for-net `SessionRecords/SyncGroupScenarioTests/SyncGroupCRUDTest.json` and
///   `SyncMemberScenarioTests/SyncMemberCRUDTest.json`, production, 2018, 2015-05-01-preview.
/// - P1, P2: azure-sdk-for-python `tests/recordings/test_cli_mgmt_sql_sync.test_sync_group.yaml` and
///   `test_sync_member.yaml`, production, 2021, 2020-11-01-preview.
/// - S1: azure-powershell `DataSyncTests/TestSyncGroupCreate.json`, production, 2020, 2019-06-01-preview.
/// - S3: azure-powershell `DataSyncTests/TestCreateSyncMemberWithIdentity.json`, 2026, 2025-02-01-preview.
/// - S4: azure-powershell (older layout) `TestSyncGroupHubSchemaRefreshAndGet.json`, 2017, 2015-05-01-preview.
/// - the 2026 azure-powershell `DataSyncTests` recordings of a group DELETE at 2015-05-01-preview.
@Suite struct LiveShapeTests {
    static let uami =
        "/subscriptions/4f2b42fc-a99d-4fc3-8ab8-5a382d8b30df/resourcegroups/ps3089/providers/Microsoft.ManagedIdentity/userAssignedIdentities/TestUAMI"

    @Test("P1, 2020-11-01-preview: the final poll of a group PATCH echoes conflictResolutionPolicy")
    func patchEchoesConflictPolicy() async throws {
        // P1 PATCHed the full properties; its final poll (200) held the policy, the blanked
        // syncDatabaseId, `syncState: "Good"`, `usePrivateLinkConnection: false` and `privateEndpointName: ""`.
        try await withEmulator(apiVersion: "2020-11-01-preview") { arm in
            _ = try await arm.createGroup()
            let patch = #"{"properties":{"interval":-1,"conflictResolutionPolicy":"MemberWin","usePrivateLinkConnection":false}}"#
            let final = try await arm.finish(try await arm.patch(HowTo.groupPath(), patch))
            #expect(final.status == .ok)
            #expect(final.string("properties.conflictResolutionPolicy") == "MemberWin")
            #expect(
                final.string("properties.syncDatabaseId")
                    == "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups//providers/Microsoft.Sql/servers//databases/"
            )
            #expect(final.string("properties.syncState") == "Good")
            #expect(final.value("properties.usePrivateLinkConnection") == .bool(false))
            #expect(final.string("properties.privateEndpointName") == "")
            let interval = try await arm.finish(try await arm.patch(HowTo.groupPath(), #"{"properties":{"interval":600}}"#))
            #expect(interval.value("properties.conflictResolutionPolicy") == nil)
        }
    }

    @Test(
        "N1 (2015-05-01-preview), S1 (2019-06-01-preview): a group PUT's final poll shows the conflict-logging defaults, GETs never",
        arguments: ["2015-05-01-preview", "2019-06-01-preview"]
    )
    func finalPollConflictLogging(version: String) async throws {
        // N1's final poll (201): `"syncState": "Good", "enableConflictLogging": false, "conflictLoggingRetentionInDays": 30`;
        // its GET a second later had neither field.
        try await withEmulator(apiVersion: version) { arm in
            let final = try await arm.createGroup()
            #expect(final.status == .created)
            #expect(final.value("properties.enableConflictLogging") == .bool(false))
            #expect(final.value("properties.conflictLoggingRetentionInDays") == .integer(30))
            let get = try await arm.get(HowTo.groupPath())
            #expect(get.value("properties.enableConflictLogging") == nil)
            #expect(get.value("properties.conflictLoggingRetentionInDays") == nil)
        }
    }

    @Test("S1, 2019-06-01-preview: a group PUT's final poll has no private link fields; a GET shows privateEndpointName \"\"")
    func privateLinkAt2019() async throws {
        // S1 sent `usePrivateLinkConnection: false`; the 201 left it out, the GET after it had
        // `"usePrivateLinkConnection": false, "privateEndpointName": ""`.
        try await withEmulator(apiVersion: "2019-06-01-preview") { arm in
            let body = #"{"properties":{"interval":-1,"conflictResolutionPolicy":"HubWin","usePrivateLinkConnection":false}}"#
            let final = try await arm.finish(try await arm.put(HowTo.groupPath(), body))
            #expect(final.status == .created)
            #expect(final.value("properties.usePrivateLinkConnection") == nil)
            #expect(final.value("properties.privateEndpointName") == nil)
            let get = try await arm.get(HowTo.groupPath())
            #expect(get.value("properties.usePrivateLinkConnection") == .bool(false))
            #expect(get.string("properties.privateEndpointName") == "")
        }
        try await withEmulator(apiVersion: "2020-11-01-preview") { arm in
            // P1: from 2020-11-01-preview the final poll carries both.
            let final = try await arm.createGroup()
            #expect(final.value("properties.usePrivateLinkConnection") == .bool(false))
            #expect(final.string("properties.privateEndpointName") == "")
        }
    }

    @Test("S3, 2025-02-01-preview: a member with a user-assigned identity; P2, 2020-11-01-preview, for contrast")
    func memberWithIdentity() async throws {
        // S3's GET: `identity: {"type":"UserAssigned","tenantId":"df528bed-…","userAssignedIdentities":{…:{principalId,clientId}}}`,
        // and no `syncMemberAzureDatabaseResourceId`. P2's GET (2021) had `"syncMemberAzureDatabaseResourceId": ""`.
        let body = """
            {"identity":{"type":"UserAssigned","userAssignedIdentities":{"\(Self.uami)":{}}},
             "properties":{"syncDirection":"Bidirectional","databaseType":"AzureSqlDatabase",
                           "serverName":"ps7973.sqltest-eg1.mscds.com","databaseName":"ps9608"}}
            """
        try await withEmulator(apiVersion: "2025-02-01-preview") { arm in
            _ = try await arm.createGroup()
            let final = try await arm.finish(try await arm.put(HowTo.memberPath(), body))
            #expect(final.status == .created)
            // S3's final poll said `identity: {"type":"None"}` while its GET right after said UserAssigned. The
            // emulator follows the GET in both (README, "faithful and different"): the poller's result is
            // what clients keep, and the identity was stored.
            #expect(final.string("identity.type") == "UserAssigned")
            let get = try await arm.get(HowTo.memberPath())
            #expect(get.string("identity.type") == "UserAssigned")
            let tenant = try #require(get.string("identity.tenantId"))
            #expect(tenant == EmulatorTenant.id)
            #expect(get.text.contains("principalId") && get.text.contains("clientId"))
            #expect(get.value("properties.syncMemberAzureDatabaseResourceId") == nil)
            #expect(final.string("identity.tenantId") == tenant)
        }
        try await withEmulator(apiVersion: "2020-11-01-preview") { arm in
            _ = try await arm.createGroup()
            _ = try await arm.createMember()
            let get = try await arm.get(HowTo.memberPath())
            #expect(get.string("properties.syncMemberAzureDatabaseResourceId") == "")
        }
    }

    @Test("2026 recordings, 2015-05-01-preview: a group DELETE's 202 and Location polls carry Azure-AsyncOperation")
    func deleteAsyncOperationAt2015() async throws {
        // The 2026 recordings: `Azure-AsyncOperation: …/locations/{loc}/syncGroupAzureAsyncOperation/{operationId}?api-version=…`
        // on the 202 and on every Location poll. The 2018 recordings (N1) had none: the newer behaviour wins.
        let clock = EmulatorClock(frozenAt: Date(timeIntervalSince1970: 1_790_000_000))
        try await withEmulator(EmulatorConfiguration(operationDelay: 5), clock: clock, apiVersion: "2015-05-01-preview") { arm in
            let created = try await arm.put(HowTo.groupPath(), try HowTo.fixture("create-sync-group"))
            #expect(created.headers[.azureAsyncOperation] == nil)
            clock.advance(by: 5)
            let accepted = try await arm.delete(HowTo.groupPath())
            #expect(accepted.status == .accepted)
            let id = try #require(accepted.headers[.requestID])
            let asyncURL = try #require(accepted.headers[.azureAsyncOperation])
            #expect(asyncURL.contains("/locations/westus2/syncGroupAzureAsyncOperation/\(id)?api-version=2015-05-01-preview"))
            let running = try await arm.poll(try #require(accepted.headers[.location]))
            #expect(running.status == .accepted)
            #expect(running.headers[.azureAsyncOperation] == asyncURL)
            #expect((try await arm.poll(asyncURL)).string("status") == "InProgress")
            clock.advance(by: 5)
            #expect((try await arm.poll(asyncURL)).string("status") == "Succeeded")
        }
        try await withEmulator(apiVersion: "2020-11-01-preview") { arm in
            // P1 (2021): a DELETE's 202 had `location` only.
            _ = try await arm.createGroup()
            #expect((try await arm.delete(HowTo.groupPath())).headers[.azureAsyncOperation] == nil)
        }
    }

    @Test("N1, N2, S4: after refreshing a database with no tables, hub and member schema lists are empty")
    func emptySchemaLists() async throws {
        // N1 and S4: `GET …/hubSchemas` → 200 `{"value": []}`; N2 and S4: `GET …/syncMembers/{sm}/schemas` → 200 `{"value": []}`.
        try await withEmulator { arm in
            _ = try await arm.createGroup()
            _ = try await arm.createMember()
            #expect((try await arm.finish(try await arm.post(HowTo.groupPath() + "/refreshHubSchema"))).status == .ok)
            #expect((try await arm.finish(try await arm.post(HowTo.memberPath() + "/refreshSchema"))).status == .ok)
            #expect((try await arm.get(HowTo.groupPath() + "/hubSchemas")).json == .object(["value": .array([])]))
            #expect((try await arm.get(HowTo.memberPath() + "/schemas")).json == .object(["value": .array([])]))
        }
    }
}
