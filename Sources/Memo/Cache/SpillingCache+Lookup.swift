import Dispatch
import Synchronization
import SystemPackage

/// The lookup: one walk through the tiers, in the one order of the cache — memory, the
/// cache's own spill files, the persistent directory, the shared tier.
///
/// This core is not generic: values travel as `any Spillable` with the expected type's
/// identity, so a call from unspecialized code (a memoized wrapper over a parameter pack)
/// resolves no generic metadata on the way. The typed API in `SpillingCache.swift` and
/// `SpillingCache+Compute.swift` is a thin shell over it.
extension SpillingCache {
    /// What a lookup came to, after any disk load.
    enum LookupOutcome: Sendable {
        case found(any Spillable, from: HitSource)
        case missing(MissReason)
        /// Entries changed under the lookup: look again.
        case retry
        case join(Flight)
        case lead(Flight, MissReason)
    }

    /// What the tiers behind memory (the persistent directory, then the shared tier) hold
    /// of a key.
    enum BehindMemory: Sendable {
        /// A usable value, already taken into this cache (counted as a hit of `source`).
        case found(any Spillable, from: HitSource)
        /// Nothing usable: why, when a tier had to refuse what it held; and the shared
        /// tier's lock on computing the key, when a leader asked for it and got it.
        case absent(MissReason?, sharedLock: (any SharedTierLock)?)
    }

    /// The current time on the cache's clock: when values are stored, and what their age
    /// is measured against. The hit path reads it only when ages matter
    /// (``tracksTime``, or a caller with a ``Freshness``).
    var now: Duration { clock.now }

    /// The oldest `storedAt` (nanoseconds) a hit from memory may not have: `timeToLive`
    /// ago, and `Int64.min` when nothing expires (then the clock is not read).
    @inline(__always)
    var usableAfter: Int64 {
        guard tracksTime, let timeToLive = configuration.timeToLive else { return .min }
        return (clock.now - timeToLive).nanoseconds
    }

    /// The oldest `storedAt` (nanoseconds) a hit at `now` may not have, for a caller whose
    /// own limit on ages is `usableFor`, and the cache's `timeToLive`.
    func usableAfter(now: Duration, usableFor: Duration?) -> Int64 {
        var limit = Int64.min
        if let timeToLive = configuration.timeToLive { limit = (now - timeToLive).nanoseconds }
        if let usableFor { limit = max(limit, (now - usableFor).nanoseconds) }
        return limit
    }

