#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif
import Dispatch
import Synchronization

/// The pending work of a persistent cache, done off the caller's path: values to write
/// and index changes (removals, last-use updates), in the order they were asked for.
///
/// Batches are done one at a time, in order, on one serial dispatch queue: by a
/// background worker, or, while a caller that needs its work done before it returns (a
/// removal, a flush) waits for them. Each batch costs two index transactions (one
/// reserving its files, one recording them with its other changes), however many values
/// and touches it holds; its files may be written in parallel, on the local disk, between
/// the two.
///
/// The queue is bounded, in operations and in the bytes of the values it holds (a value
/// that left memory before its write is charged nowhere else). Past the bound, writes and
/// touches are not queued but handed back: the cache first removes the pending writes
/// already superseded (which their batch would skip), then waits for the worker to make
/// room, at most ``SpillingCache/backlogWait``, and drops what still finds none (counting each
/// write in ``CacheStats/droppedWrites``; the value stays in memory if it is there, and
/// only the directory misses it). Index changes (removals, the release of a computation
/// lock) are always queued, since dropping one would change what a lookup returns. A
/// caller never does the queue's work itself.
final class WriteBehindQueue: Sendable {
    enum Operation: Sendable {
        /// Write a value's file and record it in the index.
        case write(CacheState.SpillJob)
        /// Change the index; `deleting` (a file name in the directory, one this cache
        /// wrote) is deleted after the commit.
        case change(SpillIndexChange, deleting: String?)
        /// Release this process's hold of the directory's lock on computing the key, once
        /// the batch's transaction is over: a leader hands its lock to the write of its
        /// value, so that another process waiting on the key finds the value recorded.
        case unlock(CacheKey)

        /// The job of a write; `nil` for other operations.
        var writeJob: CacheState.SpillJob? {
            if case .write(let job) = self { job } else { nil }
        }

        /// The `memoryCost` of the value a write holds.
        var valueBytes: Int {
            if case .write(let job) = self { return job.value.memoryCost }
            return 0
        }

        var isTouch: Bool {
            if case .change(.touch, _) = self { return true }
            return false
        }

        /// Whether the operation may be dropped when the queue is full: a write (the
        /// directory then misses one value) or a touch (it misses one use).
        var isDroppable: Bool {
            switch self {
            case .write, .change(.touch, _): true
            case .change, .unlock: false
            }
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

    /// Operations that may be pending before writes and touches are dropped.
    let capacity: Int
    /// Bytes of values that may be pending before writes are dropped.
    let byteCapacity: Int
    /// Operations done in one transaction.
    let batchSize: Int
    private let state = Mutex(State())
    private let serial = DispatchQueue(label: "memo.write-behind")

    init(capacity: Int = 4096, byteCapacity: Int = 64 << 20, batchSize: Int = 512) {
        self.capacity = capacity
        self.byteCapacity = byteCapacity
        self.batchSize = batchSize
    }

    /// What a caller must do after ``enqueue(_:)``.
    enum Next {
        case nothing
        /// Schedule a background drain (after `delay`, to gather touches).
        case scheduleWorker(delay: Duration)
    }

    /// Adds operations, in order after every operation already added, and returns what
    /// to schedule and the operations it dropped because the queue is full (writes and
    /// touches only, see ``Operation/isDroppable``).
    func enqueue(_ operations: [Operation]) -> (next: Next, dropped: [Operation]) {
        guard !operations.isEmpty else { return (.nothing, []) }
        return state.withTrackedLock { state in
            var dropped: [Operation] = []
            for operation in operations {
                let bytes = operation.valueBytes
                if operation.isDroppable,
                    state.pending.count >= capacity || state.pendingBytes + bytes > byteCapacity
                {
                    dropped.append(operation)
                    continue
                }
                state.pending.append(operation)
                state.pendingBytes += bytes
            }
            guard !state.pending.isEmpty, !state.workerScheduled, !state.workerHeld else {
                return (.nothing, dropped)
            }
            state.workerScheduled = true
            let onlyTouches = state.pending.allSatisfy(\.isTouch)
            return (.scheduleWorker(delay: onlyTouches ? .milliseconds(50) : .zero), dropped)
        }
    }

    /// The writes pending, for the cache to tell which are superseded.
    var pendingWrites: [CacheState.SpillJob] {
        state.withTrackedLock { state in
            state.pending.compactMap(\.writeJob)
        }
    }

    /// Removes the pending writes of these generations (writes superseded or removed
    /// before their turn, which the batch would skip) and returns how many it removed.
    func removeWrites(ofGenerations generations: Set<UInt64>) -> Int {
        guard !generations.isEmpty else { return 0 }
        return state.withTrackedLock { state in
            let before = state.pending.count
            state.pending.removeAll { operation in
                guard let job = operation.writeJob, generations.contains(job.generation)
                else { return false }
                state.pendingBytes -= operation.valueBytes
                return true
            }
            return before - state.pending.count
        }
    }

    /// Waits until the worker has made room for more writes, or `limit` has passed;
    /// `true` if there is room. Never call it from the serial queue itself.
    func waitForRoom(atMost limit: Duration) -> Bool {
        let deadline = ContinuousClock.now + limit
        while true {
            let room = state.withTrackedLock { state in
                state.pending.count < capacity && state.pendingBytes < byteCapacity
            }
            if room { return true }
            if ContinuousClock.now >= deadline { return false }
            usleep(1_000)
        }
    }

    /// Stops scheduling background drains: pending work is done only by ``runNow(_:)``, so
    /// a test decides where each batch begins.
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
            serial.asyncAfter(deadline: .now() + delay.dispatchInterval, execute: work)
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
