@testable import Memo
import MemoTesting
import Testing

@Suite("Computation locks held by this process")
struct ComputationLocksTests {
    @Test("the directory's lock is held while any holder in this process holds it, released by the last, and taken again by the next")
    func countedHolders() throws {
        let index = InMemorySpillIndex()
        let locks = ComputationLocks(index)
        let key = CacheKey(hashing: "computation-lock", 1)
        #expect(try locks.lock(key, wait: false))
        // A second holder in this process (a leader while the writer still holds it).
        #expect(try locks.lock(key, wait: false))
        locks.unlock(key)
        #expect(try !index.lockComputation(of: key, wait: false), "one holder is left")
        locks.unlock(key)
        #expect(try index.lockComputation(of: key, wait: false), "the last holder released it")
        index.unlockComputation(of: key)
        // Taken again from the directory, not assumed held.
        #expect(try locks.lock(key, wait: false))
        #expect(try !index.lockComputation(of: key, wait: false), "held again")
        locks.unlock(key)
    }
}
