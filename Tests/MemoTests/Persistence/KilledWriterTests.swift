@testable import Memo
import MemoTesting
import Synchronization
import Testing

/// A writer overwriting keys faster than its disk is killed at every step of its batches
/// in turn; after each kill, a fresh cache on the same directory must find every index
/// row's file, read the value recorded last (or a newer one) for every key a completed
/// batch recorded, and serve nothing a committed removal removed.
///
/// Deterministic: the writer's write-behind worker is held, so the test decides where
/// each batch begins; the in-memory file system and index play the disk. A kill is the
/// failure of one step and of every step after it (an index transaction, a file write, a
/// rename or a removal), which is what SIGKILL does to a process: what it finished stays,
/// nothing more happens.
@Suite("A writer killed under overwrite pressure")
struct KilledWriterTests {
    static let directory = "/memo-killed"
    static let keys = (0..<6).map { CacheKey(hashing: "overwrite", $0) }

    /// Key `key`'s value of round `round`.
    static func value(_ round: Int, _ key: Int) -> Int { round * 100 + key }

    @Test("every kill point leaves a directory that names only files it has")
    func everyKillPoint() throws {
        let steps = try run(killAt: .max).steps
        #expect(steps > 30, "the workload takes \(steps) steps")
        for killAt in 1...steps + 1 {
            let outcome = try run(killAt: killAt)
            try check(outcome, killAt: killAt)
        }
    }

    @Test("overwrites already superseded in the queue are not written")
    func coalesced() throws {
        let outcome = try run(killAt: .max)
        // Round 1 of keys 0..<3 is superseded by round 2 before its batch, and round 3 of
        // key 3 by round 5 while its batch runs... only the first kind is skipped.
        #expect(outcome.skippedWrites >= 3)
        try check(outcome, killAt: .max)
    }

    /// What a run left.
    struct Outcome {
        var disk: InMemoryFileSystem
        var index: InMemorySpillIndex
        var tracker: CommitTracker
        var steps: Int
        var skippedWrites: Int
    }

    /// The workload, killed at step `killAt`.
    func run(killAt: Int) throws -> Outcome {
        let disk = InMemoryFileSystem()
        let inner = InMemorySpillIndex()
        let kill = KillSwitch(killAt: killAt)
        let tracker = CommitTracker(disk: disk, directory: Self.directory, keys: Self.keys)
        let files = KillableFileSystem(wrapping: disk, kill: kill)
        let index = KillableIndex(wrapping: inner, kill: kill, tracker: tracker)
        let cache = try open(files: files, index: index)
        cache.holdWriteBehindForTests()
        func store(_ round: Int, _ key: Int) {
            cache.store(Self.value(round, key), forKey: Self.keys[key])
        }
        func remove(_ key: Int) {
            cache.removeValue(forKey: Self.keys[key])
        }
        for key in 0..<6 { store(0, key) }
        cache.drainPendingForTests()
        // Round 1 is superseded in the queue by round 2 for keys 0..<3.
        for key in 0..<6 { store(1, key) }
        for key in 0..<3 { store(2, key) }
        cache.drainPendingForTests()
        remove(5)
        // While round 3 is written, key 2 gets round 4 (a write that finishes after its
        // entry changed); during its transaction key 3 gets round 5 (recorded, then
        // superseded).
        files.onWrite(number: 2) { cache.store(Self.value(4, 2), forKey: Self.keys[2]) }
        index.onApply(number: 2) { cache.store(Self.value(5, 3), forKey: Self.keys[3]) }
        // The next batch writes key 2's round 4 and key 3's round 5 (the 6th and 7th
        // writes); round 5's fails, and key 3 keeps its round 3 until a successor is
        // recorded.
        files.onWrite(number: 7) { throw Refused() }
        for key in 0..<5 { store(3, key) }
        cache.drainPendingForTests()
        // Round 5 of key 3 is superseded by round 6 before its turn, and round 6's write
        // fails: key 3 keeps the round it recorded.
        store(6, 3)
        files.onWrite(number: 2) { throw Refused() }
        cache.drainPendingForTests()
        cache.drainPendingForTests()
        store(6, 5)
        cache.drainPendingForTests()
        // The removal's transaction fails: nothing is removed, and no file is deleted.
        index.onApply(number: 1) { throw Refused() }
        remove(4)
        remove(4)
        store(7, 0)
        store(8, 0)
        cache.drainPendingForTests()
        let skipped = cache.stats.skippedWrites
        return Outcome(
            disk: disk, index: inner, tracker: tracker, steps: kill.steps,
            skippedWrites: skipped)
    }

