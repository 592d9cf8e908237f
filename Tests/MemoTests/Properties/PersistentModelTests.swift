import Memo
import MemoTesting
import PropertyBased
import Testing

/// One generated step of the restart property test.
enum RestartOperation: Equatable, CustomStringConvertible {
    case store(key: Int, size: Int)
    case get(key: Int)
    case getOrCompute(key: Int, size: Int)
    case remove(key: Int)
    case removeAll
    case flush
    /// The cache is closed (its queue drained) and a new one opens the directory.
    case reopen
    /// A power cut: the file system and the index lose what was not synchronized; then a
    /// new cache opens the directory.
    case crash

    init(kind: Int, key: Int, argument: Int) {
        let size = ModelOperation.sizes[argument % ModelOperation.sizes.count]
        switch kind {
        case 0..<30: self = .store(key: key, size: size)
        case 30..<55: self = .get(key: key)
        case 55..<70: self = .getOrCompute(key: key, size: size)
        case 70..<78: self = .remove(key: key)
        case 78..<80: self = .removeAll
        case 80..<88: self = .flush
        case 88..<95: self = .reopen
        default: self = .crash
        }
    }

    var description: String {
        switch self {
        case .store(let key, let size): return "store(\(key), \(size))"
        case .get(let key): return "get(\(key))"
        case .getOrCompute(let key, let size): return "getOrCompute(\(key), \(size))"
        case .remove(let key): return "remove(\(key))"
        case .removeAll: return "removeAll"
        case .flush: return "flush"
        case .reopen: return "reopen"
        case .crash: return "crash"
        }
    }
}

/// Runs restart sequences against a persistent cache on `InMemoryFileSystem` and
/// `InMemorySpillIndex`, with what a correct directory allows as the oracle:
///
/// - Within one opening, and across a clean reopen, a key holds exactly its last stored
///   value (or nothing after a removal).
/// - After a crash, a key changed since the last flush may hold any value ever stored
///   under it, or nothing; one unchanged since the last flush holds exactly its value.
/// - Never a value of another key. After every flush, the index names exactly the spill
///   files on disk, no temporary file is left, and memory is within budget.
struct RestartRun {
    static let directory = "/memo-restart"
    static let maxMemory = 4 * (100 + SpillingCache.entryOverhead)

    let disk = InMemoryFileSystem()
    let index = InMemorySpillIndex()
    var cache: SpillingCache
    /// The exact value of each key, where it is known; `nil` entry: known to be absent.
    var exact: [Int: Int?] = [:]
    /// Every value ever stored under each key.
    var everStored: [Int: Set<Int>] = [:]
    /// Keys changed since the last flush.
    var dirty: Set<Int> = []
    var stored = 0

    init() throws {
        cache = try Self.open(disk: disk, index: index)
    }

    static func open(disk: InMemoryFileSystem, index: InMemorySpillIndex) throws -> SpillingCache {
        var configuration = CacheConfiguration()
        configuration.directory = directory
        configuration.persistent = true
        configuration.maxMemory = ByteCount(maxMemory)
        configuration.fileSystem = disk
        configuration.index = index
        configuration.logger = quietLogger
        return try SpillingCache(configuration)
    }

    mutating func run(_ operations: [RestartOperation]) {
        for (step, operation) in operations.enumerated() {
            guard apply(operation) else {
                Issue.record("diverged at step \(step), \(operation), of \(operations)")
                return
            }
        }
    }

    /// Checks a value read for `k`.
    func allowed(_ value: Blob?, for k: Int) -> Bool {
        if let value, value.id / 10_000 != k { return false }  // another key's value
        if let known = exact[k] { return value?.id == known }
        guard let value else { return true }
        return everStored[k, default: []].contains(value.id)
    }

    mutating func apply(_ operation: RestartOperation) -> Bool {
        switch operation {
        case .store(let k, let size):
            stored += 1
            let blob = Blob(id: k * 10_000 + stored, size: size)
            cache.store(blob, forKey: key(k))
            exact[k] = .some(blob.id)
            everStored[k, default: []].insert(blob.id)
            dirty.insert(k)
        case .get(let k):
            let value = cache.value(forKey: key(k), as: Blob.self)
            #expect(allowed(value, for: k), "get(\(k)) = \(String(describing: value))")
            guard allowed(value, for: k) else { return false }
            exact[k] = .some(value?.id)
        case .getOrCompute(let k, let size):
            stored += 1
            let computed = Blob(id: k * 10_000 + stored, size: size)
            let value = cache.value(forKey: key(k)) { computed }
            everStored[k, default: []].insert(computed.id)
            let ok = value == computed || allowed(value, for: k)
            #expect(ok, "getOrCompute(\(k)) = \(value)")
            guard ok else { return false }
            if value == computed { dirty.insert(k) }
            exact[k] = .some(value.id)
        case .remove(let k):
            cache.removeValue(forKey: key(k))
            exact[k] = .some(nil)
            dirty.insert(k)
        case .removeAll:
            cache.removeAll()
            for k in 0..<12 {
                exact[k] = .some(nil)
                dirty.insert(k)
            }
        case .flush:
            cache.flush()
            dirty = []
            return checkDirectory()
        case .reopen:
            // A clean close: the old cache's queue is drained (as at exit), then a new
            // cache opens the directory.
            cache.drainPendingForTests()
            cache = (try? Self.open(disk: disk, index: index)) ?? cache
        case .crash:
            // The cache is dropped first: a killed process loses its queue, a power cut
            // what was not synchronized.
            cache.drainPendingForTests()
            disk.crash()
            index.crash()
            for k in dirty { exact[k] = nil }
            dirty = []
            guard let reopened = try? Self.open(disk: disk, index: index) else {
                Issue.record("could not reopen after a crash")
                return false
            }
            cache = reopened
        }
        let stats = cache.stats
        #expect(stats.memoryBytes <= Self.maxMemory)
        return stats.memoryBytes <= Self.maxMemory
    }

    /// After a flush: the index names exactly the spill files, and no temporary is left.
    func checkDirectory() -> Bool {
        let files = Set(disk.allFilePaths.filter { $0.hasSuffix(".spill") })
        let indexed = Set(
            ((try? index.allEntries()) ?? []).map { "\(Self.directory)/\($0.fileName)" })
        let temporaries = disk.allFilePaths.filter { $0.hasSuffix(".tmp") }
        #expect(files == indexed, "files \(files.sorted()) != index \(indexed.sorted())")
        #expect(temporaries.isEmpty, "temporary files left: \(temporaries)")
        #expect(cache.stats.failures == 0)
        return files == indexed && temporaries.isEmpty
    }
}


@Suite("Persistent cache versus restarts and crashes")
struct PersistentModelTests {
    private static let operations = zip(
        Gen.int(in: 0...99), Gen.int(in: 0...11), Gen.int(in: 0...4)
    )
    .map { RestartOperation(kind: $0.0, key: $0.1, argument: $0.2) }
    .array(of: 1...60)

    @Test("random operations with reopens and crashes never return a wrong value")
    func restarts() async {
        await propertyCheck(count: 200, input: Self.operations) { operations in
            guard var run = try? RestartRun()
            else { return #expect(Bool(false), "could not create the cache") }
            run.run(operations)
        }
    }
}
