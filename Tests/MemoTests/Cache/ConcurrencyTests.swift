import Dispatch
import Foundation
import Memo
import MemoTesting
import Synchronization
import Testing

private struct Boom: Error, Equatable { var id: Int }

/// Runs `body(i)` on `count` threads of its own, at once, and waits for all of them.
/// (`concurrentPerform` would use one thread per core: two here, not eight.)
/// Threads are released together from a gate once all have started, so they call in
/// within microseconds of each other.
func onThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    let ready = DispatchSemaphore(value: 0)
    let gate = DispatchSemaphore(value: 0)
    let done = DispatchSemaphore(value: 0)
    for index in 0..<count {
        Thread {
            ready.signal()
            gate.wait()
            body(index)
            done.signal()
        }.start()
    }
    for _ in 0..<count { ready.wait() }
    for _ in 0..<count { gate.signal() }
    for _ in 0..<count { done.wait() }
}

@Suite("SpillingCache under concurrency")
struct ConcurrencyTests {
    @Test("8 threads missing one key run the computation once and all get its value")
    func singleFlightThreads() throws {
        let h = try CacheHarness(maxMemory: 1 << 20)
        let runs = Atomic(0)
        let results = Mutex<[Int]>([])
        onThreads(8) { _ in
            let value = h.cache.value(forKey: key(1)) { () -> Int in
                runs.add(1, ordering: .relaxed)
                usleep(300_000)  // long enough for every thread to arrive
                return 42
            }
            results.withTrackedLock { $0.append(value) }
        }
        #expect(runs.load(ordering: .relaxed) == 1)
        #expect(results.withTrackedLock { $0 } == Array(repeating: 42, count: 8))
        let stats = h.cache.stats
        #expect(stats.misses == 1)
        #expect(stats.hits == 7)
        // The waiters' shares are hits from memory (counted by the state, not the hit path).
        #expect(stats.diskHits == 0)
    }

    @Test("8 tasks missing one key run the computation once")
    func singleFlightTasks() async throws {
        let h = try CacheHarness(maxMemory: 1 << 20)
        let runs = Counter()
        let values = await withTaskGroup(of: String.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    await h.cache.value(forKey: key(1)) { () async -> String in
                        runs.increment()
                        try? await Task.sleep(for: .milliseconds(100))
                        return "computed"
                    }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(runs.value == 1)
        #expect(values == Array(repeating: "computed", count: 8))
        #expect(h.cache.stats.misses == 1)
        #expect(h.cache.stats.hits == 7)
    }

    @Test("an error reaches every waiting caller and is not cached")
    func errorsAreSharedNotCached() throws {
        let h = try CacheHarness(maxMemory: 1 << 20)
        let runs = Atomic(0)
        let errors = Atomic(0)
        onThreads(8) { _ in
            do {
                _ = try h.cache.value(forKey: key(1)) { () throws(Boom) -> Int in
                    runs.add(1, ordering: .relaxed)
                    usleep(300_000)
                    throw Boom(id: 7)
                }
            } catch {
                #expect(error as? Boom == Boom(id: 7))
                errors.add(1, ordering: .relaxed)
            }
        }
        #expect(errors.load(ordering: .relaxed) == 8)
        #expect(runs.load(ordering: .relaxed) == 1, "waiters shared the leader's error")
        #expect(h.cache.stats.misses == 8)
        #expect(h.cache.stats.memoryEntries == 0)
        // Not cached: the next call computes.
        let value = h.cache.value(forKey: key(1)) { 5 }
        #expect(value == 5)
    }

    @Test("different keys never wait for each other's computation")
    func differentKeysDoNotWait() throws {
        let h = try CacheHarness(maxMemory: 1 << 20)
        let slowStarted = DispatchSemaphore(value: 0)
        let releaseSlow = DispatchSemaphore(value: 0)
        let fastDone = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            _ = h.cache.value(forKey: key(1)) { () -> Int in
                slowStarted.signal()
                releaseSlow.wait()
                return 1
            }
        }
        slowStarted.wait()
        DispatchQueue.global().async {
            _ = h.cache.value(forKey: key(2)) { 2 }
            fastDone.signal()
        }
        #expect(fastDone.wait(timeout: .now() + 10) == .success)
        releaseSlow.signal()
    }

