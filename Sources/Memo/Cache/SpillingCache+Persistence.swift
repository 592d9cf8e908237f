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

/// A persistent cache's work with its directory: finding values other runs and other
/// processes stored, and doing the write-behind queue's batches (files, then one index
/// transaction, then the files that became garbage).
extension SpillingCache {
    // MARK: Lookups in the directory

    /// What a look in the directory found.
    enum DirectoryLookup {
        /// A usable value, taken into this cache.
        case found(any Spillable)
        /// Nothing usable; why, when the directory knows (an entry it had to refuse).
        case absent(MissReason?)
    }

    /// A value of `type` under `key` that this cache does not hold, from the directory's
    /// index and its spill file, taken into this cache (a hit from disk, counted), or why
    /// there is none usable (the miss is the caller's to count).
    func lookupDirectory(
        _ key: CacheKey, type: any Spillable.Type, function: StoredFunction?
    ) -> DirectoryLookup {
        guard let persistence else { return .absent(nil) }
        let entry: SpillIndexEntry?
        do {
            entry = try persistence.index.entry(forKey: key)
        } catch {
            recordFailure("index lookup of \(key.hex) failed: \(error)")
            return .absent(nil)
        }
        guard let entry else { return .absent(nil) }
        guard let generation = PersistentDirectory.generation(of: entry.fileName),
            PersistentDirectory.isFileName(entry.fileName, of: key)
        else { return .absent(.corrupt) }
        let wallNow = Duration.sinceUnixEpoch
        let age = max(.zero, wallNow - entry.storedAt)
        if let timeToLive = configuration.timeToLive, age >= timeToLive {
            enqueue([.change(.remove(key: key, fileName: entry.fileName), deleting: nil)])
            return .absent(.expired)
        }
        // Stored as another type: not this caller's value, and the entry stays.
        guard entry.valueType == SpillFileFormat.typeFingerprint(of: type) else {
            return .absent(.otherType)
        }

        let value: any Spillable
        do {
            value = try fileSystem.withFileStream(atPath: "\(directory)/\(entry.fileName)") {
                stream in
                try SpillFileFormat.decodeAny(
                    from: &stream, key: key, type: type, function: function)
            }
        } catch Errno.noSuchFileOrDirectory {
            // Evicted or replaced by another process since we looked: a plain miss.
            perform([.change(.remove(key: key, fileName: entry.fileName), deleting: nil)])
            return .absent(.evicted)
        } catch {
            // Cannot be verified: a miss, removed and counted, never a wrong value.
            recordFailure("load of \(key.hex) from the directory failed: \(error)")
            // Removed before this returns, so no later lookup meets the same file.
            perform([
                .change(.remove(key: key, fileName: entry.fileName), deleting: entry.fileName)
            ])
            return .absent(.corrupt)
        }
        let charge = value.memoryCost + Self.entryOverhead
        let now = self.now
        var jobs: [CacheState.SpillJob] = []
        var removals: [UInt64: CacheKey] = [:]
        withState { state in
            state.adopt(
                value, charge: charge, forKey: key, generation: generation,
                fileBytes: entry.size,
                function: StoredFunction(name: entry.function, version: entry.version),
                storedAt: now - age, now: now, jobs: &jobs, removals: &removals)
        }
        finish(jobs: jobs, removals: removals)
        enqueue([.change(.touch(key: key, fileName: entry.fileName, at: wallNow), deleting: nil)])
        return .found(value)
    }

    /// Whether the directory holds the same call under another version of `function`: the
    /// reason a persistent cache's miss is ``MissReason/versionChanged``. `keyAtVersion`
    /// derives the call's key for another version. The function's versions in the
    /// directory are read once per cache and function.
    func isStoredUnderAnotherVersion(
        _ function: StoredFunction, keyAtVersion: (Int) -> CacheKey?
    ) -> Bool {
        guard let persistence else { return false }
        let versions: [Int]
        if let known = persistence.storedVersions.withTrackedLock({ $0[function.name] }) {
            versions = known
        } else {
            versions = (try? persistence.index.versions(ofFunction: function.name)) ?? []
            persistence.storedVersions.withTrackedLock { $0[function.name] = versions }
        }
        for version in versions where version != function.version {
            guard let key = keyAtVersion(version) else { return false }
            if (try? persistence.index.entry(forKey: key)) != nil { return true }
        }
        return false
    }

    // MARK: The write-behind queue

    /// The index changes for files the state gave up: each file's entry goes if it still
    /// refers to that file, and the file is deleted after the commit.
    func removalOperations(_ removals: [UInt64: CacheKey]) -> [WriteBehindQueue.Operation] {
        removals.map { generation, key in
            let name = SpillDirectory.fileName(for: key, generation: generation)
            return .change(.remove(key: key, fileName: name), deleting: name)
        }
    }

    /// Adds operations to the queue; the worker does them soon, or the caller now if the
    /// queue is full.
    func enqueue(_ operations: [WriteBehindQueue.Operation]) {
        guard let persistence else { return }
        switch persistence.queue.enqueue(operations) {
        case .nothing:
            break
        case .scheduleWorker(let delay):
            persistence.queue.schedule(after: delay) { [weak self] in self?.drainQueue() }
        case .drainNow:
            persistence.queue.runNow { drainQueue() }
        }
    }

    /// Adds operations and waits until they, and everything queued before them, are done.
    func perform(_ operations: [WriteBehindQueue.Operation]) {
        guard let persistence else { return }
        if case .scheduleWorker(let delay) = persistence.queue.enqueue(operations) {
            persistence.queue.schedule(after: delay) { [weak self] in self?.drainQueue() }
        }
        persistence.queue.runNow { drainQueue() }
    }

