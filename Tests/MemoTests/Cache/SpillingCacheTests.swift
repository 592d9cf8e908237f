import Memo
import MemoTesting
import Synchronization
import Testing

@Suite("SpillingCache: storing, spilling, reloading")
struct SpillingCacheTests {
    @Test("a stored value is a hit; an absent key is a miss")
    func storeAndLookup() throws {
        let h = try CacheHarness(maxMemory: 10_000)
        h.cache.store([1.0, 2.0], forKey: key(1))
        #expect(h.cache.value(forKey: key(1), as: [Double].self) == [1.0, 2.0])
        #expect(h.cache.value(forKey: key(2), as: [Double].self) == nil)
        let stats = h.cache.stats
        #expect(stats.hits == 1)
        #expect(stats.misses == 1)
        #expect(stats.hitRate == 0.5)
        #expect(stats.memoryEntries == 1)
        #expect(stats.memoryBytes == [1.0, 2.0].memoryCost + SpillingCache.entryOverhead)
    }

    @Test("a value stored as one type is a miss when asked for as another")
    func wrongType() throws {
        let h = try CacheHarness(maxMemory: 10_000)
        h.cache.store(42, forKey: key(1))
        #expect(h.cache.value(forKey: key(1), as: String.self) == nil)
        #expect(h.cache.stats.misses == 1)
        #expect(h.cache.stats.hits == 0, "a lookup of another type is one miss, not a hit too")
        #expect(h.cache.value(forKey: key(1), as: Int.self) == 42)
        #expect(h.cache.stats.hits == 1)
        // On disk too: the entry stays, and no failure is counted.
        h.cache.store([UInt8](repeating: 0, count: 20_000), forKey: key(2))  // oversized: disk
        #expect(h.cache.value(forKey: key(2), as: [Double].self) == nil)
        #expect(h.cache.stats.failures == 0)
        #expect(h.cache.value(forKey: key(2), as: [UInt8].self)?.count == 20_000)
    }

    @Test("a cached nil is a hit, in memory and after a spill")
    func cachedNil() throws {
        let h = try CacheHarness(maxMemory: Blob.charge(100))
        h.cache.store(Int?.none, forKey: key(1))
        let inMemory = h.cache.value(forKey: key(1), as: Int?.self)
        #expect(inMemory == .some(nil))
        h.cache.store(Blob(id: 2, size: 100), forKey: key(2))  // spills key(1)
        #expect(h.cache.stats.diskEntries == 1)
        let fromDisk = h.cache.value(forKey: key(1), as: Int?.self)
        #expect(fromDisk == .some(nil))
        #expect(h.cache.stats.hits == 2)
        #expect(h.cache.stats.misses == 0)
    }

    @Test("least recently used entries spill, and come back on the next hit")
    func spillAndReload() throws {
        let h = try CacheHarness(maxMemory: 2 * Blob.charge(100))
        for id in 1...3 { h.cache.store(Blob(id: id, size: 100), forKey: key(id)) }
        var stats = h.cache.stats
        #expect(stats.memoryEntries == 2)
        #expect(stats.diskEntries == 1)
        #expect(stats.spills == 1)
        #expect(h.spillPath(of: key(1)) != nil, "the oldest entry spilled")
        #expect(h.files.count == 1)
        #expect(stats.diskBytes == h.fileBytes)

        // Touch 2, so 3 is now the least recently used in memory.
        #expect(h.cache.value(forKey: key(2), as: Blob.self) == Blob(id: 2, size: 100))
        #expect(h.cache.value(forKey: key(1), as: Blob.self) == Blob(id: 1, size: 100))
        stats = h.cache.stats
        #expect(stats.diskHits == 1)
        #expect(stats.hits == 2)
        #expect(stats.spills == 2)
        #expect(h.spillPath(of: key(1)) != nil, "a reloaded entry keeps its file")
        #expect(h.spillPath(of: key(3)) != nil, "the least recently used entry spilled")
        #expect(stats.memoryBytes == 2 * Blob.charge(100))
        #expect(stats.memoryBytes <= h.cache.configuration.maxMemory.bytes)
    }

    @Test("a value larger than the budget goes straight to disk and still comes back")
    func oversized() throws {
        let h = try CacheHarness(maxMemory: 1_000)
        let big = [Double](repeating: 1.5, count: 1_000)
        h.cache.store(big, forKey: key(1))
        var stats = h.cache.stats
        #expect(stats.memoryBytes == 0)
        #expect(stats.diskEntries == 1)
        #expect(stats.spills == 1)
        #expect(h.cache.value(forKey: key(1), as: [Double].self) == big)
        stats = h.cache.stats
        #expect(stats.memoryBytes == 0, "an oversized value never stays in memory")
        #expect(stats.diskEntries == 1)
        #expect(stats.diskHits == 1)
    }

