import ArgumentParser
import Memo

/// `memo list DIR`: one line per entry.
struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the entries of a directory, least recently used first.",
        discussion: """
            One line per entry: key, function, version, size, compute time, uses, when \
            stored and when last used. Least recently used first, the order in which \
            prune removes them; --sort cost lists the most expensive to recompute first \
            (compute time, then size), --sort size the largest first. COMPUTE is the time \
            the value took to compute, "-" when not known (an entry rebuilt from its \
            file); USES counts its store and every read from disk, by any process.

            --json prints an array of {"key", "function", "version", "bytes", \
            "computeSeconds", "uses", "storedAt", "lastUse", "file"}; times are ISO 8601 \
            in UTC.

            Example:
              memo list ~/.cache/memo --function spectrum | head
              memo list ~/.cache/memo --sort cost | head
            """
    )

    /// The orders `--sort` accepts.
    enum Order: String, ExpressibleByArgument, CaseIterable {
        case recency, cost, size
    }

    @OptionGroup var options: CommonOptions

    @Option(help: "Only the entries of this function.")
    var function: String?

    @Option(help: "The order: recency (least recently used first), cost or size (largest first).")
    var sort: Order = .recency

    /// The JSON of one entry.
    struct Record: Encodable {
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

    func run() throws {
        let directory = try options.maintainedDirectory()
        let entries = Self.sorted(
            try maintaining { () throws(MaintenanceError) in
                try directory.entries(function: function)
            }, by: sort)
        if options.json {
            try JSONOutput.print(
                entries.map { entry in
                    Record(
                        key: entry.key.hex, function: entry.function, version: entry.version,
                        bytes: entry.size,
                        computeSeconds: Double(entry.cost.components.seconds)
                            + Double(entry.cost.components.attoseconds) / 1e18,
                        uses: entry.uses, storedAt: JSONOutput.timestamp(entry.storedAt),
                        lastUse: JSONOutput.timestamp(entry.lastUsedAt), file: entry.fileName)
                })
            return
        }
        let now = Duration.sinceUnixEpoch
        var table = TextTable([
            .init(heading: "KEY"), .init(heading: "FUNCTION"),
            .init(heading: "VERSION", alignRight: true), .init(heading: "SIZE", alignRight: true),
            .init(heading: "COMPUTE", alignRight: true), .init(heading: "USES", alignRight: true),
            .init(heading: "STORED"), .init(heading: "LAST USE"),
        ])
        for entry in entries {
            table.append([
                entry.key.hex, displayName(ofFunction: entry.function), String(entry.version),
                HumanFormat.size(entry.size), HumanFormat.computeTime(entry.cost),
                HumanFormat.count(entry.uses), HumanFormat.relative(entry.storedAt, now: now),
                HumanFormat.relative(entry.lastUsedAt, now: now),
            ])
        }
        print(table.render())
    }

    /// `entries` (least recently used first) in `order`; ties keep recency order.
    static func sorted(_ entries: [SpillIndexEntry], by order: Order) -> [SpillIndexEntry] {
        switch order {
        case .recency:
            return entries
        case .cost:
            // Stable: of equal costs and sizes, the least recently used first.
            return entries.enumerated().sorted { a, b in
                (a.element.cost, a.element.size, b.offset) > (b.element.cost, b.element.size, a.offset)
            }.map(\.element)
        case .size:
            return entries.enumerated().sorted { a, b in
                (a.element.size, b.offset) > (b.element.size, a.offset)
            }.map(\.element)
        }
    }
}
