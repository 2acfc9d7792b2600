import Foundation
import Testing

@testable import ARMConventions

@Suite struct LocalOriginPolicyTests {
    let policy = LocalOriginPolicy(
        hosts: ["0.0.0.0", "Emulator.Test.", "[fd00::1]:8080"],
        origins: ["HTTP://LocalHost:3000/", "https://app.test:443"],
        scheme: "http",
        bodyRules: [
            RequestBodyRule("/_emulator/ui/**", accepts: [.json, .form]),
            RequestBodyRule("/*/oauth2/v2.0/token", accepts: [.form]),
        ]
    )

    @Test("Host: loopback in every spelling and the configured names pass; look-alikes do not", arguments: [
        ("localhost", true), ("localhost:1", true), ("LOCALHOST.", true), ("127.0.0.1:80", true), ("127.255.0.9", true),
        ("[::1]", true), ("[::1]:10880", true), ("emulator.test:5", true), ("0.0.0.0:10880", true), ("[fd00::1]", true),
        ("evil.example", false), ("127.0.0.1.evil.example", false), ("localhost.evil.example", false), ("128.0.0.1", false),
        ("127.0.0.256", false), ("127.0.0", false), ("[::1", false), ("localhost:port", false), ("localhost:1:2", false),
        ("user@localhost", false), ("", false),
    ])
    func hosts(authority: String, allowed: Bool) {
        #expect(self.policy.allowsHost(authority) == allowed)
    }

    @Test("the byte check for 127.0.0.1 and localhost passes only what the general parse finds loopback")
    func plainLoopback() {
        for authority in ["127.0.0.1", "localhost", "127.0.0.1:10880", "localhost:65535", "localhost:0"] {
            #expect(LocalOriginPolicy.isPlainLoopback(authority), "\(authority)")
        }
        for authority in [
            "127.0.0.1", "localhost:1", "127.0.0.1:", "127.0.0.1:123456", "127.0.0.10:80", "127.0.0.1.evil.example",
            "localhost.evil.example", "localhost:port", "localhost:1:2", "localhost:9x", "localhostx", "127.0.0.1/x",
            "LOCALHOST", "localhost.", "user@localhost", "",
        ] where LocalOriginPolicy.isPlainLoopback(authority) {
            #expect(LocalOriginPolicy.isLoopbackHost(authority), "\(authority)")
        }
    }

    @Test("origins normalise scheme, case, default port and trailing slash; anything else is not an origin")
    func origins() {
        #expect(LocalOriginPolicy.normalisedOrigin("HTTP://LocalHost:3000/") == "http://localhost:3000")
        #expect(LocalOriginPolicy.normalisedOrigin("https://app.test:443") == "https://app.test")
        #expect(LocalOriginPolicy.normalisedOrigin("http://[::1]:80") == "http://[::1]")
        for text in ["null", "*", "file://", "ftp://x", "http://x/path", "http://user@x", "http://x:y", "localhost:3000"] {
            #expect(LocalOriginPolicy.normalisedOrigin(text) == nil, "\(text)")
        }
        #expect(self.policy.sharesResponses(with: "http://localhost:3000"))
        #expect(self.policy.sharesResponses(with: "https://app.test"))
        #expect(!self.policy.sharesResponses(with: "http://localhost:3001"))
    }

    @Test("the emulator's own origin: its scheme, an allowed host, the port the request went to")
    func ownOrigin() {
        #expect(self.policy.allowsOrigin("http://127.0.0.1:10880", authority: "127.0.0.1:10880"))
        #expect(self.policy.allowsOrigin("http://localhost:10880", authority: "127.0.0.1:10880"))
        #expect(self.policy.allowsOrigin("http://emulator.test", authority: "emulator.test:80"))
        #expect(!self.policy.allowsOrigin("http://localhost:10881", authority: "127.0.0.1:10880"), "another local server")
        #expect(!self.policy.allowsOrigin("https://localhost:10880", authority: "localhost:10880"), "another scheme")
        #expect(!self.policy.allowsOrigin("http://evil.example:10880", authority: "evil.example:10880"))
        #expect(!self.policy.allowsOrigin("http://localhost:10880", authority: nil))
        #expect(self.policy.allowsOrigin("http://localhost:3000", authority: "127.0.0.1:10880"), "an allowed origin")
    }

    @Test("routes declare their bodies; everything else takes JSON, with parameters or as a +json type")
    func bodies() {
        #expect(self.policy.acceptedMediaTypes("/_emulator/ui/clock/advance") == [.json, .form])
        #expect(self.policy.acceptedMediaTypes("/_emulator/ui") == [.json])
        #expect(self.policy.acceptedMediaTypes("/my-tenant/oauth2/v2.0/token") == [.form])
        #expect(self.policy.acceptedMediaTypes("/my-tenant/oauth2/v2.0/token/x") == [.json])
        #expect(self.policy.acceptedMediaTypes("/_emulator/databases/s/d/query") == [.json])
        #expect(MediaType.json.matches("Application/JSON; charset=utf-8"))
        #expect(MediaType.json.matches("application/merge-patch+json"))
        #expect(!MediaType.json.matches("text/plain; x=application/json"))
        #expect(!MediaType.json.matches("text/json+plain"))
        #expect(MediaType.form.matches("application/x-www-form-urlencoded;charset=UTF-8"))
    }
}

@Suite struct JSONParserPathTests {
    @Test("error paths name the member and index where the error is, deep inside arrays and objects", arguments: [
        (#"{"a":[1,{"b":x}]}"#, "Path 'a[1].b'"),
        (#"[0,0,0,tru]"#, "Path '[3]'"),
        (#"{"a":{"b":[[1],[2,]]}}"#, "Path 'a.b[1][1]'"),
        (#"{"a":1 "b":2}"#, "Path 'a'"),
        (#"{"a":[1,2}"#, "Path 'a'"),
    ])
    func paths(text: String, expected: String) {
        do {
            _ = try JSONValue.parse(Data(text.utf8))
            Issue.record("\(text) parsed")
        } catch let error as JSONParseError {
            #expect(error.reason.contains(expected), "\(error.reason)")
        } catch {
            Issue.record("\(error)")
        }
    }

    @Test("integers are read exactly to the ends of Int64; beyond them they are doubles")
    func integers() throws {
        #expect(try JSONValue.parse(Data("[9223372036854775807,-9223372036854775808,9223372036854775808,-0]".utf8))
            == .array([.integer(.max), .integer(.min), .double(9_223_372_036_854_775_808), .integer(0)]))
    }
}
