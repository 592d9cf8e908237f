public import Memo
import Synchronization

/// A persistent directory's index in memory, for tests: the in-memory counterpart of the
/// SQLite index, as ``InMemoryFileSystem`` is of the disk.
///
/// Several caches opened on one `InMemorySpillIndex` (and one file system) behave as
/// processes sharing a directory. Changes are applied atomically, as transactions; they
/// are durable once ``synchronize()`` ran (as SQLite's commits are at `synchronous =
/// NORMAL` after a WAL sync), and ``crash()`` loses the rest, as a power cut would.
///
/// ```swift
/// let disk = InMemoryFileSystem()
/// let index = InMemorySpillIndex()
/// var config = CacheConfiguration()
/// config.directory = "/memo"
/// config.persistent = true
/// config.fileSystem = disk
/// config.index = index
/// ```
public final class InMemorySpillIndex: SpillIndex, ComputationLocking {
    private struct Tables {
        var entries: [CacheKey: SpillIndexEntry] = [:]
        var clock: UInt64 = 0
        var bytes = 0
        var reservations: [String: Int32] = [:]
        /// Each entry's GreedyDual-Size-Frequency priority, set at its insert and touches.
        var priorities: [CacheKey: Double] = [:]
        /// The inflation `L`: the priority of the last entry evicted by cost.
        var inflation = 0.0

        /// `L + uses × cost / size`, in microseconds per byte, as the SQLite index has it.
        func priority(of entry: SpillIndexEntry) -> Double {
            let cost = Double(entry.cost.indexMicroseconds)
            return inflation + Double(entry.uses) * cost / Double(max(entry.size, 1))
        }

        mutating func delete(_ key: CacheKey) -> SpillIndexEntry? {
            guard let old = entries.removeValue(forKey: key) else { return nil }
            priorities[key] = nil
            bytes -= old.size
            return old
        }

        /// Applies one change; the files it leaves without an entry go to `obsolete`.
        mutating func apply(_ change: SpillIndexChange, obsolete: inout [String]) {
            switch change {
            case .insert(var entry):
                if let old = delete(entry.key), old.fileName != entry.fileName {
                    obsolete.append(old.fileName)
                }
                clock += 1
                entry.recency = clock
                entry.uses = max(entry.uses, 1)
                entry.cost = .microseconds(entry.cost.indexMicroseconds)
                entries[entry.key] = entry
                priorities[entry.key] = priority(of: entry)
                bytes += entry.size
            case .touch(let key, let fileName, let time):
                clock += 1
                if entries[key]?.fileName == fileName {
                    entries[key]!.recency = clock
                    entries[key]!.lastUsedAt = time
                    entries[key]!.uses += 1
                    priorities[key] = priority(of: entries[key]!)
                }
            case .remove(let key, let fileName):
                guard let old = entries[key], fileName == nil || fileName == old.fileName else { return }
                _ = delete(key)
                obsolete.append(old.fileName)
            case .removeAll(let function):
                for entry in entries.values where function == nil || entry.function == function {
                    _ = delete(entry.key)
                    obsolete.append(entry.fileName)
                }
            case .reserve(let fileName, let owner):
                reservations[fileName] = owner
            case .release(let fileName):
                reservations[fileName] = nil
            }
        }

        /// Deletes least recently used entries while the total exceeds `maxBytes`.
        mutating func evict(toFit maxBytes: Int) -> [SpillIndexEntry] {
            guard bytes > maxBytes else { return [] }
            var evicted: [SpillIndexEntry] = []
            for entry in entries.values.sorted(by: { $0.recency < $1.recency }) {
                guard bytes > maxBytes else { break }
                _ = delete(entry.key)
                evicted.append(entry)
            }
            return evicted
        }

