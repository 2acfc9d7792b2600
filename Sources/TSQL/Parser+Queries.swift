import Foundation

extension Parser {
    private static let queryStops: Set<String> = Parser.clauseWords.union([")", ","])

    /// `SELECT [DISTINCT] [TOP (n)] list [FROM …] [WHERE …] [GROUP BY …] [HAVING …] [ORDER BY … [OFFSET … FETCH …]]`,
    /// optionally joined by `UNION [ALL]`, `EXCEPT`, `INTERSECT`.
    /// - Parameter targets: the types of the columns an `INSERT … SELECT` writes, item by item, whose values
    ///   are made canonical as `VALUES` would make them.
    mutating func select(into targets: [SQLServerType?] = []) throws -> String {
        try self.expect("SELECT")
        var head = "SELECT"
        if self.accept("DISTINCT") { head += " DISTINCT" } else { _ = self.accept("ALL") }
        var limit: String?
        if let top = self.peek(), top.isWord("TOP") {
            self.index += 1
            if self.acceptSymbol("(") {
                limit = try self.expression(stops: [")"], ExpressionContext())
                try self.expectSymbol(")")
            } else if let count = self.peek(), count.kind == .number || count.kind == .parameter {
                self.index += 1
                limit = count.text
            } else {
                throw self.expected("a row count after TOP")
            }
            if let extra = self.peek(), extra.isWord("PERCENT") || extra.isWord("WITH") { throw Self.refuse("TOP … \(extra.text.uppercased())", at: extra) }
        }
        let listStart = self.index
        try self.skipToClause()
        var scope = Scope()
        var from = ""
        if let into = self.peek(), into.isWord("INTO") { throw Self.refuse("SELECT … INTO", at: into) }
        if self.accept("FROM") { from = " FROM " + (try self.fromClause(&scope)) }
        let afterFrom = self.index
        self.index = listStart
        let list = try self.selectList(scope, targets: targets)
        self.index = afterFrom
        var context = ExpressionContext(scope: scope)
        var sql = "\(head) \(list)\(from)"
        if self.accept("WHERE") { sql += " WHERE " + (try self.expression(stops: Self.queryStops, context)) }
        if self.accept("GROUP") {
            try self.expect("BY")
            sql += " GROUP BY " + (try self.list { try $0.expression(stops: Self.queryStops, context) })
        }
        if self.accept("HAVING") { sql += " HAVING " + (try self.expression(stops: Self.queryStops, context)) }
        if let set = self.peek(), set.isWord("UNION") || set.isWord("EXCEPT") || set.isWord("INTERSECT") {
            if limit != nil { throw Self.refuse("TOP with \(set.text.uppercased())", at: set) }
            self.index += 1
            let all = self.accept("ALL")
            sql += " \(set.text.uppercased())\(all ? " ALL" : "") " + (try self.select(into: targets))
            return sql
        }
        if self.accept("ORDER") {
            try self.expect("BY")
            context.numericExact = true
            sql += " ORDER BY " + (try self.list { parser in
                var item = try parser.expression(stops: Self.queryStops.union(["ASC", "DESC"]), context)
                if parser.accept("ASC") { item += " ASC" } else if parser.accept("DESC") { item += " DESC" }
                return item
            })
            if let offset = self.peek(), offset.isWord("OFFSET") {
                if limit != nil { throw Self.refuse("TOP with OFFSET", at: offset) }
                self.index += 1
                let skip = try self.expression(stops: ["ROWS", "ROW"], ExpressionContext())
                guard self.accept("ROWS") || self.accept("ROW") else { throw self.expected("ROWS") }
                var take = "-1"
                if self.accept("FETCH") {
                    guard self.accept("NEXT") || self.accept("FIRST") else { throw self.expected("NEXT") }
                    take = try self.expression(stops: ["ROWS", "ROW"], ExpressionContext())
                    guard self.accept("ROWS") || self.accept("ROW") else { throw self.expected("ROWS") }
                    try self.expect("ONLY")
                }
                sql += " LIMIT \(take) OFFSET \(skip)"
            }
        }
        if let limit { sql += " LIMIT \(limit)" }
        return sql
    }

    /// Items separated by commas.
    mutating func list(_ item: (inout Parser) throws -> String) throws -> String {
        var items = [try item(&self)]
        while self.acceptSymbol(",") { items.append(try item(&self)) }
        return items.joined(separator: ", ")
    }

