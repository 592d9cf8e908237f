import Synchronization

/// Whether a background refresh of an entry runs (see ``Freshness``).
enum RefreshMark: UInt8 {
    /// None runs: a stale hit asks the state to start one.
    case idle
    /// One runs: a stale hit returns without asking.
    case running
    /// The last one failed: a stale hit asks the state, which starts the next no sooner
    /// than its retry time.
    case failed
}

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
/// The table holds what a hit reads (the value, its type, when it was stored, its refresh
/// mark, the node's slot);
/// the ``CacheState`` holds everything else about the entry (its place in the recency
/// order, its charge, its file) in the node at `slot`.
final class EntryTable: @unchecked Sendable {
    // Sendable: `parts` (and the entry storage it owns) is read only while at least one
    // stripe's lock is held (`hit`, and the state's reads inside `exclusively`) and
    // written only while every stripe's lock is held (`exclusively`, and `deinit`, when
    // nothing else can reach the table). A write therefore never overlaps a read or another
    // write, and each stripe lock's release/acquire orders them (ThreadSanitizer checks
    // this under `make tsan`: the locks are annotated, the storage is not). `stripes` is
    // memory allocated once, in `init`, and freed in `deinit`; in between, threads reach
    // it only through each stripe's `Mutex` and `Atomic`, which are Sendable.

    /// Where an entry's `value` lies in it.
    private static var valueOffset: Int { MemoryLayout<Entry>.offset(of: \Entry.value)! }

    /// What a hit reads about one entry.
    struct Entry {
        /// The value while it is in memory or being written (`inMemory`); a placeholder
        /// once it is only on disk (a hit then goes through the state, which loads it).
        /// Not an optional: testing an optional existential is a runtime call per hit.
        var value: any Spillable
        /// The value's dynamic type (reading it from the existential is a runtime call).
        var valueType: ObjectIdentifier
        /// When the value was stored, in nanoseconds of the cache's clock: its age decides
        /// whether it has expired (`timeToLive`) and, for a function with a ``Freshness``,
        /// whether it is stale.
        var storedAt: Int64
        /// The entry's node in the state.
        var slot: Int32
        /// Whether `value` is the entry's value.
        var inMemory: Bool
        /// Whether a background refresh of the entry runs, or may start (in the byte the
        /// layout pads with: the entry stays 64 bytes).
        var refresh: RefreshMark

        init(value: (any Spillable)?, valueType: ObjectIdentifier, storedAt: Int64, slot: Int32) {
            self.value = value ?? Self.placeholder
            self.valueType = valueType
            self.storedAt = storedAt
            self.slot = slot
            self.inMemory = value != nil
            self.refresh = .idle
        }

        /// What `value` holds while the entry is only on disk.
        static var placeholder: any Spillable { 0 }
    }

    /// A part of the table: keys to positions in dense storage of entries (a dictionary of
    /// small positions wastes less memory than one of entries at the same load factor).
    /// The table is split in parts, all under the same stripes, only so that no block
    /// grows to tens of megabytes: the allocator keeps such a block's old copy resident
    /// after it grows, which cost 30 bytes per entry at a million entries.
    struct Part {
        var positions: [CacheKey: Int32] = [:]
        var entries = EntryStorage()
        var freePositions: [Int32] = []
    }

    /// How many parts: 2⁶, one for each value of a digest's top six bits.
    static let partCount = 64

    // The stripes' locks already exclude overlapping accesses (see above), so the
    // runtime's dynamic exclusivity checks, a tenth of a hit's instructions, are off.
    @exclusivity(unchecked) private var parts = [Part](repeating: Part(), count: partCount)

    /// The part of `key`: its digest's high bits (dictionaries hash the low ones).
    @inline(__always)
    private static func part(of key: CacheKey) -> Int {
        Int(truncatingIfNeeded: key.high >> 58)
    }

    let stripes = StripeStorage()

    // MARK: The hit path (one stripe's lock)

