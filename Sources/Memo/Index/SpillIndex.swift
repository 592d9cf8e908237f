/// The index of a persistent directory: every entry's key, function, file, size and
/// recency, exact across restarts and shared by every process using the directory.
///
/// It is a seam, as ``SpillFileSystem`` is for files: the cache uses SQLite in WAL mode
/// in the directory (`memo-index.sqlite`) unless ``CacheConfiguration/index`` names
/// another, such as `MemoTesting`'s in-memory index, whose simulated crash loses what
/// was not made durable.
///
/// An index is only ever changed by ``apply(_:maxBytes:owner:)``, one atomic transaction per
/// call, so a batch of writes and last-use updates costs one commit. Recency is the
/// index's own counter, never the file system's access times.
public protocol SpillIndex: Sendable {
    /// Opens the index, creating it when absent, and returns its totals.
    ///
    /// - Throws: ``SpillIndexError/newerFormat(found:supported:)`` for an index written
    ///   by a newer release; ``SpillIndexError/unusable(_:)`` when it cannot be opened.
    func open() throws -> SpillIndexTotals

    /// The entry of `key`, if the directory holds one.
    func entry(forKey key: CacheKey) throws -> SpillIndexEntry?

    /// Applies `changes` in order, in one transaction, then deletes least recently used
    /// entries while the total size exceeds `maxBytes`.
    ///
    /// Every file the transaction leaves without an entry (replaced, removed or evicted)
    /// is reserved for process `owner` in the same transaction: the owner deletes the files
    /// and then releases them, and if it dies first, the next process to open the
    /// directory deletes them. No file is ever left that nothing refers to.
    ///
    /// - Returns: the new totals, the files that no entry refers to any more (to delete
    ///   once this returns, then release), and the entries evicted for `maxBytes`.
    func apply(_ changes: [SpillIndexChange], maxBytes: Int?, owner: Int32) throws
        -> SpillIndexOutcome

    /// Applies `changes` as ``apply(_:maxBytes:owner:)`` does, then deletes entries in the
    /// order `eviction` gives while the total size exceeds `maxBytes`: least recently used
    /// first, or with ``DiskEviction/costAware`` lowest GreedyDual-Size-Frequency priority
    /// first (`L + uses × cost / size`, `L` rising to each evicted priority and kept by the
    /// index). The default evicts least recently used whatever `eviction` says: an index
    /// that keeps no costs cannot do otherwise.
    func apply(
        _ changes: [SpillIndexChange], maxBytes: Int?, eviction: DiskEviction, owner: Int32
    ) throws -> SpillIndexOutcome

    /// The entry count and payload bytes, O(1).
    func totals() throws -> SpillIndexTotals

    /// Every entry, least recently used first.
    func allEntries() throws -> [SpillIndexEntry]

    /// The files writers announced (``SpillIndexChange/reserve(fileName:owner:)``) and have
    /// not yet recorded or given up: those of a writer that died are garbage.
    func reservations() throws -> [SpillIndexReservation]

    /// Makes every applied change durable (survives a power loss).
    func synchronize() throws

    /// The versions the function named `function` has entries under, ascending. The
    /// default reads ``allEntries()``; an index should answer from its own index.
    func versions(ofFunction function: String) throws -> [Int]
}

extension SpillIndex {
    /// Applies `changes` and evicts least recently used first (an index without costs).
    public func apply(
        _ changes: [SpillIndexChange], maxBytes: Int?, eviction: DiskEviction, owner: Int32
    ) throws -> SpillIndexOutcome {
        try apply(changes, maxBytes: maxBytes, owner: owner)
    }

    /// The versions of `function`, from ``allEntries()``.
    public func versions(ofFunction function: String) throws -> [Int] {
        Set(try allEntries().filter { $0.function == function }.map(\.version)).sorted()
    }
}

/// One entry of a ``SpillIndex``.
public struct SpillIndexEntry: Sendable, Equatable {
    /// The entry's key.
    public var key: CacheKey
    /// The name of the function the value belongs to ("" for values stored directly).
    public var function: String
    /// That function's version.
    public var version: Int
    /// The fingerprint of the value's type, as in the spill file's header.
    public var valueType: UInt64
    /// The spill file's name in the directory.
    public var fileName: String
    /// The spill file's size in bytes.
    public var size: Int
    /// When the value was stored, since the Unix epoch.
    public var storedAt: Duration
    /// When the value was last stored or read from disk, since the Unix epoch.
    public var lastUsedAt: Duration
    /// The directory's recency counter at the last use: larger is more recent. Assigned by
    /// the index; ignored in an ``SpillIndexChange/insert(_:)``.
    public var recency: UInt64
    /// What the value cost to compute, on the storing cache's clock (whole microseconds
    /// are kept; zero when unknown, as for entries rebuilt from their files).
    public var cost: Duration
    /// How many times the directory saw the value used: its store, then each read from
    /// disk by any process. Counted by the index from the inserted value.
    public var uses: Int

