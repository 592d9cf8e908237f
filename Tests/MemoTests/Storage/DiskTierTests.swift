import Foundation
import Memo
import MemoTesting
import SystemPackage
import Testing

/// The disk tier on a real, fresh temporary directory.
@Suite("Disk tier on a real directory")
struct DiskTierTests {
    /// A cache spilling into a fresh directory, with a fault injector over the real disk.
    struct RealDisk {
        let path: String
        let faults = FaultInjectingFileSystem(wrapping: LocalFileSystem())
        let cache: SpillingCache

        init(maxMemory: Int) throws {
            path = temporaryDirectoryPath()
            var configuration = CacheConfiguration()
            configuration.maxMemory = ByteCount(maxMemory)
            configuration.directory = path
            configuration.fileSystem = faults
            configuration.logger = quietLogger
            cache = try SpillingCache(configuration)
        }

        var files: [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
        }

        /// The total size of the files in the directory.
        var fileBytes: Int {
            files.reduce(0) {
                $0 + ((try? FileManager.default.attributesOfItem(atPath: "\(path)/\($1)")[.size]
                    as? Int) ?? 0)
            }
        }

        func spillPath(of key: CacheKey) throws -> String {
            let name = try #require(files.first { $0.hasPrefix(key.hex) })
            return "\(path)/\(name)"
        }

        func cleanUp() { try? FileManager.default.removeItem(atPath: path) }
    }

    /// Stores two spilled `[Double]`s (keys 1 and 2) and one in memory (key 3).
    func spilledPair() throws -> (RealDisk, [Double], [Double]) {
        let first = (0..<64).map { Double($0) }
        let second = (0..<64).map { Double($0) * -2 }
        let charge = first.memoryCost + SpillingCache.entryOverhead
        let disk = try RealDisk(maxMemory: charge)
        disk.cache.store(first, forKey: key(1))
        disk.cache.store(second, forKey: key(2))
        disk.cache.store(first, forKey: key(3))
        #expect(disk.cache.stats.diskEntries == 2)
        return (disk, first, second)
    }

    @Test("spilled values reload exactly from real files")
    func roundTrip() throws {
        let (disk, first, second) = try spilledPair()
        defer { disk.cleanUp() }
        #expect(disk.cache.value(forKey: key(1), as: [Double].self) == first)
        #expect(disk.cache.value(forKey: key(2), as: [Double].self) == second)
        #expect(disk.cache.stats.diskHits == 2)
        #expect(disk.cache.stats.failures == 0)
    }

    @Test("directory is 0700, spill files 0600")
    func permissions() throws {
        let (disk, _, _) = try spilledPair()
        defer { disk.cleanUp() }
        let directoryMode = try FilePath(disk.path).stat().permissions
        #expect(directoryMode == .ownerReadWriteExecute)
        for name in disk.files {
            #expect(try FilePath("\(disk.path)/\(name)").stat().permissions == .ownerReadWrite)
        }
    }

    @Test("a corrupted file is a miss, is removed and counts as a failure")
    func corrupted() throws {
        let (disk, _, second) = try spilledPair()
        defer { disk.cleanUp() }
        try disk.faults.corruptFile(atPath: try disk.spillPath(of: key(1)))
        #expect(disk.cache.value(forKey: key(1), as: [Double].self) == nil)
        #expect(disk.cache.value(forKey: key(2), as: [Double].self) == second)
        let stats = disk.cache.stats
        #expect(stats.failures == 1)
        #expect(stats.misses == 1)
        #expect(!disk.files.contains { $0.hasPrefix(key(1).hex) }, "the corrupt file is removed")
        #expect(stats.diskBytes == disk.fileBytes, "diskBytes counts every file, kept ones too")
    }

    @Test("a truncated file is a miss", arguments: [0, 10, 63, 64, 100, 500])
    func truncated(length: Int) throws {
        let (disk, _, second) = try spilledPair()
        defer { disk.cleanUp() }
        try disk.faults.truncateFile(atPath: try disk.spillPath(of: key(1)), to: length)
        #expect(disk.cache.value(forKey: key(1), as: [Double].self) == nil)
        #expect(disk.cache.value(forKey: key(2), as: [Double].self) == second)
        #expect(disk.cache.stats.failures == 1)
        #expect(disk.fileBytes == disk.cache.stats.diskBytes)
    }

