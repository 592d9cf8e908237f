#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
public import Memo
import Synchronization
public import SystemPackage

/// Wraps any `SpillFileSystem` and makes chosen operations fail, return damaged
/// data, stall or crash, by rules; every injected fault is logged.
///
/// ```swift
/// let disk = FaultInjectingFileSystem(wrapping: InMemoryFileSystem())
/// disk.inject(.init(.write, on: .nth(3), action: .fail(.noSpace)))   // 3rd write: ENOSPC
/// disk.inject(.init(.read, path: "*.spill", on: .oneIn(10, seed: 7), action: .corruptRead))
/// config.fileSystem = disk
/// ```
///
/// Besides rules, ``deleteFile(atPath:)``, ``corruptFile(atPath:at:)``,
/// ``truncateFile(atPath:to:)`` and ``swapFiles(_:_:)`` change stored files behind the
/// cache's back.
public final class FaultInjectingFileSystem: SpillFileSystem {
    /// The kinds of file-system operation a rule can target.
    public enum Operation: String, Sendable, CaseIterable {
        /// `prepareDirectory(atPath:)`: creating or checking the spill directory.
        case prepareDirectory
        /// `writeFile(atPath:contents:)`.
        case write
        /// `synchronizeFile(atPath:)` (and each file of `synchronizeAll(inDirectory:)`).
        case synchronizeFile
        /// `renameFile(atPath:toPath:)`: a temporary file moved into place.
        case rename
        /// `synchronizeDirectory(atPath:)`.
        case synchronizeDirectory
        /// `readFile(atPath:)` and `withFileStream(atPath:_:)`.
        case read
        /// `removeFile(atPath:)`.
        case remove
        /// `removeDirectory(atPath:)`.
        case removeDirectory
        /// `contentsOfDirectory(atPath:)`.
        case list
        /// `fileSize(atPath:)`.
        case size
    }

    /// Which of the matching calls a rule fires on.
    public enum Schedule: Sendable, Equatable {
        /// Only the nth matching call (1-based).
        case nth(Int)
        /// Every matching call from the nth on.
        case fromNth(Int)
        /// Each matching call with probability 1/n, from a seeded generator: the same
        /// seed fires on the same calls.
        case oneIn(Int, seed: UInt64)
        /// Every matching call.
        case always
    }

    /// What an injected fault does.
    public enum Action: Sendable, Equatable {
        /// The call fails with this errno and has no effect.
        case fail(Errno)
        /// A write stores only the first `keeping` bytes, then fails with ENOSPC.
        case shortWrite(keeping: Int)
        /// A read returns the data with one byte flipped.
        case corruptRead
        /// A read returns only the first `length` bytes.
        case truncateRead(to: Int)
        /// The call sleeps this long first, then proceeds.
        case latency(Duration)
        /// The wrapped ``InMemoryFileSystem`` loses what a power cut would, and the call
        /// fails with EIO.
        case crash
    }

    /// A rule: an operation kind, an optional path pattern (`*` matches any run of
    /// characters), a schedule and an action.
    public struct Rule: Sendable {
        /// The kind of call the rule targets.
        public var operation: Operation
        /// The paths it targets (`*` matches any run of characters); every path when `nil`.
        public var pathPattern: String?
        /// Which of the matching calls it fires on.
        public var schedule: Schedule
        /// What it does when it fires.
        public var action: Action

        /// A rule firing `action` on the `schedule` of calls of `operation` whose path
        /// matches `pathPattern` (any path when `nil`).
        public init(
            _ operation: Operation, path pathPattern: String? = nil, on schedule: Schedule,
            action: Action
        ) {
            self.operation = operation
            self.pathPattern = pathPattern
            self.schedule = schedule
            self.action = action
        }
    }

