import Synchronization

/// A view of the cache's index for `MemoTesting` and the property tests: what each entry
/// is charged, where it lives and in what recency order, so tests can recount the
/// figures `stats` keeps and compare the spill files with the index.
extension SpillingCache {
    /// One entry of the index.
    package struct IndexEntry: Sendable, Equatable {
        package enum Tier: Sendable, Equatable { case memory, writing, disk }
        package var key: CacheKey
        package var tier: Tier
        /// `memoryCost + entryOverhead`.
        package var charge: Int
        /// The spill file's size (disk entries, and memory entries whose file is kept).
        package var fileBytes: Int
        /// The spill file's name (disk entries, and memory entries whose file is kept).
        package var fileName: String?
    }

    /// Memory entries then disk entries, each least recently used first.
    package var indexSnapshot: [IndexEntry] {
        withState { state in
            var slots = state.memoryEntriesInOrder
            var slot = state.diskList.head
            while slot >= 0 {
                slots.append(slot)
                slot = Int(state.nodes[slot].next)
            }
            return slots.map { slot in
                let node = state.nodes[slot]
                let tier: IndexEntry.Tier
                var hasFile = false
                switch node.tier {
                case .memory:
                    tier = .memory
                    hasFile = node.file == .kept
                case .writing: tier = .writing
                case .disk:
                    tier = .disk
                    hasFile = true
                case .free:
                    preconditionFailure("a freed slot in a recency list")
                }
                return IndexEntry(
                    key: node.key, tier: tier, charge: node.charge,
                    fileBytes: hasFile ? node.fileBytes : 0,
                    fileName: hasFile
                        ? SpillDirectory.fileName(for: node.key, generation: node.generation)
                        : nil)
            }
        }
    }
}
