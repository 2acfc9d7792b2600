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
