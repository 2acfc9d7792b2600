import DataSyncModel
import Foundation
import Testing

@Suite struct ResourceNameCodingTests {
    @Test("names are stored as bare strings, and the keyed form of older state files still decodes")
    func storedForms() throws {
        let name = try ResourceName("Hub-DB", kind: .database)
        let encoded = try JSONEncoder().encode([name])
        #expect(String(decoding: encoded, as: UTF8.self) == #"["Hub-DB"]"#)
        let old = try JSONDecoder().decode([ResourceName].self, from: Data(#"[{"value":"Hub-DB"}]"#.utf8))
        #expect(old == [name])
        #expect(throws: (any Error).self) {
            try JSONDecoder().decode([ResourceName].self, from: Data(#"[{"name":"Hub-DB"}]"#.utf8))
        }
    }
}

@Suite struct ResourceNameRuleTests {
    @Test("ASCII names take the byte check, with the same verdicts as the rules state")
    func asciiRules() {
        for valid in ["g", "Hub-DB", "a.b", "...", "name with spaces", "x!$'()+,;=@[]^_`{|}~", String(repeating: "n", count: 128)] {
            #expect(ResourceName.isValid(valid), "\(valid)")
        }
        let forbidden = ["/", "\\", "?", "#", "%", "&", ":", "*", "<", ">"].map { "a\($0)b" }
        let controls = ["a\u{0}b", "a\u{1F}b", "a\u{7F}b", "a\r\nb", "\t"]
        for invalid in ["", ".", "..", String(repeating: "n", count: 129)] + forbidden + controls {
            #expect(!ResourceName.isValid(invalid), "\(invalid.debugDescription)")
        }
    }

    @Test("names beyond ASCII keep the general rules: characters counted, Unicode controls refused")
    func unicodeRules() {
        #expect(ResourceName.isValid("Größe-数据"))
        #expect(ResourceName.isValid(String(repeating: "é", count: 128)))
        #expect(!ResourceName.isValid(String(repeating: "é", count: 129)))
        #expect(!ResourceName.isValid("é\u{85}"))
        #expect(!ResourceName.isValid("é\u{FFFD}"))
        #expect(!ResourceName.isValid("é/x"))
    }
}

@Suite struct PathCodingTests {
    static func name(_ value: String) -> ResourceName { try! ResourceName(value, kind: .database) }

    static let server = ServerPath(subscriptionID: name("00000000-1111-2222-3333-444444444444"), resourceGroup: name("Rg-1"), server: name("Srv"))
    static let member = SyncMemberPath(
        group: SyncGroupPath(database: DatabasePath(server: server, database: name("Hub")), name: name("G.1")),
        name: name("Member One")
    )

    @Test("paths are stored as their ARM ids, and every kind reads back equal")
    func storedAsIDs() throws {
        let encoded = try JSONEncoder().encode([Self.member])
        #expect(String(decoding: encoded, as: UTF8.self) == #"["\#(Self.member.id.replacingOccurrences(of: "/", with: "\\/"))"]"#)
        #expect(try JSONDecoder().decode([SyncMemberPath].self, from: encoded) == [Self.member])
        let agent = SyncAgentPath(server: Self.server, name: Self.name("Agent"))
        let group = Self.member.group
        #expect(try JSONDecoder().decode(SyncAgentPath.self, from: try JSONEncoder().encode(agent)) == agent)
        #expect(try JSONDecoder().decode(SyncGroupPath.self, from: try JSONEncoder().encode(group)) == group)
        #expect(try JSONDecoder().decode(DatabasePath.self, from: try JSONEncoder().encode(group.database)) == group.database)
        #expect(try JSONDecoder().decode(ServerPath.self, from: try JSONEncoder().encode(Self.server)) == Self.server)
    }

    @Test("the nested form of older state files still decodes; an id of another kind does not")
    func olderFormsAndWrongKinds() throws {
        let nested = #"""
            {"group":{"database":{"server":{"subscriptionID":"00000000-1111-2222-3333-444444444444","resourceGroup":{"value":"Rg-1"},"server":"Srv"},"database":"Hub"},"name":"G.1"},"name":"Member One"}
            """#
        #expect(try JSONDecoder().decode(SyncMemberPath.self, from: Data(nested.utf8)) == Self.member)
        let groupID = try JSONEncoder().encode(Self.member.group)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(SyncMemberPath.self, from: groupID) }
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(SyncAgentPath.self, from: groupID) }
    }
}
