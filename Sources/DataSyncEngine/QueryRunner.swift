import Foundation
import GRDB

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

/// Runs a user's SQL in an emulated database: what a SQL connection to Azure SQL would be.
public enum QueryRunner {
    /// Runs `sql` with positional `parameters`. One statement may return rows; a script of several
    /// statements (without parameters) runs as a whole and reports the rows it changed.
    /// - Throws: ``EngineError`` with SQLite's message when the SQL fails; nothing it did is kept.
    public static func run(_ sql: String, parameters: [QueryValue], in queue: DatabaseQueue) throws -> QueryResult {
        do {
            return try queue.write { db in
                let arguments = StatementArguments(parameters.map(\.databaseValue))
                let statements = try db.allStatements(sql: sql, arguments: arguments)
                var last: QueryResult = .changes(0)
                var changed = 0
                while let statement = try statements.next() {
                    if statement.columnCount > 0 {
                        let columns = statement.columnNames
                        let rows = try Row.fetchAll(statement).map { row in
                            (0..<columns.count).map { QueryValue(row[$0] as DatabaseValue) }
                        }
                        last = .rows(columns: columns, rows: rows)
                    } else {
                        try statement.execute()
                        changed += db.changesCount
                        last = .changes(changed)
                    }
                }
                return last
            }
        } catch let error as DatabaseError {
            throw EngineError(error.message ?? "\(error)")
        }
    }
}

extension QueryValue {
    init(_ value: DatabaseValue) {
        switch value.storage {
        case .null: self = .null
        case .int64(let number): self = .integer(number)
        case .double(let number): self = .real(number)
        case .string(let string): self = .text(string)
        case .blob(let data): self = .blob(data)
        }
    }

    var databaseValue: DatabaseValue {
        switch self {
        case .null: .null
        case .integer(let number): number.databaseValue
        case .real(let number): number.databaseValue
        case .text(let string): string.databaseValue
        case .blob(let data): data.databaseValue
        }
    }
}
