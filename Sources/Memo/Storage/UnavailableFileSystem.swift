import SystemPackage

/// The file system of a cache whose spill directory could not be used: every write fails,
/// so entries that leave memory are dropped (and counted in `failures`) while everything
/// that fits in memory is still cached.
struct UnavailableFileSystem: SpillFileSystem {
    /// Why the directory could not be used, for the log.
    let reason: String

    func prepareDirectory(atPath path: String) throws {}
    func writeFile(atPath path: String, contents: SpillFileContents) throws {
        throw Errno.readOnlyFileSystem
    }
    func synchronizeFile(atPath path: String) throws { throw Errno.readOnlyFileSystem }
    func renameFile(atPath source: String, toPath destination: String) throws {
        throw Errno.readOnlyFileSystem
    }
    func synchronizeDirectory(atPath path: String) throws { throw Errno.readOnlyFileSystem }
    func readFile(atPath path: String) throws -> [UInt8] { throw Errno.noSuchFileOrDirectory }
    func removeFile(atPath path: String) throws { throw Errno.noSuchFileOrDirectory }
    func removeDirectory(atPath path: String) throws { throw Errno.noSuchFileOrDirectory }
    func contentsOfDirectory(atPath path: String) throws -> [String] { [] }
    func fileSize(atPath path: String) throws -> Int { throw Errno.noSuchFileOrDirectory }
}