    @Test("an in-memory hit does not wait for another key's spill")
    func noDiskIOUnderLock() throws {
        let gate = BlockingFileSystem()
        var configuration = CacheConfiguration()
        configuration.maxMemory = .bytes(Blob.charge(100))
        configuration.fileSystem = gate
        configuration.directory = "/gate"
        configuration.logger = quietLogger
        let cache = try SpillingCache(configuration)
        cache.store(Blob(id: 1, size: 100), forKey: key(1))
        let storeDone = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            cache.store(Blob(id: 2, size: 100), forKey: key(2))  // spills key(1): blocks in write
            storeDone.signal()
        }
        #expect(gate.writeEntered.wait(timeout: .now() + 30) == .success, "no spill started")
        let hitDone = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            #expect(cache.value(forKey: key(2), as: Blob.self)?.id == 2)
            // The spilling entry is still readable while its file is written.
            #expect(cache.value(forKey: key(1), as: Blob.self)?.id == 1)
            _ = cache.stats
            hitDone.signal()
        }
        #expect(hitDone.wait(timeout: .now() + 10) == .success, "a hit waited for a write")
        gate.releaseWrite.signal()
        storeDone.wait()
        #expect(cache.stats.diskEntries == 1)
        let writeTimedOut = gate.timedOut.load(ordering: .relaxed)
        #expect(!writeTimedOut, "a write waited for a release that never came")
    }

    @Test("4 threads of random operations end with exact counts")
    func stress() throws {
        let h = try CacheHarness(
            maxMemory: 8 * Blob.charge(64), maxDisk: 40 * ReferenceModel.fileBytes)
        let lookups = Atomic(0)
        let wrong = Atomic(0)
        onThreads(4) { thread in
            var generator = SystemRandomNumberGenerator()
            for _ in 0..<2_500 {
                let id = Int.random(in: 0..<48, using: &generator)
                switch Int.random(in: 0..<10, using: &generator) {
                case 0..<4:
                    h.cache.store(Blob(id: id, size: 64), forKey: key(id))
                case 4..<8:
                    lookups.add(1, ordering: .relaxed)
                    if let blob = h.cache.value(forKey: key(id), as: Blob.self), blob.id != id {
                        wrong.add(1, ordering: .relaxed)
                    }
                case 8:
                    lookups.add(1, ordering: .relaxed)
                    let blob = h.cache.value(forKey: key(id)) { Blob(id: id, size: 64) }
                    if blob.id != id { wrong.add(1, ordering: .relaxed) }
                default:
                    h.cache.removeValue(forKey: key(id))
                }
            }
            _ = thread
        }
        let stats = h.cache.stats
        #expect(wrong.load(ordering: .relaxed) == 0)
        #expect(stats.hits + stats.misses == lookups.load(ordering: .relaxed))
        #expect(stats.memoryBytes == stats.memoryEntries * Blob.charge(64))
        #expect(stats.memoryBytes <= h.cache.configuration.maxMemory.bytes)
        #expect(stats.diskBytes <= 40 * ReferenceModel.fileBytes)
        #expect(stats.diskEntries == h.cache.indexSnapshot.filter { $0.tier == .disk }.count)
        #expect(h.cache.indexSnapshot.filter { $0.fileName != nil }.count == h.files.count)
        #expect(stats.diskBytes == h.fileBytes)
        #expect(!h.files.contains { $0.hasSuffix(".tmp") })
        #expect(stats.failures == 0)
    }
}

extension ConcurrencyTests {
    /// Keys whose entries fall in the first two parts of the entry table: every thread
    /// works on the same small part of it.
    static let crowdedKeys: [Int] = Array(
        (0..<100_000).lazy.filter { key($0).high >> 58 < 2 }.prefix(24))

