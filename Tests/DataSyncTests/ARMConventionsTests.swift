import ARMConventions
import Foundation
import Testing

@Suite struct UUIDTests {
    @Test("random ids are version 4, RFC 9562 variant, and distinct across many pool refills")
    func randomIDs() {
        var seen = Set<UUID>()
        for _ in 0..<3000 {
            let id = RandomUUID.make()
            #expect(id.uuid.6 >> 4 == 4)
            #expect(id.uuid.8 >> 6 == 0b10)
            seen.insert(id)
        }
        #expect(seen.count == 3000)
    }

    @Test("the canonical text form parses as Foundation parses it, in either case, and is written as Foundation writes it; anything else does not parse")
    func canonicalText() {
        for _ in 0..<100 {
            let id = UUID()
            #expect(UUID(canonical: id.uuidString) == id)
            #expect(UUID(canonical: id.uuidString.lowercased()) == id)
            #expect(id.lowercasedString == id.uuidString.lowercased())
        }
        let valid = "00000000-1111-2222-3333-44444444444a"
        #expect(UUID(canonical: valid) == UUID(uuidString: valid))
        for invalid in [
            "", "00000000-1111-2222-3333-44444444444", "00000000-1111-2222-3333-44444444444aa",
            "000000001-111-2222-3333-44444444444a", "00000000-1111-2222-3333-44444444444g",
            "{0000000-1111-2222-3333-44444444444a}", "00000000_1111_2222_3333_44444444444a",
            "0000000é-1111-2222-3333-44444444444a",
        ] {
            #expect(UUID(canonical: invalid) == nil, "\(invalid)")
        }
    }
}

@Suite struct QueryParameterTests {
    @Test("query keys match without case, decoded; values are decoded; the first occurrence wins", arguments: [
        ("api-version=2024-05-01-preview", "2024-05-01-preview"),
        ("x=1&API-Version=2", "2"),
        ("api%2Dversion=3", "3"),
        ("Api%2dVERSION=4&api-version=5", "4"),
        ("&&api-version=6&", "6"),
        ("api-version=a%2Bb+c", "a+b c"),
        ("api-version=", ""),
        ("api-version", ""),
        ("api-version=x=y", "x=y"),
    ])
    func found(query: String, value: String) {
        #expect(queryParameter("api-version", inQuery: query) == value)
    }

    @Test("absent keys, prefixes and suffixes of the key are not matches")
    func absent() {
        for query in ["", "api-versionx=1", "xapi-version=1", "api-versio=1", "api_version=1"] {
            #expect(queryParameter("api-version", inQuery: query) == nil, "\(query)")
        }
        #expect(queryParameter("api-version", inQuery: nil) == nil)
    }
}
