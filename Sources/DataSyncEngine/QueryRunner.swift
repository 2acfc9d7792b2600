import Foundation
import GRDBSQLite
import Synchronization

/// The answer of the query endpoint: rows with their column names, or the number of rows changed.
public enum QueryResult: Sendable, Equatable {
    case rows(columns: [String], rows: [[QueryValue]])
    case changes(Int)
}

/// A SQLite value crossing the query endpoint.
public enum QueryValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob(Data)
}

/// How long a query may run and how large its answer may grow (`--query-timeout`, `--query-max-bytes`).
public struct QueryLimits: Sendable, Equatable {
    /// Seconds before the query is interrupted.
    public var timeout: TimeInterval
    /// The largest answer, counted as the JSON it becomes (blobs as base64).
    public var maxBytes: Int

    public init(timeout: TimeInterval = 30, maxBytes: Int = 16 << 20) {
        self.timeout = timeout
        self.maxBytes = maxBytes
    }
}

/// Why a running query should stop early; set from any thread, seen by the query within a few thousand
/// SQLite instructions.
public final class QueryCancellation: Sendable {
    /// Why a query was stopped from outside.
    public enum Reason: Int, Sendable {
        case clientDisconnected = 1
        case shuttingDown = 2
    }

    private let reason = Atomic<Int>(0)

    public init() {}

    /// Asks the query to stop; the first reason given wins.
    public func cancel(_ reason: Reason) {
        _ = self.reason.compareExchange(expected: 0, desired: reason.rawValue, ordering: .relaxed)
    }

    /// The reason given, or `nil` while the query may go on.
    public var cancelled: Reason? {
        Reason(rawValue: self.reason.load(ordering: .relaxed))
    }
}

/// Why the query endpoint did not answer with rows or changes.
public enum QueryError: Error, Sendable, Equatable, CustomStringConvertible {
    /// SQLite refused or failed the SQL; its message.
    case failed(String)
    /// The SQL asked for something the query endpoint never does (ATTACH, writes to `datasync_*`, …).
    case notAllowed(String)
    /// The query ran past `--query-timeout`.
    case timedOut(TimeInterval)
    /// The answer grew past `--query-max-bytes`.
    case tooLarge(Int)
    /// Stopped from outside: the client went away, or the emulator is shutting down.
    case cancelled(QueryCancellation.Reason)

    public var description: String {
        switch self {
        case .failed(let message):
            message
        case .notAllowed(let what):
            "\(what) is not allowed on the query endpoint."
        case .timedOut(let seconds):
            "The query ran longer than the limit of \(Self.seconds(seconds)) (--query-timeout) and was interrupted; nothing it did is kept."
        case .tooLarge(let bytes):
            "The answer is larger than the limit of \(bytes) bytes (--query-max-bytes); select fewer rows or columns."
        case .cancelled(.clientDisconnected):
            "The client disconnected; the query was interrupted and nothing it did is kept."
        case .cancelled(.shuttingDown):
            "The emulator is shutting down; the query was interrupted and nothing it did is kept."
        }
    }

    private static func seconds(_ value: TimeInterval) -> String {
        let text = value == value.rounded() ? String(Int64(value)) : String(value)
        return text == "1" ? "1 second" : "\(text) seconds"
    }
}

/// Runs a user's SQL in an emulated database: what a SQL connection to Azure SQL would be.
///
/// Each query gets a connection of its own, never the one the sync engine uses, opened by ``EmulatedDatabases``
/// and closed when the query ends. An authorizer keeps the SQL inside that one database and away from the
/// emulator's `datasync_*` bookkeeping (the triggers that track changes still write it); a progress handler
/// enforces the time limit and cancellation; rows are read one at a time and reading stops as soon as the
/// answer passes the size limit, so no giant answer is ever held.
public enum QueryRunner {
    /// Runs `sql`, the final SQLite text, with positional `parameters` at `location` (a file path or a
    /// `file:` URI). Statements run in order in one transaction: the last statement that returns rows gives
    /// the answer, otherwise the total of rows changed. Parameters are consumed by the statements in order.
    /// - Throws: ``QueryError``; on any error nothing the SQL did is kept.
    public static func run(
        _ sql: String,
        parameters: [QueryValue],
        at location: String,
        limits: QueryLimits = QueryLimits(),
        cancellation: QueryCancellation = QueryCancellation()
    ) throws -> QueryResult {
        let connection = try QueryConnection(location: location, limits: limits, cancellation: cancellation)
        defer { connection.close() }
        try connection.execute("BEGIN")
        do {
            connection.guardUserSQL(true)
            let result = try connection.runScript(sql, parameters: parameters)
            connection.guardUserSQL(false)
            try connection.execute("COMMIT")
            return result
        } catch {
            connection.guardUserSQL(false)
            try? connection.execute("ROLLBACK")
            throw error
        }
    }
}

