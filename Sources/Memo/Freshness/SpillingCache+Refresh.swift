import Synchronization

/// What a ``Freshness`` needs of the cache: hits that know a value's age, refreshes under
/// the same single flight as a miss, looks that count nothing, and removal from every tier.
extension SpillingCache {
    /// What a refresh came to.
    enum RefreshOutcome: Sendable {
        /// Not started: none was due (see ``CacheState/beginRefresh(_:now:background:)``).
        case skipped
        /// Computed here, stored and published.
        case refreshed(any Spillable)
        /// Another caller's computation, or a newer value another process stored, taken.
        case taken(any Spillable)
        /// The computation threw; the old value stays.
        case failed(any Error)
    }

    /// ``memoryHit(_:type:_:)`` for a caller whose results age (`window`), at `now`: also
    /// says whether the value is stale, and whether a refresh of it may be due.
    @inline(__always)
    func memoryHit(
        _ key: CacheKey, type: any Spillable.Type, window: FreshnessWindow, now: Duration,
        _ read: (UnsafePointer<any Spillable>) -> Void
    ) -> (stripe: Int, staleness: EntryTable.Staleness)? {
        let (found, full, stripe, staleness) = table.hit(
            key, valueType: ObjectIdentifier(type),
            usableAfter: usableAfter(now: now, usableFor: window.usableFor),
            freshAfter: window.freshFor.map { (now - $0).nanoseconds } ?? .min, read)
        if full {
            state.withTrackedLock { state in
                table.drainCurrentStripe { state.applyTouches($0) }
            }
        }
        return found ? (stripe, staleness) : nil
    }

    /// How old the value held under `key` is, for `window`: what a hit that did not come
    /// from memory learns after the fact.
    func staleness(ofKey key: CacheKey, window: FreshnessWindow) -> EntryTable.Staleness {
        guard let freshFor = window.freshFor, let (storedAt, mark) = table.age(of: key),
            storedAt <= (now - freshFor).nanoseconds
        else { return .fresh }
        return mark == .running ? .stale : .staleRefreshDue
    }

    // MARK: Refreshing

    /// Starts a refresh of `key` (see ``CacheState/beginRefresh(_:now:background:)``).
    func beginRefresh(_ key: CacheKey, background: Bool) -> CacheState.RefreshStart {
        let now = self.now
        return withState { $0.beginRefresh(key, now: now, background: background) }
    }

    /// Refreshes `key` under `flight` (from ``beginRefresh(_:background:)``): takes the
    /// key's directory lock, then, for a `background` refresh, takes a value younger than
    /// `window`'s `after` that another process stored meanwhile; otherwise runs `compute`,
    /// stores and publishes its value. A failure keeps the old value and holds the next
    /// background refresh back for the window's retry delay.
    func refresh(
        _ key: CacheKey, type: any Spillable.Type, function: StoredFunction,
        window: FreshnessWindow, flight: Flight, background: Bool,
        compute: () throws -> any Spillable
    ) -> RefreshOutcome {
        let start = beginRefreshLead(
            key, type: type, function: function, window: window, flight: flight,
            holdsDirectoryLock: lockDirectory(key), background: background)
        guard case .compute(let lead) = start else { return taken(start) }
        let result = Result { try compute() }
        completeRefresh(lead, with: result, window: window)
        return refreshOutcome(result)
    }

    /// The async form of ``refresh(_:type:function:window:flight:background:compute:)``:
    /// the disk, SQLite and the shared tier are used on the cache's own threads.
    func refresh(
        _ key: CacheKey, type: any Spillable.Type, function: StoredFunction,
        window: FreshnessWindow, flight: Flight, background: Bool,
        compute: () async throws -> any Spillable
    ) async -> RefreshOutcome {
        let locked = await lockDirectoryPolling(key)
        let start = await onCacheThread(if: persistence != nil || shared != nil) {
            beginRefreshLead(
                key, type: type, function: function, window: window, flight: flight,
                holdsDirectoryLock: locked, background: background)
        }
        guard case .compute(let lead) = start else { return taken(start) }
        let result: Result<any Spillable, any Error>
        do { result = .success(try await compute()) } catch { result = .failure(error) }
        await onCacheThread { completeRefresh(lead, with: result, window: window) }
        return refreshOutcome(result)
    }

