import ARMConventions
import Foundation
import HTTPTypes
import Testing

@testable import DataSyncHTTP

@Suite struct SyncMemberTests {
    @Test("create is a 202 polled at syncMemberOperationResults; the final 201 omits userName and syncState")
    func createMember() async throws {
        try await withEmulator { arm in
            _ = try await arm.createGroup()
            let accepted = try await arm.put(HowTo.memberPath(), try HowTo.fixture("create-sync-member"))
            #expect(accepted.status == .accepted)
            #expect(accepted.string("operation") == "UpsertSyncMember")
            let location = try #require(accepted.headers[.location])
            #expect(location.contains("/locations/westus2/syncMemberOperationResults/"))
            let final = try await arm.poll(location)
            #expect(final.status == .created)
            #expect(final.value("properties.userName") == nil)
            #expect(final.value("properties.syncState") == nil)
            #expect(final.value("properties.skipInitSync") == .bool(false))
            #expect(final.string("type") == "Microsoft.Sql/servers/databases/syncGroups/syncMembers")
        }
    }

    @Test("GET shows UnProvisioned and the live defaults; the password is never returned")
    func getMember() async throws {
        try await withEmulator(apiVersion: "2020-11-01-preview") { arm in
            _ = try await arm.createGroup()
            _ = try await arm.finish(try await arm.put(HowTo.memberPath(), try HowTo.fixture("update-sync-member")))
            let member = try await arm.get(HowTo.memberPath())
            #expect(member.status == .ok)
            #expect(member.string("properties.syncState") == "UnProvisioned")
            #expect(member.string("properties.userName") == "myUser")
            #expect(member.string("properties.syncMemberAzureDatabaseResourceId") == "")
            #expect(member.value("properties.usePrivateLinkConnection") == .bool(false))
            #expect(member.string("properties.privateEndpointName") == "")
            #expect(!member.text.contains("myPassword!"))
            let list = try await arm.get(HowTo.groupPath() + "/syncMembers")
            guard case .array(let values)? = list.value("value") else {
                Issue.record("no value array")
                return
            }
            #expect(values.count == 1)
            #expect(!list.text.contains("myPassword!"))
        }
    }

