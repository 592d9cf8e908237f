import Foundation
import Memo
import MemoTesting
import Synchronization
import Testing

/// A count of computations a test's bodies ran, and what the next ones return or throw.
final class Computations: Sendable {
    private let state = Mutex((count: 0, offset: 0, failing: false))

    var count: Int { state.withLock { $0.count } }

    /// Later computations return `x + offset`.
    func setOffset(_ offset: Int) { state.withLock { $0.offset = offset } }

    /// Whether later computations throw.
    func setFailing(_ failing: Bool) { state.withLock { $0.failing = failing } }

    func compute(_ x: Int) throws(ComputationFailure) -> Int {
        let (offset, failing) = state.withLock { state in
            state.count += 1
            return (state.offset, state.failing)
        }
        if failing { throw ComputationFailure() }
        return x + offset
    }
}

struct ComputationFailure: Error, Equatable {}

@Suite("Memoized-function handles")
struct FunctionHandleTests {
    @Test("a sync handle: call, peek, store, invalidate, refresh, clear, stats")
    func syncHandle() throws {
        try withIsolatedMemo { _ throws in
            let runs = Computations()
            let square = Memo.function(name: "square") { (x: Int) -> Int in
                (try? runs.compute(x)).map { $0 * x } ?? 0
            }
            #expect(square.peek(3) == nil)
            #expect(square(3) == 9)
            #expect(square(3) == 9)
            #expect(runs.count == 1)
            #expect(square.peek(3) == 9)
            #expect(square.stats.hits == 1, "peek counts nothing")
            #expect(square.stats.missCount == 1)

            square.store(100, for: 4)
            #expect(square(4) == 100)
            #expect(runs.count == 1, "a stored result is a hit")

            #expect(square.invalidate(4))
            #expect(!square.invalidate(4), "nothing left to remove")
            #expect(square.peek(4) == nil)

            runs.setOffset(1)
            #expect(square.refresh(3) == 12)
            #expect(runs.count == 2)
            #expect(square(3) == 12)
            #expect(square.stats.refreshes == 1)

            // A closure of the same name and version shares the results.
            let closure = Memo.memoized(name: "square") { (x: Int) -> Int in -1 }
            #expect(closure(3) == 12)

            square.clear()
            #expect(square.peek(3) == nil)
            #expect(square(3) == 12)
            #expect(runs.count == 3)
        }
    }

    @Test("a throwing handle: a failed refresh keeps the old result and throws")
    func throwingHandle() throws {
        try withIsolatedMemo { _ throws in
            let runs = Computations()
            let next = Memo.function(name: "next") { (x: Int) throws(ComputationFailure) -> Int in
                try runs.compute(x)
            }
            #expect(try next(1) == 1)
            runs.setFailing(true)
            #expect(throws: ComputationFailure.self) { try next.refresh(1) }
            #expect(try next(1) == 1, "the old result stays")
            #expect(next.stats.refreshFailures == 1)
            #expect(throws: ComputationFailure.self) { try next(2) }
            #expect(next.peek(2) == nil, "errors are not cached")
        }
    }

    @Test("an async handle and an async throwing handle")
    func asyncHandles() async throws {
        try await withIsolatedMemo { _ async throws in
            let runs = Computations()
            let plain = Memo.function(name: "plain") { (x: Int) async -> Int in
                (try? runs.compute(x)) ?? -1
            }
            #expect(await plain(5) == 5)
            #expect(await plain(5) == 5)
            #expect(plain.peek(5) == 5)
            runs.setOffset(10)
            #expect(await plain.refresh(5) == 15)
            #expect(await plain(5) == 15)
            plain.store(7, for: 6)
            #expect(await plain(6) == 7)
            #expect(plain.invalidate(6))
            #expect(runs.count == 2)

            let failing = Memo.function(name: "failing") {
                (x: Int) async throws(ComputationFailure) -> Int in try runs.compute(x)
            }
            #expect(try await failing(1) == 11)
            runs.setFailing(true)
            await #expect(throws: ComputationFailure.self) { try await failing.refresh(1) }
            #expect(try await failing(1) == 11)
            #expect(failing.stats.refreshFailures == 1)
        }
    }