    /// An entry; `recency` is assigned by the index when it is inserted.
    public init(
        key: CacheKey, function: String, version: Int, valueType: UInt64, fileName: String,
        size: Int, storedAt: Duration, lastUsedAt: Duration, recency: UInt64 = 0,
        cost: Duration = .zero, uses: Int = 1
    ) {
        self.key = key
        self.function = function
        self.version = version
        self.valueType = valueType
        self.fileName = fileName
        self.size = size
        self.storedAt = storedAt
        self.lastUsedAt = lastUsedAt
        self.recency = recency
        self.cost = cost
        self.uses = uses
    }
}

/// A change to a ``SpillIndex``, applied in order within one transaction.
public enum SpillIndexChange: Sendable, Equatable {
    /// Adds the entry, replacing the key's previous one (whose file becomes obsolete).
    case insert(SpillIndexEntry)
    /// Marks the key's entry used at `time`, if it still refers to `fileName`.
    case touch(key: CacheKey, fileName: String, at: Duration)
    /// Removes the key's entry if it refers to `fileName` (any file when `nil`).
    case remove(key: CacheKey, fileName: String?)
    /// Removes the entries of one function (every version), or every entry when `nil`.
    case removeAll(function: String?)
    /// Announces a file that process `owner` is about to write, before it exists: if the
    /// writer dies before it records or releases the file, whoever opens the directory
    /// next finds the reservation and deletes the file, so no file is ever left that
    /// nothing refers to.
    case reserve(fileName: String, owner: Int32)
    /// Ends a reservation: the file is recorded (an insert in the same transaction) or
    /// was deleted.
    case release(fileName: String)
}

/// A file a writer announced and has not yet recorded or given up.
public struct SpillIndexReservation: Sendable, Equatable {
    /// The file's name in the directory.
    public var fileName: String
    /// The process id of the writer.
    public var owner: Int32

    /// A reservation of `fileName` by process `owner`.
    public init(fileName: String, owner: Int32) {
        self.fileName = fileName
        self.owner = owner
    }
}

/// The entry count and total file bytes of a ``SpillIndex``.
public struct SpillIndexTotals: Sendable, Equatable {
    /// Entries in the index.
    public var entries: Int
    /// The sum of their file sizes.
    public var bytes: Int

    /// Totals of `entries` entries and `bytes` bytes.
    public init(entries: Int, bytes: Int) {
        self.entries = entries
        self.bytes = bytes
    }
}

/// What a call to ``SpillIndex/apply(_:maxBytes:owner:)`` did.
public struct SpillIndexOutcome: Sendable, Equatable {
    /// The totals after the transaction.
    public var totals: SpillIndexTotals
    /// Files that no entry refers to any more: replaced or removed entries' files.
    public var obsoleteFiles: [String]
    /// Entries deleted to bring the total under `maxBytes`, in the order they went.
    public var evicted: [SpillIndexEntry]

    /// An outcome.
    public init(
        totals: SpillIndexTotals, obsoleteFiles: [String] = [], evicted: [SpillIndexEntry] = []
    ) {
        self.totals = totals
        self.obsoleteFiles = obsoleteFiles
        self.evicted = evicted
    }
}

/// Why a persistent directory's index cannot be used.
public enum SpillIndexError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The index was written by a newer release of Memo, in a format this one cannot read.
    case newerFormat(found: Int, supported: Int)
    /// The index cannot be opened or is damaged; the message says why.
    case unusable(String)
    /// The index refused a change (for example a read-only directory).
    case writeFailed(String)

    /// A sentence saying what is wrong and what to do.
    public var description: String {
        switch self {
        case .newerFormat(let found, let supported):
            return "the directory's index has format version \(found), newer than the "
                + "version \(supported) this release reads: open it with a newer Memo, or "
                + "use another directory"
        case .unusable(let reason):
            return "the directory's index cannot be used (\(reason)); `memo verify --repair` "
                + "rebuilds it from the spill files"
        case .writeFailed(let reason):
            return "the directory's index refused a change: \(reason)"
        }
    }
}
