import Memo

/// A four-field argument keyed by its `Encodable` conformance alone.
struct CodableQuery: Codable, StableHashable {
    var table: String
    var limit: Int
    var threshold: Double
    var descending: Bool
}

/// The same struct with a hand-written `stableHash(into:)`, field by field: what a user had
/// to write before `Encodable` keys.
struct HandWrittenQuery: StableHashable {
    var table: String
    var limit: Int
    var threshold: Double
    var descending: Bool

    func stableHash(into hasher: inout StableHasher) {
        hasher.combine(table)
        hasher.combine(limit)
        hasher.combine(threshold)
        hasher.combine(descending)
    }
}

/// A `Codable` struct holding a large array: its field keys through `[Double]`'s own
/// one-block conformance.
struct CodableSeries: Codable, StableHashable {
    var values: [Double]
}

/// Scenario 16: keys of `Codable` arguments.
extension Scenarios {
    static func codableQueries(_ count: Int) -> ([CodableQuery], [HandWrittenQuery]) {
        let codable = (0..<count).map { i in
            CodableQuery(
                table: "table \(i % 16)", limit: i, threshold: Double(i) / 3, descending: i & 1 == 0)
        }
        let handWritten = codable.map { query in
            HandWrittenQuery(
                table: query.table, limit: query.limit, threshold: query.threshold,
                descending: query.descending)
        }
        return (codable, handWritten)
    }

    /// 16: the key of a four-field `Codable` struct against its hand-written conformance.
    static func codableKey() -> BenchmarkResult {
        let (codable, handWritten) = codableQueries(1024)
        let n = 200_000
        let (ours, baseline) = Measure.pair(
            iterations: n,
            ours: {
                for i in 0..<n { blackHole(CacheKey(hashing: codable[i & 1023])) }
            },
            baseline: {
                for i in 0..<n { blackHole(CacheKey(hashing: handWritten[i & 1023])) }
            })
        return BenchmarkResult(
            name: "16 key of a Codable struct", ours: ours * 1e9, baseline: baseline * 1e9,
            unit: "ns/key", ratio: ours / baseline, target: 2, direction: .atMost,
            note: "CacheKey of a four-field Codable struct (String, Int, Double, Bool) vs the "
                + "same struct's hand-written stableHash(into:)")
    }

    /// 16b: the key of a `Codable` struct holding an 8 MiB `[Double]` against the bare array.
    static func codableLargeKey() -> BenchmarkResult {
        let values = (0..<(1 << 20)).map { Double($0) * 0.5 }
        let series = CodableSeries(values: values)
        let bytes = Double(values.count * 8)
        let n = 20
        let (ours, baseline) = Measure.pair(
            iterations: n,
            ours: { for _ in 0..<n { blackHole(CacheKey(hashing: series)) } },
            baseline: { for _ in 0..<n { blackHole(CacheKey(hashing: values)) } })
        let oursThroughput = bytes / ours / 1e9
        let baselineThroughput = bytes / baseline / 1e9
        return BenchmarkResult(
            name: "16b key of a Codable 8 MiB", ours: oursThroughput,
            baseline: baselineThroughput, unit: "GB/s",
            ratio: oursThroughput / baselineThroughput, target: 0.9, direction: .atLeast,
            note: "CacheKey of a Codable struct holding an 8 MiB [Double] vs of the bare array")
    }

    /// 16c: a memoized hit whose argument is the four-field `Codable` struct, against the
    /// same function taking the hand-written one. No target in the issue: the guard is 2×,
    /// the key's own.
    static func codableMemoizedHit() throws -> BenchmarkResult {
        var configuration = CacheConfiguration()
        configuration.maxMemory = .megabytes(64)
        try Memo.configure(configuration)
        let codableLimit = Memo.memoized(name: "bench.codable") { (q: CodableQuery) -> Int in
            q.limit &* 2
        }
        let handWrittenLimit = Memo.memoized(name: "bench.hand") { (q: HandWrittenQuery) -> Int in
            q.limit &* 2
        }
        let (codable, handWritten) = codableQueries(1024)
        for i in 0..<1024 {
            _ = codableLimit(codable[i])
            _ = handWrittenLimit(handWritten[i])
        }
        let n = 200_000
        let (ours, baseline) = Measure.pair(
            iterations: n,
            ours: {
                var sum = 0
                for i in 0..<n { sum &+= codableLimit(codable[i & 1023]) }
                blackHole(sum)
            },
            baseline: {
                var sum = 0
                for i in 0..<n { sum &+= handWrittenLimit(handWritten[i & 1023]) }
                blackHole(sum)
            })
        return BenchmarkResult(
            name: "16c memoized hit, Codable arg", ours: ours * 1e9, baseline: baseline * 1e9,
            unit: "ns/call", ratio: ours / baseline, target: 2, direction: .atMost,
            note: "Memo.memoized hit taking the four-field Codable struct vs the hand-written one")
    }
}
