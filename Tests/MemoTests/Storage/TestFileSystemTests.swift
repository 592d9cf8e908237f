import Memo
import MemoTesting
import SystemPackage
import Testing

@Suite("MemoTesting file systems")
struct TestFileSystemTests {
    func contents(_ text: String) -> SpillFileContents { SpillFileContents(Array(text.utf8)) }

    @Test("a crash keeps synced data under synced names and loses everything else")
    func crashLosesWhatAPowerCutWould() throws {
        let fs = InMemoryFileSystem()
        try fs.prepareDirectory(atPath: "/d")
        try fs.writeFile(atPath: "/d/durable.tmp", contents: contents("kept"))
        try fs.synchronizeFile(atPath: "/d/durable.tmp")
        try fs.renameFile(atPath: "/d/durable.tmp", toPath: "/d/durable")
        try fs.synchronizeDirectory(atPath: "/d")
        try fs.writeFile(atPath: "/d/unsynced-data", contents: contents("lost"))
        try fs.synchronizeDirectory(atPath: "/d")  // the name is durable, the data is not
        try fs.writeFile(atPath: "/d/unsynced-name", contents: contents("gone"))
        try fs.synchronizeFile(atPath: "/d/unsynced-name")  // the data is, the name is not
        fs.crash()
        #expect(try fs.contentsOfDirectory(atPath: "/d") == ["durable", "unsynced-data"])
        #expect(try fs.readFile(atPath: "/d/durable") == Array("kept".utf8))
        #expect(try fs.readFile(atPath: "/d/unsynced-data") == [])
        #expect(throws: Errno.noSuchFileOrDirectory) { try fs.readFile(atPath: "/d/unsynced-name") }
    }

    @Test("a rename not followed by a directory sync is undone by a crash")
    func unsyncedRenameUndone() throws {
        let fs = InMemoryFileSystem()
        try fs.prepareDirectory(atPath: "/d")
        try fs.writeFile(atPath: "/d/a", contents: contents("x"))
        try fs.synchronizeFile(atPath: "/d/a")
        try fs.synchronizeDirectory(atPath: "/d")
        try fs.renameFile(atPath: "/d/a", toPath: "/d/b")
        fs.crash()
        #expect(try fs.contentsOfDirectory(atPath: "/d") == ["a"])
    }

    @Test("rules fire on the nth call, from the nth call, and only on matching paths")
    func schedules() throws {
        let faults = FaultInjectingFileSystem(wrapping: InMemoryFileSystem())
        try faults.prepareDirectory(atPath: "/d")
        faults.inject(.init(.write, path: "*.spill", on: .nth(2), action: .fail(.noSpace)))
        faults.inject(.init(.rename, on: .fromNth(2), action: .fail(.readOnlyFileSystem)))
        try faults.writeFile(atPath: "/d/1.spill", contents: contents("1"))
        try faults.writeFile(atPath: "/d/other", contents: contents("x"))  // path does not match
        #expect(throws: Errno.noSpace) {
            try faults.writeFile(atPath: "/d/2.spill", contents: contents("2"))
        }
        try faults.writeFile(atPath: "/d/3.spill", contents: contents("3"))  // only the 2nd
        try faults.renameFile(atPath: "/d/1.spill", toPath: "/d/one")
        #expect(throws: Errno.readOnlyFileSystem) {
            try faults.renameFile(atPath: "/d/3.spill", toPath: "/d/x")
        }
        #expect(throws: Errno.readOnlyFileSystem) {
            try faults.renameFile(atPath: "/d/3.spill", toPath: "/d/y")
        }
        #expect(faults.injectedFaults.map(\.operation) == [.write, .rename, .rename])
        #expect(faults.injectedFaults.first?.path == "/d/2.spill")
    }

    @Test("one in N from a seed fires on the same calls every time")
    func seededSchedule() throws {
        func firingCalls(seed: UInt64) throws -> [Int] {
            let faults = FaultInjectingFileSystem(wrapping: InMemoryFileSystem())
            try faults.prepareDirectory(atPath: "/d")
            faults.inject(.init(.write, on: .oneIn(4, seed: seed), action: .fail(.ioError)))
            return (0..<64).filter { n in
                (try? faults.writeFile(atPath: "/d/\(n)", contents: contents("x"))) == nil
            }
        }
        let first = try firingCalls(seed: 7)
        #expect(first == (try firingCalls(seed: 7)))
        #expect(first != (try firingCalls(seed: 8)))
        #expect((4...32).contains(first.count), "about one in four: \(first.count) of 64")
    }

    @Test("damaged reads and short writes")
    func dataActions() throws {
        let faults = FaultInjectingFileSystem(wrapping: InMemoryFileSystem())
        try faults.prepareDirectory(atPath: "/d")
        try faults.writeFile(atPath: "/d/f", contents: contents("abcdefgh"))
        faults.inject(.init(.read, on: .nth(1), action: .corruptRead))
        faults.inject(.init(.read, on: .nth(2), action: .truncateRead(to: 3)))
        #expect(try faults.readFile(atPath: "/d/f") != Array("abcdefgh".utf8))
        #expect(try faults.readFile(atPath: "/d/f") == Array("abc".utf8))
        #expect(
            try faults.readFile(atPath: "/d/f") == Array("abcdefgh".utf8),
            "the stored file is intact")
        faults.inject(.init(.write, on: .nth(1), action: .shortWrite(keeping: 2)))
        #expect(throws: Errno.noSpace) {
            try faults.writeFile(atPath: "/d/g", contents: contents("12345"))
        }
        #expect(try faults.readFile(atPath: "/d/g") == Array("12".utf8), "a partial file is left")
    }

    @Test("path patterns match with * as any run of characters")
    func globs() {
        #expect(FaultInjectingFileSystem.matches("/d/abc.spill", pattern: "*.spill"))
        #expect(FaultInjectingFileSystem.matches("/d/abc.spill", pattern: "/d/*"))
        #expect(FaultInjectingFileSystem.matches("/d/abc.spill", pattern: "*abc*"))
        #expect(!FaultInjectingFileSystem.matches("/d/abc.spill.tmp", pattern: "*.spill"))
        #expect(FaultInjectingFileSystem.matches("/exact", pattern: "/exact"))
        #expect(!FaultInjectingFileSystem.matches("/exact2", pattern: "/exact"))
    }

    @Test("TestClock moves only when told")
    func testClock() {
        let clock = TestClock(start: .seconds(10))
        #expect(clock.now == .seconds(10))
        clock.advance(by: .milliseconds(1500))
        #expect(clock.now == .milliseconds(11_500))
        clock.set(to: .seconds(20))
        #expect(clock.now == .seconds(20))
    }
}
