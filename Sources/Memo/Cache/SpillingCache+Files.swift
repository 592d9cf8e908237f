import SystemPackage

/// The cache's spill files: written under a temporary name and renamed into place,
/// always with the state's lock released.
extension SpillingCache {
    /// The value of `type` in the spill file at `path`, checked against `key`, `function`
    /// and the file's checksum: what every read of a value's file goes through.
    func readSpillFile(
        atPath path: String, key: CacheKey, type: any Spillable.Type, function: StoredFunction?
    ) throws -> any Spillable {
        try fileSystem.withFileStream(atPath: path) { stream in
            try SpillFileFormat.decodeAny(from: &stream, key: key, type: type, function: function)
        }
    }

    /// Writes one spill file under a temporary name and renames it into place. On any
    /// error the temporary file is removed and the error rethrown.
    func write(_ job: CacheState.SpillJob) throws -> Int {
        let contents = try SpillFileFormat.encodeAny(
            job.value, key: job.key, function: job.function)
        let path = self.path(for: job.key, generation: job.generation)
        let temporary = path + ".tmp"
        do {
            do {
                try fileSystem.writeFile(atPath: temporary, contents: contents)
            } catch Errno.noSuchFileOrDirectory where ownsDirectory {
                // removeAll() removes the directory the cache generated; make it again,
                // once. Any other error is the write's failure.
                try fileSystem.prepareDirectory(atPath: directory)
                try fileSystem.writeFile(atPath: temporary, contents: contents)
            }
            try fileSystem.renameFile(atPath: temporary, toPath: path)
        } catch {
            try? fileSystem.removeFile(atPath: temporary)
            throw error
        }
        return contents.count
    }

    func removeFiles(_ removals: [UInt64: CacheKey]) {
        for (generation, key) in removals {
            try? fileSystem.removeFile(atPath: path(for: key, generation: generation))
        }
    }

    func path(for key: CacheKey, generation: UInt64) -> String {
        "\(directory)/\(SpillDirectory.fileName(for: key, generation: generation))"
    }
}
