#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif
import Dispatch
import Logging
import Synchronization
import SystemPackage

/// A persistent cache's write-behind queue and its batches: files, then one index
/// transaction, then the files that became garbage, on the queue's own thread.
extension SpillingCache {
    /// The index changes for files the state gave up: each file's entry goes if it still
    /// refers to that file, and the file is deleted after the commit.
    func removalOperations(_ removals: [UInt64: CacheKey]) -> [WriteBehindQueue.Operation] {
        removals.map { generation, key in
            let name = SpillDirectory.fileName(for: key, generation: generation)
            return .change(.remove(key: key, fileName: name), deleting: name)
        }
    }

    /// How long a store waits for the write-behind worker to make room in a full queue
    /// before its write is dropped: the most a slow disk can add to a caller's store.
    static let backlogWait = Duration.seconds(1)

    /// Adds operations to the queue for the worker. When the queue is full, its writes
    /// wait for room (at most ``backlogWait``) and touches are dropped. Returns the writes
    /// that still found no room: each is counted in ``CacheStats/droppedWrites`` and
    /// reported to the state as a value without a file.
    @discardableResult
    func enqueue(_ operations: [WriteBehindQueue.Operation]) -> [CacheState.SpillJob] {
        guard let persistence else { return [] }
        var droppedJobs = admit(operations, to: persistence.queue)
        guard !droppedJobs.isEmpty else { return [] }
        if removeSupersededWrites(persistence)
            || persistence.queue.waitForRoom(atMost: Self.backlogWait)
        {
            droppedJobs = admit(droppedJobs.map { .write($0) }, to: persistence.queue)
            guard !droppedJobs.isEmpty else { return [] }
        }
        var removals: [UInt64: CacheKey] = [:]
        let (before, after) = withState { state in
            let before = state.stats.droppedWrites
            for job in droppedJobs { state.dropWrite(job, removals: &removals) }
            return (before, state.stats.droppedWrites)
        }
        if !removals.isEmpty { enqueue(removalOperations(removals)) }
        logDroppedWrites(from: before, to: after)
        return droppedJobs
    }

    /// Adds operations to `queue`, scheduling its worker if it asks, and returns the
    /// writes it had no room for (the touches it had none for are dropped).
    private func admit(
        _ operations: [WriteBehindQueue.Operation], to queue: WriteBehindQueue
    ) -> [CacheState.SpillJob] {
        let (next, dropped) = queue.enqueue(operations)
        if case .scheduleWorker(let delay) = next {
            queue.schedule(after: delay) { [weak self] in self?.drainQueue() }
        }
        return dropped.compactMap(\.writeJob)
    }

    /// Removes from the queue the writes whose entry changed since they were queued
    /// (counted as skipped, as their batch would have), so that under overwrite pressure
    /// the newest values are the ones queued, and each batch holds the newest of its keys.
    /// `true` if it removed any.
    private func removeSupersededWrites(_ persistence: Persistence) -> Bool {
        guard persistence.skipsSupersededWrites.load(ordering: .relaxed) else { return false }
        let pending = persistence.queue.pendingWrites
        guard !pending.isEmpty else { return false }
        let superseded = withState { state in
            var superseded = Set<UInt64>()
            for job in pending where !state.isPendingWrite(job) { superseded.insert(job.generation) }
            return superseded
        }
        let removed = persistence.queue.removeWrites(ofGenerations: superseded)
        guard removed > 0 else { return false }
        withState { $0.recordSkippedWrites(removed) }
        return true
    }

    /// Adds operations and waits until they, and everything queued before them, are done:
    /// for removals and flushes, whose callers asked for the directory to change.
    func perform(_ operations: [WriteBehindQueue.Operation]) {
        guard let persistence else { return }
        enqueue(operations)
        persistence.queue.runNow { drainQueue() }
    }

    /// Does every pending batch, in order. Runs on the queue's serial dispatch queue (or in
    /// `deinit`, when nothing else can reach the cache).
    func drainQueue() {
        guard let persistence else { return }
        while true {
            // Writes superseded since they were queued go first: a batch then holds the
            // newest value of each key it writes, even when more than a batch is pending.
            _ = removeSupersededWrites(persistence)
            guard let batch = persistence.queue.nextBatch() else { return }
            process(batch, persistence: persistence)
        }
    }

