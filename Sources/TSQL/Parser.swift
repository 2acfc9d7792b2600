import Foundation

/// The tables a statement reads, to know the declared type of a column a name refers to.
struct Scope {
    struct Entry {
        var name: String
        var exposedName: String
        var columns: [CatalogColumn]
    }

    var entries: [Entry] = []

    /// The type of the column `name` (qualified by an exposed table name or not).
    func type(of name: [String]) -> SQLServerType? {
        guard let column = name.last?.lowercased() else { return nil }
        let qualifier = name.count > 1 ? name[name.count - 2].lowercased() : nil
        for entry in self.entries where qualifier == nil || entry.exposedName.lowercased() == qualifier {
            if let match = entry.columns.first(where: { $0.name.lowercased() == column }) { return match.type }
        }
        return nil
    }
}

/// A recursive-descent parser over one batch, emitting SQLite as it goes.
struct Parser {
    var tokens: [Token]
    var index = 0
    var translator: Translator

    init(tokens: [Token], translator: Translator) {
        self.tokens = tokens
        self.translator = translator
    }

    /// Words that begin a statement: at the top level they end the statement before them, since T-SQL
    /// needs no `;` between statements.
    static let statementStarters: Set<String> = [
        "SELECT", "INSERT", "UPDATE", "DELETE", "CREATE", "DROP", "ALTER", "SET", "USE", "DECLARE", "EXEC", "EXECUTE",
        "BEGIN", "COMMIT", "ROLLBACK", "IF", "WHILE", "PRINT", "MERGE", "TRUNCATE", "WITH", "RETURN", "GRANT", "DENY",
        "REVOKE", "RAISERROR", "THROW", "BULK", "DBCC", "GOTO", "WAITFOR",
    ]
    /// Words that end an expression inside a query.
    static let clauseWords: Set<String> = [
        "FROM", "WHERE", "GROUP", "HAVING", "ORDER", "UNION", "EXCEPT", "INTERSECT", "INTO", "OFFSET", "FETCH",
        "FOR", "OPTION", "OUTPUT", "ON", "JOIN", "INNER", "LEFT", "RIGHT", "FULL", "CROSS", "OUTER", "VALUES",
    ]
    /// Words an expression may contain as they are.
    static let expressionWords: Set<String> = [
        "AND", "OR", "NOT", "NULL", "IS", "IN", "LIKE", "BETWEEN", "CASE", "WHEN", "THEN", "ELSE", "END", "EXISTS",
        "ESCAPE", "DISTINCT", "ALL", "ANY", "SOME",
    ]
    /// T-SQL reserved words outside the subset: as bare words they are refused, never read as names.
    static let reservedWords: Set<String> = [
        "APPLY", "PIVOT", "UNPIVOT", "TABLESAMPLE", "COLLATE", "OVER", "CONTAINS", "FREETEXT", "CURSOR", "OPENQUERY",
        "OPENROWSET", "OPENXML", "READTEXT", "WRITETEXT", "UPDATETEXT", "PERCENT", "TOP", "KEY", "PRIMARY", "FOREIGN",
        "REFERENCES", "CONSTRAINT", "DEFAULT", "TABLE", "INDEX", "VIEW", "PROCEDURE", "FUNCTION", "TRIGGER",
        "IDENTITY", "ROWGUIDCOL", "BY", "AS", "ASC", "DESC", "SET", "TRAN", "TRANSACTION",
    ]

    // MARK: - Tokens

    func peek(_ offset: Int = 0) -> Token? {
        self.index + offset < self.tokens.count ? self.tokens[self.index + offset] : nil
    }

    func peekWord(_ word: String, _ offset: Int = 0) -> Bool { self.peek(offset)?.isWord(word) == true }

    func peekSymbol(_ symbol: String, _ offset: Int = 0) -> Bool { self.peek(offset)?.isSymbol(symbol) == true }

    @discardableResult
    mutating func next() throws -> Token {
        guard let token = self.peek() else { throw self.endError() }
        self.index += 1
        return token
    }

    mutating func accept(_ word: String) -> Bool {
        guard self.peekWord(word) else { return false }
        self.index += 1
        return true
    }

    mutating func acceptSymbol(_ symbol: String) -> Bool {
        guard self.peekSymbol(symbol) else { return false }
        self.index += 1
        return true
    }

    mutating func expect(_ word: String) throws {
        guard self.accept(word) else { throw self.expected(word) }
    }

