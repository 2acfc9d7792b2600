import Foundation

extension Parser {
    /// A column of a `CREATE TABLE` or `ALTER TABLE … ADD`, gathered before it is written, since a later
    /// table constraint can make it part of the primary key.
    struct ColumnDefinition {
        var name: String
        var type: SQLServerType
        var notNull = false
        var primaryKey = false
        var defaultSQL: String?
        var constraints: [String] = []

        var sql: String {
            var text = "\(quoted(self.name)) \(literal(self.type.declaredType))"
            if self.notNull || self.primaryKey { text += " NOT NULL" }
            if let defaultSQL { text += " DEFAULT (\(defaultSQL))" }
            if self.primaryKey { text += " PRIMARY KEY" }
            return ([text] + self.constraints).joined(separator: " ")
        }

        var catalogColumn: CatalogColumn {
            CatalogColumn(name: self.name, declaredType: self.type.declaredType, defaultSQL: self.defaultSQL)
        }
    }

    mutating func create() throws -> [String] {
        try self.expect("CREATE")
        if self.accept("TABLE") { return [try self.createTable()] }
        let unique = self.accept("UNIQUE")
        _ = self.accept("CLUSTERED") || self.accept("NONCLUSTERED")
        if self.accept("INDEX") { return [try self.createIndex(unique: unique)] }
        guard let token = self.peek() else { throw self.endError() }
        throw Self.refuse("CREATE \(token.text.uppercased())", at: token)
    }

    private mutating func createTable() throws -> String {
        let (parts, token) = try self.multipartName()
        let table = try Self.table(parts, at: token)
        if self.translator.columns(of: table.name) != nil {
            throw TSQLError("There is already an object named '\(parts.last!)' in the database.", at: token)
        }
        try self.expectSymbol("(")
        var columns: [ColumnDefinition] = []
        var constraints: [String] = []
        repeat {
            guard let element = self.peek() else { throw self.endError() }
            if ["CONSTRAINT", "PRIMARY", "UNIQUE", "FOREIGN", "CHECK"].contains(element.keyword ?? "") {
                constraints.append(try self.tableConstraint(table: table.name, columns: &columns))
            } else {
                columns.append(try self.columnDefinition(table: table.name, columns: columns))
            }
        } while self.acceptSymbol(",")
        try self.expectSymbol(")")
        try self.storageClause()
        if columns.filter({ $0.type.identity != nil }).count > 1 {
            throw TSQLError("Multiple identity columns specified for table '\(parts.last!)'. Only one identity column per table is allowed.", at: token)
        }
        self.translator.recordCreated(table.name, columns: columns.map(\.catalogColumn))
        let elements = columns.map(\.sql) + constraints
        return "CREATE TABLE \(quoted(table.name)) (\(elements.joined(separator: ", ")))"
    }

    /// `ON [PRIMARY]` and `TEXTIMAGE_ON [PRIMARY]`: filegroups, which a single SQLite file has no use for.
    private mutating func storageClause() throws {
        while self.peekWord("ON") || self.peekWord("TEXTIMAGE_ON") {
            self.index += 1
            guard let group = self.peek(), group.text.uppercased() == "PRIMARY" else { throw self.expected("PRIMARY") }
            self.index += 1
        }
    }

    private static let columnOptionStops: Set<String> = [",", ")", "NOT", "NULL", "PRIMARY", "UNIQUE", "CHECK", "REFERENCES", "CONSTRAINT", "IDENTITY", "FOREIGN", "ROWGUIDCOL", "DEFAULT"]

