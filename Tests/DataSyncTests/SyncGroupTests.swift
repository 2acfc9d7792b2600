import ARMConventions
import DataSyncModel
import Foundation
import HTTPTypes
import Testing

@testable import DataSyncHTTP

@Suite struct SyncGroupTests {
    @Test("create answers 202 with the live body, Location and x-ms-request-id equal to the operation id")
    func createIsLongRunning() async throws {
        try await withEmulator { arm in
            let accepted = try await arm.put(HowTo.groupPath(), try HowTo.fixture("create-sync-group"))
            #expect(accepted.status == .accepted)
            #expect(accepted.string("operation") == "UpsertSyncGroup")
            #expect(accepted.string("startTime") == "2026-09-21T14:13:20Z")
            let location = try #require(accepted.headers[.location])
            let requestID = try #require(accepted.headers[.requestID])
            #expect(location.hasSuffix("/syncGroupOperationResults/\(requestID)?api-version=2025-01-01"))
            #expect(location.contains("/resourceGroups/\(HowTo.resourceGroup)/providers/Microsoft.Sql/locations/westus2/"))
            #expect(accepted.headers[.azureAsyncOperation] == nil)
            #expect(accepted.headers[.retryAfterMilliseconds] == "10")

            let final = try await arm.poll(location)
            #expect(final.status == .created)
            #expect(final.string("properties.syncState") == "Good")
            #expect(final.value("properties.hubDatabaseUserName") == nil)
            #expect(final.value("properties.conflictLoggingRetentionInDays") == .integer(30))
            #expect(final.string("id") == HowTo.groupPath())
        }
    }

    @Test("GET after create shows NotReady, the never-synced time and the user name, never the password")
    func getShowsLiveState() async throws {
        try await withEmulator { arm in
            let body = """
                {"properties":{"interval":-1,"conflictResolutionPolicy":"MemberWin","syncDatabaseId":"\(HowTo.syncDatabaseID())",
                "hubDatabaseUserName":"dummylogin","hubDatabasePassword":"Un53cuRE!"}}
                """
            _ = try await arm.finish(try await arm.put(HowTo.groupPath(), body))
            let group = try await arm.get(HowTo.groupPath())
            #expect(group.status == .ok)
            #expect(group.string("properties.syncState") == "NotReady")
            #expect(group.string("properties.lastSyncTime") == "0001-01-01T00:00:00Z")
            #expect(group.string("properties.conflictResolutionPolicy") == "MemberWin")
            #expect(group.string("properties.hubDatabaseUserName") == "dummylogin")
            #expect(group.string("type") == "Microsoft.Sql/servers/databases/syncGroups")
            #expect(!group.text.contains("Un53cuRE!"))
            #expect(!group.text.lowercased().contains("password"))
        }
    }

    @Test("names are case-insensitive: SG finds sg, and keeps the first spelling")
    func namesIgnoreCase() async throws {
        try await withEmulator { arm in
            _ = try await arm.createGroup("MyGroup")
            let found = try await arm.get(HowTo.groupPath("MYGROUP"))
            #expect(found.status == .ok)
            #expect(found.string("name") == "MyGroup")
        }
    }

