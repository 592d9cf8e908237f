import CPlatform
import CSQLite

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// What the `memo` tool asks of an index beyond what a cache needs: summaries, a
/// consistent snapshot, pruning in one transaction, an integrity check, and the lock that
/// makes rebuilding the index safe.
extension SQLiteSpillIndex {
    /// One function's entries in the directory.
    package struct FunctionSummary: Sendable, Equatable {
        /// The function's name ("" for values stored directly).
        package var function: String
        /// The versions its entries were stored under, ascending.
        package var versions: [Int]
        /// Its entry count.
        package var entries: Int
        /// The sum of its entries' file sizes.
        package var bytes: Int
        /// The earliest and latest last use of its entries, since the Unix epoch.
        package var oldestUse: Duration
        package var newestUse: Duration
        /// The compute time its entries hold: what recomputing all of them would cost.
        package var computeTime: Duration = .zero
    }

    /// A summary per function, by name: one pass over the entries, in SQLite.
    package func functionSummaries() throws -> [FunctionSummary] {
        try withConnection { connection throws(SpillIndexError) in
            let statement = try connection.statement(
                """
                SELECT function, version, COUNT(*), SUM(size), MIN(used_at), MAX(used_at),
                    SUM(cost)
                FROM entries GROUP BY function, version ORDER BY function, version
                """)
            var summaries: [FunctionSummary] = []
            while try statement.step() {
                let function = statement.string(0)
                let version = Int(statement.int64(1))
                let entries = Int(statement.int64(2))
                let bytes = Int(statement.int64(3))
                let oldest = Duration.milliseconds(statement.int64(4))
                let newest = Duration.milliseconds(statement.int64(5))
                let computeTime = Duration.microseconds(statement.int64(6))
                if summaries.last?.function == function {
                    summaries[summaries.count - 1].computeTime += computeTime
                    summaries[summaries.count - 1].versions.append(version)
                    summaries[summaries.count - 1].entries += entries
                    summaries[summaries.count - 1].bytes += bytes
                    summaries[summaries.count - 1].oldestUse = min(
                        summaries[summaries.count - 1].oldestUse, oldest)
                    summaries[summaries.count - 1].newestUse = max(
                        summaries[summaries.count - 1].newestUse, newest)
                } else {
                    summaries.append(
                        FunctionSummary(
                            function: function, versions: [version], entries: entries,
                            bytes: bytes, oldestUse: oldest, newestUse: newest,
                            computeTime: computeTime))
                }
            }
            return summaries
        }
    }

    package func versions(ofFunction function: String) throws -> [Int] {
        try withConnection { connection throws(SpillIndexError) in
            let statement = try connection.statement(
                "SELECT DISTINCT version FROM entries WHERE function = ?1 ORDER BY version")
            statement.bind(1, function)
            var versions: [Int] = []
            while try statement.step() { versions.append(Int(statement.int64(0))) }
            return versions
        }
    }

    /// The entries of `function` (every entry when `nil`), least recently used first.
    package func entries(function: String?) throws -> [SpillIndexEntry] {
        guard let function else { return try allEntries() }
        return try withConnection { connection throws(SpillIndexError) in
            let statement = try connection.statement(
                "SELECT \(Self.columns) FROM entries WHERE function = ?1 ORDER BY recency")
            statement.bind(1, function)
            var entries: [SpillIndexEntry] = []
            while try statement.step() {
                if let entry = Self.entry(statement) { entries.append(entry) }
            }
            return entries
        }
    }

    /// Every entry and every reservation, read in one transaction: a file recorded (its
    /// reservation released in the same commit) shows up in exactly one of the two.
    package func snapshot() throws -> (
        entries: [SpillIndexEntry], reservations: [SpillIndexReservation]
    ) {
        try withConnection { connection throws(SpillIndexError) in
            try connection.execute("BEGIN")
            defer { try? connection.execute("COMMIT") }
            let select = try connection.statement("SELECT \(Self.columns) FROM entries")
            var entries: [SpillIndexEntry] = []
            while try select.step() {
                if let entry = Self.entry(select) { entries.append(entry) }
            }
            let reserved = try connection.statement("SELECT file, owner FROM reservations")
            var reservations: [SpillIndexReservation] = []
            while try reserved.step() {
                reservations.append(
                    SpillIndexReservation(
                        fileName: reserved.string(0), owner: Int32(reserved.int64(1))))
            }
            connection.resetStatements()
            return (entries, reservations)
        }
    }

