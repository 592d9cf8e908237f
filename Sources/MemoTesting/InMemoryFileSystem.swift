public import Memo
import Synchronization
import SystemPackage

/// A whole `SpillFileSystem` in memory, with the durability of a real disk.
///
/// What a process sees and what would survive a power cut are kept apart: a file's data
/// is durable once `synchronizeFile` ran after its last write, and a name (a creation,
/// rename or removal) once `synchronizeDirectory` ran on its directory. ``crash()`` throws
/// away everything that was not durable, as a power cut would: unsynced data comes back
/// empty, unsynced renames are undone.
public final class InMemoryFileSystem: SpillFileSystem {
    private struct File {
        var data: [UInt8]
        var durableData: [UInt8]?
    }

    private struct State {
        var directories: Set<String> = []
        /// The names a process sees, to file identities.
        var names: [String: Int] = [:]
        /// The names that survive a crash.
        var durableNames: [String: Int] = [:]
        var files: [Int: File] = [:]
        var nextIdentity = 0
    }

    private let state = Mutex(State())

    /// An empty file system.
    public init() {}

    public func prepareDirectory(atPath path: String) throws {
        state.withTrackedLock { state in
            var prefix = ""
            for component in path.split(separator: "/") {
                prefix += "/" + component
                state.directories.insert(prefix)
            }
        }
    }

    public func writeFile(atPath path: String, contents: SpillFileContents) throws {
        let bytes = contents.bytes
        try state.withTrackedLock { state in
            try Self.requireParent(of: path, in: state)
            state.nextIdentity += 1
            state.files[state.nextIdentity] = File(data: bytes, durableData: nil)
            state.names[path] = state.nextIdentity
        }
    }

    public func synchronizeFile(atPath path: String) throws {
        try state.withTrackedLock { state in
            guard let identity = state.names[path] else { throw Errno.noSuchFileOrDirectory }
            state.files[identity]!.durableData = state.files[identity]!.data
        }
    }

    public func renameFile(atPath source: String, toPath destination: String) throws {
        try state.withTrackedLock { state in
            guard let identity = state.names[source] else { throw Errno.noSuchFileOrDirectory }
            try Self.requireParent(of: destination, in: state)
            state.names[source] = nil
            state.names[destination] = identity
        }
    }

    public func synchronizeDirectory(atPath path: String) throws {
        state.withTrackedLock { state in
            let prefix = path + "/"
            state.durableNames = state.durableNames.filter { !Self.isChild($0.key, of: prefix) }
            for (name, identity) in state.names where Self.isChild(name, of: prefix) {
                state.durableNames[name] = identity
            }
        }
    }

    public func readFile(atPath path: String) throws -> [UInt8] {
        try state.withTrackedLock { state in
            guard let identity = state.names[path] else { throw Errno.noSuchFileOrDirectory }
            return state.files[identity]!.data
        }
    }

    public func removeFile(atPath path: String) throws {
        try state.withTrackedLock { state in
            guard state.names.removeValue(forKey: path) != nil else {
                throw Errno.noSuchFileOrDirectory
            }
        }
    }

    public func removeDirectory(atPath path: String) throws {
        try state.withTrackedLock { state in
            guard state.directories.contains(path) else { throw Errno.noSuchFileOrDirectory }
            let prefix = path + "/"
            guard !state.names.keys.contains(where: { $0.hasPrefix(prefix) }),
                !state.directories.contains(where: { $0.hasPrefix(prefix) })
            else { throw Errno.directoryNotEmpty }
            state.directories.remove(path)
        }
    }

    public func contentsOfDirectory(atPath path: String) throws -> [String] {
        try state.withTrackedLock { state in
            guard state.directories.contains(path) else { throw Errno.noSuchFileOrDirectory }
            let prefix = path + "/"
            return state.names.keys.filter { Self.isChild($0, of: prefix) }
                .map { String($0.dropFirst(prefix.count)) }
                .sorted()
        }
    }

    public func fileSize(atPath path: String) throws -> Int {
        try state.withTrackedLock { state in
            guard let identity = state.names[path] else { throw Errno.noSuchFileOrDirectory }
            return state.files[identity]!.data.count
        }
    }

    /// Loses everything a power cut would: names not made durable by a directory sync
    /// and data not made durable by a file sync.
    public func crash() {
        state.withTrackedLock { state in
            state.names = state.durableNames
            let live = Set(state.names.values)
            state.files = state.files.filter { live.contains($0.key) }
            for identity in state.files.keys {
                let durable = state.files[identity]!.durableData ?? []
                state.files[identity] = File(data: durable, durableData: durable)
            }
        }
    }

    /// Every file path a process sees, sorted: for tests that compare the disk with an
    /// index.
    public var allFilePaths: [String] {
        state.withTrackedLock { $0.names.keys.sorted() }
    }

    /// Replaces a file's bytes in place, as another process (or a bad disk) might.
    public func overwriteFile(atPath path: String, with bytes: [UInt8]) throws {
        try state.withTrackedLock { state in
            guard let identity = state.names[path] else { throw Errno.noSuchFileOrDirectory }
            state.files[identity]!.data = bytes
        }
    }

    private static func isChild(_ name: String, of prefix: String) -> Bool {
        name.hasPrefix(prefix) && !name.dropFirst(prefix.count).contains("/")
    }

    private static func requireParent(of path: String, in state: State) throws {
        guard let slash = path.lastIndex(of: "/") else { throw Errno.invalidArgument }
        let parent = String(path[..<slash])
        guard parent.isEmpty || state.directories.contains(parent) else {
            throw Errno.noSuchFileOrDirectory
        }
    }
}
