#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import Memo
import MemoTesting

/// A benchmark that cannot run, and why.
struct BenchmarkError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension Scenarios {
    /// One access of `Fixtures/traces/costs.tsv`: a key, what its result costs to compute
    /// and how large it is.
    struct CostAccess {
        var key: Int
        var cost: Int  // microseconds
        var bytes: Int
    }

    /// The accesses of `Fixtures/traces/costs.tsv` (see `generate-costs.py` beside it).
    static func costTrace() throws -> [CostAccess] {
        let path = "Fixtures/traces/costs.tsv"
        guard let file = fopen(path, "r") else {
            throw BenchmarkError("cannot open \(path): run memo-bench from the package root")
        }
        defer { fclose(file) }
        var accesses: [CostAccess] = []
        var line: UnsafeMutablePointer<CChar>?
        var capacity = 0
        defer { free(line) }
        while getline(&line, &capacity, file) > 0, let line {
            let text = String(cString: line)
            guard !text.hasPrefix("#") else { continue }
            let fields = text.split(whereSeparator: { $0 == "\t" || $0 == "\n" }).compactMap {
                Int($0)
            }
            guard fields.count == 3 else { throw BenchmarkError("bad line in \(path): \(text)") }
            accesses.append(CostAccess(key: fields[0], cost: fields[1], bytes: fields[2]))
        }
        return accesses
    }

    /// What one replay of the trace came to.
    struct CostReplay {
        /// The compute time of misses on keys computed before: what eviction cost.
        var recompute: Duration
        var hits: Int
        var misses: Int
        var hitRatio: Double { Double(hits) / Double(hits + misses) }
    }

    /// Replays `trace` through a cache of 4 MB of memory and 32 MB of disk (a fifth of the
    /// trace's 143 MB of distinct results) on an in-memory disk, evicting by `eviction`.
    /// Each computation advances the test clock by its cost, so the measured costs are the
    /// trace's exactly.
    static func replay(_ trace: [CostAccess], _ eviction: DiskEviction) throws -> CostReplay {
        let clock = TestClock()
        var configuration = CacheConfiguration()
        configuration.maxMemory = .megabytes(4)
        configuration.maxDisk = .megabytes(32)
        configuration.diskEviction = eviction
        configuration.clock = clock
        configuration.fileSystem = InMemoryFileSystem()
        configuration.directory = "/bench-costs"
        let cache = try SpillingCache(configuration)
        var computedBefore = Set<Int>()
        var recompute = Duration.zero
        for access in trace {
            let misses = cache.stats.misses
            _ = cache.value(forKey: CacheKey(hashing: "cost-trace", access.key)) { () -> [UInt8] in
                clock.advance(by: .microseconds(access.cost))
                return [UInt8](repeating: UInt8(truncatingIfNeeded: access.key), count: access.bytes)
            }
            if cache.stats.misses > misses, !computedBefore.insert(access.key).inserted {
                recompute += .microseconds(access.cost)
            }
        }
        let stats = cache.stats
        return CostReplay(recompute: recompute, hits: stats.hits, misses: stats.misses)
    }

    // 18. Cost-aware disk eviction (GreedyDual-Size-Frequency) against exact LRU on the
    // trace of mixed costs, sizes and Zipf popularity: the recompute time, at one budget.
    static func costAwareTrace() throws -> BenchmarkResult {
        let trace = try costTrace()
        let costAware = try replay(trace, .costAware)
        let recency = try replay(trace, .leastRecentlyUsed)
        let seconds = { (time: Duration) in
            Double(time.components.seconds) + Double(time.components.attoseconds) / 1e18
        }
        return BenchmarkResult(
            name: "18 cost-aware recompute", ours: seconds(costAware.recompute),
            baseline: seconds(recency.recompute), unit: "s",
            ratio: seconds(costAware.recompute) / seconds(recency.recompute), target: 0.5,
            direction: .atMost,
            note: "Fixtures/traces/costs.tsv, 20,000 accesses, 4 MB memory, 32 MB disk: "
                + "recompute time .costAware vs .leastRecentlyUsed; hit ratio "
                + "\(Report.number(costAware.hitRatio * 100))% vs "
                + "\(Report.number(recency.hitRatio * 100))%")
    }
}
