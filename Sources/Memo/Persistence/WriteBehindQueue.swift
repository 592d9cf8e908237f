import Dispatch
import Synchronization

/// The pending work of a persistent cache, done off the caller's path: values to write
/// and index changes (removals, last-use updates), in the order they were asked for.
///
/// Batches are done one at a time, in order, on one serial dispatch queue: by a
/// background worker, or by a caller that needs its work done before it returns (a
/// removal, a flush, the leader of a single flight). Each batch costs two index
/// transactions (one reserving its files, one recording them with its other changes),
/// however many values and touches it holds; its files may be written in parallel, on
/// the local disk, between the two. The queue is bounded, in operations and in
/// the bytes of the values it holds (a value that left memory before its write is charged
/// nowhere else): a caller that finds it full waits for the pending work to be done (the
/// caller pays for the write rather than the value being dropped, and memory cannot grow
/// without bound).
/// Hits never touch the queue, except to leave a touch after a disk hit.
final class WriteBehindQueue: Sendable {
    enum Operation: Sendable {
        /// Write a value's file and record it in the index.
        case write(CacheState.SpillJob)
        /// Change the index; `deleting` (a file name in the directory, one this cache
        /// wrote) is deleted after the commit.
        case change(SpillIndexChange, deleting: String?)

        /// The `memoryCost` of the value a write holds.
        var valueBytes: Int {
            if case .write(let job) = self { return job.value.memoryCost }
            return 0
        }

        var isTouch: Bool {
            if case .change(.touch, _) = self { return true }
            return false
        }
    }

    private struct State {
        var pending: [Operation] = []
        /// The `memoryCost` of the values pending: values that left memory before their
        /// write are charged nowhere else.
        var pendingBytes = 0
        /// Whether a background drain is scheduled.
        var workerScheduled = false
        /// Whether no background drain is ever scheduled (tests drive the batches).
        var workerHeld = false
    }

    /// Operations that may be pending before a caller waits for them to be done.
    let capacity: Int
    /// Bytes of values that may be pending before a caller waits for them to be written.
    let byteCapacity: Int
    /// Operations done in one transaction.
    let batchSize: Int
    private let state = Mutex(State())
    private let serial = DispatchQueue(label: "memo.write-behind")

    init(capacity: Int = 1024, byteCapacity: Int = 64 << 20, batchSize: Int = 512) {
        self.capacity = capacity
        self.byteCapacity = byteCapacity
        self.batchSize = batchSize
    }

    /// What a caller must do after ``enqueue(_:)``.
    enum Next {
        case nothing
        /// Schedule a background drain (after `delay`, to gather touches).
        case scheduleWorker(delay: Duration)
        /// The queue is full: drain it now, on the caller's thread.
        case drainNow
    }

    /// Adds operations, in order after every operation already added.
    func enqueue(_ operations: [Operation]) -> Next {
        guard !operations.isEmpty else { return .nothing }
        let bytes = operations.reduce(0) { $0 + $1.valueBytes }
        return state.withTrackedLock { state in
            state.pending += operations
            state.pendingBytes += bytes
            if state.pending.count > capacity || state.pendingBytes > byteCapacity {
                return .drainNow
            }
            guard !state.workerScheduled, !state.workerHeld else { return .nothing }
            state.workerScheduled = true
            let onlyTouches = state.pending.allSatisfy(\.isTouch)
            return .scheduleWorker(delay: onlyTouches ? .milliseconds(50) : .zero)
        }
    }

    /// Stops scheduling background drains: pending work is done only by ``runNow(_:)``
    /// (or when the queue is full), so a test decides where each batch begins.
    func holdWorker() {
        state.withTrackedLock { $0.workerHeld = true }
    }

    /// Runs `drain` on the serial queue after `delay`, without waiting.
    func schedule(after delay: Duration, _ drain: @escaping @Sendable () -> Void) {
        let work: @Sendable () -> Void = { [self] in
            state.withTrackedLock { $0.workerScheduled = false }
            drain()
        }
        if delay == .zero {
            serial.async(execute: work)
        } else {
            let nanoseconds =
                Int(delay.components.seconds) * 1_000_000_000
                + Int(delay.components.attoseconds / 1_000_000_000)
            serial.asyncAfter(deadline: .now() + .nanoseconds(nanoseconds), execute: work)
        }
    }

    /// Runs `drain` on the serial queue and waits for it: every batch started before is
    /// done first. Never call it from the serial queue itself.
    func runNow(_ drain: () -> Void) {
        serial.sync(execute: drain)
    }

    /// Takes the next batch, or `nil` when nothing is pending.
    func nextBatch() -> [Operation]? {
        state.withTrackedLock { state in
            guard !state.pending.isEmpty else { return nil }
            let batch = Array(state.pending.prefix(batchSize))
            state.pending.removeFirst(batch.count)
            state.pendingBytes -= batch.reduce(0) { $0 + $1.valueBytes }
            return batch
        }
    }
}
