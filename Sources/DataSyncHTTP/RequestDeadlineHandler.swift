import NIOCore
import NIOHTTPTypes

/// Closes a connection that does not deliver a whole request within `timeout`: from the moment it opens,
/// and again from the end of each response. A client that trickles its headers or body is cut off, and
/// never ties up the server; a request being processed is never interrupted.
///
/// Each response moves the deadline, but not the timer: the connection's one timer, when it fires early,
/// sleeps again until the current deadline. Scheduling and cancelling a timer for every request cost more
/// than a whole GET's route matching.
final class RequestDeadlineHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let timeout: TimeAmount
    /// When the connection closes unless a whole request has arrived; `nil` while requests are in flight.
    private var deadline: NIODeadline?
    private var timer: Scheduled<Void>?
    private var requestsInFlight = 0

    init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.arm(context: context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.timer?.cancel()
        self.timer = nil
        self.deadline = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .end = self.unwrapInboundIn(data) {
            self.requestsInFlight += 1
            self.deadline = nil
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = self.unwrapOutboundIn(data) {
            self.requestsInFlight = max(0, self.requestsInFlight - 1)
            if self.requestsInFlight == 0 { self.arm(context: context) }
        }
        context.write(data, promise: promise)
    }

    private func arm(context: ChannelHandlerContext) {
        let deadline = NIODeadline.now() + self.timeout
        self.deadline = deadline
        if self.timer == nil { self.startTimer(until: deadline, context: context) }
    }

    private func startTimer(until deadline: NIODeadline, context: ChannelHandlerContext) {
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        let boundContext = NIOLoopBound(context, eventLoop: context.eventLoop)
        self.timer = context.eventLoop.scheduleTask(deadline: deadline) {
            handler.value.timerFired(context: boundContext.value)
        }
    }

    private func timerFired(context: ChannelHandlerContext) {
        self.timer = nil
        guard let deadline = self.deadline else { return }
        if deadline <= NIODeadline.now() {
            context.channel.close(promise: nil)
        } else {
            self.startTimer(until: deadline, context: context)
        }
    }
}
