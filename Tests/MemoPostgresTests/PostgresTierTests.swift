import Foundation
import Memo
@testable import MemoPostgres
import MemoTesting
import PostgresNIO
import Synchronization
import Testing

/// The shared tier against a real PostgreSQL server (the one `make test` starts), with
/// real worker processes. Each test has a database of its own.
@Suite(
    "PostgreSQL shared tier", .serialized,
    .enabled(if: TestServer.current != nil, TestServer.skipReason))
struct PostgresTierTests {
    var server: TestServer { TestServer.current! }

    /// A `memo-fleet-worker` on `database`. Its tier calls time out after `timeout`: long by
    /// default, because a test of sharing must not see a busy machine (two cores, under
    /// ThreadSanitizer) as a slow tier, which each worker would answer by computing alone
    /// (59 computations of 50 keys once, in CI). The tests of timeouts give their own.
    private func worker(
        _ arguments: [String], database: String, timeout: Duration = .seconds(10)
    ) throws -> FleetWorker {
        let milliseconds = timeout.components.seconds * 1_000
            + timeout.components.attoseconds / 1_000_000_000_000_000
        return try FleetWorker(
            [arguments[0], server.host, "\(server.port)", database] + arguments.dropFirst()
                + ["--timeout-ms", "\(milliseconds)"])
    }

    private func tier(
        _ database: String, maxBytes: ByteCount? = nil, signingKey: [UInt8]? = nil,
        timeout: Duration = .seconds(1)
    ) async throws -> PostgresTier {
        try await PostgresTier(
            host: server.host, port: server.port, username: server.user, database: database,
            maxBytes: maxBytes, signingKey: signingKey, timeout: timeout)
    }

    private func cache(_ tier: PostgresTier) throws -> SpillingCache {
        var configuration = CacheConfiguration()
        configuration.sharedTier = tier
        configuration.maxMemory = .megabytes(16)
        return try SpillingCache(configuration)
    }

    private static func value(_ n: Int) -> [Double] {
        (0..<128).map { Double(n * 1_000 + $0) }
    }

    // MARK: Handles and ages

    @Test("a handle's peek, invalidate and refresh reach the PostgreSQL tier; its age is the server's")
    func handleOnTheTier() async throws {
        let database = try await server.makeDatabase()
        let tier = try await tier(database)
        let key = CacheKey(hashing: "handle", 1)
        try await tier.publish(key, function: "f", version: 0, payload: [1, 2, 3])
        try await Task.sleep(for: .milliseconds(50))
        let aged = try #require(try await tier.fetchWithAge(key))
        #expect(aged.payload == [1, 2, 3])
        #expect(aged.age >= .milliseconds(40) && aged.age < .seconds(30), "\(aged.age)")
        #expect(try await tier.remove(key))
        #expect(try await tier.remove(key) == false)
        #expect(try await tier.fetchWithAge(key) == nil)

        var configuration = CacheConfiguration()
        configuration.sharedTier = tier
        configuration.maxMemory = .megabytes(16)
        configuration.fileSystem = InMemoryFileSystem()
        configuration.directory = "/handle-a"
        try await withIsolatedMemo(configuration) { _ async throws in
            let f = Memo.function(name: "pg.handle") { (x: Int) async -> Int in x * 3 }
            #expect(await f(5) == 15)
            await Memo.waitForBackgroundWork()
        }
        configuration.directory = "/handle-b"
        try await withIsolatedMemo(configuration) { _ async throws in
            let f = Memo.function(name: "pg.handle") { (x: Int) async -> Int in -1 }
            #expect(f.peek(5) == 15, "from the tier")
            #expect(f.invalidate(5))
            #expect(f.peek(5) == nil)
            #expect(await f.refresh(5) == -1)
            await Memo.waitForBackgroundWork()
        }
        await tier.shutdown()
    }

    /// Three caches that share nothing but the tier (each its own in-memory directory), one
    /// after another, as three processes would.
    private func threeCaches(_ database: String) async throws -> (PostgresTier, [CacheConfiguration]) {
        let tier = try await tier(database)
        let configurations = ["a", "b", "c"].map { name in
            var configuration = CacheConfiguration()
            configuration.sharedTier = tier
            configuration.maxMemory = .megabytes(16)
            configuration.fileSystem = InMemoryFileSystem()
            configuration.directory = "/handles-\(name)"
            return configuration
        }
        return (tier, configurations)
    }

