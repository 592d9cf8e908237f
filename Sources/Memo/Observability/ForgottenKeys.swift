/// The keys a cache dropped most recently, and why: a later miss on one of them is told
/// apart from a miss on a key never stored.
///
/// Bounded: the oldest is forgotten first once `capacity` keys are remembered, so the
/// memory it takes is fixed (about 40 bytes a key).
struct ForgottenKeys {
    let capacity: Int
    private var reasons: [CacheKey: MissReason] = [:]
    /// The remembered keys, oldest first from `start`, as a ring.
    private var order: [CacheKey] = []
    private var start = 0

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// Remembers that `key` was dropped for `reason`.
    mutating func remember(_ key: CacheKey, _ reason: MissReason) {
        guard capacity > 0 else { return }
        if reasons.updateValue(reason, forKey: key) != nil { return }
        if order.count < capacity {
            order.append(key)
        } else {
            // Full: the oldest goes (unless it was stored again since, and already removed).
            let oldest = order[start]
            if reasons[oldest] != nil, oldest != key { reasons[oldest] = nil }
            order[start] = key
            start = (start + 1) % capacity
        }
    }

    /// Why `key` was dropped, if it is remembered.
    func reason(for key: CacheKey) -> MissReason? {
        reasons.isEmpty ? nil : reasons[key]
    }

    /// Forgets `key`: it holds a value again.
    mutating func remove(_ key: CacheKey) {
        if !reasons.isEmpty { reasons[key] = nil }
    }

    /// Forgets every key.
    mutating func removeAll() {
        reasons = [:]
        order = []
        start = 0
    }
}
