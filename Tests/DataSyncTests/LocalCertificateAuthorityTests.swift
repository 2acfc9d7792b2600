import Foundation
import SwiftASN1
import Testing
import X509

@testable import EmulatorTLS

@Suite struct LocalCertificateAuthorityTests {
    private static let ipv6Loopback: [UInt8] = Array(repeating: 0, count: 15) + [1]

    private func temporaryDirectory() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("lca-\(UUID().uuidString)")
    }

    private func leafAndCA(
        extraNames: [String] = []
    ) throws -> (leaf: Certificate, ca: Certificate, issued: IssuedCertificate) {
        let authority = try LocalCertificateAuthority.loadOrCreate(in: nil, names: extraNames)
        let issued = try authority.issueServerCertificate(extraNames: extraNames)
        let leaf = try Certificate(pemEncoded: issued.certificateChainPEM[0])
        let ca = try Certificate(pemEncoded: authority.certificatePEM)
        return (leaf, ca, issued)
    }

    private func validate(_ leaf: Certificate, against ca: Certificate, hostname: String?, ip: String?) async -> Bool {
        var verifier = Verifier(rootCertificates: CertificateStore([ca])) {
            RFC5280Policy(validationTime: Date())
            ServerIdentityPolicy(serverHostname: hostname, serverIP: ip)
        }
        let result = await verifier.validate(leaf: leaf, intermediates: CertificateStore())
        if case .validCertificate = result {
            return true
        }
        return false
    }

    @Test func leafNamesLoopbackAndExtraNames() throws {
        let (leaf, _, _) = try leafAndCA(extraNames: ["sync.example.test", "192.0.2.7", "2001:db8::5", "localhost"])
        let names = try #require(try leaf.extensions.subjectAlternativeNames)
        var dnsNames: [String] = []
        var addresses: [[UInt8]] = []
        for name in names {
            switch name {
            case .dnsName(let dnsName): dnsNames.append(dnsName)
            case .ipAddress(let octets): addresses.append(Array(octets.bytes))
            default: Issue.record("unexpected SAN \(name)")
            }
        }
        #expect(dnsNames == ["localhost", "sync.example.test"])
        #expect(addresses.contains([127, 0, 0, 1]))
        #expect(addresses.contains(Self.ipv6Loopback))
        #expect(addresses.contains([192, 0, 2, 7]))
        #expect(addresses.contains([0x20, 0x01, 0x0d, 0xb8] + Array(repeating: 0, count: 11) + [5]))
        #expect(addresses.count == 4)
    }

    @Test func leafHasServerExtensionsAndShortValidity() throws {
        let (leaf, ca, issued) = try leafAndCA()
        #expect(issued.certificateChainPEM.count == 2)
        #expect(try Certificate(pemEncoded: issued.certificateChainPEM[1]) == ca)
        #expect(issued.privateKeyPEM.hasPrefix("-----BEGIN PRIVATE KEY-----"))
        let bundle = try PEMDocument.parseMultiple(pemString: issued.certificateChainPEM.joined())
        #expect(try bundle.map { try Certificate(pemDocument: $0) } == [leaf, ca])
        #expect(leaf.subject.description == "CN=localhost")
        #expect(try leaf.extensions.basicConstraints == .notCertificateAuthority)
        #expect(try leaf.extensions.keyUsage == KeyUsage(digitalSignature: true))
        #expect(leaf.extensions[oid: .X509ExtensionID.keyUsage]?.critical == true)
        #expect(try leaf.extensions.extendedKeyUsage == ExtendedKeyUsage([.serverAuth]))
        let authorityKeyID = try #require(try leaf.extensions.authorityKeyIdentifier?.keyIdentifier)
        #expect(authorityKeyID == (try ca.extensions.subjectKeyIdentifier?.keyIdentifier))
        let lifetime = leaf.notValidAfter.timeIntervalSince(leaf.notValidBefore)
        #expect(lifetime < 398 * 24 * 60 * 60)
        #expect(leaf.notValidBefore < Date())
        #expect(leaf.serialNumber.bytes.count == 20)
        #expect(leaf.serialNumber.bytes.first.map { $0 & 0x80 == 0 } == true)
    }

    @Test func authorityIsAConstrainedSelfSignedCA() throws {
        let (_, ca, _) = try leafAndCA()
        #expect(ca.subject == ca.issuer)
        #expect(ca.subject.description == "CN=datasync-emulator local CA,O=datasync-emulator")
        #expect(try ca.extensions.basicConstraints == .isCertificateAuthority(maxPathLength: nil))
        #expect(ca.extensions[oid: .X509ExtensionID.basicConstraints]?.critical == true)
        #expect(try ca.extensions.keyUsage == KeyUsage(keyCertSign: true, cRLSign: true))
        #expect(ca.extensions[oid: .X509ExtensionID.keyUsage]?.critical == true)
        #expect(try ca.extensions.subjectKeyIdentifier != nil)
        #expect(ca.notValidAfter.timeIntervalSince(Date()) > 365 * 24 * 60 * 60)
        #expect(ca.notValidAfter.timeIntervalSince(ca.notValidBefore) <= 730 * 24 * 60 * 60)
    }

    @Test func leafVerifiesAgainstTheCAForNamesAndAddresses() async throws {
        let (leaf, ca, _) = try leafAndCA(extraNames: ["sync.example.test"])
        #expect(await validate(leaf, against: ca, hostname: "localhost", ip: nil))
        #expect(await validate(leaf, against: ca, hostname: nil, ip: "127.0.0.1"))
        #expect(await validate(leaf, against: ca, hostname: nil, ip: "::1"))
        #expect(await validate(leaf, against: ca, hostname: "sync.example.test", ip: nil))
        #expect(!(await validate(leaf, against: ca, hostname: "other.example.test", ip: nil)))
    }

    @Test func leafDoesNotVerifyAgainstAnotherCA() async throws {
        let (leaf, _, _) = try leafAndCA()
        let (_, otherCA, _) = try leafAndCA()
        #expect(!(await validate(leaf, against: otherCA, hostname: "localhost", ip: nil)))
    }

    @Test func savedAuthorityIsReusedAndItsKeyIsPrivate() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let first = try LocalCertificateAuthority.loadOrCreate(in: directory)
        let second = try LocalCertificateAuthority.loadOrCreate(in: directory)
        let caFile = directory.appendingPathComponent("ca.pem")
        #expect(first.certificatePath?.standardizedFileURL == caFile.standardizedFileURL)
        #expect(try Certificate(pemEncoded: second.certificatePEM) == Certificate(pemEncoded: first.certificatePEM))
        #expect(try String(contentsOf: caFile, encoding: .utf8) == first.certificatePEM)
        let keyPath = directory.appendingPathComponent("ca-key.pem").path
        let permissions = try FileManager.default.attributesOfItem(atPath: keyPath)[.posixPermissions] as? Int
        #expect(permissions == 0o600)
    }

    @Test func leafFromReloadedAuthorityVerifiesAgainstSavedCA() async throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let saved = try LocalCertificateAuthority.loadOrCreate(in: directory)
        let issued = try LocalCertificateAuthority.loadOrCreate(in: directory).issueServerCertificate(extraNames: [])
        let leaf = try Certificate(pemEncoded: issued.certificateChainPEM[0])
        let ca = try Certificate(pemEncoded: saved.certificatePEM)
        #expect(await validate(leaf, against: ca, hostname: "localhost", ip: nil))
    }

    @Test func inMemoryAuthorityWritesNothing() throws {
        let fileManager = FileManager.default
        let before = try fileManager.contentsOfDirectory(atPath: fileManager.currentDirectoryPath)
        let first = try LocalCertificateAuthority.loadOrCreate(in: nil)
        let second = try LocalCertificateAuthority.loadOrCreate(in: nil)
        _ = try first.issueServerCertificate(extraNames: [])
        #expect(first.certificatePath == nil)
        #expect(first.certificatePEM != second.certificatePEM)
        let after = try fileManager.contentsOfDirectory(atPath: fileManager.currentDirectoryPath)
        #expect(Set(after) == Set(before))
    }

    @Test func corruptCertificateFileThrowsInsteadOfRegenerating() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        _ = try LocalCertificateAuthority.loadOrCreate(in: directory)
        let caFile = directory.appendingPathComponent("ca.pem")
        try Data("not a certificate".utf8).write(to: caFile)
        let error = #expect(throws: LocalCertificateAuthorityError.self) {
            try LocalCertificateAuthority.loadOrCreate(in: directory)
        }
        #expect(error?.description.hasPrefix("unreadable CA file at \(caFile.path)") == true)
        #expect(try String(contentsOf: caFile, encoding: .utf8) == "not a certificate")
    }

    @Test func corruptKeyFileThrows() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        _ = try LocalCertificateAuthority.loadOrCreate(in: directory)
        try Data("garbage".utf8).write(to: directory.appendingPathComponent("ca-key.pem"))
        let error = #expect(throws: LocalCertificateAuthorityError.self) {
            try LocalCertificateAuthority.loadOrCreate(in: directory)
        }
        #expect(error?.description.hasPrefix("unreadable CA key file at") == true)
    }

    @Test func missingKeyFileThrows() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        _ = try LocalCertificateAuthority.loadOrCreate(in: directory)
        try FileManager.default.removeItem(at: directory.appendingPathComponent("ca-key.pem"))
        #expect(throws: LocalCertificateAuthorityError.self) {
            try LocalCertificateAuthority.loadOrCreate(in: directory)
        }
        #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent("ca-key.pem").path) == false)
    }

    @Test func mismatchedKeyFileThrows() throws {
        let directory = temporaryDirectory()
        let otherDirectory = temporaryDirectory()
        defer {
            try? FileManager.default.removeItem(at: directory)
            try? FileManager.default.removeItem(at: otherDirectory)
        }
        _ = try LocalCertificateAuthority.loadOrCreate(in: directory)
        _ = try LocalCertificateAuthority.loadOrCreate(in: otherDirectory)
        let keyFile = directory.appendingPathComponent("ca-key.pem")
        try FileManager.default.removeItem(at: keyFile)
        try FileManager.default.copyItem(at: otherDirectory.appendingPathComponent("ca-key.pem"), to: keyFile)
        let error = #expect(throws: LocalCertificateAuthorityError.self) {
            try LocalCertificateAuthority.loadOrCreate(in: directory)
        }
        #expect(error?.description.contains("does not match") == true)
    }
}