    /// If `key` is in memory, of type `valueType` and stored after `usableAfter`
    /// (nanoseconds of the cache's clock; `Int64.min` when nothing expires), hands the
    /// address of its value to `read` (the value is not copied; the address is valid only
    /// during `read`), counts the hit and buffers its touch. `found` is false otherwise:
    /// the caller asks the state. `full` says the stripe's buffer is full, and the caller
    /// should let the state drain it; `stripe` is the calling thread's stripe number,
    /// for the caller's own striped counts. `staleness` says whether the value was stored
    /// at or before `freshAfter` (a stale hit), and if so what its refresh mark allows.
    @inline(__always)
    func hit(
        _ key: CacheKey, valueType: ObjectIdentifier, usableAfter: Int64,
        freshAfter: Int64 = .min, _ read: (UnsafePointer<any Spillable>) -> Void
    ) -> (found: Bool, full: Bool, stripe: Int, staleness: Staleness) {
        let stripeIndex = ThreadStripe.index
        let stripe = stripes[stripeIndex & (Self.stripeCount - 1)]
        // Results leave the lock through these rather than as the closure's result,
        // which would go through the runtime's generic tuple witnesses.
        var found = false
        var full = false
        var staleness = Staleness.fresh
        stripe.pointee.touches.withTrackedLock { touches in
            let part = Self.part(of: key)
            guard let position = parts[part].positions[key] else { return }
            let entry = parts[part].entries.address(of: Int(position))
            guard entry.pointee.inMemory, entry.pointee.valueType == valueType,
                entry.pointee.storedAt > usableAfter
            else { return }
            if entry.pointee.storedAt <= freshAfter {
                staleness = entry.pointee.refresh == .running ? .stale : .staleRefreshDue
            }
            read(
                UnsafeRawPointer(entry).advanced(by: Self.valueOffset)
                    .assumingMemoryBound(to: (any Spillable).self))
            touches.append(entry.pointee.slot)
            found = true
            stripe.pointee.hits.store(
                stripe.pointee.hits.load(ordering: .relaxed) &+ 1, ordering: .relaxed)
            full = touches.count >= Self.capacity
        }
        return (found, full, stripeIndex, staleness)
    }

    /// What a hit found of its value's age (see ``hit(_:valueType:usableAfter:freshAfter:_:)``).
    enum Staleness {
        case fresh
        /// Stale, and its refresh runs already.
        case stale
        /// Stale, and no refresh runs: one may be due (the state decides, see
        /// ``CacheState/claimRefresh(_:now:retryDelay:)``).
        case staleRefreshDue
    }

    /// Hits counted by the stripes.
    var hits: Int {
        (0..<Self.stripeCount).reduce(0) { $0 &+ stripes[$1].pointee.hits.load(ordering: .relaxed) }
    }

    // MARK: The state's access (every stripe's lock)

    /// Runs `body` with every stripe's lock held, so it may change the table. Each
    /// stripe's buffered touches (slots, oldest first) are first handed to `drain`,
    /// stripe by stripe. Called with the state's lock held (lock order: state,
    /// then stripes in index order); a hit holds one stripe's lock and nothing else.
    func exclusively<Result>(
        draining drain: ([Int32]) -> Void, _ body: () -> Result
    ) -> Result {
        lockStripes(from: 0, draining: drain, body)
    }

    private func lockStripes<Result>(
        from index: Int, draining drain: ([Int32]) -> Void, _ body: () -> Result
    ) -> Result {
        guard index < Self.stripeCount else { return body() }
        // The result crosses the lock's `sending` boundary: boxed, not sent.
        var result: Result?
        stripes[index].pointee.touches.withTrackedLock { touches in
            if !touches.isEmpty {
                drain(touches)
                touches.removeAll(keepingCapacity: true)
            }
            result = lockStripes(from: index + 1, draining: drain, body)
        }
        return result!
    }

    /// Hands the calling thread's stripe's buffered touches to `drain` and empties it: what
    /// a hit that filled the buffer does, with the state's lock held. Other stripes are
    /// left alone, so their threads go on hitting meanwhile; their touches are of other
    /// threads, which may be ordered either way, and every state operation drains them
    /// first anyway. The table is not changed, so one stripe's lock is enough.
    func drainCurrentStripe(_ drain: ([Int32]) -> Void) {
        currentStripe.pointee.touches.withTrackedLock { touches in
            guard !touches.isEmpty else { return }
            drain(touches)
            touches.removeAll(keepingCapacity: true)
        }
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
        parts[part].entries[Int(position)].value = Entry.placeholder
        parts[part].entries[Int(position)].inMemory = false
        parts[part].freePositions.append(position)
    }

    /// Sets the value a hit on `key` reads: `nil` once it is only on disk.
    func setValue(_ value: (any Spillable)?, of key: CacheKey, at position: Int32) {
        let part = Self.part(of: key)
        parts[part].entries[Int(position)].value = value ?? Entry.placeholder
        parts[part].entries[Int(position)].inMemory = value != nil
    }

    /// The value of `key` while in memory or being written.
    func value(of key: CacheKey, at position: Int32) -> (any Spillable)? {
        let entry = parts[Self.part(of: key)].entries[Int(position)]
        return entry.inMemory ? entry.value : nil
    }

    /// When `key`'s value was stored (nanoseconds of the cache's clock).
    func storedAt(of key: CacheKey, at position: Int32) -> Int64 {
        parts[Self.part(of: key)].entries[Int(position)].storedAt
    }

    /// The refresh mark of `key`'s entry.
    func refreshMark(of key: CacheKey, at position: Int32) -> RefreshMark {
        parts[Self.part(of: key)].entries[Int(position)].refresh
    }