    @Test("swapped files are misses, never the other key's value")
    func swapped() throws {
        let (disk, _, _) = try spilledPair()
        defer { disk.cleanUp() }
        try disk.faults.swapFiles(try disk.spillPath(of: key(1)), try disk.spillPath(of: key(2)))
        #expect(disk.cache.value(forKey: key(1), as: [Double].self) == nil)
        #expect(disk.cache.value(forKey: key(2), as: [Double].self) == nil)
        #expect(disk.cache.stats.failures == 2)
        #expect(disk.fileBytes == disk.cache.stats.diskBytes)
    }

    @Test("a file renamed under another key's name is refused by the key in its header")
    func renamedUnderAnotherKey() throws {
        let (disk, _, _) = try spilledPair()
        defer { disk.cleanUp() }
        let target = try disk.spillPath(of: key(1))
        try FileManager.default.removeItem(atPath: target)
        try FileManager.default.copyItem(atPath: try disk.spillPath(of: key(2)), toPath: target)
        #expect(disk.cache.value(forKey: key(1), as: [Double].self) == nil)
        #expect(disk.cache.stats.failures == 1)
    }

    @Test("a file deleted behind the cache's back is a miss")
    func deleted() throws {
        let (disk, _, second) = try spilledPair()
        defer { disk.cleanUp() }
        try disk.faults.deleteFile(atPath: try disk.spillPath(of: key(1)))
        #expect(disk.cache.value(forKey: key(1), as: [Double].self) == nil)
        #expect(disk.cache.value(forKey: key(2), as: [Double].self) == second)
        let stats = disk.cache.stats
        #expect(stats.failures == 1)
        #expect(stats.diskBytes == disk.fileBytes, "diskBytes counts every file, kept ones too")
    }

    @Test(
        "a failed write drops only that entry, leaves no temporary file, keeps counts exact",
        arguments: [
            FaultInjectingFileSystem.Action.fail(.noSpace), .fail(.ioError),
            .shortWrite(keeping: 10),
        ])
    func failedWrite(action: FaultInjectingFileSystem.Action) throws {
        let (disk, _, _) = try spilledPair()
        defer { disk.cleanUp() }
        disk.faults.inject(.init(.write, on: .nth(1), action: action))
        disk.cache.store([7.0], forKey: key(4))  // spills key(3); its write fails
        var stats = disk.cache.stats
        #expect(stats.failures == 1)
        #expect(stats.spills == 2)
        #expect(stats.diskEntries == 2)
        #expect(disk.files.count == 2, "no temporary or partial file: \(disk.files)")
        #expect(!disk.files.contains { $0.hasSuffix(".tmp") })
        #expect(disk.cache.value(forKey: key(3), as: [Double].self) == nil)
        #expect(disk.cache.value(forKey: key(4), as: [Double].self) == [7.0])
        stats = disk.cache.stats
        #expect(stats.memoryBytes <= disk.cache.configuration.maxMemory.bytes)
        #expect(disk.faults.injectedFaults.count == 1)
    }

    @Test("a spill never writes through a symbolic link planted at its temporary name")
    func symbolicLinkAtTemporaryName() throws {
        let disk = try RealDisk(maxMemory: 1_000)
        defer { disk.cleanUp() }
        let target = temporaryDirectoryPath()
        #expect(FileManager.default.createFile(atPath: target, contents: Data("victim".utf8)))
        defer { try? FileManager.default.removeItem(atPath: target) }
        // The first stored value is generation 1; an oversized one is written at once.
        let planted = "\(disk.path)/\(key(1).hex)-1.spill.tmp"
        try FileManager.default.createSymbolicLink(atPath: planted, withDestinationPath: target)
        disk.cache.store([Double](repeating: 1, count: 1_000), forKey: key(1))
        #expect(disk.cache.stats.failures == 1)
        #expect(disk.cache.stats.diskEntries == 0)
        #expect(FileManager.default.contents(atPath: target) == Data("victim".utf8))
    }

