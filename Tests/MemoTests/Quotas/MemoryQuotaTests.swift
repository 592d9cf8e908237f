@testable import Memo
import MemoTesting
import PropertyBased
import Testing

/// A result of `size` bytes whose content says which call made it.
private func result(_ function: Int, _ key: Int, size: Int) -> [UInt8] {
    [UInt8(truncatingIfNeeded: function), UInt8(truncatingIfNeeded: key)]
        + [UInt8](repeating: 7, count: size)
}

@Suite("Per-function memory quotas", .serialized)
struct MemoryQuotaTests {
    @Test("the report shows each function's quota and the compute time its results hold")
    func reportShowsQuotaAndHeldTime() throws {
        try withIsolatedMemo { clock throws in
            let slow = Memo.function(name: "slow", maxMemory: .megabytes(1)) {
                (i: Int) -> [UInt8] in
                clock.advance(by: .seconds(3))
                return result(0, i, size: 100)
            }
            let quick = Memo.function(name: "quick") { (i: Int) -> [UInt8] in
                clock.advance(by: .milliseconds(2))
                return result(1, i, size: 100)
            }
            for i in 0..<4 { _ = slow(i) }
            for i in 0..<5 { _ = quick(i) }
            _ = slow(0)  // a hit holds nothing more
            #expect(slow.stats.memoryQuota == .megabytes(1))
            #expect(slow.stats.computeTimeHeld == .seconds(12))
            #expect(quick.stats.memoryQuota == nil)
            #expect(quick.stats.computeTimeHeld == .milliseconds(10))
            let text = Memo.report()
            let heading = try #require(text.split(separator: "\n").first)
            #expect(heading.contains("held") && heading.contains("quota"), "\(text)")
            let row = try #require(text.split(separator: "\n").first { $0.hasPrefix("slow") })
            #expect(row.contains("12.0 s") && row.contains("1.00 MB"), "\(row)")
            // Results that leave take their compute time with them.
            Memo.clear(function: "slow")
            #expect(slow.stats.computeTimeHeld == .zero)
            #expect(quick.stats.computeTimeHeld == .milliseconds(10))
        }
    }

    @Test("a function with a 1 MB quota storing 10 MB leaves another function's results in memory")
    func quotaKeepsOthersInMemory() throws {
        try withIsolatedMemo { _ throws in
            let small = Memo.function(name: "small") { (i: Int) -> [UInt8] in
                result(0, i, size: 10_000)
            }
            let big = Memo.function(name: "big", maxMemory: .megabytes(1)) {
                (i: Int) -> [UInt8] in result(1, i, size: 100_000)
            }
            for i in 0..<20 { _ = small(i) }
            let smallBytes = small.stats.memoryBytes
            let before = Memo.cache.indexSnapshot.filter { $0.tier == .memory }
            for i in 0..<100 { _ = big(i) }  // 10 MB, in a 64 MB cache
            #expect(big.stats.memoryBytes <= 1_000_000, "\(big.stats)")
            #expect(big.stats.memoryBytes > 800_000, "the quota is used: \(big.stats)")
            #expect(big.stats.diskBytes > 9_000_000, "the rest spilled: \(big.stats)")
            #expect(small.stats.diskBytes == 0 && small.stats.memoryBytes == smallBytes)
            // The small function's entries are untouched: in memory, in their order.
            let smallKeys = Set((0..<20).compactMap { small.function.key($0) })
            let after = Memo.cache.indexSnapshot.filter { smallKeys.contains($0.key) }
            #expect(after.map(\.key) == before.map(\.key))
            #expect(after.allSatisfy { $0.tier == .memory && $0.fileName == nil })
            // The big function's oldest results spilled first, and come back from disk.
            #expect(big(0) == result(1, 0, size: 100_000))
            #expect(big.stats.diskHits == 1 && big.stats.memoryBytes <= 1_000_000)
            #expect(big(99) == result(1, 99, size: 100_000))
            #expect(big.stats.memoryHits == 1, "the newest result is still in memory")
        }
    }

    @Test("a result larger than its function's quota goes straight to disk")
    func oversizedForTheQuota() throws {
        try withIsolatedMemo { _ throws in
            let f = Memo.function(name: "f", maxMemory: .kilobytes(10)) { (i: Int) -> [UInt8] in
                result(0, i, size: 20_000)
            }
            #expect(f(1).count == 20_002)
            #expect(f.stats.memoryBytes == 0 && f.stats.diskBytes > 20_000)
            #expect(f(1).count == 20_002 && f.stats.diskHits == 1)
        }
    }

    @Test("the cache-wide budget still holds, and spills the oldest of every function")
    func cacheBudgetAcrossQuotas() throws {
        var configuration = isolatedConfiguration()
        configuration.maxMemory = .kilobytes(100)
        try withIsolatedMemo(configuration) { _ throws in
            let a = Memo.function(name: "a", maxMemory: .kilobytes(80)) { (i: Int) -> [UInt8] in
                result(0, i, size: 9_000)
            }
            let b = Memo.function(name: "b") { (i: Int) -> [UInt8] in result(1, i, size: 9_000) }
            for i in 0..<8 { _ = a(i) }  // 8 × 9.2 KB: within a's quota
            for i in 0..<6 { _ = b(i) }  // the cache's 100 KB is passed: a's oldest go
            #expect(Memo.cache.stats.memoryBytes <= 100_000)
            let charge = result(0, 0, size: 9_000).memoryCost + SpillingCache.entryOverhead
            #expect(a.stats.memoryBytes == 4 * charge && b.stats.memoryBytes == 6 * charge)
            let memory = Memo.cache.indexSnapshot.filter { $0.tier == .memory }.map(\.key)
            #expect(memory == (4..<8).compactMap { a.function.key($0) }
                + (0..<6).compactMap { b.function.key($0) })
        }
    }
}

