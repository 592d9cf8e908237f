import Foundation
import Testing

/// A running `memo-fleet-worker` (Tests/memo-fleet-worker), its output going to a file that
/// survives a kill.
final class FleetWorker: @unchecked Sendable {
    // @unchecked: `process` is used from the test's task only; the class is Sendable so
    // that tests may pass it into task groups they await before going on.
    let process = Process()
    let outputPath: String

    init(_ arguments: [String]) throws {
        let testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        let executable = testBinary.deletingLastPathComponent().appendingPathComponent(
            "memo-fleet-worker")
        try #require(
            FileManager.default.isExecutableFile(atPath: executable.path),
            "memo-fleet-worker is not built next to the tests: run `make test`")
        outputPath = NSTemporaryDirectory() + "fleet-\(UUID().uuidString.prefix(8)).out"
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        defer { try? output.close() }
        process.executableURL = executable
        process.arguments = arguments
        process.standardOutput = output
        process.standardError = output
        try process.run()
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
        _ = Foundation.kill(process.processIdentifier, SIGKILL)
    }

    /// Waits for the end (at most `timeout`, then kills it and records an issue); returns
    /// the exit status.
    @discardableResult
    func finish(within timeout: Duration = .seconds(120)) async -> Int32 {
        let start = ContinuousClock.now
        while process.isRunning {
            if ContinuousClock.now - start > timeout {
                kill()
                Issue.record("memo-fleet-worker ran past \(timeout): \(lines.suffix(5))")
                break
            }
            try? await Task.sleep(for: .milliseconds(10))
        }
        process.waitUntilExit()
        return process.terminationStatus
    }
}
