import ArgumentParser
import Memo

/// The options every subcommand takes: the directory, and `--json`.
struct CommonOptions: ParsableArguments {
    @Argument(help: "The cache directory (CacheConfiguration.directory).")
    var directory: String

    @Flag(help: "Print JSON for scripts (field names are stable; see the DocC article).")
    var json = false

    /// The directory, checked to be a cache of this user.
    func maintainedDirectory() throws(ToolError) -> MaintainedDirectory {
        try maintaining { () throws(MaintenanceError) in try MaintainedDirectory(path: directory) }
    }
}
