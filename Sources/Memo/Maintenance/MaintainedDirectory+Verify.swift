#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

extension MaintainedDirectory {
    /// Reads every spill file and checks it against its index row; finds rows without a
    /// file, files without a row, and leftovers of dead writers. With `repair`, removes
    /// what is bad, and rebuilds the index from the files when the index itself is
    /// damaged or missing.
    ///
    /// - Parameter progress: called with (files checked, files to check) as the work goes.
    package func verify(
        repair: Bool, progress: (Int, Int) -> Void = { _, _ in }
    ) throws(MaintenanceError) -> VerificationReport {
        // The damage, if any: the index is closed again before a rebuild, which must have
        // the directory to itself (this process included).
        var damage = ""
        var sound: SQLiteSpillIndex?
        do {
            let index = try openIndex()
            let problems = try indexCall { () throws in try index.integrityProblems() }
            if problems.isEmpty { sound = index } else { damage = problems.joined(separator: "; ") }
        } catch .indexMissing {
            damage = "the index is missing"
        } catch .index(_, let error) {
            damage = "\(error)"
        }
        if let sound { return try verify(with: sound, repair: repair, progress: progress) }
        return try rebuild(because: damage, repair: repair, progress: progress)
    }

    /// Verification against a sound index.
    private func verify(
        with index: SQLiteSpillIndex, repair: Bool, progress: (Int, Int) -> Void
    ) throws(MaintenanceError) -> VerificationReport {
        // The listing comes first: a file listed was reserved before it was written, so the
        // snapshot read after shows it as an entry, as reserved, or (its life over) as
        // neither, and then it is garbage for good, since names are never reused.
        let listed = try spillFileNames()
        let snapshot = try indexCall { () throws in try index.snapshot() }
        let referenced = Set(snapshot.entries.map(\.fileName))
        let live = Set(
            snapshot.reservations.filter { !PersistentDirectory.isDead($0.owner) }.map(\.fileName))
        let deadReserved = Set(
            snapshot.reservations.filter { PersistentDirectory.isDead($0.owner) }.map(\.fileName))

        var report = VerificationReport()
        var badEntries: [SpillIndexEntry] = []
        let entries = snapshot.entries.sorted { $0.fileName < $1.fileName }
        for (checked, entry) in entries.enumerated() {
            progress(checked, entries.count)
            report.checkedFiles += 1
            guard let problem = check(fileName: entry.fileName, expecting: entry) else { continue }
            // The row may have changed since the snapshot (another process replaced or
            // removed the entry, and its file with it): only a row that still names this
            // file is a problem.
            let current = try indexCall { () throws in try index.entry(forKey: entry.key) }
            guard current?.fileName == entry.fileName else { continue }
            report.findings.append(problem)
            badEntries.append(entry)
        }
        progress(entries.count, entries.count)

        let garbage = unreferencedFiles(
            listed, referenced: referenced, live: live, deadReserved: deadReserved, report: &report)

        if repair {
            if !badEntries.isEmpty {
                let outcome = try indexCall { () throws in
                    try index.apply(
                        badEntries.map { .remove(key: $0.key, fileName: $0.fileName) },
                        maxBytes: nil, owner: PersistentDirectory.processID)
                }
                try deleteReserved(outcome.obsoleteFiles, index: index)
            }
            for name in garbage { try? fileSystem.removeFile(atPath: "\(path)/\(name)") }
            PersistentDirectory.removeLeftovers(in: path, fileSystem: fileSystem, index: index)
            report.repaired = true
        }
        report.totals = try indexCall { () throws in try index.totals() }
        return report
    }

    /// The listed files no entry refers to and no live writer is writing, each reported:
    /// garbage to delete. A file gone since the listing was finished with by its owner.
    private func unreferencedFiles(
        _ listed: [String], referenced: Set<String>, live: Set<String>, deadReserved: Set<String>,
        report: inout VerificationReport
    ) -> [String] {
        var garbage: [String] = []
        for name in listed.sorted() {
            let isTemporary = name.hasSuffix(".tmp")
            let spillName = isTemporary ? String(name.dropLast(4)) : name
            if live.contains(spillName) || (!isTemporary && referenced.contains(spillName)) {
                continue
            }
            guard access("\(path)/\(name)", F_OK) == 0 else { continue }
            let reason =
                deadReserved.contains(spillName)
                ? "left by a process that died while writing or deleting it"
                : (isTemporary ? "no process is writing it" : "no index entry refers to it")
            report.findings.append(
                .init(
                    kind: isTemporary ? .leftoverTemporaryFile : .unreferencedFile, file: name,
                    key: CacheKey(fileName: spillName), detail: reason))
            garbage.append(name)
        }
        return garbage
    }

    /// Checks one spill file: against its index row when given, else against its name.
    ///
    /// - Returns: the problem, or `nil` for a sound file.
    func check(fileName: String, expecting entry: SpillIndexEntry?) -> VerificationReport.Finding? {
        if case .bad(let problem) = inspect(fileName: fileName, expecting: entry) { return problem }
        return nil
    }

    /// What reading one spill file found.
    enum Inspection {
        /// Sound: its header (read, with its checksum, once).
        case sound(SpillFileFormat.Header)
        case bad(VerificationReport.Finding)
    }

    /// Reads one spill file whole and checks it: against its index row when given, else
    /// against its name.
    func inspect(fileName: String, expecting entry: SpillIndexEntry?) -> Inspection {
        let key = entry?.key ?? CacheKey(fileName: fileName)
        func corrupt(_ detail: String) -> Inspection {
            .bad(.init(kind: .corruptFile, file: fileName, key: key, detail: detail))
        }
        let filePath = "\(path)/\(fileName)"
        let size: Int
        do {
            size = try fileSystem.fileSize(atPath: filePath)
        } catch {
            guard access(filePath, F_OK) != 0 else { return corrupt("cannot read it: \(error)") }
            return .bad(
                .init(
                    kind: .missingFile, file: fileName, key: key,
                    detail: "the index has an entry for it, the file does not exist"))
        }
        let header: SpillFileFormat.Header
        do {
            header = try fileSystem.withFileStream(atPath: filePath) { stream in
                try SpillFileFormat.verify(from: &stream)
            }
        } catch {
            return corrupt("\(error)")
        }
        if let key, header.key != key {
            return corrupt("it holds the value of key \(header.key.hex), not \(key.hex)")
        }
        let expectedSize = header.headerSize + Int(header.payloadCount)
        if size != expectedSize {
            return corrupt("it is \(size) bytes long, its header says \(expectedSize)")
        }
        guard let entry else { return .sound(header) }
        if size != entry.size {
            return corrupt("it is \(size) bytes long, the index says \(entry.size)")
        }
        if header.typeFingerprint != entry.valueType {
            return corrupt("its value type differs from the index entry's")
        }
        if let function = header.function,
            function != StoredFunction(name: entry.function, version: entry.version).recorded
        {
            return corrupt(
                "it belongs to \(function.name) version \(function.version), the index says "
                    + "\(entry.function) version \(entry.version)")
        }
        return .sound(header)
    }
}

extension CacheKey {
    /// The key a spill file's name starts with (`<32 hex>-<generation>.spill`).
    init?(fileName: String) {
        guard fileName.utf8.count >= 32,
            let high = UInt64(fileName.prefix(16), radix: 16),
            let low = UInt64(fileName.dropFirst(16).prefix(16), radix: 16)
        else { return nil }
        self.init(high: high, low: low)
    }
}
