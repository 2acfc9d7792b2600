import ARMConventions
import Foundation
import Hummingbird

/// The per-request context: Hummingbird's core storage plus ARM's request id.
public struct EmulatorRequestContext: ARMRequestContext {
    public var coreContext: CoreRequestContextStorage
    public var armRequestID: UUID

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.armRequestID = UUID()
    }
}