// MARK: - Against a model

/// One call of a run: function `function` (0 and 1 have quotas, 2 has none) on `key`,
/// whose result is `size` bytes.
private struct QuotaCall: Sendable, CustomStringConvertible {
    var function: Int
    var key: Int
    var size: Int
    var description: String { "f\(function)(\(key)) \(size) B" }
}

private let calls = zip(Gen.int(in: 0...2), Gen.int(in: 0...7), Gen.int(in: 0...5))
    .map { QuotaCall(function: $0.0, key: $0.1, size: 500 + $0.2 * 700) }
    .array(of: 1...60)

/// The quota policy written plainly: every entry with its function, charge, recency and
/// place; after each call, a function past its quota spills its least recently used, then
/// the cache spills its least recently used, until both hold.
private struct QuotaModel {
    struct Entry {
        var function: Int
        var key: Int
        var charge: Int
        var lastAccess: Int
        var inMemory: Bool
    }

    let maxMemory: Int
    let quotas: [Int: Int]
    var entries: [Entry] = []
    var tick = 0
    var memoryHits = 0
    var diskHits = 0

    func memory(of function: Int?) -> Int {
        entries.filter { $0.inMemory && (function == nil || $0.function == function) }
            .reduce(0) { $0 + $1.charge }
    }

    func limit(_ function: Int) -> Int { min(maxMemory, quotas[function] ?? .max) }

    mutating func call(_ function: Int, _ key: Int, charge: Int) {
        tick += 1
        if let i = entries.firstIndex(where: { $0.function == function && $0.key == key }) {
            entries[i].lastAccess = tick
            if entries[i].inMemory {
                memoryHits += 1
            } else {
                diskHits += 1
                entries[i].inMemory = entries[i].charge <= limit(function)
            }
        } else {
            entries.append(
                Entry(
                    function: function, key: key, charge: charge, lastAccess: tick,
                    inMemory: charge <= limit(function)))
        }
        while let over = quotas.keys.sorted().first(where: { memory(of: $0) > quotas[$0]! }) {
            spillOldest { $0.function == over }
        }
        while memory(of: nil) > maxMemory { spillOldest { _ in true } }
    }

    private mutating func spillOldest(where matches: (Entry) -> Bool) {
        let i = entries.indices.filter { entries[$0].inMemory && matches(entries[$0]) }
            .min { entries[$0].lastAccess < entries[$1].lastAccess }!
        entries[i].inMemory = false
    }

    /// Memory entries, least recently used first.
    var memoryOrder: [(function: Int, key: Int)] {
        entries.filter(\.inMemory).sorted { $0.lastAccess < $1.lastAccess }
            .map { ($0.function, $0.key) }
    }
}

@Suite("Per-function memory quotas versus a model", .serialized)
struct MemoryQuotaModelTests {
    @Test("random calls of two functions with quotas and one without spill the model's entries")
    func againstModel() async {
        await propertyCheck(count: 80, input: calls) { calls in
            var configuration = isolatedConfiguration()
            configuration.maxMemory = .bytes(12_000)
            var model = QuotaModel(maxMemory: 12_000, quotas: [0: 5_000, 1: 3_500])
            do {
                try withIsolatedMemo(configuration) { _ throws in
                    let functions = (0..<3).map { quotaFunction($0, quota: model.quotas[$0]) }
                    for (step, call) in calls.enumerated() {
                        let f = functions[call.function]
                        // A key's size is the one of its first call (a later call hits).
                        let size =
                            calls[..<step].first {
                                $0.function == call.function && $0.key == call.key
                            }?.size ?? call.size
                        let value = f.call(call.key, size)
                        #expect(value == result(call.function, call.key, size: size))
                        model.call(
                            call.function, call.key,
                            charge: value.memoryCost + SpillingCache.entryOverhead)
                        let expected = model.memoryOrder.compactMap {
                            functions[$0.function].function.key($0.key, firstSize(of: $0, in: calls))
                        }
                        let actual = Memo.cache.indexSnapshot.filter { $0.tier == .memory }
                            .map(\.key)
                        guard actual == expected else {
                            Issue.record(
                                "step \(step), \(call): memory \(actual), the model's \(expected)")
                            return
                        }
                    }
                    let hits = functions.map(\.stats).reduce((0, 0)) {
                        ($0.0 + $1.memoryHits, $0.1 + $1.diskHits)
                    }
                    #expect(hits.0 == model.memoryHits && hits.1 == model.diskHits)
                    #expect(Memo.cache.stats.memoryBytes == model.memory(of: nil))
                    for n in 0..<3 {
                        #expect(functions[n].stats.memoryBytes == model.memory(of: n))
                    }
                }
            } catch {
                Issue.record("the isolated cache failed: \(error)")
            }
        }
    }
}

/// A handle of the model test, as its closure and function (an array of the handles
/// themselves crashed Swift 6.3.1's IR generation).
private struct QuotaFunction {
    let call: @Sendable (Int, Int) -> [UInt8]
    let function: MemoizedFunction
    var stats: FunctionReport { function.report }
}

private func quotaFunction(_ n: Int, quota: Int?) -> QuotaFunction {
    let handle = Memo.function(name: "q\(n)", maxMemory: quota.map { .bytes($0) }) {
        (key: Int, size: Int) -> [UInt8] in result(n, key, size: size)
    }
    return QuotaFunction(call: handle.closure, function: handle.function)
}

/// The size of a model entry's key: that of the first call of it.
private func firstSize(of entry: (function: Int, key: Int), in calls: [QuotaCall]) -> Int {
    calls.first { $0.function == entry.function && $0.key == entry.key }!.size
}