    /// A refreshing leader's look behind memory: only a background refresh looks, and
    /// only for a value younger than `after` (another process's refresh).
    private func beginRefreshLead(
        _ key: CacheKey, type: any Spillable.Type, function: StoredFunction,
        window: FreshnessWindow, flight: Flight, holdsDirectoryLock: Bool, background: Bool
    ) -> LeadStart {
        var sharedLock: (any SharedTierLock)?
        if background, persistence != nil || shared != nil {
            switch behindMemory(
                key, type: type, function: function, leading: true, usableFor: window.freshFor,
                replacing: true)
            {
            case .found(let value, let source):
                endFlight(key, flight, with: .success(value))
                withState { $0.refreshEnded(key) }
                if holdsDirectoryLock { persistence?.locks?.unlock(key) }
                return .found(value, from: source)
            case .absent(_, let lock):
                sharedLock = lock
            }
        }
        return .compute(
            Lead(
                key: key, function: function, flight: flight, reason: .expired,
                holdsDirectoryLock: holdsDirectoryLock, sharedLock: sharedLock, startedAt: now))
    }

    /// Stores a refresh's value (or ends its flight with its error, and holds the next
    /// background refresh back).
    private func completeRefresh(
        _ lead: Lead, with result: Result<any Spillable, any Error>, window: FreshnessWindow
    ) {
        completeLead(lead, with: result)
        guard case .failure = result else { return }
        let retryAt = now + window.retryDelay
        withState { $0.refreshFailed(lead.key, retryAt: retryAt) }
    }

    private func taken(_ start: LeadStart) -> RefreshOutcome {
        guard case .found(let value, _) = start else {
            preconditionFailure("a refresh's start to compute has no value")
        }
        return .taken(value)
    }

    private func refreshOutcome(_ result: Result<any Spillable, any Error>) -> RefreshOutcome {
        switch result {
        case .success(let value): return .refreshed(value)
        case .failure(let error): return .failed(error)
        }
    }

    // MARK: Looking without counting, removing everywhere

    /// The value of `type` under `key` younger than `usableFor` (and the cache's
    /// `timeToLive`), from memory, this cache's spill files, the persistent directory or
    /// the shared tier (within its timeout). Counts no hit or miss, touches nothing, takes
    /// nothing into memory.
    func peekAny(
        _ key: CacheKey, type: any Spillable.Type, function: StoredFunction,
        usableFor: Duration?
    ) -> (any Spillable)? {
        let now = self.now
        let valueType = ObjectIdentifier(type)
        let limit = usableAfter(now: now, usableFor: usableFor)
        if let (value, _) = table.peek(key, valueType: valueType, usableAfter: limit) {
            return value
        }
        let spilled = withState { $0.spilledEntry(key, valueType: valueType, usableAfter: limit) }
        if let spilled,
            let value = try? readSpillFile(
                atPath: path(for: key, generation: spilled.generation), key: key, type: type,
                function: spilled.function)
        {
            return value
        }
        if let value = peekDirectory(key, type: type, function: function, usableFor: usableFor) {
            return value
        }
        guard shared != nil,
            case (.found(let value, _), _) = lookupShared(
                key, type: type, function: function, locking: false, usableFor: usableFor)
        else { return nil }
        return value
    }

    /// The directory's value of `key`, younger than `usableFor` and `timeToLive`, read
    /// without taking it into the cache.
    private func peekDirectory(
        _ key: CacheKey, type: any Spillable.Type, function: StoredFunction,
        usableFor: Duration?
    ) -> (any Spillable)? {
        guard let persistence, let entry = try? persistence.index.entry(forKey: key),
            PersistentDirectory.isFileName(entry.fileName, of: key),
            entry.valueType == SpillFileFormat.typeFingerprint(of: type)
        else { return nil }
        let age = max(.zero, Duration.sinceUnixEpoch - entry.storedAt)
        if let usableFor, age >= usableFor { return nil }
        if let timeToLive = configuration.timeToLive, age >= timeToLive { return nil }
        return try? readSpillFile(
            atPath: "\(directory)/\(entry.fileName)", key: key, type: type, function: function)
    }

    /// Removes `key`'s value from memory, this cache's files, the persistent directory
    /// and the shared tier (within its timeout). `true` if any of them held one.
    func invalidate(_ key: CacheKey) -> Bool {
        var removed = removeValue(forKey: key)
        if let shared {
            switch shared.remove(key) {
            case .value(let found): removed = removed || found
            case .failed(let message), .rejected(let message): recordFailure(message)
            case .skipped: break
            }
        }
        return removed
    }
}
