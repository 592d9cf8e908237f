import Foundation
@testable import Memo
import MemoTesting
import Synchronization
import Testing

/// The shared tier, with an in-memory tier: caches sharing one instance act as machines.
@Suite("Shared tier")
struct SharedTierTests {
    private func configuration(_ tier: InMemorySharedTier) -> CacheConfiguration {
        var configuration = isolatedConfiguration()
        configuration.sharedTier = tier
        return configuration
    }

    private static func spectrum(_ n: Int) -> [Double] {
        (0..<64).map { Double(n * 64 + $0) }
    }

    @Test("a value computed on one machine is found on another without computing")
    func computeOnceAcrossMachines() throws {
        let tier = InMemorySharedTier()
        let machineA = try SpillingCache(configuration(tier))
        let machineB = try SpillingCache(configuration(tier))
        let computations = Atomic(0)
        for n in 0..<10 {
            _ = machineA.value(forKey: CacheKey(hashing: n)) { () -> [Double] in
                computations.add(1, ordering: .relaxed)
                return Self.spectrum(n)
            }
        }
        machineA.flush()
        #expect(tier.count == 10)
        for n in 0..<10 {
            let value = machineB.value(forKey: CacheKey(hashing: n)) { () -> [Double] in
                computations.add(1, ordering: .relaxed)
                return []
            }
            #expect(value == Self.spectrum(n))
        }
        #expect(computations.load(ordering: .relaxed) == 10)
        #expect(machineB.stats.sharedHits == 10)
        #expect(machineB.stats.misses == 0)
        // Kept locally as if computed: the next call is a memory hit, the tier not asked.
        let fetches = tier.fetchCount
        #expect(machineB.value(forKey: CacheKey(hashing: 3), as: [Double].self) == Self.spectrum(3))
        #expect(tier.fetchCount == fetches)
    }

    @Test("memoized functions count hits from the tier in the report")
    func reportCountsTierHits() throws {
        let tier = InMemorySharedTier()
        var configuration = configuration(tier)
        configuration.directory = "/machine-a"
        try withIsolatedMemo(configuration) { _ throws in
            let f = Memo.memoized(name: "f") { (x: Int) -> Int in x * 2 }
            _ = f(1)
            _ = f(2)
            Memo.cache.flush()
        }
        configuration.directory = "/machine-b"
        try withIsolatedMemo(configuration) { _ throws in
            let f = Memo.memoized(name: "f") { (x: Int) -> Int in -1 }
            #expect(f(1) == 2)
            #expect(f(2) == 4)
            let record = try #require(Memo.reportRecords().first { $0.function == "f" })
            #expect(record.sharedHits == 2)
            #expect(record.missCount == 0)
            #expect(Memo.report().contains("from tier"))
        }
    }

    @Test("the cache's own lookups ask the tier too")
    func plainLookups() throws {
        let tier = InMemorySharedTier()
        let machineA = try SpillingCache(configuration(tier))
        let machineB = try SpillingCache(configuration(tier))
        machineA.store("shared", forKey: CacheKey(hashing: "k"))
        machineA.flush()
        #expect(machineB.value(forKey: CacheKey(hashing: "k"), as: String.self) == "shared")
        #expect(machineB.stats.sharedHits == 1)
        #expect(machineB.value(forKey: CacheKey(hashing: "k"), as: Int.self) == nil)
        #expect(machineB.value(forKey: CacheKey(hashing: "absent"), as: String.self) == nil)
    }

