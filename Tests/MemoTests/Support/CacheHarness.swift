import Foundation
import Logging
import Memo
import MemoTesting

/// A cache over an in-memory file system and a test clock, with helpers to compare what
/// is on "disk" with what the cache says.
struct CacheHarness: Sendable {
    static let directory = "/memo-test/cache"

    let cache: SpillingCache
    let fileSystem: InMemoryFileSystem
    let faults: FaultInjectingFileSystem
    let clock: TestClock

    init(
        maxMemory: Int, maxDisk: Int? = nil, timeToLive: Duration? = nil,
        directory: String? = CacheHarness.directory
    ) throws {
        fileSystem = InMemoryFileSystem()
        faults = FaultInjectingFileSystem(wrapping: fileSystem)
        clock = TestClock()
        var configuration = CacheConfiguration()
        configuration.maxMemory = ByteCount(maxMemory)
        configuration.maxDisk = maxDisk.map { ByteCount($0) }
        configuration.timeToLive = timeToLive
        configuration.clock = clock
        configuration.fileSystem = faults
        configuration.directory = directory
        configuration.logger = quietLogger
        cache = try SpillingCache(configuration)
    }

    /// The names of the files in the cache directory.
    var files: [String] {
        (try? fileSystem.contentsOfDirectory(atPath: cache.directory)) ?? []
    }

    /// The total size of the files in the cache directory.
    var fileBytes: Int {
        files.reduce(0) {
            $0 + ((try? fileSystem.fileSize(atPath: "\(cache.directory)/\($1)")) ?? 0)
        }
    }

    /// The path of the one spill file of `key`, if there is exactly one.
    func spillPath(of key: CacheKey) -> String? {
        let matches = files.filter { $0.hasPrefix(key.hex) }
        return matches.count == 1 ? "\(cache.directory)/\(matches[0])" : nil
    }
}

/// A value whose memory cost is exactly what the test says.
struct Blob: Spillable, Equatable {
    var id: Int
    var size: Int

    var memoryCost: Int { size }

    func spill(into writer: inout SpillWriter) throws {
        writer.write(id)
        writer.write(size)
    }

    init(id: Int, size: Int) {
        self.id = id
        self.size = size
    }

    init(unspilling reader: inout SpillReader) throws {
        id = try reader.read(Int.self)
        size = try reader.read(Int.self)
    }

    /// What a blob of `size` is charged in memory.
    static func charge(_ size: Int) -> Int { size + SpillingCache.entryOverhead }
}

/// A logger that drops everything: tests inject failures on purpose.
let quietLogger = Logger(label: "memo.tests") { _ in SwiftLogNoOpLogHandler() }

func key(_ n: Int) -> CacheKey { CacheKey(hashing: "test", n) }

/// A fresh private temporary directory path (not created), removed by the caller.
func temporaryDirectoryPath(_ label: String = #function) -> String {
    let name = "memo-tests-\(getpid())-\(UUID().uuidString.prefix(8))"
    return FileManager.default.temporaryDirectory.appendingPathComponent(name).path
}

/// A result type whose instances are of a subclass: what a cache records of a value is
/// the type it was returned as (`Shape`), not the instance's class (`Square`).
class Shape: Codable, Spillable, @unchecked Sendable {
    // Sendable: immutable (one `let`), and so is its subclass.
    let sides: Int
    init(sides: Int) { self.sides = sides }
}

/// The subclass of `Shape` whose instances functions return.
final class Square: Shape, @unchecked Sendable {}  // Sendable: as `Shape`.

/// A persistent configuration over an in-memory disk and index, at `/memo`.
func inMemoryPersistentConfiguration(
    on disk: any SpillFileSystem, index: InMemorySpillIndex
) -> CacheConfiguration {
    var configuration = CacheConfiguration()
    configuration.directory = "/memo"
    configuration.persistent = true
    configuration.fileSystem = disk
    configuration.index = index
    configuration.logger = quietLogger
    return configuration
}
