import Foundation
import Testing

@Suite("Spill files at process exit")
struct ProcessExitTests {
    @Test("a generated cache directory is removed at normal process exit")
    func generatedDirectoryRemovedAtExit() throws {
        let testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        let demo = testBinary.deletingLastPathComponent().appendingPathComponent("memo-demo")
        try #require(
            FileManager.default.isExecutableFile(atPath: demo.path),
            "memo-demo is not built next to the tests (\(demo.path)); run `make test`")
        let process = Process()
        process.executableURL = demo
        process.arguments = ["spill-and-exit"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n")
        let directory = try #require(lines.first.map(String.init))
        let spilled = try #require(lines.dropFirst().first.flatMap { Int($0) })
        #expect(spilled > 0, "the child spilled files")
        #expect(directory.contains("memo-\(getuid())-"))
        #expect(!FileManager.default.fileExists(atPath: directory), "\(directory) outlived its process")
    }
}
