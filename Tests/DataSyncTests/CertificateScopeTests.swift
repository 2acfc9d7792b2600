import Foundation
import SwiftASN1
import Testing
import X509

@testable import EmulatorTLS

/// The local CA is scoped: name constraints that `openssl verify` enforces, two years at most, and a new CA
/// when a `--tls-name` falls outside them.
@Suite struct CertificateScopeTests {
    @Test("the CA permits localhost, loopback and the --tls-name values only, critically, for two years at most")
    func constraints() throws {
        let authority = try LocalCertificateAuthority.loadOrCreate(in: nil, names: ["dev.example.test", "192.0.2.7"])
        let ca = try Certificate(pemEncoded: authority.certificatePEM)
        let constraints = try #require(try ca.extensions.nameConstraints)
        #expect(try #require(ca.extensions[oid: .X509ExtensionID.nameConstraints]).critical)
        #expect(Array(constraints.permittedDNSDomains) == ["localhost", "dev.example.test"])
        let ranges = constraints.permittedIPRanges.map { Array($0.bytes) }
        #expect(ranges.contains([127, 0, 0, 0, 255, 0, 0, 0]))
        #expect(ranges.contains(Array(repeating: 0, count: 15) + [1] + Array(repeating: 255, count: 16)))
        #expect(ranges.contains([192, 0, 2, 7, 255, 255, 255, 255]))
        #expect(ranges.count == 3)
        #expect(ca.notValidAfter.timeIntervalSince(ca.notValidBefore) <= 2 * 365 * 86_400)
    }

    @Test("openssl verify accepts the emulator's leaf and refuses a leaf for another host signed by the same key")
    func opensslEnforcesTheScope() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ca-scope-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let authority = try LocalCertificateAuthority.loadOrCreate(in: directory, names: ["dev.example.test"])
        let caFile = try #require(authority.certificatePath)
        let issued = try authority.issueServerCertificate(extraNames: ["dev.example.test"])
        let own = directory.appendingPathComponent("own.pem")
        try issued.certificateChainPEM[0].write(to: own, atomically: true, encoding: .utf8)
        let accepted = try Self.opensslVerify(ca: caFile, leaf: own)
        #expect(accepted.status == 0, "\(accepted.output)")

        for foreign in [GeneralName.dnsName("www.example.com"), .ipAddress(ASN1OctetString(contentBytes: [10, 9, 9, 9]))] {
            let leaf = directory.appendingPathComponent("foreign.pem")
            try Self.foreignLeaf(for: foreign, signedBy: authority).write(to: leaf, atomically: true, encoding: .utf8)
            let refused = try Self.opensslVerify(ca: caFile, leaf: leaf)
            #expect(refused.status != 0, "\(foreign): \(refused.output)")
            #expect(refused.output.contains("permitted subtree violation"), "\(refused.output)")
        }
    }

    @Test("a --tls-name outside the constraints makes a new CA that keeps the earlier names; a covered one keeps the CA")
    func newNameMakesNewAuthority() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ca-scope-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let first = try LocalCertificateAuthority.loadOrCreate(in: directory, names: ["one.test"])
        #expect(first.replacementReason == nil)
        let same = try LocalCertificateAuthority.loadOrCreate(in: directory, names: ["one.test", "localhost", "127.0.0.1"])
        #expect(same.replacementReason == nil)
        #expect(same.certificatePEM == first.certificatePEM)
        let wider = try LocalCertificateAuthority.loadOrCreate(in: directory, names: ["two.test"])
        #expect(wider.replacementReason?.contains("two.test") == true)
        #expect(wider.certificatePEM != first.certificatePEM)
        let domains = try #require(try Certificate(pemEncoded: wider.certificatePEM).extensions.nameConstraints).permittedDNSDomains
        #expect(Array(domains) == ["localhost", "one.test", "two.test"])
        #expect(try String(contentsOf: directory.appendingPathComponent("ca.pem"), encoding: .utf8) == wider.certificatePEM)
    }

    @Test("a CA without name constraints, as older emulators made, is replaced")
    func unconstrainedAuthorityIsReplaced() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ca-scope-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let scoped = try LocalCertificateAuthority.loadOrCreate(in: directory)
        let name = scoped.certificate.subject
        let old = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: scoped.certificate.publicKey,
            notValidBefore: Date() - 3600,
            notValidAfter: Date() + 10 * 365 * 86_400,
            issuer: name,
            subject: name,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
            },
            issuerPrivateKey: scoped.privateKey
        )
        try old.serializeAsPEM().pemString.write(to: directory.appendingPathComponent("ca.pem"), atomically: true, encoding: .utf8)
        let replaced = try LocalCertificateAuthority.loadOrCreate(in: directory)
        #expect(replaced.replacementReason?.contains("no name constraints") == true)
        #expect(try Certificate(pemEncoded: replaced.certificatePEM).extensions.nameConstraints != nil)
    }

    /// A leaf for `name`, signed with the CA's own key, as someone holding a leaked `ca-key.pem` could make.
    static func foreignLeaf(for name: GeneralName, signedBy authority: LocalCertificateAuthority) throws -> String {
        let leaf = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: authority.certificate.publicKey,
            notValidBefore: Date() - 3600,
            notValidAfter: Date() + 86_400,
            issuer: authority.certificate.subject,
            subject: try DistinguishedName { CommonName("impostor") },
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames([name])
            },
            issuerPrivateKey: authority.privateKey
        )
        return try leaf.serializeAsPEM().pemString + "\n"
    }

    static func opensslVerify(ca: URL, leaf: URL) throws -> (status: Int32, output: String) {
        try runTool("/usr/bin/openssl", ["verify", "-CAfile", ca.path, leaf.path])
    }
}
