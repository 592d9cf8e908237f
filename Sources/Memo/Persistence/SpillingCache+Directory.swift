import Logging
import SystemPackage

/// A persistent cache's directory: opening it, finding values other runs and other
/// processes stored, and the directory-wide locks on computing a key.
extension SpillingCache {
    /// Opens a persistent directory's index, removes what dead processes left, and returns
    /// the state and persistence of a cache over it.
    static func openPersistentDirectory(
        _ directory: String, configuration: CacheConfiguration, table: EntryTable,
        reportsMetrics: Bool
    ) throws -> (CacheState, Persistence) {
        let (fileSystem, logger) = (configuration.fileSystem, configuration.logger)
        let index =
            configuration.index
            ?? SQLiteSpillIndex(
                path: "\(directory)/\(SQLiteSpillIndex.fileName)",
                readOnly: !PersistentDirectory.isWritable(directory))
        let totals = try index.open()
        let leftovers = PersistentDirectory.removeLeftovers(
            in: directory, fileSystem: fileSystem, index: index)
        if leftovers > 0 {
            logger.debug(
                "removed files left by processes that died",
                metadata: ["directory": "\(directory)", "files": "\(leftovers)"])
        }
        var state = CacheState(
            maxMemory: configuration.maxMemory.bytes, maxDisk: nil,
            timeToLive: configuration.timeToLive, writesEveryValue: true,
            firstGeneration: PersistentDirectory.firstGeneration(), table: table)
        state.reportsMetrics = reportsMetrics
        state.leaderCountsMiss = true
        state.directoryTotals = totals
        logger.debug(
            "opened persistent cache directory",
            metadata: [
                "directory": "\(directory)", "entries": "\(totals.entries)",
                "bytes": "\(totals.bytes)",
            ])
        let persistence = Persistence(
            index: index, queue: WriteBehindQueue(), maxDisk: configuration.maxDisk?.bytes)
        return (state, persistence)
    }

    /// What a look in the directory found.
    enum DirectoryLookup {
        /// A usable value, taken into this cache.
        case found(any Spillable)
        /// Nothing usable; why, when the directory knows (an entry it had to refuse).
        case absent(MissReason?)
    }

    /// A value of `type` under `key` that this cache does not hold, from the directory's
    /// index and its spill file, taken into this cache (a hit from disk, counted), or why
    /// there is none usable (the miss is the caller's to count). An entry older than
    /// `usableFor` (the caller's ``Freshness``) is absent (`expired`) for this caller and
    /// stays. With `replacing`, the value replaces what this cache holds of the key (a
    /// refresh adopting another process's newer value).
    func lookupDirectory(
        _ key: CacheKey, type: any Spillable.Type, function: StoredFunction?,
        usableFor: Duration? = nil, replacing: Bool = false
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
        if let usableFor, age >= usableFor { return .absent(.expired) }
        // Stored as another type: not this caller's value, and the entry stays.
        guard entry.valueType == SpillFileFormat.typeFingerprint(of: type) else {
            return .absent(.otherType)
        }

        let read = readFile(of: entry, key: key, type: type, function: function)
        guard case .found(let value) = read else { return read }
        let charge = value.memoryCost + Self.entryOverhead
        let now = self.now
        var jobs: [CacheState.SpillJob] = []
        var removals: [UInt64: CacheKey] = [:]
        withState { state in
            state.adopt(
                value, charge: charge, forKey: key, generation: generation,
                fileBytes: entry.size,
                function: StoredFunction(name: entry.function, version: entry.version),
                storedAt: now - age, now: now, cost: entry.cost, uses: entry.uses + 1,
                replacing: replacing, jobs: &jobs, removals: &removals)
        }
        finish(jobs: jobs, removals: removals)
        enqueue([.change(.touch(key: key, fileName: entry.fileName, at: wallNow), deleting: nil)])
        return .found(value)
    }

    /// The value in `entry`'s spill file (`.found`, not yet taken into this cache), or why
    /// there is none: the file vanished (another process evicted or replaced it) or cannot
    /// be verified; either way the entry is removed.
    private func readFile(
        of entry: SpillIndexEntry, key: CacheKey, type: any Spillable.Type, function: StoredFunction?
    ) -> DirectoryLookup {
        do {
            let value = try readSpillFile(
                atPath: "\(directory)/\(entry.fileName)", key: key, type: type,
                function: function)
            return .found(value)
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

    /// Takes the key's directory-wide lock, blocking until another process's computation
    /// ends (or its process dies). `false` without a persistent directory, or when the
    /// lock cannot be had (then this caller computes, at worst twice across processes).
    func lockDirectory(_ key: CacheKey) -> Bool {
        guard let locks = persistence?.locks else { return false }
        do {
            return try locks.lock(key, wait: true)
        } catch {
            recordFailure("lock of \(key.hex) failed: \(error)")
            return false
        }
    }

    /// ``lockDirectory(_:)`` for async callers: tries, and sleeps between tries (1 ms,
    /// doubling to 50 ms). A cancelled task stops waiting and computes.
    func lockDirectoryPolling(_ key: CacheKey) async -> Bool {
        guard let locks = persistence?.locks else { return false }
        var pause = Duration.milliseconds(1)
        while true {
            do {
                if try locks.lock(key, wait: false) { return true }
            } catch {
                recordFailure("lock of \(key.hex) failed: \(error)")
                return false
            }
            do {
                try await Task.sleep(for: pause)
            } catch {
                return false
            }
            pause = min(pause * 2, .milliseconds(50))
        }
    }

    /// The index entry recording `job`'s file. Its stored time is when the value was
    /// stored (the job's time on the cache's clock, `now` there), not when it was written:
    /// a process reading the index measures the value's true age.
    func indexEntry(
        for job: CacheState.SpillJob, size: Int, at wallNow: Duration, now: Duration
    ) -> SpillIndexEntry {
        let age = max(.zero, now - job.storedAt)
        return SpillIndexEntry(
            key: job.key, function: job.function.name, version: job.function.version,
            valueType: SpillFileFormat.typeFingerprint(of: ExistentialValue.heldType(of: job.value)),
            fileName: job.fileName, size: size, storedAt: wallNow - age, lastUsedAt: wallNow,
            cost: job.cost, uses: job.uses)
    }
}
