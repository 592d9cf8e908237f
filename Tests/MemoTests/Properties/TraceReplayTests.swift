import Memo
import Testing

/// `Fixtures/traces/`: access traces whose expected outcomes come from an independent LRU
/// (Python's cachetools, see `Fixtures/traces/generate.py`). The cache must match every
/// access exactly.
@Suite("Access traces replayed against an independent LRU")
struct TraceReplayTests {
    @Test(
        "each trace gives exactly the expected memory hits, disk hits and misses",
        arguments: ["skewed", "scan", "mixed"])
    func replay(trace: String) throws {
        let lines = try Fixtures.text("traces/\(trace).tsv").split(separator: "\n")
        let maxMemory = try #require(
            lines.first { $0.hasPrefix("# max_memory") }
                .flatMap { Int($0.split(separator: "\t")[1]) })
        let harness = try CacheHarness(maxMemory: maxMemory)
        let cache = harness.cache
        var expectedTotals: [String: Int] = [:]
        var actualTotals: [String: Int] = [:]
        var firstMismatch: String?
        for (row, line) in lines.filter({ !$0.hasPrefix("#") }).enumerated() {
            let fields = line.split(separator: "\t")
            let k = try #require(Int(fields[0]))
            let charge = try #require(Int(fields[1]))
            let expected = String(fields[2])
            try #require(charge > SpillingCache.entryOverhead, "a charge must exceed the overhead")
            let before = cache.stats
            let value = cache.value(forKey: key(k)) {
                Blob(id: k, size: charge - SpillingCache.entryOverhead)
            }
            let after = cache.stats
            #expect(value.id == k)
            let actual =
                after.diskHits > before.diskHits
                ? "disk"
                : after.hits > before.hits
                    ? "memory"
                    : after.misses > before.misses ? "miss" : "none"
            expectedTotals[expected, default: 0] += 1
            actualTotals[actual, default: 0] += 1
            if actual != expected, firstMismatch == nil {
                firstMismatch = "row \(row): key \(k) expected \(expected), got \(actual)"
            }
        }
        #expect(firstMismatch == nil, "\(trace): \(firstMismatch ?? "")")
        #expect(actualTotals == expectedTotals)
        let summary = try #require(lines.first { $0.hasPrefix("# expected") })
        for field in summary.split(separator: "\t").dropFirst() {
            let parts = field.split(separator: "=")
            #expect(actualTotals[String(parts[0])] ?? 0 == Int(parts[1]), "\(trace) \(parts[0])")
        }
        #expect(cache.stats.memoryBytes <= maxMemory)
        #expect(cache.stats.failures == 0)
    }
}
