import EmulatorTLS
import Foundation
import Logging
import HummingbirdTLS
import NIOSSL

/// The TLS material the listener serves, and the CA certificate clients should trust.
struct ServingTLS: Sendable {
    let configuration: TLSConfiguration
    /// The emulator CA, when the leaf comes from it (not with `--cert`/`--key`).
    let authority: LocalCertificateAuthority?

    /// Loads or creates what `security` asks for. The CA lives in `<data-dir>/tls`, or in memory.
    /// - Returns: `nil` for plain HTTP.
    static func make(_ security: TransportSecurity, dataDirectory: URL?, logger: Logger) throws -> ServingTLS? {
        switch security {
        case .plain:
            return nil
        case .localAuthority(let extraNames):
            let authority = try LocalCertificateAuthority.loadOrCreate(in: Self.authorityDirectory(dataDirectory), names: extraNames)
            if let reason = authority.replacementReason {
                logger.notice(
                    "Made a new local CA; clients must trust the new ca.pem",
                    metadata: ["dse-reason": "\(reason)", "dse-ca": "\(authority.certificatePath?.path ?? "")"]
                )
            }
            let issued = try authority.issueServerCertificate(extraNames: extraNames)
            let chain = try issued.certificateChainPEM.flatMap { try NIOSSLCertificate.fromPEMBytes(Array($0.utf8)) }
            let key = try NIOSSLPrivateKey(bytes: Array(issued.privateKeyPEM.utf8), format: .pem)
            return ServingTLS(
                configuration: .makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key)),
                authority: authority
            )
        case .certificateFiles(let certificate, let key):
            let chain = try NIOSSLCertificate.fromPEMFile(certificate.path)
            let privateKey = try NIOSSLPrivateKey(file: key.path, format: .pem)
            return ServingTLS(
                configuration: .makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(privateKey)),
                authority: nil
            )
        }
    }

    /// `<data-dir>/tls`, where the CA is kept; `nil` in memory.
    static func authorityDirectory(_ dataDirectory: URL?) -> URL? {
        dataDirectory?.appendingPathComponent("tls")
    }
}
