import Foundation

/// A T-SQL token with the place it was written, so every refusal can name its line and column.
public struct Token: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// A bare word: a keyword or an unquoted identifier.
        case word
        /// `[x]` or `"x"`; the text is the name without its quotes.
        case quotedIdentifier
        /// `'x'` or `N'x'`; the text is the value without quotes and with `''` undoubled.
        case string
        case number
        /// `0x…`; the text is the hex digits.
        case binary
        /// `@name` or `@@name`; outside the subset, kept so the refusal can name it.
        case variable
        /// `?`, a positional parameter of the query endpoint.
        case parameter
        /// Operators and punctuation: `( ) , . ; + - * / % = < > <= >= <> != ! ~ & | ^`.
        case symbol
    }

    public var kind: Kind
    public var text: String
    public var line: Int
    public var column: Int

    /// Whether this is the bare word `word`, case-insensitively.
    func isWord(_ word: String) -> Bool {
        self.kind == .word && self.text.caseInsensitiveCompare(word) == .orderedSame
    }

    func isSymbol(_ symbol: String) -> Bool {
        self.kind == .symbol && self.text == symbol
    }

    /// The word in upper case, or `nil` when this is not a bare word.
    var keyword: String? {
        self.kind == .word ? self.text.uppercased() : nil
    }
}

/// A refusal or a failure of a T-SQL script, at a line and column of what the user wrote.
public struct TSQLError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public var line: Int
    public var column: Int

    public init(_ message: String, line: Int, column: Int) {
        self.message = message
        self.line = line
        self.column = column
    }

    init(_ message: String, at token: Token) {
        self.init(message, line: token.line, column: token.column)
    }

    public var description: String { "\(self.message) (line \(self.line), column \(self.column))" }
}

/// Splits a T-SQL script into batches (at `GO` lines) of tokens, dropping comments.
public enum Lexer {
    /// - Throws: ``TSQLError`` for an unterminated string, identifier or comment, or a character T-SQL has no use for.
    public static func batches(_ script: String) throws -> [[Token]] {
        var batches: [[Token]] = []
        var current: [Token] = []
        let characters = Array(script.unicodeScalars)
        var index = 0
        var line = 1
        var lineStart = 0
        func column(_ at: Int) -> Int { at - lineStart + 1 }
        func peek(_ offset: Int = 0) -> Unicode.Scalar? {
            index + offset < characters.count ? characters[index + offset] : nil
        }
        func advance() {
            if characters[index] == "\n" {
                line += 1
                lineStart = index + 1
            }
            index += 1
        }
        /// Whether only blanks stand between the start of the current line and `at`.
        func startsLine(_ at: Int) -> Bool {
            var position = at - 1
            while position >= lineStart {
                if characters[position] != " " && characters[position] != "\t" { return false }
                position -= 1
            }
            return true
        }
        func isWordStart(_ scalar: Unicode.Scalar) -> Bool {
            scalar == "_" || scalar == "#" || scalar.properties.isAlphabetic
        }
        func isWordPart(_ scalar: Unicode.Scalar) -> Bool {
            isWordStart(scalar) || ("0"..."9").contains(scalar) || scalar == "$"
        }
        func delimited(until close: Unicode.Scalar, what: String) throws -> String {
            let startLine = line
            let startColumn = column(index)
            advance()
            var text = ""
            while true {
                guard let scalar = peek() else {
                    throw TSQLError("unterminated \(what)", line: startLine, column: startColumn)
                }
                if scalar == close {
                    if peek(1) == close {
                        text.unicodeScalars.append(close)
                        advance()
                        advance()
                        continue
                    }
                    advance()
                    return text
                }
                text.unicodeScalars.append(scalar)
                advance()
            }
        }

        while let scalar = peek() {
            let tokenLine = line
            let tokenColumn = column(index)
            func add(_ kind: Token.Kind, _ text: String) {
                current.append(Token(kind: kind, text: text, line: tokenLine, column: tokenColumn))
            }
            switch scalar {
            case " ", "\t", "\r", "\n":
                advance()
            case "-" where peek(1) == "-":
                while let next = peek(), next != "\n" { advance() }
            case "/" where peek(1) == "*":
                var depth = 0
                repeat {
                    guard peek() != nil else {
                        throw TSQLError("unterminated /* comment", line: tokenLine, column: tokenColumn)
                    }
                    if peek() == "/" && peek(1) == "*" {
                        depth += 1
                        advance()
                    } else if peek() == "*" && peek(1) == "/" {
                        depth -= 1
                        advance()
                    }
                    advance()
                } while depth > 0
            case "'":
                add(.string, try delimited(until: "'", what: "string literal"))
            case "N" where peek(1) == "'", "n" where peek(1) == "'":
                advance()
                add(.string, try delimited(until: "'", what: "string literal"))
            case "[":
                add(.quotedIdentifier, try delimited(until: "]", what: "[identifier]"))
            case "\"":
                add(.quotedIdentifier, try delimited(until: "\"", what: "\"identifier\""))
            case "0" where peek(1) == "x" || peek(1) == "X":
                advance()
                advance()
                var hex = ""
                while let next = peek(), next.properties.isASCIIHexDigit {
                    hex.unicodeScalars.append(next)
                    advance()
                }
                add(.binary, hex)
            case _ where ("0"..."9").contains(scalar) || (scalar == "." && peek(1).map { ("0"..."9").contains($0) } == true):
                var text = ""
                while let next = peek(), ("0"..."9").contains(next) || next == "." {
                    text.unicodeScalars.append(next)
                    advance()
                }
                if let next = peek(), next == "e" || next == "E" {
                    text.unicodeScalars.append(next)
                    advance()
                    if let sign = peek(), sign == "+" || sign == "-" {
                        text.unicodeScalars.append(sign)
                        advance()
                    }
                    while let digit = peek(), ("0"..."9").contains(digit) {
                        text.unicodeScalars.append(digit)
                        advance()
                    }
                }
                add(.number, text)
            case "@":
                var text = ""
                while let next = peek(), next == "@" || isWordPart(next) {
                    text.unicodeScalars.append(next)
                    advance()
                }
                add(.variable, text)
            case "?":
                advance()
                add(.parameter, "?")
            case _ where isWordStart(scalar):
                var text = ""
                while let next = peek(), isWordPart(next) {
                    text.unicodeScalars.append(next)
                    advance()
                }
                if text.uppercased() == "GO" && startsLine(index - text.unicodeScalars.count) {
                    var rest = index
                    while rest < characters.count, characters[rest] == " " || characters[rest] == "\t" || characters[rest] == "\r" {
                        rest += 1
                    }
                    if rest == characters.count || characters[rest] == "\n" || (characters[rest] == "-" && rest + 1 < characters.count && characters[rest + 1] == "-") {
                        if !current.isEmpty { batches.append(current) }
                        current = []
                        continue
                    }
                }
                add(.word, text)
            default:
                advance()
                let pair = String(scalar) + (peek().map(String.init) ?? "")
                if ["<=", ">=", "<>", "!=", "!<", "!>"].contains(pair) {
                    advance()
                    add(.symbol, pair)
                } else if "(),.;+-*/%=<>!~&|^".unicodeScalars.contains(scalar) {
                    add(.symbol, String(scalar))
                } else {
                    throw TSQLError("unexpected character '\(scalar)'", line: tokenLine, column: tokenColumn)
                }
            }
        }
        if !current.isEmpty { batches.append(current) }
        return batches
    }
}
