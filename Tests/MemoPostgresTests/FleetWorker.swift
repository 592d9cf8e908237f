import Foundation
import TestProcesses
import Testing

/// A running `memo-fleet-worker` (Tests/memo-fleet-worker), its output going to a file that
/// survives a kill.
final class FleetWorker: Sendable {
    let process: SpawnedProcess
    let outputPath: String

    init(_ arguments: [String]) throws {
        let executable = SpawnedProcess.builtBesideTests(named: "memo-fleet-worker")
        try #require(
            executable.isBuilt, "memo-fleet-worker is not built next to the tests: run `make test`")
        outputPath = NSTemporaryDirectory() + "fleet-\(UUID().uuidString.prefix(8)).out"
        process = try SpawnedProcess(
            executable.path, arguments, output: outputPath, errors: outputPath)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: outputPath)
    }

    var lines: [String] {
        ((try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "")
            .split(separator: "\n").map(String.init)
    }

    /// The keys of the `computed K` lines.
    var computed: [Int] {
        lines.compactMap { $0.hasPrefix("computed ") ? Int($0.dropFirst(9)) : nil }
    }

    /// The value after `name` on the last line that has it.
    func field(_ name: String) -> Int? {
        for line in lines.reversed() {
            let words = line.split(separator: " ")
            for index in stride(from: 0, to: words.count - 1, by: 2) where words[index] == name {
                return Int(words[index + 1])
            }
        }
        return nil
    }

    func kill() {
        process.kill(SIGKILL)
    }

    /// Waits for the end (at most `timeout`, then kills it and records an issue); returns
    /// the exit status.
    @discardableResult
    func finish(within timeout: Duration = .seconds(120)) async -> Int32 {
        let (termination, timedOut) = await process.finish(
            within: timeout, polling: .milliseconds(10))
        if timedOut { Issue.record("memo-fleet-worker ran past \(timeout): \(lines.suffix(5))") }
        return termination.status
    }
}
