/// A cache's use of its shared tier (``CacheConfiguration/sharedTier``): asked after
/// memory and the local directory, before computing; every value fetched is checked as a
/// spill file is, and kept locally as if computed.
extension SpillingCache {
    /// What asking the shared tier found.
    enum SharedLookup {
        /// A verified value of the caller's type (not yet stored locally), and its age.
        case found(any Spillable, age: Duration)
        /// Nothing usable; why, when the tier held something it had to refuse.
        case absent(MissReason?)
    }

    /// Asks the shared tier for `key`, blocking at most its timeout. With `locking` (a
    /// flight's leader), when the tier has no value it also takes the fleet-wide lock on
    /// computing it, waiting at most the timeout, and looks a second time once granted
    /// (the holder may just have published it); the lock comes back with an absent value
    /// only, for the leader to release after it computed and published.
    ///
    /// The async path calls it on the cache's own threads, never on the cooperative pool.
    /// A value older than `usableFor` (the caller's ``Freshness``) is absent (`expired`).
    func lookupShared(
        _ key: CacheKey, type: any Spillable.Type, function: StoredFunction?, locking: Bool,
        usableFor: Duration? = nil
    ) -> (SharedLookup, (any SharedTierLock)?) {
        guard let shared else { return (.absent(nil), nil) }
        let first = verify(
            shared.fetch(key), key: key, type: type, function: function, usableFor: usableFor)
        guard locking, case .absent = first, let lock = grantedLock(shared.lock(key)) else {
            return (first, nil)
        }
        let second = verify(
            shared.fetch(key), key: key, type: type, function: function, usableFor: usableFor)
        if case .found = second {
            shared.release(lock)
            return (second, nil)
        }
        return (second, lock)
    }

    /// The lock a tier's answer grants, if it grants one; a failure or a refusal is counted.
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

    /// Checks what the tier returned: the key, the function and version, the type and the
    /// checksum of the spill-file encoding. Anything else is a miss, never a wrong value.
    private func verify(
        _ answer: SharedTierClient.Answer<SharedTierEntry?>, key: CacheKey,
        type: any Spillable.Type, function: StoredFunction?, usableFor: Duration?
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
        case .value(let entry?):
            if let usableFor, entry.age >= usableFor { return .absent(.expired) }
            if let timeToLive = configuration.timeToLive, entry.age >= timeToLive {
                return .absent(.expired)
            }
            do {
                var stream = SpillFileStream(bytes: entry.payload)
                return .found(
                    try SpillFileFormat.decodeAny(
                        from: &stream, key: key, type: type, function: function),
                    age: entry.age)
            } catch SpillFileError.typeMismatch {
                return .absent(.otherType)
            } catch {
                recordFailure("the shared tier's value of \(key.hex) is unusable: \(error)")
                return .absent(.corrupt)
            }
        }
    }
}