    private mutating func columnDefinition(table: String, columns: [ColumnDefinition]) throws -> ColumnDefinition {
        guard let nameToken = self.peek(), nameToken.kind == .word || nameToken.kind == .quotedIdentifier else { throw self.expected("a column name") }
        self.index += 1
        if columns.contains(where: { $0.name.lowercased() == nameToken.text.lowercased() }) {
            throw TSQLError("Column names in each table must be unique. Column name '\(nameToken.text)' is specified more than once.", at: nameToken)
        }
        if let computed = self.peek(), computed.isWord("AS") { throw Self.refuse("computed columns", at: computed) }
        var column = ColumnDefinition(name: nameToken.text, type: try self.type())
        while let option = self.peek(), let word = option.keyword {
            var constraintName: String?
            if word == "CONSTRAINT" {
                self.index += 1
                constraintName = try self.multipartName().parts.last
            }
            guard let keyword = self.peek()?.keyword else { throw self.expected("a constraint") }
            let named = constraintName.map { "CONSTRAINT \(quoted($0)) " } ?? ""
            switch keyword {
            case "IDENTITY":
                self.index += 1
                var identity = SQLServerType.Identity(seed: 1, increment: 1)
                if self.acceptSymbol("(") {
                    identity.seed = try self.integer()
                    try self.expectSymbol(",")
                    identity.increment = try self.integer()
                    try self.expectSymbol(")")
                }
                guard column.type.family == .integer else {
                    throw TSQLError("Identity column '\(column.name)' must be of data type int, bigint, smallint or tinyint in the emulator.", at: option)
                }
                column.type.identity = identity
                column.notNull = true
            case "NULL":
                self.index += 1
            case "NOT":
                self.index += 1
                try self.expect("NULL")
                column.notNull = true
            case "DEFAULT":
                self.index += 1
                var context = ExpressionContext()
                context.inDefault = true
                column.defaultSQL = try self.value(for: column.type, stops: Self.columnOptionStops, context)
            case "PRIMARY":
                self.index += 1
                try self.expect("KEY")
                _ = self.accept("CLUSTERED") || self.accept("NONCLUSTERED")
                if columns.contains(where: \.primaryKey) { throw TSQLError("Cannot add multiple PRIMARY KEY constraints to table '\(table)'.", at: option) }
                column.primaryKey = true
                if !named.isEmpty { column.constraints.insert(named.trimmingCharacters(in: .whitespaces), at: 0) }
            case "UNIQUE":
                self.index += 1
                _ = self.accept("CLUSTERED") || self.accept("NONCLUSTERED")
                column.constraints.append("\(named)UNIQUE")
            case "CHECK":
                self.index += 1
                column.constraints.append("\(named)CHECK \(try self.check(columns: columns + [column]))")
            case "FOREIGN", "REFERENCES":
                if keyword == "FOREIGN" {
                    self.index += 1
                    try self.expect("KEY")
                }
                column.constraints.append(named + (try self.references(table: table)))
            case "ROWGUIDCOL":
                self.index += 1
            default:
                if !named.isEmpty { throw self.expected("a constraint") }
                if ["COLLATE", "SPARSE", "FILESTREAM", "MASKED"].contains(keyword) { throw Self.refuse(keyword, at: option) }
                return column
            }
        }
        return column
    }

    private mutating func integer() throws -> Int64 {
        let negative = self.acceptSymbol("-")
        guard let token = self.peek(), token.kind == .number, let value = Int64(token.text) else { throw self.expected("an integer") }
        self.index += 1
        return negative ? -value : value
    }

    private mutating func check(columns: [ColumnDefinition]) throws -> String {
        try self.expectSymbol("(")
        let scope = Scope(entries: [Scope.Entry(name: "", exposedName: "", columns: columns.map(\.catalogColumn))])
        let sql = try self.expression(stops: [")"], ExpressionContext(scope: scope))
        try self.expectSymbol(")")
        return "(\(sql))"
    }

    /// `REFERENCES t [(columns)] [ON DELETE|UPDATE action]…`.
    private mutating func references(table: String) throws -> String {
        try self.expect("REFERENCES")
        let (parts, token) = try self.multipartName()
        let target = try Self.table(parts, at: token)
        if target.name.lowercased() != table.lowercased(), self.translator.columns(of: target.name) == nil {
            throw TSQLError("Foreign key references invalid table '\(parts.joined(separator: "."))'.", at: token)
        }
        var sql = "REFERENCES \(quoted(target.name))"
        if self.peekSymbol("(") { sql += " (\(try self.columnList()))" }
        while self.peekWord("ON"), let event = self.peek(1), event.isWord("DELETE") || event.isWord("UPDATE") {
            self.index += 2
            let action: String
            if self.accept("CASCADE") {
                action = "CASCADE"
            } else if self.accept("NO") {
                try self.expect("ACTION")
                action = "NO ACTION"
            } else if self.accept("SET") {
                guard self.accept("NULL") || self.accept("DEFAULT") else { throw self.expected("NULL or DEFAULT") }
                action = "SET \(self.tokens[self.index - 1].text.uppercased())"
            } else {
                throw self.expected("CASCADE, NO ACTION, SET NULL or SET DEFAULT")
            }
            sql += " ON \(event.text.uppercased()) \(action)"
        }
        if let token = self.peek(), token.isWord("NOT") { throw Self.refuse("NOT FOR REPLICATION", at: token) }
        return sql
    }

    /// `(a [ASC|DESC], b …)` as quoted SQLite names.
    private mutating func columnList(orders: Bool = false) throws -> String {
        try self.expectSymbol("(")
        let names = try self.list { parser in
            var name = quoted(try parser.multipartName().parts.last!)
            if parser.accept("ASC") { name += orders ? " ASC" : "" } else if parser.accept("DESC") { name += orders ? " DESC" : "" }
            return name
        }
        try self.expectSymbol(")")
        return names
    }

