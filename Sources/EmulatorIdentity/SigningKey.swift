import _CryptoExtras
import Crypto
import Foundation
import Synchronization

/// The RSA key the emulator signs its access tokens with (RS256), and its public half as a JSON Web Key.
public struct SigningKey: Sendable {
    let privateKey: _RSA.Signing.PrivateKey
    /// The key's RFC 7638 thumbprint, the `kid` of every token it signs.
    public let keyID: String
    /// The public key as a JWK (`kty`, `use`, `alg`, `kid`, `n`, `e`), for `jwks_uri`.
    public let publicJWK: [String: String]

    init(privateKey: _RSA.Signing.PrivateKey) throws {
        let primitives = try privateKey.publicKey.getKeyPrimitives()
        let modulus = Base64URL.encode(primitives.modulus.drop { $0 == 0 })
        let exponent = Base64URL.encode(primitives.publicExponent.drop { $0 == 0 })
        // RFC 7638: SHA-256 of the required members in lexicographic order, without whitespace.
        let canonical = #"{"e":"\#(exponent)","kty":"RSA","n":"\#(modulus)"}"#
        let keyID = Base64URL.encode(Data(SHA256.hash(data: Data(canonical.utf8))))
        self.privateKey = privateKey
        self.keyID = keyID
        self.publicJWK = ["kty": "RSA", "use": "sig", "alg": "RS256", "kid": keyID, "n": modulus, "e": exponent]
    }

    /// A new 2048-bit key.
    public static func generate() throws -> SigningKey {
        try SigningKey(privateKey: _RSA.Signing.PrivateKey(keySize: .bits2048))
    }

    /// The key in PEM text, as it is kept on disk.
    public var pemRepresentation: String { self.privateKey.pemRepresentation }

    public init(pemRepresentation: String) throws {
        try self.init(privateKey: _RSA.Signing.PrivateKey(pemRepresentation: pemRepresentation))
    }

    func sign(_ input: Data) throws -> Data {
        try self.privateKey.signature(for: SHA256.hash(data: input), padding: .insecurePKCS1v1_5).rawRepresentation
    }

    func isValidSignature(_ signature: Data, for input: Data) -> Bool {
        self.privateKey.publicKey.isValidSignature(
            _RSA.Signing.RSASignature(rawRepresentation: signature),
            for: SHA256.hash(data: input),
            padding: .insecurePKCS1v1_5
        )
    }
}

/// Where the signing key lives: `<data-dir>/identity/signing-key.pem` (mode 0600), or memory.
///
/// An existing key file is read when the store opens, so a damaged one stops the emulator at start. A new
/// key is made only when the first token is issued: making an RSA key takes tens of milliseconds, which
/// an emulator that never signs anyone in (and every test that starts one) should not pay.
public final class SigningKeyStore: Sendable {
    /// The key file, `nil` in memory.
    public let file: URL?
    private let key: Mutex<SigningKey?>

    /// Opens the store in `directory` (`nil`: in memory), reading the key file when there is one.
    /// - Throws: ``SigningKeyError`` when the key file exists but cannot be read as an RSA key.
    public init(directory: URL?) throws {
        self.file = directory?.appendingPathComponent("signing-key.pem")
        var existing: SigningKey?
        if let file = self.file, FileManager.default.fileExists(atPath: file.path) {
            do {
                existing = try SigningKey(pemRepresentation: String(contentsOf: file, encoding: .utf8))
            } catch {
                throw SigningKeyError("cannot read the token signing key at \(file.path): \(error)")
            }
        }
        self.key = Mutex(existing)
    }

    /// The key, made (and saved) on first use.
    public func signingKey() throws -> SigningKey {
        try self.key.withLock { key in
            if let key { return key }
            let made = try SigningKey.generate()
            if let file = self.file { try Self.save(made, to: file) }
            key = made
            return made
        }
    }

    /// The key if one exists already; a token presented before any was made cannot be the emulator's.
    public var existingKey: SigningKey? {
        self.key.withLock { $0 }
    }

    /// Writes the key to a new file created with mode 0600, then renames it into place, so the key is never
    /// readable by others and never half written.
    private static func save(_ key: SigningKey, to file: URL) throws {
        let directory = file.deletingLastPathComponent()
        let temporary = directory.appendingPathComponent(".signing-key-\(UUID().uuidString).pem")
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
            guard descriptor >= 0 else { throw SigningKeyError(String(cString: strerror(errno))) }
            let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
            try handle.write(contentsOf: Data((key.pemRepresentation + "\n").utf8))
            try handle.synchronize()
            guard rename(temporary.path, file.path) == 0 else { throw SigningKeyError(String(cString: strerror(errno))) }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw SigningKeyError("cannot save the token signing key at \(file.path): \(error)")
        }
    }
}

/// The signing key cannot be read or saved.
public struct SigningKeyError: Error, CustomStringConvertible {
    public let description: String

    init(_ description: String) {
        self.description = description
    }
}

/// Base64url without padding (RFC 4648 §5), as JWTs and JWKs spell binary values.
enum Base64URL {
    static func encode(_ data: some DataProtocol) -> String {
        Data(data).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func decode(_ text: some StringProtocol) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        return Data(base64Encoded: base64)
    }
}
