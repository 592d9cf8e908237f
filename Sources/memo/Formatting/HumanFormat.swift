import Memo

/// How the tool writes numbers, sizes and times for people.
enum HumanFormat {
    /// A size as the library writes sizes (``ByteCount``'s description): decimal units,
    /// two decimals, "512 B", "62.50 KB", "1.50 GB".
    static func size(_ bytes: Int) -> String {
        ByteCount(bytes).description
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

    /// A compute time with three significant figures, as `Memo.report()` writes them:
    /// "1.20 s", "12.3 ms", "950 µs"; "-" for none (an entry whose cost is not known).
    static func computeTime(_ time: Duration) -> String {
        time == .zero ? "-" : Memo.formatDuration(time)
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
}
