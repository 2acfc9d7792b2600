import Foundation

/// Where an expression stands, which decides how names and clock functions translate.
struct ExpressionContext {
    var scope = Scope()
    /// Reads exact numerics (stored as text) as numbers, so comparisons and sorting are numeric.
    var numericExact = true
    /// In a column `DEFAULT`: clock functions read SQLite's clock when the row is written.
    var inDefault = false
}

extension Parser {
    /// Translates tokens up to the first of `stops` at this depth (a `;`, a statement starter or the end
    /// stop too).
    mutating func expression(stops: Set<String>, _ context: ExpressionContext) throws -> String {
        var output: [String] = []
        let start = self.peek()
        while let token = self.peek() {
            if token.isSymbol(";") || (token.kind == .symbol && stops.contains(token.text)) { break }
            if let word = token.keyword, stops.contains(word) || Self.statementStarters.contains(word) { break }
            switch token.kind {
            case .symbol:
                output.append(try self.symbol(context))
            case .string:
                self.index += 1
                output.append(literal(token.text))
            case .number:
                self.index += 1
                output.append(token.text)
            case .binary:
                self.index += 1
                output.append("X'\(token.text)'")
            case .parameter:
                self.index += 1
                output.append("?")
            case .variable:
                throw Self.refuse("variables (\(token.text))", at: token)
            case .word where self.peekSymbol("(", 1) && !Self.expressionWords.contains(token.text.uppercased()):
                output.append(try self.function(context))
            case .word where Self.expressionWords.contains(token.text.uppercased()):
                self.index += 1
                output.append(token.text.uppercased())
            case .word where token.isWord("CURRENT_TIMESTAMP"):
                self.index += 1
                output.append(self.clock(.dateTime(digits: 3), context))
            case .word where Self.reservedWords.contains(token.text.uppercased()):
                throw Self.refuse(token.text.uppercased(), at: token)
            case .word, .quotedIdentifier:
                output.append(try self.columnReference(context))
            }
        }
        guard !output.isEmpty else {
            if let token = self.peek() { throw TSQLError("expected an expression but found '\(token.text)'", at: token) }
            throw start.map { TSQLError("expected an expression", at: $0) } ?? self.endError()
        }
        return output.joined(separator: " ")
    }

    private mutating func symbol(_ context: ExpressionContext) throws -> String {
        let token = try self.next()
        switch token.text {
        case "(":
            if self.peekWord("SELECT") {
                let query = try self.select()
                try self.expectSymbol(")")
                return "(\(query))"
            }
            let inner = try self.expression(stops: [")"], context)
            try self.expectSymbol(")")
            return "(\(inner))"
        case "+":
            // T-SQL's + joins strings; SQLite's || does.
            let before = self.index >= 2 ? self.tokens[self.index - 2] : nil
            return self.isCharacter(before, context) || self.isCharacter(self.peek(), context) ? "||" : "+"
        case "!<": return ">="
        case "!>": return "<="
        case ")", ".": throw TSQLError("unexpected '\(token.text)'", at: token)
        default: return token.text
        }
    }

    private func isCharacter(_ token: Token?, _ context: ExpressionContext) -> Bool {
        guard let token else { return false }
        switch token.kind {
        case .string: return true
        case .word, .quotedIdentifier: return context.scope.type(of: [token.text])?.family == .character
        default: return false
        }
    }

    private mutating func columnReference(_ context: ExpressionContext) throws -> String {
        let (parts, token) = try self.multipartName()
        let sql: String
        switch parts.count {
        case 1: sql = quoted(parts[0])
        case 2: sql = "\(quoted(parts[0])).\(quoted(parts[1]))"
        case 3: sql = "\(quoted(parts[1])).\(quoted(parts[2]))"
        default: throw Self.refuse("a four-part column name", at: token)
        }
        if context.numericExact, case .exactNumeric? = context.scope.type(of: parts)?.family {
            return "CAST(\(sql) AS REAL)"
        }
        return sql
    }

    /// A single literal (a string, or a number with an optional sign) between token `start` and here.
    func literalValue(from start: Int) -> Token? {
        let span = Array(self.tokens[start..<self.index])
        if span.count == 1, span[0].kind == .string || span[0].kind == .number || span[0].kind == .binary { return span[0] }
        if span.count == 2, span[0].isSymbol("-") || span[0].isSymbol("+"), span[1].kind == .number {
            var token = span[1]
            token.text = (span[0].text == "-" ? "-" : "") + token.text
            token.line = span[0].line
            token.column = span[0].column
            return token
        }
        if span.count >= 3, span.first?.isSymbol("(") == true, span.last?.isSymbol(")") == true {
            var inner = Parser(tokens: Array(span.dropFirst().dropLast()), translator: self.translator)
            inner.index = inner.tokens.count
            return inner.literalValue(from: 0)
        }
        return nil
    }

