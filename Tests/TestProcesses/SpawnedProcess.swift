#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif
import Synchronization

/// A child process of a test, started with `posix_spawn` and awaited with `waitpid`.
///
/// Not Foundation's `Process`: on Linux its `waitUntilExit()` was seen to hang after the
/// child had exited (under ThreadSanitizer, once in a few hundred runs), and a hung test
/// hangs CI until its time limit; `pg_ctl start` leaves a server holding what it
/// inherited, and `waitUntilExit` then never returns. `waitpid` has neither problem, and
/// every wait here has a bound.
public final class SpawnedProcess: Sendable {
    /// The child's process id.
    public let pid: Int32
    /// The child's wait status once reaped (`waitpid` answers once per child).
    private let reaped = Mutex<Int32?>(nil)

    /// How a process ended.
    public enum Termination: Equatable, Sendable, CustomStringConvertible {
        case exited(Int32)
        case signaled(Int32)

        /// The exit code, or the number of the signal that ended the process (as
        /// Foundation's `Process.terminationStatus` reports both).
        public var status: Int32 {
            switch self {
            case .exited(let code), .signaled(let code): code
            }
        }

        public var description: String {
            switch self {
            case .exited(let code): "exit \(code)"
            case .signaled(let signal): "signal \(signal)"
            }
        }
    }

    /// What went wrong starting a process.
    public struct SpawnError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Starts `executable` (an absolute path) with `arguments`. Its standard output and
    /// error go to the files at `outputPath` and `errorPath` (created or truncated; the
    /// same path for both shares one file), which survive a kill and cannot fill up and
    /// block the child as an unread pipe would; `nil` is `/dev/null`. `environment`
    /// replaces the inherited one when given.
    public init(
        _ executable: String, _ arguments: [String], output outputPath: String? = nil,
        errors errorPath: String? = nil, environment: [String: String]? = nil
    ) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        closeInheritedDescriptors(&actions)
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        let flags = O_WRONLY | O_CREAT | O_TRUNC
        posix_spawn_file_actions_addopen(&actions, 1, outputPath ?? "/dev/null", flags, 0o600)
        if let errorPath, errorPath == outputPath {
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        } else {
            posix_spawn_file_actions_addopen(&actions, 2, errorPath ?? "/dev/null", flags, 0o600)
        }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned: Int32
        if let environment {
            let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
            defer { for pointer in envp { free(pointer) } }
            spawned = posix_spawn(&pid, executable, &actions, nil, argv, envp)
        } else {
            spawned = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        }
        guard spawned == 0 else {
            throw SpawnError(
                description: "posix_spawn of \(executable) failed: \(String(cString: strerror(spawned)))")
        }
        self.pid = pid
    }

    /// Runs `executable` to its end, blocking this thread: for short commands (`mount`,
    /// `pg_ctl`) and tools that always end.
    public static func run(
        _ executable: String, _ arguments: [String], output: String? = nil,
        errors: String? = nil, environment: [String: String]? = nil
    ) throws -> Termination {
        try SpawnedProcess(
            executable, arguments, output: output, errors: errors, environment: environment
        ).waitForExit()
    }

    /// How the process ended, or `nil` while it runs. Reaps it once it has ended.
    public var termination: Termination? {
        reap()
    }

    /// Whether the process is still running.
    public var isRunning: Bool { termination == nil }

    /// Sends `signal` (SIGKILL: no handler, no flush) unless the process was reaped.
    public func kill(_ signal: Int32 = 9 /* SIGKILL */) {
        reaped.withLock { status in
            // A reaped pid may belong to another process by now.
            if status == nil { send(signal, to: pid) }
        }
    }

    /// Blocks until the process ends.
    public func waitForExit() -> Termination {
        // Waits without reaping (WNOWAIT) and outside the mutex, so `kill` is never held
        // up; then reaps.
        var info = siginfo_t()
        while termination == nil, waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) != 0,
            errno == EINTR
        {}
        return termination!
    }

    /// Waits for the process to end, polling every `interval` without blocking a thread;
    /// one still running after `timeout` is killed. `timedOut` says it was.
    public func finish(
        within timeout: Duration, polling interval: Duration = .milliseconds(5)
    ) async -> (termination: Termination, timedOut: Bool) {
        let deadline = ContinuousClock.now + timeout
        while termination == nil {
            if ContinuousClock.now >= deadline {
                kill()
                // Killed: it ends at once (or is a zombie already).
                return (waitForExit(), true)
            }
            try? await Task.sleep(for: interval)
        }
        return (waitForExit(), false)
    }

    /// Reaps the process if it has ended (never blocks).
    private func reap() -> Termination? {
        reaped.withLock { reaped in
            var status: Int32 = 0
            while reaped == nil {
                let answer = waitpid(pid, &status, WNOHANG)
                if answer == pid { reaped = status }
                if answer == 0 || (answer < 0 && errno != EINTR) { break }
            }
            return reaped.map(Self.termination)
        }
    }

    private static func termination(_ status: Int32) -> Termination {
        let signal = status & 0x7F
        return signal == 0 ? .exited((status >> 8) & 0xFF) : .signaled(signal)
    }
}

extension SpawnedProcess {
    /// The path of the executable `name` of this package, built beside the running test
    /// bundle (SwiftPM puts both in one folder: `swift build --build-tests`), and whether
    /// an executable is there.
    public static func builtBesideTests(named name: String) -> (path: String, isBuilt: Bool) {
        let bundle = CommandLine.arguments[0]
        let resolved = realpath(bundle, nil).map { pointer in
            defer { free(pointer) }
            return String(cString: pointer)
        }
        let folder = (resolved ?? bundle).split(separator: "/", omittingEmptySubsequences: false)
            .dropLast().joined(separator: "/")
        let path = folder + "/" + name
        return (path, access(path, X_OK) == 0)
    }
}

/// Closes every descriptor above 2 in the child. A child inherits each descriptor opened
/// without `O_CLOEXEC`: a PostgreSQL server started by a test (`pg_ctl start`) once kept
/// ThreadSanitizer's symbolizer pipes of the test process open, so the symbolizer never
/// ended, and `swift test`, waiting for the end of its output, hung CI for an hour.
private func closeInheritedDescriptors(_ actions: inout posix_spawn_file_actions_t) {
    if let closeFrom = addCloseFrom {
        _ = closeFrom(&actions, 3)
        return
    }
    // Without glibc 2.34's closefrom action: close each descriptor open now (the child
    // ignores one closed meanwhile).
    guard let directory = opendir("/proc/self/fd") else { return }
    defer { closedir(directory) }
    while let entry = readdir(directory) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        if let descriptor = Int32(name), descriptor > 2 {
            posix_spawn_file_actions_addclose(&actions, descriptor)
        }
    }
}

/// glibc's `posix_spawn_file_actions_addclosefrom_np`, which Swift's Glibc module does not
/// declare (it is a GNU extension).
private let addCloseFrom: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? =
    dlsym(nil, "posix_spawn_file_actions_addclosefrom_np").map {
        unsafeBitCast(
            $0,
            to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
    }

/// `kill(2)`, out of the way of ``SpawnedProcess/kill(_:)``.
private func send(_ signal: Int32, to pid: pid_t) {
    _ = kill(pid, signal)
}
