import Logging
import Synchronization
import SystemPackage

/// The cache's disk work, always done with the lock released.
extension SpillingCache {
    /// What a lookup came to, after any disk load.
    enum LookupOutcome<Value> {
        case found(Value)
        case missing
        /// Entries changed under the lookup: look again.
        case retry
        case join(Flight)
        case lead(Flight)
    }

    /// Looks `key` up, loading from disk outside the lock when the entry was spilled.
    func lookup<Value: Spillable>(
        _ key: CacheKey, as type: Value.Type, startingFlight: Bool
    ) -> LookupOutcome<Value> {
        let now = clock.now
        var removals: [UInt64: CacheKey] = [:]
        let step = state.withTrackedLock {
            $0.lookup(key, now: now, startingFlight: startingFlight, removals: &removals)
        }
        removeFiles(removals)
        switch step {
        case .hit(let value):
            // A value stored as another type is not this caller's value.
            return (value as? Value).map { .found($0) } ?? .missing
        case .miss:
            return .missing
        case .join(let flight):
            return .join(flight)
        case .lead(let flight):
            return .lead(flight)
        case .load(let generation):
            return load(key, generation: generation, as: Value.self)
        }
    }

    private func load<Value: Spillable>(
        _ key: CacheKey, generation: UInt64, as type: Value.Type
    ) -> LookupOutcome<Value> {
        let path = self.path(for: key, generation: generation)
        var loaded: Value?
        var failure: String?
        do {
            let bytes = try fileSystem.readFile(atPath: path)
            loaded = try SpillFileFormat.decode(bytes, key: key, as: Value.self)
        } catch {
            failure = String(describing: error)
        }
        let now = clock.now
        var jobs: [CacheState.SpillJob] = []
        var removals: [UInt64: CacheKey] = [:]
        let (result, failuresBefore, failuresAfter) = state.withTrackedLock { state in
            let before = state.stats.failures
            let result = state.completeLoad(
                key, generation: generation, loaded: loaded, now: now,
                jobs: &jobs, removals: &removals)
            return (result, before, state.stats.failures)
        }
        if let failure {
            logFailure("load of \(key.hex) failed: \(failure)", from: failuresBefore, to: failuresAfter)
        }
        finish(jobs: jobs, removals: removals)
        switch result {
        case .some(true): return .found(loaded!)
        case .some(false): return .missing
        case .none: return .retry
        }
    }

    /// Writes spill jobs, reports them, enforces the disk budget and removes garbage.
    func finish(jobs: [CacheState.SpillJob], removals: [UInt64: CacheKey]) {
        removeFiles(removals)
        guard !jobs.isEmpty else { return }
        var results: [(CacheState.SpillJob, Int?, String?)] = []
        for job in jobs {
            do {
                results.append((job, try write(job), nil))
            } catch {
                results.append((job, nil, String(describing: error)))
            }
        }
        var garbage: [UInt64: CacheKey] = [:]
        let (failuresBefore, failuresAfter) = state.withTrackedLock { state in
            let before = state.stats.failures
            for (job, fileBytes, _) in results {
                state.completeSpill(job, fileBytes: fileBytes, removals: &garbage)
            }
            state.evictForDisk(removals: &garbage)
            return (before, state.stats.failures)
        }
        for case let (job, _, failure?) in results {
            logFailure("spill of \(job.key.hex) failed: \(failure)", from: failuresBefore, to: failuresAfter)
        }
        removeFiles(garbage)
    }

    /// Writes one spill file under a temporary name and renames it into place. On any
    /// error the temporary file is removed and the error rethrown.
    private func write(_ job: CacheState.SpillJob) throws -> Int {
        let contents = try SpillFileFormat.encode(job.value, key: job.key)
        let path = self.path(for: job.key, generation: job.generation)
        let temporary = path + ".tmp"
        do {
            do {
                try fileSystem.writeFile(atPath: temporary, contents: contents)
            } catch Errno.noSuchFileOrDirectory where ownsDirectory {
                // removeAll() removes the directory the cache generated; make it again,
                // once. Any other error is the write's failure.
                try fileSystem.prepareDirectory(atPath: directory)
                try fileSystem.writeFile(atPath: temporary, contents: contents)
            }
            try fileSystem.renameFile(atPath: temporary, toPath: path)
        } catch {
            try? fileSystem.removeFile(atPath: temporary)
            throw error
        }
        return contents.count
    }

    func removeFiles(_ removals: [UInt64: CacheKey]) {
        for (generation, key) in removals {
            try? fileSystem.removeFile(atPath: path(for: key, generation: generation))
        }
    }

    func path(for key: CacheKey, generation: UInt64) -> String {
        "\(directory)/\(SpillDirectory.fileName(for: key, generation: generation))"
    }

    /// Logs a failure when the count crossed a power of two (the 1st, 2nd, 4th, 8th…), so
    /// a failing disk is reported without flooding the log.
    private func logFailure(_ message: String, from before: Int, to after: Int) {
        guard after > before else { return }
        var power = 1
        while power <= before { power <<= 1 }
        guard power <= after else { return }
        logger.warning(
            "\(message)",
            metadata: ["failures": "\(after)", "directory": "\(directory)"])
    }
}
