/// The store: every value enters the cache through ``storeAny(_:forKey:function:from:ending:handingLock:)``.
extension SpillingCache {
    /// What a stored value counts as.
    enum StoreSource: Equatable {
        /// Stored by a caller, or computed by one.
        case caller
        /// Fetched from the shared tier: a hit from the tier.
        case sharedTier
    }

    /// Stores `value` under `key`, replacing any previous value, and carries out the work
    /// this causes: the values it pushes out of memory are written, a persistent cache's
    /// write of the value itself is queued, and files given up are removed.
    ///
    /// - Parameters:
    ///   - flight: the key's flight, which this ends with the value in the same critical
    ///     section that stores it, so a caller always finds either the flight or the value.
    ///   - handingLock: the caller holds the key's directory lock and hands it to the write
    ///     of the value, which releases it once the value is recorded: a process waiting
    ///     on the key then finds the value, and the caller does not wait for the disk.
    ///   - storedAt: when the value was computed, on the cache's clock, if not now (a
    ///     value from the shared tier keeps its age).
    ///   - cost: what computing it took, on the cache's clock (cost-aware eviction).
    func storeAny(
        _ value: any Spillable, forKey key: CacheKey, function: StoredFunction = .none,
        from source: StoreSource = .caller, ending flight: Flight? = nil,
        handingLock: Bool = false, storedAt: Duration? = nil, cost: Duration = .zero
    ) {
        let charge = value.memoryCost + Self.entryOverhead
        let now = self.now
        let (jobs, removals) = withState { state in
            if let flight, state.flights[key] === flight { state.flights[key] = nil }
            if source == .sharedTier { state.recordSharedHit() }
            return state.store(
                value, charge: charge, forKey: key, function: function, now: now,
                storedAt: storedAt, cost: cost)
        }
        flight?.finish(.success(value))
        finish(jobs: jobs, removals: removals, releasingLockOf: handingLock ? key : nil)
    }

    /// Stores `value` as a caller's (the public `store`, a handle's `store`) and publishes
    /// it to the shared tier in the background.
    func storeAndPublish(_ value: any Spillable, forKey key: CacheKey, function: StoredFunction) {
        storeAny(value, forKey: key, function: function)
        shared?.publish(value, forKey: key, function: function, releasing: nil)
    }

    /// Carries out spill jobs and removals the state returned. A persistent cache queues
    /// them for the write-behind worker, behind the caller's back, with the release of
    /// `releasingLockOf`'s directory lock after them (at once, if the key's write had to be
    /// dropped); a cache of its own spill files writes them now, on this thread (they are
    /// what let memory stay within its bound), then enforces the disk budget.
    func finish(
        jobs: [CacheState.SpillJob], removals: [UInt64: CacheKey],
        releasingLockOf lockedKey: CacheKey? = nil
    ) {
        if let persistence {
            let dropped = enqueue(removalOperations(removals) + jobs.map { .write($0) })
            guard let lockedKey else { return }
            if dropped.contains(where: { $0.key == lockedKey }) {
                persistence.locks?.unlock(lockedKey)
            } else {
                enqueue([.unlock(lockedKey)])
            }
            return
        }
        if !removals.isEmpty { removeFiles(removals) }
        guard !jobs.isEmpty else { return }
        writeSpillFiles(jobs)
    }

    /// Writes the spill files of a cache that is not persistent, reports them to the
    /// state, enforces the disk budget and removes what became garbage.
    private func writeSpillFiles(_ jobs: [CacheState.SpillJob]) {
        var results: [(CacheState.SpillJob, Int?, String?)] = []
        for job in jobs {
            do {
                results.append((job, try write(job), nil))
            } catch {
                results.append((job, nil, String(describing: error)))
            }
        }
        var garbage: [UInt64: CacheKey] = [:]
        let (failuresBefore, failuresAfter) = withState { state in
            let before = state.stats.failures
            for (job, fileBytes, _) in results {
                state.completeSpill(job, fileBytes: fileBytes, removals: &garbage)
            }
            state.evictForDisk(removals: &garbage)
            return (before, state.stats.failures)
        }
        for case let (job, _, failure?) in results {
            logFailure(
                "spill of \(job.key.hex) failed: \(failure)", from: failuresBefore,
                to: failuresAfter)
        }
        removeFiles(garbage)
    }
}

extension SpillingCache {
    /// Sets the memory quota of `function`'s results, and spills what brings them within
    /// it.
    func setMemoryQuota(_ bytes: Int, for function: StoredFunction) {
        let now = self.now
        let (jobs, removals) = withState { state in
            var removals: [UInt64: CacheKey] = [:]
            let jobs = state.setMemoryQuota(bytes, for: function, now: now, removals: &removals)
            return (jobs, removals)
        }
        finish(jobs: jobs, removals: removals)
    }
}
