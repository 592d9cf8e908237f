/// Everything a ``SpillingCache`` knows, kept behind its state lock, except what a hit
/// reads: keys and the values in memory are in the ``EntryTable``, which the state
/// changes under its lock and every stripe's, and hits from memory are counted and their
/// touches buffered in the table's stripes, applied here (in order) before each state
/// operation.
///
/// The state never performs I/O. Operations that need the disk return work orders
/// (``SpillJob``s to write, files to remove, files to load) that the cache carries out
/// after releasing the lock, then reports back with `completeSpill` / `completeLoad`.
/// Each stored value, and each of its writes, gets a new generation, unique for the life
/// of the cache (and, in a persistent directory, among the processes sharing it), and its
/// spill file is named by it. A report whose generation no longer matches (the entry was
/// removed, replaced or written again meanwhile) changes nothing but the removal of the
/// file it wrote.
///
/// Files are kept while their value is unchanged: a value reloaded from disk keeps its
/// file, so leaving memory again writes nothing; in a persistent cache every stored value
/// gets its file at once (``FileState``).
///
/// The eviction policy is in `CacheState+Eviction.swift`; loads and spill reports in
/// `CacheState+Loads.swift` and `CacheState+Spills.swift`; every change of a counter or
/// size (the count of kept files included) is made by a function of
/// `CacheState+Accounting.swift`.
struct CacheState {
    /// Where an entry's value lives. The value itself, while in memory or being
    /// written, is in the ``EntryTable``, where a hit reads it without this state's lock.
    enum Tier: UInt8 {
        /// In memory, charged against `maxMemory`.
        case memory
        /// Being written to disk by a spill job; the value stays readable meanwhile but is
        /// charged to neither tier.
        case writing
        /// In the spill file of its generation.
        case disk
        /// A free slot: no entry (a buffered touch of it is ignored).
        case free
    }

    /// The spill file of an entry in memory.
    enum FileState: UInt8 {
        /// None: leaving memory writes one.
        case none
        /// Being written (a persistent cache writes every stored value): leaving memory
        /// waits for that write instead of starting another.
        case pending
        /// Written and unchanged since: leaving memory writes nothing.
        case kept
    }

    /// An entry's bookkeeping. Kept small: at a million entries, applying a touch costs
    /// cache misses on the node and its two neighbours in the list.
    struct Node {
        var key: CacheKey
        /// The stored value's dynamic type: a lookup for another type is a miss.
        var valueType: ObjectIdentifier
        var generation: UInt64
        /// Logical recency: larger is more recent. Never a timestamp.
        var lastAccess: UInt64
        /// `memoryCost + entryOverhead`: what the entry costs while in memory.
        var charge: Int
        /// The spill file's size once written.
        var fileBytes: Int
        /// Neighbours in the entry's recency list (-1: none).
        var previous: Int32
        var next: Int32
        /// The entry's position in its part of the ``EntryTable``.
        var position: Int32
        /// The function the value belongs to, an index into `functions`.
        var function: Int32
        var tier: Tier
        /// For a memory entry: whether its file exists. Disk entries always have one.
        var file: FileState
        /// Uses since stored (1 at first; counted only for cost-aware eviction).
        var uses: UInt16 = 1
        /// What computing the value cost, in microseconds of the cache's clock (0: not
        /// known, as for a value from the shared tier). Fits the node's padding.
        var cost: UInt32 = 0
    }

    /// A value to write to its spill file, outside the lock.
    struct SpillJob {
        var key: CacheKey
        var generation: UInt64
        var value: any Spillable
        var function: StoredFunction
        /// When the value was stored, on the cache's clock: a persistent directory's index
        /// records the value's age from it.
        var storedAt: Duration
        /// What computing the value cost, and the uses counted so far: a persistent
        /// directory's index keeps them for cost-aware eviction.
        var cost: Duration = .zero
        var uses = 1

        /// The name of the file this job writes.
        var fileName: String { SpillDirectory.fileName(for: key, generation: generation) }
    }

    /// What a lookup found, under the lock.
    enum Lookup {
        /// A usable value, counted as a hit, and when it was stored.
        case hit(any Spillable, storedAt: Duration)
        /// Nothing usable, and why (not counted yet: the caller decides what the miss is).
        case miss(MissReason)
        /// A spill file to read outside the lock; report with `completeLoad`.
        case load(generation: UInt64, function: StoredFunction)
        /// Another caller is computing the key; wait for it.
        case join(Flight)
        /// This caller must compute the key, missed for the reason given (a miss, counted
        /// here unless the cache is persistent: its leader first looks in the directory).
        case lead(Flight, MissReason)
    }

