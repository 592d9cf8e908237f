/// One transaction of `apply(_:maxBytes:owner:)`: the changes in
/// order, then eviction to the byte budget, then the reservations of every file left
/// without an entry.
extension SQLiteSpillIndex {
    static func apply(
        _ changes: [SpillIndexChange], maxBytes: Int?, owner: Int32,
        on connection: SQLiteConnection
    ) throws(SpillIndexError) -> SpillIndexOutcome {
        var clock = try totalsRow(connection).clock
        var obsolete: [String] = []
        for change in changes {
            try apply(change, clock: &clock, obsolete: &obsolete, on: connection)
        }
        let setClock = try connection.statement("UPDATE totals SET clock = ?1 WHERE id = 0")
        setClock.bind(1, Int64(clock))
        try setClock.run()

        let evicted = try maxBytes.map { maxBytes throws(SpillIndexError) in
            try evict(toFit: maxBytes, on: connection)
        } ?? []
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
        _ change: SpillIndexChange, clock: inout UInt64, obsolete: inout [String],
        on connection: SQLiteConnection
    ) throws(SpillIndexError) {
        switch change {
        case .insert(let entry):
            clock += 1
            try insert(entry, recency: clock, obsolete: &obsolete, on: connection)
        case .touch(let key, let fileName, let time):
            clock += 1
            let touch = try connection.statement(
                "UPDATE entries SET used_at = ?1, recency = ?2 WHERE key = ?3 AND file = ?4")
            touch.bind(1, time.indexMilliseconds)
            touch.bind(2, Int64(clock))
            touch.bind(3, key)
            touch.bind(4, fileName)
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
        _ entry: SpillIndexEntry, recency: UInt64, obsolete: inout [String],
        on connection: SQLiteConnection
    ) throws(SpillIndexError) {
        if let old = try file(of: entry.key, on: connection) {
            if old != entry.fileName { obsolete.append(old) }
            // A DELETE, not INSERT OR REPLACE: a replacement's implicit delete does not
            // fire the trigger that keeps the totals.
            try deleteEntry(entry.key, on: connection)
        }
        let insert = try connection.statement(
            "INSERT INTO entries (\(columns)) "
                + "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)")
        insert.bind(1, entry.key)
        insert.bind(2, entry.function)
        insert.bind(3, Int64(entry.version))
        insert.bind(4, Int64(bitPattern: entry.valueType))
        insert.bind(5, entry.fileName)
        insert.bind(6, Int64(entry.size))
        insert.bind(7, entry.storedAt.indexMilliseconds)
        insert.bind(8, entry.lastUsedAt.indexMilliseconds)
        insert.bind(9, Int64(recency))
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

    /// Deletes least recently used entries while the total exceeds `maxBytes`, a page at a
    /// time (never a scan of the whole table), and returns them.
    private static func evict(toFit maxBytes: Int, on connection: SQLiteConnection)
        throws(SpillIndexError) -> [SpillIndexEntry]
    {
        var evicted: [SpillIndexEntry] = []
        var bytes = try totalsRow(connection).bytes
        while bytes > maxBytes {
            let oldest = try connection.statement(
                "SELECT \(columns) FROM entries ORDER BY recency LIMIT 64")
            var page: [SpillIndexEntry] = []
            while try oldest.step() {
                if let entry = entry(oldest) { page.append(entry) }
            }
            guard !page.isEmpty else { break }
            for entry in page where bytes > maxBytes {
                try deleteEntry(entry.key, on: connection)
                bytes -= entry.size
                evicted.append(entry)
            }
        }
        return evicted
    }
}