    /// Whether the next tokens are one column name, up to one of `stops`, an alias or the end.
    private func isBareName(stops: Set<String>) -> Bool {
        var probe = self
        guard let first = probe.peek(), first.kind == .quotedIdentifier || (first.kind == .word && !Self.expressionWords.contains(first.text.uppercased())),
            (try? probe.multipartName()) != nil
        else { return false }
        guard let after = probe.peek() else { return true }
        if after.kind == .symbol { return stops.contains(after.text) || after.text == ";" }
        return after.kind == .quotedIdentifier || after.kind == .word
    }

    /// A value to be stored as `type`: a literal made canonical now, anything else wrapped in SQL.
    mutating func value(for type: SQLServerType?, stops: Set<String>, _ context: ExpressionContext) throws -> String {
        let start = self.index
        if let token = self.peek(), token.isWord("DEFAULT") { throw Self.refuse("DEFAULT as a value", at: token) }
        // A column copied as it is keeps its stored text, exact numerics included.
        var context = context
        if self.isBareName(stops: stops) { context.numericExact = false }
        let expression = try self.expression(stops: stops, context)
        guard let type else { return expression }
        if let value = self.literalValue(from: start) { return try Self.convert(literal: value, to: type) }
        if self.tokens[start].isWord("NULL"), self.index == start + 1 { return expression }
        return CanonicalValues.wrap(expression, family: type.family)
    }

    /// A literal converted to `type` as SQL Server converts it, or its conversion error.
    static func convert(literal token: Token, to type: SQLServerType) throws -> String {
        let text = token.text
        let isString = token.kind == .string
        func failure(_ message: String) -> TSQLError { TSQLError(message, at: token) }
        if token.kind == .binary {
            guard type.family == .binary else { throw failure("Implicit conversion from varbinary to \(type.name) is not allowed.") }
            return "X'\(text)'"
        }
        switch type.family {
        case .integer:
            let whole = text.split(separator: ".", omittingEmptySubsequences: false).first.map(String.init) ?? text
            guard let number = Int64(whole.trimmingCharacters(in: .whitespaces)), isString ? !text.contains(".") : true else {
                throw failure("Conversion failed when converting the varchar value '\(text)' to data type \(type.name).")
            }
            return String(number)
        case .bit:
            switch text.trimmingCharacters(in: .whitespaces).lowercased() {
            case "true": return "1"
            case "false": return "0"
            case let other:
                guard let number = Double(other) else { throw failure("Conversion failed when converting the varchar value '\(text)' to data type bit.") }
                return number == 0 ? "0" : "1"
            }
        case .exactNumeric(let scale):
            guard let value = CanonicalValues.decimal(text, scale: scale) else {
                throw failure("Error converting data type varchar to numeric: '\(text)'.")
            }
            return literal(value)
        case .approximate:
            guard let number = Double(text.trimmingCharacters(in: .whitespaces)) else {
                throw failure("Error converting data type varchar to float: '\(text)'.")
            }
            return isString ? String(number) : text
        case .date, .time, .dateTime, .dateTimeOffset:
            guard isString, let value = CanonicalValues.temporal(text, family: type.family) else {
                throw failure("Conversion failed when converting date and/or time from character string: '\(text)'.")
            }
            return literal(value)
        case .character:
            if let length = type.arguments.first.flatMap({ Int($0) }), text.count > length {
                throw failure("String or binary data would be truncated: '\(text)' is longer than \(type.spelled).")
            }
            return literal(text)
        case .binary:
            throw failure("Implicit conversion from data type varchar to \(type.name) is not allowed.")
        case .uniqueidentifier:
            guard isString, let value = CanonicalValues.guid(text) else {
                throw failure("Conversion failed when converting from a character string to uniqueidentifier: '\(text)'.")
            }
            return literal(value)
        case .refused:
            throw Self.refuse("values of type \(type.name)", at: token)
        }
    }

