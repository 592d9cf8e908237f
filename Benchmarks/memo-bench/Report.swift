/// The results table and `.build/benchmarks.json`.
enum Report {
    static func table(_ results: [BenchmarkResult]) -> String {
        var rows = [["scenario", "ours", "baseline", "unit", "ratio", "target", "met"]]
        for result in results {
            rows.append([
                result.name, number(result.ours),
                result.baseline.isNaN ? "-" : number(result.baseline),
                result.unit, number(result.ratio), result.targetText, result.met ? "yes" : "NO",
            ])
        }
        var widths = [Int](repeating: 0, count: rows[0].count)
        for row in rows {
            for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) }
        }
        return rows.map { row in
            row.enumerated().map { i, cell in
                let pad = String(repeating: " ", count: widths[i] - cell.count)
                return i == 0 || i == 3 ? cell + pad : pad + cell
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }

    static func json(_ results: [BenchmarkResult]) -> String {
        let records = results.map { r in
            """
              {"name": "\(r.name)", "ours": \(jsonNumber(r.ours)), "baseline": \(jsonNumber(r.baseline)), \
            "unit": "\(r.unit)", "ratio": \(jsonNumber(r.ratio)), "target": "\(r.targetText)", \
            "met": \(r.met), "note": "\(r.note)"}
            """
        }
        return "[\n" + records.joined(separator: ",\n") + "\n]\n"
    }

    static func jsonNumber(_ value: Double) -> String {
        value.isFinite ? "\(value)" : "null"
    }

    /// Three significant figures.
    static func number(_ value: Double) -> String {
        guard value.isFinite else { return "-" }
        let magnitude = abs(value)
        let decimals = magnitude >= 100 ? 0 : magnitude >= 10 ? 1 : magnitude >= 1 ? 2 : 3
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let scaled = Int((value * scale).rounded())
        guard decimals > 0 else { return "\(scaled)" }
        let whole = scaled / Int(scale)
        var fraction = String(abs(scaled) % Int(scale))
        while fraction.count < decimals { fraction = "0" + fraction }
        return "\(value < 0 && whole == 0 ? "-" : "")\(whole).\(fraction)"
    }
}
