import ArgumentParser
import Memo

/// `memo prune DIR --max-disk SIZE`: removes least recently used entries.
struct PruneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Shrink a directory to a size, least recently used entries first.",
        discussion: """
            Removes the entries last used longer ago than --older-than, then the least \
            recently used entries until the directory holds at most --max-disk. With \
            --function, only that function's entries are removed, and --max-disk bounds \
            that function's bytes. Recency is the index's own record of use, never file \
            access times. Entries are removed in one transaction, then their files.

            SIZE is a byte count: 500MB, 2GB (powers of 1000), 512MiB (powers of 1024). \
            DURATION is a number and a unit: 30s, 15m, 12h, 7d, 2w.

            --json prints {"removedEntries", "removedBytes", "entries", "bytes"}.

            Example:
              memo prune ~/.cache/memo --max-disk 2GB --older-than 7d
            """
    )

    @OptionGroup var options: CommonOptions

    @Option(
        help: ArgumentHelp("The most the directory (or the function) may hold.", valueName: "size"))
    var maxDisk: String

    @Option(
        help: ArgumentHelp("Also remove entries not used for this long.", valueName: "duration"))
    var olderThan: String?

    @Option(help: "Only remove this function's entries, and bound its bytes alone.")
    var function: String?

    func run() throws {
        let budget: ByteCount
        do {
            budget = try ByteCount(parsing: maxDisk)
        } catch {
            throw ToolError.badArgument("\(error) (for --max-disk)")
        }
        let age = try olderThan.map { text throws(ToolError) in
            try DurationArgument.parse(text, option: "--older-than")
        }
        let directory = try options.maintainedDirectory()
        let (removed, totals) = try maintaining { () throws(MaintenanceError) in
            try directory.prune(maxBytes: budget.bytes, olderThan: age, function: function)
        }
        let removedBytes = removed.reduce(0) { $0 + $1.size }
        RemovalSummary(
            removedEntries: removed.count, removedBytes: removedBytes, entries: totals.entries,
            bytes: totals.bytes
        ).print(json: options.json)
    }
}