    @Test("each handle method, on the four body kinds, through the PostgreSQL tier")
    func handleMethodsOnTheTier() async throws {
        let (tier, caches) = try await threeCaches(try await server.makeDatabase())
        let runs = Mutex(0)
        let count: @Sendable () -> Void = { runs.withLock { $0 += 1 } }
        try syncHandle("sync", caches, count: count) { (_: Int) -> Int in -1 }
        try syncHandle("throwing", caches, count: count) { (_: Int) throws(Failure) -> Int in
            throw Failure()
        }
        try await asyncHandle("async", caches, count: count) { (_: Int) -> Int in -1 }
        try await asyncHandle("async-throwing", caches, count: count) {
            (_: Int) throws(Failure) -> Int in throw Failure()
        }
        #expect(runs.withLock { $0 } == 4, "only the four refreshes in C ran a body there")
        await tier.shutdown()
    }

    private struct Failure: Error {}

    /// A computes 1 and 2 and stores 7; B reads 1 from the tier, invalidates 2 and
    /// refreshes 1 everywhere; C sees all of it and computes nothing but its refresh, whose
    /// result (`last`) replaces the tier's, or whose failure keeps the refreshed one.
    private func syncHandle<F: Error>(
        _ kind: String, _ caches: [CacheConfiguration], count: @escaping @Sendable () -> Void,
        last: @escaping @Sendable (Int) throws(F) -> Int
    ) throws {
        let name = "pg.\(kind)"
        try withIsolatedMemo(caches[0]) { _ throws in
            let f = Memo.function(name: name) { (x: Int) throws(F) -> Int in x * 2 }
            #expect(try f(1) == 2)
            #expect(try f(2) == 4)
            f.store(70, for: 7)
            Memo.cache.flush()
        }
        try withIsolatedMemo(caches[1]) { _ throws in
            let f = Memo.function(name: name) { (x: Int) -> Int in x + 100 }
            #expect(f.peek(1) == 2, "\(kind): from the tier")
            #expect(f.invalidate(2))
            #expect(f.refresh(1) == 101)
            Memo.cache.flush()
        }
        try withIsolatedMemo(caches[2]) { _ throws in
            let f = Memo.function(name: name) { (x: Int) throws(F) -> Int in
                count()
                return try last(x)
            }
            #expect(f.peek(2) == nil, "\(kind): invalidated on the tier")
            #expect(f.peek(1) == 101, "\(kind): the refresh reached the tier")
            #expect(try f(7) == 70, "\(kind): the stored result reached the tier")
            #expect(f.stats.sharedHits == 1 && f.stats.missCount == 0, "\(kind): \(f.stats)")
            let refreshed = Result { () throws(F) in try f.refresh(1) }
            expectRefresh(refreshed, peeked: f.peek(1), failures: f.stats.refreshFailures, kind)
            Memo.cache.flush()
            f.clear()
            #expect(f.peek(1) != nil, "\(kind): clear is this process's; the tier keeps it")
        }
    }

    /// ``syncHandle(_:_:count:last:)`` with async bodies.
    private func asyncHandle<F: Error>(
        _ kind: String, _ caches: [CacheConfiguration], count: @escaping @Sendable () -> Void,
        last: @escaping @Sendable (Int) throws(F) -> Int
    ) async throws {
        let name = "pg.\(kind)"
        try await withIsolatedMemo(caches[0]) { _ async throws in
            let f = Memo.function(name: name) { (x: Int) async throws(F) -> Int in x * 2 }
            #expect(try await f(1) == 2)
            #expect(try await f(2) == 4)
            f.store(70, for: 7)
            Memo.cache.flush()
        }
        try await withIsolatedMemo(caches[1]) { _ async throws in
            let f = Memo.function(name: name) { (x: Int) async -> Int in x + 100 }
            #expect(f.peek(1) == 2, "\(kind): from the tier")
            #expect(f.invalidate(2))
            #expect(await f.refresh(1) == 101)
            Memo.cache.flush()
        }
        try await withIsolatedMemo(caches[2]) { _ async throws in
            let f = Memo.function(name: name) { (x: Int) async throws(F) -> Int in
                count()
                return try last(x)
            }
            #expect(f.peek(2) == nil, "\(kind): invalidated on the tier")
            #expect(f.peek(1) == 101, "\(kind): the refresh reached the tier")
            #expect(try await f(7) == 70, "\(kind): the stored result reached the tier")
            #expect(f.stats.sharedHits == 1 && f.stats.missCount == 0, "\(kind): \(f.stats)")
            let refreshed: Result<Int, F>
            do throws(F) { refreshed = .success(try await f.refresh(1)) } catch {
                refreshed = .failure(error)
            }
            expectRefresh(refreshed, peeked: f.peek(1), failures: f.stats.refreshFailures, kind)
            Memo.cache.flush()
            f.clear()
            #expect(f.peek(1) != nil, "\(kind): clear is this process's; the tier keeps it")
        }
    }

