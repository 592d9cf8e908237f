#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A persistent directory as the `memo` tool sees it: statistics, listings, verification,
/// pruning and clearing, beside any program that has the directory open.
///
/// Every change goes through the index's transactions and the same reservation protocol
/// the library follows (see ``SpillIndexChange/reserve(fileName:owner:)``): an entry is
/// removed and its file reserved in one commit, the file is deleted, then released. A file
/// another process is writing is reserved by that process, and is never touched here.
package struct MaintainedDirectory: Sendable {
    /// The directory, without a trailing slash.
    package let path: String
    let fileSystem = LocalFileSystem()

    /// The directory at `path`, checked: it exists, is a directory, belongs to this user,
    /// and is a Memo cache (it holds an index or spill files).
    package init(path: String) throws(MaintenanceError) {
        var trimmed = path
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
        // The absolute path, as the output names it ("." says little in a report).
        if let resolved = realpath(trimmed, nil) {
            trimmed = String(cString: resolved)
            free(resolved)
        }
        self.path = trimmed
        var status = stat()
        guard stat(trimmed, &status) == 0 else {
            if errno == ENOENT || errno == ENOTDIR { throw .missing(path: trimmed) }
            throw .io(path: trimmed, "cannot read it: \(String(cString: strerror(errno)))")
        }
        guard (status.st_mode & S_IFMT) == S_IFDIR else { throw .notADirectory(path: trimmed) }
        guard status.st_uid == geteuid() else {
            throw .ownedByAnotherUser(path: trimmed, owner: status.st_uid, user: geteuid())
        }
        guard hasIndexFile || (try? spillFileNames())?.isEmpty == false else {
            throw .notACache(path: trimmed)
        }
    }

    /// The index's path.
    package var indexPath: String { "\(path)/\(SQLiteSpillIndex.fileName)" }

    /// Whether the index file exists (sound or not).
    var hasIndexFile: Bool { access(indexPath, F_OK) == 0 }

    /// Whether this process may change the directory.
    var isWritable: Bool { PersistentDirectory.isWritable(path) }

    /// Names of the spill files and temporary spill files in the directory.
    func spillFileNames() throws(MaintenanceError) -> [String] {
        do {
            return try fileSystem.contentsOfDirectory(atPath: path).filter { name in
                PersistentDirectory.isSpillFileName(name)
                    || (name.hasSuffix(".tmp")
                        && PersistentDirectory.isSpillFileName(String(name.dropLast(4))))
            }
        } catch {
            throw .io(path: path, "cannot list it: \(error)")
        }
    }

    /// Opens the index: read-only when the directory cannot be written to.
    ///
    /// - Throws: ``MaintenanceError/indexMissing(path:)`` without one; ``MaintenanceError/index(path:_:)``
    ///   when it cannot be opened.
    package func openIndex() throws(MaintenanceError) -> SQLiteSpillIndex {
        guard hasIndexFile else { throw .indexMissing(path: path) }
        let index = SQLiteSpillIndex(path: indexPath, readOnly: !isWritable)
        do {
            _ = try index.open()
        } catch let error as SpillIndexError {
            throw .index(path: path, error)
        } catch {
            throw .index(path: path, .unusable(String(describing: error)))
        }
        return index
    }

    /// The directory's totals and a summary per function, from the index alone.
    package func statistics() throws(MaintenanceError) -> (
        totals: SpillIndexTotals, functions: [SQLiteSpillIndex.FunctionSummary]
    ) {
        let index = try openIndex()
        return try indexCall { () throws in (try index.totals(), try index.functionSummaries()) }
    }

    /// The entries of `function` (all when `nil`), least recently used first.
    package func entries(function: String?) throws(MaintenanceError) -> [SpillIndexEntry] {
        let index = try openIndex()
        return try indexCall { () throws in try index.entries(function: function) }
    }

    /// Removes the entries of `function` (every entry when `nil`), and their files.
    ///
    /// - Returns: the entries removed and the directory's totals after.
    package func clear(function: String?) throws(MaintenanceError) -> (
        removed: SpillIndexTotals, totals: SpillIndexTotals
    ) {
        let index = try openIndex()
        let before = try indexCall { () throws in try index.totals() }
        let outcome = try indexCall { () throws in
            try index.apply(
                [.removeAll(function: function)], maxBytes: nil,
                owner: PersistentDirectory.processID)
        }
        try deleteReserved(outcome.obsoleteFiles, index: index)
        let removed = SpillIndexTotals(
            entries: before.entries - outcome.totals.entries,
            bytes: before.bytes - outcome.totals.bytes)
        return (removed, outcome.totals)
    }

    /// Removes the entries of `function` (every function when `nil`) not used for
    /// `olderThan`, then the least recently used of them until they total at most
    /// `maxBytes`. One transaction decides; the files go after it.
    ///
    /// - Returns: the entries removed, least recently used first, and the totals after.
    package func prune(
        maxBytes: Int, olderThan: Duration?, function: String?
    ) throws(MaintenanceError) -> (removed: [SpillIndexEntry], totals: SpillIndexTotals) {
        let index = try openIndex()
        let cutoff = olderThan.map { Duration.sinceUnixEpoch - $0 }
        let removed = try indexCall { () throws in
            try index.prune(
                function: function, maxBytes: maxBytes, lastUsedBefore: cutoff,
                owner: PersistentDirectory.processID)
        }
        try deleteReserved(removed.map(\.fileName), index: index)
        return (removed, try indexCall { () throws in try index.totals() })
    }

    /// Deletes files this process reserved in the index (and their temporary names), then
    /// releases them: the second half of every removal.
    func deleteReserved(_ fileNames: [String], index: SQLiteSpillIndex) throws(MaintenanceError) {
        try indexCall { () throws in
            try PersistentDirectory.deleteAndRelease(
                fileNames, in: path, fileSystem: fileSystem, index: index)
        }
    }

    /// Runs an index call, turning its error into a ``MaintenanceError``.
    func indexCall<Result>(_ body: () throws -> Result) throws(MaintenanceError) -> Result {
        do {
            return try body()
        } catch let error as SpillIndexError {
            throw .index(path: path, error)
        } catch {
            throw .index(path: path, .unusable(String(describing: error)))
        }
    }
}
