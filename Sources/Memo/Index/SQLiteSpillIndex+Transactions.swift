/// One transaction of `apply(_:maxBytes:eviction:owner:)`: the changes in
/// order, then eviction to the byte budget, then the reservations of every file left
/// without an entry.
extension SQLiteSpillIndex {
    static func apply(
        _ changes: [SpillIndexChange], maxBytes: Int?, eviction: DiskEviction, owner: Int32,
        on connection: SQLiteConnection
    ) throws(SpillIndexError) -> SpillIndexOutcome {
        let totals = try totalsRow(connection)
        var clock = totals.clock
        var obsolete: [String] = []
        for change in changes {
            try apply(
                change, clock: &clock, inflation: totals.inflation, obsolete: &obsolete,
                on: connection)
        }
        let setClock = try connection.statement("UPDATE totals SET clock = ?1 WHERE id = 0")
        setClock.bind(1, Int64(clock))
        try setClock.run()

        var evicted: [SpillIndexEntry] = []
        if let maxBytes {
            evicted = try evict(
                toFit: maxBytes, by: eviction, inflation: totals.inflation, on: connection)
        }
        for file in obsolete + evicted.map(\.fileName) {
            try reserve(file, owner: owner, on: connection)
        }
        let row = try totalsRow(connection)
        return SpillIndexOutcome(
            totals: SpillIndexTotals(entries: row.entries, bytes: row.bytes),
            obsoleteFiles: obsolete, evicted: evicted)
    }

    /// Applies one change; the files it leaves without an entry go to `obsolete`.
    private static func apply(
        _ change: SpillIndexChange, clock: inout UInt64, inflation: Double,
        obsolete: inout [String], on connection: SQLiteConnection
    ) throws(SpillIndexError) {
        switch change {
        case .insert(let entry):
            clock += 1
            try insert(
                entry, recency: clock, inflation: inflation, obsolete: &obsolete, on: connection)
        case .touch(let key, let fileName, let time):
            clock += 1
            // A use: one more, and the priority of the new count at today's inflation.
            let touch = try connection.statement(
                "UPDATE entries SET used_at = ?1, recency = ?2, uses = uses + 1, "
                    + "priority = ?5 + (uses + 1) * CAST(cost AS REAL) / max(size, 1) "
                    + "WHERE key = ?3 AND file = ?4")
            touch.bind(1, time.indexMilliseconds)
            touch.bind(2, Int64(clock))
            touch.bind(3, key)
            touch.bind(4, fileName)
            touch.bind(5, inflation)
            try touch.run()
        case .remove(let key, let fileName):
            guard let old = try file(of: key, on: connection),
                fileName == nil || fileName == old
            else { return }
            try deleteEntry(key, on: connection)
            obsolete.append(old)
        case .removeAll(let function):
            try removeAll(function: function, obsolete: &obsolete, on: connection)
        case .reserve(let fileName, let owner):
            try reserve(fileName, owner: owner, on: connection)
        case .release(let fileName):
            let release = try connection.statement("DELETE FROM reservations WHERE file = ?1")
            release.bind(1, fileName)
            try release.run()
        }
    }

    /// Inserts `entry` at `recency`, replacing the key's entry (whose file, if another,
    /// goes to `obsolete`).
    private static func insert(
        _ entry: SpillIndexEntry, recency: UInt64, inflation: Double, obsolete: inout [String],
        on connection: SQLiteConnection
    ) throws(SpillIndexError) {
        if let old = try file(of: entry.key, on: connection) {
            if old != entry.fileName { obsolete.append(old) }
            // A DELETE, not INSERT OR REPLACE: a replacement's implicit delete does not
            // fire the trigger that keeps the totals.
            try deleteEntry(entry.key, on: connection)
        }
        let insert = try connection.statement(
            "INSERT INTO entries (\(columns), priority) "
                + "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)")
        insert.bind(1, entry.key)
        insert.bind(2, entry.function)
        insert.bind(3, Int64(entry.version))
        insert.bind(4, Int64(bitPattern: entry.valueType))
        insert.bind(5, entry.fileName)
        insert.bind(6, Int64(entry.size))
        insert.bind(7, entry.storedAt.indexMilliseconds)
        insert.bind(8, entry.lastUsedAt.indexMilliseconds)
        insert.bind(9, Int64(recency))
        let cost = entry.cost.indexMicroseconds
        let uses = max(entry.uses, 1)
        insert.bind(10, cost)
        insert.bind(11, Int64(uses))
        insert.bind(12, inflation + Double(uses) * Double(cost) / Double(max(entry.size, 1)))
        try insert.run()
    }

    private static func deleteEntry(_ key: CacheKey, on connection: SQLiteConnection)
        throws(SpillIndexError)
    {
        let delete = try connection.statement("DELETE FROM entries WHERE key = ?1")
        delete.bind(1, key)
        try delete.run()
    }

    /// Removes every entry of `function` (of every function when nil).
    private static func removeAll(
        function: String?, obsolete: inout [String], on connection: SQLiteConnection
    ) throws(SpillIndexError) {
        let select: SQLiteStatement
        let delete: SQLiteStatement
        if let function {
            select = try connection.statement("SELECT file FROM entries WHERE function = ?1")
            select.bind(1, function)
            delete = try connection.statement("DELETE FROM entries WHERE function = ?1")
            delete.bind(1, function)
        } else {
            select = try connection.statement("SELECT file FROM entries")
            delete = try connection.statement("DELETE FROM entries")
        }
        while try select.step() { obsolete.append(select.string(0)) }
        try delete.run()
    }

    /// Deletes entries in `eviction`'s order while the total exceeds `maxBytes`, a page at
    /// a time from the table's index on that order (never a scan of the whole table), and
    /// returns them: least recently used first, or lowest priority first (of equal ones,
    /// the least recently used), raising the inflation to the last one's priority. The
    /// priorities of the entries left do not change with it: each is set at its own insert
    /// or touch.
    private static func evict(
        toFit maxBytes: Int, by eviction: DiskEviction, inflation: Double,
        on connection: SQLiteConnection
    ) throws(SpillIndexError) -> [SpillIndexEntry] {
        let order = eviction == .costAware ? "priority, recency" : "recency"
        var evicted: [SpillIndexEntry] = []
        var bytes = try totalsRow(connection).bytes
        var inflation = inflation
        while bytes > maxBytes {
            let next = try connection.statement(
                "SELECT \(columns), priority FROM entries ORDER BY \(order) LIMIT 64")
            var page: [(entry: SpillIndexEntry, priority: Double)] = []
            while try next.step() {
                if let entry = entry(next) { page.append((entry, next.double(11))) }
            }
            guard !page.isEmpty else { break }
            for (entry, priority) in page where bytes > maxBytes {
                try deleteEntry(entry.key, on: connection)
                bytes -= entry.size
                inflation = max(inflation, priority)
                evicted.append(entry)
            }
        }
        guard eviction == .costAware, !evicted.isEmpty else { return evicted }
        let setInflation = try connection.statement(
            "UPDATE totals SET inflation = ?1 WHERE id = 0")
        setInflation.bind(1, inflation)
        try setInflation.run()
        return evicted
    }
}