/// One query's own SQLite connection, with the authorizer, the progress handler and the limits installed.
private final class QueryConnection {
    private let handle: OpaquePointer
    private let limits: QueryLimits
    private let guardState: QueryGuard
    private let guardPointer: Unmanaged<QueryGuard>

    init(location: String, limits: QueryLimits, cancellation: QueryCancellation) throws {
        var opened: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_URI | SQLITE_OPEN_FULLMUTEX
        let code = sqlite3_open_v2(location, &opened, flags, nil)
        guard code == SQLITE_OK, let opened else {
            let message = opened.map { String(cString: sqlite3_errmsg($0)) } ?? "code \(code)"
            if let opened { sqlite3_close_v2(opened) }
            throw QueryError.failed("cannot open the database: \(message)")
        }
        self.handle = opened
        self.limits = limits
        self.guardState = QueryGuard(deadline: Date().addingTimeInterval(limits.timeout), cancellation: cancellation)
        self.guardPointer = Unmanaged.passRetained(self.guardState)
        // A writer elsewhere gets a few seconds before this query gives up waiting for it; a cancellation or
        // the time limit ends the wait at once.
        sqlite3_busy_handler(opened, queryBusy, self.guardPointer.toOpaque())
        // No other database can be reached: ATTACH fails even before the authorizer sees it.
        sqlite3_limit(opened, SQLITE_LIMIT_ATTACHED, 0)
        // A value larger than the answer may be is refused when SQLite builds it, not after.
        sqlite3_limit(opened, SQLITE_LIMIT_LENGTH, Int32(clamping: max(limits.maxBytes, 1 << 20)))
        sqlite3_enable_load_extension(opened, 0)
        // Foreign keys hold for the user's SQL, as in SQL Server (and as on the engine's GRDB connections).
        sqlite3_exec(opened, "PRAGMA foreign_keys = ON", nil, nil, nil)
        sqlite3_set_authorizer(opened, queryAuthorizer, self.guardPointer.toOpaque())
        sqlite3_progress_handler(opened, 1000, queryProgress, self.guardPointer.toOpaque())
    }

    func close() {
        sqlite3_progress_handler(self.handle, 0, nil, nil)
        sqlite3_set_authorizer(self.handle, nil, nil)
        sqlite3_close_v2(self.handle)
        self.guardPointer.release()
    }

    /// Whether statements being prepared are the user's, which the authorizer restricts.
    func guardUserSQL(_ on: Bool) {
        self.guardState.restricting = on
    }

    func execute(_ sql: String) throws {
        let code = sqlite3_exec(self.handle, sql, nil, nil, nil)
        guard code == SQLITE_OK else { throw self.error(code) }
    }

