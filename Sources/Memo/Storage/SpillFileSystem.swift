/// The seam between the cache and the disk: every file operation the disk tier performs.
///
/// ``LocalFileSystem`` is the real one. `MemoTesting` ships an in-memory one and a
/// fault-injecting wrapper, so tests can lose, corrupt or refuse any operation.
///
/// Paths are absolute strings. Errors are thrown as they come (the local file system
/// throws `Errno`); the cache treats any error as the loss of one entry, never of
/// correctness.
public protocol SpillFileSystem: Sendable {
    /// Creates `path` with mode 0700 if absent, and checks that it is a directory of this
    /// user's that is not a symbolic link.
    ///
    /// - Throws: ``SpillDirectoryError`` when the path is unusable.
    func prepareDirectory(atPath path: String) throws

    /// Creates or replaces the file at `path` (mode 0600) with `contents`.
    func writeFile(atPath path: String, contents: SpillFileContents) throws

    /// Makes the file's contents durable (fsync).
    func synchronizeFile(atPath path: String) throws

    /// Atomically renames `source` to `destination`, replacing it.
    func renameFile(atPath source: String, toPath destination: String) throws

    /// Makes the directory's entries (creations, renames, removals) durable.
    func synchronizeDirectory(atPath path: String) throws

    /// Makes every file in the directory at `path`, and its entries, durable: what
    /// `flush()` needs. ``LocalFileSystem`` does it with one `syncfs`; the default syncs
    /// each file, then the directory.
    func synchronizeAll(inDirectory path: String) throws

    /// The whole contents of the file at `path`.
    func readFile(atPath path: String) throws -> [UInt8]

    /// Calls `body` with a stream over the file at `path`, from its start. The default
    /// reads the whole file with ``readFile(atPath:)``; ``LocalFileSystem`` reads from the
    /// descriptor as the stream is consumed.
    func withFileStream<Result>(
        atPath path: String, _ body: (inout SpillFileStream) throws -> Result
    ) throws -> Result

    /// Removes the file at `path`.
    func removeFile(atPath path: String) throws

    /// Removes the directory at `path`, which must be empty.
    func removeDirectory(atPath path: String) throws

    /// The names (not paths) of the entries of the directory at `path`.
    func contentsOfDirectory(atPath path: String) throws -> [String]

    /// The size in bytes of the file at `path`.
    func fileSize(atPath path: String) throws -> Int
}

extension SpillFileSystem {
    /// Syncs each file of the directory, then the directory.
    public func synchronizeAll(inDirectory path: String) throws {
        for name in try contentsOfDirectory(atPath: path) {
            let file = "\(path)/\(name)"
            if (try? fileSize(atPath: file)) != nil { try synchronizeFile(atPath: file) }
        }
        try synchronizeDirectory(atPath: path)
    }
}

/// The bytes of a spill file, as a sequence of chunks written in order.
///
/// Large arrays are chunks of their own, read in place from the array's memory.
public struct SpillFileContents: Sendable {
    let chunks: [SpillChunk]

    init(chunks: [SpillChunk]) {
        self.chunks = chunks
    }

    /// Contents made of one buffer.
    public init(_ bytes: [UInt8]) {
        self.chunks = [.bytes(bytes)]
    }

    /// The total size in bytes.
    public var count: Int { chunks.reduce(0) { $0 + $1.count } }

    /// Calls `body` with each chunk's bytes, in order.
    public func forEachChunk(_ body: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        for chunk in chunks { try chunk.withBytes(body) }
    }

    /// All the bytes in one array (a copy; for in-memory file systems and tests).
    public var bytes: [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(count)
        forEachChunk { result.append(contentsOf: $0) }
        return result
    }
}

/// Why a cache directory cannot be used.
public struct SpillDirectoryError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong with the directory.
    public enum Reason: Sendable, Equatable {
        /// The path is a symbolic link; the cache never follows one.
        case symbolicLink
        /// Something other than a directory is at the path.
        case notADirectory
        /// The directory belongs to another user.
        case ownedByAnotherUser(owner: UInt32)
        /// The directory could not be created or inspected; `errno` says why.
        case inaccessible(errno: Int32)
    }

    /// The directory's path.
    public let path: String
    /// What is wrong with it.
    public let reason: Reason

    /// An error for the directory at `path`.
    public init(path: String, reason: Reason) {
        self.path = path
        self.reason = reason
    }

    /// A sentence naming the path, the problem and what is accepted.
    public var description: String {
        let problem: String
        switch reason {
        case .symbolicLink: problem = "it is a symbolic link"
        case .notADirectory: problem = "it is not a directory"
        case .ownedByAnotherUser(let owner): problem = "it belongs to user \(owner)"
        case .inaccessible(let code): problem = "it cannot be created or inspected (errno \(code))"
        }
        return "unusable cache directory \"\(path)\": \(problem); the cache needs a real "
            + "directory owned by the current user (it creates one, mode 0700, if absent)"
    }
}