    /// A body that cannot fail refreshes to -1; one that fails keeps 101.
    private func expectRefresh<F: Error>(
        _ refreshed: Result<Int, F>, peeked: Int?, failures: Int, _ kind: String
    ) {
        switch refreshed {
        case .success(let value):
            #expect(value == -1 && peeked == -1 && failures == 0, "\(kind)")
        case .failure:
            #expect(F.self != Never.self)
            #expect(peeked == 101 && failures == 1, "\(kind): a failed refresh keeps the result")
        }
    }

    /// The tier's single flight for background refreshes: four processes whose only
    /// shared store is the tier find the same stale results there, and the advisory lock
    /// with "take a younger value" makes one refresh per key in all.
    @Test("four processes with the same stale keys on the tier run one refresh of each")
    func oneRefreshThroughTheTier() async throws {
        let database = try await server.makeDatabase()
        let keys = 12
        let first = try worker(["refresh", "\(keys)", "0", "1"], database: database)
        #expect(await first.finish() == 0)
        #expect(first.computed.count == keys, "\(first.lines)")
        try await Task.sleep(for: .milliseconds(2_300))  // past `after`: every result stale

        let workers = try (0..<4).map { _ in
            try worker(["refresh", "\(keys)", "40", "2"], database: database)
        }
        var computed: [Int] = []
        for worker in workers {
            #expect(await worker.finish() == 0, "\(worker.lines.suffix(5))")
            #expect(worker.field("returned") == keys, "\(worker.lines.suffix(5))")
            #expect(worker.field("wrong") == 0, "\(worker.lines.suffix(5))")
            computed += worker.computed
        }
        #expect(computed.sorted() == Array(0..<keys), "one refresh per key: \(computed.sorted())")
    }

    // MARK: Sharing

    @Test("process A computes, process B finds every value and computes nothing")
    func shareAcrossProcesses() async throws {
        let database = try await server.makeDatabase()
        let a = try worker(["compute", "20", "5"], database: database)
        #expect(await a.finish() == 0, "\(a.lines.suffix(3))")
        #expect(Set(a.computed) == Set(0..<20))
        let b = try worker(["compute", "20", "5"], database: database)
        #expect(await b.finish() == 0, "\(b.lines.suffix(3))")
        #expect(b.computed.isEmpty, "B computed \(b.computed)")
        #expect(b.field("shared") == 20)
        #expect(b.field("wrong") == 0)
        let reader = try worker(["read", "20"], database: database)
        #expect(await reader.finish() == 0)
        #expect(reader.field("found") == 20 && reader.field("wrong") == 0, "\(reader.lines)")
    }

