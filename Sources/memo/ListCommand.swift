import ArgumentParser
import Memo

/// `memo list DIR`: one line per entry.
struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the entries of a directory, least recently used first.",
        discussion: """
            One line per entry: key, function, version, size, when stored and when last \
            used. Least recently used first, the order in which prune removes them.

            --json prints an array of {"key", "function", "version", "bytes", \
            "storedAt", "lastUse", "file"}; times are ISO 8601 in UTC.

            Example:
              memo list ~/.cache/memo --function spectrum | head
            """
    )

    @OptionGroup var options: CommonOptions

    @Option(help: "Only the entries of this function.")
    var function: String?

    /// The JSON of one entry.
    struct Record: Encodable {
        var key: String
        var function: String
        var version: Int
        var bytes: Int
        var storedAt: String
        var lastUse: String
        var file: String
    }

    func run() throws {
        let directory = try options.maintainedDirectory()
        let entries = try maintaining { () throws(MaintenanceError) in
            try directory.entries(function: function)
        }
        if options.json {
            try JSONOutput.print(
                entries.map { entry in
                    Record(
                        key: entry.key.hex, function: entry.function, version: entry.version,
                        bytes: entry.size, storedAt: JSONOutput.timestamp(entry.storedAt),
                        lastUse: JSONOutput.timestamp(entry.lastUsedAt), file: entry.fileName)
                })
            return
        }
        let now = Duration.sinceUnixEpoch
        var table = TextTable([
            .init(heading: "KEY"), .init(heading: "FUNCTION"),
            .init(heading: "VERSION", alignRight: true), .init(heading: "SIZE", alignRight: true),
            .init(heading: "STORED"), .init(heading: "LAST USE"),
        ])
        for entry in entries {
            table.append([
                entry.key.hex, displayName(ofFunction: entry.function), String(entry.version),
                HumanFormat.size(entry.size), HumanFormat.relative(entry.storedAt, now: now),
                HumanFormat.relative(entry.lastUsedAt, now: now),
            ])
        }
        print(table.render())
    }
}
