import Foundation
@testable import Memo
import MemoTesting
import Synchronization
import SystemPackage
import TestProcesses
import Testing

/// Persistent directories in one process: reopening, the kept-file rule, the directory
/// budget, leftovers, refusals. Real directories and the real SQLite index; processes
/// are in `MultiProcessTests`.
@Suite("Persistent directories")
struct PersistentCacheTests {
    /// A fresh persistent configuration on a real temporary directory.
    static func configuration(
        _ path: String, maxMemory: Int = 1 << 20, maxDisk: Int? = nil
    ) -> CacheConfiguration {
        var configuration = CacheConfiguration()
        configuration.directory = path
        configuration.persistent = true
        configuration.maxMemory = ByteCount(maxMemory)
        configuration.maxDisk = maxDisk.map { ByteCount($0) }
        configuration.logger = quietLogger
        return configuration
    }

    static func values(_ n: Int) -> [Double] { (0..<32).map { Double($0 * n) } }

    /// A writer that stores `values(n)` under `key(n)` for each `n`, flushes and closes
    /// (flushed, since its queue's worker could otherwise outlive it).
    static func write(_ keys: some Sequence<Int>, to path: String) throws {
        let writer = try SpillingCache(configuration(path))
        for n in keys { writer.store(values(n), forKey: key(n)) }
        writer.flush()
    }

