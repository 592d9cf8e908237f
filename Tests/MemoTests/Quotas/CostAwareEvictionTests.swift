@testable import Memo
import MemoTesting
import PropertyBased
import Synchronization
import Testing

/// A cache whose results all live on disk (none fits its one byte of memory), with
/// `maxDisk` of `files` spill files of `size`-byte results of function `name`, evicting
/// by `eviction`.
private func diskOnly(
    _ eviction: DiskEviction, files: Int, size: Int, function name: String
) throws -> CacheConfiguration {
    var configuration = isolatedConfiguration()
    configuration.maxMemory = .bytes(1)
    configuration.diskEviction = eviction
    configuration.maxDisk = .bytes(files * (try spillFileBytes(size: size, function: name)) + 1)
    return configuration
}

/// The size of the spill file of a `[UInt8]` result of `size` bytes of a function named
/// `name` (the file records the name), measured.
private func spillFileBytes(size: Int, function name: String) throws -> Int {
    var configuration = isolatedConfiguration()
    configuration.maxMemory = .bytes(1)
    return try withIsolatedMemo(configuration) { _ throws in
        _ = Memo.function(name: name) { (i: Int) -> [UInt8] in bytes(i, size: size) }(0)
        return Memo.cache.stats.diskBytes
    }
}

private func bytes(_ key: Int, size: Int) -> [UInt8] {
    [UInt8(truncatingIfNeeded: key)] + [UInt8](repeating: 3, count: size - 1)
}

@Suite("Cost-aware disk eviction", .serialized)
struct CostAwareEvictionTests {
    /// Ten results that took ten seconds each, then forty that took a millisecond, at a
    /// disk budget of twenty results (the functions' names are of one length, so their
    /// spill files are of one size).
    private func expensiveThenCheap(_ eviction: DiskEviction) throws -> (kept: Int, stats: CacheStats) {
        try withIsolatedMemo(try diskOnly(eviction, files: 20, size: 1_000, function: "slow")) { clock throws in
            let expensive = Memo.function(name: "slow") { (i: Int) -> [UInt8] in
                clock.advance(by: .seconds(10))
                return bytes(i, size: 1_000)
            }
            let cheap = Memo.function(name: "fast") { (i: Int) -> [UInt8] in
                clock.advance(by: .milliseconds(1))
                return bytes(i, size: 1_000)
            }
            for i in 0..<10 { _ = expensive(i) }
            for i in 0..<40 { _ = cheap(i) }
            let kept = (0..<10).filter { expensive.peek($0) == bytes($0, size: 1_000) }.count
            return (kept, Memo.cache.stats)
        }
    }

    @Test("ten expensive results survive forty newer cheap ones; by recency they go")
    func expensiveSurvive() throws {
        let costAware = try expensiveThenCheap(.costAware)
        #expect(costAware.kept == 10, "\(costAware.stats)")
        #expect(costAware.stats.evictions == 30 && costAware.stats.diskEntries == 20)
        let recency = try expensiveThenCheap(.leastRecentlyUsed)
        #expect(recency.kept == 0, "exact LRU: the oldest go first")
        #expect(recency.stats.evictions == 30 && recency.stats.diskEntries == 20)
    }

    @Test("an expensive result not used while cheap ones are goes in the end: inflation")
    func inflationAgesExpensiveResults() throws {
        try withIsolatedMemo(try diskOnly(.costAware, files: 4, size: 1_000, function: "f")) { clock throws in
            let cost = Mutex(Duration.zero)
            let f = Memo.function(name: "f") { (i: Int) -> [UInt8] in
                clock.advance(by: cost.withLock { $0 })
                return bytes(i, size: 1_000)
            }
            cost.withLock { $0 = .milliseconds(50) }
            _ = f(0)  // 50 ms, used once
            cost.withLock { $0 = .milliseconds(10) }
            // Cheap results used again and again raise the inflation past f(0)'s priority.
            for round in 0..<20 {
                for i in 1...4 { _ = f(i + 4 * (round % 2)) }
            }
            #expect(f.peek(0)?.count == nil, "evicted once L passed its priority")
        }
    }

    @Test("the entry's bookkeeping stays 80 bytes with a cost and a use count")
    func nodeSize() {
        #expect(MemoryLayout<CacheState.Node>.stride == 80)
    }
}

// MARK: - Against a reference GreedyDual-Size-Frequency

