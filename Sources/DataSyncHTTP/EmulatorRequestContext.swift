import ARMConventions
import Foundation
import Hummingbird
import NIOCore

/// The per-request context: Hummingbird's core storage, ARM's request id, and the request's ARM route.
public struct EmulatorRequestContext: ARMRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let armRequestID: UUID
    /// The ARM route and operation of the request, set by ``ARMRouteMatchMiddleware``; `nil` outside the ARM
    /// namespace (the control API, the dashboard).
    var armRoute: ARMRouteMatch?
    /// The connection the request came on, so long work can stop when its client goes away.
    let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.armRequestID = RandomUUID.make()
        self.channel = source.channel
    }
}
