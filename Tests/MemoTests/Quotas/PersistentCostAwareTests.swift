import Foundation
@testable import Memo
import MemoTesting
import Testing

/// Cost-aware eviction in persistent directories: the index keeps each entry's cost, use
/// count and priority, and the directory's inflation, so the rule survives reopening and
/// holds for every process sharing the directory.
@Suite("Cost-aware eviction in persistent directories", .serialized)
struct PersistentCostAwareTests {
    /// A persistent cache on `directory`, results on disk only through the index's budget.
    private func persistent(
        _ directory: String, eviction: DiskEviction, maxDisk: Int?, clock: TestClock
    ) throws -> SpillingCache {
        var configuration = CacheConfiguration()
        configuration.directory = directory
        configuration.persistent = true
        configuration.diskEviction = eviction
        configuration.maxDisk = maxDisk.map { ByteCount($0) }
        configuration.clock = clock
        configuration.logger = quietLogger
        return try SpillingCache(configuration)
    }

    private static func value(_ i: Int) -> [Double] {
        (0..<64).map { Double(i * 64 + $0) }
    }

    /// Stores keys `range` through `cache`, each costing `cost` on `clock`.
    private func store(
        _ range: Range<Int>, cost: Duration, in cache: SpillingCache, clock: TestClock
    ) {
        for i in range {
            _ = cache.value(forKey: CacheKey(hashing: "cost", i)) { () -> [Double] in
                clock.advance(by: cost)
                return Self.value(i)
            }
        }
        cache.flush()
    }

    @Test("reopening keeps each entry's cost, and the next process evicts by it")
    func reopeningKeepsCosts() throws {
        let directory = temporaryDirectoryPath()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let clock = TestClock()
        let first = try persistent(directory, eviction: .costAware, maxDisk: nil, clock: clock)
        store(0..<5, cost: .seconds(10), in: first, clock: clock)
        first.retire()

        let index = SQLiteSpillIndex(path: "\(directory)/\(SQLiteSpillIndex.fileName)")
        _ = try index.open()
        let stored = try index.allEntries()
        #expect(stored.count == 5)
        #expect(stored.allSatisfy { $0.cost == .seconds(10) && $0.uses == 1 }, "\(stored)")
        let fileSize = try #require(stored.first?.size)
        #expect(stored.allSatisfy { $0.size == fileSize })

        // A second cache, reopened: forty cheap results at a budget of twenty files.
        let second = try persistent(
            directory, eviction: .costAware, maxDisk: 20 * fileSize, clock: clock)
        store(5..<45, cost: .milliseconds(1), in: second, clock: clock)
        let kept = try index.allEntries()
        #expect(kept.count == 20)
        #expect(
            (0..<5).allSatisfy { i in kept.contains { $0.key == CacheKey(hashing: "cost", i) } },
            "the expensive results stored before reopening stay")
        #expect(kept.filter { $0.cost == .milliseconds(1) }.count == 15)
        // A read from disk counts a use in the index.
        let reader = try persistent(directory, eviction: .costAware, maxDisk: nil, clock: clock)
        #expect(reader.value(forKey: CacheKey(hashing: "cost", 0), as: [Double].self) == Self.value(0))
        reader.flush()
        #expect(try index.entry(forKey: CacheKey(hashing: "cost", 0))?.uses == 2)
        second.retire()
        reader.retire()
    }

    @Test("by recency, the same sequence drops the expensive results first")
    func recencyDropsThem() throws {
        let directory = temporaryDirectoryPath()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let clock = TestClock()
        let first = try persistent(directory, eviction: .leastRecentlyUsed, maxDisk: nil, clock: clock)
        store(0..<5, cost: .seconds(10), in: first, clock: clock)
        first.retire()
        let index = SQLiteSpillIndex(path: "\(directory)/\(SQLiteSpillIndex.fileName)")
        _ = try index.open()
        let fileSize = try #require(try index.allEntries().first?.size)
        let second = try persistent(
            directory, eviction: .leastRecentlyUsed, maxDisk: 20 * fileSize, clock: clock)
        store(5..<45, cost: .milliseconds(1), in: second, clock: clock)
        let kept = try index.allEntries()
        #expect(kept.count == 20)
        #expect(kept.allSatisfy { $0.cost == .milliseconds(1) }, "exact LRU: the oldest go")
        second.retire()
    }

    @Test("four processes sharing a directory evict by the same rule")
    func fourProcesses() async throws {
        for (eviction, expensiveKept) in [("cost", 12), ("lru", 0)] {
            let scratch = try MultiProcessTests.Scratch()
            defer { scratch.remove() }
            // Each process stores three results that take 200 ms, at no budget. (A cheap
            // result's measured cost includes its index lookups, milliseconds on a busy
            // machine: far below.)
            let expensive = (0..<4).map { process in
                ["costly", scratch.cache, "\(process * 3)", "3", "200", "\(1 << 40)", eviction]
            }
            for outcome in try await Self.runAll(expensive, logs: scratch) {
                outcome.expectSuccess("expensive writer")
                #expect(outcome.field("wrong") == 0, "\(outcome)")
            }
            let stored = try MultiProcessTests.DirectoryCheck(scratch.cache)
            #expect(stored.entries.count == 12)
            let fileSize = try #require(stored.entries.first?.size)
            #expect(stored.entries.allSatisfy { $0.size == fileSize && $0.cost >= .milliseconds(200) })

            // Then each stores ten cheap ones, at once, at a budget of twenty files.
            let cheap = (0..<4).map { process in
                [
                    "costly", scratch.cache, "\(100 + process * 10)", "10", "0",
                    "\(20 * fileSize)", eviction,
                ]
            }
            for outcome in try await Self.runAll(cheap, logs: scratch) {
                outcome.expectSuccess("cheap writer")
                #expect(outcome.field("wrong") == 0, "\(outcome)")
            }
            let check = try MultiProcessTests.DirectoryCheck(scratch.cache)
            check.expectConsistent(exact: true)
            #expect(check.entries.count == 20, "\(eviction)")
            let expensiveKeys = Set((0..<12).map { CacheKey(hashing: "costly", $0) })
            let kept = check.entries.filter { expensiveKeys.contains($0.key) }.count
            #expect(kept == expensiveKept, "\(eviction): \(kept) expensive results kept")
        }
    }

    /// Runs workers at once and waits for all of them.
    private static func runAll(
        _ argumentLists: [[String]], logs scratch: MultiProcessTests.Scratch
    ) async throws -> [MultiProcessTests.Worker.Outcome] {
        let workers = try argumentLists.map { try MultiProcessTests.Worker($0, logs: scratch) }
        var outcomes: [MultiProcessTests.Worker.Outcome] = []
        for worker in workers {
            outcomes.append(await worker.finish(within: MultiProcessTests.hangTimeout))
        }
        return outcomes
    }
}