    @Test("four processes on the same 50 slow keys run the body 50 times in all")
    func computeOnceAcrossFourProcesses() async throws {
        let database = try await server.makeDatabase()
        let workers = try (0..<4).map { _ in
            try worker(["compute", "50", "40"], database: database)
        }
        for worker in workers { #expect(await worker.finish() == 0, "\(worker.lines.suffix(3))") }
        let computed = workers.flatMap(\.computed)
        #expect(computed.count == 50, "computed \(computed.count) times")
        #expect(Set(computed) == Set(0..<50))
        for worker in workers { #expect(worker.field("wrong") == 0) }
    }

    @Test("a leader killed while computing is taken over by a waiter")
    func killedLeader() async throws {
        let database = try await server.makeDatabase()
        let leader = try worker(["compute", "1", "10000"], database: database, timeout: .seconds(1))
        let deadline = ContinuousClock.now + .seconds(20)
        while leader.computed.isEmpty, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        try #require(leader.computed == [0], "the leader started computing")
        let waiter = try worker(["compute", "1", "10"], database: database, timeout: .seconds(1))
        try await Task.sleep(for: .milliseconds(2_000))
        #expect(
            waiter.computed.isEmpty,
            "the waiter waits for the leader's lock, past the 1 s timeout of a tier call")
        let killedAt = ContinuousClock.now
        leader.kill()
        await leader.finish()
        #expect(await waiter.finish(within: .seconds(60)) == 0, "\(waiter.lines)")
        #expect(waiter.computed == [0], "the waiter took over")
        #expect(
            ContinuousClock.now - killedAt < .seconds(15),
            "promptly: without the lock released at the kill, the 30 s wait")
        #expect(waiter.field("wrong") == 0)
    }

    // MARK: Budget and integrity

    @Test("the budget holds after writing twice maxBytes, least recently used out first")
    func budget() async throws {
        let database = try await server.makeDatabase()
        let payload = try SpillFileFormatProbe.payloadSize(of: Self.value(0))
        let maxBytes = 40 * payload
        // A generous timeout: this test is about the budget, and under ThreadSanitizer 40
        // publications at once take longer than the default 1 s (each a miss of sharing,
        // not of correctness, but then there would be nothing to evict).
        let tier = try await tier(database, maxBytes: ByteCount(maxBytes), timeout: .seconds(20))
        let cache = try cache(tier)
        // Two rounds of maxBytes each; the second is stored after the first is in.
        for n in 0..<40 { cache.store(Self.value(n), forKey: CacheKey(hashing: "budget", n)) }
        cache.flush()
        for n in 40..<80 { cache.store(Self.value(n), forKey: CacheKey(hashing: "budget", n)) }
        cache.flush()
        let totals = try await server.sql(
            "SELECT bytes::text FROM memo_totals WHERE id = 0", database: database)
        let recount = try await server.sql(
            "SELECT COALESCE(SUM(size), 0)::text FROM memo_entries", database: database)
        #expect(totals == recount, "the trigger keeps the total exact")
        let bytes = Int(totals.first ?? "") ?? .max
        #expect(bytes <= maxBytes, "\(bytes) > \(maxBytes)")
        // Least recently used out first: the second round stays whole, the first is gone.
        for n in [40, 55, 79] {
            #expect(try await tier.fetch(CacheKey(hashing: "budget", n)) != nil, "key \(n)")
        }
        for n in [0, 20, 39] {
            #expect(try await tier.fetch(CacheKey(hashing: "budget", n)) == nil, "key \(n)")
        }
        #expect(bytes == maxBytes, "nothing of the second round was evicted")
        await tier.shutdown()
    }

    @Test("a tampered row (payload, key, signature) is a miss, never a wrong value")
    func tampered() async throws {
        let database = try await server.makeDatabase()
        let signingKey = Array("a key of thirty-two bytes, or so".utf8)
        let writerTier = try await tier(database, signingKey: signingKey)
        let writer = try cache(writerTier)
        let keys = (0..<5).map { CacheKey(hashing: "tampered", $0) }
        for (n, key) in keys.enumerated() { writer.store(Self.value(n), forKey: key) }
        writer.flush()
        func keyBytes(_ key: CacheKey) -> ByteBuffer { PostgresTier.bytes(key) }
        let moved = CacheKey(hashing: "moved")
        try await server.withClient(database: database) { client in
            try await client.query(
                """
                UPDATE memo_entries SET payload = overlay(payload placing '\\xff'::bytea from 120 for 1)
                WHERE key = \(keyBytes(keys[0]))
                """)
            try await client.query(
                "UPDATE memo_entries SET signature = sha256(signature) WHERE key = \(keyBytes(keys[1]))"
            )
            try await client.query(
                "UPDATE memo_entries SET key = \(keyBytes(moved)) WHERE key = \(keyBytes(keys[2]))")
            try await client.query(
                "UPDATE memo_entries SET signature = NULL WHERE key = \(keyBytes(keys[3]))")
        }
        let readerTier = try await tier(database, signingKey: signingKey)
        let reader = try cache(readerTier)
        for (n, key) in keys.enumerated() {
            #expect(reader.value(forKey: key) { Self.value(n) } == Self.value(n))
        }
        #expect(reader.value(forKey: moved) { [1.0] } == [1.0], "a row moved to another key")
        let stats = reader.stats
        #expect(stats.sharedHits == 1, "only key 4 is intact")
        #expect(stats.failures >= 4)
    }

