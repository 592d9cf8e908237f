import Foundation
import Testing

/// Runs `memo-demo` (built next to the test bundle by `make test`) as a second process.
func runDemo(_ arguments: [String]) throws -> (status: Int32, lines: [String]) {
    let testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    let demo = testBinary.deletingLastPathComponent().appendingPathComponent("memo-demo")
    try #require(
        FileManager.default.isExecutableFile(atPath: demo.path),
        "memo-demo is not built next to the tests (\(demo.path)); run `make test`")
    let process = Process()
    process.executableURL = demo
    process.arguments = arguments
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let lines = String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
    return (process.terminationStatus, lines)
}