    /// One batch: skip the writes already superseded or removed, reserve the other files
    /// in the index, write them, record those still current (with the batch's other
    /// changes) in one transaction, report to the state, then delete the files nothing
    /// refers to any more and release their reservations. Two index transactions, however
    /// many values and changes the batch holds.
    ///
    /// The rule that keeps a killed process from losing what it recorded: a file an index
    /// row names is deleted only after the transaction that stops naming it has committed.
    /// A value *superseded* by a newer one of its key keeps its row (and file) until the
    /// newer value is recorded, whose insert makes it obsolete; a value *removed* (a
    /// removal, a clear, an expiry) has its row removed first and its file deleted after.
    private func process(_ batch: [WriteBehindQueue.Operation], persistence: Persistence) {
        let jobs = batch.compactMap(\.writeJob)
        // A write whose entry changed before its turn is not done at all: under overwrite
        // pressure the disk goes to the newest values.
        let skips = persistence.skipsSupersededWrites.load(ordering: .relaxed)
        var outcomes: [WriteOutcome] = withState { state in
            let outcomes = jobs.map {
                !skips || state.isPendingWrite($0) ? WriteOutcome.written(0) : .skipped
            }
            state.recordSkippedWrites(outcomes.count { $0 == .skipped })
            return outcomes
        }
        let toWrite = jobs.indices.filter { outcomes[$0] != .skipped }
        if let failure = reserve(toWrite.map { jobs[$0] }, persistence: persistence) {
            for index in toWrite { outcomes[index] = .failed("index: \(failure)", reserved: false) }
        } else {
            let results = writeFiles(toWrite.map { jobs[$0] })
            for (index, result) in zip(toWrite, results) {
                switch result {
                case .success(let bytes): outcomes[index] = .written(bytes)
                case .failure(let error):
                    outcomes[index] = .failed(String(describing: error), reserved: true)
                }
            }
            abandonRemovedWrites(jobs, &outcomes)
        }
        record(batch, jobs: jobs, outcomes: outcomes, persistence: persistence)
        // The values are recorded (or given up): a process waiting on one of these keys
        // now finds it.
        for case .unlock(let key) in batch { persistence.locks?.unlock(key) }
    }

    /// What became of one write of a batch.
    private enum WriteOutcome: Equatable {
        /// Superseded or removed before its turn: nothing written, nothing reserved.
        case skipped
        /// Written, then its entry changed before the transaction: deleted, not recorded;
        /// its reservation is released.
        case abandoned
        /// Written, this many bytes, to be recorded.
        case written(Int)
        /// Not written; `reserved` when its reservation is to be released.
        case failed(String, reserved: Bool)

        /// Whether the batch reserved the write's file (and so must release it).
        var holdsReservation: Bool {
            switch self {
            case .skipped: false
            case .abandoned, .written: true
            case .failed(_, let reserved): reserved
            }
        }
    }

    /// Announces the files of `jobs` before they exist, so that if this process dies
    /// between writing them and recording them, the next to open the directory deletes
    /// them. Returns why the reservation failed, if it did (then nothing is written).
    private func reserve(_ jobs: [CacheState.SpillJob], persistence: Persistence) -> String? {
        guard !jobs.isEmpty else { return nil }
        do {
            _ = try persistence.index.apply(
                jobs.map { .reserve(fileName: $0.fileName, owner: PersistentDirectory.processID) },
                maxBytes: nil, owner: PersistentDirectory.processID)
            return nil
        } catch {
            return String(describing: error)
        }
    }

