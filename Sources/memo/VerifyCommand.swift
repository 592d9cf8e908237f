import ArgumentParser
import Memo

/// `memo verify DIR [--repair]`: reads every file and checks it.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check every spill file's header and checksum against the index.",
        discussion: """
            Names each corrupt or truncated file, each index entry without a file, each \
            file no entry refers to, and a damaged or missing index, then exits 1. With \
            --repair it removes what is bad (entries and files), rebuilds the index from \
            the spill files when the index itself is damaged, and exits 0. A rebuild needs \
            the directory to itself: it refuses while a program has the directory open.

            --json prints {"checkedFiles", "problems": [{"kind", "file", "key", "detail"}], \
            "repaired", "rebuiltIndex", "entries", "bytes"}; kind is one of missing-file, \
            corrupt-file, unreferenced-file, leftover-temporary-file, damaged-index.

            Example:
              memo verify ~/.cache/memo --repair
            """
    )

    @OptionGroup var options: CommonOptions

    @Flag(help: "Remove what is bad, and rebuild a damaged index from the files.")
    var repair = false

    /// The JSON of one problem.
    struct Problem: Encodable {
        var kind: String
        var file: String
        var key: String?
        var detail: String

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(kind, forKey: .kind)
            try container.encode(file, forKey: .file)
            try container.encode(key, forKey: .key)
            try container.encode(detail, forKey: .detail)
        }

        enum CodingKeys: String, CodingKey { case kind, file, key, detail }
    }

    /// The JSON of `memo verify --json`.
    struct Record: Encodable {
        var checkedFiles: Int
        var problems: [Problem]
        var repaired: Bool
        var rebuiltIndex: Bool
        var entries: Int
        var bytes: Int
    }

    func run() throws {
        let directory = try options.maintainedDirectory()
        var progress = ProgressLine(label: "memo verify")
        let report = try maintaining { () throws(MaintenanceError) in
            try directory.verify(repair: repair) { done, total in
                progress.update(done: done, total: total)
            }
        }
        progress.finish()
        if options.json {
            try JSONOutput.print(
                Record(
                    checkedFiles: report.checkedFiles,
                    problems: report.findings.map {
                        Problem(
                            kind: $0.kind.rawValue, file: $0.file, key: $0.key?.hex,
                            detail: $0.detail)
                    }, repaired: report.repaired, rebuiltIndex: report.rebuiltIndex,
                    entries: report.totals.entries, bytes: report.totals.bytes))
        } else {
            let count = report.findings.count
            print(
                "checked \(HumanFormat.count(report.checkedFiles)) files: "
                    + (count == 0 ? "no problems" : "\(count) problem\(count == 1 ? "" : "s")"))
            if count > 0 {
                var table = TextTable([
                    .init(heading: "PROBLEM"), .init(heading: "FILE"), .init(heading: "DETAIL"),
                ])
                for finding in report.findings {
                    table.append([finding.kind.rawValue, finding.file, finding.detail])
                }
                print(table.render())
            }
            if report.repaired && count > 0 {
                print(
                    (report.rebuiltIndex
                        ? "repaired: index rebuilt from the files; " : "repaired; ")
                        + "the directory holds \(HumanFormat.count(report.totals.entries)) entries, "
                        + HumanFormat.size(report.totals.bytes))
            }
        }
        if !report.findings.isEmpty && !report.repaired { throw ExitCode.failure }
    }
}
