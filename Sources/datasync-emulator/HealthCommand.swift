import ArgumentParser
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import SwiftASN1
import X509

/// `datasync-emulator health`: asks a running emulator for `/_emulator/health` and exits 0 when it answers
/// 200. The container image runs it as its HEALTHCHECK: built `FROM scratch`, the image has no curl.
struct HealthCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "health",
        abstract: "Exit 0 when the emulator at --url answers /_emulator/health with 200 (a container health check)."
    )

    @OptionGroup var address: EmulatorAddressOptions

    @Option(help: "Seconds to wait for the answer.")
    var timeout = 3.0

    func run() async throws {
        let endpoint = try self.address.endpoint()
        var tls: (context: NIOSSLContext, authority: Certificate)?
        if endpoint.isSecure {
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.certificateVerification = .noHostnameVerification
            let authority = try Certificate(pemEncoded: String(contentsOfFile: self.address.certificatePath, encoding: .utf8))
            tls = (try NIOSSLContext(configuration: configuration), authority)
        }
        let status = try await Self.fetchStatus(host: endpoint.host, port: endpoint.port, tls: tls, timeout: .milliseconds(Int64(self.timeout * 1000)))
        guard status == .ok else {
            FileHandle.standardError.write(Data("datasync-emulator health: \(endpoint.base) answered \(status.code)\n".utf8))
            throw ExitCode.failure
        }
        print("ok")
    }

    /// Whether `presented` is an unexpired certificate that `authority` signed. BoringSSL (NIOSSL) refuses
    /// every chain under the CA's critical name constraints, which OpenSSL, curl and Python accept, so the
    /// check is made here with swift-certificates instead.
    private static func isIssued(_ presented: NIOSSLCertificate?, by authority: Certificate) -> Bool {
        guard let der = try? presented?.toDERBytes(), let leaf = try? Certificate(derEncoded: der) else { return false }
        let now = Date()
        return leaf.issuer == authority.subject && leaf.notValidBefore <= now && now <= leaf.notValidAfter
            && authority.publicKey.isValidSignature(leaf.signature, for: leaf)
    }

    /// One GET of /_emulator/health on a fresh connection; the status of the answer.
    private static func fetchStatus(
        host: String,
        port: Int,
        tls: (context: NIOSSLContext, authority: Certificate)?,
        timeout: TimeAmount
    ) async throws -> HTTPResponseStatus {
        let group = MultiThreadedEventLoopGroup.singleton
        let answered = group.next().makePromise(of: HTTPResponseStatus.self)
        let isAddress = (try? SocketAddress(ipAddress: host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")), port: port)) != nil
        let channel = try await ClientBootstrap(group: group)
            .connectTimeout(timeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls {
                        let handler = try NIOSSLClientHandler(
                            context: tls.context,
                            serverHostname: isAddress ? nil : host,
                            customVerificationCallback: { chain, verified in
                                verified.succeed(Self.isIssued(chain.first, by: tls.authority) ? .certificateVerified : .failed)
                            }
                        )
                        try channel.pipeline.syncOperations.addHandler(handler)
                    }
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(StatusHandler(answered: answered))
                }
            }
            .connect(host: host, port: port)
            .get()
        let deadline = channel.eventLoop.scheduleTask(in: timeout) {
            answered.fail(ChannelError.connectTimeout(timeout))
        }
        var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/_emulator/health")
        head.headers.add(name: "Host", value: port == 443 || port == 80 ? host : "\(host):\(port)")
        head.headers.add(name: "Connection", value: "close")
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        defer {
            deadline.cancel()
            channel.close(promise: nil)
        }
        return try await answered.futureResult.get()
    }
}

/// Completes the promise with the status of the first response head, or with the connection's error.
private final class StatusHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    private let answered: EventLoopPromise<HTTPResponseStatus>

    init(answered: EventLoopPromise<HTTPResponseStatus>) {
        self.answered = answered
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(let head) = self.unwrapInboundIn(data) {
            self.answered.succeed(head.status)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.answered.fail(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.answered.fail(ChannelError.inputClosed)
    }
}