    /// One fault that was injected.
    public struct InjectedFault: Sendable, Equatable, CustomStringConvertible {
        /// The kind of call that failed.
        public var operation: Operation
        /// The path it was given.
        public var path: String
        /// What was done to it.
        public var action: Action
        /// "read /dir/file.spill: corruptRead".
        public var description: String { "\(operation) \(path): \(action)" }
    }

    private struct ActiveRule {
        var rule: Rule
        var matchingCalls = 0
        var random: UInt64
    }

    private struct State {
        var rules: [ActiveRule] = []
        var log: [InjectedFault] = []
    }

    /// The file system underneath.
    public let wrapped: any SpillFileSystem
    private let state = Mutex(State())

    /// Wraps `wrapped`; with no rules, every call passes through unchanged.
    public init(wrapping wrapped: any SpillFileSystem) {
        self.wrapped = wrapped
    }

    /// Adds a rule.
    public func inject(_ rule: Rule) {
        state.withTrackedLock { state in
            let seed: UInt64
            if case .oneIn(_, let ruleSeed) = rule.schedule { seed = ruleSeed } else { seed = 0 }
            state.rules.append(ActiveRule(rule: rule, random: seed))
        }
    }

    /// Removes every rule (the log stays).
    public func removeAllRules() {
        state.withTrackedLock { $0.rules = [] }
    }

    /// Every fault injected so far, in order.
    public var injectedFaults: [InjectedFault] {
        state.withTrackedLock { $0.log }
    }

    // MARK: Direct actions on stored files

    /// Deletes a file behind the cache's back.
    public func deleteFile(atPath path: String) throws {
        try wrapped.removeFile(atPath: path)
        record(.remove, path, .fail(.noSuchFileOrDirectory))
    }

    /// Flips one byte of a stored file (by default the last one).
    public func corruptFile(atPath path: String, at offset: Int? = nil) throws {
        var bytes = try wrapped.readFile(atPath: path)
        guard !bytes.isEmpty else { return }
        bytes[min(offset ?? bytes.count - 1, bytes.count - 1)] ^= 0xFF
        try wrapped.writeFile(atPath: path, contents: SpillFileContents(bytes))
        record(.write, path, .corruptRead)
    }

    /// Cuts a stored file down to `length` bytes.
    public func truncateFile(atPath path: String, to length: Int) throws {
        let bytes = try wrapped.readFile(atPath: path)
        try wrapped.writeFile(
            atPath: path, contents: SpillFileContents(Array(bytes.prefix(length))))
        record(.write, path, .truncateRead(to: length))
    }

    /// Exchanges the contents of two stored files.
    public func swapFiles(_ first: String, _ second: String) throws {
        let a = try wrapped.readFile(atPath: first)
        let b = try wrapped.readFile(atPath: second)
        try wrapped.writeFile(atPath: first, contents: SpillFileContents(b))
        try wrapped.writeFile(atPath: second, contents: SpillFileContents(a))
        record(.rename, "\(first) <-> \(second)", .corruptRead)
    }

    // MARK: SpillFileSystem

    public func prepareDirectory(atPath path: String) throws {
        try passThrough(.prepareDirectory, path) { try wrapped.prepareDirectory(atPath: path) }
    }

    public func writeFile(atPath path: String, contents: SpillFileContents) throws {
        if case .shortWrite(let keeping)? = try fault(.write, path) {
            let partial = Array(contents.bytes.prefix(keeping))
            try wrapped.writeFile(atPath: path, contents: SpillFileContents(partial))
            throw Errno.noSpace
        }
        try wrapped.writeFile(atPath: path, contents: contents)
    }

    public func synchronizeFile(atPath path: String) throws {
        try passThrough(.synchronizeFile, path) { try wrapped.synchronizeFile(atPath: path) }
    }

    public func renameFile(atPath source: String, toPath destination: String) throws {
        try passThrough(.rename, source) {
            try wrapped.renameFile(atPath: source, toPath: destination)
        }
    }

