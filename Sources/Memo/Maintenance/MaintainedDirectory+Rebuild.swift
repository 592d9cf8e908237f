#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

extension MaintainedDirectory {
    /// Verification when the index is damaged or missing: every spill file is checked on
    /// its own (version 2 files name their function), and with `repair` a new index is
    /// built from the sound ones.
    ///
    /// The new index is built in a folder of its own inside the directory, then renamed
    /// over the old one, all while this process holds the directory-in-use lock
    /// exclusively: no program has the directory open meanwhile, and none can open it.
    /// Recency is rebuilt from the files' modification times, the only trace of use left.
    func rebuild(
        because reason: String, repair: Bool, progress: (Int, Int) -> Void
    ) throws(MaintenanceError) -> VerificationReport {
        var release: (() -> Void)?
        if repair {
            let lock = try indexCall { () throws in
                try SQLiteSpillIndex.lockDirectoryExclusively(path)
            }
            guard let lock else { throw .inUse(path: path) }
            release = lock
        }
        defer { release?() }

        var report = VerificationReport()
        report.findings.append(
            .init(kind: .damagedIndex, file: SQLiteSpillIndex.fileName, key: nil, detail: reason))
        var bad: [String] = []
        let sound = try soundFiles(report: &report, bad: &bad, progress: progress)
        let kept = newestOfEachKey(sound, report: &report, bad: &bad)
        report.totals = SpillIndexTotals(
            entries: kept.count, bytes: kept.reduce(0) { $0 + $1.size })
        guard repair else { return report }

        for name in bad { try? fileSystem.removeFile(atPath: "\(path)/\(name)") }
        try replaceIndex(with: kept)
        report.repaired = true
        report.rebuiltIndex = true
        return report
    }

    /// Checks every spill file on its own: the sound ones' entries and modification times;
    /// the others (and temporary files) reported and added to `bad`.
    private func soundFiles(
        report: inout VerificationReport, bad: inout [String], progress: (Int, Int) -> Void
    ) throws(MaintenanceError) -> [(entry: SpillIndexEntry, modified: Int64)] {
        let names = try spillFileNames().sorted()
        var sound: [(entry: SpillIndexEntry, modified: Int64)] = []
        for (checked, name) in names.enumerated() {
            progress(checked, names.count)
            if name.hasSuffix(".tmp") {
                report.findings.append(
                    .init(
                        kind: .leftoverTemporaryFile, file: name,
                        key: CacheKey(fileName: String(name.dropLast(4))),
                        detail: "a temporary file, never recorded"))
                bad.append(name)
                continue
            }
            report.checkedFiles += 1
            switch inspect(fileName: name, expecting: nil) {
            case .bad(let problem):
                report.findings.append(problem)
                bad.append(name)
            case .sound(let header):
                if let entry = rebuiltEntry(fileName: name, header: header) { sound.append(entry) }
            }
        }
        progress(names.count, names.count)
        return sound
    }

    /// The entries to keep: of two sound files of one key (a replaced file whose deletion
    /// never happened), the newer one is the value and the other is garbage (`bad`).
    private func newestOfEachKey(
        _ sound: [(entry: SpillIndexEntry, modified: Int64)], report: inout VerificationReport,
        bad: inout [String]
    ) -> [SpillIndexEntry] {
        let sound = sound.sorted { ($0.modified, $0.entry.fileName) < ($1.modified, $1.entry.fileName) }
        var newest: [CacheKey: Int] = [:]
        for (position, item) in sound.enumerated() { newest[item.entry.key] = position }
        var kept: [SpillIndexEntry] = []
        for (position, item) in sound.enumerated() {
            if newest[item.entry.key] == position {
                kept.append(item.entry)
            } else {
                report.findings.append(
                    .init(
                        kind: .unreferencedFile, file: item.entry.fileName, key: item.entry.key,
                        detail: "a newer file holds the same key"))
                bad.append(item.entry.fileName)
            }
        }
        return kept
    }

    /// The index entry of a sound spill file: key, function and value type from its
    /// header (already read and checked), size from the file, both times from its
    /// modification time.
    private func rebuiltEntry(
        fileName: String, header: SpillFileFormat.Header
    ) -> (entry: SpillIndexEntry, modified: Int64)? {
        var status = stat()
        guard stat("\(path)/\(fileName)", &status) == 0 else { return nil }
        let modified =
            Int64(status.st_mtim.tv_sec) * 1000 + Int64(status.st_mtim.tv_nsec) / 1_000_000
        let function = header.function ?? .none
        let entry = SpillIndexEntry(
            key: header.key, function: function.name, version: function.version,
            valueType: header.typeFingerprint, fileName: fileName, size: Int(status.st_size),
            storedAt: .milliseconds(modified), lastUsedAt: .milliseconds(modified))
        return (entry, modified)
    }

    /// Builds a new index of `entries` (least recently used first) beside the directory's
    /// and renames it into place, removing the damaged one and its WAL files.
    private func replaceIndex(with entries: [SpillIndexEntry]) throws(MaintenanceError) {
        // Leftovers of a rebuild that died: no one else rebuilds while we hold the lock.
        let workPrefix = ".memo-rebuild-"
        if let names = try? fileSystem.contentsOfDirectory(atPath: path) {
            for name in names where name.hasPrefix(workPrefix) {
                removeTree("\(path)/\(name)")
            }
        }
        let work = "\(path)/\(workPrefix)\(PersistentDirectory.processID)"
        guard mkdir(work, 0o700) == 0 else {
            throw .io(path: work, "cannot create it: \(String(cString: strerror(errno)))")
        }
        defer { removeTree(work) }
        let builtPath = "\(work)/\(SQLiteSpillIndex.fileName)"
        do {
            let built = SQLiteSpillIndex(path: builtPath)
            _ = try indexCall { () throws in try built.open() }
            for start in stride(from: 0, to: entries.count, by: 512) {
                let batch = entries[start..<min(start + 512, entries.count)]
                _ = try indexCall { () throws in
                    try built.apply(
                        batch.map { .insert($0) }, maxBytes: nil,
                        owner: PersistentDirectory.processID)
                }
            }
            // Everything into the main file: only that file moves.
            try indexCall { () throws in try built.checkpoint() }
        }
        for suffix in ["-wal", "-shm", "-journal", ""] {
            unlink(indexPath + suffix)
        }
        guard rename(builtPath, indexPath) == 0 else {
            throw .io(
                path: indexPath,
                "cannot move the rebuilt index into place: "
                    + String(cString: strerror(errno)))
        }
    }

    /// Removes a folder of plain files.
    private func removeTree(_ folder: String) {
        for name in (try? fileSystem.contentsOfDirectory(atPath: folder)) ?? [] {
            unlink("\(folder)/\(name)")
        }
        rmdir(folder)
    }
}
