extension Memo {
    /// A text table of every memoized function's figures, one row each, then the cache
    /// totals.
    ///
    /// ```
    /// function   calls  hits  misses  hit rate  computing  saved
    /// spectrum      40    30      10    75.0%     1.20 s   3.60 s
    /// ```
    ///
    /// `computing` is the time spent running the body; `saved` estimates what the hits
    /// spared: the average computation time times the hits.
    public static func report() -> String {
        let context = currentContext
        var rows = [["function", "calls", "hits", "misses", "hit rate", "computing", "saved"]]
        for record in context.records {
            let counts = record.snapshot
            let calls = counts.hits + counts.misses
            rows.append([
                record.name, "\(calls)", "\(counts.hits)", "\(counts.misses)",
                percentage(counts.hits, of: calls),
                formatDuration(counts.computeTime), formatDuration(counts.timeSaved),
            ])
        }
        let stats = context.cache.stats
        var lines = alignedTable(rows)
        lines.append("")
        lines.append(
            "cache: \(stats.hits) hits (\(stats.diskHits) from disk), \(stats.misses) misses, "
                + "\(percentage(stats.hits, of: stats.hits + stats.misses)) hit rate; "
                + "\(stats.spills) spills, \(stats.evictions) evictions, "
                + "\(stats.expirations) expirations, \(stats.failures) failures")
        lines.append(
            "memory: \(ByteCount(stats.memoryBytes)) in \(stats.memoryEntries) entries "
                + "(budget \(context.cache.configuration.maxMemory)); "
                + "disk: \(ByteCount(stats.diskBytes)) in \(stats.diskEntries) files")
        return lines.joined(separator: "\n")
    }

    /// Rows padded to their columns' widths: the first column left-aligned, the others
    /// right-aligned, two spaces apart.
    static func alignedTable(_ rows: [[String]]) -> [String] {
        let columns = rows.map(\.count).max() ?? 0
        var widths = [Int](repeating: 0, count: columns)
        for row in rows {
            for (column, cell) in row.enumerated() {
                widths[column] = max(widths[column], cell.count)
            }
        }
        return rows.map { row in
            row.enumerated().map { column, cell in
                let padding = String(repeating: " ", count: widths[column] - cell.count)
                return column == 0 ? cell + padding : padding + cell
            }.joined(separator: "  ")
        }
    }

    /// "75.0%", or "-" when there is nothing to divide.
    static func percentage(_ part: Int, of whole: Int) -> String {
        guard whole > 0 else { return "-" }
        let permille = (part * 1000 + whole / 2) / whole
        return "\(permille / 10).\(permille % 10)%"
    }

    /// A duration with three significant figures and a unit: "1.20 s", "12.3 ms", "950 µs".
    static func formatDuration(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let nanoseconds = Double(seconds) * 1e9 + Double(attoseconds) / 1e9
        let (value, unit): (Double, String) =
            nanoseconds >= 1e9
            ? (nanoseconds / 1e9, "s")
            : nanoseconds >= 1e6
                ? (nanoseconds / 1e6, "ms")
                : nanoseconds >= 1e3
                    ? (nanoseconds / 1e3, "µs")
                    : (nanoseconds, "ns")
        let decimals = value >= 100 ? 0 : value >= 10 ? 1 : 2
        return "\(fixed(value, decimals: decimals)) \(unit)"
    }

    /// `value` rounded to `decimals` places, without Foundation.
    static func fixed(_ value: Double, decimals: Int) -> String {
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let scaled = Int((value * scale).rounded())
        guard decimals > 0 else { return "\(scaled)" }
        let whole = scaled / Int(scale)
        var fraction = String(scaled % Int(scale))
        while fraction.count < decimals { fraction = "0" + fraction }
        return "\(whole).\(fraction)"
    }
}
