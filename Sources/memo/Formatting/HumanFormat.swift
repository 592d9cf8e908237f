/// How the tool writes numbers, sizes and times for people.
enum HumanFormat {
    /// A size in decimal units with two decimals: "512 B", "62.50 KB", "1.50 GB".
    static func size(_ bytes: Int) -> String {
        let units = ["KB", "MB", "GB", "TB", "PB"]
        guard bytes >= 1000 || bytes <= -1000 else { return "\(bytes) B" }
        var value = Double(bytes) / 1000
        var unit = 0
        while abs(value) >= 999.995 && unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        return "\(fixed(value, decimals: 2)) \(units[unit])"
    }

    /// How long before `now` a time was: "just now", "12 s ago", "5 min ago", "3 h ago",
    /// "2 d ago" (and "in 4 s" for a clock ahead of this machine's).
    static func relative(_ time: Duration, now: Duration) -> String {
        let milliseconds =
            (now - time).components.seconds * 1000
            + (now - time).components.attoseconds / 1_000_000_000_000_000
        let seconds = abs(milliseconds) / 1000
        guard seconds >= 1 else { return "just now" }
        let amount: String
        switch seconds {
        case ..<60: amount = "\(seconds) s"
        case ..<3600: amount = "\(seconds / 60) min"
        case ..<86_400: amount = "\(seconds / 3600) h"
        default: amount = "\(seconds / 86_400) d"
        }
        return milliseconds >= 0 ? "\(amount) ago" : "in \(amount)"
    }

    /// A count with thousands separators: "100,000".
    static func count(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var grouped = ""
        for (offset, digit) in digits.enumerated() {
            if offset > 0 && (digits.count - offset) % 3 == 0 { grouped.append(",") }
            grouped.append(digit)
        }
        return (value < 0 ? "-" : "") + grouped
    }

    /// `value` rounded to `decimals` places, without Foundation's formatters.
    static func fixed(_ value: Double, decimals: Int) -> String {
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let scaled = Int((abs(value) * scale).rounded())
        let whole = scaled / Int(scale)
        var fraction = String(scaled % Int(scale))
        while fraction.count < decimals { fraction = "0" + fraction }
        return (value < 0 ? "-" : "") + "\(whole)" + (decimals > 0 ? ".\(fraction)" : "")
    }
}