    /// Removes, in one transaction, the entries of `function` (every function when `nil`)
    /// last used before `lastUsedBefore`, then the least recently used of them while their
    /// total exceeds `maxBytes`. Their files are reserved for `owner`, who deletes them and
    /// then releases them (as after ``apply(_:maxBytes:owner:)``).
    ///
    /// - Returns: the removed entries, least recently used first.
    package func prune(
        function: String?, maxBytes: Int, lastUsedBefore: Duration?, owner: Int32
    ) throws -> [SpillIndexEntry] {
        try withConnection { connection throws(SpillIndexError) in
            try connection.writeTransaction { () throws(SpillIndexError) in
                let scope = function == nil ? "" : "WHERE function = ?1"
                let total = try connection.statement(
                    "SELECT COALESCE(SUM(size), 0) FROM entries \(scope)")
                if let function { total.bind(1, function) }
                guard try total.step() else { return [] }
                var bytes = Int(total.int64(0))
                let cutoff = lastUsedBefore?.indexMilliseconds ?? Int64.min
                // Least recently used first, a page at a time, until both rules hold.
                var removed: [SpillIndexEntry] = []
                while true {
                    let oldest = try connection.statement(
                        "SELECT \(Self.columns) FROM entries \(scope) ORDER BY recency LIMIT 256")
                    if let function { oldest.bind(1, function) }
                    var page: [SpillIndexEntry] = []
                    while try oldest.step() {
                        if let entry = Self.entry(oldest) { page.append(entry) }
                    }
                    var removedFromPage = 0
                    for entry in page
                    where bytes > maxBytes || entry.lastUsedAt.indexMilliseconds < cutoff {
                        let delete = try connection.statement("DELETE FROM entries WHERE key = ?1")
                        delete.bind(1, entry.key)
                        try delete.run()
                        try Self.reserve(entry.fileName, owner: owner, on: connection)
                        bytes -= entry.size
                        removed.append(entry)
                        removedFromPage += 1
                    }
                    // A page with an entry kept ends the walk: everything after it is more
                    // recent, so within budget and (by recency) not older than it.
                    if page.isEmpty || removedFromPage < page.count { break }
                }
                return removed
            }
        }
    }

    /// SQLite's own check of the database file (`PRAGMA quick_check`), plus the totals
    /// row against the entries: the problems found, none when the index is sound.
    package func integrityProblems() throws -> [String] {
        try withConnection { connection throws(SpillIndexError) in
            var problems: [String] = []
            let check = try connection.statement("PRAGMA quick_check")
            while try check.step() {
                let line = check.string(0)
                if line != "ok" { problems.append(line) }
            }
            guard problems.isEmpty else { return problems }
            let counted = try connection.statement(
                "SELECT COUNT(*), COALESCE(SUM(size), 0) FROM entries")
            guard try counted.step() else { return ["the entries cannot be counted"] }
            let row = try Self.totalsRow(connection)
            if row.entries != Int(counted.int64(0)) || row.bytes != Int(counted.int64(1)) {
                problems.append(
                    "the totals say \(row.entries) entries and \(row.bytes) bytes, the entries "
                        + "add up to \(counted.int64(0)) and \(counted.int64(1))")
            }
            return problems
        }
    }

    /// Takes the directory-in-use byte of `directory`'s lock file exclusively, without
    /// waiting: granted only when no process has the directory's index open, and then no
    /// process can open it until `release` is called (or this process dies).
    ///
    /// - Returns: a release function, or `nil` when the directory is in use.
    /// - Throws: ``SpillIndexError/unusable(_:)`` when the lock file cannot be opened.
    package static func lockDirectoryExclusively(_ directory: String) throws -> (() -> Void)? {
        let path = lockFilePath(besideIndexAt: directory + "/" + fileName)
        let descriptor = openDescriptor(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW)
        guard descriptor >= 0 else {
            throw SpillIndexError.unusable("cannot open \(path): errno \(errno)")
        }
        while memo_byte_lock(descriptor, directoryInUseOffset, 1, 0) != 0 {
            if errno == EINTR { continue }
            close(descriptor)
            return nil
        }
        return { close(descriptor) }
    }
}

extension SQLiteSpillIndex {
    /// Copies every committed change from the WAL into the database file and empties the
    /// WAL, so that the file alone holds the index (before it is moved).
    package func checkpoint() throws {
        try withConnection { connection throws(SpillIndexError) in
            try connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        }
    }
}