    @Test("a failed rename leaves no temporary file")
    func failedRename() throws {
        let (disk, _, _) = try spilledPair()
        defer { disk.cleanUp() }
        disk.faults.inject(.init(.rename, on: .always, action: .fail(.readOnlyFileSystem)))
        disk.cache.store([7.0], forKey: key(4))
        #expect(!disk.files.contains { $0.hasSuffix(".tmp") })
        #expect(disk.cache.stats.failures == 1)
    }

    @Test("removeAll deletes every spill file; the generated directory is removed too")
    func removeAllDeletesFiles() throws {
        let (disk, _, _) = try spilledPair()
        defer { disk.cleanUp() }
        disk.cache.removeAll()
        #expect(disk.files.isEmpty)

        var configuration = CacheConfiguration()
        configuration.maxMemory = .bytes(SpillingCache.entryOverhead + 100)
        let generated = try SpillingCache(configuration)
        #expect(generated.directory.contains("memo-\(getuid())-\(getpid())-"))
        generated.store([UInt8](repeating: 1, count: 60), forKey: key(1))
        generated.store([UInt8](repeating: 2, count: 60), forKey: key(2))
        #expect(generated.stats.diskEntries == 1)
        #expect(FileManager.default.fileExists(atPath: generated.directory))
        generated.removeAll()
        #expect(!FileManager.default.fileExists(atPath: generated.directory))
        // And it is made again when needed.
        generated.store([UInt8](repeating: 3, count: 60), forKey: key(3))
        generated.store([UInt8](repeating: 4, count: 60), forKey: key(4))
        #expect(
            generated.value(forKey: key(3), as: [UInt8].self) == [UInt8](repeating: 3, count: 60))
        generated.removeAll()
    }
}

@Suite("Cache directory refusals")
struct DirectoryRefusalTests {
    func configuration(_ path: String) -> CacheConfiguration {
        var configuration = CacheConfiguration()
        configuration.directory = path
        return configuration
    }

    @Test("a symbolic link is refused")
    func symbolicLink() throws {
        let target = temporaryDirectoryPath()
        let link = temporaryDirectoryPath()
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        defer {
            try? FileManager.default.removeItem(atPath: link)
            try? FileManager.default.removeItem(atPath: target)
        }
        #expect(throws: SpillDirectoryError(path: link, reason: .symbolicLink)) {
            try SpillingCache(configuration(link))
        }
    }

    @Test("a file in the directory's place is refused")
    func fileInPlace() throws {
        let path = temporaryDirectoryPath()
        #expect(FileManager.default.createFile(atPath: path, contents: Data("x".utf8)))
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: SpillDirectoryError(path: path, reason: .notADirectory)) {
            try SpillingCache(configuration(path))
        }
    }

    @Test("a directory owned by another user is refused")
    func otherOwner() throws {
        let path: String
        if getuid() == 0 {
            path = temporaryDirectoryPath()
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            #expect(chown(path, 65534, 65534) == 0)
        } else {
            path = "/"  // root's
        }
        defer { if getuid() == 0 { try? FileManager.default.removeItem(atPath: path) } }
        do {
            _ = try SpillingCache(configuration(path))
            Issue.record("expected a refusal")
        } catch let error as SpillDirectoryError {
            guard case .ownedByAnotherUser = error.reason else {
                Issue.record("wrong reason: \(error)")
                return
            }
            #expect(error.description.contains(path))
        }
    }

    @Test("a missing directory is created with mode 0700")
    func created() throws {
        let path = temporaryDirectoryPath() + "/nested/cache"
        defer {
            try? FileManager.default.removeItem(
                atPath: String(path.dropLast("/nested/cache".count)))
        }
        _ = try SpillingCache(configuration(path))
        #expect(try FilePath(path).stat().permissions == .ownerReadWriteExecute)
    }
}
