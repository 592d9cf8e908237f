#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import Memo

/// Scenarios 9 and 10: persistent directories.
extension Scenarios {
    /// Scenario 9: open a directory of 100,000 entries and answer its first hit, beside a
    /// listing of that directory (what `ls -f` does: opendir and readdir to the end).
    static func reopenLargeDirectory(directory: String) throws -> BenchmarkResult {
        let path = directory + "/persistent-100k"
        let entries = 100_000
        var configuration = CacheConfiguration()
        configuration.directory = path
        configuration.persistent = true
        configuration.maxMemory = .mebibytes(64)
        do {
            let writer = try SpillingCache(configuration)
            for i in 0..<entries { writer.store(i, forKey: CacheKey(hashing: "reopen", i)) }
            writer.flush()
        }
        var correct = true
        var probe = 0
        let (ours, baseline) = Measure.pair(
            iterations: 1,
            ours: {
                probe = (probe + 7_919) % entries
                let cache = try! SpillingCache(configuration)
                correct =
                    correct
                    && cache.value(forKey: CacheKey(hashing: "reopen", probe), as: Int.self)
                        == probe
            },
            baseline: {
                var names = 0
                if let handle = opendir(path) {
                    while readdir(handle) != nil { names += 1 }
                    closedir(handle)
                }
                blackHole(names)
            })
        precondition(correct, "the reopened directory returned a wrong value")
        return BenchmarkResult(
            name: "9 reopen 100k, first hit", ours: ours * 1e3, baseline: baseline * 1e3,
            unit: "ms", ratio: ours / baseline, target: 0.1, direction: .atMost,
            note: "open + first hit of a 100,000-entry directory vs listing it (ls -f)")
    }

    /// Scenario 10: stores into a persistent cache (write-behind, every value written and
    /// indexed, the queue drained) against the same stores into a cache that is not
    /// persistent and spills them (every value written too, as its budget is small).
    static func persistentStoreThroughput(directory: String) throws -> BenchmarkResult {
        let count = 2_000
        let values = (0..<count).map { i in [UInt8](repeating: UInt8(i & 255), count: 16 * 1024) }
        func configuration(_ name: String, persistent: Bool) -> CacheConfiguration {
            var configuration = CacheConfiguration()
            configuration.directory = "\(directory)/\(name)"
            configuration.persistent = persistent
            configuration.maxMemory = .mebibytes(1)
            return configuration
        }
        let persistent = try SpillingCache(configuration("store-persistent", persistent: true))
        let spilling = try SpillingCache(configuration("store-spilling", persistent: false))
        var round = 0
        let (ours, baseline) = Measure.pair(
            iterations: count,
            ours: {
                round += 1
                for (i, value) in values.enumerated() {
                    persistent.store(value, forKey: CacheKey(hashing: round, i))
                }
                persistent.drainPendingForTests()
            },
            baseline: {
                for (i, value) in values.enumerated() {
                    spilling.store(value, forKey: CacheKey(hashing: round, i))
                }
            })
        persistent.removeAll()
        spilling.removeAll()
        let oursRate = 1 / ours
        let baselineRate = 1 / baseline
        return BenchmarkResult(
            name: "10 persistent store", ours: oursRate, baseline: baselineRate,
            unit: "stores/s", ratio: oursRate / baselineRate, target: 0.8, direction: .atLeast,
            note: "2,000 x 16 KiB stores, written and indexed, vs spilled by a 1 MiB cache")
    }
}