    /// What a clock function returns: the emulator's clock, or SQLite's when a default is computed at write time.
    func clock(_ family: SQLServerType.Family, _ context: ExpressionContext) -> String {
        context.inDefault ? CanonicalValues.wrap("'now'", family: family) : literal(CanonicalValues.instant(self.translator.clock, family: family))
    }

    /// A type name with its arguments, as a column definition or `CAST` writes it.
    mutating func type() throws -> SQLServerType {
        guard let token = self.peek(), token.kind == .word || token.kind == .quotedIdentifier else { throw self.expected("a data type") }
        self.index += 1
        if self.peekSymbol(".") { throw Self.refuse("user-defined types", at: token) }
        // SQL Server's synonyms, reported by their own names.
        let name = ["integer": "int", "dec": "decimal"][token.text.lowercased()] ?? token.text
        guard SQLServerType.isKnown(name) else { throw TSQLError("Cannot find data type \(token.text).", at: token) }
        var arguments: [String] = []
        if self.acceptSymbol("(") {
            repeat {
                guard let argument = self.peek(), argument.kind == .number || argument.isWord("MAX") else { throw self.expected("a size") }
                self.index += 1
                arguments.append(argument.text)
            } while self.acceptSymbol(",")
            try self.expectSymbol(")")
        }
        let type = SQLServerType(name: name, arguments: arguments)
        if let problem = type.argumentProblem() { throw TSQLError(problem, at: token) }
        return type
    }

    // MARK: - Functions

    private static let passThrough: [String: ClosedRange<Int>] = [
        "COUNT": 1...1, "SUM": 1...1, "MIN": 1...1, "MAX": 1...1, "AVG": 1...1, "ABS": 1...1, "UPPER": 1...1,
        "LOWER": 1...1, "LTRIM": 1...1, "RTRIM": 1...1, "REPLACE": 3...3, "COALESCE": 2...99, "NULLIF": 2...2,
        "ROUND": 2...2, "IIF": 3...3,
    ]

    private mutating func function(_ context: ExpressionContext) throws -> String {
        let name = try self.next()
        try self.expectSymbol("(")
        let upper = name.text.uppercased()
        var inner = context
        inner.numericExact = true
        switch upper {
        case "GETDATE", "GETUTCDATE", "SYSDATETIME", "SYSUTCDATETIME", "SYSDATETIMEOFFSET":
            try self.expectSymbol(")")
            let family: SQLServerType.Family =
                upper.hasPrefix("GET") ? .dateTime(digits: 3) : upper == "SYSDATETIMEOFFSET" ? .dateTimeOffset(digits: 7) : .dateTime(digits: 7)
            return self.clock(family, context)
        case "NEWID":
            try self.expectSymbol(")")
            return CanonicalValues.newGUID
        case "CAST":
            let start = self.index
            let value = try self.expression(stops: ["AS"], inner)
            let source = self.literalValue(from: start)
            try self.expect("AS")
            let type = try self.type()
            try self.expectSymbol(")")
            return try Self.cast(value, literal: source, to: type, at: name)
        case "CONVERT":
            let type = try self.type()
            try self.expectSymbol(",")
            let start = self.index
            let value = try self.expression(stops: [",", ")"], inner)
            let source = self.literalValue(from: start)
            if let comma = self.peek(), comma.isSymbol(",") { throw Self.refuse("CONVERT with a style", at: comma) }
            try self.expectSymbol(")")
            return try Self.cast(value, literal: source, to: type, at: name)
        case "DATEADD":
            let part = try self.datePart()
            try self.expectSymbol(",")
            let amount = try self.expression(stops: [","], inner)
            try self.expectSymbol(",")
            let date = try self.expression(stops: [")"], inner)
            try self.expectSymbol(")")
            let modifier = part.unit == "milliseconds" ? "((\(amount)) / 1000.0) || ' seconds'" : "(\(amount)) || ' \(part.unit)'"
            return "strftime('%Y-%m-%d %H:%M:%f', \(date), \(modifier))"
        case "DATEDIFF":
            let part = try self.datePart()
            try self.expectSymbol(",")
            let from = try self.expression(stops: [","], inner)
            try self.expectSymbol(",")
            let to = try self.expression(stops: [")"], inner)
            try self.expectSymbol(")")
            return Self.dateDifference(part.unit, from: from, to: to)
        default:
            break
        }
        var arguments: [String] = []
        if !self.peekSymbol(")") {
            repeat {
                if self.peekSymbol("*") && upper == "COUNT" {
                    self.index += 1
                    arguments.append("*")
                } else {
                    arguments.append(try self.expression(stops: [",", ")"], inner))
                }
            } while self.acceptSymbol(",")
        }
        try self.expectSymbol(")")
        func arity(_ range: ClosedRange<Int>) throws {
            guard range.contains(arguments.count) else {
                throw TSQLError("The \(upper) function requires \(range.lowerBound == range.upperBound ? "\(range.lowerBound)" : "\(range.lowerBound) or more") argument(s).", at: name)
            }
        }
        switch upper {
        case "ISNULL":
            try arity(2...2)
            return "ifnull(\(arguments[0]), \(arguments[1]))"
        case "LEN":
            try arity(1...1)
            return "length(rtrim(\(arguments[0])))"
        case "SUBSTRING":
            try arity(3...3)
            return "substr(\(arguments.joined(separator: ", ")))"
        case "CHARINDEX":
            try arity(2...2)
            return "instr(\(arguments[1]), \(arguments[0]))"
        case "LEFT":
            try arity(2...2)
            return "substr(\(arguments[0]), 1, \(arguments[1]))"
        case "CONCAT":
            try arity(2...99)
            return "(" + arguments.map { "ifnull(\($0), '')" }.joined(separator: " || ") + ")"
        case "YEAR", "MONTH", "DAY":
            try arity(1...1)
            let format = ["YEAR": "%Y", "MONTH": "%m", "DAY": "%d"][upper]!
            return "CAST(strftime('\(format)', \(arguments[0])) AS INTEGER)"
        default:
            guard let range = Self.passThrough[upper] else { throw Self.refuse("the function \(upper)", at: name) }
            try arity(range)
            return "\(upper.lowercased())(\(arguments.joined(separator: ", ")))"
        }
    }

