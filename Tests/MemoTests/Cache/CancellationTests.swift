import Foundation
@testable import Memo
import MemoTesting
import Synchronization
import Testing

/// Single flight when tasks are cancelled: a cancelled leader hands the computation over
/// to a waiter, and a cancelled waiter leaves at once while the leader goes on.
@Suite("Cancellation in single flight")
struct CancellationTests {
    /// Counts bodies run, from any task.
    final class Runs: Sendable {
        private let count = Atomic(0)
        func add() { count.add(1, ordering: .relaxed) }
        var value: Int { count.load(ordering: .relaxed) }
    }

    @Test("a cancelled leader's waiters are not failed: one of them takes over and computes")
    func leaderHandsOver() async throws {
        let cache = try SpillingCache(isolatedConfiguration())
        let key = CacheKey(hashing: "handover")
        let runs = Runs()
        let leaderStarted = Runs()
        let leader = Task {
            try await cache.value(forKey: key) { () async throws -> Int in
                runs.add()
                leaderStarted.add()
                try await Task.sleep(for: .seconds(30))  // throws when cancelled
                return -1
            }
        }
        while leaderStarted.value == 0 { try await Task.sleep(for: .milliseconds(5)) }
        let waiters = (0..<3).map { _ in
            Task {
                try await cache.value(forKey: key) { () async throws -> Int in
                    runs.add()
                    try await Task.sleep(for: .milliseconds(50))
                    return 42
                }
            }
        }
        try await Task.sleep(for: .milliseconds(100))  // the waiters join the flight
        leader.cancel()
        await #expect(throws: CancellationError.self) { try await leader.value }
        for waiter in waiters {
            #expect(try await waiter.value == 42, "a waiter gets the value, not a cancellation")
        }
        #expect(runs.value == 2, "the leader's cancelled run, then one waiter's")
    }

    @Test("a cancelled waiter returns at once; the leader goes on and computes once")
    func waiterLeaves() async throws {
        let cache = try SpillingCache(isolatedConfiguration())
        let key = CacheKey(hashing: "waiter")
        let runs = Runs()
        let leaderDone = Runs()
        let leader = Task {
            await cache.value(forKey: key) { () async -> Int in
                runs.add()
                // Until cancelled below: a waiter that waited for it would show leaderDone.
                try? await Task.sleep(for: .seconds(60))
                leaderDone.add()
                return 7
            }
        }
        while runs.value == 0 { try await Task.sleep(for: .milliseconds(5)) }
        let waiter = Task {
            try await cache.value(forKey: key) { () async throws -> Int in
                runs.add()
                return 8
            }
        }
        try await Task.sleep(for: .milliseconds(100))
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        // Promptly: the leader is still computing (no wall-clock bound, which a loaded
        // two-core machine under ThreadSanitizer can stretch by seconds).
        #expect(leaderDone.value == 0, "the cancelled waiter waited for the leader")
        leader.cancel()
        #expect(await leader.value == 7)
        #expect(runs.value == 1, "the leader's body ran once; the waiter never ran its own")
        #expect(cache.value(forKey: key, as: Int.self) == 7)
    }

    @Test("a cancelled waiter whose body cannot throw computes for itself, without waiting")
    func nonThrowingWaiter() async throws {
        let cache = try SpillingCache(isolatedConfiguration())
        let key = CacheKey(hashing: "non-throwing")
        let started = Runs()
        let leaderDone = Runs()
        let leader = Task {
            await cache.value(forKey: key) { () async -> Int in
                started.add()
                try? await Task.sleep(for: .seconds(60))  // until cancelled below
                leaderDone.add()
                return 1
            }
        }
        while started.value == 0 { try await Task.sleep(for: .milliseconds(5)) }
        let waiter = Task { await cache.value(forKey: key) { () async -> Int in 2 } }
        try await Task.sleep(for: .milliseconds(100))
        waiter.cancel()
        #expect(await waiter.value == 2)
        #expect(leaderDone.value == 0, "the cancelled waiter waited for the leader")
        leader.cancel()
        #expect(await leader.value == 1)
    }
}
