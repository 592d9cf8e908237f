/// A cache's use of its shared tier (``CacheConfiguration/sharedTier``): asked after
/// memory and the local directory, before computing; every value fetched is checked as a
/// spill file is, and kept locally as if computed.
extension SpillingCache {
    /// What asking the shared tier found.
    enum SharedLookup {
        /// A verified value of the caller's type (not yet stored locally).
        case found(any Spillable)
        /// Nothing usable; why, when the tier held something it had to refuse.
        case absent(MissReason?)
    }

    /// Asks the shared tier for `key`, blocking at most its timeout.
    func lookupShared(
        _ key: CacheKey, type: any Spillable.Type, function: StoredFunction?
    ) -> SharedLookup {
        guard let shared else { return .absent(nil) }
        return verify(shared.fetch(key), key: key, type: type, function: function)
    }

    /// The async form of ``lookupShared(_:type:function:)``.
    func lookupShared(
        _ key: CacheKey, type: any Spillable.Type, function: StoredFunction?
    ) async -> SharedLookup {
        guard let shared else { return .absent(nil) }
        return verify(await shared.fetch(key), key: key, type: type, function: function)
    }

    /// A flight leader's turn at the shared tier: the value if another machine stored it;
    /// otherwise the fleet-wide lock on computing it, waited for at most the timeout, and a
    /// second look once granted (the holder may just have published it).
    func leadFromShared(
        _ key: CacheKey, type: any Spillable.Type, function: StoredFunction
    ) -> (SharedLookup, (any SharedTierLock)?) {
        guard let shared else { return (.absent(nil), nil) }
        let first = lookupShared(key, type: type, function: function)
        guard case .absent = first else { return (first, nil) }
        guard let lock = grantedLock(shared.lock(key)) else { return (first, nil) }
        let second = lookupShared(key, type: type, function: function)
        if case .found = second {
            shared.release(lock)
            return (second, nil)
        }
        return (second, lock)
    }

    /// The lock a tier's answer grants, if it grants one; a failure or a refusal is counted.
    /// Both forms of ``leadFromShared(_:type:function:)`` read the answer this way.
    private func grantedLock(
        _ answer: SharedTierClient.Answer<(any SharedTierLock)?>
    ) -> (any SharedTierLock)? {
        switch answer {
        case .value(let granted): return granted
        case .failed(let message), .rejected(let message):
            recordFailure(message)
            return nil
        case .skipped: return nil
        }
    }

    /// The async form of ``leadFromShared(_:type:function:)``.
    func leadFromShared(
        _ key: CacheKey, type: any Spillable.Type, function: StoredFunction
    ) async -> (SharedLookup, (any SharedTierLock)?) {
        guard let shared else { return (.absent(nil), nil) }
        let first = await lookupShared(key, type: type, function: function)
        guard case .absent = first else { return (first, nil) }
        guard let lock = grantedLock(await shared.lock(key)) else { return (first, nil) }
        let second = await lookupShared(key, type: type, function: function)
        if case .found = second {
            shared.release(lock)
            return (second, nil)
        }
        return (second, lock)
    }

    /// Checks what the tier returned: the key, the function and version, the type and the
    /// checksum of the spill-file encoding. Anything else is a miss, never a wrong value.
    private func verify(
        _ answer: SharedTierClient.Answer<[UInt8]?>, key: CacheKey, type: any Spillable.Type,
        function: StoredFunction?
    ) -> SharedLookup {
        switch answer {
        case .skipped, .value(nil):
            return .absent(nil)
        case .failed(let message):
            recordFailure(message)
            return .absent(nil)
        case .rejected(let message):
            // A value the tier's own checks refused is a corrupt one.
            recordFailure(message)
            return .absent(.corrupt)
        case .value(let bytes?):
            do {
                var stream = SpillFileStream(bytes: bytes)
                return .found(
                    try SpillFileFormat.decodeAny(
                        from: &stream, key: key, type: type, function: function))
            } catch SpillFileError.typeMismatch {
                return .absent(.otherType)
            } catch {
                recordFailure("the shared tier's value of \(key.hex) is unusable: \(error)")
                return .absent(.corrupt)
            }
        }
    }

    /// Keeps a value fetched from the tier as if it had been computed here (memory, and a
    /// persistent directory), without publishing it back; counts a hit from the tier.
    func storeLocally(_ value: any Spillable, forKey key: CacheKey, function: StoredFunction) {
        let charge = value.memoryCost + Self.entryOverhead
        let now = self.now
        let (jobs, removals) = withState { state in
            state.recordSharedHit()
            return state.store(value, charge: charge, forKey: key, function: function, now: now)
        }
        finish(jobs: jobs, removals: removals)
    }
}