    @Test("PUT replaces, PATCH merges and its final poll is the live partial body")
    func putReplacesAndPatchMerges() async throws {
        try await withEmulator { arm in
            _ = try await arm.createGroup()
            let patched = try await arm.finish(try await arm.patch(HowTo.groupPath(), #"{"properties":{"interval":600}}"#))
            #expect(patched.status == .ok)
            #expect(patched.value("properties.interval") == .integer(600))
            #expect(patched.string("properties.syncState") == "Good")
            #expect(patched.string("properties.syncDatabaseId")?.contains("resourceGroups//providers") == true)

            var group = try await arm.get(HowTo.groupPath())
            #expect(group.value("properties.interval") == .integer(600))
            #expect(group.string("properties.hubDatabaseUserName") == "hubUser")
            #expect(group.string("properties.syncDatabaseId") == HowTo.syncDatabaseID())

            let replaced = try await arm.finish(
                try await arm.put(HowTo.groupPath(), #"{"properties":{"interval":30,"conflictResolutionPolicy":"MemberWin"}}"#)
            )
            #expect(replaced.status == .ok)
            group = try await arm.get(HowTo.groupPath())
            #expect(group.value("properties.interval") == .integer(30))
            #expect(group.value("properties.hubDatabaseUserName") == nil)
            #expect(group.value("properties.syncDatabaseId") == nil)
        }
    }

    @Test("list returns value[] in creation order and pages with nextLink past 100 groups")
    func listPages() async throws {
        try await withEmulator(EmulatorConfiguration(longRunningStyle: .sync)) { arm in
            for index in 0..<105 {
                let reply = try await arm.put(HowTo.groupPath("g\(index)"), #"{"properties":{"interval":-1}}"#)
                #expect(reply.status == .created)
            }
            let first = try await arm.get(HowTo.databasePath + "/syncGroups")
            guard case .array(let values)? = first.value("value") else {
                Issue.record("no value array")
                return
            }
            #expect(values.count == 100)
            let next = try #require(first.string("nextLink"))
            let second = try await arm.poll(next)
            guard case .array(let rest)? = second.value("value") else {
                Issue.record("no value array on page 2")
                return
            }
            #expect(rest.count == 5)
            #expect(rest.first?.objectValue?["name"] == .string("g100"))
            #expect(second.value("nextLink") == nil)
        }
    }

    @Test("deleting a group deletes its members; deleting again answers 204")
    func deleteCascades() async throws {
        try await withEmulator { arm in
            _ = try await arm.createGroup()
            _ = try await arm.createMember()
            let accepted = try await arm.delete(HowTo.groupPath())
            #expect(accepted.status == .accepted)
            #expect(accepted.string("operation") == "DropSyncGroup")
            let final = try await arm.finish(accepted)
            #expect(final.status == .ok)
            #expect(final.string("properties.syncState") == "NotReady")
            #expect((try await arm.get(HowTo.groupPath())).status == .notFound)
            #expect((try await arm.get(HowTo.memberPath())).status == .notFound)
            #expect((try await arm.delete(HowTo.groupPath())).status == .noContent)
        }
    }

    @Test("triggerSync needs a schema with a table and a member; cancelSync always answers 200")
    func triggerAndCancel() async throws {
        try await withEmulator { arm in
            _ = try await arm.createGroup()
            let refused = try await arm.post(HowTo.groupPath() + "/triggerSync")
            #expect(refused.status == .badRequest)
            #expect(refused.errorCode == "SyncOperation_GenericFailure")
            #expect(refused.errorMessage == "Failed to perform data sync operation: '' is not an active sync group.")
            #expect((try await arm.post(HowTo.groupPath() + "/cancelSync")).status == .ok)

            _ = try await arm.createMember()
            try await arm.prepareHowToHub()
            let updated = try await arm.finish(try await arm.put(HowTo.groupPath(), try HowTo.fixture("update-sync-group")))
            #expect(updated.status == .ok)
            let triggered = try await arm.post(HowTo.groupPath() + "/triggerSync")
            #expect(triggered.status == .ok)
            #expect(triggered.text.isEmpty)
        }
    }

    @Test("a schema whose master is not a member is accepted, then its poll fails with the live message; nothing changes")
    func unknownMasterMember() async throws {
        try await withEmulator { arm in
            _ = try await arm.createGroup()
            let before = try await arm.get(HowTo.groupPath())
            let accepted = try await arm.put(HowTo.groupPath(), try HowTo.fixture("update-sync-group"))
            #expect(accepted.status == .accepted)
            #expect(accepted.string("operation") == "UpsertSyncGroup")
            let reply = try await arm.finish(accepted)
            #expect(reply.status == .badRequest)
            #expect(reply.errorCode == "SyncOperation_GenericFailure")
            #expect(
                reply.errorMessage == "Failed to perform data sync operation: 'syncgroupcrud-4879' can't be found as sync group member"
            )
            #expect(reply.object?.members.map(\.key) == ["error"])
            #expect((try await arm.get(HowTo.groupPath())).text == before.text)
        }
    }

    @Test("refreshHubSchema is a 202 polled under the group; the final poll is an empty 200; a log entry is written")
    func refreshHubSchema() async throws {
        try await withEmulator { arm in
            _ = try await arm.createGroup()
            let accepted = try await arm.post(HowTo.groupPath() + "/refreshHubSchema")
            #expect(accepted.status == .accepted)
            #expect(accepted.string("operation") == "RefrehSyncHubFullSchema")
            let location = try #require(accepted.headers[.location])
            #expect(location.contains("/syncGroups/\(HowTo.group)/refreshHubSchemaOperationResults/"))
            let final = try await arm.poll(location)
            #expect(final.status == .ok)
            #expect(final.text.isEmpty)
            #expect(final.headers[.contentLength] == "0")

            let schemas = try await arm.get(HowTo.groupPath() + "/hubSchemas")
            #expect(schemas.status == .ok)
            let logs = try await arm.get(HowTo.groupPath() + "/logs?startTime=2017-01-01T00:00:00&endTime=2099-12-31T00:00:00&type=All")
            #expect(logs.status == .ok)
            guard case .array(let entries)? = logs.value("value") else {
                Issue.record("no log entries")
                return
            }
            #expect(entries.count == 1)
            #expect(entries.first?.objectValue?["operationStatus"] == .string("SchemaRefreshSuccess"))
            #expect(entries.first?.objectValue?["source"] == .string("syncgroupcrud-8475.database.windows.net/syncgroupcrud-4328"))
            let errorsOnly = try await arm.get(HowTo.groupPath() + "/logs?startTime=2017-01-01T00:00:00&endTime=2099-12-31T00:00:00&type=Error")
            #expect(errorsOnly.value("value") == .array([]))
        }
    }

    @Test("listSyncDatabaseIds lists the sync database in use in the subscription and location")
    func syncDatabaseIDs() async throws {
        try await withEmulator { arm in
            _ = try await arm.createGroup()
            let path = "/subscriptions/\(HowTo.subscription)/providers/Microsoft.Sql/locations/westus2/syncDatabaseIds"
            let reply = try await arm.get(path)
            #expect(reply.status == .ok)
            #expect(reply.value("value") == .array([.object(["id": .string(HowTo.syncDatabaseID())])]))
            let elsewhere = try await arm.get(
                "/subscriptions/\(HowTo.subscription)/providers/Microsoft.Sql/locations/eastus/syncDatabaseIds"
            )
            #expect(elsewhere.value("value") == .array([]))
        }
    }

    @Test("a second sync database in the same subscription fails with SyncOperation_WrongSyncDatabase")
    func oneSyncDatabasePerSubscription() async throws {
        try await withEmulator { arm in
            _ = try await arm.createGroup()
            let body = #"{"properties":{"interval":-1,"syncDatabaseId":"\#(HowTo.syncDatabaseID("other"))"}}"#
            let reply = try await arm.put(HowTo.groupPath("second"), body)
            #expect(reply.status == .badRequest)
            #expect(reply.errorCode == "SyncOperation_WrongSyncDatabase")
            #expect(
                reply.errorMessage
                    == "The sync database specified (syncgroupcrud-8475\\other) does not match the existing sync database (syncgroupcrud-8475\\syncgroupcrud-4328)."
            )
            #expect((try await arm.get(HowTo.groupPath("second"))).status == .notFound)
        }
    }
}
