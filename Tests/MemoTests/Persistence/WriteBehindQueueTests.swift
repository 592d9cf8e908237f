@testable import Memo
import Testing

@Suite("Write-behind queue")
struct WriteBehindQueueTests {
    func write(_ n: Int, bytes: Int) -> WriteBehindQueue.Operation {
        .write(
            CacheState.SpillJob(
                key: key(n), generation: UInt64(n),
                value: [UInt8](repeating: 0, count: bytes), function: .none))
    }

    @Test("a full queue, in operations or in bytes, makes the caller drain it")
    func bounded() {
        let byCount = WriteBehindQueue(capacity: 3, byteCapacity: 1 << 30, batchSize: 2)
        guard case .scheduleWorker = byCount.enqueue([write(1, bytes: 1)]) else {
            return #expect(Bool(false), "the first operation schedules the worker")
        }
        guard case .nothing = byCount.enqueue([write(2, bytes: 1), write(3, bytes: 1)]) else {
            return #expect(Bool(false), "three pending: within capacity")
        }
        guard case .drainNow = byCount.enqueue([write(4, bytes: 1)]) else {
            return #expect(Bool(false), "four pending: over capacity")
        }

        let byBytes = WriteBehindQueue(capacity: 100, byteCapacity: 1000, batchSize: 2)
        _ = byBytes.enqueue([write(1, bytes: 600)])
        guard case .drainNow = byBytes.enqueue([write(2, bytes: 600)]) else {
            return #expect(Bool(false), "1,200 bytes pending: over 1,000")
        }
        // Batches come out in order, and what they take no longer counts.
        #expect(byBytes.nextBatch()?.count == 2)
        #expect(byBytes.nextBatch() == nil)
        guard case .nothing = byBytes.enqueue([write(3, bytes: 600)]) else {
            return #expect(Bool(false), "600 bytes pending after the drain: within 1,000")
        }
    }
}