    @Test("without a signing key, a changed payload is still a miss: the checksum")
    func tamperedUnsigned() async throws {
        let database = try await server.makeDatabase()
        let writer = try cache(try await tier(database))
        let key = CacheKey(hashing: "unsigned")
        writer.store(Self.value(7), forKey: key)
        writer.flush()
        try await server.withClient(database: database) { client in
            try await client.query(
                """
                UPDATE memo_entries SET payload = overlay(payload placing '\\xff'::bytea from 120 for 1)
                WHERE key = \(PostgresTier.bytes(key))
                """)
        }
        let reader = try cache(try await tier(database))
        #expect(reader.value(forKey: key) { Self.value(7) } == Self.value(7))
        #expect(reader.stats.sharedHits == 0)
        #expect(reader.stats.failures >= 1)
    }

    @Test("a database whose tables are of a newer format is refused")
    func newerSchema() async throws {
        let database = try await server.makeDatabase()
        let first = try await tier(database)
        _ = try await first.fetch(CacheKey(hashing: 1))
        try await server.sql("UPDATE memo_schema SET version = 99", database: database)
        let second = try await tier(database)
        await #expect(throws: SharedTierError.self) { try await second.fetch(CacheKey(hashing: 1)) }
        // A cache with it works locally and counts the failure.
        let local = try cache(second)
        #expect(local.value(forKey: CacheKey(hashing: 2)) { 2 } == 2)
        #expect(local.stats.failures >= 1)
    }

    // MARK: Faults

    @Test("the server stopped mid-run: calls go on locally within the timeout; sharing resumes")
    func serverRestart() async throws {
        let database = try await server.makeDatabase()
        let tier = try await tier(database, timeout: .milliseconds(300))
        let cache = try cache(tier)
        _ = await cache.value(forKey: CacheKey(hashing: "before")) { () async -> Int in 1 }
        cache.flush()
        try server.stop()
        var slowest = Duration.zero
        for n in 0..<20 {
            let start = ContinuousClock.now
            let value = await cache.value(forKey: CacheKey(hashing: "down", n)) {
                () async -> Int in n
            }
            #expect(value == n)
            let sync = cache.value(forKey: CacheKey(hashing: "down-sync", n)) { n * 2 }
            #expect(sync == n * 2)
            slowest = max(slowest, ContinuousClock.now - start)
        }
        // Without the timeout a call would wait for postgres-nio's pool, about a minute. The
        // bound is loose because other suites run at the same time on two cores.
        #expect(slowest < .seconds(10), "no call waits much past the 300 ms timeout: \(slowest)")
        #expect(cache.stats.failures >= 1)
        try server.start()
        // Sharing resumes once the pool reconnects and the pause after failures ends.
        let deadline = ContinuousClock.now + .seconds(40)
        var resumed = false
        var n = 0
        while !resumed, ContinuousClock.now < deadline {
            n += 1
            let key = CacheKey(hashing: "after", n)
            _ = await cache.value(forKey: key) { () async -> Int in n }
            cache.flush()
            resumed = (try? await tier.fetch(key)) != nil
            if !resumed { try await Task.sleep(for: .milliseconds(250)) }
        }
        #expect(resumed, "sharing resumed after the restart")
        await tier.shutdown()
    }
}

/// The size of a value's spill-file encoding, as a tier stores it.
enum SpillFileFormatProbe {
    static func payloadSize(of value: [Double]) throws -> Int {
        // Published through an in-memory tier: its bytes are exactly what the cache sends.
        let tier = InMemorySharedTier()
        var configuration = isolatedConfiguration()
        configuration.sharedTier = tier
        let cache = try SpillingCache(configuration)
        cache.store(value, forKey: CacheKey(hashing: "probe"))
        cache.flush()
        return try #require(tier.storedBytes(CacheKey(hashing: "probe"))).count
    }
}
