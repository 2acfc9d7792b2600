import ARMConventions
import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOHTTPTypes

/// Answers a request that is not valid HTTP/1.1 (oversized headers, an unknown method token) with the
/// ARM error envelope, as every other error is answered, then closes the connection. Without it the
/// server would answer a bare 400 with no body.
final class ParseErrorHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias OutboundOut = HTTPResponsePart

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parserError = error as? HTTPParserError else {
            context.fireErrorCaught(error)
            return
        }
        let armError: ARMError =
            if case .headerOverflow = parserError {
                ARMError.requestHeaderFieldsTooLarge(limit: "80 KiB")
            } else {
                ARMError.malformedHTTP("\(parserError)")
            }
        let body = ByteBuffer(string: armError.body.serialized())
        let head = HTTPResponse(
            status: armError.status,
            headerFields: [
                .contentType: "application/json; charset=utf-8",
                .contentLength: String(body.readableBytes),
                .connection: "close",
                .errorCode: armError.code,
            ]
        )
        context.write(self.wrapOutboundOut(.head(head)), promise: nil)
        context.write(self.wrapOutboundOut(.body(body)), promise: nil)
        context.writeAndFlush(self.wrapOutboundOut(.end(nil))).whenComplete { _ in
            context.close(promise: nil)
        }
    }
}
