import Foundation
@testable import Memo
import TestProcesses
import Testing

/// The `memo` tool, run as a real process (the built binary) against directories the
/// library wrote.
@Suite("The memo tool", .serialized)
struct MemoToolTests {
    // MARK: stats and list

    @Test("stats --json counts entries and bytes, overall and per function")
    func statsJSON() throws {
        let directory = try ToolDirectory()
        defer { directory.remove() }
        let written = try directory.write(alpha: 0..<10, beta: 0..<5)

        let run = try memo("stats", directory.path, "--json")
        #expect(run.status == 0, "\(run)")
        let stats = try JSONDecoder().decode(StatsRecord.self, from: Data(run.output.utf8))
        #expect(stats.entries == 15)
        #expect(
            stats.bytes == written.diskBytes, "the spill files' sizes, as the cache counts them")
        #expect(stats.bytes == directory.spillFileBytes())
        #expect(Set(stats.functions.keys) == ["alpha", "beta"])
        #expect(stats.functions["alpha"]?.entries == 10)
        #expect(stats.functions["beta"]?.entries == 5)
        #expect(stats.functions["alpha"]?.versions == [1])
        #expect(stats.functions["beta"]?.versions == [2])
        #expect(
            (stats.functions["alpha"]?.bytes ?? 0) + (stats.functions["beta"]?.bytes ?? 0)
                == stats.bytes)
        #expect(stats.oldestUse != nil && stats.newestUse != nil)
        #expect(stats.oldestUse?.hasSuffix("Z") == true)
    }

    @Test("stats merges a function stored under two versions into one row: entries, bytes, versions")
    func statsOverTwoVersions() throws {
        let directory = try ToolDirectory()
        defer { directory.remove() }
        let first = try directory.write(alpha: 0..<4, beta: 0..<2)
        // Three more alpha entries under version 3, by a later release of the program.
        let cache = try SpillingCache(directory.configuration())
        for n in 10..<13 {
            cache.storeAny(
                ToolDirectory.value("alpha", n), forKey: ToolDirectory.key("alpha", n),
                function: StoredFunction(name: "alpha", version: 3))
        }
        cache.flush()
        let total = cache.stats.diskBytes
        #expect(total > first.diskBytes)

        let run = try memo("stats", directory.path, "--json")
        #expect(run.status == 0, "\(run)")
        let stats = try JSONDecoder().decode(StatsRecord.self, from: Data(run.output.utf8))
        #expect(stats.entries == 9)
        let alpha = try #require(stats.functions["alpha"])
        #expect(alpha.entries == 7)
        #expect(alpha.versions == [1, 3])
        #expect(alpha.bytes + (stats.functions["beta"]?.bytes ?? 0) == stats.bytes)
        #expect(stats.bytes == directory.spillFileBytes())
        // Version 1 was written first and version 3 last: alpha spans the whole directory.
        #expect(alpha.oldestUse == stats.oldestUse)
        #expect(alpha.newestUse == stats.newestUse)
        #expect(alpha.oldestUse < alpha.newestUse)

        let table = try memo("stats", directory.path)
        let row = try #require(table.lines.first { $0.hasPrefix("alpha ") })
        #expect(row.contains(" 1,3 "), "\(row)")
        #expect(table.lines.filter { $0.hasPrefix("alpha ") }.count == 1)
    }

    @Test("stats for people: an aligned table with human sizes and relative times")
    func statsTable() throws {
        let directory = try ToolDirectory()
        defer { directory.remove() }
        try directory.write(alpha: 0..<10, beta: 0..<5)

        let run = try memo("stats", directory.path)
        #expect(run.status == 0, "\(run)")
        #expect(run.lines.contains { $0.hasPrefix("Entries") && $0.hasSuffix(" 15") })
        let heading = try #require(run.lines.first { $0.hasPrefix("FUNCTION") })
        let alpha = try #require(run.lines.first { $0.hasPrefix("alpha ") })
        let beta = try #require(run.lines.first { $0.hasPrefix("beta ") })
        // Right-aligned counts end where their heading ends.
        let end = try #require(heading.range(of: "ENTRIES")).upperBound.utf16Offset(in: heading)
        for row in [alpha, beta] {
            let cells = row.split(separator: " ", omittingEmptySubsequences: true)
            let count = row.range(of: " \(cells[2]) ")!.lowerBound.utf16Offset(in: row) + 1
            #expect(count + cells[2].count == end, "\(row)")
        }
        #expect(alpha.contains("KB"), "a human size: \(alpha)")
        #expect(alpha.hasSuffix("just now") || alpha.hasSuffix("s ago"), "\(alpha)")
    }

    @Test("list: one line per entry, least recently used first, filtered by function")
    func listing() throws {
        let directory = try ToolDirectory()
        defer { directory.remove() }
        try directory.write(alpha: 0..<6, beta: 0..<3)
        // Use alpha 0 again in a new process's cache: it becomes the most recent entry.
        try directory.read(function: "alpha", 0)

        let all = try memo("list", directory.path, "--json")
        #expect(all.status == 0, "\(all)")
        let entries = try JSONDecoder().decode([ListRecord].self, from: Data(all.output.utf8))
        #expect(entries.count == 9)
        #expect(entries.last?.key == ToolDirectory.key("alpha", 0).hex)
        #expect(entries.first?.key == ToolDirectory.key("alpha", 1).hex)
        #expect(
            entries.allSatisfy { $0.file.hasPrefix($0.key + "-") && $0.file.hasSuffix(".spill") })
        #expect(entries.allSatisfy { $0.bytes > 0 && $0.lastUse >= $0.storedAt })

        let beta = try memo("list", directory.path, "--function", "beta")
        #expect(beta.status == 0, "\(beta)")
        #expect(beta.lines.first?.hasPrefix("KEY") == true)
        #expect(beta.lines.count == 4, "a heading and three entries: \(beta.output)")
        for n in 0..<3 {
            #expect(
                beta.lines.contains { $0.hasPrefix(ToolDirectory.key("beta", n).hex + "  beta") })
        }
    }

    @Test("list --sort cost: the most expensive to recompute first; stats sums the compute time held")
    func costs() throws {
        let directory = try ToolDirectory()
        defer { directory.remove() }
        let cache = try SpillingCache(directory.configuration())
        let costs: [(String, Int, Duration)] = [
            ("alpha", 0, .milliseconds(50)), ("alpha", 1, .seconds(2)), ("beta", 0, .milliseconds(300)),
            ("beta", 1, .zero),
        ]
        for (function, n, cost) in costs {
            cache.storeAny(
                ToolDirectory.value(function, n), forKey: ToolDirectory.key(function, n),
                function: StoredFunction(name: function, version: 1), cost: cost)
        }
        cache.flush()

        let sorted = try memo("list", directory.path, "--sort", "cost", "--json")
        #expect(sorted.status == 0, "\(sorted)")
        let entries = try JSONDecoder().decode([ListRecord].self, from: Data(sorted.output.utf8))
        #expect(
            entries.map(\.key)
                == [("alpha", 1), ("beta", 0), ("alpha", 0), ("beta", 1)].map {
                    ToolDirectory.key($0.0, $0.1).hex
                })
        #expect(entries.map(\.computeSeconds) == [2, 0.3, 0.05, 0])
        #expect(entries.allSatisfy { $0.uses == 1 })
        let table = try memo("list", directory.path, "--sort", "cost")
        #expect(table.lines.first?.contains("COMPUTE") == true, "\(table)")
        #expect(table.lines.dropFirst().first?.contains(" 2.00 s ") == true, "\(table)")
        #expect(table.lines.last?.contains(" - ") == true, "an unknown cost shows as -: \(table)")

        let stats = try JSONDecoder().decode(
            StatsRecord.self, from: Data(try memo("stats", directory.path, "--json").output.utf8))
        #expect(abs((stats.functions["alpha"]?.computeSeconds ?? 0) - 2.05) < 1e-9)
        #expect(stats.functions["beta"]?.computeSeconds == 0.3)
        let people = try memo("stats", directory.path)
        #expect(people.lines.contains { $0.hasPrefix("alpha ") && $0.contains(" 2.05 s ") }, "\(people)")

        let bad = try memo("list", directory.path, "--sort", "price")
        #expect(bad.status != 0)
        #expect(bad.errors.contains("recency") && bad.errors.contains("cost"), "\(bad)")
    }

    // MARK: verify

    @Test("a disk hit of an entry the process spilled itself records its use in the index")
    func diskHitRecordsUse() throws {
        let directory = try ToolDirectory()
        defer { directory.remove() }
        var configuration = directory.configuration()
        configuration.maxMemory = .kilobytes(4)  // about one value: the others go to disk
        let cache = try SpillingCache(configuration)
        for n in 0..<6 {
            cache.storeAny(
                ToolDirectory.value("alpha", n), forKey: ToolDirectory.key("alpha", n),
                function: ToolDirectory.function("alpha"))
        }
        cache.flush()
        let diskHitsBefore = cache.stats.diskHits
        let value = cache.value(forKey: ToolDirectory.key("alpha", 0), as: [Double].self)
        #expect(value == ToolDirectory.value("alpha", 0))
        #expect(cache.stats.diskHits == diskHitsBefore + 1, "alpha 0 came back from disk")
        cache.flush()

        let list = try memo("list", directory.path, "--json")
        #expect(list.status == 0, "\(list)")
        let entries = try JSONDecoder().decode([ListRecord].self, from: Data(list.output.utf8))
        #expect(entries.count == 6)
        #expect(
            entries.last?.key == ToolDirectory.key("alpha", 0).hex, "the hit made it the most recent")
        #expect(entries.first?.key == ToolDirectory.key("alpha", 1).hex)
    }

    @Test("verify: a sound directory passes")
    func verifySound() throws {
        let directory = try ToolDirectory()
        defer { directory.remove() }
        try directory.write(alpha: 0..<10, beta: 0..<5)
        let run = try memo("verify", directory.path)
        #expect(run.status == 0, "\(run)")
        #expect(run.lines.first == "checked 15 files: no problems")
    }

    @Test(
        "verify names a corrupted payload, a truncated file and a deleted file; --repair removes them"
    )
    func verifyDamagedFiles() throws {
        let directory = try ToolDirectory()
        defer { directory.remove() }
        try directory.write(alpha: 0..<10, beta: 0..<5)
        let corrupted = try directory.fileName(of: ToolDirectory.key("alpha", 2))
        let truncated = try directory.fileName(of: ToolDirectory.key("alpha", 5))
        let deleted = try directory.fileName(of: ToolDirectory.key("beta", 1))
        try directory.flipLastByte(of: corrupted)
        try directory.truncate(truncated, to: 100)
        try FileManager.default.removeItem(atPath: directory.path + "/" + deleted)
        let stray = "0123456789abcdef0123456789abcdef-7.spill.tmp"
        _ = FileManager.default.createFile(
            atPath: directory.path + "/" + stray, contents: Data([1]))

        let run = try memo("verify", directory.path, "--json")
        #expect(run.status == 1, "problems exit 1: \(run)")
        let report = try JSONDecoder().decode(VerifyRecord.self, from: Data(run.output.utf8))
        #expect(report.checkedFiles == 15)
        #expect(!report.repaired)
        let kinds = Dictionary(
            report.problems.map { ($0.file, $0.kind) }, uniquingKeysWith: { a, _ in a })
        #expect(
            kinds == [
                corrupted: "corrupt-file", truncated: "corrupt-file", deleted: "missing-file",
                stray: "leftover-temporary-file",
            ])
        let people = try memo("verify", directory.path)
        #expect(people.status == 1)
        for name in [corrupted, truncated, deleted, stray] {
            #expect(people.output.contains(name), "each bad file is named: \(people.output)")
        }

        let repair = try memo("verify", directory.path, "--repair")
        #expect(repair.status == 0, "\(repair)")
        let again = try memo("verify", directory.path)
        #expect(again.status == 0, "\(again)")
        #expect(again.lines.first == "checked 12 files: no problems")
        #expect(!FileManager.default.fileExists(atPath: directory.path + "/" + corrupted))
        #expect(!FileManager.default.fileExists(atPath: directory.path + "/" + stray))
        #expect(directory.spillFileNames().count == 12)

        // The library finds every sound value, and misses the three removed.
        let found = try directory.readAll(alpha: 0..<10, beta: 0..<5)
        #expect(found.missing == ["alpha 2", "alpha 5", "beta 1"])
        #expect(found.wrong == 0)
    }

    @Test(
        "a damaged index is named, and --repair rebuilds it from the files",
        arguments: [
            IndexDamage.overwrittenHeader, .deleted, .wrongTotals,
        ])
    func damagedIndex(_ damage: IndexDamage) throws {
        let directory = try ToolDirectory()
        defer { directory.remove() }
        try directory.write(alpha: 0..<10, beta: 0..<5)
        try directory.damageIndex(damage)

        let run = try memo("verify", directory.path, "--json")
        #expect(run.status == 1, "\(run)")
        let report = try JSONDecoder().decode(VerifyRecord.self, from: Data(run.output.utf8))
        #expect(report.problems.map(\.kind) == ["damaged-index"], "\(run.output)")
        #expect(report.checkedFiles == 15, "every file is still checked")

        let repair = try memo("verify", directory.path, "--repair", "--json")
        #expect(repair.status == 0, "\(repair)")
        let repaired = try JSONDecoder().decode(VerifyRecord.self, from: Data(repair.output.utf8))
        #expect(repaired.rebuiltIndex && repaired.repaired)
        #expect(repaired.entries == 15)

        let stats = try memo("stats", directory.path, "--json")
        #expect(stats.status == 0, "\(stats)")
        let record = try JSONDecoder().decode(StatsRecord.self, from: Data(stats.output.utf8))
        #expect(record.entries == 15)
        #expect(record.functions["alpha"]?.entries == 10, "functions come back from the files")
        #expect(record.functions["beta"]?.versions == [2])
        #expect(record.bytes == directory.spillFileBytes())
        #expect(try memo("verify", directory.path).status == 0)
        let found = try directory.readAll(alpha: 0..<10, beta: 0..<5)
        #expect(found.missing.isEmpty && found.wrong == 0)
        #expect(
            !((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
                .contains { $0.hasPrefix(".memo-rebuild") }, "the rebuild's folder is gone")
    }

    @Test("an index is never rebuilt under a process that has the directory open")
    func rebuildRefusedWhileOpen() throws {
        let directory = try ToolDirectory()
        defer { directory.remove() }
        try directory.write(alpha: 0..<4, beta: 0..<0)
        let cache = try SpillingCache(directory.configuration())
        // The open cache keeps its connection to the old file; the tool sees none.
        try FileManager.default.moveItem(
            atPath: directory.path + "/memo-index.sqlite",
            toPath: directory.path + "/moved-index.sqlite")
        let run = try memo("verify", directory.path, "--repair")
        #expect(run.status == 1, "\(run)")
        #expect(run.errors.contains("a process has this cache open"), "\(run.errors)")
        #expect(run.errorLines.count == 1)
        #expect(directory.spillFileNames().count == 4, "nothing was removed")
        withExtendedLifetime(cache) {}
    }

    // MARK: prune and clear

    @Test("prune holds the directory to its budget, least recently used out first")
    func pruneBudget() throws {
        let directory = try ToolDirectory()
        defer { directory.remove() }
        try directory.write(alpha: 0..<20, beta: 0..<0)
        try directory.read(function: "alpha", 0, 1, 2)  // now the most recent
        let before = try JSONDecoder().decode(
            [ListRecord].self, from: Data(try memo("list", directory.path, "--json").output.utf8))
        let total = before.reduce(0) { $0 + $1.bytes }
        let budget = total / 3
        // What prune must remove: least recently used first, until within the budget.
        var expected: [String] = []
        var remaining = total
        for entry in before where remaining > budget {
            expected.append(entry.key)
            remaining -= entry.bytes
        }

        let run = try memo("prune", directory.path, "--max-disk", "\(budget)B", "--json")
        #expect(run.status == 0, "\(run)")
        let summary = try JSONDecoder().decode(RemovalRecord.self, from: Data(run.output.utf8))
        #expect(summary.bytes <= budget)
        #expect(summary.removedEntries == expected.count)
        #expect(summary.bytes == remaining)
        let after = try JSONDecoder().decode(
            [ListRecord].self, from: Data(try memo("list", directory.path, "--json").output.utf8))
        #expect(Set(after.map(\.key)) == Set(before.map(\.key)).subtracting(expected))
        for n in 0..<3 {
            #expect(after.contains { $0.key == ToolDirectory.key("alpha", n).hex }, "recently used")
        }
        #expect(directory.spillFileNames().count == after.count, "files follow the index")
        #expect(directory.spillFileBytes() == summary.bytes)
    }

    @Test("prune --older-than removes what was not used recently, whatever the budget")
    func pruneOlderThan() throws {
        let directory = try ToolDirectory()
        defer { directory.remove() }
        try directory.write(alpha: 0..<6, beta: 0..<0)
        Thread.sleep(forTimeInterval: 1.2)
        try directory.read(function: "alpha", 4, 5)
        let run = try memo("prune", directory.path, "--max-disk", "1TB", "--older-than", "1s")
        #expect(run.status == 0, "\(run)")
        #expect(run.lines.first?.hasPrefix("removed 4 entries") == true, "\(run.output)")
        let after = try JSONDecoder().decode(
            [ListRecord].self, from: Data(try memo("list", directory.path, "--json").output.utf8))
        #expect(
            Set(after.map(\.key)) == [
                ToolDirectory.key("alpha", 4).hex, ToolDirectory.key("alpha", 5).hex,
            ])
    }

    @Test("prune --function bounds one function and leaves the others")
    func pruneFunction() throws {
        let directory = try ToolDirectory()
        defer { directory.remove() }
        try directory.write(alpha: 0..<8, beta: 0..<8)
        let run = try memo("prune", directory.path, "--max-disk", "0", "--function", "beta")
        #expect(run.status == 0, "\(run)")
        let stats = try JSONDecoder().decode(
            StatsRecord.self, from: Data(try memo("stats", directory.path, "--json").output.utf8))
        #expect(stats.functions["beta"] == nil)
        #expect(stats.functions["alpha"]?.entries == 8)
    }

    @Test("clear --function leaves other functions intact; clear removes entries and nothing else")
    func clearing() throws {
        let directory = try ToolDirectory()
        defer { directory.remove() }
        try directory.write(alpha: 0..<10, beta: 0..<5)
        let notes = directory.path + "/notes.txt"
        _ = FileManager.default.createFile(atPath: notes, contents: Data("mine".utf8))

        let one = try memo("clear", directory.path, "--function", "alpha", "--json")
        #expect(one.status == 0, "\(one)")
        let summary = try JSONDecoder().decode(RemovalRecord.self, from: Data(one.output.utf8))
        #expect(summary.removedEntries == 10 && summary.entries == 5)
        let found = try directory.readAll(alpha: 0..<10, beta: 0..<5)
        #expect(found.missing == (0..<10).map { "alpha \($0)" })
        #expect(found.wrong == 0)
        #expect(directory.spillFileNames().count == 5)

        let all = try memo("clear", directory.path)
        #expect(all.status == 0, "\(all)")
        #expect(all.lines.first?.hasPrefix("removed 5 entries") == true, "\(all.output)")
        #expect(directory.spillFileNames().isEmpty)
        #expect(FileManager.default.fileExists(atPath: notes), "not Memo's: left alone")
        #expect(FileManager.default.fileExists(atPath: directory.path + "/memo-index.sqlite"))
        #expect(try memo("stats", directory.path).status == 0, "still a cache, empty")
    }

    // MARK: Beside running programs

    /// Two `memo-worker churn` processes store, read and remove values while the tool
    /// verifies, prunes and clears the same directory over and over. Verify never reports
    /// a problem that is not there, no worker ever reads a wrong value, and at the end the
    /// files are exactly the index's.
    @Test("safe beside running programs: no false alarms, no wrong values, files match the index")
    func besideRunningPrograms() async throws {
        let scratch = try MultiProcessTests.Scratch()
        defer { scratch.remove() }
        _ = try await MultiProcessTests.Worker.run(["write", scratch.cache, "50"], logs: scratch)
        let workers = try (1...2).map { seed in
            try MultiProcessTests.Worker(
                ["churn", scratch.cache, "\(seed)", "2500", "200000"], logs: scratch)
        }
        var rounds = 0
        var roundsBesideWorkers = 0
        var falseAlarms: [String] = []
        while workers.contains(where: { $0.process.isRunning }) || rounds < 3 {
            if workers.allSatisfy({ $0.process.isRunning }) { roundsBesideWorkers += 1 }
            let verify = try memo("verify", scratch.cache)
            if verify.status != 0 { falseAlarms.append(verify.output + verify.errors) }
            #expect(try memo("prune", scratch.cache, "--max-disk", "60KB").status == 0)
            if rounds % 3 == 2 { #expect(try memo("clear", scratch.cache).status == 0) }
            rounds += 1
        }
        for worker in workers {
            let outcome = await worker.finish(within: .seconds(120))
            outcome.expectSuccess()
            #expect(outcome.field("wrong") == 0, "\(outcome)")
        }
        #expect(falseAlarms.isEmpty, "verify beside running writers: \(falseAlarms)")
        #expect(roundsBesideWorkers >= 2, "the tool ran while both workers did")
        let final = try memo("verify", scratch.cache, "--json")
        #expect(final.status == 0, "\(final)")
        let report = try JSONDecoder().decode(VerifyRecord.self, from: Data(final.output.utf8))
        let files = try FileManager.default.contentsOfDirectory(atPath: scratch.cache)
            .filter { $0.hasSuffix(".spill") }
        #expect(files.count == report.entries, "every file is an entry and every entry a file")
    }

    // MARK: Bad input

    @Test("bad input: one line saying what was wrong and what is accepted, and a non-zero exit")
    func badInput() throws {
        let directory = try ToolDirectory()
        defer { directory.remove() }
        try directory.write(alpha: 0..<2, beta: 0..<0)
        let empty = temporaryDirectoryPath()
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: empty) }

        let cases: [(arguments: [String], status: Int32, mentions: [String])] = [
            (["stats", directory.path + "/absent"], 66, ["no such directory"]),
            (["list", empty], 66, ["not a Memo cache"]),
            (["stats", directory.path + "/memo-index.sqlite"], 66, ["not a directory"]),
            (["prune", directory.path, "--max-disk", "12XB"], 64, ["\"XB\"", "KiB", "2GB"]),
            (
                ["prune", directory.path, "--max-disk", "1GB", "--older-than", "5 parsecs"], 64,
                ["\"parsecs\"", "30s", "7d"]
            ),
            (["prune", directory.path], 64, ["--max-disk"]),
            (["stats"], 64, ["directory"]),
            (["stats", directory.path, "--bogus"], 64, ["--bogus"]),
        ]
        for (arguments, status, mentions) in cases {
            let run = try memo(arguments)
            #expect(run.status == status, "\(arguments): \(run)")
            #expect(run.errorLines.count == 1, "one line for \(arguments): \(run.errors)")
            #expect(run.output.isEmpty, "\(arguments)")
            for word in mentions {
                #expect(run.errors.contains(word), "\(arguments) mentions \(word): \(run.errors)")
            }
        }
    }

    @Test(
        "a directory of another user is refused",
        .enabled(if: geteuid() == 0, "needs root, to give a directory to another user"))
    func anotherUsersDirectory() throws {
        let directory = try ToolDirectory()
        defer { directory.remove() }
        try directory.write(alpha: 0..<2, beta: 0..<0)
        #expect(chown(directory.path, 65534, 65534) == 0)
        let run = try memo("stats", directory.path)
        #expect(run.status == 77, "\(run)")
        #expect(run.errorLines.count == 1)
        #expect(run.errors.contains("belongs to user 65534"), "\(run.errors)")
    }

    @Test("every subcommand has --help with an example")
    func help() throws {
        for command in ["stats", "list", "verify", "prune", "clear"] {
            let run = try memo(command, "--help")
            #expect(run.status == 0, "\(command): \(run)")
            #expect(run.output.contains("Example:"), "\(command)")
            #expect(run.output.contains("memo \(command) "), "\(command)")
        }
        #expect(try memo("--help").output.contains("SUBCOMMANDS"))
    }

    @Test(
        "verify over thousands of files shows a progress line on a terminal",
        .enabled(
            if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script"), "needs script(1)"))
    func progressOnTerminal() throws {
        let directory = try ToolDirectory()
        defer { directory.remove() }
        try directory.write(alpha: 0..<2_100, beta: 0..<0, small: true)
        let memoPath = try builtExecutable(named: "memo")
        // script(1) runs the tool on a pseudo-terminal and copies what it shows.
        let shownPath = directory.path + ".shown"
        defer { try? FileManager.default.removeItem(atPath: shownPath) }
        let terminal = try SpawnedProcess.run(
            "/usr/bin/script", ["-qec", "\(memoPath) verify \(directory.path)", "/dev/null"],
            output: shownPath)
        let shown = (try? String(contentsOfFile: shownPath, encoding: .utf8)) ?? ""
        #expect(terminal == .exited(0), "\(shown)")
        #expect(shown.contains("of 2,100 files"), "\(shown.prefix(400))")
        #expect(shown.contains("checked 2,100 files: no problems"))
        // Without a terminal, no progress line at all.
        let piped = try memo("verify", directory.path)
        #expect(piped.errors.isEmpty, "\(piped.errors)")
    }
}

// MARK: - Support

/// Runs the built `memo` tool.
private func memo(_ arguments: String...) throws -> FinishedProcess {
    try runBuilt("memo", arguments)
}

private func memo(_ arguments: [String]) throws -> FinishedProcess {
    try runBuilt("memo", arguments)
}

extension FinishedProcess: CustomStringConvertible {
    var description: String { "status \(status), stdout: \(output), stderr: \(errors)" }
}

/// How a test damages an index.
enum IndexDamage: CaseIterable, Sendable, CustomTestStringConvertible {
    /// Its first bytes overwritten: SQLite no longer recognizes the file.
    case overwrittenHeader
    /// Deleted.
    case deleted
    /// Its totals row changed behind the triggers' back.
    case wrongTotals

    var testDescription: String {
        switch self {
        case .overwrittenHeader: "overwritten header"
        case .deleted: "deleted"
        case .wrongTotals: "wrong totals"
        }
    }
}

/// A fresh persistent directory written by the library: values of two functions, alpha
/// (version 1) and beta (version 2).
struct ToolDirectory {
    let path = temporaryDirectoryPath()

    init() throws {}

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }

    func configuration() -> CacheConfiguration {
        var configuration = CacheConfiguration()
        configuration.directory = path
        configuration.persistent = true
        configuration.maxMemory = .megabytes(64)
        return configuration
    }

    static func key(_ function: String, _ n: Int) -> CacheKey {
        CacheKey(hashing: "tool", function, n)
    }

    static func function(_ name: String) -> StoredFunction {
        StoredFunction(name: name, version: name == "alpha" ? 1 : 2)
    }

    /// Key `n`'s value: 4 to 400 doubles.
    static func value(_ function: String, _ n: Int, small: Bool = false) -> [Double] {
        let count = small ? 2 : 4 + (n * 37 + function.count) % 397
        return (0..<count).map { Double(n) * 1_000 + Double($0) }
    }

    /// Stores the values, in order, then flushes and closes the cache.
    @discardableResult
    func write(alpha: Range<Int>, beta: Range<Int>, small: Bool = false) throws -> CacheStats {
        let cache = try SpillingCache(configuration())
        for n in alpha {
            cache.storeAny(
                Self.value("alpha", n, small: small), forKey: Self.key("alpha", n),
                function: Self.function("alpha"))
        }
        for n in beta {
            cache.storeAny(
                Self.value("beta", n), forKey: Self.key("beta", n), function: Self.function("beta"))
        }
        cache.flush()
        return cache.stats
    }

    /// Reads keys in a new cache (each becomes the most recently used), then flushes.
    func read(function: String, _ keys: Int...) throws {
        let cache = try SpillingCache(configuration())
        for n in keys {
            #expect(
                cache.value(forKey: Self.key(function, n), as: [Double].self)
                    == Self.value(function, n))
        }
        cache.flush()
    }

    /// Reads every key in a new cache: the ones missing ("alpha 3") and the wrong count.
    func readAll(alpha: Range<Int>, beta: Range<Int>) throws -> (missing: [String], wrong: Int) {
        let cache = try SpillingCache(configuration())
        var missing: [String] = []
        var wrong = 0
        for (function, range) in [("alpha", alpha), ("beta", beta)] {
            for n in range {
                guard let value = cache.value(forKey: Self.key(function, n), as: [Double].self)
                else {
                    missing.append("\(function) \(n)")
                    continue
                }
                if value != Self.value(function, n) { wrong += 1 }
            }
        }
        return (missing, wrong)
    }

    func spillFileNames() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [])
            .filter { $0.hasSuffix(".spill") }
    }

    func spillFileBytes() -> Int {
        spillFileNames().reduce(0) { total, name in
            let attributes = try? FileManager.default.attributesOfItem(atPath: path + "/" + name)
            return total + ((attributes?[.size] as? Int) ?? 0)
        }
    }

    func fileName(of key: CacheKey) throws -> String {
        try #require(spillFileNames().first { $0.hasPrefix(key.hex + "-") })
    }

    func flipLastByte(of name: String) throws {
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path + "/" + name))
        defer { try? handle.close() }
        let end = try handle.seekToEnd()
        try handle.seek(toOffset: end - 1)
        let last = try #require(try handle.read(upToCount: 1)?.first)
        try handle.seek(toOffset: end - 1)
        try handle.write(contentsOf: Data([last ^ 0xFF]))
    }

    func truncate(_ name: String, to size: UInt64) throws {
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path + "/" + name))
        defer { try? handle.close() }
        try handle.truncate(atOffset: size)
    }

    func damageIndex(_ damage: IndexDamage) throws {
        let index = path + "/memo-index.sqlite"
        switch damage {
        case .overwrittenHeader:
            let handle = try FileHandle(forUpdating: URL(fileURLWithPath: index))
            defer { try? handle.close() }
            try handle.write(contentsOf: Data(repeating: 0x5A, count: 100))
        case .deleted:
            try FileManager.default.removeItem(atPath: index)
        case .wrongTotals:
            let connection = try SQLiteConnection(path: index, create: false)
            // Behind the triggers' back, as a bug or a hand edit would.
            try connection.execute("UPDATE totals SET entries = entries + 3 WHERE id = 0")
        }
    }
}

/// `memo stats --json`.
struct StatsRecord: Decodable {
    struct Function: Decodable, Equatable {
        var entries: Int
        var bytes: Int
        var versions: [Int]
        var oldestUse: String
        var newestUse: String
        var computeSeconds: Double
    }

    var directory: String
    var entries: Int
    var bytes: Int
    var oldestUse: String?
    var newestUse: String?
    var functions: [String: Function]
}

/// One entry of `memo list --json`.
struct ListRecord: Decodable {
    var key: String
    var function: String
    var version: Int
    var bytes: Int
    var computeSeconds: Double
    var uses: Int
    var storedAt: String
    var lastUse: String
    var file: String
}

/// `memo verify --json`.
struct VerifyRecord: Decodable {
    struct Problem: Decodable {
        var kind: String
        var file: String
        var key: String?
        var detail: String
    }

    var checkedFiles: Int
    var problems: [Problem]
    var repaired: Bool
    var rebuiltIndex: Bool
    var entries: Int
    var bytes: Int
}

/// `memo prune --json` and `memo clear --json`.
struct RemovalRecord: Decodable {
    var removedEntries: Int
    var removedBytes: Int
    var entries: Int
    var bytes: Int
}
