import ARMConventions
import DataSyncEngine
import DataSyncHandlers
import DataSyncModel
import Foundation
import Hummingbird
import NIOCore
import ServiceLifecycle

/// `POST /_emulator/databases/{server}/{database}/query`: SQL in an emulated database, standing in for the
/// SQL connection a user would open to Azure SQL.
///
/// The body's `dialect` is `tsql` (the default: what Data Sync users write, see ``Translator``) or `sqlite`
/// (the database's own SQL, unchanged). The query runs on a connection of its own (``QueryRunner``), within
/// `--query-timeout` and `--query-max-bytes`, and is interrupted when its client disconnects or the emulator
/// shuts down.
struct DatabaseQueryController: Sendable {
    let databases: EmulatedDatabases
    let limits: QueryLimits
    let clock: EmulatorClock

    func addRoutes(to router: Router<EmulatorRequestContext>) {
        router.post("_emulator/databases/:server/:database/query") { request, context in
            let server = context.parameters.get("server") ?? ""
            let database = context.parameters.get("database") ?? ""
            let key: DatabaseKey
            do {
                key = try DatabaseKey(server: server.removingPercentEncoding ?? server, database: database.removingPercentEncoding ?? database)
            } catch {
                throw ARMError(status: .badRequest, code: "InvalidDatabaseName", message: "\(error).")
            }
            let (sql, parameters, dialect) = try await Self.decode(request)
            let sqlite = dialect == .tsql ? try await self.translate(sql, in: key) : sql
            let result = try await self.execute(sql: sqlite, parameters: parameters, in: key, channel: context.channel)
            let body: JSONValue =
                switch result {
                case .changes(let count):
                    .object(["changes": .integer(Int64(count))])
                case .rows(let columns, let rows):
                    .object([
                        "columns": .array(columns.map(JSONValue.string)),
                        "rows": .array(rows.map { .array($0.map(Self.json)) }),
                    ])
                }
            // The runner's count is close to the JSON; escapes can make the JSON longer, and the limit is exact.
            let serialized = body.serializedBuffer()
            guard serialized.readableBytes <= self.limits.maxBytes else { throw Self.armError(.tooLarge(self.limits.maxBytes)) }
            return jsonResponse(.ok, serialized: serialized)
        }
    }

    /// Runs final SQLite SQL in `key`, off the cooperative pool, interrupted when the client behind
    /// `channel` goes away or a graceful shutdown begins. The one place a translator of other SQL dialects
    /// hands its output to.
    func execute(sql: String, parameters: [QueryValue], in key: DatabaseKey, channel: any Channel) async throws -> QueryResult {
        let cancellation = QueryCancellation()
        ClientDisconnectHandler.onDisconnect(of: channel) { cancellation.cancel(.clientDisconnected) }
        do {
            return try await withGracefulShutdownHandler {
                try await offload {
                    try self.databases.query(key, sql: sql, parameters: parameters, limits: self.limits, cancellation: cancellation)
                }
            } onGracefulShutdown: {
                cancellation.cancel(.shuttingDown)
            }
        } catch let error as QueryError {
            throw Self.armError(error)
        } catch let error as EngineError {
            throw ARMError.invalidQuery(error.description)
        }
    }

    /// Translates T-SQL to SQLite for `key` (the translator reads the tables' declared types there), with the
    /// time functions fixed at the emulator's clock for the whole request.
    private func translate(_ tsql: String, in key: DatabaseKey) async throws -> String {
        let now = self.clock.now
        do {
            return try await offload { try self.databases.translate(key, tsql: tsql, now: now) }
        } catch let error as EngineError {
            throw ARMError.invalidQuery(error.description)
        }
    }

    private static func armError(_ error: QueryError) -> ARMError {
        let code: String =
            switch error {
            case .failed: "InvalidQuery"
            case .notAllowed: "QueryNotAllowed"
            case .timedOut: "QueryTimeout"
            case .tooLarge: "QueryResultTooLarge"
            case .cancelled(.shuttingDown): "ServiceUnavailable"
            case .cancelled(.clientDisconnected): "ClientClosedRequest"
            }
        let status: HTTPResponse.Status = error == .cancelled(.shuttingDown) ? .serviceUnavailable : .badRequest
        return ARMError(status: status, code: code, message: error.description)
    }

    /// The SQL a query is written in.
    enum Dialect: String {
        case tsql
        case sqlite
    }

    private static func decode(_ request: Request) async throws -> (String, [QueryValue], Dialect) {
        let buffer = try await request.body.collect(upTo: armMaximumRequestBytes)
        let body: JSONObject
        do {
            guard let object = try await parseJSONBody(buffer).objectValue else {
                throw JSONParseError(reason: "The body must be a JSON object.")
            }
            body = object
        } catch let error as JSONParseError {
            throw DataSyncError.invalidRequestContent(error.reason)
        }
        guard case .string(let sql)? = body["sql"], !sql.isEmpty else {
            throw DataSyncError.invalidRequestContent("Required property 'sql' not found in JSON. Path ''.")
        }
        var dialect = Dialect.tsql
        if let value = body["dialect"] {
            guard case .string(let name) = value, let chosen = Dialect(rawValue: name.lowercased()) else {
                throw DataSyncError.invalidRequestContent("Property 'dialect' must be 'tsql' or 'sqlite'. Path 'dialect'.")
            }
            dialect = chosen
        }
        var parameters: [QueryValue] = []
        if case .array(let values)? = body["parameters"] {
            for value in values {
                switch value {
                case .null: parameters.append(.null)
                case .bool(let flag): parameters.append(.integer(flag ? 1 : 0))
                case .integer(let number): parameters.append(.integer(number))
                case .double(let number): parameters.append(.real(number))
                case .string(let text): parameters.append(.text(text))
                case .array, .object:
                    throw DataSyncError.invalidRequestContent("A parameter must be null, a boolean, a number or a string. Path 'parameters'.")
                }
            }
        }
        return (sql, parameters, dialect)
    }

    private static func json(_ value: QueryValue) -> JSONValue {
        switch value {
        case .null: .null
        case .integer(let number): .integer(number)
        case .real(let number): .double(number)
        case .text(let text): .string(text)
        case .blob(let data): .string(data.base64EncodedString())
        }
    }
}