    /// Does every pending batch, in order. Runs on the queue's serial dispatch queue (or in
    /// `deinit`, when nothing else can reach the cache).
    func drainQueue() {
        guard let persistence else { return }
        while let batch = persistence.queue.nextBatch() {
            process(batch, persistence: persistence)
        }
    }

    /// One batch: reserve the files in the index, write them, record them (with the
    /// batch's other changes) in one transaction, report to the state, then delete the
    /// files nothing refers to any more and release their reservations. Two index
    /// transactions, however many values and changes the batch holds.
    private func process(_ batch: [WriteBehindQueue.Operation], persistence: Persistence) {
        let wallNow = Duration.sinceUnixEpoch
        // The files are announced before they exist, so that if this process dies between
        // writing them and recording them, the next to open the directory deletes them.
        let reservations = batch.compactMap { operation -> SpillIndexChange? in
            guard case .write(let job) = operation else { return nil }
            return .reserve(fileName: job.fileName, owner: PersistentDirectory.processID)
        }
        var reservationFailure: String?
        if !reservations.isEmpty {
            do {
                _ = try persistence.index.apply(
                    reservations, maxBytes: nil, owner: PersistentDirectory.processID)
            } catch {
                reservationFailure = String(describing: error)
            }
        }
        var files: [Result<Int, any Error>] = []
        if reservationFailure == nil {
            files = writeFiles(
                batch.compactMap { if case .write(let job) = $0 { job } else { nil } })
        }
        var written: [(job: CacheState.SpillJob, fileBytes: Int?, failure: String?)] = []
        var changes: [SpillIndexChange] = []
        var deletions: [String] = []
        for operation in batch {
            switch operation {
            case .write(let job):
                if let reservationFailure {
                    written.append((job, nil, "index: \(reservationFailure)"))
                    continue
                }
                do {
                    let fileBytes = try files[written.count].get()
                    written.append((job, fileBytes, nil))
                    changes.append(
                        .insert(
                            SpillIndexEntry(
                                key: job.key, function: job.function.name,
                                version: job.function.version,
                                valueType: SpillFileFormat.typeFingerprint(
                                    of: ExistentialValue.heldType(of: job.value)),
                                fileName: job.fileName, size: fileBytes, storedAt: wallNow,
                                lastUsedAt: wallNow)))
                } catch {
                    written.append((job, nil, String(describing: error)))
                }
                changes.append(.release(fileName: job.fileName))
            case .change(let change, let deleting):
                changes.append(change)
                if let deleting { deletions.append(deleting) }
            }
        }

        var outcome: SpillIndexOutcome?
        var indexFailure: String?
        if !changes.isEmpty {
            do {
                outcome = try persistence.index.apply(
                    changes, maxBytes: persistence.maxDisk, owner: PersistentDirectory.processID)
            } catch {
                indexFailure = String(describing: error)
            }
        }
        if let indexFailure {
            // Nothing of this batch is recorded: its files are garbage, its values are
            // written again if they leave memory, its removals are retried on lookup.
            for index in written.indices where written[index].fileBytes != nil {
                deletions.append(written[index].job.fileName)
                written[index].fileBytes = nil
                written[index].failure = "index: \(indexFailure)"
            }
            if written.isEmpty { recordFailure("index update failed: \(indexFailure)") }
        }

        var garbage: [UInt64: CacheKey] = [:]
        var followUps: [WriteBehindQueue.Operation] = []
        let (failuresBefore, failuresAfter) = withState { state in
            let before = state.stats.failures
            for (job, fileBytes, _) in written {
                let current = state.completeSpill(job, fileBytes: fileBytes, removals: &garbage)
                if fileBytes != nil, !current {
                    // Recorded in the index, but the entry changed meanwhile.
                    followUps.append(
                        .change(.remove(key: job.key, fileName: job.fileName), deleting: nil))
                }
            }
            if let outcome {
                state.applyIndexEvictions(outcome.evicted)
                state.directoryTotals = outcome.totals
            }
            return (before, state.stats.failures)
        }
        for case let (job, _, failure?) in written {
            logFailure(
                "write of \(job.key.hex) failed: \(failure)", from: failuresBefore,
                to: failuresAfter)
        }
        // Files the transaction left without an entry, reserved for this process until
        // they are deleted.
        let dropped = (outcome?.obsoleteFiles ?? []) + (outcome?.evicted.map(\.fileName) ?? [])
        deletions += dropped
        if indexFailure != nil, reservationFailure == nil {
            // The releases were lost with the transaction; the files are deleted below.
            followUps += written.map { .change(.release(fileName: $0.job.fileName), deleting: nil) }
        }
        for (generation, key) in garbage {
            deletions.append(SpillDirectory.fileName(for: key, generation: generation))
        }
        for name in Set(deletions) where PersistentDirectory.isSpillFileName(name) {
            try? fileSystem.removeFile(atPath: "\(directory)/\(name)")
        }
        followUps += dropped.map { .change(.release(fileName: $0), deleting: nil) }
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

    /// Does the pending batches now, without synchronizing: for tests that simulate a
    /// process killed after its queue was written.
    package func drainPendingForTests() {
        persistence?.queue.runNow { drainQueue() }
    }

    /// Counts and logs a failure outside any batch.
    func recordFailure(_ message: String) {
        let (before, after) = withState { state in
            let before = state.stats.failures
            state.recordFailure()
            return (before, state.stats.failures)
        }
        logFailure(message, from: before, to: after)
    }
}