    func open(files: any SpillFileSystem, index: any SpillIndex) throws -> SpillingCache {
        var configuration = CacheConfiguration()
        configuration.directory = Self.directory
        configuration.persistent = true
        configuration.maxMemory = .kilobytes(64)
        configuration.fileSystem = files
        configuration.index = index
        configuration.logger = quietLogger
        return try SpillingCache(configuration)
    }

    /// The directory a run left, read by a fresh cache.
    func check(_ outcome: Outcome, killAt: Int) throws {
        let entries = try outcome.index.allEntries()
        let onDisk = Set(try outcome.disk.contentsOfDirectory(atPath: Self.directory))
        for entry in entries {
            #expect(
                onDisk.contains(entry.fileName),
                "killed at step \(killAt): the index names \(entry.fileName), which is gone")
        }
        let named = Set(entries.map(\.fileName))
        let reserved = Set(try outcome.index.reservations().map(\.fileName))
        for name in onDisk where PersistentDirectory.isSpillFileName(name) {
            #expect(
                named.contains(name) || reserved.contains(name),
                "killed at step \(killAt): \(name) is on disk, neither named nor reserved")
        }
        let fresh = try open(files: outcome.disk, index: outcome.index)
        for key in 0..<Self.keys.count {
            let found = fresh.value(forKey: Self.keys[key], as: Int.self)
            if let found {
                #expect(found % 100 == key, "killed at step \(killAt): key \(key) read \(found)")
            }
            switch outcome.tracker.recorded(key) {
            case .removed:
                #expect(found == nil, "killed at step \(killAt): removed key \(key) read \(found!)")
            case .round(let recorded):
                #expect(
                    (found ?? -1) / 100 >= recorded,
                    "killed at step \(killAt): key \(key) recorded round \(recorded), read \(String(describing: found))"
                )
            case nil:
                break
            }
        }
    }
}

/// Why a killed writer's step failed.
struct Killed: Error {}

/// A failure a hook injects (a write or a transaction refused), short of a kill.
struct Refused: Error {}

/// Counts the steps of a writer and kills it at one of them.
final class KillSwitch: Sendable {
    private let state: Mutex<(steps: Int, killAt: Int)>

    init(killAt: Int) { state = Mutex((0, killAt)) }

    /// Counts one step; throws from the kill on, and the step must then change nothing.
    func step() throws {
        try state.withLock { state in
            state.steps += 1
            if state.steps >= state.killAt { throw Killed() }
        }
    }

    var steps: Int { state.withLock { $0.steps } }
    var isKilled: Bool { state.withLock { $0.steps >= $0.killAt } }
}

/// Records, after each committed transaction, what each key's row holds: the newest round
/// an insert recorded (read back from its file, which must exist then), or a removal.
final class CommitTracker: Sendable {
    enum Recorded: Equatable {
        case round(Int)
        case removed
    }

    let disk: InMemoryFileSystem
    let directory: String
    let keys: [CacheKey]
    private let recorded = Mutex([Int: Recorded]())

    init(disk: InMemoryFileSystem, directory: String, keys: [CacheKey]) {
        self.disk = disk
        self.directory = directory
        self.keys = keys
    }

    /// Takes in a committed transaction, change by change.
    func committed(_ changes: [SpillIndexChange], index: InMemorySpillIndex) {
        for change in changes {
            switch change {
            case .insert(let inserted):
                guard let key = keys.firstIndex(of: inserted.key),
                    let entry = try? index.entry(forKey: inserted.key),
                    entry.fileName == inserted.fileName,
                    let bytes = try? disk.readFile(atPath: "\(directory)/\(entry.fileName)"),
                    let value = try? SpillFileFormat.decode(bytes, key: inserted.key, as: Int.self)
                else { continue }
                recorded.withLock { recorded in
                    if case .round(let earlier) = recorded[key], earlier > value / 100 { return }
                    recorded[key] = .round(value / 100)
                }
            case .remove(let removed, nil):
                // A removal the caller asked for (the cache's own clean-ups name a file).
                guard let key = keys.firstIndex(of: removed) else { continue }
                recorded.withLock { $0[key] = .removed }
            default:
                continue
            }
        }
    }

    func recorded(_ key: Int) -> Recorded? { recorded.withLock { $0[key] } }
}

/// Actions to run before the nth call from when each was added.
final class Hooks: Sendable {
    private let pending = Mutex<[(remaining: Int, action: @Sendable () throws -> Void)]>([])