/// One call of a run: key `key` (its result is 300 or 2,000 bytes by its parity) whose
/// computation, if it runs, takes `milliseconds`.
private struct CostCall: Sendable, CustomStringConvertible {
    var key: Int
    var milliseconds: Int
    var description: String { "f(\(key)) \(milliseconds) ms" }
}

private let costCalls = zip(Gen.int(in: 0...11), Gen.int(in: 0...4))
    .map { CostCall(key: $0.0, milliseconds: [0, 1, 5, 20, 100][$0.1]) }
    .array(of: 1...80)

private func resultSize(_ key: Int) -> Int { key % 2 == 0 ? 300 : 2_000 }

/// GDSF as the paper writes it: every entry's H = L + frequency × cost / size, set on
/// insertion and on each hit; past the budget the lowest H goes (of equal ones, the least
/// recently used), and L becomes its H.
private struct ReferenceGDSF {
    struct Entry {
        var uses: Int
        var cost: Int
        var size: Int
        var fileBytes: Int
        var priority: Double
        var lastAccess: Int
    }

    let maxDisk: Int
    var inflation = 0.0
    var entries: [Int: Entry] = [:]
    var tick = 0
    var evictions = 0

    /// A call: `true` if it hit.
    mutating func call(_ key: Int, cost: Int, size: Int, fileBytes: Int) -> Bool {
        tick += 1
        if var entry = entries[key] {
            entry.uses += 1
            entry.lastAccess = tick
            entry.priority = inflation + Double(entry.uses) * Double(entry.cost) / Double(entry.size)
            entries[key] = entry
            return true
        }
        entries[key] = Entry(
            uses: 1, cost: cost, size: size, fileBytes: fileBytes,
            priority: inflation + Double(1) * Double(cost) / Double(size), lastAccess: tick)
        while entries.values.reduce(0, { $0 + $1.fileBytes }) > maxDisk {
            let victim = entries.min {
                ($0.value.priority, $0.value.lastAccess) < ($1.value.priority, $1.value.lastAccess)
            }!
            inflation = max(inflation, victim.value.priority)
            entries[victim.key] = nil
            evictions += 1
        }
        return false
    }
}

@Suite("Cost-aware eviction versus a reference GDSF", .serialized)
struct CostAwareModelTests {
    @Test("random calls of mixed costs and sizes evict the reference's victims, step by step")
    func againstReference() async throws {
        let fileBytes = [
            300: try spillFileBytes(size: 300, function: "gdsf"),
            2_000: try spillFileBytes(size: 2_000, function: "gdsf"),
        ]
        let maxDisk = 3 * fileBytes[2_000]! + 2 * fileBytes[300]!
        await propertyCheck(count: 80, input: costCalls) { calls in
            var configuration = isolatedConfiguration()
            configuration.maxMemory = .bytes(1)
            configuration.diskEviction = .costAware
            configuration.maxDisk = .bytes(maxDisk)
            var reference = ReferenceGDSF(maxDisk: maxDisk)
            do {
                try withIsolatedMemo(configuration) { clock throws in
                    let cost = Mutex(Duration.zero)
                    let computed = Mutex(0)
                    let f = Memo.function(name: "gdsf") { (key: Int) -> [UInt8] in
                        computed.withLock { $0 += 1 }
                        clock.advance(by: cost.withLock { $0 })
                        return bytes(key, size: resultSize(key))
                    }
                    for (step, call) in calls.enumerated() {
                        cost.withLock { $0 = .milliseconds(call.milliseconds) }
                        let before = computed.withLock { $0 }
                        #expect(f(call.key) == bytes(call.key, size: resultSize(call.key)))
                        let hit = computed.withLock { $0 } == before
                        let size = resultSize(call.key)
                        let referenceHit = reference.call(
                            call.key, cost: call.milliseconds * 1_000,
                            size: bytes(call.key, size: size).memoryCost
                                + SpillingCache.entryOverhead,
                            fileBytes: fileBytes[size]!)
                        let held = Set(Memo.cache.indexSnapshot.map(\.key))
                        let expected = Set(reference.entries.keys.compactMap { f.function.key($0) })
                        guard hit == referenceHit, held == expected,
                            Memo.cache.stats.evictions == reference.evictions
                        else {
                            let counts = "\(held.count) held, the reference's \(expected.count)"
                            Issue.record(
                                "step \(step), \(call): hit \(hit), the reference's \(referenceHit); \(counts)")
                            return
                        }
                    }
                }
            } catch {
                Issue.record("the isolated cache failed: \(error)")
            }
        }
    }
}