    @Test("closure is the handle as a plain closure, of each body kind")
    func closures() async throws {
        try await withIsolatedMemo { _ async throws in
            let runs = Computations()
            let sum = Memo.function(name: "sum") { (x: Int, y: Int) -> Int in
                (try? runs.compute(x + y)) ?? -1
            }
            let plain: @Sendable (Int, Int) -> Int = sum.closure
            #expect([(1, 2), (1, 2), (3, 4)].map(plain) == [3, 3, 7])
            #expect(sum(1, 2) == 3 && runs.count == 2, "the closure's results are the handle's")

            let next = Memo.function(name: "next") { (x: Int) throws(ComputationFailure) -> Int in
                try runs.compute(x)
            }
            let throwing: @Sendable (Int) throws -> Int = next.closure
            #expect(try throwing(10) == 10 && next.peek(10) == 10)
            runs.setFailing(true)
            #expect(throws: ComputationFailure.self) { try throwing(11) }

            runs.setFailing(false)
            let slow = Memo.function(name: "slow") { (x: Int) async -> Int in
                (try? runs.compute(x)) ?? -1
            }
            let asyncClosure: @Sendable (Int) async -> Int = slow.closure
            #expect(await asyncClosure(5) == 5 && slow.peek(5) == 5)

            let slowFailing = Memo.function(name: "slowFailing") {
                (x: Int, tag: String) async throws(ComputationFailure) -> String in
                "\(tag)\(try runs.compute(x))"
            }
            let asyncThrowing: @Sendable (Int, String) async throws -> String = slowFailing.closure
            #expect(try await asyncThrowing(6, "v") == "v6")
            #expect(slowFailing.peek(6, "v") == "v6")
            #expect(runs.count == 6)
        }
    }

    @Test("peek and invalidate reach results spilled to disk")
    func spilledResults() throws {
        var configuration = isolatedConfiguration()
        let value = [Double](repeating: 1, count: 1_000)
        configuration.maxMemory = ByteCount(value.memoryCost + SpillingCache.entryOverhead + 100)
        try withIsolatedMemo(configuration) { _ throws in
            let vector = Memo.function(name: "vector") { (x: Int) -> [Double] in
                [Double](repeating: Double(x), count: 1_000)
            }
            _ = vector(1)
            _ = vector(2)  // pushes 1 to disk
            #expect(Memo.stats.diskEntries == 1)
            let hitsBefore = Memo.stats.hits
            #expect(vector.peek(1)?.first == 1)
            #expect(Memo.stats.hits == hitsBefore, "peek counts nothing")
            #expect(Memo.stats.diskEntries == 1, "peek takes nothing into memory")
            #expect(vector.invalidate(1))
            #expect(vector.peek(1) == nil)
            #expect(Memo.stats.diskEntries == 0)
        }
    }

    @Test("peek, invalidate and store reach a persistent directory another cache reads")
    func persistentResults() throws {
        let directory = temporaryDirectoryPath()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var configuration = CacheConfiguration()
        configuration.directory = directory
        configuration.persistent = true
        try withIsolatedMemo(configuration) { _ throws in
            let f = Memo.function(name: "f") { (x: Int) -> Int in x * 2 }
            #expect(f(21) == 42)
            f.store(7, for: 3)
            Memo.cache.flush()
        }
        try withIsolatedMemo(configuration) { _ throws in
            let f = Memo.function(name: "f") { (x: Int) -> Int in -1 }
            #expect(f.peek(21) == 42)
            #expect(f.peek(3) == 7)
            #expect(f.invalidate(3))
            Memo.cache.flush()
        }
        try withIsolatedMemo(configuration) { _ throws in
            let f = Memo.function(name: "f") { (x: Int) -> Int in -1 }
            #expect(f.peek(3) == nil)
            #expect(f(21) == 42)
        }
    }

    @Test("a handle and a shared tier: peek, invalidate and store reach the tier")
    func sharedTierResults() throws {
        let tier = InMemorySharedTier()
        var configuration = isolatedConfiguration()
        configuration.sharedTier = tier
        try withIsolatedMemo(configuration) { _ throws in
            let f = Memo.function(name: "f") { (x: Int) -> Int in x + 1 }
            #expect(f(1) == 2)
            Memo.cache.flush()
        }
        try withIsolatedMemo(configuration) { _ throws in
            let f = Memo.function(name: "f") { (x: Int) -> Int in -1 }
            #expect(f.peek(1) == 2, "from the tier")
            #expect(f.invalidate(1))
            #expect(f.peek(1) == nil)
            #expect(f(1) == -1)
        }
    }
}
