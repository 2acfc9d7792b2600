import Foundation

/// The one text form of each value kind that must compare equal on the hub and every member: literals are
/// made canonical while translating (exactly, in Swift), other expressions by SQL wrapped around them.
enum CanonicalValues {
    /// `text` as a decimal with exactly `scale` decimals, rounded half away from zero as SQL Server rounds;
    /// `nil` when it is not a plain decimal number.
    static func decimal(_ text: String, scale: Int) -> String? {
        var body = Substring(text.trimmingCharacters(in: .whitespaces))
        var negative = false
        if let sign = body.first, sign == "-" || sign == "+" {
            negative = sign == "-"
            body = body.dropFirst()
        }
        let parts = body.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), parts.allSatisfy({ $0.allSatisfy(\.isASCIIDigit) }),
            parts.contains(where: { !$0.isEmpty })
        else { return nil }
        var digits = Array(parts[0]).map { Int($0.asciiValue! - 48) }
        var fraction = parts.count > 1 ? Array(parts[1]).map { Int($0.asciiValue! - 48) } : []
        let roundUp = fraction.count > scale && fraction[scale] >= 5
        fraction = Array(fraction.prefix(scale)) + Array(repeating: 0, count: max(0, scale - fraction.count))
        var all = digits + fraction
        if roundUp {
            var index = all.count - 1
            while index >= 0 {
                if all[index] == 9 {
                    all[index] = 0
                    index -= 1
                } else {
                    all[index] += 1
                    break
                }
            }
            if index < 0 { all.insert(1, at: 0) }
        }
        digits = Array(all.prefix(all.count - scale))
        fraction = Array(all.suffix(scale))
        while digits.count > 1 && digits.first == 0 { digits.removeFirst() }
        if digits.isEmpty { digits = [0] }
        let isZero = all.allSatisfy { $0 == 0 }
        var result = (negative && !isZero ? "-" : "") + digits.map(String.init).joined()
        if scale > 0 { result += "." + fraction.map(String.init).joined() }
        return result
    }

    private static let dateTimePattern = try! NSRegularExpression(
        pattern: #"^(\d{4})-?(\d{2})-?(\d{2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{0,9}))?)?)?\s*(Z|[+-]\d{2}:\d{2})?$"#
    )
    private static let timePattern = try! NSRegularExpression(pattern: #"^(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{0,9}))?)?$"#)

    /// A date or time literal in the canonical form of `family`; `nil` when SQL Server could not convert it.
    static func temporal(_ text: String, family: SQLServerType.Family) -> String? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let whole = NSRange(trimmed.startIndex..., in: trimmed)
        func group(_ match: NSTextCheckingResult, _ index: Int) -> String? {
            let range = match.range(at: index)
            guard range.location != NSNotFound, let swiftRange = Range(range, in: trimmed) else { return nil }
            return String(trimmed[swiftRange])
        }
        func clock(_ hour: String?, _ minute: String?, _ second: String?, _ fraction: String?, digits: Int) -> String? {
            let h = Int(hour ?? "0") ?? 99
            let m = Int(minute ?? "0") ?? 99
            let s = Int(second ?? "0") ?? 99
            guard h < 24, m < 60, s < 60 else { return nil }
            var text = String(format: "%02d:%02d:%02d", h, m, s)
            if digits > 0 {
                let given = fraction ?? ""
                text += "." + String((given + String(repeating: "0", count: digits)).prefix(digits))
            }
            return text
        }
        if case .time(let digits) = family {
            guard let match = self.timePattern.firstMatch(in: trimmed, range: whole) else {
                return self.temporal(trimmed, family: .dateTime(digits: digits)).map { String($0.dropFirst(11)) }
            }
            return clock(group(match, 1), group(match, 2), group(match, 3), group(match, 4), digits: digits)
        }
        guard let match = self.dateTimePattern.firstMatch(in: trimmed, range: whole),
            let year = group(match, 1).flatMap({ Int($0) }), let month = group(match, 2).flatMap({ Int($0) }),
            let day = group(match, 3).flatMap({ Int($0) })
        else { return nil }
        var components = DateComponents()
        components.year = year
        components.month = month
        components.day = day
        let calendar = Calendar(identifier: .gregorian)
        guard (1...12).contains(month), (1...31).contains(day), calendar.date(from: components).map({ calendar.component(.day, from: $0) == day }) == true
        else { return nil }
        let date = String(format: "%04d-%02d-%02d", year, month, day)
        let offset = group(match, 8).map { $0 == "Z" ? "+00:00" : $0 } ?? "+00:00"
        switch family {
        case .date:
            return date
        case .dateTime(let digits):
            return clock(group(match, 4), group(match, 5), group(match, 6), group(match, 7), digits: digits).map { "\(date) \($0)" }
        case .dateTimeOffset(let digits):
            return clock(group(match, 4), group(match, 5), group(match, 6), group(match, 7), digits: digits).map { "\(date) \($0) \(offset)" }
        default:
            return nil
        }
    }

    /// A `uniqueidentifier` in SQL Server's display form: upper case, hyphenated, no braces.
    static func guid(_ text: String) -> String? {
        var body = text.trimmingCharacters(in: .whitespaces)
        if body.hasPrefix("{") && body.hasSuffix("}") { body = String(body.dropFirst().dropLast()) }
        guard let uuid = UUID(uuidString: body) else { return nil }
        return uuid.uuidString.uppercased()
    }

    /// `instant` in the canonical form of `family`, for the clock functions.
    static func instant(_ instant: Date, family: SQLServerType.Family) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: instant)
        let seconds = instant.timeIntervalSince1970
        let fraction = Int64(((seconds - seconds.rounded(.down)) * 10_000_000).rounded(.down))
        let text = String(
            format: "%04d-%02d-%02d %02d:%02d:%02d.%07lld",
            parts.year!, parts.month!, parts.day!, parts.hour!, parts.minute!, parts.second!, fraction
        )
        return self.temporal(text, family: family) ?? text
    }

    /// SQL that makes the value of `expression` canonical for `family`, keeping NULL.
    static func wrap(_ expression: String, family: SQLServerType.Family) -> String {
        switch family {
        case .integer:
            return "CAST(\(expression) AS INTEGER)"
        case .bit:
            return "(CASE WHEN (\(expression)) IS NULL THEN NULL WHEN upper(\(expression)) = 'TRUE' THEN 1 WHEN upper(\(expression)) = 'FALSE' THEN 0 WHEN (\(expression)) <> 0 THEN 1 ELSE 0 END)"
        case .exactNumeric(let scale):
            // Text already in this scale's form (a copied column) and integers stay exact; the rest is a
            // binary float SQLite computed, printed to the scale.
            let point = scale > 0 ? "length(\(expression)) - instr(\(expression), '.') = \(scale) AND instr(\(expression), '.') > 1" : "instr(\(expression), '.') = 0"
            let zeros = scale > 0 ? " || '.\(String(repeating: "0", count: scale))'" : ""
            return """
                (CASE WHEN (\(expression)) IS NULL THEN NULL \
                WHEN typeof(\(expression)) = 'integer' THEN CAST(\(expression) AS TEXT)\(zeros) \
                WHEN typeof(\(expression)) = 'text' AND NOT (\(expression) GLOB '*[^0-9.-]*') AND \(point) THEN \(expression) \
                ELSE printf('%.\(scale)f', \(expression)) END)
                """
        case .approximate:
            return "CAST(\(expression) AS REAL)"
        case .date:
            return "date(\(expression))"
        case .time(let digits):
            return self.clockSQL("strftime('%H:%M:%f', \(expression))", digits: digits, width: 8)
        case .dateTime(let digits):
            return self.clockSQL("strftime('%Y-%m-%d %H:%M:%f', \(expression))", digits: digits, width: 19)
        case .dateTimeOffset(let digits):
            return "(\(self.clockSQL("strftime('%Y-%m-%d %H:%M:%f', \(expression))", digits: digits, width: 19)) || ' +00:00')"
        case .character:
            return "CAST(\(expression) AS TEXT)"
        case .binary:
            return "CAST(\(expression) AS BLOB)"
        case .uniqueidentifier:
            return "upper(\(expression))"
        case .refused:
            return expression
        }
    }

    /// `strftime`'s `…SS.SSS` cut or padded to `digits` fractional digits.
    private static func clockSQL(_ formatted: String, digits: Int, width: Int) -> String {
        "substr(\(formatted) || '0000', 1, \(width + (digits > 0 ? digits + 1 : 0)))"
    }

    /// SQL for a new `uniqueidentifier` per row, in the canonical form (version 4, upper case).
    static let newGUID = "(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' || substr('89AB', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))"
}

extension Character {
    fileprivate var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