    private static func cast(_ value: String, literal source: Token?, to type: SQLServerType, at token: Token) throws -> String {
        if type.family == .refused { throw Self.refuse("CAST to \(type.name)", at: token) }
        if let source, type.family == .character, let length = type.arguments.first.flatMap({ Int($0) }) {
            // CAST cuts a string to the length, where an INSERT refuses it.
            return literal(String(source.text.prefix(length)))
        }
        if let source {
            return try Self.convert(literal: source, to: type)
        }
        if type.family == .character, let length = type.arguments.first.flatMap({ Int($0) }) {
            return "substr(CAST(\(value) AS TEXT), 1, \(length))"
        }
        return CanonicalValues.wrap(value, family: type.family)
    }

    private mutating func datePart() throws -> (unit: String, token: Token) {
        let token = try self.next()
        let units: [String: String] = [
            "YEAR": "years", "YY": "years", "YYYY": "years", "MONTH": "months", "MM": "months", "M": "months",
            "DAY": "days", "DD": "days", "D": "days", "HOUR": "hours", "HH": "hours", "MINUTE": "minutes", "MI": "minutes",
            "N": "minutes", "SECOND": "seconds", "SS": "seconds", "S": "seconds", "MILLISECOND": "milliseconds", "MS": "milliseconds",
        ]
        guard token.kind == .word, let unit = units[token.text.uppercased()] else { throw Self.refuse("the date part \(token.text)", at: token) }
        return (unit, token)
    }

    /// DATEDIFF counts the boundaries of `unit` crossed between the two instants, as SQL Server does.
    private static func dateDifference(_ unit: String, from: String, to: String) -> String {
        func year(_ value: String) -> String { "CAST(strftime('%Y', \(value)) AS INTEGER)" }
        func month(_ value: String) -> String { "CAST(strftime('%m', \(value)) AS INTEGER)" }
        func truncated(_ format: String, scale: Int) -> String {
            "CAST(round((julianday(strftime('\(format)', \(to))) - julianday(strftime('\(format)', \(from)))) * \(scale)) AS INTEGER)"
        }
        switch unit {
        case "years": return "(\(year(to)) - \(year(from)))"
        case "months": return "((\(year(to)) - \(year(from))) * 12 + \(month(to)) - \(month(from)))"
        case "days": return truncated("%Y-%m-%d", scale: 1)
        case "hours": return truncated("%Y-%m-%d %H:00:00", scale: 24)
        case "minutes": return truncated("%Y-%m-%d %H:%M:00", scale: 1440)
        case "seconds": return truncated("%Y-%m-%d %H:%M:%S", scale: 86_400)
        default: return "CAST(round((julianday(\(to)) - julianday(\(from))) * 86400000) AS INTEGER)"
        }
    }
}