        /// Deletes the entries of lowest priority (of equal ones, the least recently used)
        /// while the total exceeds `maxBytes`, raising the inflation to each one's.
        mutating func evictByCost(toFit maxBytes: Int) -> [SpillIndexEntry] {
            guard bytes > maxBytes else { return [] }
            let order = entries.values.sorted {
                (priorities[$0.key] ?? 0, $0.recency) < (priorities[$1.key] ?? 0, $1.recency)
            }
            var evicted: [SpillIndexEntry] = []
            for entry in order {
                guard bytes > maxBytes else { break }
                inflation = max(inflation, priorities[entry.key] ?? 0)
                _ = delete(entry.key)
                evicted.append(entry)
            }
            return evicted
        }
    }

    private struct State {
        var current = Tables()
        var durable = Tables()
        var refusesWrites = false
        var computing: Set<CacheKey> = []
    }

    private let state = Mutex(State())

    /// An empty index.
    public init() {}

    /// Whether every change is refused, as by an index in a read-only directory.
    public var refusesWrites: Bool {
        get { state.withTrackedLock { $0.refusesWrites } }
        set { state.withTrackedLock { $0.refusesWrites = newValue } }
    }

    public func open() throws -> SpillIndexTotals {
        try totals()
    }

    public func entry(forKey key: CacheKey) throws -> SpillIndexEntry? {
        state.withTrackedLock { $0.current.entries[key] }
    }

    public func totals() throws -> SpillIndexTotals {
        state.withTrackedLock {
            SpillIndexTotals(entries: $0.current.entries.count, bytes: $0.current.bytes)
        }
    }

    public func allEntries() throws -> [SpillIndexEntry] {
        state.withTrackedLock { $0.current.entries.values.sorted { $0.recency < $1.recency } }
    }

    public func reservations() throws -> [SpillIndexReservation] {
        state.withTrackedLock { state in
            state.current.reservations.map {
                SpillIndexReservation(fileName: $0.key, owner: $0.value)
            }
        }
    }

    public func apply(_ changes: [SpillIndexChange], maxBytes: Int?, owner: Int32) throws
        -> SpillIndexOutcome
    {
        try apply(changes, maxBytes: maxBytes, eviction: .leastRecentlyUsed, owner: owner)
    }

    public func apply(
        _ changes: [SpillIndexChange], maxBytes: Int?, eviction: DiskEviction, owner: Int32
    ) throws -> SpillIndexOutcome {
        try state.withTrackedLock { state in
            guard !state.refusesWrites else {
                throw SpillIndexError.writeFailed("the in-memory index refuses writes")
            }
            // A transaction: work on a copy, keep it only at the end.
            var tables = state.current
            var obsolete: [String] = []
            for change in changes { tables.apply(change, obsolete: &obsolete) }
            var evicted: [SpillIndexEntry] = []
            if let maxBytes {
                switch eviction {
                case .leastRecentlyUsed: evicted = tables.evict(toFit: maxBytes)
                case .costAware: evicted = tables.evictByCost(toFit: maxBytes)
                }
            }
            for file in obsolete + evicted.map(\.fileName) { tables.reservations[file] = owner }
            state.current = tables
            return SpillIndexOutcome(
                totals: SpillIndexTotals(entries: tables.entries.count, bytes: tables.bytes),
                obsoleteFiles: obsolete, evicted: evicted)
        }
    }

    public func synchronize() throws {
        state.withTrackedLock { $0.durable = $0.current }
    }

    /// Loses every change since the last ``synchronize()``, as a power cut would.
    public func crash() {
        state.withTrackedLock { state in
            state.current = state.durable
            state.computing = []
        }
    }

    /// Takes the lock on computing `key`, shared by every cache over this index (as the
    /// lock file is by processes): with `wait`, polls every millisecond until granted.
    public func lockComputation(of key: CacheKey, wait: Bool) throws -> Bool {
        while true {
            let taken = state.withTrackedLock { state in state.computing.insert(key).inserted }
            if taken || !wait { return taken }
            usleepMilliseconds(1)
        }
    }

    /// Releases the lock on computing `key`.
    public func unlockComputation(of key: CacheKey) {
        _ = state.withTrackedLock { $0.computing.remove(key) }
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

private func usleepMilliseconds(_ milliseconds: UInt32) {
    usleep(milliseconds * 1000)
}
