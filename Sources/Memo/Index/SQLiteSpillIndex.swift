import CPlatform
import CSQLite
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The index of a persistent directory in SQLite, WAL mode, in `memo-index.sqlite`.
///
/// WAL lets readers (lookups in every process) proceed while one writer commits a batch.
/// `synchronous = NORMAL`: a commit survives the death of the process at once, and a
/// power loss after ``synchronize()``, which commits with a full WAL sync.
///
/// Totals are kept by triggers in a one-row table, so they are exact whoever changes the
/// entries (this library in any process, or the `memo` tool) and O(1) to read. Every value
/// in a statement is bound, never spliced into SQL text.
package final class SQLiteSpillIndex: SpillIndex {
    /// The format of the tables, in `PRAGMA user_version`: 1, the entries and their recency;
    /// 2, each entry's compute cost, use count and cost-aware priority, and the directory's
    /// inflation (an index of format 1 is brought to 2 when opened for writing).
    package static let formatVersion = 2
    /// The index's file name in a persistent directory.
    package static let fileName = "memo-index.sqlite"

    package let path: String
    private let readOnly: Bool
    /// The lock file, opened by ``open()``; -1 before.
    let lockDescriptor = Atomic<Int32>(-1)
    /// Idle connections: each is used by one thread at a time, taken and returned here.
    private let pool = Mutex<[ConnectionBox]>([])

    /// An index at `path`; nothing is opened until ``open()``.
    ///
    /// `readOnly`: for a directory this process cannot write to. SQLite is then told the
    /// file is immutable, which is what lets it read a WAL-mode database without creating
    /// the `-shm` file beside it (it cannot); no one can change the file there either.
    package init(path: String, readOnly: Bool = false) {
        self.path = path
        self.readOnly = readOnly
    }

    /// What SQLite opens: the path, or for a read-only index a URI marking it immutable.
    private var connectionPath: String {
        guard readOnly else { return path }
        var escaped = ""
        for character in path.unicodeScalars {
            switch character {
            case "%": escaped += "%25"
            case "?": escaped += "%3f"
            case "#": escaped += "%23"
            default: escaped.unicodeScalars.append(character)
            }
        }
        return "file:\(escaped)?immutable=1"
    }

    package func open() throws -> SpillIndexTotals {
        openLockFile()
        holdDirectoryInUse()
        // Processes that open a new directory at once race to create it; SQLite answers
        // some of those steps with SQLITE_BUSY without waiting: try again, briefly.
        var attempt = 0
        while true {
            do {
                return try openOnce()
            } catch SpillIndexError.unusable(let reason) where reason.contains("locked") {
                attempt += 1
                if attempt >= 50 { throw SpillIndexError.unusable(reason) }
            } catch SpillIndexError.writeFailed(let reason) where reason.contains("locked") {
                attempt += 1
                if attempt >= 50 { throw SpillIndexError.unusable(reason) }
            }
            usleep(UInt32(2_000 * min(attempt, 10)))
        }
    }

    private func openOnce() throws -> SpillIndexTotals {
        let connection = try connect(create: !readOnly)
        if !readOnly {
            // Persistent, in the file: every later connection (any process) is in WAL mode.
            try connection.execute("PRAGMA journal_mode = WAL")
        }
        let found = try userVersion(connection)
        guard found <= Self.formatVersion else {
            throw SpillIndexError.newerFormat(found: found, supported: Self.formatVersion)
        }
        if found < Self.formatVersion {
            guard !readOnly else {
                throw SpillIndexError.unusable(
                    found == 0
                        ? "the index has no tables"
                        : "the index has format version \(found), to be brought to "
                            + "\(Self.formatVersion) by a process that may write to it")
            }
            try connection.writeTransaction { () throws(SpillIndexError) in
                // Another process may have created the tables since we looked.
                let found = try userVersion(connection)
                guard found < Self.formatVersion else { return }
                try Self.migrate(from: found, on: connection)
                try connection.execute("PRAGMA user_version = \(Self.formatVersion)")
            }
        }
        let totals = try Self.totals(connection)
        connection.resetStatements()
        give(ConnectionBox(connection))
        return totals
    }

    deinit {
        let descriptor = lockDescriptor.load(ordering: .relaxed)
        if descriptor >= 0 { close(descriptor) }
    }

    /// Closes the lock file (giving up the directory-in-use byte, so the directory may be
    /// rebuilt) and the pooled connections, for a cache that was replaced and stays
    /// allocated (see `Memo.configure`). A call still running on it goes on: it opens a
    /// connection if it needs one, and computes without the directory-wide lock.
    package func closeFiles() {
        let descriptor = lockDescriptor.exchange(-1, ordering: .relaxed)
        if descriptor >= 0 { close(descriptor) }
        // Closed once the pool's mutex is released: closing a connection may write (a
        // checkpoint of the WAL).
        let idle = pool.withTrackedLock { pool in
            defer { pool = [] }
            return pool
        }
        _ = consume idle
    }

    /// Brings the tables from format `found` (0: none) to ``formatVersion``, in the
    /// caller's transaction: each format's statements in turn, so a new directory and an
    /// old one end with the same tables.
    static func migrate(from found: Int, on connection: SQLiteConnection)
        throws(SpillIndexError)
    {
        if found < 1 { try connection.execute(schema) }
        if found < 2 { try connection.execute(costs) }
    }

    /// Format 2: each entry's compute cost (microseconds), the uses the directory saw, and
    /// its GreedyDual-Size-Frequency priority (`inflation + uses × cost / size`, set at each
    /// insert and touch), indexed for eviction; the directory's inflation in the totals row.
    /// Entries of format 1 get cost 0: nothing known, so the cheapest to recompute.
    static let costs = """
        ALTER TABLE entries ADD COLUMN cost INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE entries ADD COLUMN uses INTEGER NOT NULL DEFAULT 1;
        ALTER TABLE entries ADD COLUMN priority REAL NOT NULL DEFAULT 0;
        CREATE INDEX IF NOT EXISTS entries_by_priority ON entries (priority, recency);
        ALTER TABLE totals ADD COLUMN inflation REAL NOT NULL DEFAULT 0;
        """

    /// The tables of format 1: entries keyed by the key's 16 bytes, ordered for eviction by
    /// recency; totals and the recency clock in one row, kept by triggers.
    static let schema = """
        CREATE TABLE IF NOT EXISTS entries (
            key BLOB PRIMARY KEY NOT NULL,
            function TEXT NOT NULL,
            version INTEGER NOT NULL,
            value_type INTEGER NOT NULL,
            file TEXT NOT NULL,
            size INTEGER NOT NULL,
            stored_at INTEGER NOT NULL,
            used_at INTEGER NOT NULL,
            recency INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS entries_by_recency ON entries (recency);
        CREATE INDEX IF NOT EXISTS entries_by_function ON entries (function);
        CREATE TABLE IF NOT EXISTS reservations (
            file TEXT PRIMARY KEY NOT NULL,
            owner INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS totals (
            id INTEGER PRIMARY KEY CHECK (id = 0),
            entries INTEGER NOT NULL,
            bytes INTEGER NOT NULL,
            clock INTEGER NOT NULL
        );
        INSERT OR IGNORE INTO totals (id, entries, bytes, clock) VALUES (0, 0, 0, 0);
        CREATE TRIGGER IF NOT EXISTS entries_inserted AFTER INSERT ON entries BEGIN
            UPDATE totals SET entries = entries + 1, bytes = bytes + NEW.size WHERE id = 0;
        END;
        CREATE TRIGGER IF NOT EXISTS entries_deleted AFTER DELETE ON entries BEGIN
            UPDATE totals SET entries = entries - 1, bytes = bytes - OLD.size WHERE id = 0;
        END;
        CREATE TRIGGER IF NOT EXISTS entries_resized AFTER UPDATE OF size ON entries BEGIN
            UPDATE totals SET bytes = bytes - OLD.size + NEW.size WHERE id = 0;
        END;
        """

    static let columns =
        "key, function, version, value_type, file, size, stored_at, used_at, recency, cost, uses"

    package func entry(forKey key: CacheKey) throws -> SpillIndexEntry? {
        try withConnection { connection throws(SpillIndexError) in
            let statement = try connection.statement(
                "SELECT \(Self.columns) FROM entries WHERE key = ?1")
            statement.bind(1, key)
            return try statement.step() ? Self.entry(statement) : nil
        }
    }

    package func totals() throws -> SpillIndexTotals {
        try withConnection { connection throws(SpillIndexError) in try Self.totals(connection) }
    }

    package func allEntries() throws -> [SpillIndexEntry] {
        try withConnection { connection throws(SpillIndexError) in
            let statement = try connection.statement(
                "SELECT \(Self.columns) FROM entries ORDER BY recency")
            var entries: [SpillIndexEntry] = []
            while try statement.step() {
                if let entry = Self.entry(statement) { entries.append(entry) }
            }
            return entries
        }
    }

    package func reservations() throws -> [SpillIndexReservation] {
        try withConnection { connection throws(SpillIndexError) in
            let statement = try connection.statement("SELECT file, owner FROM reservations")
            var reservations: [SpillIndexReservation] = []
            while try statement.step() {
                reservations.append(
                    SpillIndexReservation(
                        fileName: statement.string(0), owner: Int32(statement.int64(1))))
            }
            return reservations
        }
    }

    package func apply(_ changes: [SpillIndexChange], maxBytes: Int?, owner: Int32) throws
        -> SpillIndexOutcome
    {
        try apply(changes, maxBytes: maxBytes, eviction: .leastRecentlyUsed, owner: owner)
    }

    package func apply(
        _ changes: [SpillIndexChange], maxBytes: Int?, eviction: DiskEviction, owner: Int32
    ) throws -> SpillIndexOutcome {
        guard !readOnly else { throw SpillIndexError.writeFailed("the index is open read-only") }
        return try withConnection { connection throws(SpillIndexError) in
            try connection.writeTransaction { () throws(SpillIndexError) in
                try Self.apply(
                    changes, maxBytes: maxBytes, eviction: eviction, owner: owner, on: connection)
            }
        }
    }

    package func synchronize() throws {
        guard !readOnly else { return }
        try withConnection { connection throws(SpillIndexError) in
            // A commit at synchronous = FULL syncs the WAL, and with it every earlier commit.
            try connection.execute("PRAGMA synchronous = FULL")
            defer { try? connection.execute("PRAGMA synchronous = NORMAL") }
            try connection.writeTransaction { () throws(SpillIndexError) in
                try connection.statement("UPDATE totals SET clock = clock WHERE id = 0").run()
            }
        }
    }

    static func reserve(
        _ fileName: String, owner: Int32, on connection: SQLiteConnection
    ) throws(SpillIndexError) {
        let reserve = try connection.statement(
            "INSERT OR REPLACE INTO reservations (file, owner) VALUES (?1, ?2)")
        reserve.bind(1, fileName)
        reserve.bind(2, Int64(owner))
        try reserve.run()
    }

    static func file(of key: CacheKey, on connection: SQLiteConnection)
        throws(SpillIndexError) -> String?
    {
        let select = try connection.statement("SELECT file FROM entries WHERE key = ?1")
        select.bind(1, key)
        return try select.step() ? select.string(0) : nil
    }

    static func totalsRow(_ connection: SQLiteConnection)
        throws(SpillIndexError) -> (entries: Int, bytes: Int, clock: UInt64, inflation: Double)
    {
        let select = try connection.statement(
            "SELECT entries, bytes, clock, inflation FROM totals WHERE id = 0")
        guard try select.step() else { throw .unusable("the totals row is missing") }
        return (
            Int(select.int64(0)), Int(select.int64(1)), UInt64(select.int64(2)),
            select.double(3)
        )
    }

    private static func totals(_ connection: SQLiteConnection)
        throws(SpillIndexError) -> SpillIndexTotals
    {
        let row = try totalsRow(connection)
        return SpillIndexTotals(entries: row.entries, bytes: row.bytes)
    }

    private func userVersion(_ connection: SQLiteConnection) throws(SpillIndexError) -> Int {
        let statement = try connection.statement("PRAGMA user_version")
        // Reset before returning: an open read would make the next BEGIN fail at once.
        defer { connection.resetStatements() }
        guard try statement.step() else { return 0 }
        return Int(statement.int64(0))
    }

    static func entry(_ row: SQLiteStatement) -> SpillIndexEntry? {
        guard let key = row.key(0) else { return nil }
        return SpillIndexEntry(
            key: key, function: row.string(1), version: Int(row.int64(2)),
            valueType: UInt64(bitPattern: row.int64(3)), fileName: row.string(4),
            size: Int(row.int64(5)), storedAt: .milliseconds(row.int64(6)),
            lastUsedAt: .milliseconds(row.int64(7)), recency: UInt64(row.int64(8)),
            cost: .microseconds(row.int64(9)), uses: Int(row.int64(10)))
    }

    // MARK: Connections

    /// Runs `body` with a connection of its own: no lock is held while SQLite works.
    func withConnection<Result>(
        _ body: (SQLiteConnection) throws(SpillIndexError) -> Result
    ) throws(SpillIndexError) -> Result {
        let box = try take()
        defer {
            box.connection.resetStatements()
            give(box)
        }
        return try body(box.connection)
    }

    private func take() throws(SpillIndexError) -> ConnectionBox {
        if let box = pool.withTrackedLock({ $0.popLast() }) { return box }
        return ConnectionBox(try connect(create: false))
    }

    /// A new connection, at `synchronous = NORMAL`. The setting belongs to the connection,
    /// not the file, and SQLite's default is FULL, which syncs the WAL at every commit:
    /// two syncs per write-behind batch where ``synchronize()`` alone should pay one.
    private func connect(create: Bool) throws(SpillIndexError) -> SQLiteConnection {
        let connection = try SQLiteConnection(
            path: connectionPath, create: create, readOnly: readOnly)
        try connection.execute("PRAGMA synchronous = NORMAL")
        return connection
    }

    /// The connections' `synchronous` setting (1 is NORMAL), for tests.
    var synchronousSetting: Int {
        get throws {
            try withConnection { connection throws(SpillIndexError) in
                let statement = try connection.statement("PRAGMA synchronous")
                guard try statement.step() else { return -1 }
                return Int(statement.int64(0))
            }
        }
    }

    private func give(_ box: ConnectionBox) {
        pool.withTrackedLock { pool in
            if pool.count < 4 { pool.append(box) }
        }
    }
}

/// A connection in the pool.
///
/// `@unchecked Sendable` is sound here: a box is reachable from one thread at a time. It
/// is either in the pool (under the pool's `Mutex`) or held by the one caller that took
/// it out of the pool and gives it back when done; the `Mutex` orders the handover.
private final class ConnectionBox: @unchecked Sendable {
    let connection: SQLiteConnection
    init(_ connection: SQLiteConnection) { self.connection = connection }
}
/// open(2), outside the index class, whose `open()` would shadow it.
func openDescriptor(_ path: String, _ flags: Int32) -> Int32 {
    open(path, flags, 0o600)
}