    func runScript(_ sql: String, parameters: [QueryValue]) throws -> QueryResult {
        var remaining = parameters[...]
        var last: QueryResult = .changes(0)
        var changed = 0
        var utf8 = Array(sql.utf8CString)
        try utf8.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            var cursor: UnsafePointer<CChar>? = UnsafePointer(base)
            while let text = cursor, text.pointee != 0 {
                var statement: OpaquePointer?
                var tail: UnsafePointer<CChar>?
                let code = sqlite3_prepare_v2(self.handle, text, -1, &statement, &tail)
                guard code == SQLITE_OK else { throw self.error(code) }
                cursor = tail
                guard let statement else { continue }
                defer { sqlite3_finalize(statement) }
                // VACUUM attaches its target only when it runs, where the authorizer refuses it too; saying so
                // beats SQLite's "cannot VACUUM from within a transaction".
                if Self.isVacuum(statement) { throw QueryError.notAllowed("VACUUM") }
                let count = Int(sqlite3_bind_parameter_count(statement))
                guard remaining.count >= count else {
                    throw QueryError.failed("The SQL has more parameters than the \(parameters.count) given.")
                }
                for (index, value) in remaining.prefix(count).enumerated() {
                    try self.bind(value, at: Int32(index + 1), in: statement)
                }
                remaining = remaining.dropFirst(count)
                if sqlite3_column_count(statement) > 0 {
                    last = try self.readRows(statement)
                } else {
                    try self.stepToEnd(statement)
                    changed += Int(sqlite3_changes(self.handle))
                    last = .changes(changed)
                }
            }
        }
        guard remaining.isEmpty else {
            throw QueryError.failed("\(parameters.count) parameters were given, but the SQL uses \(parameters.count - remaining.count).")
        }
        return last
    }

    /// Whether the statement's first keyword, past blanks and comments, is VACUUM.
    private static func isVacuum(_ statement: OpaquePointer) -> Bool {
        guard let text = sqlite3_sql(statement) else { return false }
        var rest = Substring(String(cString: text))
        while true {
            rest = rest.drop { $0.isWhitespace }
            if rest.hasPrefix("--") {
                rest = rest.drop { $0 != "\n" }
            } else if rest.hasPrefix("/*") {
                rest = rest.range(of: "*/").map { rest[$0.upperBound...] } ?? ""
            } else {
                return rest.prefix(6).uppercased() == "VACUUM"
            }
        }
    }

    private func bind(_ value: QueryValue, at index: Int32, in statement: OpaquePointer) throws {
        let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
        let code: Int32 =
            switch value {
            case .null: sqlite3_bind_null(statement, index)
            case .integer(let number): sqlite3_bind_int64(statement, index, number)
            case .real(let number): sqlite3_bind_double(statement, index, number)
            case .text(let text): sqlite3_bind_text(statement, index, text, -1, transient)
            case .blob(let data):
                data.withUnsafeBytes { bytes in
                    sqlite3_bind_blob(statement, index, bytes.baseAddress, Int32(clamping: bytes.count), transient)
                }
            }
        guard code == SQLITE_OK else { throw self.error(code) }
    }

    private func stepToEnd(_ statement: OpaquePointer) throws {
        while true {
            let code = sqlite3_step(statement)
            if code == SQLITE_DONE { return }
            guard code == SQLITE_ROW else { throw self.error(code) }
        }
    }

    /// Reads rows while the answer stays within the size limit; the first row past it stops the query.
    private func readRows(_ statement: OpaquePointer) throws -> QueryResult {
        let count = sqlite3_column_count(statement)
        let columns = (0..<count).map { String(cString: sqlite3_column_name(statement, $0)) }
        var size = columns.reduce(16) { $0 + $1.utf8.count + 3 }
        var rows: [[QueryValue]] = []
        while true {
            let code = sqlite3_step(statement)
            if code == SQLITE_DONE { break }
            guard code == SQLITE_ROW else { throw self.error(code) }
            size += 3
            for index in 0..<count {
                size += Self.encodedSize(statement, index)
            }
            guard size <= self.limits.maxBytes else { throw QueryError.tooLarge(self.limits.maxBytes) }
            rows.append((0..<count).map { Self.value(statement, $0) })
        }
        return .rows(columns: columns, rows: rows)
    }

    /// About the bytes a value takes in the JSON answer, read without copying the value.
    private static func encodedSize(_ statement: OpaquePointer, _ index: Int32) -> Int {
        switch sqlite3_column_type(statement, index) {
        case SQLITE_TEXT: Int(sqlite3_column_bytes(statement, index)) + 3
        case SQLITE_BLOB: (Int(sqlite3_column_bytes(statement, index)) + 2) / 3 * 4 + 3
        case SQLITE_NULL: 5
        default: 25
        }
    }

    private static func value(_ statement: OpaquePointer, _ index: Int32) -> QueryValue {
        switch sqlite3_column_type(statement, index) {
        case SQLITE_INTEGER:
            return .integer(sqlite3_column_int64(statement, index))
        case SQLITE_FLOAT:
            return .real(sqlite3_column_double(statement, index))
        case SQLITE_TEXT:
            guard let text = sqlite3_column_text(statement, index) else { return .text("") }
            let bytes = UnsafeBufferPointer(start: text, count: Int(sqlite3_column_bytes(statement, index)))
            return .text(String(decoding: bytes, as: UTF8.self))
        case SQLITE_BLOB:
            let count = Int(sqlite3_column_bytes(statement, index))
            guard let bytes = sqlite3_column_blob(statement, index), count > 0 else { return .blob(Data()) }
            return .blob(Data(bytes: bytes, count: count))
        default:
            return .null
        }
    }

    /// The error of a failed call: why the guard stopped it, or SQLite's message.
    private func error(_ code: Int32) -> QueryError {
        if let refusal = self.guardState.refusal { return .notAllowed(refusal) }
        if code & 0xFF == SQLITE_INTERRUPT || code & 0xFF == SQLITE_BUSY {
            if let reason = self.guardState.cancellation.cancelled { return .cancelled(reason) }
            if self.guardState.isPastDeadline { return .timedOut(self.limits.timeout) }
        }
        if code & 0xFF == SQLITE_TOOBIG { return .tooLarge(self.limits.maxBytes) }
        return .failed(String(cString: sqlite3_errmsg(self.handle)))
    }
}

/// What the authorizer and the progress handler of one connection share. Only the thread running the
/// query touches `restricting` and `refusal`; other threads reach it through ``QueryCancellation``.
private final class QueryGuard {
    let deadline: Date
    let cancellation: QueryCancellation
    var restricting = false
    /// The first action the authorizer denied, for the error message.
    var refusal: String?

    init(deadline: Date, cancellation: QueryCancellation) {
        self.deadline = deadline
        self.cancellation = cancellation
    }