    func add(_ number: Int, _ action: @escaping @Sendable () throws -> Void) {
        pending.withLock { $0.append((number, action)) }
    }

    /// Counts a call, and runs the actions whose call it is (outside the lock: an action
    /// may call into the cache).
    func run() throws {
        let due = pending.withLock { pending -> [@Sendable () throws -> Void] in
            for index in pending.indices { pending[index].remaining -= 1 }
            let due = pending.filter { $0.remaining == 0 }.map(\.action)
            pending.removeAll { $0.remaining <= 0 }
            return due
        }
        for action in due { try action() }
    }
}

/// A file system whose mutations are steps of a ``KillSwitch``, with a hook that runs
/// before a chosen write.
final class KillableFileSystem: SpillFileSystem {
    let wrapped: InMemoryFileSystem
    let kill: KillSwitch
    private let hooks = Hooks()

    init(wrapping wrapped: InMemoryFileSystem, kill: KillSwitch) {
        self.wrapped = wrapped
        self.kill = kill
    }

    /// Runs `action` before the `number`th file write from now; if it throws, that write
    /// fails.
    func onWrite(number: Int, _ action: @escaping @Sendable () throws -> Void) {
        hooks.add(number, action)
    }

    func writeFile(atPath path: String, contents: SpillFileContents) throws {
        try hooks.run()
        try kill.step()
        try wrapped.writeFile(atPath: path, contents: contents)
    }

    func renameFile(atPath source: String, toPath destination: String) throws {
        try kill.step()
        try wrapped.renameFile(atPath: source, toPath: destination)
    }

    func removeFile(atPath path: String) throws {
        try kill.step()
        try wrapped.removeFile(atPath: path)
    }

    func prepareDirectory(atPath path: String) throws {
        try wrapped.prepareDirectory(atPath: path)
    }
    func synchronizeFile(atPath path: String) throws {
        try wrapped.synchronizeFile(atPath: path)
    }
    func synchronizeDirectory(atPath path: String) throws {
        try wrapped.synchronizeDirectory(atPath: path)
    }
    func readFile(atPath path: String) throws -> [UInt8] { try wrapped.readFile(atPath: path) }
    func removeDirectory(atPath path: String) throws {
        try kill.step()
        try wrapped.removeDirectory(atPath: path)
    }
    func contentsOfDirectory(atPath path: String) throws -> [String] {
        try wrapped.contentsOfDirectory(atPath: path)
    }
    func fileSize(atPath path: String) throws -> Int { try wrapped.fileSize(atPath: path) }
}

/// An index whose transactions are steps of a ``KillSwitch``, reporting each commit to a
/// ``CommitTracker``, with a hook that runs before a chosen transaction.
final class KillableIndex: SpillIndex, ComputationLocking {
    let wrapped: InMemorySpillIndex
    let kill: KillSwitch
    let tracker: CommitTracker
    private let hooks = Hooks()

    init(wrapping wrapped: InMemorySpillIndex, kill: KillSwitch, tracker: CommitTracker) {
        self.wrapped = wrapped
        self.kill = kill
        self.tracker = tracker
    }

    /// Runs `action` before the `number`th transaction from now; if it throws, that
    /// transaction fails.
    func onApply(number: Int, _ action: @escaping @Sendable () throws -> Void) {
        hooks.add(number, action)
    }

    func apply(_ changes: [SpillIndexChange], maxBytes: Int?, owner: Int32) throws
        -> SpillIndexOutcome
    {
        try hooks.run()
        try kill.step()
        let outcome = try wrapped.apply(changes, maxBytes: maxBytes, owner: owner)
        tracker.committed(changes, index: wrapped)
        return outcome
    }

    func open() throws -> SpillIndexTotals { try wrapped.open() }
    func entry(forKey key: CacheKey) throws -> SpillIndexEntry? {
        try wrapped.entry(forKey: key)
    }
    func totals() throws -> SpillIndexTotals { try wrapped.totals() }
    func allEntries() throws -> [SpillIndexEntry] { try wrapped.allEntries() }
    func reservations() throws -> [SpillIndexReservation] { try wrapped.reservations() }
    func synchronize() throws { try wrapped.synchronize() }
    func lockComputation(of key: CacheKey, wait: Bool) throws -> Bool {
        try wrapped.lockComputation(of: key, wait: wait)
    }
    func unlockComputation(of key: CacheKey) { wrapped.unlockComputation(of: key) }
}
