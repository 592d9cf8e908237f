import Synchronization

/// A persistent directory's locks on computing a key: single flight across the processes
/// that share the directory. The SQLite index provides them with one byte of the lock file
/// per key (`memo-locks`); `MemoTesting`'s in-memory index with a set. A custom
/// ``SpillIndex`` without them still works: processes sharing it may then compute a key
/// more than once.
package protocol ComputationLocking: Sendable {
    /// Takes the lock on computing `key`. With `wait`, blocks until granted; otherwise
    /// returns `false` at once if another holder has it. A holder that dies releases it.
    func lockComputation(of key: CacheKey, wait: Bool) throws -> Bool

    /// Releases the lock ``lockComputation(of:wait:)`` took.
    func unlockComputation(of key: CacheKey)
}

/// The directory's computation locks as this process holds them, counted per key.
///
/// A leader takes a key's lock before it looks in the directory and computes, then hands
/// it to the write-behind worker, which releases it once the value is recorded: another
/// process waiting on the key finds the value, and the caller never waits for the disk.
/// Meanwhile a second leader of the same key in this process (the value was removed
/// before its write) holds it too; the byte is unlocked when the last holder releases it,
/// so no holder's lock is dropped under it.
final class ComputationLocks: Sendable {
    private let locking: any ComputationLocking
    /// The holders in this process of each key's lock.
    private let holders = Mutex<[CacheKey: Int]>([:])

    init(_ locking: any ComputationLocking) {
        self.locking = locking
    }

    /// Takes `key`'s lock: at once if this process holds it already, otherwise from the
    /// directory (blocking with `wait` until another process's holder releases it).
    func lock(_ key: CacheKey, wait: Bool) throws -> Bool {
        if holders.withTrackedLock({ holders in
            guard let count = holders[key] else { return false }
            holders[key] = count + 1
            return true
        }) {
            return true
        }
        // Outside the mutex: this may block on another process. A lock taken here while
        // this process's last holder releases the key (two leaders of one key in one
        // process, which needs the value removed between a store and its write, within
        // that instant) may have its byte unlocked: then another process may compute the
        // key too. Never a wrong value.
        guard try locking.lockComputation(of: key, wait: wait) else { return false }
        holders.withTrackedLock { $0[key, default: 0] += 1 }
        return true
    }

    /// Releases one hold of `key`'s lock; the last unlocks it in the directory.
    func unlock(_ key: CacheKey) {
        holders.withTrackedLock { holders in
            guard let count = holders[key] else { return }
            guard count == 1 else {
                holders[key] = count - 1
                return
            }
            holders[key] = nil
            // Under the mutex, so that a holder counted after this decision never has its
            // byte unlocked under it. It is one non-blocking fcntl on the empty lock file
            // (or a set's removal): no disk I/O, never a wait.
            locking.unlockComputation(of: key)
        }
    }
}
