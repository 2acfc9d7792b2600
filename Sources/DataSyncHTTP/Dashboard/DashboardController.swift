import ARMConventions
import DataSyncEngine
import DataSyncHandlers
import DataSyncModel
import DataSyncStore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// `GET /_emulator/ui`: a live dashboard for demos and debugging, and its actions.
///
/// Pages are rendered on the server from the same store the ARM API reads; the actions call the same
/// handlers as the ARM routes (``SyncGroupHandler``, the clock and ``SyncCoordinator``), so what the
/// dashboard does is exactly what a client would do. An action answers JSON to the page script
/// (`Accept: application/json`) and redirects back to the page otherwise, so it works without script too.
struct DashboardController: Sendable {
    let store: StateStore
    let databases: EmulatedDatabases
    let clock: EmulatorClock
    let coordinator: SyncCoordinator
    let groups: SyncGroupHandler
    let requests: RequestLog

    private static let groupRoute = "_emulator/ui/groups/:subscription/:resourceGroup/:server/:database/:group"

    func addRoutes(to router: Router<EmulatorRequestContext>) {
        router.get("_emulator/ui") { _, _ in
            let tree = try await ResourceTree.load(from: self.store)
            return Self.page(.ok, DashboardPages.overview(tree: tree, requests: self.requests.recent(limit: DashboardPages.requestLimit), clock: self.pageClock))
        }
        router.get("_emulator/ui/assets/dashboard.css") { _, _ in
            Self.asset(DashboardAssets.stylesheet, contentType: "text/css; charset=utf-8")
        }
        router.get("_emulator/ui/assets/dashboard.js") { _, _ in
            Self.asset(DashboardAssets.script, contentType: "text/javascript; charset=utf-8")
        }
        router.get(RouterPath(Self.groupRoute)) { request, context in
            let path = try Self.groupPath(context)
            let filter = try Self.logFilter(queryParameter("logType", in: request))
            guard let detail = try await GroupDetail.load(path, logFilter: filter, store: self.store, databases: self.databases) else {
                return Self.page(.notFound, DashboardPages.notFound("There is no sync group \(path.name.value) on database \(path.database.database.value).", clock: self.pageClock))
            }
            let page = DashboardPages.group(
                detail,
                pagePath: request.uri.path,
                notice: queryParameter("notice", in: request),
                clock: self.pageClock
            )
            return Self.page(.ok, page)
        }
        router.post(RouterPath(Self.groupRoute + "/trigger-sync")) { request, context in
            let path = try Self.groupPath(context)
            return try await Self.act(request, returnTo: request.uri.path.dropLastSegment) {
                try await self.groups.triggerSync(path)
                let state = try await self.groups.get(path).syncState
                return "Sync finished. The group is \(state.rawValue)."
            }
        }
        router.post(RouterPath(Self.groupRoute + "/cancel-sync")) { request, context in
            let path = try Self.groupPath(context)
            return try await Self.act(request, returnTo: request.uri.path.dropLastSegment) {
                try await self.groups.cancelSync(path)
                return "Cancel requested: a running sync stops at its next table."
            }
        }
        router.post(RouterPath(Self.groupRoute + "/refresh-schema")) { request, context in
            let path = try Self.groupPath(context)
            return try await Self.act(request, returnTo: request.uri.path.dropLastSegment) {
                _ = try await self.groups.refreshHubSchema(path, operationID: context.armRequestID)
                return "Hub schema refreshed."
            }
        }
        router.post("_emulator/ui/clock/advance") { request, _ in
            var request = request
            let fields = try await Self.fields(&request)
            return try await Self.act(request, returnTo: Self.safeReturn(fields["returnTo"])) {
                guard let text = fields["seconds"], let seconds = Double(text) else {
                    throw DataSyncError.invalidParameterValue("seconds", "must be a number of seconds, zero or more.")
                }
                try await ClockController.advance(self.clock, by: seconds, coordinator: self.coordinator)
                return "Clock advanced by \(text.trimmingCharacters(in: .whitespaces)) s; interval syncs that came due have run."
            }
        }
    }

    private var pageClock: DashboardPages.Clock {
        DashboardPages.Clock(now: self.clock.now, offset: self.clock.offset)
    }

    // MARK: Requests

