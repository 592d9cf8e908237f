#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif
import Synchronization

/// Names and places of spill files.
///
/// A spill file is `<key hex>-<generation hex>.spill`; it is written as that name plus
/// `.tmp` and renamed into place, so a reader sees the old state or the new, never half a
/// file. The generation makes every stored value's file name unique, so a late write of a
/// replaced value can never clobber or delete its successor's file.
enum SpillDirectory {
    static let fileSuffix = ".spill"
    static let temporarySuffix = ".spill.tmp"

    static func fileName(for key: CacheKey, generation: UInt64) -> String {
        "\(key.hex)-\(String(generation, radix: 16))\(fileSuffix)"
    }

    /// Whether a directory entry is one of ours (a spill file or a leftover temporary).
    static func isSpillFileName(_ name: String) -> Bool {
        name.hasSuffix(fileSuffix) || name.hasSuffix(temporarySuffix)
    }

    /// A fresh path for this user and process under `$TMPDIR` (or `/tmp`), never a fixed
    /// shared name: `memo-<uid>-<pid>-<random>`.
    static func defaultPath() -> String {
        var base = "/tmp"
        if let tmp = getenv("TMPDIR"), let text = String(validatingCString: tmp), !text.isEmpty {
            base = text.hasSuffix("/") && text.count > 1 ? String(text.dropLast()) : text
        }
        let random = UInt64.random(in: 0...UInt64.max)
        return "\(base)/memo-\(geteuid())-\(getpid())-\(String(random, radix: 16))"
    }

    /// Removes every spill file in `directory` (with `throughGeneration`, only those of
    /// that generation or older), and the directory itself when `owned` and empty. Errors
    /// are ignored: this is best-effort cleanup of files nobody will read.
    ///
    /// `removeAll()` empties the cache's state first and then cleans through the last
    /// generation it had: a value stored meanwhile, by another thread, has a newer
    /// generation, and its file (perhaps being written at that moment) stays.
    static func clean(
        _ directory: String, owned: Bool, fileSystem: any SpillFileSystem,
        throughGeneration last: UInt64? = nil
    ) {
        guard let names = try? fileSystem.contentsOfDirectory(atPath: directory) else { return }
        for name in names where isSpillFileName(name) {
            if let last, let generation = generation(of: name), generation > last { continue }
            try? fileSystem.removeFile(atPath: "\(directory)/\(name)")
        }
        if owned { try? fileSystem.removeDirectory(atPath: directory) }
    }

    /// The generation a spill file's name (or its temporary's) records.
    static func generation(of name: String) -> UInt64? {
        var base = Substring(name)
        if base.hasSuffix(temporarySuffix) {
            base = base.dropLast(temporarySuffix.utf8.count)
        } else if base.hasSuffix(fileSuffix) {
            base = base.dropLast(fileSuffix.utf8.count)
        } else {
            return nil
        }
        guard let dash = base.lastIndex(of: "-") else { return nil }
        return UInt64(base[base.index(after: dash)...], radix: 16)
    }
}