    /// Files written for keys removed while they were written are not recorded: recording
    /// one would bring back a value that is gone. Such a file is deleted now (it is only
    /// reserved: no row names it). A file whose key got a newer value meanwhile *is*
    /// recorded: it is a right value of the key, newer than the one recorded, and the newer
    /// value's own write (queued after it) replaces it. Abandoning it instead would record
    /// nothing at all while a key is overwritten faster than the disk writes it, since no
    /// caller ever waits for the queue.
    private func abandonRemovedWrites(
        _ jobs: [CacheState.SpillJob], _ outcomes: inout [WriteOutcome]
    ) {
        let written = jobs.indices.filter {
            if case .written = outcomes[$0] { true } else { false }
        }
        guard !written.isEmpty else { return }
        let changed = withState { state in written.filter { state.slot(of: jobs[$0].key) == nil } }
        for index in changed {
            try? fileSystem.removeFile(atPath: "\(directory)/\(jobs[index].fileName)")
            outcomes[index] = .abandoned
        }
    }

    /// The batch's transaction (the written files' entries and the other changes, in the
    /// batch's order), then the state's report and the deletions after the commit.
    private func record(
        _ batch: [WriteBehindQueue.Operation], jobs: [CacheState.SpillJob],
        outcomes: [WriteOutcome], persistence: Persistence
    ) {
        let (wallNow, now) = (Duration.sinceUnixEpoch, self.now)
        var reports: [(job: CacheState.SpillJob, fileBytes: Int?, failure: String?)] = []
        var changes: [SpillIndexChange] = []
        var deletions: [String] = []
        var next = 0
        for operation in batch {
            switch operation {
            case .write(let job):
                let outcome = outcomes[next]
                next += 1
                switch outcome {
                case .skipped:
                    break
                case .abandoned:
                    changes.append(.release(fileName: job.fileName))
                case .written(let fileBytes):
                    reports.append((job, fileBytes, nil))
                    changes.append(
                        .insert(indexEntry(for: job, size: fileBytes, at: wallNow, now: now)))
                    changes.append(.release(fileName: job.fileName))
                case .failed(let failure, let reserved):
                    reports.append((job, nil, failure))
                    if reserved { changes.append(.release(fileName: job.fileName)) }
                }
            case .change(let change, let deleting):
                changes.append(change)
                if let deleting { deletions.append(deleting) }
            case .unlock:
                break
            }
        }
        var outcome: SpillIndexOutcome?
        if !changes.isEmpty {
            do {
                outcome = try persistence.index.apply(
                    changes, maxBytes: persistence.maxDisk,
                    eviction: configuration.diskEviction, owner: PersistentDirectory.processID)
            } catch {
                abandonFailedTransaction(
                    error, reports: reports, jobs: jobs, outcomes: outcomes,
                    persistence: persistence)
                return
            }
        }
        let followUps = report(reports, outcome: outcome, persistence: persistence)
        // Files the transaction left without an entry, reserved for this process until
        // they are deleted.
        let dropped = (outcome?.obsoleteFiles ?? []) + (outcome?.evicted.map(\.fileName) ?? [])
        deleteThenRelease(
            deletions + dropped,
            followUps: followUps + dropped.map { .change(.release(fileName: $0), deleting: nil) },
            persistence: persistence)
    }

    /// After the batch's transaction failed. Nothing of the batch is recorded: its files
    /// are garbage (deleted, then released), its values are written again if they leave
    /// memory, its removals are retried on lookup. The changes' own deletions wait: their
    /// rows were not removed.
    private func abandonFailedTransaction(
        _ error: any Error, reports: [(job: CacheState.SpillJob, fileBytes: Int?, failure: String?)],
        jobs: [CacheState.SpillJob], outcomes: [WriteOutcome], persistence: Persistence
    ) {
        let failure = "index: \(error)"
        var reports = reports
        var garbage: [String] = []
        var released: [WriteBehindQueue.Operation] = []
        for index in reports.indices where reports[index].fileBytes != nil {
            garbage.append(reports[index].job.fileName)
            reports[index].fileBytes = nil
            reports[index].failure = failure
        }
        for (index, job) in jobs.enumerated() where outcomes[index].holdsReservation {
            released.append(.change(.release(fileName: job.fileName), deleting: nil))
        }
        if reports.isEmpty { recordFailure("index update failed: \(error)") }
        deleteThenRelease(garbage, followUps: released, persistence: persistence)
        report(reports, outcome: nil, persistence: persistence)
    }

