import NIOCore

/// Tells work in progress that its client went away: the connection closed, or the client shut down its
/// sending side (the server allows half-closed connections, so that alone does not close the channel).
///
/// Long work registers with ``onDisconnect(of:_:)``; callbacks run on the event loop.
final class ClientDisconnectHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    private var disconnected = false
    private var callbacks: [@Sendable () -> Void] = []

    func channelInactive(context: ChannelHandlerContext) {
        self.disconnect()
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed { self.disconnect() }
        context.fireUserInboundEventTriggered(event)
    }

    private func disconnect() {
        guard !self.disconnected else { return }
        self.disconnected = true
        let callbacks = self.callbacks
        self.callbacks = []
        for callback in callbacks { callback() }
    }

    private func register(_ callback: @escaping @Sendable () -> Void) {
        if self.disconnected {
            callback()
        } else {
            self.callbacks.append(callback)
        }
    }

    /// Calls `callback` when the client of `channel` disconnects (at once if it already has), and again when
    /// the channel closes; it must not mind a second call. A channel without this handler reports closing only.
    static func onDisconnect(of channel: any Channel, _ callback: @escaping @Sendable () -> Void) {
        channel.closeFuture.whenComplete { _ in callback() }
        channel.eventLoop.execute {
            if let handler = try? channel.pipeline.syncOperations.handler(type: ClientDisconnectHandler.self) {
                handler.register(callback)
            }
        }
    }
}