    private static func groupPath(_ context: EmulatorRequestContext) throws -> SyncGroupPath {
        func name(_ parameter: String, _ kind: ResourceKind) throws -> ResourceName {
            let raw = context.parameters.get(parameter) ?? ""
            return try ResourceName(raw.removingPercentEncoding ?? raw, kind: kind)
        }
        let server = ServerPath(
            subscriptionID: try name("subscription", .subscription),
            resourceGroup: try name("resourceGroup", .resourceGroup),
            server: try name("server", .server)
        )
        return SyncGroupPath(
            database: DatabasePath(server: server, database: try name("database", .database)),
            name: try name("group", .syncGroup)
        )
    }

    private static func logFilter(_ text: String?) throws -> SyncLogType {
        guard let text, !text.isEmpty else { return .all }
        guard let type = SyncLogType.allCases.first(where: { $0.rawValue.lowercased() == text.lowercased() }) else {
            throw DataSyncError.invalidParameterValue("logType", "must be one of 'All', 'Error', 'Warning', 'Success'; got '\(text)'.")
        }
        return type
    }

    /// The fields of an action's body: a JSON object, as the page script sends it, or
    /// `application/x-www-form-urlencoded`, as a form sends it without script. (``LocalOriginMiddleware``
    /// lets no other type through, and no other origin's form.)
    private static func fields(_ request: inout Request) async throws -> [String: String] {
        let buffer = try await request.collectBody(upTo: 16 * 1024)
        if let contentType = request.headers[.contentType], MediaType.json.matches(contentType) {
            guard let object = try? JSONValue.parse(Data(buffer.readableBytesView)).objectValue else {
                throw DataSyncError.invalidRequestContent("The body must be a JSON object. Path ''.")
            }
            var fields: [String: String] = [:]
            for (key, value) in object.members {
                switch value {
                case .string(let text): fields[key] = text
                case .integer(let number): fields[key] = String(number)
                case .double(let number): fields[key] = String(number)
                default: continue
                }
            }
            return fields
        }
        var fields: [String: String] = [:]
        for item in String(buffer: buffer).split(separator: "&") {
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map { part in
                let spaced = part.replacingOccurrences(of: "+", with: " ")
                return spaced.removingPercentEncoding ?? spaced
            }
            fields[parts[0]] = parts.count > 1 ? parts[1] : ""
        }
        return fields
    }

    /// A dashboard path to go back to; anything else (another site, a scheme-relative URL) means the overview.
    private static func safeReturn(_ path: String?) -> String {
        guard let path, path == DashboardPages.root || path.hasPrefix(DashboardPages.root + "/"),
            !path.contains("//"), !path.contains("\\")
        else { return DashboardPages.root }
        return path
    }

    /// Runs an action: JSON `{"message"}` for the page script (errors as ARM envelopes), or a redirect back to
    /// `returnTo` with the message as a notice for a plain form post.
    ///
    /// A browser sends `Origin` with every POST, and ``LocalOriginMiddleware`` refuses one from another site,
    /// so a page elsewhere cannot make the reader's browser trigger actions here.
    private static func act(_ request: Request, returnTo: String, _ work: () async throws -> String) async throws -> Response {
        if request.headers[.accept]?.contains("application/json") == true {
            return jsonResponse(.ok, .object(["message": .string(try await work())]))
        }
        let notice: String
        do {
            notice = try await work()
        } catch let error as DataSyncError {
            notice = "Failed: \(error.message)"
        }
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return .redirect(to: returnTo + "?notice=" + (notice.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""))
    }

    // MARK: Responses

    private static func page(_ status: HTTPResponse.Status, _ html: HTML) -> Response {
        Response(
            status: status,
            headers: [
                .contentType: "text/html; charset=utf-8",
                .cacheControl: "no-store",
                .contentSecurityPolicy: "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
                .xContentTypeOptions: "nosniff",
            ],
            body: ResponseBody(byteBuffer: ByteBuffer(string: html.text))
        )
    }

    private static func asset(_ text: String, contentType: String) -> Response {
        Response(
            status: .ok,
            headers: [.contentType: contentType, .cacheControl: "no-cache", .xContentTypeOptions: "nosniff"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: text))
        )
    }
}

extension String {
    /// The path without its last segment: an action's URL gives the page it belongs to.
    fileprivate var dropLastSegment: String {
        guard let slash = self.lastIndex(of: "/") else { return self }
        return String(self[..<slash])
    }
}