    /// Tells the state what the batch's writes came to, logs their failures, and returns
    /// the follow-up changes for entries removed while their file was being recorded.
    @discardableResult
    private func report(
        _ reports: [(job: CacheState.SpillJob, fileBytes: Int?, failure: String?)],
        outcome: SpillIndexOutcome?, persistence: Persistence
    ) -> [WriteBehindQueue.Operation] {
        var followUps: [WriteBehindQueue.Operation] = []
        let (failuresBefore, failuresAfter) = withState { state in
            let before = state.stats.failures
            for (job, fileBytes, _) in reports {
                var garbage: [UInt64: CacheKey] = [:]
                let current = state.completeSpill(job, fileBytes: fileBytes, removals: &garbage)
                guard fileBytes != nil, !current else { continue }
                // Recorded, but the entry changed during the transaction. Superseded (the
                // state holds a newer value of the key, on its way to the index): the file
                // stays the key's recorded value until that one's insert replaces it.
                // Removed: the row goes first, the file after that commit.
                if state.slot(of: job.key) == nil {
                    followUps.append(
                        .change(
                            .remove(key: job.key, fileName: job.fileName),
                            deleting: job.fileName))
                }
            }
            if let outcome {
                state.applyIndexEvictions(outcome.evicted)
                state.directoryTotals = outcome.totals
            }
            return (before, state.stats.failures)
        }
        for case let (job, _, failure?) in reports {
            logFailure(
                "write of \(job.key.hex) failed: \(failure)", from: failuresBefore,
                to: failuresAfter)
        }
        return followUps
    }

    /// Deletes spill files nothing names any more, then queues `followUps` (the releases
    /// of their reservations, and removals still to do).
    private func deleteThenRelease(
        _ deletions: [String], followUps: [WriteBehindQueue.Operation], persistence: Persistence
    ) {
        for name in Set(deletions) where PersistentDirectory.isSpillFileName(name) {
            try? fileSystem.removeFile(atPath: "\(directory)/\(name)")
        }
        // Releases and removals are never dropped, and the worker is already draining.
        if !followUps.isEmpty {
            _ = persistence.queue.enqueue(followUps)
        }
    }

    /// Writes the files of `jobs`, several at a time on the local disk: most of what a
    /// persistent store costs is the kernel creating and writing its file, which other
    /// cores can do meanwhile (scenario 10 of `make bench`). Results are in the order of
    /// `jobs`. Other file systems (the in-memory ones of tests) are written one file after
    /// another, so that their injected faults stay deterministic.
    private func writeFiles(_ jobs: [CacheState.SpillJob]) -> [Result<Int, any Error>] {
        let writers = fileSystem is LocalFileSystem ? min(jobs.count, Self.parallelWriters) : 1
        guard writers > 1 else { return jobs.map { job in Result { try write(job) } } }
        let results = Mutex([Result<Int, any Error>?](repeating: nil, count: jobs.count))
        DispatchQueue.concurrentPerform(iterations: writers) { writer in
            for index in stride(from: writer, to: jobs.count, by: writers) {
                let result = Result { try write(jobs[index]) }
                results.withTrackedLock { $0[index] = result }
            }
        }
        return results.withTrackedLock { results in results.map { $0! } }
    }

    /// How many files a batch writes at once: one per core, up to four.
    private static let parallelWriters = max(1, min(4, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))))

    /// Stops the write-behind worker of a persistent cache: its batches are then done only
    /// by ``drainPendingForTests()``, a removal or a flush, so a test knows what each
    /// batch holds.
    package func holdWriteBehindForTests() {
        persistence?.queue.holdWorker()
    }

    /// Writes every value's file even when a newer value of its key is already queued, as
    /// releases before write coalescing did: the baseline of the benchmark that measures
    /// what skipping them saves. (The files are still not recorded.)
    package func writeSupersededValuesForBenchmarks() {
        persistence?.skipsSupersededWrites.store(false, ordering: .relaxed)
    }

    /// Does the pending batches now, without synchronizing: for tests that simulate a
    /// process killed after its queue was written.
    package func drainPendingForTests() {
        persistence?.queue.runNow { drainQueue() }
    }
}
