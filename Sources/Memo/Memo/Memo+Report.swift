extension Memo {
    /// A text table of every memoized function's figures, one row each, then the cache
    /// totals.
    ///
    /// ```
    /// function  calls  hits  misses  hit rate  from disk  computing   saved    held    memory       disk  missed because
    /// spectrum     72    48      24     66.7%         24     938 ms  1.88 s  938 ms  95.64 KB  199.10 KB  new key 20, evicted 4
    /// ```
    ///
    /// `hits` counts hits from memory, from disk (`from disk`) and, with a shared tier,
    /// from the tier (`from tier`, a column shown only then); `computing` is the time
    /// spent running the body; `saved` estimates what the hits spared: the average
    /// computation time times the hits; `held` is the compute time of the results the cache
    /// holds for it (memory and disk: what recomputing them would cost). `memory` and `disk`
    /// are the bytes the function's entries hold in this cache; a function given
    /// `maxMemory:` shows its quota beside them (`quota`, a column shown only when some
    /// function has one). `missed because` breaks the misses down by
    /// ``MissReason``. A function with a ``Freshness`` that served stale results adds
    /// `freshness` (a column shown only then): its stale hits, refreshes, failed refreshes
    /// and stale-on-error hits, where not zero. ``reportRecords()`` returns the same
    /// figures as values.
    public static func report() -> String {
        let context = currentContext
        // The shared tier's column only where there is one.
        let sharing = context.cache.shared != nil
        let reports = reportRecords(context)
        let refreshing = reports.contains { !freshnessSummary($0).isEmpty }
        let quotas = reports.contains { $0.memoryQuota != nil }
        var heading = ["function", "calls", "hits", "misses", "hit rate", "from disk"]
        if sharing { heading.append("from tier") }
        heading += ["computing", "saved", "held", "memory"]
        if quotas { heading.append("quota") }
        heading.append("disk")
        if refreshing { heading.append("freshness") }
        heading.append("missed because")
        var rows = [heading]
        for report in reports {
            let name =
                report.version == 0 ? report.function : "\(report.function) v\(report.version)"
            let reasons = MissReason.allCases.compactMap { reason -> String? in
                let count = report.misses[reason] ?? 0
                return count > 0 ? "\(reason) \(count)" : nil
            }
            var row = [
                name, "\(report.calls)", "\(report.hits)", "\(report.missCount)",
                percentage(report.hits, of: report.calls), "\(report.diskHits)",
            ]
            if sharing { row.append("\(report.sharedHits)") }
            row += [
                formatDuration(report.computeTime), formatDuration(report.timeSaved),
                formatDuration(report.computeTimeHeld), "\(ByteCount(report.memoryBytes))",
            ]
            if quotas { row.append(report.memoryQuota.map { "\($0)" } ?? "-") }
            row.append("\(ByteCount(report.diskBytes))")
            if refreshing { row.append(freshnessSummary(report).nonEmpty ?? "-") }
            row.append(reasons.isEmpty ? "-" : reasons.joined(separator: ", "))
            rows.append(row)
        }
        let stats = context.cache.stats
        var lines = alignedTable(rows)
        lines.append("")
        lines.append(
            "cache: \(stats.hits) hits (\(stats.diskHits) from disk"
                + (sharing ? ", \(stats.sharedHits) from the shared tier" : "")
                + "), \(stats.misses) misses, "
                + "\(percentage(stats.hits, of: stats.hits + stats.misses)) hit rate; "
                + "\(stats.spills) spills, \(stats.evictions) evictions, "
                + "\(stats.expirations) expirations, \(stats.failures) failures")
        lines.append(
            "memory: \(ByteCount(stats.memoryBytes)) in \(stats.memoryEntries) entries "
                + "(budget \(context.cache.configuration.maxMemory)); "
                + "disk: \(ByteCount(stats.diskBytes)) in \(stats.diskEntries) files")
        return lines.joined(separator: "\n")
    }

    /// Every memoized function's figures, sorted by name then version: what
    /// ``report()`` prints, for programs.
    /// A function's freshness figures that are not zero, as the report shows them.
    static func freshnessSummary(_ report: FunctionReport) -> String {
        [
            ("stale", report.staleHits), ("refreshed", report.refreshes),
            ("refresh failed", report.refreshFailures),
            ("stale on error", report.staleOnErrorHits),
        ].filter { $0.1 > 0 }.map { "\($0.0) \($0.1)" }.joined(separator: ", ")
    }

    public static func reportRecords() -> [FunctionReport] {
        reportRecords(currentContext)
    }

    static func reportRecords(_ context: MemoContext) -> [FunctionReport] {
        let bytes = context.cache.bytesByFunction
        return context.records.map { report(of: $0, held: bytes[$0.function] ?? .init()) }
    }

    /// The report of one function's record in `context`.
    static func report(of record: FunctionRecord, in context: MemoContext) -> FunctionReport {
        report(of: record, held: context.cache.bytesByFunction[record.function] ?? .init())
    }

    private static func report(
        of record: FunctionRecord, held: SpillingCache.FunctionHoldings
    ) -> FunctionReport {
        let counts = record.snapshot
        var misses: [MissReason: Int] = [:]
        for reason in MissReason.allCases {
            misses[reason] = counts.missesByReason[reason.index]
        }
        return FunctionReport(
            function: record.function.name, version: record.function.version,
            memoryHits: counts.memoryHits, diskHits: counts.diskHits,
            sharedHits: counts.sharedHits, misses: misses,
            computeTime: counts.computeTime, timeSaved: counts.timeSaved,
            memoryBytes: held.memory, diskBytes: held.disk, staleHits: counts.staleHits,
            refreshes: counts.refreshes, refreshFailures: counts.refreshFailures,
            staleOnErrorHits: counts.staleOnErrorHits, computeTimeHeld: held.computeTime,
            memoryQuota: held.memoryQuota.map { ByteCount($0) })
    }

    /// Removes one memoized function's entries (every version), from memory and from
    /// disk, and from a persistent directory's index whichever process wrote them. Other
    /// functions' entries stay; the function's figures in ``report()`` are kept.
    ///
    /// - Parameter function: the name given to `Memo.memoized(name:)`
    ///   (or the call site, `#fileID:#line`, of an unnamed one).
    public static func clear(function: String) {
        cache.removeAll(function: function)
    }

    /// Rows padded to their columns' widths: the first and last columns left-aligned, the
    /// others right-aligned, two spaces apart.
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
                return column == 0 || column == columns - 1 ? cell + padding : padding + cell
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
    package static func formatDuration(_ duration: Duration) -> String {
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

extension String {
    /// The string, or `nil` when it is empty.
    fileprivate var nonEmpty: String? { isEmpty ? nil : self }
}