    /// Sets the refresh mark of `key`'s entry.
    func setRefreshMark(_ mark: RefreshMark, of key: CacheKey, at position: Int32) {
        parts[Self.part(of: key)].entries.address(of: Int(position)).pointee.refresh = mark
    }

    /// When `key`'s value was stored and its refresh mark, wherever the entry is; `nil`
    /// when the table has no entry of `key`.
    func age(of key: CacheKey) -> (storedAt: Int64, refresh: RefreshMark)? {
        var found: (Int64, RefreshMark)?
        readEntry(of: key) { found = ($0.storedAt, $0.refresh) }
        return found
    }

    /// Hands `key`'s entry, if the table has one, to `read`, under the calling thread's
    /// stripe lock, counting and touching nothing (what looks outside the hit path share).
    private func readEntry(of key: CacheKey, _ read: (Entry) -> Void) {
        let stripe = stripes[ThreadStripe.index & (Self.stripeCount - 1)]
        stripe.pointee.touches.withTrackedLock { _ in
            let part = Self.part(of: key)
            guard let position = parts[part].positions[key] else { return }
            read(parts[part].entries.address(of: Int(position)).pointee)
        }
    }

    /// If `key`'s value is in memory, of type `valueType` and stored after `usableAfter`,
    /// the value and when it was stored; no hit is counted and no touch buffered.
    func peek(
        _ key: CacheKey, valueType: ObjectIdentifier, usableAfter: Int64
    ) -> (value: any Spillable, storedAt: Int64)? {
        var found: (any Spillable, Int64)?
        readEntry(of: key) { entry in
            guard entry.inMemory, entry.valueType == valueType, entry.storedAt > usableAfter
            else { return }
            found = (entry.value, entry.storedAt)
        }
        return found
    }

    /// Empties the table. What it held is returned, for the caller to free
    /// (``DetachedEntries/free()``) once the cache's locks are released: freeing the entries
    /// releases their values, whose deinitializers are user code.
    func removeAll() -> DetachedEntries {
        defer { parts = [Part](repeating: Part(), count: Self.partCount) }
        return DetachedEntries(storages: parts.map(\.entries))
    }

    /// The entries a ``removeAll()`` took out of the table, still allocated.
    struct DetachedEntries: @unchecked Sendable {
        // Sendable: `removeAll` takes these storages out of the table (which gets fresh
        // parts), so this value is their only owner; it crosses from the locked state to
        // the caller once, and only `free()` touches the memory, once.
        private var storages: [EntryStorage]

        init(storages: [EntryStorage]) {
            self.storages = storages
        }

        /// Deinitializes the entries (releasing their values) and frees their memory.
        mutating func free() {
            for index in storages.indices { storages[index].free() }
            storages = []
        }
    }

    deinit {
        for part in parts.indices { parts[part].entries.free() }
        stripes.free()
    }
}

/// One part's entries, in memory the table allocates and frees itself.
///
/// A hit reads its entry through a pointer into this storage. An `Array` there was
/// retained and released by every hit, so its reference count was a line that every
/// thread's hits wrote: two threads hitting one part moved it between cores each time.
/// The memory is aligned to, and a whole number of, 64-byte cache lines, so that no other
/// allocation (a stripe's touch buffer, written by every hit of its thread) shares a line
/// with entries that other threads read. The storage is a plain value owned by its
/// ``EntryTable``: only the table frees it (in `removeAll` and `deinit`), and nothing
/// keeps a copy.
struct EntryStorage {
    private var base: UnsafeMutablePointer<EntryTable.Entry>?
    private(set) var count = 0
    private var capacity = 0

    /// The entry at `position` (below `count`).
    @inline(__always)
    func address(of position: Int) -> UnsafeMutablePointer<EntryTable.Entry> {
        base.unsafelyUnwrapped + position
    }

    subscript(position: Int) -> EntryTable.Entry {
        get {
            precondition(position < count, "entry position out of range")
            return address(of: position).pointee
        }
        set {
            precondition(position < count, "entry position out of range")
            address(of: position).pointee = newValue
        }
    }

    /// Adds an entry at position `count`, doubling the storage when it is full.
    mutating func append(_ entry: EntryTable.Entry) {
        if count == capacity {
            let grown = max(16, capacity * 2)
            let stride = MemoryLayout<EntryTable.Entry>.stride
            let storage = UnsafeMutableRawPointer.allocate(
                byteCount: (grown * stride + 63) & ~63, alignment: 64
            ).bindMemory(to: EntryTable.Entry.self, capacity: grown)
            if let base {
                storage.moveInitialize(from: base, count: count)
                base.deallocate()
            }
            base = storage
            capacity = grown
        }
        (base.unsafelyUnwrapped + count).initialize(to: entry)
        count += 1
    }

    /// Deinitializes every entry and frees the memory; the storage is empty after.
    mutating func free() {
        if let base {
            base.deinitialize(count: count)
            base.deallocate()
        }
        base = nil
        count = 0
        capacity = 0
    }
}
