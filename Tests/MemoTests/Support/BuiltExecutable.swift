import Foundation
import Testing

/// An executable of this package (`memo`, `memo-demo`, `memo-worker`), built next to the
/// test bundle by `swift build --build-tests` (`make test`).
func builtExecutable(named name: String) throws -> URL {
    let testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    let executable = testBinary.deletingLastPathComponent().appendingPathComponent(name)
    try #require(
        FileManager.default.isExecutableFile(atPath: executable.path),
        """
        \(name) is not built next to the tests (\(executable.path)): run \
        `swift build --build-tests` (or `make test`)
        """)
    return executable
}

/// What a finished process printed, and its exit status.
struct FinishedProcess {
    var status: Int32
    var output: String
    var errors: String

    /// The output's lines.
    var lines: [String] { output.split(separator: "\n").map(String.init) }
    /// The error output's lines.
    var errorLines: [String] { errors.split(separator: "\n").map(String.init) }
}

/// Runs a built executable to its end. Its output goes through files, which cannot fill
/// up and block it as a pipe read after the exit would. `environment` replaces the
/// inherited one when given.
///
/// Spawned with `posix_spawn` and awaited with `waitpid`, not with Foundation's `Process`:
/// its `waitUntilExit()` was seen to hang after the child had exited (under TSan, once in
/// a few hundred runs), and a hung test hangs CI.
func runBuilt(
    _ name: String, _ arguments: [String], environment: [String: String]? = nil
) throws -> FinishedProcess {
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent(
        "memo-run-\(getpid())-\(UUID().uuidString.prefix(8))")
    try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: scratch) }
    let outputPath = scratch.appendingPathComponent("out").path
    let errorPath = scratch.appendingPathComponent("err").path
    let executable = try builtExecutable(named: name).path

    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    posix_spawn_file_actions_addopen(&actions, 2, errorPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    let variables = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
    let argv = ([executable] + arguments).map { strdup($0) } + [nil]
    let envp = variables.map { strdup($0) } + [nil]
    defer { for pointer in argv + envp { free(pointer) } }
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, executable, &actions, nil, argv, envp)
    try #require(spawned == 0, "posix_spawn of \(name) failed: \(String(cString: strerror(spawned)))")
    var status: Int32 = 0
    while waitpid(pid, &status, 0) == -1 {
        try #require(errno == EINTR, "waitpid of \(name) failed: \(String(cString: strerror(errno)))")
    }
    // An exit code, or the number of the signal that ended it (as `Process` reported).
    let signal = status & 0x7F
    return FinishedProcess(
        status: signal == 0 ? (status >> 8) & 0xFF : signal,
        output: (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "",
        errors: (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? "")
}
