@testable import Memo
import Testing

@Suite("Write-behind queue")
struct WriteBehindQueueTests {
    func write(_ n: Int, bytes: Int) -> WriteBehindQueue.Operation {
        .write(
            CacheState.SpillJob(
                key: key(n), generation: UInt64(n),
                value: [UInt8](repeating: 0, count: bytes), function: .none, storedAt: .zero))
    }

    func touch(_ n: Int) -> WriteBehindQueue.Operation {
        .change(.touch(key: key(n), fileName: "t\(n)", at: .zero), deleting: nil)
    }

    func removal(_ n: Int) -> WriteBehindQueue.Operation {
        .change(.remove(key: key(n), fileName: nil), deleting: nil)
    }

    @Test("a full queue, in operations or in bytes, drops writes and touches, never changes")
    func bounded() {
        let byCount = WriteBehindQueue(capacity: 3, byteCapacity: 1 << 30, batchSize: 2)
        let first = byCount.enqueue([write(1, bytes: 1)])
        guard case .scheduleWorker = first.next, first.dropped.isEmpty else {
            return #expect(Bool(false), "the first operation schedules the worker")
        }
        let second = byCount.enqueue([write(2, bytes: 1), write(3, bytes: 1)])
        guard case .nothing = second.next, second.dropped.isEmpty else {
            return #expect(Bool(false), "three pending: within capacity")
        }
        // Full: the write and the touch come back; the removal and the unlock are queued.
        let third = byCount.enqueue([write(4, bytes: 1), touch(5), removal(6), .unlock(key(7))])
        #expect(third.dropped.count == 2)
        guard case .write(let job) = third.dropped.first, job.key == key(4),
            third.dropped.last?.isTouch == true
        else {
            return #expect(Bool(false), "the write and the touch are dropped")
        }
        #expect(byCount.nextBatch()?.count == 2)
        #expect(byCount.nextBatch()?.count == 2)
        #expect(byCount.nextBatch()?.count == 1)
        #expect(byCount.nextBatch() == nil)

        let byBytes = WriteBehindQueue(capacity: 100, byteCapacity: 1000, batchSize: 2)
        _ = byBytes.enqueue([write(1, bytes: 600)])
        #expect(byBytes.enqueue([write(2, bytes: 600)]).dropped.count == 1, "1,200 bytes: over 1,000")
        #expect(byBytes.enqueue([write(3, bytes: 200)]).dropped.isEmpty, "about 800 bytes: within")
        // Batches come out in order, and what they take no longer counts.
        #expect(byBytes.nextBatch()?.count == 2)
        #expect(byBytes.nextBatch() == nil)
        #expect(byBytes.enqueue([write(4, bytes: 600)]).dropped.isEmpty, "600 after the drain")
    }
}
