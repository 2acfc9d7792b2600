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
///
/// Trusting it must not let anyone who gets its key (a data dir in git, a CI artifact) impersonate other
/// sites, so it is scoped: critical X.509 name constraints permit only `localhost`, the loopback addresses
/// (127.0.0.0/8, ::1) and the `--tls-name` values, and it is valid for two years at most. A CA on disk that
/// lacks a requested name, has no constraints (written by an older emulator), or nears its end is replaced
/// by a new one, and ``replacementReason`` says why, for the log.
public struct LocalCertificateAuthority: Sendable {
    private static let certificateFileName = "ca.pem"
    private static let privateKeyFileName = "ca-key.pem"
    /// Two years (730 days), counted from the backdated start.
    private static let caValidity: TimeInterval = 730 * 24 * 60 * 60
    /// A CA with less than this left is replaced, so a leaf never outlives it by surprise.
    private static let renewalMargin: TimeInterval = 30 * 24 * 60 * 60
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

    /// Why this CA replaced the one on disk (a name it did not cover, no name constraints, near its end);
    /// `nil` when it was loaded as it was, or created where there was none.
    public private(set) var replacementReason: String?

    private init(certificate: Certificate, privateKey: Certificate.PrivateKey, certificatePath: URL?) throws {
        self.certificate = certificate
        self.privateKey = privateKey
        self.certificatePath = certificatePath
        self.certificatePEM = try Self.pemFileText(certificate.serializeAsPEM().pemString)
    }

    /// Loads the CA from `directory` (files `ca.pem` and `ca-key.pem`), creating and saving it (key file mode 0600) when absent,
    /// so a CA that users already trust survives restarts. `directory == nil` keeps it in memory only.
    /// - Parameter names: extra DNS names or IP addresses (`--tls-name`) the CA must be allowed to sign for; a
    ///   CA on disk that does not cover them is replaced by one that covers them and the names it covered.
    public static func loadOrCreate(in directory: URL?, names: [String] = []) throws -> LocalCertificateAuthority {
        guard let directory else {
            let (certificate, privateKey) = try makeAuthority(names: names)
            return try LocalCertificateAuthority(certificate: certificate, privateKey: privateKey, certificatePath: nil)
        }
        let certificateURL = directory.appendingPathComponent(certificateFileName)
        let privateKeyURL = directory.appendingPathComponent(privateKeyFileName)
        let fileManager = FileManager.default
        switch (fileManager.fileExists(atPath: certificateURL.path), fileManager.fileExists(atPath: privateKeyURL.path)) {
        case (true, true):
            let loaded = try load(certificateURL: certificateURL, privateKeyURL: privateKeyURL)
            guard let reason = loaded.reasonToReplace(covering: names) else { return loaded }
            try fileManager.removeItem(at: privateKeyURL)
            try fileManager.removeItem(at: certificateURL)
            var replacement = try create(
                directory: directory,
                certificateURL: certificateURL,
                privateKeyURL: privateKeyURL,
                names: loaded.permittedNames + names
            )
            replacement.replacementReason = reason
            return replacement
        case (false, false):
            return try create(directory: directory, certificateURL: certificateURL, privateKeyURL: privateKeyURL, names: names)
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
            notValidAfter: min(now + Self.leafValidity, self.certificate.notValidAfter),
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

    /// Why the CA must be replaced before it can serve `names`, or `nil` when it can.
    private func reasonToReplace(covering names: [String]) -> String? {
        guard let constraints = try? self.certificate.extensions.nameConstraints else {
            return "the CA on disk has no name constraints (made by an older emulator), so it could sign for any host"
        }
        if self.certificate.notValidAfter.timeIntervalSince(self.certificate.notValidBefore) > Self.caValidity {
            return "the CA on disk is valid for more than two years"
        }
        if self.certificate.notValidAfter < Date() + Self.renewalMargin {
            return "the CA on disk expires on \(self.certificate.notValidAfter)"
        }
        let permitted = Set(constraints.permittedSubtrees)
        if let missing = Self.generalNames(names).first(where: { !permitted.contains(Self.subtree($0)) }) {
            return "the CA on disk may not sign for \(Self.display(missing)), a new --tls-name"
        }
        return nil
    }

    /// The extra names (beyond localhost and loopback) the CA's constraints permit, as `--tls-name` spells them.
    private var permittedNames: [String] {
        let defaults = Set(Self.defaultSubtrees)
        let subtrees = (try? self.certificate.extensions.nameConstraints)?.permittedSubtrees ?? []
        return subtrees.filter { !defaults.contains($0) }.compactMap { subtree in
            switch subtree {
            case .dnsName(let name): return name
            case .ipAddress(let range) where range.bytes.count == 8 || range.bytes.count == 32:
                let address = Array(range.bytes.prefix(range.bytes.count / 2))
                return Self.display(.ipAddress(ASN1OctetString(contentBytes: address[...])))
            default: return nil
            }
        }
    }

    /// localhost, 127.0.0.0/8 and ::1/128: what every emulator CA permits.
    private static let defaultSubtrees: [GeneralName] = [
        .dnsName("localhost"),
        .ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 0, 255, 0, 0, 0])),
        .ipAddress(ASN1OctetString(contentBytes: ArraySlice(repeating: 0, count: 15) + [1] + ArraySlice(repeating: 255, count: 16))),
    ]

    /// The permitted subtree that covers exactly `name`: the DNS name itself (and names under it), or the
    /// address with a full mask.
    private static func subtree(_ name: GeneralName) -> GeneralName {
        guard case .ipAddress(let address) = name else { return name }
        if address.bytes == [127, 0, 0, 1] { return self.defaultSubtrees[1] }
        return .ipAddress(ASN1OctetString(contentBytes: address.bytes + ArraySlice(repeating: 255, count: address.bytes.count)))
    }

    private static func display(_ name: GeneralName) -> String {
        switch name {
        case .dnsName(let dns): return dns
        case .ipAddress(let address):
            let bytes = Array(address.bytes)
            var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            let family = bytes.count == 4 ? AF_INET : AF_INET6
            return bytes.withUnsafeBytes { raw in
                inet_ntop(family, raw.baseAddress, &text, socklen_t(text.count)) != nil ? String(cString: text) : "\(bytes)"
            }
        default: return "\(name)"
        }
    }

    private static func makeAuthority(names: [String]) throws -> (Certificate, Certificate.PrivateKey) {
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
            notValidAfter: now - backdating + caValidity,
            issuer: name,
            subject: name,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                Critical(NameConstraints(permittedSubtrees: Self.permittedSubtrees(names: names)))
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

    /// The defaults, then the subtree of each of `names` not already among them.
    private static func permittedSubtrees(names: [String]) -> [GeneralName] {
        var subtrees = Self.defaultSubtrees
        for name in Self.generalNames(names).map(Self.subtree) where !subtrees.contains(name) {
            subtrees.append(name)
        }
        return subtrees
    }

    private static func create(directory: URL, certificateURL: URL, privateKeyURL: URL, names: [String]) throws -> LocalCertificateAuthority {
        let (certificate, privateKey) = try makeAuthority(names: names)
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
        for name in self.generalNames(extraNames) where !names.contains(name) {
            names.append(name)
        }
        return names
    }

    /// `--tls-name` values as names: an IPv4 or IPv6 address becomes an IP name, anything else a DNS name.
    private static func generalNames(_ texts: [String]) -> [GeneralName] {
        texts.map { text in
            if let address = ipAddressBytes(text) { return .ipAddress(ASN1OctetString(contentBytes: address[...])) }
            return .dnsName(text.lowercased())
        }
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
