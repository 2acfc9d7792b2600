import ArgumentParser
import ARMConventions
import Foundation

/// `datasync-emulator env`: what a client needs to point at a running emulator, as shell, PowerShell,
/// dotenv or JSON, so that CI can `eval` it or append it to `$GITHUB_ENV` instead of spelling out URLs.
/// It reads no network: the address is the one given (`--url`, as in the readiness line), the CA
/// the one in the emulator's data dir (or `--ca-file`).
struct ClientEnvironmentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "env",
        abstract: "Print the environment a client needs to reach a running emulator (URLs, CA bundle, sign-in).",
        discussion: "The CA is <data-dir>/tls/ca.pem, or --ca-file; an https:// --url needs it. For an emulator "
            + "whose data dir you cannot read (a container without a volume), fetch it once with "
            + "`curl -k URL/_emulator/ca.pem -o ca.pem` and pass --ca-file ca.pem."
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case sh, powershell, dotenv, json
    }

    @OptionGroup var address: EmulatorAddressOptions

    @Option(help: "sh, powershell, dotenv or json.")
    var format = Format.sh

    func run() throws {
        let endpoint = try self.address.endpoint()
        var certificate: String?
        if endpoint.isSecure {
            let path = self.address.certificatePath
            guard FileManager.default.isReadableFile(atPath: path) else {
                throw ValidationError(
                    "No CA certificate at \(path). Pass the emulator's --data-dir, or fetch the CA with "
                        + "curl -k \(endpoint.base)/_emulator/ca.pem -o ca.pem and pass --ca-file ca.pem."
                )
            }
            certificate = path
        }
        print(ClientEnvironment(endpoint: endpoint, certificatePath: certificate).rendered(as: self.format), terminator: "")
    }
}

/// Where a running emulator is and which CA verifies it, as `env` and `health` take them.
struct EmulatorAddressOptions: ParsableArguments {
    @Option(help: "The running emulator's address, as its readiness line shows it.")
    var url = "http://127.0.0.1:10880"

    @Option(help: "The emulator's data dir, which holds its CA (tls/ca.pem).")
    var dataDir = "./.datasync-emulator"

    @Option(help: "The CA certificate that verifies an https:// --url, instead of the one in --data-dir.")
    var caFile: String?

    func endpoint() throws -> EmulatorEndpoint {
        guard let endpoint = EmulatorEndpoint(self.url) else {
            throw ValidationError("--url takes http(s)://HOST:PORT, as the readiness line shows it; got '\(self.url)'.")
        }
        return endpoint
    }

    /// --ca-file, else <data-dir>/tls/ca.pem, as an absolute path.
    var certificatePath: String {
        let path = self.caFile ?? URL(fileURLWithPath: self.dataDir).appendingPathComponent("tls/ca.pem").path
        return URL(fileURLWithPath: path).standardizedFileURL.path
    }
}

/// An emulator's base address: scheme, host and port, without a path.
struct EmulatorEndpoint {
    let base: String
    let isSecure: Bool
    let host: String
    let port: Int

    init?(_ text: String) {
        let trimmed = text.hasSuffix("/") ? String(text.dropLast()) : text
        guard let components = URLComponents(string: trimmed), let scheme = components.scheme?.lowercased(),
              ["http", "https"].contains(scheme), let host = components.host, !host.isEmpty,
              components.path.isEmpty, components.query == nil, components.fragment == nil
        else { return nil }
        self.base = trimmed
        self.isSecure = scheme == "https"
        self.host = host
        self.port = components.port ?? (self.isSecure ? 443 : 80)
    }
}

/// The variables a client reads, in the order they are printed.
struct ClientEnvironment {
    /// The tenant the emulator signs clients into; any GUID works offline, this one is recognisable.
    static let tenant = "00000000-0000-0000-0000-00000000da7a"
    /// The cloud name `az cloud register` gets, the same as the metadata document's.
    static let cloudName = "DataSyncEmulator"

    let variables: [(name: String, value: String)]
    let cloudRegistration: [String]

    init(endpoint: EmulatorEndpoint, certificatePath: String?) {
        let resourceManager = endpoint.base + "/"
        let authority = endpoint.base + "/adfs"
        var variables = [
            ("DATASYNC_EMULATOR_URL", endpoint.base),
            ("DATASYNC_EMULATOR_ARM_ENDPOINT", resourceManager),
        ]
        if let certificatePath {
            variables += [
                ("DATASYNC_EMULATOR_CA_FILE", certificatePath),
                ("REQUESTS_CA_BUNDLE", certificatePath),
                ("SSL_CERT_FILE", certificatePath),
            ]
        }
        variables += [
            ("DATASYNC_EMULATOR_METADATA_URL", endpoint.base + "/metadata/endpoints?api-version=2022-09-01"),
            ("AZURE_AUTHORITY_HOST", authority),
            ("AZURE_TENANT_ID", Self.tenant),
        ]
        self.variables = variables
        self.cloudRegistration = [
            "az", "cloud", "register", "--name", Self.cloudName,
            "--endpoint-resource-manager", resourceManager,
            "--endpoint-active-directory", authority,
            "--endpoint-active-directory-resource-id", "https://management.core.windows.net/",
        ]
    }

    func rendered(as format: ClientEnvironmentCommand.Format) -> String {
        switch format {
        case .sh:
            return self.variables.map { "export \($0.name)=\(Self.shellQuoted($0.value))\n" }.joined()
                + "# " + self.cloudRegistration.map(Self.shellQuoted).joined(separator: " ") + "\n"
        case .powershell:
            return self.variables.map { "$env:\($0.name) = \(Self.powerShellQuoted($0.value))\n" }.joined()
                + "# " + self.cloudRegistration.map { Self.isPlain($0) ? $0 : Self.powerShellQuoted($0) }.joined(separator: " ") + "\n"
        case .dotenv:
            return self.variables.map { "\($0.name)=\($0.value)\n" }.joined()
        case .json:
            var object = JSONObject()
            for (name, value) in self.variables { object.set(name, .string(value)) }
            object.set("azCloudRegister", .array(self.cloudRegistration.map(JSONValue.string)))
            return JSONValue.object(object).serialized() + "\n"
        }
    }

    /// A word both shells read as itself, without quotes.
    static func isPlain(_ value: String) -> Bool {
        !value.isEmpty && value.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) || "-_./:".unicodeScalars.contains($0) }
    }

    /// Single quotes, as POSIX shells read them; a plain word stays bare.
    static func shellQuoted(_ value: String) -> String {
        self.isPlain(value) ? value : "'" + value.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
    }

    /// PowerShell's verbatim string: single quotes, with each one doubled.
    static func powerShellQuoted(_ value: String) -> String {
        "'" + value.replacingOccurrences(of: "'", with: "''") + "'"
    }
}
