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
