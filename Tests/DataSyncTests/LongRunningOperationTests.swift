import ARMConventions
import DataSyncModel
import Foundation
import HTTPTypes
import Testing

@testable import DataSyncHTTP

@Suite struct LongRunningOperationTests {
    @Test("with --operation-delay the poll answers 202 until the clock passes it, then the result")
    func delayIsDrivenByTheClock() async throws {
        let clock = EmulatorClock(frozenAt: Date(timeIntervalSince1970: 1_790_000_000))
        try await withEmulator(EmulatorConfiguration(operationDelay: 20), clock: clock) { arm in
            let accepted = try await arm.put(HowTo.groupPath(), try HowTo.fixture("create-sync-group"))
            let location = try #require(accepted.headers[.location])
            let running = try await arm.poll(location)
            #expect(running.status == .accepted)
            #expect(running.string("operation") == "UpsertSyncGroup")
            #expect(running.headers[.location] == location)
            clock.advance(by: 19)
            #expect((try await arm.poll(location)).status == .accepted)
            clock.advance(by: 1)
            #expect((try await arm.poll(location)).status == .created)
        }
    }

    @Test("from 2025-02-01-preview group writes add Azure-AsyncOperation, whose status resource has three fields")
    func asyncOperationHeader() async throws {
        let clock = EmulatorClock(frozenAt: Date(timeIntervalSince1970: 1_790_000_000))
        try await withEmulator(EmulatorConfiguration(operationDelay: 5), clock: clock, apiVersion: "2025-02-01-preview") { arm in
            let accepted = try await arm.put(HowTo.groupPath(), try HowTo.fixture("create-sync-group"))
            let asyncURL = try #require(accepted.headers[.azureAsyncOperation])
            let id = try #require(accepted.headers[.requestID])
            #expect(asyncURL.contains("/syncGroupAzureAsyncOperation/\(id)"))
            let running = try await arm.poll(asyncURL)
            #expect(running.status == .ok)
            #expect(
                running.json
                    == .object(["name": .string(id), "status": .string("InProgress"), "startTime": .string("2026-09-21T14:13:20Z")])
            )
            clock.advance(by: 5)
            #expect((try await arm.poll(asyncURL)).string("status") == "Succeeded")

            let member = try await arm.put(HowTo.memberPath(), try HowTo.fixture("create-sync-member"))
            #expect(member.headers[.azureAsyncOperation] == nil)
        }
    }

    @Test("a failed group write: its status resource says Failed with the error, --lro-style sync answers the error")
    func failedOperation() async throws {
        let unknownMaster = "Failed to perform data sync operation: 'syncgroupcrud-4879' can't be found as sync group member"
        try await withEmulator(apiVersion: "2025-02-01-preview") { arm in
            let accepted = try await arm.put(HowTo.groupPath(), try HowTo.fixture("update-sync-group"))
            #expect(accepted.status == .accepted)
            let status = try await arm.poll(try #require(accepted.headers[.azureAsyncOperation]))
            #expect(status.status == .ok)
            #expect(status.string("status") == "Failed")
            #expect(status.string("error.code") == "SyncOperation_GenericFailure")
            #expect(status.string("error.message") == unknownMaster)
            #expect((try await arm.get(HowTo.groupPath())).status == .notFound)
        }
        try await withEmulator(EmulatorConfiguration(longRunningStyle: .sync)) { arm in
            let reply = try await arm.put(HowTo.groupPath(), try HowTo.fixture("update-sync-group"))
            #expect(reply.status == .badRequest)
            #expect(reply.errorCode == "SyncOperation_GenericFailure")
            #expect(reply.errorMessage == unknownMaster)
            #expect((try await arm.get(HowTo.groupPath())).status == .notFound)
        }
    }

    @Test("whole-second --retry-after goes out as Retry-After, sub-second as retry-after-ms")
    func retryAfterHeaders() async throws {
        try await withEmulator(EmulatorConfiguration(retryAfter: 15)) { arm in
            let accepted = try await arm.put(HowTo.groupPath(), try HowTo.fixture("create-sync-group"))
            #expect(accepted.headers[.retryAfter] == "15")
            #expect(accepted.headers[.retryAfterMilliseconds] == nil)
        }
        try await withEmulator(EmulatorConfiguration(retryAfter: 0.25)) { arm in
            let accepted = try await arm.put(HowTo.groupPath(), try HowTo.fixture("create-sync-group"))
            #expect(accepted.headers[.retryAfter] == nil)
            #expect(accepted.headers[.retryAfterMilliseconds] == "250")
            #expect(accepted.headers[.msRetryAfterMilliseconds] == "250")
        }
    }

    @Test("the poll delay follows the operation: each generation is told the time it still runs, in headers it reads")
    func pollDelayPerClientGeneration() async throws {
        let msrest: HTTPFields = [.userAgent: "python/3.11.7 (Linux) msrest/0.7.1 msrest_azure/0.6.4 azure-mgmt-sql/0.8.6 Azure-SDK-For-Python"]
        let azureCore: HTTPFields = [.userAgent: "azsdk-python-mgmt-sql/4.0.0 Python/3.11.7 (Linux)"]
        let clock = EmulatorClock(frozenAt: Date(timeIntervalSince1970: 1_790_000_000))
        try await withEmulator(EmulatorConfiguration(operationDelay: 5), clock: clock) { arm in
            let body = try HowTo.fixture("create-sync-group")
            // Five seconds to go: both are told to come back then, not after the 10 ms default.
            let core = try await arm.send(.put, HowTo.groupPath(), body: body, headers: azureCore)
            #expect(core.headers[.retryAfter] == "5")
            #expect(core.headers[.retryAfterMilliseconds] == nil)
            clock.advance(by: 4.75)
            let location = try #require(core.headers[.location])
            let running = try await arm.send(.get, ARMClient.relative(location), apiVersion: .some(nil), headers: azureCore)
            #expect(running.headers[.retryAfter] == nil)
            #expect(running.headers[.retryAfterMilliseconds] == "250")
            #expect(running.headers[.msRetryAfterMilliseconds] == "250")
            // msrestazure reads only whole seconds: a quarter second still to go is one second, never 0 (a spin).
            let old = try await arm.send(.get, ARMClient.relative(location), apiVersion: .some(nil), headers: msrest)
            #expect(old.status == .accepted)
            #expect(old.headers[.retryAfter] == "1")
            #expect(old.headers[.retryAfterMilliseconds] == nil)
        }
        try await withEmulator { arm in
            // Default settings: the answer is ready, so msrestazure polls again at once (it sleeps int("0")),
            // while azure-core gets 10 ms in the ms headers (its Retry-After: 0 would mean 30 s).
            let old = try await arm.send(.put, HowTo.groupPath(), body: try HowTo.fixture("create-sync-group"), headers: msrest)
            #expect(old.status == .accepted)
            #expect(old.headers[.retryAfter] == "0")
            #expect(old.headers[.retryAfterMilliseconds] == nil)
            let core = try await arm.send(.put, HowTo.groupPath(), body: try HowTo.fixture("create-sync-group"), headers: azureCore)
            #expect(core.headers[.retryAfter] == nil)
            #expect(core.headers[.retryAfterMilliseconds] == "10")
        }
        // A delay no header can carry is capped, never a crash (2,147,483 s keeps milliseconds in 32 bits).
        #expect(PollDelay(configured: 0.01, remaining: 1e20, poller: .azureCore).headers.first?.1 == "2147483")
        #expect(PollDelay(configured: 1e20, remaining: 0, poller: .msrestAzure).headers.first?.1 == "2147483")
        try await withEmulator(EmulatorConfiguration(retryAfter: 15)) { arm in
            // --retry-after 15 plays the live service's `Retry-After: 15` to both generations.
            let old = try await arm.send(.put, HowTo.groupPath(), body: try HowTo.fixture("create-sync-group"), headers: msrest)
            #expect(old.headers[.retryAfter] == "15")
        }
    }

    @Test("--lro-style sync answers writes directly, but refreshes stay 202")
    func syncStyle() async throws {
        try await withEmulator(EmulatorConfiguration(longRunningStyle: .sync)) { arm in
            let created = try await arm.put(HowTo.groupPath(), try HowTo.fixture("create-sync-group"))
            #expect(created.status == .created)
            #expect(created.string("properties.syncState") == "NotReady")
            #expect(created.string("properties.hubDatabaseUserName") == "hubUser")
            let updated = try await arm.put(HowTo.groupPath(), try HowTo.fixture("create-sync-group"))
            #expect(updated.status == .ok)
            let patched = try await arm.patch(HowTo.groupPath(), #"{"properties":{"interval":60}}"#)
            #expect(patched.status == .ok)
            #expect(patched.value("properties.interval") == .integer(60))
            let member = try await arm.put(HowTo.memberPath(), try HowTo.fixture("create-sync-member"))
            #expect(member.status == .created)
            #expect(member.string("properties.syncState") == "UnProvisioned")
            #expect((try await arm.post(HowTo.groupPath() + "/refreshHubSchema")).status == .accepted)
            #expect((try await arm.delete(HowTo.memberPath())).status == .ok)
            #expect((try await arm.delete(HowTo.groupPath())).status == .ok)
            #expect((try await arm.delete(HowTo.groupPath())).status == .noContent)
        }
    }

    @Test("an unknown operation id, or one polled under the wrong family, is the ARM 404")
    func unknownOperation() async throws {
        try await withEmulator { arm in
            let scope = "/subscriptions/\(HowTo.subscription)/resourceGroups/\(HowTo.resourceGroup)/providers/Microsoft.Sql/locations/westus2"
            let missing = try await arm.get(scope + "/syncGroupOperationResults/\(UUID().uuidString)")
            #expect(missing.status == .notFound)
            #expect(missing.errorCode == "ResourceNotFound")
            let accepted = try await arm.put(HowTo.groupPath(), try HowTo.fixture("create-sync-group"))
            let id = try #require(accepted.headers[.requestID])
            #expect((try await arm.get(scope + "/syncMemberOperationResults/\(id)")).status == .notFound)
            #expect((try await arm.get(scope + "/syncGroupOperationResults/\(id)")).status == .created)
            let legacy = "/subscriptions/\(HowTo.subscription)/providers/Microsoft.Sql/locations/westus2"
            #expect((try await arm.get(legacy + "/syncGroupOperationResults/\(id)")).status == .created)
        }
    }
}

@Suite struct APIVersionTests {
    @Test("missing api-version is ARM's MissingApiVersionParameter")
    func missing() async throws {
        try await withEmulator { arm in
            let reply = try await arm.send(.get, HowTo.groupPath(), apiVersion: .some(nil))
            #expect(reply.status == .badRequest)
            #expect(reply.errorCode == "MissingApiVersionParameter")
            #expect(reply.errorMessage == "The api-version query parameter (?api-version=) is required for all requests.")
        }
    }

    @Test("nearest serves an unknown version as the closest older one, with a warning")
    func nearest() async throws {
        try await withEmulator(apiVersion: "2025-06-01-preview") { arm in
            _ = try await arm.createGroup()
            let reply = try await arm.get(HowTo.groupPath())
            #expect(reply.status == .ok)
            #expect(reply.headers[.warning]?.contains("served as '2025-02-01-preview'") == true)
            #expect(reply.value("identity") != nil)
        }
        try await withEmulator(apiVersion: "2010-01-01") { arm in
            let reply = try await arm.get(HowTo.groupPath())
            #expect(reply.errorCode == "InvalidApiVersionParameter")
        }
    }

    @Test("strict refuses an unknown version and lists the supported ones")
    func strict() async throws {
        try await withEmulator(EmulatorConfiguration(apiVersionPolicy: .strict), apiVersion: "2099-01-01") { arm in
            let reply = try await arm.get(HowTo.groupPath())
            #expect(reply.status == .badRequest)
            #expect(reply.errorCode == "InvalidApiVersionParameter")
            #expect(reply.errorMessage?.hasPrefix("The api-version '2099-01-01' is invalid. The supported versions are '2015-05-01-preview,") == true)
        }
    }

    @Test("any accepts even a malformed version")
    func any() async throws {
        try await withEmulator(EmulatorConfiguration(apiVersionPolicy: .any), apiVersion: "banana") { arm in
            _ = try await arm.createGroup()
            #expect((try await arm.get(HowTo.groupPath())).status == .ok)
        }
    }

    @Test(
        "responses are shaped per version",
        arguments: [
            ("2015-05-01-preview", false, false, false),
            ("2020-02-02-preview", true, true, false),
            ("2025-01-01", true, true, false),
            ("2025-08-01-preview", true, true, true),
        ]
    )
    func shaping(version: String, privateLink: Bool, conflictLogging: Bool, identity: Bool) async throws {
        try await withEmulator(apiVersion: version) { arm in
            let body = #"{"properties":{"interval":-1,"enableConflictLogging":true,"conflictLoggingRetentionInDays":7}}"#
            _ = try await arm.finish(try await arm.put(HowTo.groupPath(), body))
            let group = try await arm.get(HowTo.groupPath())
            #expect((group.value("properties.usePrivateLinkConnection") != nil) == privateLink)
            #expect((group.value("properties.enableConflictLogging") != nil) == conflictLogging)
            #expect((group.value("identity") != nil) == identity)
            #expect((group.value("sku") != nil) == identity)
        }
    }

    @Test("the control API lists the versions served per resource type")
    func listing() async throws {
        try await withEmulator { arm in
            let reply = try await arm.send(.get, "/_emulator/api-versions", apiVersion: .some(nil))
            #expect(reply.status == .ok)
            guard case .array(let versions)? = reply.object?["Microsoft.Sql/servers/databases/syncGroups"] else {
                Issue.record("no syncGroups entry")
                return
            }
            #expect(versions.first == .string("2015-05-01-preview"))
            #expect(versions.contains(.string("2025-01-01")))
            #expect(versions.last == .string("2025-08-01-preview"))
        }
    }
}
