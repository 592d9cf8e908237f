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
public final class InMemorySpillIndex: SpillIndex {
    private struct Tables {
        var entries: [CacheKey: SpillIndexEntry] = [:]
        var clock: UInt64 = 0
        var bytes = 0
        var reservations: [String: Int32] = [:]
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
        try state.withTrackedLock { state in
            guard !state.refusesWrites else {
                throw SpillIndexError.writeFailed("the in-memory index refuses writes")
            }
            // A transaction: work on a copy, keep it only at the end.
            var tables = state.current
            var obsolete: [String] = []
            func delete(_ key: CacheKey) -> SpillIndexEntry? {
                guard let old = tables.entries.removeValue(forKey: key) else { return nil }
                tables.bytes -= old.size
                return old
            }
            for change in changes {
                switch change {
                case .insert(var entry):
                    if let old = delete(entry.key), old.fileName != entry.fileName {
                        obsolete.append(old.fileName)
                    }
                    tables.clock += 1
                    entry.recency = tables.clock
                    tables.entries[entry.key] = entry
                    tables.bytes += entry.size
                case .touch(let key, let fileName, let time):
                    tables.clock += 1
                    if tables.entries[key]?.fileName == fileName {
                        tables.entries[key]!.recency = tables.clock
                        tables.entries[key]!.lastUsedAt = time
                    }
                case .remove(let key, let fileName):
                    guard let old = tables.entries[key], fileName == nil || fileName == old.fileName
                    else { continue }
                    _ = delete(key)
                    obsolete.append(old.fileName)
                case .removeAll(let function):
                    for entry in tables.entries.values
                    where function == nil || entry.function == function {
                        _ = delete(entry.key)
                        obsolete.append(entry.fileName)
                    }
                case .reserve(let fileName, let owner):
                    tables.reservations[fileName] = owner
                case .release(let fileName):
                    tables.reservations[fileName] = nil
                }
            }
            var evicted: [SpillIndexEntry] = []
            if let maxBytes, tables.bytes > maxBytes {
                for entry in tables.entries.values.sorted(by: { $0.recency < $1.recency }) {
                    guard tables.bytes > maxBytes else { break }
                    _ = delete(entry.key)
                    evicted.append(entry)
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

    public func lockComputation(of key: CacheKey, wait: Bool) throws -> Bool {
        while true {
            let taken = state.withTrackedLock { state in state.computing.insert(key).inserted }
            if taken || !wait { return taken }
            usleepMilliseconds(1)
        }
    }

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