    /// Moves to the first clause word, `)`, `;` or statement starter at this depth.
    private mutating func skipToClause() throws {
        var depth = 0
        while let token = self.peek() {
            if token.isSymbol("(") { depth += 1 }
            if token.isSymbol(")") {
                if depth == 0 { return }
                depth -= 1
            }
            if depth == 0 {
                if token.isSymbol(";") { return }
                if let word = token.keyword, ["FROM", "WHERE", "GROUP", "HAVING", "ORDER", "UNION", "EXCEPT", "INTERSECT", "INTO", "OPTION", "FOR"].contains(word)
                    || Self.statementStarters.contains(word)
                {
                    return
                }
            }
            self.index += 1
        }
    }

    private mutating func selectList(_ scope: Scope, targets: [SQLServerType?]) throws -> String {
        let context = ExpressionContext(scope: scope, numericExact: true)
        let stops = Self.queryStops.union(["AS"])
        var position = 0
        return try self.list { parser in
            defer { position += 1 }
            if position < targets.count, let target = targets[position] {
                var item = try parser.value(for: target, stops: stops, context)
                if let alias = try parser.alias() { item += " AS \(quoted(alias))" }
                return item
            }
            if parser.acceptSymbol("*") { return "*" }
            if let name = parser.peek(), name.kind == .word || name.kind == .quotedIdentifier {
                if parser.peekSymbol(".", 1), parser.peekSymbol("*", 2) {
                    parser.index += 3
                    return "\(quoted(name.text)).*"
                }
                if parser.peekSymbol("=", 1), !Self.expressionWords.contains(name.text.uppercased()) {
                    parser.index += 2
                    return "\(try parser.expression(stops: stops, context)) AS \(quoted(name.text))"
                }
            }
            // A bare column keeps its stored text; any other expression reads exact numerics as numbers.
            let start = parser.index
            var item: String
            let first = parser.peek()
            let isName = first?.kind == .quotedIdentifier
                || (first?.kind == .word && !Self.expressionWords.contains(first!.text.uppercased()) && !first!.isWord("CURRENT_TIMESTAMP"))
            if isName, let name = try? parser.multipartName(), parser.peek().map({ $0.isSymbol(",") || $0.keyword.map(stops.contains) == true || $0.kind == .quotedIdentifier || $0.kind == .word }) ?? true,
                !parser.peekSymbol("(")
            {
                item = name.parts.suffix(2).map(quoted).joined(separator: ".")
            } else {
                parser.index = start
                item = try parser.expression(stops: stops, context)
            }
            if let alias = try parser.alias() { item += " AS \(quoted(alias))" }
            return item
        }
    }

    private mutating func fromClause(_ scope: inout Scope) throws -> String {
        var sql = try self.tableSource(&scope)
        while true {
            if self.acceptSymbol(",") {
                sql += ", " + (try self.tableSource(&scope))
                continue
            }
            guard let token = self.peek(), let word = token.keyword else { break }
            var join: String
            switch word {
            case "JOIN": join = "JOIN"
            case "INNER": join = "INNER JOIN"
            case "LEFT", "RIGHT", "FULL": join = "\(word) JOIN"
            case "CROSS":
                if self.peekWord("APPLY", 1) { throw Self.refuse("CROSS APPLY", at: token) }
                join = "CROSS JOIN"
            case "OUTER": throw Self.refuse("OUTER APPLY", at: token)
            default: return sql
            }
            self.index += 1
            if word != "JOIN" {
                _ = self.accept("OUTER")
                if let hint = self.peek(), ["HASH", "LOOP", "MERGE", "REMOTE"].contains(hint.keyword ?? "") { throw Self.refuse("join hints", at: hint) }
                try self.expect("JOIN")
            }
            sql += " \(join) " + (try self.tableSource(&scope))
            if join != "CROSS JOIN" {
                try self.expect("ON")
                sql += " ON " + (try self.expression(stops: Self.queryStops, ExpressionContext(scope: scope)))
            }
        }
        return sql
    }

    private mutating func tableSource(_ scope: inout Scope) throws -> String {
        if self.acceptSymbol("(") {
            guard self.peekWord("SELECT") else { throw self.expected("SELECT") }
            let query = try self.select()
            try self.expectSymbol(")")
            guard let alias = try self.alias() else { throw self.expected("an alias for the derived table") }
            scope.entries.append(Scope.Entry(name: alias, exposedName: alias, columns: []))
            return "(\(query)) AS \(quoted(alias))"
        }
        let table = try self.existingTable()
        let alias = try self.alias()
        if let hint = self.peek(), hint.isWord("WITH") && self.peekSymbol("(", 1) { throw Self.refuse("table hints", at: hint) }
        scope.entries.append(Scope.Entry(name: table.name, exposedName: alias ?? table.exposed, columns: table.columns))
        return Self.tableReference(table.name, exposed: table.exposed, alias: alias)
    }

