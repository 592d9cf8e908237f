import Memo
import MemoTesting
import SystemPackage
import Testing

/// Runs operations against a real cache (in-memory file system, test clock, fault
/// injection) and the reference model side by side, checking after every step.
struct ModelRun {
    static let maxMemory = 4 * (100 + SpillingCache.entryOverhead)

    let harness: CacheHarness
    var model: ReferenceModel
    var lookups = 0
    var stored = 0

    init(maxDisk: Int?, timeToLive: Duration?) throws {
        harness = try CacheHarness(
            maxMemory: Self.maxMemory, maxDisk: maxDisk, timeToLive: timeToLive)
        model = ReferenceModel(
            maxMemory: Self.maxMemory, maxDisk: maxDisk, timeToLive: timeToLive,
            now: harness.clock.now)
    }

    /// Runs the whole sequence; stops at the first step that disagrees.
    mutating func run(_ operations: [ModelOperation]) {
        for (step, operation) in operations.enumerated() {
            guard apply(operation), check() else {
                Issue.record("diverged at step \(step), \(operation), of \(operations)")
                return
            }
        }
    }

    /// Applies one operation to both; `false` if they returned different values.
    mutating func apply(_ operation: ModelOperation) -> Bool {
        let cache = harness.cache
        switch operation {
        case .store(let k, let size):
            stored += 1
            let blob = Blob(id: k * 10_000 + stored, size: size)
            cache.store(blob, forKey: key(k))
            model.store(blob, forKey: k)
        case .get(let k):
            lookups += 1
            let actual = cache.value(forKey: key(k), as: Blob.self)
            let expected = model.value(forKey: k)
            #expect(actual == expected, "get(\(k))")
            return actual == expected
        case .getOrCompute(let k, let size):
            lookups += 1
            stored += 1
            let computed = Blob(id: k * 10_000 + stored, size: size)
            let actual = cache.value(forKey: key(k)) { computed }
            let expected = model.value(forKey: k, orCompute: computed)
            #expect(actual == expected, "getOrCompute(\(k))")
            return actual == expected
        case .remove(let k):
            let actual = cache.removeValue(forKey: key(k))
            let expected = model.remove(k)
            #expect(actual == expected, "remove(\(k))")
            return actual == expected
        case .removeAll:
            cache.removeAll()
            model.removeAll()
        case .advance(let seconds):
            harness.clock.advance(by: .seconds(seconds))
            model.now += .seconds(seconds)
        case .failNextWrite(let kind):
            let actions: [FaultInjectingFileSystem.Action] = [
                .fail(.noSpace), .fail(.ioError), .shortWrite(keeping: 10),
            ]
            if kind < 3 {
                harness.faults.inject(.init(.write, on: .nth(1), action: actions[kind]))
                model.pendingWriteFault = true
            } else {
                harness.faults.inject(
                    .init(.rename, on: .nth(1), action: .fail(.readOnlyFileSystem)))
                model.pendingRenameFault = true
            }
        case .corruptNextRead:
            harness.faults.inject(.init(.read, on: .nth(1), action: .corruptRead))
            model.pendingReadFault = true
        case .deleteFile(let k):
            if let entry = cache.indexSnapshot.first(where: { $0.key == key(k) && $0.tier == .disk }
            ),
                let name = entry.fileName,
                (try? harness.faults.deleteFile(atPath: "\(cache.directory)/\(name)")) != nil
            {
                model.loseFile(of: k)
            }
        case .crash:
            harness.fileSystem.crash()
            model.crash()
        }
        return true
    }

    /// Every invariant of the contract, against the model and against a recount of the
    /// cache's own index and files.
    func check() -> Bool {
        let cache = harness.cache
        let stats = cache.stats
        let expected = model.expectedStats
        var ok = true
        func require(_ condition: Bool, _ message: @autoclosure () -> String) {
            if !condition {
                Issue.record(Comment(rawValue: message()))
                ok = false
            }
        }
        require(stats == expected, "stats \(stats.debug) != model \(expected.debug)")
        require(stats.hits + stats.misses == lookups, "hits + misses != \(lookups) lookups")

        let index = cache.indexSnapshot
        let memory = index.filter { $0.tier == .memory }
        let disk = index.filter { $0.tier == .disk }
        require(!index.contains { $0.tier == .writing }, "a write is still in flight")
        require(memory.reduce(0) { $0 + $1.charge } == stats.memoryBytes, "memoryBytes != recount")
        require(memory.count == stats.memoryEntries, "memoryEntries != recount")
        require(disk.count == stats.diskEntries, "diskEntries != recount")
        require(index.reduce(0) { $0 + $1.fileBytes } == stats.diskBytes, "diskBytes != recount")
        require(stats.memoryBytes <= ModelRun.maxMemory, "memory over budget")
        if let maxDisk = model.maxDisk { require(stats.diskBytes <= maxDisk, "disk over budget") }

        require(memory.map(\.key) == model.keys(in: .memory).map(key), "memory LRU order differs")
        require(disk.map(\.key) == model.keys(in: .disk).map(key), "disk LRU order differs")

        let lost = Set(model.entries.filter(\.fileLost).map { key($0.key) })
        let indexFiles = Set(index.filter { !lost.contains($0.key) }.compactMap(\.fileName))
        let files = harness.files
        require(Set(files) == indexFiles, "files \(files.sorted()) != index \(indexFiles.sorted())")
        require(!files.contains { $0.hasSuffix(".tmp") }, "a temporary file was left")
        require(harness.fileBytes == indexFiles.count * ReferenceModel.fileBytes, "file sizes")
        return ok
    }
}

extension CacheStats {
    var debug: String {
        "h\(hits) m\(misses) dh\(diskHits) s\(spills) ev\(evictions) ex\(expirations) "
            + "f\(failures) mem\(memoryBytes)/\(memoryEntries) disk\(diskBytes)/\(diskEntries)"
    }
}
