#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Names and places in a persistent directory.
///
/// ```
/// DIR/memo-index.sqlite      the index (SQLite, WAL mode), with -wal and -shm beside it
/// DIR/memo-locks             one byte locked per key being computed (single flight)
/// DIR/<key>-<generation>.spill
/// DIR/<key>-<generation>.spill.tmp    the same file while it is written
/// ```
///
/// The cache only ever reads, deletes or overwrites names of these forms: whatever else
/// the directory holds is left alone. A spill file is reserved in the index from before
/// it is written until it is recorded, and again from when its entry is dropped until it
/// is deleted, so a process that dies never leaves one that nothing refers to.
enum PersistentDirectory {
    /// `$XDG_CACHE_HOME/memo`, or `$HOME/.cache/memo`: per user, never a shared name.
    static func defaultPath() -> String {
        if let value = getenv("XDG_CACHE_HOME"), let text = String(validatingCString: value),
            text.hasPrefix("/")
        {
            return text + "/memo"
        }
        if let value = getenv("HOME"), let text = String(validatingCString: value),
            text.hasPrefix("/")
        {
            return (text == "/" ? "" : text) + "/.cache/memo"
        }
        return "/tmp/memo-\(geteuid())"
    }

    /// A random start for this cache's generations: file names stay unique among every
    /// process that writes to the directory (two starts 2⁶² apart collide with odds of
    /// one in 2⁴⁰ after a million writes each).
    static func firstGeneration() -> UInt64 {
        UInt64.random(in: 0..<(1 << 62)) << 1
    }

    /// Whether `name` is a spill file name (`<32 hex>-<hex>.spill`) of `key`.
    static func isFileName(_ name: String, of key: CacheKey) -> Bool {
        name.hasPrefix(key.hex + "-") && generation(of: name) != nil
    }

    /// Whether `name` is a spill file name of any key.
    static func isSpillFileName(_ name: String) -> Bool {
        let utf8 = Array(name.utf8)
        guard utf8.count > 33, utf8[32] == UInt8(ascii: "-"),
            utf8[..<32].allSatisfy(isLowercaseHex)
        else { return false }
        return generation(of: name) != nil
    }

    /// The generation a spill file name records.
    static func generation(of name: String) -> UInt64? {
        guard name.hasSuffix(SpillDirectory.fileSuffix), name.utf8.count > 33 else { return nil }
        let start = name.utf8.index(name.utf8.startIndex, offsetBy: 33)
        let end = name.utf8.index(name.utf8.endIndex, offsetBy: -SpillDirectory.fileSuffix.utf8.count)
        guard start < end, name.utf8[start..<end].allSatisfy(isLowercaseHex) else { return nil }
        return UInt64(Substring(name.utf8[start..<end]), radix: 16)
    }

    private static func isLowercaseHex(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
            || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
    }

    /// Removes what processes that died left behind: the files they reserved in the
    /// index (see ``SpillIndexChange/reserve(fileName:owner:)``) and never recorded or
    /// deleted, with their temporary names. Only the reservations are read, never a
    /// listing of the directory.
    ///
    /// - Returns: how many reservations of dead processes were found and cleaned up.
    @discardableResult
    static func removeLeftovers(
        in directory: String, fileSystem: any SpillFileSystem, index: any SpillIndex
    ) -> Int {
        let abandoned = ((try? index.reservations()) ?? []).filter { isDead($0.owner) }
        guard !abandoned.isEmpty else { return 0 }
        try? deleteAndRelease(
            abandoned.map(\.fileName), in: directory, fileSystem: fileSystem, index: index)
        return abandoned.count
    }

    /// The second half of every removal: deletes reserved files (and their temporary
    /// names), then releases their reservations, 512 to a transaction. Names that are not
    /// spill file names are released but never deleted.
    static func deleteAndRelease(
        _ fileNames: [String], in directory: String, fileSystem: any SpillFileSystem,
        index: any SpillIndex
    ) throws {
        for name in fileNames where isSpillFileName(name) {
            try? fileSystem.removeFile(atPath: "\(directory)/\(name).tmp")
            try? fileSystem.removeFile(atPath: "\(directory)/\(name)")
        }
        for start in stride(from: 0, to: fileNames.count, by: 512) {
            let batch = fileNames[start..<min(start + 512, fileNames.count)]
            _ = try index.apply(
                batch.map { .release(fileName: $0) }, maxBytes: nil, owner: processID)
        }
    }

    /// Whether this process may create files in `directory` (a read-only mount, or
    /// permissions, may say no even to a directory it owns).
    static func isWritable(_ directory: String) -> Bool {
        access(directory, W_OK) == 0
    }

    /// This process's id: the owner of its reservations and temporary files.
    static var processID: Int32 { getpid() }

    /// Whether process `pid` is gone (never this process: a live one may still write).
    static func isDead(_ pid: Int32) -> Bool {
        pid != getpid() && kill(pid, 0) != 0 && errno == ESRCH
    }
}

/// Milliseconds since the Unix epoch, from the real-time clock.
func wallClockMilliseconds() -> Int64 {
    var time = timespec()
    clock_gettime(CLOCK_REALTIME, &time)
    return Int64(time.tv_sec) * 1000 + Int64(time.tv_nsec) / 1_000_000
}