    // MARK: - Changes

    /// `INSERT [INTO] t [(columns)] VALUES (…), … | SELECT … | DEFAULT VALUES`. Omitted identity columns get
    /// the next values, omitted clock defaults the emulator's clock.
    mutating func insert() throws -> [String] {
        try self.expect("INSERT")
        if let top = self.peek(), top.isWord("TOP") { throw Self.refuse("INSERT TOP", at: top) }
        _ = self.accept("INTO")
        let table = try self.existingTable()
        let identity = table.columns.first { $0.type?.identity != nil }
        var targets: [CatalogColumn]
        let listed = self.acceptSymbol("(")
        if listed {
            targets = []
            repeat {
                let (parts, token) = try self.multipartName()
                guard let column = table.columns.first(where: { $0.name.lowercased() == parts.last!.lowercased() }) else {
                    throw TSQLError("Invalid column name '\(parts.last!)'.", at: token)
                }
                if column.name == identity?.name, !self.translator.identityInsertIsOn(table.name) {
                    throw TSQLError("Cannot insert explicit value for identity column in table '\(table.exposed)' when IDENTITY_INSERT is set to OFF.", at: token)
                }
                targets.append(column)
            } while self.acceptSymbol(",")
            try self.expectSymbol(")")
        } else {
            if identity != nil, self.translator.identityInsertIsOn(table.name) {
                throw TSQLError("An explicit value for the identity column in table '\(table.exposed)' can only be specified when a column list is used and IDENTITY_INSERT is ON.", at: table.token)
            }
            targets = table.columns.filter { $0.name != identity?.name }
        }
        let omitted = table.columns.filter { column in !targets.contains { $0.name == column.name } }
        let clockDefaults = omitted.compactMap { column -> (String, String)? in
            guard let type = column.type, column.defaultSQL?.contains("'now'") == true else { return nil }
            return (quoted(column.name), literal(CanonicalValues.instant(self.translator.clock, family: type.family)))
        }
        let generated = identity.flatMap { column -> (name: String, next: String)? in
            guard !targets.contains(where: { $0.name == column.name }), let step = column.type?.identity else { return nil }
            return (quoted(column.name), "(SELECT coalesce(max(\(quoted(column.name))), \(step.seed - step.increment)) FROM \(quoted(table.name)))")
        }
        let step = identity?.type?.identity?.increment ?? 1
        let names = (generated.map { [$0.name] } ?? []) + targets.map { quoted($0.name) } + clockDefaults.map(\.0)
        let into = "INSERT INTO \(quoted(table.name)) (\(names.joined(separator: ", ")))"
        if let token = self.peek(), token.isWord("OUTPUT") { throw Self.refuse("OUTPUT", at: token) }
        if self.accept("DEFAULT") {
            try self.expect("VALUES")
            let values = (generated.map { ["\($0.next) + \(step)"] } ?? []) + clockDefaults.map(\.1)
            return [values.isEmpty ? "INSERT INTO \(quoted(table.name)) DEFAULT VALUES" : "\(into) VALUES (\(values.joined(separator: ", ")))"]
        }
        if self.peekWord("SELECT") {
            let query = try self.select(into: targets.map(\.type))
            var columns = (generated.map { ["\($0.next) + \(step) * row_number() OVER ()"] } ?? []) + ["*"]
            columns += clockDefaults.map(\.1)
            return ["\(into) SELECT \(columns.joined(separator: ", ")) FROM (\(query))"]
        }
        try self.expect("VALUES")
        var rows: [String] = []
        repeat {
            let open = self.peek()
            try self.expectSymbol("(")
            var values: [String] = []
            repeat {
                guard values.count < targets.count else {
                    throw TSQLError("There are more values in the VALUES clause than columns in the INSERT statement.", at: self.peek() ?? open!)
                }
                values.append(try self.value(for: targets[values.count].type, stops: [",", ")"], ExpressionContext()))
            } while self.acceptSymbol(",")
            guard values.count == targets.count else {
                throw TSQLError("There are fewer values in the VALUES clause than columns in the INSERT statement.", at: open!)
            }
            try self.expectSymbol(")")
            rows.append((values + clockDefaults.map(\.1)).joined(separator: ", "))
        } while self.acceptSymbol(",")
        guard let generated else {
            return ["\(into) VALUES " + rows.map { "(\($0))" }.joined(separator: ", ")]
        }
        // Each row reads the identity the row before it took.
        return rows.map { "\(into) VALUES (\(generated.next) + \(step), \($0))" }
    }