    public func synchronizeDirectory(atPath path: String) throws {
        try passThrough(.synchronizeDirectory, path) {
            try wrapped.synchronizeDirectory(atPath: path)
        }
    }

    public func readFile(atPath path: String) throws -> [UInt8] {
        let action = try fault(.read, path)
        var bytes = try wrapped.readFile(atPath: path)
        switch action {
        case .corruptRead?:
            if !bytes.isEmpty { bytes[bytes.count / 2] ^= 0x5A }
        case .truncateRead(let length)?:
            bytes = Array(bytes.prefix(length))
        default:
            break
        }
        return bytes
    }

    public func removeFile(atPath path: String) throws {
        try passThrough(.remove, path) { try wrapped.removeFile(atPath: path) }
    }

    public func removeDirectory(atPath path: String) throws {
        try passThrough(.removeDirectory, path) { try wrapped.removeDirectory(atPath: path) }
    }

    public func contentsOfDirectory(atPath path: String) throws -> [String] {
        try passThrough(.list, path) { try wrapped.contentsOfDirectory(atPath: path) }
    }

    public func fileSize(atPath path: String) throws -> Int {
        try passThrough(.size, path) { try wrapped.fileSize(atPath: path) }
    }

    // MARK: Rules

    private func passThrough<Result>(
        _ operation: Operation, _ path: String, _ body: () throws -> Result
    ) throws -> Result {
        _ = try fault(operation, path)
        return try body()
    }

    /// Applies the first rule that fires for this call: throws for failures and crashes,
    /// sleeps for latency, and returns data-changing actions for the caller to apply.
    private func fault(_ operation: Operation, _ path: String) throws -> Action? {
        let fired: Action? = state.withTrackedLock { state in
            var fired: Action?
            for index in state.rules.indices {
                let rule = state.rules[index].rule
                guard rule.operation == operation,
                    rule.pathPattern.map({ Self.matches(path, pattern: $0) }) ?? true
                else { continue }
                state.rules[index].matchingCalls += 1
                let call = state.rules[index].matchingCalls
                let fires: Bool
                switch rule.schedule {
                case .nth(let n): fires = call == n
                case .fromNth(let n): fires = call >= n
                case .always: fires = true
                case .oneIn(let n, _):
                    fires = Self.next(&state.rules[index].random) % UInt64(max(n, 1)) == 0
                }
                if fires, fired == nil { fired = rule.action }
            }
            if let fired {
                state.log.append(InjectedFault(operation: operation, path: path, action: fired))
            }
            return fired
        }
        switch fired {
        case .fail(let errno)?:
            throw errno
        case .crash?:
            (wrapped as? InMemoryFileSystem)?.crash()
            throw Errno.ioError
        case .latency(let duration)?:
            let microseconds =
                duration.components.seconds * 1_000_000
                + duration.components.attoseconds / 1_000_000_000_000
            usleep(UInt32(clamping: microseconds))
            return nil
        default:
            return fired
        }
    }

    private func record(_ operation: Operation, _ path: String, _ action: Action) {
        state.withTrackedLock {
            $0.log.append(InjectedFault(operation: operation, path: path, action: action))
        }
    }

    /// SplitMix64: a small, well-mixed generator, so `.oneIn(n, seed:)` is reproducible.
    private static func next(_ state: inout UInt64) -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Whether `path` matches a rule's `pattern`, where `*` stands for any run of
    /// characters (`/` included) and everything else for itself.
    public static func matches(_ path: String, pattern: String) -> Bool {
        let parts = pattern.split(separator: "*", omittingEmptySubsequences: false)
        guard parts.count > 1 else { return path == pattern }
        var rest = Substring(path)
        guard rest.hasPrefix(parts[0]) else { return false }
        rest = rest.dropFirst(parts[0].count)
        for part in parts.dropFirst().dropLast() {
            guard let range = rest.firstRange(of: part) else { return false }
            rest = rest[range.upperBound...]
        }
        return rest.hasSuffix(parts.last!)
    }
}
