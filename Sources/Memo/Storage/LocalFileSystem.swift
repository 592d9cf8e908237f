#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif
import CPlatform
import SystemPackage

/// The real file system, through POSIX calls.
///
/// Files are created 0600 and directories 0700. Errors are thrown as swift-system's
/// `Errno`.
public struct LocalFileSystem: SpillFileSystem {
    /// The local file system.
    public init() {}

    public func prepareDirectory(atPath path: String) throws {
        let filePath = FilePath(path)
        let status: Stat
        do {
            status = try filePath.stat(followTargetSymlink: false)
        } catch Errno.noSuchFileOrDirectory {
            // Create missing parents with the default mode; only the cache's own folder is
            // locked down to 0700.
            let parent = filePath.removingLastComponent()
            if !parent.isEmpty, parent != filePath { createDirectories(parent) }
            guard mkdir(path, 0o700) == 0 || errno == EEXIST else {
                throw SpillDirectoryError(path: path, reason: .inaccessible(errno: errno))
            }
            return try prepareDirectory(atPath: path)
        } catch {
            throw SpillDirectoryError(path: path, reason: .inaccessible(errno: error.rawValue))
        }
        switch status.type {
        case .symbolicLink: throw SpillDirectoryError(path: path, reason: .symbolicLink)
        case .directory: break
        default: throw SpillDirectoryError(path: path, reason: .notADirectory)
        }
        let owner = status.userID.rawValue
        guard owner == geteuid() else {
            throw SpillDirectoryError(path: path, reason: .ownedByAnotherUser(owner: owner))
        }
    }

    /// `mkdir -p` for the parents; a failure shows up as the cache folder's own mkdir
    /// failing, with its errno.
    private func createDirectories(_ path: FilePath) {
        if (try? path.stat()) != nil { return }
        let parent = path.removingLastComponent()
        if !parent.isEmpty, parent != path { createDirectories(parent) }
        _ = path.withPlatformString { mkdir($0, 0o755) }
    }

    public func writeFile(atPath path: String, contents: SpillFileContents) throws {
        let descriptor = try FileDescriptor.open(
            FilePath(path), .writeOnly, options: [.create, .truncate, .noFollow],
            permissions: [.ownerReadWrite])
        try descriptor.closeAfter {
            try contents.forEachChunk { chunk in
                _ = try descriptor.writeAll(chunk)
            }
        }
    }

    public func synchronizeFile(atPath path: String) throws {
        let descriptor = try FileDescriptor.open(FilePath(path), .readOnly)
        try descriptor.closeAfter {
            guard fsync(descriptor.rawValue) == 0 else { throw Errno(rawValue: errno) }
        }
    }

    public func renameFile(atPath source: String, toPath destination: String) throws {
        guard rename(source, destination) == 0 else { throw Errno(rawValue: errno) }
    }

    public func synchronizeDirectory(atPath path: String) throws {
        let descriptor = try FileDescriptor.open(FilePath(path), .readOnly, options: [.directory])
        try descriptor.closeAfter {
            guard fsync(descriptor.rawValue) == 0 else { throw Errno(rawValue: errno) }
        }
    }

    /// One `syncfs` of the file system holding `path`: every file written there, and every
    /// rename, becomes durable in one call rather than one `fsync` per file.
    public func synchronizeAll(inDirectory path: String) throws {
        let descriptor = try FileDescriptor.open(FilePath(path), .readOnly, options: [.directory])
        try descriptor.closeAfter {
            guard memo_syncfs(descriptor.rawValue) == 0 else { throw Errno(rawValue: errno) }
        }
    }

    public func readFile(atPath path: String) throws -> [UInt8] {
        let descriptor = try FileDescriptor.open(FilePath(path), .readOnly)
        return try descriptor.closeAfter {
            let size = Int(try descriptor.stat().size)
            // Not `unsafeUninitializedCapacity: 0`, which writes into the shared empty
            // array (a race ThreadSanitizer reports; see `CompactDecoder.block`).
            guard size > 0 else { return [UInt8]() }
            var bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
                initialized = 0
                while initialized < size {
                    let slice = UnsafeMutableRawBufferPointer(
                        UnsafeMutableBufferPointer(rebasing: buffer[initialized...]))
                    guard let read = try? descriptor.read(into: slice), read > 0 else { break }
                    initialized += read
                }
            }
            // A file that grew while we read it was being replaced; read the tail too, so
            // the checksum, not a short read, decides.
            var tail = [UInt8](repeating: 0, count: 4096)
            while let read = try? tail.withUnsafeMutableBytes({ try descriptor.read(into: $0) }),
                read > 0
            {
                bytes.append(contentsOf: tail[..<read])
            }
            return bytes
        }
    }

    public func withFileStream<Result>(
        atPath path: String, _ body: (inout SpillFileStream) throws -> Result
    ) throws -> Result {
        let descriptor = try FileDescriptor.open(FilePath(path), .readOnly)
        return try descriptor.closeAfter {
            let size = Int(try descriptor.stat().size)
            var stream = SpillFileStream(size: size) { buffer in
                try descriptor.read(into: buffer)
            }
            return try body(&stream)
        }
    }

    public func removeFile(atPath path: String) throws {
        guard unlink(path) == 0 else { throw Errno(rawValue: errno) }
    }

    public func removeDirectory(atPath path: String) throws {
        guard rmdir(path) == 0 else { throw Errno(rawValue: errno) }
    }

    public func contentsOfDirectory(atPath path: String) throws -> [String] {
        guard let directory = opendir(path) else { throw Errno(rawValue: errno) }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    public func fileSize(atPath path: String) throws -> Int {
        Int(try FilePath(path).stat(followTargetSymlink: false).size)
    }
}
