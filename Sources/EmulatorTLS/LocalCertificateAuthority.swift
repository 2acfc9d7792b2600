import Crypto
import Foundation
import SwiftASN1
import X509

#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The emulator's own certificate authority, so clients can trust its HTTPS endpoint by trusting one stable `ca.pem`.
public struct LocalCertificateAuthority: Sendable {
    private static let certificateFileName = "ca.pem"
    private static let privateKeyFileName = "ca-key.pem"
    private static let caValidity: TimeInterval = 10 * 365 * 24 * 60 * 60
    /// 397 days keeps leaves under the 398-day ceiling that browsers and .NET enforce.
    private static let leafValidity: TimeInterval = 397 * 24 * 60 * 60
    /// Backdating absorbs small clock differences between the emulator and its clients.
    private static let backdating: TimeInterval = 60 * 60

    let certificate: Certificate
    let privateKey: Certificate.PrivateKey

    /// Where `ca.pem` lives, so callers can tell users which file to trust; nil when the CA is in memory only.
    public let certificatePath: URL?

    /// The CA certificate as PEM, for clients that take the trust anchor as text.
    public let certificatePEM: String

    private init(certificate: Certificate, privateKey: Certificate.PrivateKey, certificatePath: URL?) throws {
        self.certificate = certificate
        self.privateKey = privateKey
        self.certificatePath = certificatePath
        self.certificatePEM = try Self.pemFileText(certificate.serializeAsPEM().pemString)
    }

    /// Loads the CA from `directory` (files `ca.pem` and `ca-key.pem`), creating and saving it (key file mode 0600) when absent,
    /// so a CA that users already trust survives restarts. `directory == nil` keeps it in memory only.
    public static func loadOrCreate(in directory: URL?) throws -> LocalCertificateAuthority {
        guard let directory else {
            let (certificate, privateKey) = try makeAuthority()
            return try LocalCertificateAuthority(certificate: certificate, privateKey: privateKey, certificatePath: nil)
        }
        let certificateURL = directory.appendingPathComponent(certificateFileName)
        let privateKeyURL = directory.appendingPathComponent(privateKeyFileName)
        let fileManager = FileManager.default
        switch (fileManager.fileExists(atPath: certificateURL.path), fileManager.fileExists(atPath: privateKeyURL.path)) {
        case (true, true):
            return try load(certificateURL: certificateURL, privateKeyURL: privateKeyURL)
        case (false, false):
            return try create(directory: directory, certificateURL: certificateURL, privateKeyURL: privateKeyURL)
        case (true, false):
            throw LocalCertificateAuthorityError(
                "incomplete CA in \(directory.path): \(certificateFileName) exists without \(privateKeyFileName); remove it to create a new CA"
            )
        case (false, true):
            throw LocalCertificateAuthorityError(
                "incomplete CA in \(directory.path): \(privateKeyFileName) exists without \(certificateFileName); remove it to create a new CA"
            )
        }
    }

