/// Refreshes (see ``Freshness``): which caller starts the one refresh of a key, and when a
/// failed one may be tried again. Like the rest of the state, no I/O: the cache runs the
/// refresh after the lock is released.
extension CacheState {
    /// How a refresh of a key may go on.
    enum RefreshStart {
        /// Nothing to do: a background refresh is not due (one runs, a computation of the
        /// key runs, the last one failed too recently, or the key is gone).
        case skip
        /// A computation of the key runs: wait for it (an explicit refresh).
        case join(Flight)
        /// This caller refreshes the key, under `flight`, which callers that miss the key
        /// meanwhile join.
        case lead(Flight)
    }

    /// Starts a refresh of `key`. A `background` refresh (a stale hit's) starts only if the
    /// key is held, no refresh or computation of it runs, and its last failure is at least
    /// the retry delay ago; an explicit one always leads, unless a computation runs, which
    /// it joins. The entry's mark tells hits from memory that a refresh runs.
    mutating func beginRefresh(_ key: CacheKey, now: Duration, background: Bool) -> RefreshStart {
        if let flight = flights[key] { return background ? .skip : .join(flight) }
        let slot = slot(of: key)
        if background {
            guard let slot else { return .skip }
            switch table.refreshMark(of: key, at: nodes[slot].position) {
            case .running: return .skip
            case .failed:
                if let retry = refreshRetries[key], now < retry { return .skip }
            case .idle: break
            }
        }
        if let slot { table.setRefreshMark(.running, of: key, at: nodes[slot].position) }
        refreshRetries[key] = nil
        let flight = Flight()
        flights[key] = flight
        return .lead(flight)
    }

    /// A refresh of `key` failed: the entry it left (if any) may be refreshed again from
    /// `retryAt`.
    mutating func refreshFailed(_ key: CacheKey, retryAt: Duration) {
        guard let slot = slot(of: key) else { return }
        table.setRefreshMark(.failed, of: key, at: nodes[slot].position)
        refreshRetries[key] = retryAt
    }

    /// Ends a refresh of `key` that replaced nothing (another process's value was taken,
    /// or the key was gone): a later stale hit may start the next.
    mutating func refreshEnded(_ key: CacheKey) {
        guard let slot = slot(of: key),
            table.refreshMark(of: key, at: nodes[slot].position) == .running
        else { return }
        table.setRefreshMark(.idle, of: key, at: nodes[slot].position)
    }

    /// The file of `key`'s entry if it is only on disk, of type `valueType` and stored
    /// after `usableAfter` (nanoseconds): for a look that counts and changes nothing.
    func spilledEntry(
        _ key: CacheKey, valueType: ObjectIdentifier, usableAfter: Int64
    ) -> (generation: UInt64, function: StoredFunction)? {
        guard let slot = slot(of: key), nodes[slot].tier == .disk,
            nodes[slot].valueType == valueType, storedAt(slot) > usableAfter
        else { return nil }
        return (nodes[slot].generation, functions[Int(nodes[slot].function)])
    }
}
