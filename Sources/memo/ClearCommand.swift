import ArgumentParser
import Memo

/// `memo clear DIR [--function NAME]`: removes entries and their files.
struct ClearCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clear",
        abstract: "Remove every entry of a directory, or one function's.",
        discussion: """
            Removes the entries and their spill files, and nothing else in the directory: \
            the index stays (empty of them), as do files that are not Memo's.

            --json prints {"removedEntries", "removedBytes", "entries", "bytes"}.

            Example:
              memo clear ~/.cache/memo --function spectrum
            """
    )

    @OptionGroup var options: CommonOptions

    @Option(help: "Only remove this function's entries (every version).")
    var function: String?

    func run() throws {
        let directory = try options.maintainedDirectory()
        let (removed, totals) = try maintaining { () throws(MaintenanceError) in
            try directory.clear(function: function)
        }
        RemovalSummary(
            removedEntries: removed.entries, removedBytes: removed.bytes, entries: totals.entries,
            bytes: totals.bytes
        ).print(json: options.json)
    }
}