    /// Issues a leaf certificate (fresh P-256 key) for TLS serving; SANs: "localhost", IP 127.0.0.1, IP ::1, plus `extraNames`
    /// (a name that parses as an IPv4/IPv6 address becomes an IP SAN, otherwise a DNS SAN).
    public func issueServerCertificate(extraNames: [String]) throws -> IssuedCertificate {
        let leafKey = P256.Signing.PrivateKey()
        let leafPublicKey = Certificate.PublicKey(leafKey.publicKey)
        let now = Date()
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.notCertificateAuthority)
            Critical(KeyUsage(digitalSignature: true))
            try ExtendedKeyUsage([.serverAuth])
            SubjectAlternativeNames(Self.subjectAlternativeNames(extraNames: extraNames))
            SubjectKeyIdentifier(hash: leafPublicKey)
            AuthorityKeyIdentifier(keyIdentifier: SubjectKeyIdentifier(hash: certificate.publicKey).keyIdentifier)
        }
        let leaf = try Certificate(
            version: .v3,
            serialNumber: Self.randomSerialNumber(),
            publicKey: leafPublicKey,
            notValidBefore: now - Self.backdating,
            notValidAfter: now + Self.leafValidity,
            issuer: certificate.subject,
            subject: try DistinguishedName { CommonName("localhost") },
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: extensions,
            issuerPrivateKey: privateKey
        )
        return IssuedCertificate(
            certificateChainPEM: [try Self.pemFileText(leaf.serializeAsPEM().pemString), certificatePEM],
            privateKeyPEM: Self.pemFileText(leafKey.pemRepresentation)
        )
    }

    private static func makeAuthority() throws -> (Certificate, Certificate.PrivateKey) {
        let key = P256.Signing.PrivateKey()
        let privateKey = Certificate.PrivateKey(key)
        let publicKey = Certificate.PublicKey(key.publicKey)
        let name = try DistinguishedName {
            OrganizationName("datasync-emulator")
            CommonName("datasync-emulator local CA")
        }
        let now = Date()
        let certificate = try Certificate(
            version: .v3,
            serialNumber: randomSerialNumber(),
            publicKey: publicKey,
            notValidBefore: now - backdating,
            notValidAfter: now + caValidity,
            issuer: name,
            subject: name,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(hash: publicKey)
            },
            issuerPrivateKey: privateKey
        )
        return (certificate, privateKey)
    }

    private static func load(certificateURL: URL, privateKeyURL: URL) throws -> LocalCertificateAuthority {
        let certificate: Certificate
        do {
            certificate = try Certificate(pemEncoded: String(contentsOf: certificateURL, encoding: .utf8))
        } catch {
            throw LocalCertificateAuthorityError("unreadable CA file at \(certificateURL.path): \(error)")
        }
        let key: P256.Signing.PrivateKey
        do {
            key = try P256.Signing.PrivateKey(pemRepresentation: String(contentsOf: privateKeyURL, encoding: .utf8))
        } catch {
            throw LocalCertificateAuthorityError("unreadable CA key file at \(privateKeyURL.path): \(error)")
        }
        guard Certificate.PublicKey(key.publicKey) == certificate.publicKey else {
            throw LocalCertificateAuthorityError(
                "CA key file at \(privateKeyURL.path) does not match the certificate at \(certificateURL.path)"
            )
        }
        return try LocalCertificateAuthority(
            certificate: certificate,
            privateKey: Certificate.PrivateKey(key),
            certificatePath: certificateURL
        )
    }

    private static func create(directory: URL, certificateURL: URL, privateKeyURL: URL) throws -> LocalCertificateAuthority {
        let (certificate, privateKey) = try makeAuthority()
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try writeOwnerOnly(Data(pemFileText(privateKey.serializeAsPEM().pemString).utf8), to: privateKeyURL)
            try Data(pemFileText(certificate.serializeAsPEM().pemString).utf8).write(to: certificateURL, options: .atomic)
        } catch let error as LocalCertificateAuthorityError {
            throw error
        } catch {
            throw LocalCertificateAuthorityError("cannot save CA in \(directory.path): \(error)")
        }
        return try LocalCertificateAuthority(certificate: certificate, privateKey: privateKey, certificatePath: certificateURL)
    }

    /// Creates the file with mode 0600 from the start, so the key is never readable by others, not even briefly.
    private static func writeOwnerOnly(_ data: Data, to url: URL) throws {
        let descriptor = open(url.path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard descriptor >= 0 else {
            throw LocalCertificateAuthorityError(
                "cannot create CA key file at \(url.path): \(String(cString: strerror(errno)))"
            )
        }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        try handle.write(contentsOf: data)
        try handle.synchronize()
    }

    /// Ends PEM text with a newline, as PEM files do, so chains can be concatenated and files read by any tool.
    private static func pemFileText(_ pem: String) -> String {
        pem.hasSuffix("\n") ? pem : pem + "\n"
    }

    private static func subjectAlternativeNames(extraNames: [String]) -> [GeneralName] {
        var names: [GeneralName] = [
            .dnsName("localhost"),
            .ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1])),
            .ipAddress(ASN1OctetString(contentBytes: ArraySlice(repeating: 0, count: 15) + [1])),
        ]
        for extraName in extraNames {
            let name: GeneralName =
                if let address = ipAddressBytes(extraName) {
                    .ipAddress(ASN1OctetString(contentBytes: address[...]))
                } else {
                    .dnsName(extraName)
                }
            if !names.contains(name) {
                names.append(name)
            }
        }
        return names
    }

    private static func ipAddressBytes(_ text: String) -> [UInt8]? {
        var ipv4 = in_addr()
        if inet_pton(AF_INET, text, &ipv4) == 1 {
            return withUnsafeBytes(of: &ipv4) { Array($0) }
        }
        var ipv6 = in6_addr()
        if inet_pton(AF_INET6, text, &ipv6) == 1 {
            return withUnsafeBytes(of: &ipv6) { Array($0) }
        }
        return nil
    }

    /// 20 random bytes with the top bit cleared and the next one set: positive, and exactly 20 octets as RFC 5280 allows.
    private static func randomSerialNumber() -> Certificate.SerialNumber {
        var bytes = (0..<20).map { _ in UInt8.random(in: .min ... .max) }
        bytes[0] = (bytes[0] & 0x7F) | 0x40
        return Certificate.SerialNumber(bytes: bytes)
    }
}

/// A certificate chain and key ready to hand to a TLS server.
public struct IssuedCertificate: Sendable {
    /// Leaf first, then the CA.
    public var certificateChainPEM: [String]
    /// PKCS#8 PEM of the leaf key.
    public var privateKeyPEM: String
}

/// Why the CA could not be loaded, created or used, naming the file involved.
public struct LocalCertificateAuthorityError: Error, CustomStringConvertible {
    public let description: String

    init(_ description: String) {
        self.description = description
    }
}
