import Logging
import Synchronization
import SystemPackage

/// The cache's disk work, always done with the lock released.
///
/// This core is not generic: values travel as `any Spillable` with the expected type's
/// identity, so a call from unspecialized code (a memoized wrapper over a parameter pack)
/// resolves no generic metadata on the way. The typed API in `SpillingCache.swift` and
/// `SpillingCache+Compute.swift` is a thin shell over it.
extension SpillingCache {
    /// What a lookup came to, after any disk load.
    enum LookupOutcome {
        case found(any Spillable, from: HitSource)
        case missing(MissReason)
        /// Entries changed under the lookup: look again.
        case retry
        case join(Flight)
        case lead(Flight, MissReason)
    }

    /// The current time for `timeToLive`; without one the clock is never read.
    var now: Duration { tracksTime ? clock.now : .zero }

    /// The hit path: if the value of `key` is in memory, as `type`, hands it to `read`
    /// (in place, under the lock of this thread's stripe of the entry table, without the
    /// state's lock), counts the hit, buffers its touch and returns the calling thread's
    /// stripe number (for counts striped like the entry table). `nil` sends the caller to
    /// ``lookup(_:type:function:startingFlight:)``.
    @inline(__always)
    func memoryHit(
        _ key: CacheKey, type: any Spillable.Type, _ read: (UnsafePointer<any Spillable>) -> Void
    ) -> Int? {
        let (found, full, stripe) = table.hit(
            key, valueType: ObjectIdentifier(type), now: tracksTime ? clock.now.nanoseconds : 0,
            read)
        // A full buffer is applied to the recency order now, under the state's lock.
        if full {
            state.withTrackedLock { state in
                table.drainCurrentStripe { state.applyTouches($0) }
            }
        }
        return found ? stripe : nil
    }

    /// ``memoryHit(_:type:_:)`` giving the value.
    func memoryHit(_ key: CacheKey, type: any Spillable.Type) -> (any Spillable)? {
        var value: (any Spillable)?
        _ = memoryHit(key, type: type) { value = $0.pointee }
        return value
    }

    /// Looks `key` up for a value of `type`, loading from disk outside the lock when the
    /// entry was spilled.
    func lookup(
        _ key: CacheKey, type: any Spillable.Type, function: StoredFunction? = nil,
        startingFlight: Bool
    ) -> LookupOutcome {
        if let value = memoryHit(key, type: type) { return .found(value, from: .memory) }
        var removals: [UInt64: CacheKey] = [:]
        let now = self.now
        let step = withState {
            $0.lookup(
                key, valueType: ObjectIdentifier(type), now: now, startingFlight: startingFlight,
                removals: &removals)
        }
        if !removals.isEmpty { finish(jobs: [], removals: removals) }
        switch step {
        case .hit(let value): return .found(value, from: .memory)
        case .miss(let reason):
            var reason = reason
            if persistence != nil {
                switch lookupDirectory(key, type: type, function: function) {
                case .found(let value): return .found(value, from: .disk)
                case .absent(let found): reason = found ?? reason
                }
            }
            if shared != nil {
                switch lookupShared(key, type: type, function: function) {
                case .found(let value):
                    storeLocally(value, forKey: key, function: function ?? .none)
                    return .found(value, from: .shared)
                case .absent(let found): reason = found ?? reason
                }
            }
            return .missing(reason)
        case .join(let flight): return .join(flight)
        case .lead(let flight, let reason): return .lead(flight, reason)
        case .load(let generation, let recorded):
            return load(key, generation: generation, type: type, function: recorded)
        }
    }

    private func load(
        _ key: CacheKey, generation: UInt64, type: any Spillable.Type, function: StoredFunction
    ) -> LookupOutcome {
        let path = self.path(for: key, generation: generation)
        var loaded: (any Spillable)?
        var failure: String?
        // In a shared directory another process may have evicted the file: not a fault.
        var vanished = false
        do {
            loaded = try fileSystem.withFileStream(atPath: path) { stream in
                try SpillFileFormat.decodeAny(
                    from: &stream, key: key, type: type, function: function)
            }
        } catch Errno.noSuchFileOrDirectory where persistence != nil {
            vanished = true
        } catch {
            failure = String(describing: error)
        }
        let now = self.now
        var jobs: [CacheState.SpillJob] = []
        var removals: [UInt64: CacheKey] = [:]
        let (result, failuresBefore, failuresAfter) = withState { state in
            let before = state.stats.failures
            let result = state.completeLoad(
                key, generation: generation, loaded: loaded, countsAsFailure: !vanished,
                now: now, jobs: &jobs, removals: &removals)
            return (result, before, state.stats.failures)
        }
        if let failure {
            logFailure(
                "load of \(key.hex) failed: \(failure)", from: failuresBefore, to: failuresAfter)
        }
        finish(jobs: jobs, removals: removals)
        switch result {
        case .some(true):
            if persistence != nil {
                let name = SpillDirectory.fileName(for: key, generation: generation)
                enqueue([
                    .change(.touch(key: key, fileName: name, at: .sinceUnixEpoch), deleting: nil)
                ])
            }
            return .found(loaded!, from: .disk)
        // A vanished file: the directory may hold the key under a newer file.
        case .some(false): return vanished ? .retry : .missing(.corrupt)
        case .none: return .retry
        }
    }

    /// Stores a value under `key` and carries out the spills it causes.
    func storeAny(
        _ value: any Spillable, forKey key: CacheKey, function: StoredFunction = .none
    ) {
        let charge = value.memoryCost + Self.entryOverhead
        let now = self.now
        let (jobs, removals) = withState {
            $0.store(value, charge: charge, forKey: key, function: function, now: now)
        }
        finish(jobs: jobs, removals: removals)
    }

    /// The value of `type` stored under `key`, or `nil` (a counted miss), and which of
    /// the two it was.
    func valueAny(
        forKey key: CacheKey, type: any Spillable.Type, function: StoredFunction? = nil
    ) -> (value: (any Spillable)?, outcome: CallOutcome) {
        var reason = MissReason.newKey
        for _ in 0..<Self.lookupAttempts {
            switch lookup(key, type: type, function: function, startingFlight: false) {
            case .found(let value, let source):
                return (value, .hit(from: source))
            case .missing(let found):
                reason = found
                withState { $0.recordMiss() }
                return (nil, .miss(reason))
            case .retry, .join, .lead:
                continue
            }
        }
        withState { $0.recordMiss() }
        return (nil, .miss(reason))
    }

    /// Writes spill jobs, reports them, enforces the disk budget and removes garbage. A
    /// persistent cache queues all of it, behind the caller's back, unless `now`.
    func finish(jobs: [CacheState.SpillJob], removals: [UInt64: CacheKey], now: Bool = false) {
        if persistence != nil {
            let operations = removalOperations(removals) + jobs.map { .write($0) }
            if now { perform(operations) } else { enqueue(operations) }
            return
        }
        if !removals.isEmpty { removeFiles(removals) }
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

    /// Writes one spill file under a temporary name and renames it into place. On any
    /// error the temporary file is removed and the error rethrown.
    func write(_ job: CacheState.SpillJob) throws -> Int {
        let contents = try SpillFileFormat.encodeAny(
            job.value, key: job.key, function: job.function)
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
    func logFailure(_ message: String, from before: Int, to after: Int) {
        guard after > before else { return }
        var power = 1
        while power <= before { power <<= 1 }
        guard power <= after else { return }
        logger.warning(
            "\(message)",
            metadata: ["failures": "\(after)", "directory": "\(directory)"])
    }
}