    static func spillFiles(_ path: String) -> Set<String> {
        Set(
            ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).filter {
                $0.hasSuffix(".spill")
            })
    }

    @Test("a new cache on the directory finds every value by key, and counts what is there")
    func reopen() throws {
        let path = temporaryDirectoryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            let writer = try SpillingCache(Self.configuration(path))
            for n in 0..<20 { writer.store(Self.values(n), forKey: key(n)) }
            writer.flush()
            #expect(writer.stats.diskBytes > 0)
        }
        let reader = try SpillingCache(Self.configuration(path))
        var stats = reader.stats
        #expect(stats.diskEntries == 20, "counted from the index, not a scan")
        let files = Self.spillFiles(path)
        #expect(files.count == 20)
        let bytes = files.reduce(0) {
            $0
                + ((try? FileManager.default.attributesOfItem(atPath: "\(path)/\($1)")[.size]
                    as? Int) ?? 0)
        }
        #expect(stats.diskBytes == bytes)
        var computed = 0
        for n in 0..<20 {
            let value = reader.value(forKey: key(n)) { () -> [Double] in
                computed += 1
                return []
            }
            #expect(value == Self.values(n))
        }
        #expect(computed == 0)
        stats = reader.stats
        #expect(stats.diskHits == 20)
        #expect(stats.memoryEntries == 20)
        #expect(stats.diskEntries == 0, "in memory now, their files kept")
        #expect(stats.diskBytes == bytes)
        #expect(stats.failures == 0)
    }

    /// Batches of the write-behind queue write their files several at a time on a real
    /// disk; every value must still be recorded under its own key, and only once.
    @Test("many values written several at a time are each recorded once, under their own key")
    func parallelWrites() throws {
        let path = temporaryDirectoryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let count = 600
        do {
            let writer = try SpillingCache(Self.configuration(path, maxMemory: 64 << 10))
            for n in 0..<count { writer.store(Self.values(n), forKey: key(n)) }
            writer.flush()
            #expect(writer.stats.failures == 0)
        }
        let reader = try SpillingCache(Self.configuration(path))
        #expect(reader.stats.diskEntries == count)
        #expect(Self.spillFiles(path).count == count)
        for n in 0..<count {
            #expect(reader.value(forKey: key(n), as: [Double].self) == Self.values(n))
        }
        #expect(reader.stats.diskHits == count)
    }

    @Test("a value of a subclass is found after a reopen as the class it was stored as")
    func subclassValueReopens() throws {
        let path = temporaryDirectoryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let key = CacheKey(hashing: "shape")
        do {
            let writer = try SpillingCache(Self.configuration(path))
            writer.store(Square(sides: 5) as Shape, forKey: key)
            writer.flush()
        }
        let reader = try SpillingCache(Self.configuration(path))
        #expect(reader.value(forKey: key, as: Shape.self)?.sides == 5)
        #expect(reader.stats.diskHits == 1)
    }

    @Test("a value found in the directory comes to memory if it fits, exactly the budget too")
    func adoptedByBudget() throws {
        let path = temporaryDirectoryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let value = Self.values(1)
        let charge = value.memoryCost + SpillingCache.entryOverhead
        try Self.write([1], to: path)
        for (budget, inMemory) in [(charge, 1), (charge - 1, 0)] {
            let reader = try SpillingCache(Self.configuration(path, maxMemory: budget))
            #expect(reader.value(forKey: key(1), as: [Double].self) == value)
            let stats = reader.stats
            #expect(stats.memoryEntries == inMemory, "budget \(budget), charge \(charge)")
            #expect(stats.diskEntries == 1 - inMemory)
            #expect(stats.memoryBytes <= budget)
        }
    }

    @Test("a value is written once, however often it cycles through memory")
    func writtenOnce() throws {
        // 8 values of 32 KiB, memory for 2: every value is stored, then each is reloaded
        // (evicting another) three times over.
        for persistent in [false, true] {
            let path = temporaryDirectoryPath()
            defer { try? FileManager.default.removeItem(atPath: path) }
            let counting = FaultInjectingFileSystem(wrapping: LocalFileSystem())
            counting.inject(.init(.write, on: .always, action: .latency(.zero)))
            var configuration = Self.configuration(
                path, maxMemory: 2 * (32 * 1024 + SpillingCache.entryOverhead + 16))
            configuration.persistent = persistent
            configuration.fileSystem = counting
            let cache = try SpillingCache(configuration)
            let big = (0..<8).map { n in [UInt8](repeating: UInt8(n), count: 32 * 1024) }
            for n in 0..<8 { cache.store(big[n], forKey: key(n)) }
            for _ in 0..<3 {
                for n in 0..<8 { #expect(cache.value(forKey: key(n), as: [UInt8].self) == big[n]) }
            }
            cache.flush()
            let writes = counting.injectedFaults.filter { $0.operation == .write }.count
            #expect(writes == 8, "persistent: \(persistent)")
            #expect(cache.stats.failures == 0)
        }
    }

    @Test("maxDisk holds for the directory, least recently used out first, across caches")
    func directoryBudget() throws {
        let path = temporaryDirectoryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let one = try SpillingCache(Self.configuration(path))
        one.store(Self.values(0), forKey: key(0))
        one.flush()
        let fileSize = one.stats.diskBytes
        let budget = 5 * fileSize
        let first = try SpillingCache(Self.configuration(path, maxDisk: budget))
        let second = try SpillingCache(Self.configuration(path, maxDisk: budget))
        for n in 1...4 { first.store(Self.values(n), forKey: key(n)) }
        first.flush()
        #expect(second.value(forKey: key(0), as: [Double].self) == Self.values(0))  // touch 0
        second.flush()
        for n in 5...7 { second.store(Self.values(n), forKey: key(n)) }
        second.flush()
        let index = SQLiteSpillIndex(path: "\(path)/\(SQLiteSpillIndex.fileName)")
        _ = try index.open()
        let totals = try index.totals()
        #expect(totals.bytes <= budget)
        #expect(totals.entries == 5)
        let kept = Set(try index.allEntries().map(\.key))

        #expect(kept == Set([0, 4, 5, 6, 7].map(key)), "1, 2, 3 were least recently used")
        #expect(Self.spillFiles(path) == Set(try index.allEntries().map(\.fileName)))
        #expect(second.stats.evictions == 3)
    }

    @Test("the index commits at synchronous = NORMAL, before and after a flush")
    func normalSynchronous() throws {
        let path = temporaryDirectoryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let index = SQLiteSpillIndex(path: "\(path)/\(SQLiteSpillIndex.fileName)")
        _ = try index.open()
        // SQLite's default is FULL (2): a WAL sync at every commit.
        #expect(try index.synchronousSetting == 1)
        try index.synchronize()
        #expect(try index.synchronousSetting == 1)
    }

    @Test("files the cache did not write are never deleted or read")
    func foreignFiles() throws {
        let path = temporaryDirectoryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        _ = try SpillingCache(Self.configuration(path))
        let fm = FileManager.default
        let foreign = [
            "notes.txt", "abc.spill", "\(key(3).hex)-zz.spill", "\(key(4).hex)-5.spill.tmp",
        ]
        for name in foreign { _ = fm.createFile(atPath: "\(path)/\(name)", contents: Data([7])) }

        let cache = try SpillingCache(Self.configuration(path))
        cache.store(Self.values(1), forKey: key(1))
        cache.removeAll()
        for name in foreign { #expect(fm.fileExists(atPath: "\(path)/\(name)")) }
        #expect(cache.value(forKey: key(3), as: [Double].self) == nil)
    }

    @Test("files a dead writer reserved, and their temporaries, are deleted at the next open")
    func abandonedReservations() throws {
        let path = temporaryDirectoryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        _ = try SpillingCache(Self.configuration(path))
        let index = SQLiteSpillIndex(path: "\(path)/\(SQLiteSpillIndex.fileName)")
        _ = try index.open()
        let dead = "\(key(1).hex)-a1.spill"
        let live = "\(key(2).hex)-b2.spill"
        _ = try index.apply(
            [
                .reserve(fileName: dead, owner: 4_194_999),  // above pid_max: never alive
                .reserve(fileName: live, owner: getpid()),
            ], maxBytes: nil, owner: getpid())
        // A dead writer may have left the file, or only its temporary name.
        for name in [dead, dead + ".tmp", live, live + ".tmp"] {
            _ = FileManager.default.createFile(atPath: "\(path)/\(name)", contents: Data([1]))
        }
        _ = try SpillingCache(Self.configuration(path))
        #expect(!FileManager.default.fileExists(atPath: "\(path)/\(dead)"))
        #expect(!FileManager.default.fileExists(atPath: "\(path)/\(dead).tmp"))
        for name in [live, live + ".tmp"] {
            #expect(FileManager.default.fileExists(atPath: "\(path)/\(name)"), "its writer lives")
        }
        #expect(
            try index.reservations() == [SpillIndexReservation(fileName: live, owner: getpid())])
    }

    @Test("an index from a newer format version is refused, saying so")
    func newerIndex() throws {
        let path = temporaryDirectoryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        _ = try SpillingCache(Self.configuration(path))
        let connection = try SQLiteConnection(
            path: "\(path)/\(SQLiteSpillIndex.fileName)", create: false)
        try connection.execute("PRAGMA user_version = 99")
        #expect(throws: SpillIndexError.newerFormat(found: 99, supported: SQLiteSpillIndex.formatVersion)) {
            try SpillingCache(Self.configuration(path))
        }
        #expect(SpillIndexError.newerFormat(found: 99, supported: SQLiteSpillIndex.formatVersion).description.contains("newer"))
    }

    @Test("a corrupt file found through the index is a miss, removed and counted")
    func corruptThroughIndex() throws {
        let path = temporaryDirectoryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Self.write([1, 2], to: path)
        let name = try #require(Self.spillFiles(path).first { $0.hasPrefix(key(1).hex) })
        let handle = try #require(FileHandle(forUpdatingAtPath: "\(path)/\(name)"))
        try handle.seek(toOffset: 100)
        try handle.write(contentsOf: Data([0xFF, 0xFF]))
        try handle.close()
        let reader = try SpillingCache(Self.configuration(path))
        #expect(reader.value(forKey: key(1), as: [Double].self) == nil)
        #expect(reader.value(forKey: key(2), as: [Double].self) == Self.values(2))
        reader.flush()
        #expect(reader.stats.failures == 1)
        #expect(!Self.spillFiles(path).contains(name))
        #expect(reader.stats.diskEntries + reader.stats.memoryEntries == 1)
    }

    @Test("another type is a miss that leaves the entry; another function version is removed")
    func otherTypeOrVersion() throws {
        let path = temporaryDirectoryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Self.write([1], to: path)
        let reader = try SpillingCache(Self.configuration(path))
        #expect(reader.value(forKey: key(1), as: [Float].self) == nil)
        #expect(reader.stats.failures == 0)
        // The key hashes the function's identity and version, so a file that records
        // another one is not this key's value: unverifiable, removed and counted.
        let other = reader.valueAny(
            forKey: key(1), type: [Double].self,
            function: StoredFunction(name: "other", version: 1))
        #expect(other.value == nil)
        #expect(other.outcome == .miss(.corrupt))
        #expect(reader.stats.failures == 1)
        #expect(reader.value(forKey: key(1), as: [Double].self) == nil)
        #expect(Self.spillFiles(path).isEmpty)
    }

    /// A cache on `configuration` that has stored `values(1)` under `key(1)` and recorded it.
    private static func cacheRecordingOneValue(
        _ configuration: CacheConfiguration
    ) throws -> SpillingCache {
        let cache = try SpillingCache(configuration)
        cache.store(values(1), forKey: key(1))
        cache.flush()
        return cache
    }

    @Test("a value whose write fails leaves the value it replaced recorded in the directory")
    func failedOverwriteKeepsThePreviousValue() throws {
        let disk = FaultInjectingFileSystem(wrapping: InMemoryFileSystem())
        let index = InMemorySpillIndex()
        let configuration = inMemoryPersistentConfiguration(on: disk, index: index)
        do {
            let writer = try Self.cacheRecordingOneValue(configuration)
            disk.inject(.init(.write, on: .always, action: .fail(.ioError)))
            writer.store(Self.values(2), forKey: key(1))
            writer.flush()
            #expect(writer.stats.failures >= 1)
            #expect(writer.value(forKey: key(1), as: [Double].self) == Self.values(2), "in memory")
        }
        disk.removeAllRules()
        // The replaced value was superseded, not removed: its row goes only with the
        // transaction that records its successor, which never came.
        let reader = try SpillingCache(configuration)
        #expect(reader.value(forKey: key(1), as: [Double].self) == Self.values(1))
    }

    @Test("a directory whose index refuses writes still serves hits; writes count as failures")
    func readOnlyIndex() throws {
        let disk = InMemoryFileSystem()
        let index = InMemorySpillIndex()
        let configuration = inMemoryPersistentConfiguration(on: disk, index: index)
        _ = try Self.cacheRecordingOneValue(configuration)
        index.refusesWrites = true
        let reader = try SpillingCache(configuration)
        #expect(reader.value(forKey: key(1), as: [Double].self) == Self.values(1))
        reader.store(Self.values(2), forKey: key(2))
        reader.flush()
        #expect(reader.stats.failures >= 1)
        #expect(reader.value(forKey: key(2), as: [Double].self) == Self.values(2), "in memory")
        #expect(!disk.allFilePaths.contains { $0.hasPrefix("/memo/\(key(2).hex)") })
    }
}

