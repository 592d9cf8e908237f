/// Why the `memo` tool cannot work on a directory. Each says what was wrong and what is
/// accepted, in one sentence.
package enum MaintenanceError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Nothing exists at the path.
    case missing(path: String)
    /// The path is not a directory.
    case notADirectory(path: String)
    /// The directory holds neither an index nor spill files.
    case notACache(path: String)
    /// The directory belongs to another user: caches are private to their user.
    case ownedByAnotherUser(path: String, owner: UInt32, user: UInt32)
    /// The directory's index is missing (spill files without one) and needs a rebuild.
    case indexMissing(path: String)
    /// The index cannot be read or changed.
    case index(path: String, SpillIndexError)
    /// Rebuilding the index needs the directory to itself, and a process has it open.
    case inUse(path: String)
    /// A file operation failed.
    case io(path: String, String)

    package var description: String {
        switch self {
        case .missing(let path):
            return "\(path): no such directory; give the path of a persistent Memo cache "
                + "(CacheConfiguration.directory; by default ~/.cache/memo)"
        case .notADirectory(let path):
            return "\(path): not a directory; give the directory of a persistent Memo cache"
        case .notACache(let path):
            return "\(path): not a Memo cache (no memo-index.sqlite and no .spill files); "
                + "give a directory a persistent cache has written to"
        case .ownedByAnotherUser(let path, let owner, let user):
            return "\(path): belongs to user \(owner), not to you (user \(user)); a cache "
                + "directory is private to its user: run memo as user \(owner)"
        case .indexMissing(let path):
            return "\(path): the index memo-index.sqlite is missing; "
                + "`memo verify --repair` rebuilds it from the spill files"
        case .index(let path, let error):
            return "\(path): \(error)"
        case .inUse(let path):
            return "\(path): a process has this cache open; rebuilding the index needs the "
                + "directory to itself: stop the programs using it and try again"
        case .io(let path, let reason):
            return "\(path): \(reason)"
        }
    }
}