    @Test("a tampered value is a miss, counted, never a wrong value")
    func tampered() throws {
        let tier = InMemorySharedTier()
        let machineA = try SpillingCache(configuration(tier))
        let key = CacheKey(hashing: "tampered")
        _ = machineA.value(forKey: key) { Self.spectrum(1) }
        machineA.flush()
        var bytes = try #require(tier.storedBytes(key))
        bytes[bytes.count - 3] ^= 0x40
        tier.replaceStoredBytes(key, with: bytes)
        let machineB = try SpillingCache(configuration(tier))
        let value = machineB.value(forKey: key) { Self.spectrum(1) }
        #expect(value == Self.spectrum(1))
        #expect(machineB.stats.failures >= 1)
        #expect(machineB.stats.sharedHits == 0)
        // Another key's valid bytes under this key: refused too (the header names its key).
        let other = CacheKey(hashing: "other")
        _ = machineA.value(forKey: other) { Self.spectrum(2) }
        machineA.flush()
        tier.replaceStoredBytes(
            CacheKey(hashing: "planted"), with: try #require(tier.storedBytes(other)))
        let machineC = try SpillingCache(configuration(tier))
        let planted = machineC.value(forKey: CacheKey(hashing: "planted")) { [0.5] }
        #expect(planted == [0.5])
    }

    @Test("a tier that is down fails no call, counts a failure, and is paused")
    func down() throws {
        let tier = InMemorySharedTier()
        tier.setDown(true)
        let cache = try SpillingCache(configuration(tier))
        for n in 0..<20 {
            #expect(cache.value(forKey: CacheKey(hashing: n)) { n * 3 } == n * 3)
        }
        let failures = cache.stats.failures
        #expect(failures >= 1)
        #expect(failures < 20, "paused after the first failure: \(failures)")
        // Back up: after the pause, sharing resumes.
        tier.setDown(false)
        Thread.sleep(forTimeInterval: 0.6)
        _ = cache.value(forKey: CacheKey(hashing: 100)) { 300 }
        cache.flush()
        #expect(tier.storedBytes(CacheKey(hashing: 100)) != nil)
    }

    @Test("a slow tier costs a call at most its timeout")
    func slow() async throws {
        let tier = InMemorySharedTier(timeout: .milliseconds(100))
        tier.setLatency(.seconds(600))
        let cache = try SpillingCache(configuration(tier))
        let start = ContinuousClock.now
        #expect(cache.value(forKey: CacheKey(hashing: 1)) { 1 } == 1)
        // The tier takes 600 s; the call gives up after 0.1 s. What proves it did not wait is
        // that the tier has answered nothing when the call returns; the wall-clock bound is
        // far below the tier's latency and far above the timeout, because the suite runs tests
        // in parallel on two cores (and under ThreadSanitizer), where a timeout's wake-up
        // waits for a free thread (23 s once, in CI).
        #expect(tier.fetchCount == 0)
        #expect(ContinuousClock.now - start < .seconds(120))
        #expect(cache.stats.failures >= 1)
        // The async path never waits longer either.
        let cache2 = try SpillingCache(configuration(tier))
        let asyncStart = ContinuousClock.now
        let value = await cache2.value(forKey: CacheKey(hashing: 2)) { () async -> Int in 2 }
        #expect(value == 2)
        #expect(tier.fetchCount == 0)
        #expect(ContinuousClock.now - asyncStart < .seconds(120))
    }

    @Test("single flight across machines: concurrent callers on two machines compute once")
    func singleFlightAcrossMachines() async throws {
        let tier = InMemorySharedTier()
        let machines = [
            try SpillingCache(configuration(tier)), try SpillingCache(configuration(tier)),
        ]
        let computations = Tally()
        await withTaskGroup(of: Int.self) { group in
            for caller in 0..<8 {
                group.addTask {
                    let machine = machines[caller % 2]
                    return await machine.value(forKey: CacheKey(hashing: "slow")) {
                        () async -> Int in
                        computations.add()
                        try? await Task.sleep(for: .milliseconds(200))
                        return 42
                    }
                }
            }
            for await value in group { #expect(value == 42) }
        }
        #expect(computations.value == 1)
        for machine in machines { machine.flush() }
        #expect(tier.count == 1)
        #expect(!tier.isLocked(CacheKey(hashing: "slow")), "the leader released its lock")
    }
}

/// A count shared by tasks.
final class Tally: Sendable {
    private let count = Atomic(0)
    func add() { count.add(1, ordering: .relaxed) }
    var value: Int { count.load(ordering: .relaxed) }
}