    /// `UPDATE t SET c = v, … [WHERE …]`.
    mutating func update() throws -> String {
        try self.expect("UPDATE")
        if let top = self.peek(), top.isWord("TOP") { throw Self.refuse("UPDATE TOP", at: top) }
        let table = try self.existingTable()
        let scope = Scope(entries: [Scope.Entry(name: table.name, exposedName: table.exposed, columns: table.columns)])
        try self.expect("SET")
        let context = ExpressionContext(scope: scope)
        let assignments = try self.list { parser in
            let (parts, token) = try parser.multipartName()
            guard let column = table.columns.first(where: { $0.name.lowercased() == parts.last!.lowercased() }) else {
                throw TSQLError("Invalid column name '\(parts.last!)'.", at: token)
            }
            if column.type?.identity != nil { throw TSQLError("Cannot update identity column '\(column.name)'.", at: token) }
            if let compound = parser.peek(), compound.kind == .symbol, compound.text != "=" { throw Self.refuse("compound assignment \(compound.text)=", at: compound) }
            try parser.expectSymbol("=")
            return "\(quoted(column.name)) = \(try parser.value(for: column.type, stops: Self.queryStops.union(["WHERE"]), context))"
        }
        var sql = "UPDATE \(Self.tableReference(table.name, exposed: table.exposed, alias: nil)) SET \(assignments)"
        if let from = self.peek(), from.isWord("FROM") || from.isWord("OUTPUT") { throw Self.refuse("UPDATE … \(from.text.uppercased())", at: from) }
        if self.accept("WHERE") { sql += " WHERE " + (try self.expression(stops: Self.queryStops, context)) }
        return sql
    }

    /// `DELETE [FROM] t [WHERE …]`.
    mutating func delete() throws -> String {
        try self.expect("DELETE")
        if let top = self.peek(), top.isWord("TOP") { throw Self.refuse("DELETE TOP", at: top) }
        _ = self.accept("FROM")
        let table = try self.existingTable()
        let scope = Scope(entries: [Scope.Entry(name: table.name, exposedName: table.exposed, columns: table.columns)])
        var sql = "DELETE FROM \(Self.tableReference(table.name, exposed: table.exposed, alias: nil))"
        if let from = self.peek(), from.isWord("FROM") || from.isWord("OUTPUT") { throw Self.refuse("DELETE … \(from.text.uppercased())", at: from) }
        if self.accept("WHERE") { sql += " WHERE " + (try self.expression(stops: Self.queryStops, ExpressionContext(scope: scope))) }
        return sql
    }

    /// `SET NOCOUNT ON|OFF`, `SET IDENTITY_INSERT t ON|OFF`, and the session options SQLite already behaves by.
    mutating func set() throws -> [String] {
        try self.expect("SET")
        let option = try self.next()
        switch option.keyword {
        case "NOCOUNT", "XACT_ABORT":
            guard self.accept("ON") || self.accept("OFF") else { throw self.expected("ON or OFF") }
            return []
        case "ANSI_NULLS", "QUOTED_IDENTIFIER", "ANSI_PADDING", "ANSI_WARNINGS", "CONCAT_NULL_YIELDS_NULL", "ARITHABORT":
            if let off = self.peek(), off.isWord("OFF") { throw Self.refuse("SET \(option.text.uppercased()) OFF", at: off) }
            try self.expect("ON")
            return []
        case "IDENTITY_INSERT":
            let table = try self.existingTable()
            guard table.columns.contains(where: { $0.type?.identity != nil }) else {
                throw TSQLError("Table '\(table.exposed)' does not have the identity property. Cannot perform SET operation.", at: table.token)
            }
            if self.accept("ON") {
                self.translator.setIdentityInsert(table.name, on: true)
            } else {
                try self.expect("OFF")
                self.translator.setIdentityInsert(table.name, on: false)
            }
            return []
        default:
            throw Self.refuse("SET \(option.text.uppercased())", at: option)
        }
    }
}
