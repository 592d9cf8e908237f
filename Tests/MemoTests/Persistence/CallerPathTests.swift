import Foundation
@testable import Memo
import MemoTesting
import Testing

/// Nothing slow on the caller's path: a persistent miss returns once its value is in
/// memory, async callers never hold a cooperative thread on the disk, and a full
/// write-behind queue slows a store by at most ``SpillingCache/backlogWait``.
@Suite("The caller's path", .serialized)
struct CallerPathTests {
    /// A disk that takes `latency` for every write and sync (and, if asked, every read).
    static func slowDisk(
        _ latency: Duration, over disk: any SpillFileSystem, reads: Duration? = nil
    ) -> FaultInjectingFileSystem {
        let slow = FaultInjectingFileSystem(wrapping: disk)
        for operation in [FaultInjectingFileSystem.Operation.write, .synchronizeFile, .synchronizeDirectory] {
            slow.inject(.init(operation, on: .always, action: .latency(latency)))
        }
        if let reads { slow.inject(.init(.read, on: .always, action: .latency(reads))) }
        return slow
    }

    /// An in-memory persistent cache over `disk`, with an in-memory index.
    static func persistentCache(
        on disk: any SpillFileSystem, index: InMemorySpillIndex = InMemorySpillIndex()
    ) throws -> SpillingCache {
        try SpillingCache(inMemoryPersistentConfiguration(on: disk, index: index))
    }

    @Test("a persistent miss on a disk that takes 400 ms a write returns without waiting for it; a process waiting on the key gets the value")
    func missDoesNotWaitForTheDisk() async throws {
        let scratch = try MultiProcessTests.Scratch()
        defer { scratch.remove() }
        var configuration = CacheConfiguration()
        configuration.directory = scratch.cache
        configuration.persistent = true
        let slow = Self.slowDisk(.milliseconds(400), over: LocalFileSystem())
        configuration.fileSystem = slow
        configuration.logger = quietLogger
        let cache = try SpillingCache(configuration)

        var waiter: MultiProcessTests.Worker?
        var computed = ContinuousClock.now
        let value = try cache.value(forKey: CacheKey(hashing: "worker", 0)) { () -> [Double] in
            // This process holds the key's lock: the other process blocks on it.
            waiter = try MultiProcessTests.Worker(
                ["compute", scratch.cache, "1", "0", "\(1 << 30)"], logs: scratch)
            usleep(600_000)
            computed = ContinuousClock.now
            return Self.workerValue(0)
        }
        let returnedAfter = ContinuousClock.now - computed
        #expect(value == Self.workerValue(0))
        #expect(returnedAfter < .milliseconds(150), "the miss waited \(returnedAfter) after computing")

        let outcome = try #require(await waiter?.finish(within: .seconds(30)))
        outcome.expectSuccess("waiting process")
        #expect(!outcome.lines.contains("computed 0"), "the waiting process computed: \(outcome)")
        #expect(outcome.field("wrong") == 0, "\(outcome)")
        slow.removeAllRules()
        cache.flush()
    }

    @Test("eight async misses and eight async disk hits on a slow disk leave the cooperative pool free")
    func asyncCallersDoNotBlockThePool() async throws {
        let disk = InMemoryFileSystem()
        let index = InMemorySpillIndex()
        let keys = (0..<8).map { CacheKey(hashing: "async-slow", $0) }
        // A second a write: the previous hub blocked two cooperative threads for seconds.
        let slowWrites = Self.slowDisk(.seconds(1), over: disk)
        let writer = try Self.persistentCache(on: slowWrites, index: index)
        let ticker = Task { () -> Duration in
            let start = ContinuousClock.now
            for _ in 0..<10 { try? await Task.sleep(for: .milliseconds(10)) }
            return ContinuousClock.now - start
        }
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (n, key) in keys.enumerated() {
                group.addTask {
                    let value = await writer.value(forKey: key) { () async -> [Int] in [n] }
                    #expect(value == [n])
                }
            }
            try await group.waitForAll()
        }
        let missesTook = ContinuousClock.now - start
        let tickerTook = await ticker.value
        // The previous hub held both cooperative threads of this machine for seconds (each
        // miss waited for its 1 s write): the bounds leave room for a loaded machine.
        #expect(missesTook < .milliseconds(1_500), "eight misses took \(missesTook)")
        #expect(tickerTook < .milliseconds(1_500), "the ticker took \(tickerTook) for 100 ms of sleeps")
        slowWrites.removeAllRules()
        writer.flush()
        writer.retire()

        // A second cache finds them in the directory; each read takes a second.
        let reader = try Self.persistentCache(
            on: Self.slowDisk(.milliseconds(400), over: disk, reads: .seconds(1)),
            index: index)
        let readTicker = Task { () -> Duration in
            let start = ContinuousClock.now
            for _ in 0..<10 { try? await Task.sleep(for: .milliseconds(10)) }
            return ContinuousClock.now - start
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (n, key) in keys.enumerated() {
                group.addTask {
                    let value = await reader.value(forKey: key) { () async -> [Int] in [-1] }
                    #expect(value == [n], "a disk hit, not a computation")
                }
            }
            try await group.waitForAll()
        }
        let readTickerTook = await readTicker.value
        #expect(reader.stats.diskHits == 8)
        #expect(readTickerTook < .milliseconds(1_500), "the ticker took \(readTickerTook) during disk hits")
    }

    @Test("with the write-behind queue full, a store returns within the stated bound and its write is counted as dropped")
    func fullQueueBoundsTheStore() throws {
        let cache = try Self.persistentCache(on: InMemoryFileSystem())
        cache.holdWriteBehindForTests()
        // Overwrites fill the queue with writes their batch would skip: a store removes
        // them and goes on at once.
        let overwritten = CacheKey(hashing: "full-queue", -1)
        for round in 0...4_096 { cache.store([round], forKey: overwritten) }
        #expect(cache.stats.skippedWrites > 0)
        #expect(cache.stats.droppedWrites == 0)

        // Distinct keys fill it with writes that are all current.
        for n in 0..<4_096 { cache.store([n], forKey: CacheKey(hashing: "full-queue", n)) }
        let start = ContinuousClock.now
        cache.store([42], forKey: CacheKey(hashing: "full-queue", "last"))
        let took = ContinuousClock.now - start
        #expect(took >= SpillingCache.backlogWait, "the store waited for room first")
        #expect(took < SpillingCache.backlogWait + .milliseconds(500), "the store took \(took)")
        #expect(cache.stats.droppedWrites >= 1)
        // The value itself stays in memory.
        #expect(cache.value(forKey: CacheKey(hashing: "full-queue", "last"), as: [Int].self) == [42])
        cache.drainPendingForTests()
    }

    /// The worker's value of key `i` (as `expectedValue` in `memo-worker`).
    static func workerValue(_ i: Int) -> [Double] {
        let count = 8 + (i * 37 % 97) * 4
        return (0..<count).map { j in Double(i) * 1_000 + Double(j) * 0.5 + 0.25 }
    }
}
