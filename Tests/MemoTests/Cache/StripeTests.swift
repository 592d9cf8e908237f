import Foundation
@testable import Memo
import Synchronization
import Testing

/// The hit path's stripes: a thread keeps its stripe, and its touch buffer is drained by
/// the hit that fills it, exactly at capacity.
@Suite("Entry table stripes")
struct StripeTests {
    /// Touches buffered in the calling thread's stripe of `cache`.
    private func buffered(_ cache: SpillingCache) -> Int {
        cache.table.currentStripe.pointee.touches.withLock { $0.count }
    }

    @Test("the hit that fills a stripe's touch buffer drains it: at capacity, not one later")
    func drainsAtCapacity() throws {
        let cache = try SpillingCache(CacheConfiguration())
        let key = CacheKey(hashing: "hot")
        cache.store(42, forKey: key)  // a state operation: every buffer starts empty
        #expect(buffered(cache) == 0)
        for _ in 0..<(EntryTable.capacity - 1) {
            #expect(cache.value(forKey: key, as: Int.self) == 42)
        }
        #expect(buffered(cache) == EntryTable.capacity - 1)
        #expect(cache.value(forKey: key, as: Int.self) == 42)
        #expect(buffered(cache) == 0, "the capacity-th hit drained the buffer")
        #expect(cache.value(forKey: key, as: Int.self) == 42)
        #expect(buffered(cache) == 1)
        #expect(cache.stats.hits == EntryTable.capacity + 1)
    }

    @Test("a thread keeps the stripe of its first hit; all its hits are counted there")
    func threadKeepsItsStripe() throws {
        let cache = try SpillingCache(CacheConfiguration())
        let key = CacheKey(hashing: "hot")
        cache.store(7, forKey: key)
        let hits = 1_000
        let report = Report()
        // A new thread: its stripe is given on its first hit.
        let thread = Thread {
            let first = ThreadStripe.index
            for _ in 0..<hits { _ = cache.value(forKey: key, as: Int.self) }
            let after = ThreadStripe.index
            let stripe = cache.table.stripes[first & (EntryTable.stripeCount - 1)]
            let counted = stripe.pointee.hits.load(ordering: .relaxed)
            report.value.withLock { $0 = (first, after, counted) }
        }
        thread.start()
        while report.value.withLock({ $0 == nil }) { usleep(1_000) }
        let (first, after, counted) = try #require(report.value.withLock { $0 })
        #expect(first == after)
        #expect(counted == hits, "every hit of the thread under one stripe")
        #expect(cache.stats.hits == hits)
    }
}

/// What the thread saw: its stripe at its first hit, after its last, and the hits counted.
private final class Report: Sendable {
    let value = Mutex<(Int, Int, Int)?>(nil)
}
