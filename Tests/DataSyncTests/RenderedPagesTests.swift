import DataSyncModel
import DataSyncStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import DataSyncHTTP

/// Kept list pages (``RenderedPages``) and kept GET bodies (``RenderedBodies``) are, byte for byte, what a
/// fresh read of the same state renders, through writes, PATCHes, deletes, a reset, paging and api-versions.
@Suite struct RenderedPagesTests {
    /// The oldest version, one with private link, one without identity, one with it: each shape of a member.
    static let versions = ["2015-05-01-preview", "2020-11-01-preview", "2025-01-01", "2025-02-01-preview"]

    @Test("a kept list page or GET body equals a fresh rendering of the same state after every kind of change")
    func keptEqualsFresh() async throws {
        let configuration = EmulatorConfiguration()
        let clock = EmulatorClock(frozenAt: Date(timeIntervalSince1970: 1_790_000_000))
        let store = try StateStore.open(directory: nil)
        let served = try buildRouter(configuration, store: store, clock: clock).router
        try await Application(router: served).test(.router) { client in
            let arm = ARMClient(client: client)

            /// Each URL GET twice on the served emulator (the second answer is the kept one, when the first was
            /// a 200), and once on an emulator built afresh over the same state, which has nothing kept.
            func expectFresh(_ urls: [String], _ step: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
                var kept: [Reply] = []
                for url in urls {
                    let first = try await arm.send(.get, url, apiVersion: .some(nil))
                    let second = try await arm.send(.get, url, apiVersion: .some(nil))
                    #expect(second.status == first.status && second.text == first.text, "\(step): \(url)", sourceLocation: sourceLocation)
                    kept.append(second)
                }
                let fresh = try buildRouter(configuration, store: store, clock: clock).router
                let expected = zip(urls, kept).map { ($0, $1) }
                try await Application(router: fresh).test(.router) { freshClient in
                    let oracle = ARMClient(client: freshClient)
                    for (url, reply) in expected {
                        let rendered = try await oracle.send(.get, url, apiVersion: .some(nil))
                        #expect(rendered.status == reply.status, "\(step): \(url)", sourceLocation: sourceLocation)
                        #expect(rendered.text == reply.text, "\(step): \(url)", sourceLocation: sourceLocation)
                    }
                }
            }

            /// Every list page and single GET the test follows, in every version, the second member page by the
            /// first page's nextLink.
            func urls() async throws -> [String] {
                var urls: [String] = []
                for version in Self.versions {
                    let query = "?api-version=\(version)"
                    let members = HowTo.groupPath() + "/syncMembers" + query
                    urls += [
                        members, HowTo.databasePath + "/syncGroups" + query, HowTo.serverPath + "/syncAgents" + query,
                        HowTo.groupPath() + query, HowTo.memberPath("m-5") + query, HowTo.agentPath("agent-1") + query,
                        members + "&$skipToken=100",
                    ]
                    if let next = try await arm.send(.get, members, apiVersion: .some(nil)).string("nextLink") {
                        urls.append(ARMClient.relative(next))
                    }
                }
                return urls
            }

            _ = try await arm.createGroup()
            _ = try await arm.createGroup("second-group")
            for index in 0..<102 {
                _ = try await arm.createMember("m-\(index)")
            }
            _ = try await arm.put(HowTo.agentPath("agent-1"), #"{"properties":{"syncDatabaseId":"\#(HowTo.syncDatabaseID())"}}"#)
            let all = try await urls()
            #expect(all.count == Self.versions.count * 8, "a nextLink on every first page of 102 members")
            try await expectFresh(all, "created")

            _ = try await arm.finish(try await arm.patch(HowTo.memberPath("m-5"), #"{"properties":{"userName":"otherUser"}}"#))
            try await expectFresh(all, "member patched")
            _ = try await arm.finish(try await arm.patch(HowTo.groupPath(), #"{"properties":{"interval":300}}"#))
            try await expectFresh(all, "group patched")
            _ = try await arm.finish(try await arm.put(HowTo.memberPath("m-5"), try HowTo.fixture("update-sync-member")))
            try await expectFresh(all, "member replaced")

            _ = try await arm.delete(HowTo.memberPath("m-0"))
            _ = try await arm.delete(HowTo.memberPath("m-1"))
            try await expectFresh(try await urls(), "two members deleted: one page")
            _ = try await arm.createMember("m-new")
            try await expectFresh(try await urls(), "a member added")
            _ = try await arm.delete(HowTo.groupPath("second-group"))
            try await expectFresh(all, "a group deleted")

            #expect(try await arm.send(.post, "/_emulator/reset", apiVersion: .some(nil)).status == .ok)
            try await expectFresh(all, "reset")
            _ = try await arm.createGroup()
            _ = try await arm.createMember("m-5")
            try await expectFresh(try await urls(), "created again")
        }
    }
}
