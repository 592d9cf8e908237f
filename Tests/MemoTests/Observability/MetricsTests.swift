import CoreMetrics
import Foundation
import SystemPackage
@testable import Memo
import MemoTesting
import MetricsTestKit
import Testing

/// The swift-metrics counters and gauges, under `MetricsTestKit`: each one moves as the
/// cache works, and matches the cache's own figures.
@Suite("Metrics")
struct MetricsTests {
    /// A configuration reporting to `metrics` under the cache name `test`.
    private func configuration(_ metrics: TestMetrics) -> CacheConfiguration {
        var configuration = isolatedConfiguration()
        configuration.metrics = .factory(metrics)
        configuration.name = "test"
        return configuration
    }

    private func counter(
        _ metrics: TestMetrics, _ label: String, _ dimensions: [(String, String)] = []
    ) -> Int64 {
        metrics.counterTotal(label: label, dimensions: [("cache", "test")] + dimensions)
    }

    private func gauge(_ metrics: TestMetrics, _ label: String) throws -> Int? {
        try metrics.expectGauge(label, [("cache", "test")]).lastValue.map { Int($0) }
    }

    @Test("hits and misses per function, misses per reason")
    func hitsAndMisses() throws {
        let metrics = TestMetrics()
        var configuration = configuration(metrics)
        configuration.timeToLive = .seconds(5)
        try withIsolatedMemo(configuration) { clock throws in
            let f = Memo.memoized(name: "f") { (x: Int) -> Int in x }
            let g = Memo.memoized(name: "g") { (x: Int) -> Int in x }
            _ = f(1)
            _ = f(1)
            _ = f(1)
            _ = g(1)
            clock.advance(by: .seconds(6))
            _ = g(1)
            #expect(counter(metrics, "memo_hits_total", [("function", "f")]) == 2)
            #expect(counter(metrics, "memo_hits_total", [("function", "g")]) == 0)
            #expect(
                counter(metrics, "memo_misses_total", [("function", "f"), ("reason", "new_key")])
                    == 1)
            #expect(
                counter(metrics, "memo_misses_total", [("function", "g"), ("reason", "new_key")])
                    == 1)
            #expect(
                counter(metrics, "memo_misses_total", [("function", "g"), ("reason", "expired")])
                    == 1)
            #expect(counter(metrics, "memo_expirations_total") == 1)
            // Every hit and miss is counted once: the metrics add up to the cache's counts.
            let hits = metrics.counters(label: "memo_hits_total").reduce(0) { $0 + $1.totalValue }
            let misses = metrics.counters(label: "memo_misses_total")
                .reduce(0) { $0 + $1.totalValue }
            #expect(hits == Int64(Memo.stats.hits))
            #expect(misses == Int64(Memo.stats.misses))
        }
    }

    @Test("the cache's own API counts hits and misses without a function")
    func directCalls() throws {
        let metrics = TestMetrics()
        let cache = try SpillingCache(configuration(metrics))
        cache.store(1, forKey: CacheKey(hashing: 1))
        _ = cache.value(forKey: CacheKey(hashing: 1), as: Int.self)
        _ = cache.value(forKey: CacheKey(hashing: 2), as: Int.self)
        _ = cache.value(forKey: CacheKey(hashing: 1), as: String.self)
        _ = cache.value(forKey: CacheKey(hashing: 3)) { 3 }
        #expect(counter(metrics, "memo_hits_total") == 1)
        #expect(counter(metrics, "memo_misses_total", [("reason", "new_key")]) == 2)
        #expect(counter(metrics, "memo_misses_total", [("reason", "other_type")]) == 1)
    }

    @Test("spills, evictions, failures and every gauge follow the cache")
    func eventsAndGauges() throws {
        let metrics = TestMetrics()
        let disk = FaultInjectingFileSystem(wrapping: InMemoryFileSystem())
        var configuration = configuration(metrics)
        configuration.fileSystem = disk
        configuration.maxMemory = ByteCount(2 * (4_200 + SpillingCache.entryOverhead))
        configuration.maxDisk = ByteCount(3 * 4_300)
        let cache = try SpillingCache(configuration)
        #expect(try gauge(metrics, "memo_memory_bytes") == 0, "recorded when the cache opens")
        let values = (0..<8).map { [Double](repeating: Double($0), count: 512) }
        for (n, value) in values.enumerated() { cache.store(value, forKey: CacheKey(hashing: n)) }
        disk.inject(.init(.write, on: .nth(1), action: .fail(.noSpace)))
        cache.store([Double](repeating: 9, count: 512), forKey: CacheKey(hashing: 9))
        cache.store([Double](repeating: 10, count: 512), forKey: CacheKey(hashing: 10))
        _ = cache.value(forKey: CacheKey(hashing: 7), as: [Double].self)

        let stats = cache.stats
        #expect(stats.spills > 0 && stats.evictions > 0 && stats.failures > 0, "\(stats)")
        #expect(counter(metrics, "memo_spills_total") == Int64(stats.spills))
        #expect(counter(metrics, "memo_evictions_total") == Int64(stats.evictions))
        #expect(counter(metrics, "memo_failures_total") == Int64(stats.failures))
        #expect(try gauge(metrics, "memo_memory_bytes") == stats.memoryBytes)
        #expect(try gauge(metrics, "memo_disk_bytes") == stats.diskBytes)
        #expect(try gauge(metrics, "memo_entries") == stats.memoryEntries + stats.diskEntries)

        cache.removeAll()
        #expect(try gauge(metrics, "memo_memory_bytes") == 0)
        #expect(try gauge(metrics, "memo_entries") == 0)
    }

    @Test("gauges are recorded when the sizes change, not on every call")
    func gaugesOnChange() throws {
        let metrics = TestMetrics()
        let cache = try SpillingCache(configuration(metrics))
        cache.store(1, forKey: CacheKey(hashing: 1))
        let recorded = try metrics.expectGauge("memo_memory_bytes", [("cache", "test")]).values
            .count
        for _ in 0..<100 { _ = cache.value(forKey: CacheKey(hashing: 1), as: Int.self) }
        let after = try metrics.expectGauge("memo_memory_bytes", [("cache", "test")]).values.count
        #expect(after == recorded, "hits change no size")
    }

    @Test("a persistent cache's disk gauge is the whole directory")
    func persistentGauges() throws {
        let path = temporaryDirectoryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let metrics = TestMetrics()
        var configuration = configuration(metrics)
        configuration.fileSystem = LocalFileSystem()
        configuration.directory = path
        configuration.persistent = true
        do {
            let writer = try SpillingCache(configuration)
            for n in 0..<5 {
                writer.store([Double](repeating: 1, count: 100), forKey: CacheKey(hashing: n))
            }
            writer.flush()
            #expect(try gauge(metrics, "memo_disk_bytes") == writer.stats.diskBytes)
        }
        let reopened = TestMetrics()
        configuration.metrics = .factory(reopened)
        let reader = try SpillingCache(configuration)
        #expect(try gauge(reopened, "memo_disk_bytes") == reader.stats.diskBytes)
        #expect(reader.stats.diskBytes > 0)
    }

    @Test("metrics off: no instrument is ever made")
    func off() throws {
        let metrics = TestMetrics()
        var configuration = configuration(metrics)
        configuration.metrics = .off
        try withIsolatedMemo(configuration) { _ throws in
            let f = Memo.memoized(name: "f") { (x: Int) -> Int in x }
            _ = f(1)
            _ = f(1)
        }
        #expect(metrics.counters.isEmpty)
        #expect(metrics.recorders.isEmpty)
    }
}
