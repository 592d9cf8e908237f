import ArgumentParser
import Memo

/// `memo stats DIR`: entries, bytes and uses, overall and per function.
struct StatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Show the entries, bytes and last uses of a directory, per function.",
        discussion: """
            Reads the index only (never a listing of the files), so it answers at once \
            for any number of entries. BYTES are the sizes of the spill files, what \
            maxDisk bounds.

            --json prints {"directory", "entries", "bytes", "oldestUse", "newestUse", \
            "functions": {NAME: {"entries", "bytes", "versions", "oldestUse", \
            "newestUse", "computeSeconds"}}}; times are ISO 8601 in UTC, null when there \
            is no entry; values stored without a function have the name "". COMPUTE \
            (computeSeconds) is the compute time the function's entries hold: what \
            recomputing them all would cost, as measured when each was stored.

            Example:
              memo stats ~/.cache/memo --json
            """
    )

    @OptionGroup var options: CommonOptions

    /// The JSON of one function.
    struct FunctionRecord: Encodable {
        var entries: Int
        var bytes: Int
        var versions: [Int]
        var oldestUse: String
        var newestUse: String
        var computeSeconds: Double
    }

    /// The JSON of `memo stats --json`.
    struct Record: Encodable {
        var directory: String
        var entries: Int
        var bytes: Int
        var oldestUse: String?
        var newestUse: String?
        var functions: [String: FunctionRecord]

        enum CodingKeys: String, CodingKey {
            case directory, entries, bytes, oldestUse, newestUse, functions
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(directory, forKey: .directory)
            try container.encode(entries, forKey: .entries)
            try container.encode(bytes, forKey: .bytes)
            // Explicit nulls: a script finds every field, whatever the directory holds.
            try container.encode(oldestUse, forKey: .oldestUse)
            try container.encode(newestUse, forKey: .newestUse)
            try container.encode(functions, forKey: .functions)
        }
    }

    func run() throws {
        let directory = try options.maintainedDirectory()
        let (totals, functions) = try maintaining { () throws(MaintenanceError) in
            try directory.statistics()
        }
        let oldest = functions.map(\.oldestUse).min()
        let newest = functions.map(\.newestUse).max()
        if options.json {
            var records: [String: FunctionRecord] = [:]
            for summary in functions {
                records[summary.function] = FunctionRecord(
                    entries: summary.entries, bytes: summary.bytes, versions: summary.versions,
                    oldestUse: JSONOutput.timestamp(summary.oldestUse),
                    newestUse: JSONOutput.timestamp(summary.newestUse),
                    computeSeconds: Double(summary.computeTime.components.seconds)
                        + Double(summary.computeTime.components.attoseconds) / 1e18)
            }
            try JSONOutput.print(
                Record(
                    directory: directory.path, entries: totals.entries, bytes: totals.bytes,
                    oldestUse: oldest.map(JSONOutput.timestamp),
                    newestUse: newest.map(JSONOutput.timestamp), functions: records))
            return
        }
        let now = Duration.sinceUnixEpoch
        var summary = TextTable([.init(heading: ""), .init(heading: "")])
        summary.showsHeadings = false
        summary.rows = [
            ["Directory", directory.path],
            ["Entries", HumanFormat.count(totals.entries)],
            ["Size", HumanFormat.size(totals.bytes)],
            ["Oldest use", oldest.map { HumanFormat.relative($0, now: now) } ?? "-"],
            ["Newest use", newest.map { HumanFormat.relative($0, now: now) } ?? "-"],
        ]
        print(summary.render())
        guard !functions.isEmpty else { return }
        var table = TextTable([
            .init(heading: "FUNCTION"), .init(heading: "VERSIONS"),
            .init(heading: "ENTRIES", alignRight: true), .init(heading: "SIZE", alignRight: true),
            .init(heading: "COMPUTE", alignRight: true),
            .init(heading: "OLDEST USE"), .init(heading: "NEWEST USE"),
        ])
        for function in functions {
            table.append([
                function.displayName, function.versions.map(String.init).joined(separator: ","),
                HumanFormat.count(function.entries), HumanFormat.size(function.bytes),
                HumanFormat.computeTime(function.computeTime),
                HumanFormat.relative(function.oldestUse, now: now),
                HumanFormat.relative(function.newestUse, now: now),
            ])
        }
        print("")
        print(table.render())
    }
}