    @Test("a GET read again and again follows every change, and answers each api-version in its own shape")
    func repeatedGets() async throws {
        try await withEmulator(apiVersion: "2020-11-01-preview") { arm in
            _ = try await arm.createGroup()
            _ = try await arm.finish(try await arm.put(HowTo.memberPath(), try HowTo.fixture("update-sync-member")))
            let first = try await arm.get(HowTo.memberPath())
            #expect(try await arm.get(HowTo.memberPath()).text == first.text)
            #expect(try await arm.get(HowTo.memberPath().uppercased()).string("properties.userName") == "myUser")

            _ = try await arm.finish(try await arm.patch(HowTo.memberPath(), #"{"properties":{"userName":"otherUser"}}"#))
            #expect(try await arm.get(HowTo.memberPath()).string("properties.userName") == "otherUser")
            #expect(try await arm.get(HowTo.memberPath().uppercased()).string("properties.userName") == "otherUser")

            let old = try await arm.send(.get, HowTo.memberPath(), apiVersion: "2015-05-01-preview")
            #expect(old.string("properties.userName") == "otherUser")
            #expect(old.value("properties.usePrivateLinkConnection") == nil, "2015-05-01-preview has no private link")
            #expect(try await arm.get(HowTo.memberPath()).value("properties.usePrivateLinkConnection") == .bool(false))

            _ = try await arm.delete(HowTo.memberPath())
            #expect(try await arm.get(HowTo.memberPath()).status == .notFound)
        }
    }

    @Test("a member of a missing group is the group's 404")
    func missingGroup() async throws {
        try await withEmulator { arm in
            let reply = try await arm.put(HowTo.memberPath(), try HowTo.fixture("create-sync-member"))
            #expect(reply.status == .notFound)
            #expect(
                reply.errorMessage
                    == "The requested resource of type 'Microsoft.Sql/servers/databases/syncGroups' with name 'syncgroupcrud-3187' was not found."
            )
        }
    }

    @Test("PATCH merges; its final poll echoes the patched fields; {} is the live 400")
    func patchMember() async throws {
        try await withEmulator { arm in
            _ = try await arm.createGroup()
            _ = try await arm.createMember()
            let final = try await arm.finish(
                try await arm.patch(HowTo.memberPath(), #"{"properties":{"syncDirection":"OneWayMemberToHub"}}"#)
            )
            #expect(final.status == .ok)
            #expect(final.string("properties.syncDirection") == "OneWayMemberToHub")
            #expect(final.value("properties.databaseName") == nil)
            let member = try await arm.get(HowTo.memberPath())
            #expect(member.string("properties.syncDirection") == "OneWayMemberToHub")
            #expect(member.string("properties.databaseName") == "syncgroupcrud-7421")

            let empty = try await arm.patch(HowTo.memberPath(), "{}")
            #expect(empty.status == .badRequest)
            #expect(empty.errorCode == "InvalidSyncMemberCreateOrUpdateRequest")
            #expect(empty.errorMessage == "The create or update sync member request body is empty.")
        }
    }

    @Test("refreshSchema is polled under the member; schemas lists what it read; delete ends in a stub")
    func refreshAndDelete() async throws {
        try await withEmulator { arm in
            _ = try await arm.createGroup()
            _ = try await arm.createMember()
            let accepted = try await arm.post(HowTo.memberPath() + "/refreshSchema")
            #expect(accepted.status == .accepted)
            #expect(accepted.string("operation") == "RefrehSyncMemberSchema")
            let location = try #require(accepted.headers[.location])
            #expect(location.contains("/syncMembers/\(HowTo.member)/refreshSchemaOperationResults/"))
            #expect((try await arm.poll(location)).status == .ok)
            #expect((try await arm.get(HowTo.memberPath() + "/schemas")).status == .ok)

            let deleted = try await arm.delete(HowTo.memberPath())
            #expect(deleted.string("operation") == "DropSyncMember")
            let final = try await arm.finish(deleted)
            #expect(final.status == .ok)
            #expect(final.value("properties") == .object(["skipInitSync": .bool(false)]))
            #expect((try await arm.get(HowTo.memberPath())).status == .notFound)
            #expect((try await arm.delete(HowTo.memberPath())).status == .noContent)
        }
    }
}

@Suite struct SyncAgentTests {
    let agentBody = #"{"properties":{"syncDatabaseId":"\#(HowTo.syncDatabaseID())"}}"#

    @Test("create is CreateSyncAgent; GET shows NeverConnected with the recorded agent fields")
    func createAndGet() async throws {
        try await withEmulator { arm in
            let accepted = try await arm.put(HowTo.agentPath("agent1"), self.agentBody)
            #expect(accepted.string("operation") == "CreateSyncAgent")
            #expect(try #require(accepted.headers[.location]).contains("/syncAgentOperationResults/"))
            let final = try await arm.finish(accepted)
            #expect(final.status == .created)
            #expect(final.value("properties") == .object(["syncDatabaseId": .string(HowTo.syncDatabaseID())]))
            let agent = try await arm.get(HowTo.agentPath("agent1"))
            #expect(agent.string("properties.state") == "NeverConnected")
            #expect(agent.value("properties.isUpToDate") == .bool(true))
            #expect(agent.string("properties.expiryTime") == "9999-12-31T23:59:59.9999999Z")
            #expect(agent.string("properties.version") == "4.2.0.0")
            let list = try await arm.get(HowTo.serverPath + "/syncAgents")
            #expect(list.text.contains("\"name\":\"agent1\""))
        }
    }

    @Test("generateKey keeps its GUID, renews its secret, and encodes server⁇database")
    func generateKey() async throws {
        try await withEmulator { arm in
            _ = try await arm.finish(try await arm.put(HowTo.agentPath("agent1"), self.agentBody))
            let first = try #require((try await arm.post(HowTo.agentPath("agent1") + "/generateKey")).string("syncAgentKey"))
            let second = try #require((try await arm.post(HowTo.agentPath("agent1") + "/generateKey")).string("syncAgentKey"))
            let a = first.split(separator: ":")
            let b = second.split(separator: ":")
            #expect(a.count == 3)
            #expect(UUID(uuidString: String(a[0])) != nil)
            #expect(a[0] == b[0])
            #expect(a[1] != b[1])
            #expect(Data(base64Encoded: String(a[1]))?.count == 32)
            let target = String(decoding: try #require(Data(base64Encoded: String(a[2]))), as: UTF8.self)
            #expect(target == "syncgroupcrud-8475.database.windows.net\u{2047}syncgroupcrud-4328")
        }
    }

    @Test("linkedDatabases lists members that use the agent, and such an agent cannot be deleted")
    func linkedDatabases() async throws {
        try await withEmulator { arm in
            _ = try await arm.finish(try await arm.put(HowTo.agentPath("agent1"), self.agentBody))
            #expect((try await arm.get(HowTo.agentPath("agent1") + "/linkedDatabases")).value("value") == .array([]))
            _ = try await arm.createGroup()
            let member = """
                {"properties":{"databaseType":"SqlServerDatabase","syncAgentId":"\(HowTo.agentPath("agent1"))",
                "sqlServerDatabaseId":"55555555-6666-7777-8888-999999999999","serverName":"onprem","databaseName":"db1",
                "userName":"u","syncDirection":"Bidirectional"}}
                """
            _ = try await arm.finish(try await arm.put(HowTo.memberPath("onprem"), member))
            let linked = try await arm.get(HowTo.agentPath("agent1") + "/linkedDatabases")
            guard case .array(let values)? = linked.value("value"), let first = values.first?.objectValue else {
                Issue.record("no linked database")
                return
            }
            #expect(values.count == 1)
            #expect(first["id"] == .string(HowTo.agentPath("agent1") + "/linkedDatabases/55555555-6666-7777-8888-999999999999"))
            #expect(first["properties"]?.objectValue?["databaseName"] == .string("db1"))

            let refused = try await arm.delete(HowTo.agentPath("agent1"))
            #expect(refused.status == .badRequest)
            #expect(refused.errorCode == "CannotDeleteInUseSyncAgent")
            _ = try await arm.finish(try await arm.delete(HowTo.memberPath("onprem")))
            let deleted = try await arm.finish(try await arm.delete(HowTo.agentPath("agent1")))
            #expect(deleted.status == .ok)
            #expect(deleted.value("properties") == .object([:]))
        }
    }

    @Test("2019-06-01-preview has no agent contract: strict policy refuses it")
    func agentVersions() async throws {
        try await withEmulator(EmulatorConfiguration(apiVersionPolicy: .strict), apiVersion: "2019-06-01-preview") { arm in
            let reply = try await arm.get(HowTo.serverPath + "/syncAgents")
            #expect(reply.status == .badRequest)
            #expect(reply.errorCode == "InvalidApiVersionParameter")
            #expect((try await arm.get(HowTo.databasePath + "/syncGroups")).status == .ok)
        }
    }
}
