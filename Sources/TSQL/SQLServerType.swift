import Foundation

/// A SQL Server column type as a script declares it, and how the emulator stores it in SQLite.
///
/// The SQLite declared type of a column is the SQL Server type as written (`nvarchar(max)`,
/// `datetime2(7)`, `int identity(1,1)`), so the type travels with the table: schema refresh reads it back
/// exactly, provisioning copies it to members, and a user's `sqlite3` shell shows it. Exact numerics carry a
/// suffix, `decimal(19,4) as text`, because SQLite gives any other spelling of them NUMERIC affinity, which
/// would turn `12.3400` into the binary float 12.34.
public struct SQLServerType: Sendable, Equatable {
    /// How values of a type are stored and made canonical.
    public enum Family: Sendable, Equatable {
        case integer
        case bit
        /// `decimal`, `numeric`, `money`, `smallmoney`: canonical text with exactly `scale` decimals.
        case exactNumeric(scale: Int)
        case approximate
        case date
        /// `time(n)`: `HH:MM:SS` and `n` fractional digits.
        case time(digits: Int)
        /// `datetime`, `smalldatetime`, `datetime2(n)`: `YYYY-MM-DD HH:MM:SS` and `digits` fractional digits.
        case dateTime(digits: Int)
        /// `datetimeoffset(n)`: as `dateTime`, then ` +HH:MM`.
        case dateTimeOffset(digits: Int)
        case character
        case binary
        case uniqueidentifier
        /// Types Data Sync refuses to sync (`xml`, `geography`…): stored, reported as unsupported.
        case refused
    }

    /// An `IDENTITY(seed, increment)` column.
    public struct Identity: Sendable, Equatable {
        public var seed: Int64
        public var increment: Int64
    }

    /// The type name in lower case, as SQL Server reports it.
    public var name: String
    /// The arguments as written, lower case: `["max"]`, `["19", "4"]`, or none.
    public var arguments: [String]
    public var identity: Identity?

    private static let exactSuffix = " as text"

    /// The types of the subset: name → family for their default arguments, and the service's `dataSize`.
    private static let known: [String: (size: String, refused: Bool)] = [
        "int": ("4", false), "bigint": ("8", false), "smallint": ("2", false), "tinyint": ("1", false),
        "bit": ("1", false), "decimal": ("", false), "numeric": ("", false), "money": ("8", false),
        "smallmoney": ("4", false), "float": ("8", false), "real": ("4", false), "date": ("3", false),
        "time": ("5", false), "datetime": ("8", false), "smalldatetime": ("4", false), "datetime2": ("8", false),
        "datetimeoffset": ("10", false), "char": ("", false), "varchar": ("", false), "nchar": ("", false),
        "nvarchar": ("", false), "text": ("max", false), "ntext": ("max", false), "binary": ("", false),
        "varbinary": ("", false), "uniqueidentifier": ("16", false),
        "xml": ("", true), "geography": ("", true), "geometry": ("", true), "hierarchyid": ("", true),
        "sql_variant": ("", true), "timestamp": ("", true), "rowversion": ("", true), "image": ("", true),
    ]

    /// Whether `name` is a type of the subset.
    public static func isKnown(_ name: String) -> Bool {
        self.known[name.lowercased()] != nil
    }

    public init(name: String, arguments: [String] = [], identity: Identity? = nil) {
        self.name = name.lowercased()
        self.arguments = arguments.map { $0.lowercased() }
        self.identity = identity
    }

    /// Reads back a SQLite declared type this type wrote; `nil` for anything else (a table created in the
    /// SQLite dialect), which the caller maps by SQLite's own rules.
    public init?(declared: String) {
        var text = declared.trimmingCharacters(in: .whitespaces).lowercased()
        if text.hasSuffix(Self.exactSuffix) { text.removeLast(Self.exactSuffix.count) }
        var identity: Identity?
        if let range = text.range(of: " identity(") {
            let numbers = text[range.upperBound...].dropLast().split(separator: ",").compactMap { Int64($0.trimmingCharacters(in: .whitespaces)) }
            guard text.hasSuffix(")"), numbers.count == 2 else { return nil }
            identity = Identity(seed: numbers[0], increment: numbers[1])
            text = String(text[..<range.lowerBound])
        }
        var arguments: [String] = []
        if let open = text.firstIndex(of: "(") {
            guard text.hasSuffix(")") else { return nil }
            arguments = text[text.index(after: open)..<text.index(before: text.endIndex)]
                .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            text = String(text[..<open]).trimmingCharacters(in: .whitespaces)
        }
        guard Self.isKnown(text) else { return nil }
        self.init(name: text, arguments: arguments, identity: identity)
    }

