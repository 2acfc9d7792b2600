import DataSyncModel
import Foundation

/// ISO 8601 in UTC as the live service writes it: `2018-03-28T00:38:57.397Z`, no fraction when whole.
///
/// It uses the proleptic Gregorian calendar by hand, so `0001-01-01T00:00:00Z` (never synced) and
/// `9999-12-31T23:59:59.9999999Z` come out exactly.
enum WireDate {
    /// Writes `date`; one outside `0001-01-01` to `9999-12-31T23:59:59.999Z` (a state written before the clock
    /// was bounded) is written as the nearest end of that range, never trapping on the conversion.
    static func format(_ date: Date) -> String {
        let interval = date.timeIntervalSince1970
        let bounded = interval.isFinite ? min(max(interval, neverSyncedTime.timeIntervalSince1970), Self.lastMillisecond) : 0
        let totalMilliseconds = (bounded * 1000).rounded(.down)
        var seconds = Int64((totalMilliseconds / 1000).rounded(.down))
        let milliseconds = Int64(totalMilliseconds) - seconds * 1000
        var days = seconds / 86_400
        seconds -= days * 86_400
        if seconds < 0 {
            seconds += 86_400
            days -= 1
        }
        let (year, month, day) = civil(fromDays: days)
        // Digits by hand: `String(format:)` went through Foundation's formatter on every date of every answer.
        var text: [UInt8] = []
        text.reserveCapacity(24)
        // As `%0<count>lld` writes them: zero-padded to `count` characters, the sign counted.
        func digits(_ value: Int64, _ count: Int) {
            let magnitude = String(value.magnitude).utf8
            if value < 0 { text.append(UInt8(ascii: "-")) }
            let width = value < 0 ? count - 1 : count
            if magnitude.count < width {
                text.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: width - magnitude.count))
            }
            text.append(contentsOf: magnitude)
        }
        digits(year, 4)
        text.append(UInt8(ascii: "-"))
        digits(month, 2)
        text.append(UInt8(ascii: "-"))
        digits(day, 2)
        text.append(UInt8(ascii: "T"))
        digits(seconds / 3600, 2)
        text.append(UInt8(ascii: ":"))
        digits((seconds % 3600) / 60, 2)
        text.append(UInt8(ascii: ":"))
        digits(seconds % 60, 2)
        if milliseconds > 0 {
            text.append(UInt8(ascii: "."))
            digits(milliseconds, 3)
            while text.last == UInt8(ascii: "0") { text.removeLast() }
        }
        text.append(UInt8(ascii: "Z"))
        return String(decoding: text, as: UTF8.self)
    }

    /// Parses `yyyy-mm-ddThh:mm:ss[.fff][Z|±hh:mm]`; a time without a zone is UTC, as the service reads it.
    static func parse(_ text: String) -> Date? {
        let scalars = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int64? {
            guard range.upperBound <= scalars.count else { return nil }
            var value: Int64 = 0
            for index in range {
                let c = scalars[index]
                guard c >= 48, c <= 57 else { return nil }
                value = value * 10 + Int64(c - 48)
            }
            return value
        }
        guard scalars.count >= 10, scalars[4] == 45, scalars[7] == 45,
            let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
            (1...12).contains(month), (1...daysInMonth(year: year, month: month)).contains(day)
        else { return nil }
        var hour: Int64 = 0
        var minute: Int64 = 0
        var second: Int64 = 0
        var fraction = 0.0
        var offsetSeconds: Int64 = 0
        var index = 10
        if index < scalars.count {
            guard scalars[index] == 84 || scalars[index] == 116 || scalars[index] == 32,
                let h = number(11..<13), scalars.count >= 19, scalars[13] == 58, let m = number(14..<16),
                scalars[16] == 58, let s = number(17..<19), h < 24, m < 60, s < 60
            else { return nil }
            (hour, minute, second) = (h, m, s)
            index = 19
            if index < scalars.count, scalars[index] == 46 {
                var digits = 0
                var value = 0.0
                var scale = 0.1
                index += 1
                while index < scalars.count, scalars[index] >= 48, scalars[index] <= 57 {
                    value += Double(scalars[index] - 48) * scale
                    scale /= 10
                    digits += 1
                    index += 1
                }
                guard digits > 0, digits <= 9 else { return nil }
                fraction = value
            }
            if index < scalars.count {
                if scalars[index] == 90 || scalars[index] == 122 {
                    index += 1
                } else if scalars[index] == 43 || scalars[index] == 45 {
                    guard let oh = number((index + 1)..<(index + 3)), index + 6 == scalars.count,
                        scalars[index + 3] == 58, let om = number((index + 4)..<(index + 6)), oh <= 14, om < 60
                    else { return nil }
                    offsetSeconds = (oh * 3600 + om * 60) * (scalars[index] == 43 ? 1 : -1)
                    index += 6
                }
            }
            guard index == scalars.count else { return nil }
        }
        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }

    /// The last millisecond of `9999-12-31`.
    private static let lastMillisecond = EmulatorClock.latest.timeIntervalSince1970 + 0.999

    private static func daysInMonth(year: Int64, month: Int64) -> Int64 {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    private static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    private static func civil(fromDays days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
