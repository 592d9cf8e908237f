import Foundation
import TestProcesses
import Testing

/// An executable of this package (`memo`, `memo-demo`, `memo-worker`), built next to the
/// test bundle by `swift build --build-tests` (`make test`).
func builtExecutable(named name: String) throws -> String {
    let (path, isBuilt) = SpawnedProcess.builtBesideTests(named: name)
    try #require(
        isBuilt,
        """
        \(name) is not built next to the tests (\(path)): run \
        `swift build --build-tests` (or `make test`)
        """)
    return path
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
/// inherited one when given. (``SpawnedProcess``, not Foundation's `Process`, whose
/// `waitUntilExit()` was seen to hang after the child had exited.)
func runBuilt(
    _ name: String, _ arguments: [String], environment: [String: String]? = nil
) throws -> FinishedProcess {
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent(
        "memo-run-\(getpid())-\(UUID().uuidString.prefix(8))")
    try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: scratch) }
    let outputPath = scratch.appendingPathComponent("out").path
    let errorPath = scratch.appendingPathComponent("err").path
    let termination = try SpawnedProcess.run(
        builtExecutable(named: name), arguments, output: outputPath, errors: errorPath,
        environment: environment)
    return FinishedProcess(
        status: termination.status,
        output: (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "",
        errors: (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? "")
}