    /// The hit path: if the value of `key` is in memory, as `type`, hands it to `read`
    /// (in place, under the lock of this thread's stripe of the entry table, without the
    /// state's lock), counts the hit, buffers its touch and returns the calling thread's
    /// stripe number (for counts striped like the entry table). `nil` sends the caller to
    /// ``lookup(_:type:function:startingFlight:)``.
    @inline(__always)
    func memoryHit(
        _ key: CacheKey, type: any Spillable.Type, _ read: (UnsafePointer<any Spillable>) -> Void
    ) -> Int? {
        let (found, full, stripe, _) = table.hit(
            key, valueType: ObjectIdentifier(type), usableAfter: usableAfter, read)
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

    /// Looks `key` up for a value of `type`: memory, then (outside the lock) the spill
    /// file of an entry that left memory, then the tiers behind memory. With
    /// `startingFlight`, a key in no tier of this cache's memory joins or leads its flight
    /// instead, and the leader looks behind memory itself, under its locks.
    ///
    /// `usableFor` is the caller's own limit on a value's age (its ``Freshness``): an older
    /// value is a miss for this caller, in every tier, and stays where it is.
    func lookup(
        _ key: CacheKey, type: any Spillable.Type, function: StoredFunction? = nil,
        startingFlight: Bool, usableFor: Duration? = nil
    ) -> LookupOutcome {
        if usableFor == nil, let value = memoryHit(key, type: type) {
            return .found(value, from: .memory)
        }
        let (step, removals) = decide(
            key, type: type, startingFlight: startingFlight, usableFor: usableFor)
        return resolve(
            step, removals: removals, key: key, type: type, function: function,
            usableFor: usableFor)
    }

    /// The async form: what needs the disk, SQLite or the shared tier runs on the cache's
    /// own threads (``onCacheThread(_:)``); a hit from memory and a flight to join or lead
    /// are answered on the caller's.
    func lookup(
        _ key: CacheKey, type: any Spillable.Type, function: StoredFunction? = nil,
        startingFlight: Bool, usableFor: Duration? = nil
    ) async -> LookupOutcome {
        if usableFor == nil, let value = memoryHit(key, type: type) {
            return .found(value, from: .memory)
        }
        let (step, removals) = decide(
            key, type: type, startingFlight: startingFlight, usableFor: usableFor)
        return await onCacheThread(if: needsIO(step, removals: removals)) {
            resolve(
                step, removals: removals, key: key, type: type, function: function,
                usableFor: usableFor)
        }
    }

    /// The state's decision about `key`, in one critical section.
    private func decide(
        _ key: CacheKey, type: any Spillable.Type, startingFlight: Bool, usableFor: Duration?
    ) -> (CacheState.Lookup, [UInt64: CacheKey]) {
        var removals: [UInt64: CacheKey] = [:]
        let now = self.now
        let step = withState {
            $0.lookup(
                key, valueType: ObjectIdentifier(type), now: now, startingFlight: startingFlight,
                usableFor: usableFor, removals: &removals)
        }
        return (step, removals)
    }

    /// Whether carrying out `step` touches the disk, SQLite or the shared tier.
    private func needsIO(_ step: CacheState.Lookup, removals: [UInt64: CacheKey]) -> Bool {
        if !removals.isEmpty, persistence == nil { return true }
        switch step {
        case .load: return true
        case .miss: return persistence != nil || shared != nil
        case .hit, .join, .lead: return false
        }
    }

    /// Carries out the state's decision: removes what it gave up, loads a spilled entry,
    /// looks behind memory on a miss.
    private func resolve(
        _ step: CacheState.Lookup, removals: [UInt64: CacheKey], key: CacheKey,
        type: any Spillable.Type, function: StoredFunction?, usableFor: Duration?
    ) -> LookupOutcome {
        if !removals.isEmpty { finish(jobs: [], removals: removals) }
        switch step {
        case .hit(let value, _): return .found(value, from: .memory)
        case .miss(let reason):
            switch behindMemory(
                key, type: type, function: function, leading: false, usableFor: usableFor)
            {
            case .found(let value, let source): return .found(value, from: source)
            case .absent(let found, _): return .missing(found ?? reason)
            }
        case .join(let flight): return .join(flight)
        case .lead(let flight, let reason): return .lead(flight, reason)
        case .load(let generation, let recorded):
            return load(key, generation: generation, type: type, function: recorded)
        }
    }

    /// The tiers behind memory, in order: the persistent directory, then the shared tier.
    /// A value found is taken into this cache: from the directory with its file, from the
    /// tier stored as if computed here (and written to the directory). A `leading` caller
    /// holds the key's directory lock already, and takes the tier's lock when the tier has
    /// nothing.
    ///
    /// A value older than `usableFor` is absent for this caller. With `replacing` (a
    /// refresh), a value found replaces what this cache holds of the key.
    func behindMemory(
        _ key: CacheKey, type: any Spillable.Type, function: StoredFunction?, leading: Bool,
        usableFor: Duration? = nil, replacing: Bool = false
    ) -> BehindMemory {
        var reason: MissReason?
        if persistence != nil {
            switch lookupDirectory(
                key, type: type, function: function, usableFor: usableFor, replacing: replacing)
            {
            case .found(let value): return .found(value, from: .disk)
            case .absent(let found): reason = found
            }
        }
        guard shared != nil else { return .absent(reason, sharedLock: nil) }
        switch lookupShared(
            key, type: type, function: function, locking: leading, usableFor: usableFor)
        {
        case (.found(let value, let age), _):
            storeAny(
                value, forKey: key, function: function ?? .none, from: .sharedTier,
                storedAt: now - age)
            return .found(value, from: .shared)
        case (.absent(let found), let lock):
            return .absent(found ?? reason, sharedLock: lock)
        }
    }

    /// Reads the spill file of an entry that left memory, and tells the state.
    private func load(
        _ key: CacheKey, generation: UInt64, type: any Spillable.Type, function: StoredFunction
    ) -> LookupOutcome {
        let path = self.path(for: key, generation: generation)
        var loaded: (any Spillable)?
        var failure: String?
        // In a shared directory another process may have evicted the file: not a fault.
        var vanished = false
        do {
            loaded = try readSpillFile(atPath: path, key: key, type: type, function: function)
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

    /// Runs `body` on one of the cache's own threads and suspends until it returns: how
    /// the async path does blocking work (disk, SQLite, the shared tier's blocking calls)
    /// without holding one of Swift's cooperative threads.
    func onCacheThread<Result: Sendable>(_ body: () -> Result) async -> Result {
        await withoutActuallyEscaping(body) { body in
            let borrowed = CallerSuspended(body)
            return await withCheckedContinuation { continuation in
                Self.nextCacheThread().async {
                    let result = borrowed.run()
                    continuation.resume(returning: result)
                }
            }
        }
    }

    /// ``onCacheThread(_:)`` when `needed`; otherwise `body` runs here, without a hop.
    func onCacheThread<Result: Sendable>(
        if needed: Bool, _ body: () -> Result
    ) async -> Result {
        needed ? await onCacheThread(body) : body()
    }

    /// One of the cache's threads, in turn: serial queues, because Dispatch gives each
    /// its own thread when it has work, whereas the blocked work items of a concurrent
    /// queue would hold the threads that, on Linux, Swift's cooperative pool runs on too.
    /// Sixteen of them, shared by every cache: at most that many calls block on the disk
    /// or the tier at once, and more wait their turn without holding a thread.
    private static func nextCacheThread() -> DispatchQueue {
        cacheThreads[Int(cacheThreadTurn.add(1, ordering: .relaxed).oldValue % 16)]
    }

    private static let cacheThreads = (0..<16).map { DispatchQueue(label: "memo.cache-io.\($0)") }
    private static let cacheThreadTurn = Atomic<UInt>(0)
}

/// A closure of a caller that is suspended until the closure has run, carried to the
/// thread that runs it.
///
/// `@unchecked Sendable` because the closure need not be: it is called exactly once, on one
/// thread, while its caller is suspended in ``SpillingCache/onCacheThread(_:)`` (awaiting
/// the continuation resumed after the call), so nothing it captures is used by two threads
/// at once, and `body` is set only before the thread is given the box and cleared by
/// ``run()`` before the caller resumes, so the closure never outlives the caller's frame
/// (which `withoutActuallyEscaping` checks).
private final class CallerSuspended<Result>: @unchecked Sendable {
    private var body: (() -> Result)?
    init(_ body: @escaping () -> Result) { self.body = body }

    /// Calls the closure and lets go of it.
    func run() -> Result {
        let result = body!()
        body = nil
        return result
    }
}