    var isPastDeadline: Bool { Date() >= self.deadline }

    /// Whether the query must stop now: cancelled, or out of time.
    var mustStop: Bool { self.cancellation.cancelled != nil || self.isPastDeadline }

    /// SQLite's verdict on one action of a statement being prepared (or of VACUUM, at run time).
    func authorize(_ action: Int32, _ first: String?, _ second: String?, _ accessor: String?) -> Int32 {
        guard self.restricting, let denial = Self.denial(action, first, second, accessor) else { return SQLITE_OK }
        if self.refusal == nil { self.refusal = denial }
        return SQLITE_DENY
    }

    /// What is wrong with an action, or `nil` when it may go ahead.
    static func denial(_ action: Int32, _ first: String?, _ second: String?, _ accessor: String?) -> String? {
        let fromTracking = accessor.map(isEmulatorObject) ?? false
        switch action {
        case SQLITE_ATTACH:
            // VACUUM attaches its target at run time, so this refuses VACUUM and VACUUM INTO as well.
            return first?.isEmpty == false ? "ATTACH" : "VACUUM"
        case SQLITE_DETACH:
            return "DETACH"
        case SQLITE_TRANSACTION:
            return "Transaction control (each request runs in one transaction of its own)"
        case SQLITE_INSERT, SQLITE_UPDATE, SQLITE_DELETE:
            guard let table = first, isEmulatorObject(table), !fromTracking else { return nil }
            return "Writing the emulator's own table '\(table)'"
        case SQLITE_CREATE_TABLE, SQLITE_CREATE_VIEW, SQLITE_DROP_TABLE, SQLITE_DROP_VIEW,
            SQLITE_CREATE_TEMP_TABLE, SQLITE_CREATE_TEMP_VIEW, SQLITE_DROP_TEMP_TABLE, SQLITE_DROP_TEMP_VIEW:
            guard let name = first, isEmulatorObject(name) else { return nil }
            return "Creating or dropping the emulator's object '\(name)'"
        case SQLITE_CREATE_INDEX, SQLITE_DROP_INDEX, SQLITE_CREATE_TRIGGER, SQLITE_DROP_TRIGGER,
            SQLITE_CREATE_TEMP_INDEX, SQLITE_DROP_TEMP_INDEX, SQLITE_CREATE_TEMP_TRIGGER, SQLITE_DROP_TEMP_TRIGGER:
            guard let name = [first, second].compactMap({ $0 }).first(where: isEmulatorObject) else { return nil }
            return "Creating or dropping an index or trigger of the emulator's object '\(name)'"
        case SQLITE_ALTER_TABLE:
            guard let table = second, isEmulatorObject(table) else { return nil }
            return "Altering the emulator's table '\(table)'"
        case SQLITE_PRAGMA:
            // writable_schema could rewrite any object; the other two would change how the emulator shares the file.
            guard let pragma = first?.lowercased(),
                pragma == "writable_schema" || (second != nil && ["journal_mode", "locking_mode"].contains(pragma))
            else { return nil }
            return "PRAGMA \(pragma)"
        case SQLITE_FUNCTION:
            guard second?.lowercased() == "load_extension" else { return nil }
            return "Loading an extension"
        default:
            return nil
        }
    }

    /// Whether `name` is in the emulator's namespace: its tables, indexes and triggers all start `datasync_`.
    static func isEmulatorObject(_ name: String) -> Bool {
        name.lowercased().hasPrefix("datasync_")
    }
}

private func queryAuthorizer(
    _ context: UnsafeMutableRawPointer?,
    _ action: Int32,
    _ first: UnsafePointer<CChar>?,
    _ second: UnsafePointer<CChar>?,
    _ database: UnsafePointer<CChar>?,
    _ accessor: UnsafePointer<CChar>?
) -> Int32 {
    guard let context else { return SQLITE_OK }
    let state = Unmanaged<QueryGuard>.fromOpaque(context).takeUnretainedValue()
    return state.authorize(action, first.map { String(cString: $0) }, second.map { String(cString: $0) }, accessor.map { String(cString: $0) })
}

private func queryProgress(_ context: UnsafeMutableRawPointer?) -> Int32 {
    guard let context else { return 0 }
    return Unmanaged<QueryGuard>.fromOpaque(context).takeUnretainedValue().mustStop ? 1 : 0
}

/// Waits 10 ms more for a lock another connection holds, up to 5 s, unless the query must stop.
private func queryBusy(_ context: UnsafeMutableRawPointer?, _ attempts: Int32) -> Int32 {
    guard let context, attempts < 500, !Unmanaged<QueryGuard>.fromOpaque(context).takeUnretainedValue().mustStop else { return 0 }
    usleep(10_000)
    return 1
}
