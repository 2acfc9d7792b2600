import ARMConventions
import DataSyncModel
import HTTPTypes
import Hummingbird

/// The only map from domain errors to HTTP: each class of failure gets its status, and the envelope
/// carries the service's code and message unchanged.
extension DataSyncError: HTTPResponseError {
    public var status: HTTPResponse.Status {
        switch self.code {
        case .notFound: .notFound
        case .badRequest: .badRequest
        }
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        try ARMError(status: self.status, code: self.wireCode, message: self.message)
            .response(from: request, context: context)
    }
}
