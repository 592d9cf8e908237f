import Synchronization

/// Where a cache finds a key's entry and, while the entry is in memory, its value, read
/// by hits without the cache's state lock.
///
/// The table is guarded by a big-reader lock made of stripes (``Stripe``): a hit takes
/// the lock of its thread's stripe only, reads the table and records its touch in that
/// stripe's buffer; the state changes the table only while it holds every stripe's lock
/// (``exclusively(draining:_:)``, which ``SpillingCache/withState(_:)`` calls). So a hit
/// writes no line that another thread's hits write: with one lock per shard instead,
/// two threads hitting the same keys moved each shard's lock between cores on every hit
/// and two threads were barely faster than one (see BENCHMARKS.md). The state's
/// operations pay instead, one uncontended lock per stripe.
///
/// The table holds what a hit reads (the value, its type and expiry, the node's slot);
/// the ``CacheState`` holds everything else about the entry (its place in the recency
/// order, its charge, its file) in the node at `slot`.
final class EntryTable: @unchecked Sendable {
    // Sendable: `storage` is read only while at least one stripe's lock is held (`hit`,
    // and the state's reads inside `exclusively`) and written only while every stripe's
    // lock is held (`exclusively`). A write therefore never overlaps a read or another
    // write, and each stripe lock's release/acquire orders them (ThreadSanitizer checks
    // this under `make tsan`: the locks are annotated, the storage is not).

    /// What a hit reads about one entry.
    struct Entry {
        /// The value while it is in memory or being written; `nil` once it is only on
        /// disk (a hit then goes through the state, which loads it).
        var value: (any Spillable)?
        /// The value's dynamic type (reading it from the existential is a runtime call).
        var valueType: ObjectIdentifier
        /// When the entry expires, in nanoseconds of the cache's clock; `Int64.max` when
        /// it never does.
        var expiresAt: Int64
        /// The entry's node in the state.
        var slot: Int32
    }

    /// A part of the table: keys to positions in a dense array of entries (a dictionary
    /// of small positions wastes less memory than one of entries at the same load
    /// factor). The table is split in parts, all under the same stripes, only so that no
    /// array grows to tens of megabytes: the allocator keeps such a block's old copy
    /// resident after it grows, which cost 30 bytes per entry at a million entries.
    struct Part {
        var positions: [CacheKey: Int32] = [:]
        var entries: [Entry] = []
        var freePositions: [Int32] = []
    }

    /// How many parts (a power of two).
    static let partCount = 64

    // The stripes' locks already exclude overlapping accesses (see above), so the
    // runtime's dynamic exclusivity checks, a tenth of a hit's instructions, are off.
    @exclusivity(unchecked) private var parts = [Part](repeating: Part(), count: partCount)

    /// The part of `key`: its digest's high bits (dictionaries hash the low ones).
    @inline(__always)
    private static func part(of key: CacheKey) -> Int {
        Int(truncatingIfNeeded: key.high >> 58)
    }

    let stripes: [Stripe] = (0..<EntryTable.stripeCount).map { _ in Stripe() }

    // MARK: The hit path (one stripe's lock)

    /// The value of `key` if it is in memory, of type `valueType` and not expired at `now`
    /// (nanoseconds; ignored when entries never expire); the hit is counted and its touch
    /// buffered. `nil` otherwise: the caller asks the state. `full` says the stripe's
    /// buffer is full, and the caller should let the state drain it.
    @inline(__always)
    func hit(
        _ key: CacheKey, valueType: ObjectIdentifier, now: Int64
    ) -> (value: any Spillable, full: Bool)? {
        let stripe = currentStripe
        // Results leave the lock through these rather than as the closure's result,
        // which would go through the runtime's generic tuple witnesses.
        var value: (any Spillable)?
        var full = false
        stripe.touches.withTrackedLock { touches in
            let part = Self.part(of: key)
            guard let position = parts[part].positions[key] else { return }
            parts[part].entries.withUnsafeBufferPointer { entries in
                let entry = entries.baseAddress.unsafelyUnwrapped + Int(position)
                guard entry.pointee.valueType == valueType, entry.pointee.expiresAt > now
                else { return }
                value = entry.pointee.value
                if value != nil { touches.append(entry.pointee.slot) }
            }
            guard value != nil else { return }
            stripe.hits.store(stripe.hits.load(ordering: .relaxed) &+ 1, ordering: .relaxed)
            full = touches.count >= Self.capacity
        }
        guard let value else { return nil }
        return (value, full)
    }

    /// Hits counted by the stripes.
    var hits: Int {
        stripes.reduce(0) { $0 &+ $1.hits.load(ordering: .relaxed) }
    }

    // MARK: The state's access (every stripe's lock)

    /// Runs `body` with every stripe's lock held, so it may change the table. Each
    /// stripe's buffered touches are first handed to `drain`, in the order they were
    /// recorded, stripe by stripe. Called with the state's lock held (lock order: state,
    /// then stripes in index order); a hit holds one stripe's lock and nothing else.
    func exclusively<Result>(
        draining drain: (Int) -> Void, _ body: () -> Result
    ) -> Result {
        lockStripes(from: 0, draining: drain, body)
    }

    private func lockStripes<Result>(
        from index: Int, draining drain: (Int) -> Void, _ body: () -> Result
    ) -> Result {
        guard index < stripes.count else { return body() }
        // The result crosses the lock's `sending` boundary: boxed, not sent.
        var result: Result?
        stripes[index].touches.withTrackedLock { touches in
            for slot in touches { drain(Int(slot)) }
            touches.removeAll(keepingCapacity: true)
            result = lockStripes(from: index + 1, draining: drain, body)
        }
        return result!
    }

    // The rest is called only inside `exclusively`.

    /// The slot of `key`'s node, if the table holds it.
    func slot(of key: CacheKey) -> Int? {
        let part = Self.part(of: key)
        return parts[part].positions[key].map { Int(parts[part].entries[Int($0)].slot) }
    }

    /// Adds `key` (not in the table); returns its position in its part.
    func insert(_ key: CacheKey, _ entry: Entry) -> Int32 {
        let part = Self.part(of: key)
        let position: Int32
        if let free = parts[part].freePositions.popLast() {
            position = free
            parts[part].entries[Int(position)] = entry
        } else {
            position = Int32(parts[part].entries.count)
            parts[part].entries.append(entry)
        }
        parts[part].positions[key] = position
        return position
    }

    /// Removes `key`, at `position` in its part.
    func remove(_ key: CacheKey, at position: Int32) {
        let part = Self.part(of: key)
        parts[part].positions[key] = nil
        parts[part].entries[Int(position)].value = nil
        parts[part].freePositions.append(position)
    }

    /// Sets the value a hit on `key` reads: `nil` once it is only on disk.
    func setValue(_ value: (any Spillable)?, of key: CacheKey, at position: Int32) {
        parts[Self.part(of: key)].entries[Int(position)].value = value
    }

    /// The value of `key` while in memory or being written.
    func value(of key: CacheKey, at position: Int32) -> (any Spillable)? {
        parts[Self.part(of: key)].entries[Int(position)].value
    }

    /// When `key` expires (nanoseconds of the cache's clock).
    func expiry(of key: CacheKey, at position: Int32) -> Int64 {
        parts[Self.part(of: key)].entries[Int(position)].expiresAt
    }

    /// Empties the table.
    func removeAll() {
        parts = [Part](repeating: Part(), count: Self.partCount)
    }
}