    private mutating func tableConstraint(table: String, columns: inout [ColumnDefinition]) throws -> String {
        var sql = ""
        if self.accept("CONSTRAINT") { sql = "CONSTRAINT \(quoted(try self.multipartName().parts.last!)) " }
        guard let token = self.peek(), let keyword = token.keyword else { throw self.expected("a constraint") }
        self.index += 1
        switch keyword {
        case "PRIMARY":
            try self.expect("KEY")
            _ = self.accept("CLUSTERED") || self.accept("NONCLUSTERED")
            if columns.contains(where: \.primaryKey) { throw TSQLError("Cannot add multiple PRIMARY KEY constraints to table '\(table)'.", at: token) }
            let start = self.index
            let keys = try self.columnList()
            for name in self.tokens[start..<self.index] where name.kind == .word || name.kind == .quotedIdentifier {
                guard let position = columns.firstIndex(where: { $0.name.lowercased() == name.text.lowercased() }) else {
                    if name.isWord("ASC") || name.isWord("DESC") { continue }
                    throw TSQLError("Column name '\(name.text)' does not exist in the target table.", at: name)
                }
                columns[position].notNull = true
            }
            sql += "PRIMARY KEY (\(keys))"
        case "UNIQUE":
            _ = self.accept("CLUSTERED") || self.accept("NONCLUSTERED")
            sql += "UNIQUE (\(try self.columnList()))"
        case "FOREIGN":
            try self.expect("KEY")
            sql += "FOREIGN KEY (\(try self.columnList())) " + (try self.references(table: table))
        case "CHECK":
            sql += "CHECK \(try self.check(columns: columns))"
        default:
            throw Self.refuse("\(keyword) constraints", at: token)
        }
        if let with = self.peek(), with.isWord("WITH") { throw Self.refuse("constraint options (WITH …)", at: with) }
        try self.storageClause()
        return sql
    }

    private mutating func createIndex(unique: Bool) throws -> String {
        let name = try self.multipartName().parts.last!
        try self.expect("ON")
        let table = try self.existingTable()
        let columns = try self.columnList(orders: true)
        if let extra = self.peek(), extra.isWord("INCLUDE") || extra.isWord("WHERE") || extra.isWord("WITH") {
            throw Self.refuse("CREATE INDEX … \(extra.text.uppercased())", at: extra)
        }
        try self.storageClause()
        return "CREATE \(unique ? "UNIQUE " : "")INDEX \(quoted(name)) ON \(quoted(table.name)) (\(columns))"
    }

    /// `DROP TABLE [IF EXISTS] t, …` and `DROP INDEX i ON t`.
    mutating func drop() throws -> [String] {
        try self.expect("DROP")
        if self.accept("INDEX") {
            let name = try self.multipartName().parts.last!
            if self.accept("ON") { _ = try self.existingTable() }
            return ["DROP INDEX \(quoted(name))"]
        }
        guard self.accept("TABLE") else {
            guard let token = self.peek() else { throw self.endError() }
            throw Self.refuse("DROP \(token.text.uppercased())", at: token)
        }
        var ifExists = false
        if self.accept("IF") {
            try self.expect("EXISTS")
            ifExists = true
        }
        var statements: [String] = []
        repeat {
            let (parts, token) = try self.multipartName()
            let table = try Self.table(parts, at: token)
            if !ifExists, self.translator.columns(of: table.name) == nil {
                throw TSQLError("Cannot drop the table '\(parts.joined(separator: "."))', because it does not exist or you do not have permission.", at: token)
            }
            self.translator.recordDropped(table.name)
            statements.append("DROP TABLE \(ifExists ? "IF EXISTS " : "")\(quoted(table.name))")
        } while self.acceptSymbol(",")
        return statements
    }

    /// `ALTER TABLE t ADD column, …` and `ALTER TABLE t DROP COLUMN c`.
    mutating func alter() throws -> [String] {
        try self.expect("ALTER")
        guard self.accept("TABLE") else {
            guard let token = self.peek() else { throw self.endError() }
            throw Self.refuse("ALTER \(token.text.uppercased())", at: token)
        }
        let table = try self.existingTable()
        var existing = table.columns.map { column in
            ColumnDefinition(name: column.name, type: column.type ?? SQLServerType(name: "sql_variant"))
        }
        if self.accept("DROP") {
            try self.expect("COLUMN")
            let (parts, token) = try self.multipartName()
            guard table.columns.contains(where: { $0.name.lowercased() == parts.last!.lowercased() }) else {
                throw TSQLError("ALTER TABLE DROP COLUMN failed because column '\(parts.last!)' does not exist in table '\(table.exposed)'.", at: token)
            }
            self.translator.recordCreated(table.name, columns: table.columns.filter { $0.name.lowercased() != parts.last!.lowercased() })
            return ["ALTER TABLE \(quoted(table.name)) DROP COLUMN \(quoted(parts.last!))"]
        }
        guard self.accept("ADD") else { throw self.expected("ADD or DROP COLUMN") }
        var statements: [String] = []
        var catalog = table.columns
        repeat {
            if let constraint = self.peek(), ["CONSTRAINT", "PRIMARY", "UNIQUE", "FOREIGN", "CHECK"].contains(constraint.keyword ?? "") {
                throw Self.refuse("ALTER TABLE … ADD \(constraint.text.uppercased())", at: constraint)
            }
            let column = try self.columnDefinition(table: table.name, columns: existing)
            existing.append(column)
            catalog.append(column.catalogColumn)
            statements.append("ALTER TABLE \(quoted(table.name)) ADD COLUMN \(column.sql)")
        } while self.acceptSymbol(",")
        self.translator.recordCreated(table.name, columns: catalog)
        return statements
    }
}
