import Foundation
import Testing

@Suite("Spill files at process exit")
struct ProcessExitTests {
    @Test("a generated cache directory is removed at normal process exit")
    func generatedDirectoryRemovedAtExit() throws {
        let (status, lines) = try runDemo(["spill-and-exit"])
        #expect(status == 0)
        let directory = try #require(lines.first)
        let spilled = try #require(lines.dropFirst().first.flatMap { Int($0) })
        #expect(spilled > 0, "the child spilled files")
        #expect(directory.contains("memo-\(getuid())-"))
        #expect(
            !FileManager.default.fileExists(atPath: directory), "\(directory) outlived its process")
    }
}
