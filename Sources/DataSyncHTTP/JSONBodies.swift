import ARMConventions
import DataSyncHandlers
import Foundation

/// Bodies up to this size parse where the request runs; larger ones parse off the cooperative pool.
let inlineParseLimit = 64 * 1024

/// Parses a request body as JSON. A large body (up to ARM's 4 MiB) takes tens of milliseconds to parse;
/// on the cooperative pool, a few of them at once would hold every thread and stall even
/// `/_emulator/health`, so they parse on a thread of their own.
func parseJSONBody(_ data: Data) async throws -> JSONValue {
    guard data.count > inlineParseLimit else { return try JSONValue.parse(data) }
    return try await offload { try JSONValue.parse(data) }
}
