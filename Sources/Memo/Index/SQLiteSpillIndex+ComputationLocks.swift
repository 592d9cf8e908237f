#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif
import CPlatform
import Synchronization

/// The lock file beside the index (`memo-locks`): the directory's locks on computing a
/// key (one byte each), and the byte that says the directory is in use.
extension SQLiteSpillIndex: ComputationLocking {
    /// The lock file's name beside the index: one byte per key is locked in it.
    package static let lockFileName = "memo-locks"

    func openLockFile() {
        guard lockDescriptor.load(ordering: .relaxed) < 0 else { return }
        let lockPath = Self.lockFilePath(besideIndexAt: path)
        // A write lock needs a descriptor open for writing; without one (a read-only
        // directory) nothing is recorded there, so there is nothing to compute once.
        let descriptor = openDescriptor(lockPath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW)
        if descriptor >= 0,
            !lockDescriptor.compareExchange(expected: -1, desired: descriptor, ordering: .relaxed)
                .exchanged
        {
            close(descriptor)
        }
    }

    /// The lock file beside the index at `indexPath`.
    static func lockFilePath(besideIndexAt indexPath: String) -> String {
        let directory = indexPath.split(separator: "/", omittingEmptySubsequences: false)
            .dropLast().joined(separator: "/")
        return (directory.isEmpty ? "." : directory) + "/" + lockFileName
    }

    /// The byte of the lock file that every open index holds shared, and that rebuilding
    /// the index (`memo verify --repair`) takes exclusively: an index is never replaced
    /// under a process that has it open. Beyond every key's byte (see `lockOffset`).
    static let directoryInUseOffset: Int64 = 1 << 62

    /// Holds the directory-in-use byte shared for as long as this index is open; waits
    /// while a rebuild holds it (a rebuild is one pass over the files, and rare).
    func holdDirectoryInUse() {
        let descriptor = lockDescriptor.load(ordering: .relaxed)
        guard descriptor >= 0 else { return }
        while memo_byte_lock(descriptor, Self.directoryInUseOffset, 2, 1) != 0, errno == EINTR {}
    }

    /// The byte of the lock file that stands for `key` (any byte may be locked, the file
    /// stays empty). Two keys share a byte with probability 2⁻⁶², and then only wait for
    /// each other.
    private static func lockOffset(_ key: CacheKey) -> Int64 {
        Int64(bitPattern: key.low >> 2)
    }

    package func lockComputation(of key: CacheKey, wait: Bool) throws -> Bool {
        let descriptor = lockDescriptor.load(ordering: .relaxed)
        // Without a lock file (a read-only directory) nothing is written, so nothing can
        // be computed twice into it: go ahead.
        guard descriptor >= 0 else { return true }
        while true {
            if memo_byte_lock(descriptor, Self.lockOffset(key), 1, wait ? 1 : 0) == 0 {
                return true
            }
            switch errno {
            case EINTR: continue
            case EAGAIN, EACCES: return false
            default: throw SpillIndexError.unusable("lock file: errno \(errno)")
            }
        }
    }

    package func unlockComputation(of key: CacheKey) {
        let descriptor = lockDescriptor.load(ordering: .relaxed)
        guard descriptor >= 0 else { return }
        _ = memo_byte_lock(descriptor, Self.lockOffset(key), 0, 0)
    }
}