    mutating func expectSymbol(_ symbol: String) throws {
        guard self.acceptSymbol(symbol) else { throw self.expected("'\(symbol)'") }
    }

    func endError() -> TSQLError {
        let last = self.tokens.last
        return TSQLError("the statement ends too early", line: last?.line ?? 1, column: (last?.column ?? 0) + (last?.text.count ?? 0))
    }

    func expected(_ what: String) -> TSQLError {
        guard let token = self.peek() else { return self.endError() }
        return TSQLError("expected \(what) but found '\(token.text)'", at: token)
    }

    /// The refusal of a construct outside the subset.
    static func refuse(_ construct: String, at token: Token) -> TSQLError {
        TSQLError("'\(construct)' is not in the T-SQL subset the emulator translates", at: token)
    }

    // MARK: - Statements

    /// The SQLite statements of the next T-SQL statement, or `nil` at the end of the batch.
    mutating func nextStatement() throws -> [String]? {
        while self.acceptSymbol(";") {}
        guard let token = self.peek() else { return nil }
        let statements: [String]
        switch token.keyword {
        case "SELECT": statements = [try self.select()]
        case "INSERT": statements = try self.insert()
        case "UPDATE": statements = [try self.update()]
        case "DELETE": statements = [try self.delete()]
        case "CREATE": statements = try self.create()
        case "DROP": statements = try self.drop()
        case "ALTER": statements = try self.alter()
        case "SET": statements = try self.set()
        case let word?: throw Self.refuse(word, at: token)
        default: throw TSQLError("unexpected '\(token.text)'", at: token)
        }
        if let after = self.peek(), !after.isSymbol(";"), !(after.keyword.map(Self.statementStarters.contains) ?? false) {
            throw Self.refuse(after.kind == .word ? after.text.uppercased() : after.text, at: after)
        }
        return statements
    }

    // MARK: - Names

    /// A dotted name of words and quoted identifiers.
    mutating func multipartName() throws -> (parts: [String], token: Token) {
        guard let first = self.peek(), first.kind == .word || first.kind == .quotedIdentifier else {
            throw self.expected("a name")
        }
        var parts = [try self.next().text]
        while self.peekSymbol("."), let part = self.peek(1), part.kind == .word || part.kind == .quotedIdentifier {
            self.index += 2
            parts.append(part.text)
        }
        return (parts, first)
    }

    /// The SQLite table of a T-SQL table name, and the name a query exposes it by.
    static func table(_ parts: [String], at token: Token) throws -> (name: String, exposed: String) {
        switch parts.count {
        case 1: return (parts[0], parts[0])
        case 2 where parts[0].lowercased() == "dbo": return (parts[1], parts[1])
        case 2: return ("\(parts[0]).\(parts[1])", parts[1])
        default: throw Self.refuse("a name with a database or server part", at: token)
        }
    }

    mutating func existingTable() throws -> (name: String, exposed: String, columns: [CatalogColumn], token: Token) {
        let (parts, token) = try self.multipartName()
        let table = try Self.table(parts, at: token)
        guard let columns = self.translator.columns(of: table.name) else {
            throw TSQLError("Invalid object name '\(parts.joined(separator: "."))'.", at: token)
        }
        return (table.name, table.exposed, columns, token)
    }

    /// `FROM "S.T" AS "T"`: a table of another schema gets its bare name as alias, as T-SQL exposes it.
    static func tableReference(_ name: String, exposed: String, alias: String?) -> String {
        if let alias { return "\(quoted(name)) AS \(quoted(alias))" }
        return name == exposed ? quoted(name) : "\(quoted(name)) AS \(quoted(exposed))"
    }

    /// An optional alias: `AS x`, or a bare name that is not a keyword of the query.
    mutating func alias() throws -> String? {
        if self.accept("AS") {
            guard let token = self.peek(), token.kind == .word || token.kind == .quotedIdentifier || token.kind == .string else {
                throw self.expected("an alias")
            }
            self.index += 1
            return token.text
        }
        if let token = self.peek(), token.kind == .quotedIdentifier
            || (token.kind == .word && !Self.clauseWords.contains(token.text.uppercased())
                && !Self.statementStarters.contains(token.text.uppercased()) && !Self.reservedWords.contains(token.text.uppercased())
                && !Self.expressionWords.contains(token.text.uppercased()) && !["WITH", "OPTION"].contains(token.text.uppercased()))
        {
            self.index += 1
            return token.text
        }
        return nil
    }
}