    @Test("an entry charged exactly the budget stays in memory and comes back to memory")
    func exactlyTheBudget() throws {
        let h = try CacheHarness(maxMemory: Blob.charge(100))
        h.cache.store(Blob(id: 1, size: 100), forKey: key(1))
        #expect(h.cache.stats.memoryEntries == 1, "charge == maxMemory fits")
        #expect(h.cache.stats.memoryBytes == h.cache.configuration.maxMemory.bytes)
        h.cache.store(Blob(id: 2, size: 100), forKey: key(2))  // key(1) spills
        #expect(h.cache.value(forKey: key(1), as: Blob.self)?.id == 1)
        let stats = h.cache.stats
        #expect(stats.diskHits == 1)
        #expect(stats.memoryEntries == 1, "the reloaded entry is back in memory")
        #expect(h.spillPath(of: key(1)) != nil, "and keeps its file while unchanged")
        #expect(h.spillPath(of: key(2)) != nil)
    }

    @Test("every touch is a new moment: disk order follows the order of hits")
    func touchesAdvanceRecency() throws {
        // One blob fits in memory, one file fits on disk.
        let h = try CacheHarness(maxMemory: Blob.charge(100), maxDisk: ReferenceModel.fileBytes)
        h.cache.store(Blob(id: 1, size: 100), forKey: key(1))  // A, in memory
        h.cache.store(Blob(id: 2, size: 10_000), forKey: key(2))  // O, oversized: on disk
        #expect(h.cache.value(forKey: key(1), as: Blob.self)?.id == 1)  // touch A
        #expect(h.cache.value(forKey: key(2), as: Blob.self)?.id == 2)  // touch O, after A
        h.cache.store(Blob(id: 3, size: 100), forKey: key(3))  // A spills; disk holds one file
        // A was used before O, so A's file is the least recently used one: it goes.
        let stats = h.cache.stats
        #expect(stats.evictions == 1)
        #expect(h.cache.value(forKey: key(2), as: Blob.self)?.id == 2)
        #expect(h.cache.value(forKey: key(1), as: Blob.self) == nil)
    }

    @Test("storing again replaces the value and its file, in either tier")
    func replace() throws {
        let h = try CacheHarness(maxMemory: Blob.charge(100))
        h.cache.store(Blob(id: 1, size: 100), forKey: key(1))
        h.cache.store(Blob(id: 2, size: 100), forKey: key(2))  // key(1) spills
        h.cache.store(Blob(id: 10, size: 100), forKey: key(1))  // replaces the spilled one
        #expect(h.cache.value(forKey: key(1), as: Blob.self)?.id == 10)
        let stats = h.cache.stats
        #expect(stats.memoryEntries + stats.diskEntries == 2)
        #expect(h.files.count == stats.diskEntries, "no file of the replaced value is left")
        #expect(stats.diskBytes == h.fileBytes)
    }

    @Test("removeValue removes from either tier, with its file")
    func remove() throws {
        let h = try CacheHarness(maxMemory: Blob.charge(100))
        h.cache.store(Blob(id: 1, size: 100), forKey: key(1))
        h.cache.store(Blob(id: 2, size: 100), forKey: key(2))
        #expect(h.cache.removeValue(forKey: key(1)))  // on disk
        #expect(h.cache.removeValue(forKey: key(2)))  // in memory
        #expect(!h.cache.removeValue(forKey: key(3)))
        let stats = h.cache.stats
        #expect(stats.memoryEntries == 0 && stats.diskEntries == 0)
        #expect(stats.memoryBytes == 0 && stats.diskBytes == 0)
        #expect(stats.evictions == 0, "removals are not evictions")
        #expect(h.files.isEmpty)
        #expect(h.cache.value(forKey: key(1), as: Blob.self) == nil)
    }