    let maxMemory: Int
    /// The disk budget this state enforces itself; `nil` in a persistent cache, whose
    /// index holds the budget for the whole directory.
    let maxDisk: Int?
    let timeToLive: Duration?
    /// Whether every stored value is written to disk at once (a persistent directory).
    let writesEveryValue: Bool
    /// Whether the disk budget evicts by cost (`CacheState+CostAware.swift`), not by
    /// recency.
    let costAware: Bool
    /// Cost-aware eviction's inflation `L`, and each slot's priority (kept only then).
    var inflation = 0.0
    var priorities: [Double] = []
    /// Whether a flight's leader counts its own miss, after looking in the persistent
    /// directory and the shared tier (where it may find the value after all).
    var leaderCountsMiss: Bool

    /// Keys to nodes, and the values hits read (shared with the cache's hit path).
    let table: EntryTable
    var nodes: [Node] = []
    var freeSlots: [Int] = []
    /// Memory entries, least recently used first.
    var memoryList = RecencyList()
    /// Writing and disk entries, least recently used first.
    var diskList = RecencyList()
    /// Functions with a memory quota, by function id, each with its memory entries
    /// (which are not in `memoryList`; see `CacheState+Quotas.swift`).
    var quotas: [Int32: MemoryQuota] = [:]
    var clock: UInt64 = 0
    var nextGeneration: UInt64
    /// Every counter and size, except the hits the entry table counted (`stats` adds them).
    var stats = CacheStats()
    /// Memory entries whose file is kept on disk (their files count in `diskBytes`).
    var keptFiles = 0
    /// A persistent directory's totals, as of this cache's last index transaction.
    var directoryTotals: SpillIndexTotals? {
        didSet { metricEvents.sizesChanged = reportsMetrics }
    }
    var flights: [CacheKey: Flight] = [:]
    /// When each key whose background refresh failed may be refreshed again (the key's
    /// entry carries the `failed` mark; removing the entry forgets the time).
    var refreshRetries: [CacheKey: Duration] = [:]
    var functions: [StoredFunction] = [.none]
    var functionIDs: [StoredFunction: Int32] = [.none: 0]
    /// Bytes in memory and on disk per function, indexed like `functions`.
    var functionBytes: [FunctionBytes] = [FunctionBytes()]
    /// Keys dropped recently, with the reason: what a later miss on them is counted as.
    var forgotten = ForgottenKeys(capacity: CacheState.forgottenCapacity)
    /// Events and size changes not yet reported to metrics (see `takeMetricEvents`).
    var metricEvents = MetricEvents()
    /// Whether `metricEvents` is kept (metrics are on).
    var reportsMetrics = false
    /// What ``applyTouches(_:)``'s warm-up loads add up to; never read otherwise.
    var warmth: Int32 = 0

    /// How many dropped keys are remembered with their reason.
    static let forgottenCapacity = 4_096

    /// One function's share of the cache's sizes.
    struct FunctionBytes: Equatable {
        var memory = 0
        var disk = 0
        /// The compute time of the entries held (memory and disk), in microseconds: what
        /// recomputing them all would cost.
        var computeMicroseconds: UInt64 = 0
    }

    init(
        maxMemory: Int, maxDisk: Int?, timeToLive: Duration?, writesEveryValue: Bool = false,
        firstGeneration: UInt64 = 0, table: EntryTable = EntryTable(), costAware: Bool = false
    ) {
        self.costAware = costAware
        self.table = table
        self.maxMemory = maxMemory
        self.maxDisk = maxDisk
        self.timeToLive = timeToLive
        self.writesEveryValue = writesEveryValue
        self.leaderCountsMiss = writesEveryValue
        self.nextGeneration = firstGeneration
    }

    // MARK: Operations