/// An index of format version 1 (`Fixtures/index/v1.sql`) opened by this release.
@Suite("Index format migration")
struct IndexMigrationTests {
    @Test("an index of format 1 is brought to format 2; its entries stay, with cost 0")
    func formatOneMigrates() throws {
        let directory = temporaryDirectoryPath()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = "\(directory)/\(SQLiteSpillIndex.fileName)"
        do {
            let connection = try SQLiteConnection(path: path, create: true)
            try connection.execute(try Fixtures.text("index/v1.sql"))
        }
        let index = SQLiteSpillIndex(path: path)
        let totals = try index.open()
        #expect(totals == SpillIndexTotals(entries: 3, bytes: 4096 + 8192 + 100))
        let entries = try index.allEntries()
        #expect(entries.map(\.recency) == [1, 2, 3])
        #expect(entries.map(\.size) == [4096, 8192, 100])
        #expect(entries.map(\.function) == ["spectrum", "spectrum", ""])
        #expect(entries.allSatisfy { $0.cost == .zero && $0.uses == 1 })
        #expect(entries[0].lastUsedAt == .milliseconds(1_700_000_100_000))
        let version = try SQLiteConnection(path: path, create: false)
        let row = try version.statement("PRAGMA user_version")
        #expect(try row.step() && row.int64(0) == 2)

        // Known costs now count: a new entry outranks the migrated ones (cost 0) for
        // cost-aware eviction, which goes on from where recency left them.
        let key = CacheKey(hashing: "new")
        let outcome = try index.apply(
            [
                .insert(
                    SpillIndexEntry(
                        key: key, function: "spectrum", version: 1, valueType: 1,
                        fileName: "new.spill", size: 100, storedAt: .seconds(1),
                        lastUsedAt: .seconds(1), cost: .seconds(1)))
            ], maxBytes: 200, eviction: .costAware, owner: 1)
        #expect(outcome.evicted.map(\.size) == [4096, 8192])
        #expect(try index.allEntries().map(\.key).contains(key))
    }
}
