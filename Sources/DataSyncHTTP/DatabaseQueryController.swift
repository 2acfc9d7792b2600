import ARMConventions
import DataSyncEngine
import DataSyncHandlers
import DataSyncModel
import Foundation
import Hummingbird

/// `POST /_emulator/databases/{server}/{database}/query`: SQL in an emulated database, standing in for the
/// SQL connection a user would open to Azure SQL.
///
/// The body's `dialect` is `tsql` (the default: what Data Sync users write, see ``Translator``) or `sqlite`
/// (the database's own SQL, unchanged).
struct DatabaseQueryController: Sendable {
    let databases: EmulatedDatabases
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
            let now = self.clock.now
            let result: QueryResult
            do {
                result = try await offload {
                    let sqlite = dialect == .tsql ? try self.databases.translate(key, tsql: sql, now: now) : sql
                    return try self.databases.query(key, sql: sqlite, parameters: parameters)
                }
            } catch let error as EngineError {
                throw ARMError(status: .badRequest, code: "InvalidQuery", message: error.description)
            }
            switch result {
            case .changes(let count):
                return jsonResponse(.ok, .object(["changes": .integer(Int64(count))]))
            case .rows(let columns, let rows):
                return jsonResponse(.ok, .object([
                    "columns": .array(columns.map(JSONValue.string)),
                    "rows": .array(rows.map { .array($0.map(Self.json)) }),
                ]))
            }
        }
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
            guard let object = try JSONValue.parse(Data(buffer.readableBytesView)).objectValue else {
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