    @Test("removeAll empties memory and disk and keeps the counters of past events")
    func removeAll() throws {
        let h = try CacheHarness(maxMemory: Blob.charge(100))
        for id in 1...5 { h.cache.store(Blob(id: id, size: 100), forKey: key(id)) }
        _ = h.cache.value(forKey: key(5), as: Blob.self)
        h.cache.removeAll()
        let stats = h.cache.stats
        #expect(stats.memoryEntries == 0 && stats.diskEntries == 0)
        #expect(stats.memoryBytes == 0 && stats.diskBytes == 0)
        #expect(stats.hits == 1 && stats.spills == 4)
        #expect(h.files.isEmpty)
        for id in 1...5 { #expect(h.cache.value(forKey: key(id), as: Blob.self) == nil) }
        // The cache keeps working afterwards.
        h.cache.store(Blob(id: 9, size: 100), forKey: key(9))
        h.cache.store(Blob(id: 8, size: 100), forKey: key(8))
        #expect(h.cache.value(forKey: key(9), as: Blob.self)?.id == 9)
    }

    @Test("removeAll releases the values after its locks: a deinitializer may use the cache")
    func removeAllReleasesValuesOutsideTheLocks() throws {
        let h = try CacheHarness(maxMemory: 1 << 20)
        let seen = Mutex<[Int]>([])
        for id in 1...3 {
            // Reading `stats` takes the state's lock: under it, this would deadlock.
            h.cache.store(
                CacheUser(id: id) { id in seen.withLock { $0.append(id * 100 + h.cache.stats.memoryEntries) } },
                forKey: key(id))
        }
        h.cache.removeAll()
        // Each deinitializer ran, after the entries were gone.
        #expect(seen.withLock { $0.sorted() } == [100, 200, 300])
    }

    @Test("maxDisk deletes the least recently used files, counted as evictions")
    func diskBudget() throws {
        let h = try CacheHarness(maxMemory: Blob.charge(100), maxDisk: 200)
        for id in 1...6 { h.cache.store(Blob(id: id, size: 100), forKey: key(id)) }
        let stats = h.cache.stats
        let fileSize = 64 + 16  // header + two Ints
        #expect(stats.diskBytes <= 200)
        #expect(stats.diskEntries == 200 / fileSize)
        #expect(stats.evictions == 5 - 200 / fileSize)
        #expect(stats.diskBytes == h.fileBytes)
        #expect(h.cache.value(forKey: key(1), as: Blob.self) == nil, "the oldest was evicted")
        #expect(h.cache.value(forKey: key(5), as: Blob.self)?.id == 5)
    }

    @Test("entries expire timeToLive after they were stored, in either tier")
    func timeToLive() throws {
        let h = try CacheHarness(maxMemory: Blob.charge(100), timeToLive: .seconds(60))
        h.cache.store(Blob(id: 1, size: 100), forKey: key(1))
        h.clock.advance(by: .seconds(30))
        h.cache.store(Blob(id: 2, size: 100), forKey: key(2))  // key(1) spills
        #expect(h.cache.value(forKey: key(2), as: Blob.self) != nil)
        h.clock.advance(by: .seconds(30))  // key(1) is 60 s old: expired
        #expect(h.cache.value(forKey: key(1), as: Blob.self) == nil)
        #expect(
            h.cache.value(forKey: key(2), as: Blob.self)?.id == 2, "accesses do not extend life")
        h.clock.advance(by: .seconds(30))
        #expect(h.cache.value(forKey: key(2), as: Blob.self) == nil)
        let stats = h.cache.stats
        #expect(stats.expirations == 2)
        #expect(stats.memoryEntries == 0 && stats.diskEntries == 0)
        #expect(h.files.isEmpty)
    }

    @Test("stats prints like the seed, with units")
    func statsDescription() throws {
        var stats = CacheStats()
        stats.hits = 42
        stats.misses = 15
        stats.memoryBytes = 1_500_000_000
        let text = stats.description
        #expect(text.contains("Hits: 42"))
        #expect(text.contains("Misses: 15"))
        #expect(text.contains("Hit Rate: 73.7%"))
        #expect(text.contains("Memory: 1.50 GB in 0 entries"))
    }

    @Test("a persistent cache on an in-memory file system without an in-memory index is refused")
    func persistentNeedsAnIndex() {
        var configuration = CacheConfiguration()
        configuration.fileSystem = InMemoryFileSystem()
        configuration.directory = "/memo-test/nowhere"
        configuration.persistent = true
        #expect(throws: SpillIndexError.self) { try SpillingCache(configuration) }
    }

    @Test("a spilled value of a subclass reloads as the class it was stored as")
    func subclassValueReloads() throws {
        // Nothing fits in memory: the value goes straight to disk and comes back from it.
        let h = try CacheHarness(maxMemory: 1)
        let key = CacheKey(hashing: "shape")
        h.cache.store(Square(sides: 3) as Shape, forKey: key)
        #expect(h.cache.stats.diskEntries == 1)
        #expect(h.cache.value(forKey: key, as: Shape.self)?.sides == 3)
        #expect(h.cache.stats.diskHits == 1)
        #expect(h.cache.stats.failures == 0)
    }
}

/// A value that calls `onDeinit` with its id when it is released.
private final class CacheUser: Spillable {
    let id: Int
    let onDeinit: @Sendable (Int) -> Void

    init(id: Int, onDeinit: @escaping @Sendable (Int) -> Void) {
        self.id = id
        self.onDeinit = onDeinit
    }

    deinit { onDeinit(id) }

    var memoryCost: Int { 64 }

    func spill(into writer: inout SpillWriter) throws { writer.write(id) }

    init(unspilling reader: inout SpillReader) throws {
        id = try reader.read(Int.self)
        onDeinit = { _ in }
    }
}
