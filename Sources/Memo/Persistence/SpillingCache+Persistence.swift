import Synchronization

extension SpillingCache {
    /// What a persistent cache adds: the directory's index and the queue of writes.
    final class Persistence: Sendable {
        let index: any SpillIndex
        /// The directory's locks on computing a key, when the index provides them.
        let locks: ComputationLocks?
        let queue: WriteBehindQueue
        /// The directory-wide disk budget, which the index holds.
        let maxDisk: Int?
        /// The versions each function has in the directory, read on its first miss that
        /// could be a version change.
        let storedVersions = Mutex<[String: [Int]]>([:])
        /// Whether a batch skips the writes superseded or removed before their turn
        /// (always, but in the benchmark that measures what skipping saves).
        let skipsSupersededWrites = Atomic(true)

        init(index: any SpillIndex, queue: WriteBehindQueue, maxDisk: Int?) {
            self.index = index
            self.locks = (index as? any ComputationLocking).map(ComputationLocks.init)
            self.queue = queue
            self.maxDisk = maxDisk
        }

        /// Lets go of the index's files (its connections and lock file), for a cache that
        /// was replaced (see ``SpillingCache/retire()``).
        func closeFiles() {
            (index as? SQLiteSpillIndex)?.closeFiles()
        }
    }
}