    /// Stores `value` under `key`, replacing any entry. Returns the writes this causes and
    /// the files that become garbage.
    ///
    /// `storedAt` is when the value was computed, on the cache's clock: now, unless it
    /// comes from a tier that knows its age.
    mutating func store(
        _ value: any Spillable, charge: Int, forKey key: CacheKey,
        function: StoredFunction = .none, now: Duration, storedAt: Duration? = nil,
        cost: Duration = .zero
    ) -> (jobs: [SpillJob], removals: [UInt64: CacheKey]) {
        var removals: [UInt64: CacheKey] = [:]
        if let slot = slot(of: key) {
            // In a persistent directory the replaced value is superseded, not removed: its
            // recorded file stays the key's value until the new one is recorded, whose
            // index transaction makes it obsolete (and only then is it deleted). Removing
            // its entry first would leave the key with no value if the process died
            // before the new file was recorded.
            if writesEveryValue {
                var superseded: [UInt64: CacheKey] = [:]
                removeEntry(at: slot, into: &superseded)
            } else {
                removeEntry(at: slot, into: &removals)
            }
        }
        forgotten.remove(key)
        clock += 1
        nextGeneration += 1
        let node = Node(
            key: key, valueType: ObjectIdentifier(ExistentialValue.heldType(of: value)),
            generation: nextGeneration,
            lastAccess: clock, charge: charge, fileBytes: 0, previous: -1, next: -1,
            position: 0, function: functionID(function), tier: .memory,
            file: writesEveryValue ? .pending : .none, cost: Self.costMicroseconds(cost))
        let slot = allocate(node)
        setPriority(slot)
        nodes[slot].position = table.insert(
            key,
            EntryTable.Entry(
                value: value, valueType: node.valueType,
                storedAt: min(storedAt ?? now, now).nanoseconds,
                slot: Int32(slot)))
        var jobs: [SpillJob] = []
        if writesEveryValue { jobs.append(job(for: slot, value: value)) }
        if charge > memoryLimit(ofFunction: node.function) {
            // Too big for memory at all: straight to disk, never charged to memory.
            nodes[slot].tier = .writing
            insertIntoDiskList(slot)
            if !writesEveryValue { jobs.append(job(for: slot, value: value)) }
        } else {
            appendToMemory(slot)
            chargeMemory(slot)
        }
        jobs += spillVictims(now: now, removals: &removals)
        return (jobs, removals)
    }

    /// Looks `key` up for a value of `valueType`. A memory hit is touched and counted
    /// here; a disk entry asks for a load. An entry of another type is not this caller's
    /// value: a miss, and untouched. With `startingFlight`, a miss joins or starts the
    /// key's single flight. An entry older than `usableFor` (the caller's ``Freshness``)
    /// is a miss (`expired`) for this caller, but stays: other callers may still use it,
    /// and a computation that fails may fall back on it (`serveStaleOnError`).
    mutating func lookup(
        _ key: CacheKey, valueType: ObjectIdentifier, now: Duration, startingFlight: Bool,
        usableFor: Duration? = nil, removals: inout [UInt64: CacheKey]
    ) -> Lookup {
        var reason = MissReason.newKey
        if let slot = slot(of: key) {
            if isExpired(slot, now: now) {
                recordExpiration()
                removeEntry(at: slot, into: &removals)
                forgotten.remember(key, .expired)
                reason = .expired
            } else if isTooOld(slot, for: usableFor, now: now) {
                reason = .expired
            } else if nodes[slot].valueType != valueType {
                reason = .otherType
            } else {
                switch nodes[slot].tier {
                case .memory, .writing:
                    touch(slot, inMemory: nodes[slot].tier == .memory)
                    recordHit(fromDisk: false)
                    return .hit(value(at: slot), storedAt: .nanoseconds(storedAt(slot)))
                case .disk:
                    return .load(
                        generation: nodes[slot].generation,
                        function: functions[Int(nodes[slot].function)])
                case .free:
                    preconditionFailure("the table holds a freed slot")
                }
            }
        } else if let remembered = forgotten.reason(for: key) {
            reason = remembered
        }
        guard startingFlight else { return .miss(reason) }
        if let flight = flights[key] { return .join(flight) }
        let flight = Flight()
        flights[key] = flight
        // Without a directory or a shared tier behind it, the leader's miss is certain
        // now. Otherwise the leader looks there first and counts the miss itself.
        if !leaderCountsMiss { recordMiss() }
        return .lead(flight, reason)
    }

    /// Removes `key`. `true` if it held a usable value; an expired entry is removed and
    /// counted as an expiration instead.
    mutating func remove(
        _ key: CacheKey, now: Duration, removals: inout [UInt64: CacheKey]
    ) -> Bool {
        guard let slot = slot(of: key) else { return false }
        let expired = isExpired(slot, now: now)
        if expired { recordExpiration() }
        removeEntry(at: slot, into: &removals)
        return !expired
    }

    /// Drops every entry; counters of past events stay.
    mutating func removeAll() -> EntryTable.DetachedEntries {
        let detached = table.removeAll()
        nodes = []
        freeSlots = []
        memoryList = RecencyList()
        for id in quotas.keys { quotas[id]!.list = RecencyList() }
        diskList = RecencyList()
        changeKeptFiles(by: -keptFiles)
        forgotten.removeAll()
        refreshRetries = [:]
        resetSizes()
        return detached
    }

    /// Drops the entries of every version of the function named `name`; their files are
    /// garbage. Counters of past events stay.
    mutating func removeAll(functionNamed name: String, into removals: inout [UInt64: CacheKey]) {
        let ids = Set(functions.indices.filter { functions[$0].name == name }.map(Int32.init))
        guard !ids.isEmpty else { return }
        for slot in nodes.indices
        where nodes[slot].tier != .free && ids.contains(nodes[slot].function) {
            removeEntry(at: slot, into: &removals)
        }
    }

}