/// The global `Memo` over a persistent directory: part of the serialized "Memo registry"
/// suite, since a suite of its own would run beside that one and replace its cache.
extension MemoRegistryTests {
    @Test("configure keeps a persistent cache's files, and named functions find them again")
    func acrossRuns() throws {
        let path = temporaryDirectoryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let runs = Atomic(0)
        let square = Memo.memoized(name: "persistent-square") { (n: Int) -> Int in
            runs.add(1, ordering: .relaxed)
            return n * n
        }
        try Memo.configure(PersistentCacheTests.configuration(path))
        for n in 0..<10 { #expect(square(n) == n * n) }
        // A "restart": a new cache on the same directory replaces the first.
        try Memo.configure(PersistentCacheTests.configuration(path))
        for n in 0..<10 { #expect(square(n) == n * n) }
        #expect(runs.load(ordering: .relaxed) == 10)
        #expect(Memo.stats.diskHits == 10)
        Memo.clear()
        try Memo.configure(PersistentCacheTests.configuration(path))
        #expect(square(3) == 9)
        #expect(runs.load(ordering: .relaxed) == 11, "clear() removes persistent entries")
        try Memo.configure(CacheConfiguration())
    }

    @Test("a persistent cache that configure replaced lets go of its directory")
    func replacedCacheReleasesDirectory() throws {
        let path = temporaryDirectoryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let cube = Memo.memoized(name: "persistent-cube") { (n: Int) -> Int in n * n * n }
        try Memo.configure(PersistentCacheTests.configuration(path))
        #expect(cube(3) == 27)
        #expect(try SQLiteSpillIndex.lockDirectoryExclusively(path) == nil, "open: in use")
        try Memo.configure(CacheConfiguration())
        // The replaced context stays allocated (a call may still hold it), its directory
        // does not: a rebuild may take it.
        let release = try SQLiteSpillIndex.lockDirectoryExclusively(path)
        #expect(release != nil, "the replaced cache still holds its directory")
        release?()
        #expect(cube(3) == 27)
    }
}

/// A read-only bind mount of a directory, where the process may mount (root, with the
/// capability): the one way to make a directory read-only to root, which ignores modes.
struct ReadOnlyMount {
    let path: String

    /// Mounts `source` read-only at a fresh path; `nil` where mounting is not allowed.
    init?(of source: String) {
        path = temporaryDirectoryPath()
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        guard Self.run(["--bind", source, path]) else {
            try? FileManager.default.removeItem(atPath: path)
            return nil
        }
        guard Self.run(["-o", "remount,ro,bind", path]) else {
            unmount()
            return nil
        }
    }

    func unmount() {
        _ = try? SpawnedProcess.run("/bin/umount", [path])
        try? FileManager.default.removeItem(atPath: path)
    }

    private static func run(_ arguments: [String]) -> Bool {
        (try? SpawnedProcess.run("/bin/mount", arguments)) == .exited(0)
    }

    /// Whether this process can make read-only mounts (tried once, on a scratch folder).
    static let isAvailable: Bool = {
        guard geteuid() == 0 else { return false }
        let scratch = temporaryDirectoryPath()
        try? FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        guard let mount = ReadOnlyMount(of: scratch) else { return false }
        mount.unmount()
        return true
    }()
}

extension PersistentCacheTests {
    @Test(
        "a read-only directory serves hits; its writes count as failures",
        .enabled(if: ReadOnlyMount.isAvailable, "needs root allowed to mount read-only"))
    func readOnlyDirectory() throws {
        let path = temporaryDirectoryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Self.write(0..<5, to: path)
        let mount = try #require(ReadOnlyMount(of: path))
        defer { mount.unmount() }
        let reader = try SpillingCache(Self.configuration(mount.path))
        #expect(reader.stats.diskEntries == 5)
        for n in 0..<5 {
            #expect(reader.value(forKey: key(n), as: [Double].self) == Self.values(n))
        }
        #expect(reader.stats.diskHits == 5)
        var computed = 0
        let value = reader.value(forKey: key(9)) { () -> [Double] in
            computed += 1
            return Self.values(9)
        }
        #expect(value == Self.values(9) && computed == 1)
        reader.flush()
        #expect(reader.stats.failures >= 1, "the write of key 9 failed")
        #expect(reader.value(forKey: key(9), as: [Double].self) == Self.values(9), "in memory")
        #expect(Self.spillFiles(path).count == 5, "nothing was written")
    }
}
