import Foundation

/// A column as the translator needs to know it: its name, SQLite declared type and default.
public struct CatalogColumn: Sendable, Equatable {
    public var name: String
    public var declaredType: String
    /// The SQLite default expression, as `pragma_table_info` reports it.
    public var defaultSQL: String?

    public init(name: String, declaredType: String, defaultSQL: String?) {
        self.name = name
        self.declaredType = declaredType
        self.defaultSQL = defaultSQL
    }

    var type: SQLServerType? { SQLServerType(declared: self.declaredType) }
}

/// Translates a documented subset of T-SQL into SQLite statements with the same meaning, and refuses
/// everything else with the construct, line and column (see README, "The T-SQL subset").
///
/// Names: `dbo.T`, `[dbo].[T]` and `T` are the SQLite table `T`; another schema's `S.T` is the SQLite table
/// `S.T` (one name with a dot), so a refresh reports `[S].[T]`. Values written to a column are made
/// canonical for its type (see ``SQLServerType``), which is why the translator reads the catalogue: the
/// database's tables through `catalog`, and the tables the script itself creates.
public struct Translator {
    /// The columns of a SQLite table, or `nil` when there is no such table.
    public typealias Catalog = (String) -> [CatalogColumn]?

    private let catalog: Catalog
    private let now: Date
    private var created: [String: [CatalogColumn]] = [:]
    private var dropped: Set<String> = []
    private var identityInsert: Set<String> = []

    /// - Parameters:
    ///   - now: what `GETDATE()` and its kin return (the emulator's clock), fixed for the whole script as
    ///     SQL Server fixes it per statement.
    ///   - catalog: the database's tables.
    public init(now: Date, catalog: @escaping Catalog) {
        self.now = now
        self.catalog = catalog
    }

    /// One SQLite statement, and where the T-SQL statement it comes from begins.
    public struct Statement: Sendable, Equatable {
        public var sql: String
        public var line: Int
        public var column: Int
    }

    /// The SQLite statements of `script`, in order.
    /// - Throws: ``TSQLError`` naming the first construct outside the subset, or a value SQL Server would refuse.
    public mutating func translate(_ script: String) throws -> [Statement] {
        var statements: [Statement] = []
        for batch in try Lexer.batches(script) {
            var parser = Parser(tokens: batch, translator: self)
            while true {
                while parser.acceptSymbol(";") {}
                guard let start = parser.peek(), let translated = try parser.nextStatement() else { break }
                statements += translated.map { Statement(sql: $0, line: start.line, column: start.column) }
            }
            self = parser.translator
        }
        return statements
    }

    func columns(of table: String) -> [CatalogColumn]? {
        let key = table.lowercased()
        if let columns = self.created.first(where: { $0.key.lowercased() == key })?.value { return columns }
        if self.dropped.contains(key) { return nil }
        return self.catalog(table)
    }

    mutating func recordCreated(_ table: String, columns: [CatalogColumn]) {
        self.created[table] = columns
        self.dropped.remove(table.lowercased())
    }

    mutating func recordDropped(_ table: String) {
        self.created = self.created.filter { $0.key.lowercased() != table.lowercased() }
        self.dropped.insert(table.lowercased())
    }

    mutating func setIdentityInsert(_ table: String, on: Bool) {
        if on { self.identityInsert.insert(table.lowercased()) } else { self.identityInsert.remove(table.lowercased()) }
    }

    func identityInsertIsOn(_ table: String) -> Bool { self.identityInsert.contains(table.lowercased()) }

    var clock: Date { self.now }
}

/// `name` as a quoted SQLite identifier.
func quoted(_ name: String) -> String {
    "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
}

/// `text` as a SQLite string literal.
func literal(_ text: String) -> String {
    "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
}
