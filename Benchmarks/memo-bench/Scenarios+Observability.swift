import Memo

/// Scenario 11: what metrics cost a hit.
extension Scenarios {
    /// A memoized hit in a cache reporting to swift-metrics with no backend bootstrapped
    /// (its default no-op handlers), against the same hit in a cache with metrics off.
    static func metricsOnHit() throws -> BenchmarkResult {
        func context(_ metrics: MetricsDestination) throws -> MemoContext {
            var configuration = CacheConfiguration()
            configuration.maxMemory = .megabytes(64)
            configuration.metrics = metrics
            return MemoContext(cache: try SpillingCache(configuration))
        }
        let withMetrics = try context(.system)
        let withoutMetrics = try context(.off)
        let double = Memo.memoized(name: "bench.metrics") { (x: Int) -> Int in x &* 2 }
        for context in [withMetrics, withoutMetrics] {
            Memo.$isolatedContext.withValue(context) {
                for x in 0..<1024 { _ = double(x) }
            }
        }
        let n = 1_000_000
        func hits(_ context: MemoContext) {
            Memo.$isolatedContext.withValue(context) {
                var sum = 0
                for i in 0..<n { sum &+= double(i & 1023) }
                blackHole(sum)
            }
        }
        let (ours, baseline) = Measure.pair(
            iterations: n, ours: { hits(withMetrics) }, baseline: { hits(withoutMetrics) })
        return BenchmarkResult(
            name: "11 metrics on a hit", ours: ours * 1e9, baseline: baseline * 1e9,
            unit: "ns/call", ratio: ours / baseline, target: 1.05, direction: .atMost,
            note: "memoized hit, swift-metrics without a backend vs metrics off")
    }
}