    @Test("8 threads of hits, stores, removals and clears on two parts' keys end with exact counts")
    func stressOfTheHitPath() throws {
        let h = try CacheHarness(
            maxMemory: 12 * Blob.charge(64), maxDisk: 40 * ReferenceModel.fileBytes)
        let ids = Self.crowdedKeys
        #expect(ids.count == 24)
        let hits = Atomic(0)
        let misses = Atomic(0)
        let wrong = Atomic(0)
        onThreads(8) { thread in
            var generator = SystemRandomNumberGenerator()
            var myHits = 0
            var myMisses = 0
            for _ in 0..<4_000 {
                let id = ids.randomElement(using: &generator)!
                switch Int.random(in: 0..<100, using: &generator) {
                case 0..<20:
                    h.cache.store(Blob(id: id, size: 64), forKey: key(id))
                case 20..<95:
                    if let blob = h.cache.value(forKey: key(id), as: Blob.self) {
                        myHits += 1
                        if blob.id != id { wrong.add(1, ordering: .relaxed) }
                    } else {
                        myMisses += 1
                    }
                case 95..<99:
                    h.cache.removeValue(forKey: key(id))
                default:
                    if thread == 0 { h.cache.removeAll() }
                }
            }
            hits.add(myHits, ordering: .relaxed)
            misses.add(myMisses, ordering: .relaxed)
        }
        let stats = h.cache.stats
        let snapshot = h.cache.indexSnapshot
        #expect(wrong.load(ordering: .relaxed) == 0)
        #expect(stats.hits == hits.load(ordering: .relaxed))
        #expect(stats.misses == misses.load(ordering: .relaxed))
        #expect(stats.hits > 1_000, "the hit path was exercised")
        #expect(
            stats.memoryBytes == snapshot.filter { $0.tier == .memory }.reduce(0) { $0 + $1.charge }
        )
        #expect(stats.memoryEntries == snapshot.filter { $0.tier == .memory }.count)
        #expect(stats.memoryBytes <= h.cache.configuration.maxMemory.bytes)
        #expect(stats.diskEntries == snapshot.filter { $0.tier == .disk }.count)
        #expect(snapshot.filter { $0.fileName != nil }.count == h.files.count)
        #expect(stats.diskBytes == h.fileBytes)
        #expect(Set(snapshot.map(\.key)).count == snapshot.count, "each key once")
        // Every key the index lists is found with its own value.
        for entry in snapshot {
            let id = ids.first { key($0) == entry.key }!
            #expect(h.cache.value(forKey: entry.key, as: Blob.self)?.id == id)
        }
        #expect(stats.failures == 0)
    }
}

/// A shared count for closures that outlive a stack frame.
final class Counter: Sendable {
    private let count = Atomic(0)
    func increment() { count.add(1, ordering: .relaxed) }
    var value: Int { count.load(ordering: .relaxed) }
}

/// An in-memory file system whose writes block until the test releases them.
final class BlockingFileSystem: SpillFileSystem {
    let wrapped = InMemoryFileSystem()
    let writeEntered = DispatchSemaphore(value: 0)
    let releaseWrite = DispatchSemaphore(value: 0)

    /// Set when a write gave up waiting: the test never released it.
    let timedOut = Atomic(false)

    func writeFile(atPath path: String, contents: SpillFileContents) throws {
        writeEntered.signal()
        // Bounded, so a cache that spills earlier than the test expects fails the test
        // instead of hanging it.
        if releaseWrite.wait(timeout: .now() + 20) == .timedOut {
            timedOut.store(true, ordering: .relaxed)
        }
        try wrapped.writeFile(atPath: path, contents: contents)
    }

    func prepareDirectory(atPath path: String) throws { try wrapped.prepareDirectory(atPath: path) }
    func synchronizeFile(atPath path: String) throws { try wrapped.synchronizeFile(atPath: path) }
    func renameFile(atPath source: String, toPath destination: String) throws {
        try wrapped.renameFile(atPath: source, toPath: destination)
    }
    func synchronizeDirectory(atPath path: String) throws {
        try wrapped.synchronizeDirectory(atPath: path)
    }
    func readFile(atPath path: String) throws -> [UInt8] { try wrapped.readFile(atPath: path) }
    func removeFile(atPath path: String) throws { try wrapped.removeFile(atPath: path) }
    func removeDirectory(atPath path: String) throws { try wrapped.removeDirectory(atPath: path) }
    func contentsOfDirectory(atPath path: String) throws -> [String] {
        try wrapped.contentsOfDirectory(atPath: path)
    }
    func fileSize(atPath path: String) throws -> Int { try wrapped.fileSize(atPath: path) }
}