    /// The type as SQL Server spells it: `nvarchar(max)`, `decimal(19,4)`.
    public var spelled: String {
        self.arguments.isEmpty ? self.name : "\(self.name)(\(self.arguments.joined(separator: ",")))"
    }

    /// The SQLite declared type that stores this type (see the type's documentation).
    public var declaredType: String {
        var text = self.spelled
        if let identity { text += " identity(\(identity.seed),\(identity.increment))" }
        if case .exactNumeric = self.family { text += Self.exactSuffix }
        return text
    }

    public var family: Family {
        func digits(default value: Int) -> Int { self.arguments.first.flatMap { Int($0) } ?? value }
        switch self.name {
        case "int", "bigint", "smallint", "tinyint": return .integer
        case "bit": return .bit
        case "decimal", "numeric": return .exactNumeric(scale: self.arguments.count > 1 ? Int(self.arguments[1]) ?? 0 : 0)
        case "money", "smallmoney": return .exactNumeric(scale: 4)
        case "float", "real": return .approximate
        case "date": return .date
        case "time": return .time(digits: digits(default: 7))
        case "datetime": return .dateTime(digits: 3)
        case "smalldatetime": return .dateTime(digits: 0)
        case "datetime2": return .dateTime(digits: digits(default: 7))
        case "datetimeoffset": return .dateTimeOffset(digits: digits(default: 7))
        case "char", "varchar", "nchar", "nvarchar", "text", "ntext": return .character
        case "binary", "varbinary": return .binary
        case "uniqueidentifier": return .uniqueidentifier
        default: return .refused
        }
    }

    /// The `dataSize` a schema refresh reports: bytes for fixed types, the length or `max` as written, and
    /// `precision,scale` for `decimal`.
    public var dataSize: String {
        switch self.name {
        case "decimal", "numeric":
            let precision = self.arguments.first ?? "18"
            return "\(precision),\(self.arguments.count > 1 ? self.arguments[1] : "0")"
        case "char", "varchar", "nchar", "nvarchar", "binary", "varbinary":
            return self.arguments.first ?? "1"
        default:
            return Self.known[self.name]?.size ?? ""
        }
    }

    /// Whether Data Sync can sync columns of this type.
    public var isSupported: Bool {
        !(Self.known[self.name]?.refused ?? true)
    }

    /// Checks the arguments: counts, ranges, and `max` only where SQL Server allows it.
    /// - Returns: the problem, or `nil`.
    func argumentProblem() -> String? {
        let numbers = self.arguments.map { Int($0) }
        switch self.name {
        case "decimal", "numeric":
            guard self.arguments.count <= 2, numbers.allSatisfy({ $0 != nil }) else { return "decimal takes (precision[, scale])" }
            let precision = numbers.first.flatMap { $0 } ?? 18
            let scale = numbers.count > 1 ? numbers[1] ?? 0 : 0
            guard (1...38).contains(precision), (0...precision).contains(scale) else { return "decimal(\(precision),\(scale)) is out of range" }
        case "char", "nchar", "binary":
            guard self.arguments.count <= 1, numbers.allSatisfy({ ($0 ?? 0) > 0 }) else { return "\(self.name) takes (n)" }
        case "varchar", "nvarchar", "varbinary":
            guard self.arguments.count <= 1, self.arguments.allSatisfy({ $0 == "max" || (Int($0) ?? 0) > 0 }) else {
                return "\(self.name) takes (n) or (max)"
            }
        case "float":
            guard self.arguments.count <= 1, numbers.allSatisfy({ (1...53).contains($0 ?? 0) }) else { return "float takes (1…53)" }
        case "time", "datetime2", "datetimeoffset":
            guard self.arguments.count <= 1, numbers.allSatisfy({ (0...7).contains($0 ?? -1) }) else { return "\(self.name) takes (0…7)" }
        default:
            guard self.arguments.isEmpty else { return "\(self.name) takes no arguments" }
        }
        return nil
    }
}
