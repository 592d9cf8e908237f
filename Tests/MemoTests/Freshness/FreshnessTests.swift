import Dispatch
import Memo
import MemoTesting
import Synchronization
import Testing

/// A gate a body can be held at: closed, a computation that passes it waits until opened.
final class Gate: Sendable {
    private let closed = Mutex(false)
    private let opened = DispatchSemaphore(value: 0)
    private let arrivals = Atomic(0)

    func close() { closed.withLock { $0 = true } }

    /// Lets every held computation, and later ones, through.
    func open() {
        closed.withLock { $0 = false }
        for _ in 0..<64 { opened.signal() }
    }

    /// How many computations have reached the gate while it was closed.
    var held: Int { arrivals.load(ordering: .relaxed) }

    func pass() {
        guard closed.withLock({ $0 }) else { return }
        arrivals.add(1, ordering: .relaxed)
        opened.wait()
    }
}

@Suite("Freshness on the test clock")
struct FreshnessTests {
    let policy = Freshness.refresh(
        after: .seconds(10), expireAfter: .seconds(100), serveStaleOnError: .seconds(50))

    @Test("a stale hit returns the old result while its refresh is held, then the new one")
    func staleWhileRevalidate() async throws {
        try await withIsolatedMemo { clock async throws in
            let runs = Computations()
            let gate = Gate()
            let f = Memo.function(name: "f", freshness: policy) {
                (x: Int) throws(ComputationFailure) -> Int in
                gate.pass()
                return try runs.compute(x)
            }
            #expect(try f(1) == 1)
            clock.advance(by: .seconds(5))
            #expect(try f(1) == 1)
            #expect(f.stats.staleHits == 0, "younger than after: fresh")

            clock.advance(by: .seconds(6))
            runs.setOffset(100)
            gate.close()
            #expect(try f(1) == 1, "stale: the old result at once")
            while gate.held == 0 { try await Task.sleep(for: .milliseconds(1)) }
            #expect(try f(1) == 1, "still stale while the refresh is held")
            #expect(gate.held == 1, "one refresh runs, and it is held")
            gate.open()
            await Memo.waitForBackgroundWork()
            #expect(try f(1) == 101, "the refreshed result")
            #expect(runs.count == 2)
            #expect(f.stats.staleHits == 2)
            #expect(f.stats.refreshes == 1)
            #expect(f.stats.missCount == 1)
        }
    }

    @Test("forty concurrent stale hits start one refresh")
    func oneRefreshForManyHits() async throws {
        try await withIsolatedMemo { clock async throws in
            let runs = Computations()
            let gate = Gate()
            let f = Memo.function(name: "f", freshness: policy) { (x: Int) -> Int in
                gate.pass()
                return (try? runs.compute(x)) ?? -1
            }
            _ = f(7)
            clock.advance(by: .seconds(20))
            gate.close()
            await withTaskGroup(of: Int.self) { group in
                for _ in 0..<40 { group.addTask { f(7) } }
                for await value in group { #expect(value == 7) }
            }
            gate.open()
            await Memo.waitForBackgroundWork()
            #expect(runs.count == 2, "the first computation and one refresh")
            #expect(f.stats.staleHits == 40)
            #expect(f.stats.refreshes == 1)
        }
    }

    @Test("a failed refresh keeps the old result and is retried no sooner than min(after, 1 s)")
    func failedRefreshRetry() async throws {
        try await withIsolatedMemo { clock async throws in
            let runs = Computations()
            let f = Memo.function(name: "f", freshness: policy) {
                (x: Int) throws(ComputationFailure) -> Int in try runs.compute(x)
            }
            #expect(try f(1) == 1)
            clock.advance(by: .seconds(11))
            runs.setFailing(true)
            #expect(try f(1) == 1)
            await Memo.waitForBackgroundWork()
            #expect(f.stats.refreshFailures == 1)
            #expect(runs.count == 2)

            clock.advance(by: .milliseconds(900))
            #expect(try f(1) == 1)
            await Memo.waitForBackgroundWork()
            #expect(runs.count == 2, "too soon to retry")

            clock.advance(by: .milliseconds(100))
            runs.setFailing(false)
            runs.setOffset(5)
            #expect(try f(1) == 1, "the retry runs in the background")
            await Memo.waitForBackgroundWork()
            #expect(runs.count == 3)
            #expect(try f(1) == 6)
            #expect(f.stats.refreshes == 1)
        }
    }

    @Test("past expireAfter the caller computes; serveStaleOnError falls back within its window")
    func expireAndServeStaleOnError() throws {
        try withIsolatedMemo { clock throws in
            let runs = Computations()
            let f = Memo.function(name: "f", freshness: policy) {
                (x: Int) throws(ComputationFailure) -> Int in try runs.compute(x)
            }
            #expect(try f(1) == 1)
            clock.advance(by: .seconds(101))
            runs.setOffset(1)
            #expect(try f(1) == 2, "past expireAfter: computed on the caller's path")
            #expect(f.stats.misses[.expired] == 1)
            #expect(f.stats.staleHits == 0)

            clock.advance(by: .seconds(140))  // age 140: inside 100 + 50
            runs.setFailing(true)
            #expect(try f(1) == 2, "the old result, for a computation that threw")
            #expect(f.stats.staleOnErrorHits == 1)

            clock.advance(by: .seconds(20))  // age 160: past the window
            #expect(throws: ComputationFailure.self) { try f(1) }
            #expect(throws: ComputationFailure.self, "no old result") { try f(2) }
            #expect(f.stats.calls == 5, "each call counted once: a hit or a miss")
            #expect(f.stats.hits == 1 && f.stats.missCount == 4)
        }
    }

    @Test(".expire(after:) makes an old result a miss, and a closure of the name still hits it")
    func expire() throws {
        try withIsolatedMemo { clock throws in
            let runs = Computations()
            let f = Memo.function(name: "f", freshness: .expire(after: .seconds(30))) {
                (x: Int) -> Int in (try? runs.compute(x)) ?? -1
            }
            let plain = Memo.memoized(name: "f") { (x: Int) -> Int in -1 }
            _ = f(3)
            clock.advance(by: .seconds(30))
            #expect(plain(3) == 3, "a closure has no freshness")
            runs.setOffset(1)
            #expect(f(3) == 4)
            #expect(runs.count == 2)
            #expect(f.stats.misses[.expired] == 1)
            #expect(f.peek(3) == 4)
        }
    }

    @Test("an async body is refreshed in a task")
    func asyncRefresh() async throws {
        try await withIsolatedMemo { clock async throws in
            let runs = Computations()
            let f = Memo.function(name: "f", freshness: policy) { (x: Int) async -> Int in
                (try? runs.compute(x)) ?? -1
            }
            #expect(await f(2) == 2)
            clock.advance(by: .seconds(15))
            runs.setOffset(10)
            #expect(await f(2) == 2)
            await Memo.waitForBackgroundWork()
            #expect(await f(2) == 12)
            #expect(f.stats.refreshes == 1)
        }
    }
}
