import ArgumentParser
import Memo

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// `memo`: inspects and maintains the persistent directories of Memo caches.
@main
struct MemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "memo",
        abstract: "Inspect, verify, prune and clear persistent Memo cache directories.",
        discussion: """
            DIR is a directory a persistent cache writes to (CacheConfiguration.directory; \
            by default ~/.cache/memo). Every command reads the directory's index, and is \
            safe beside programs that have the directory open.

            Exit status: 0 on success; 1 when verify finds problems (and --repair was not \
            given) or a change failed; 64 for a bad argument; 66 for a directory that is \
            missing or not a Memo cache; 77 for a directory of another user.

            Example:
              memo stats ~/.cache/memo
            """,
        subcommands: [
            StatsCommand.self, ListCommand.self, VerifyCommand.self, PruneCommand.self,
            ClearCommand.self,
        ]
    )

    /// Runs the command; every error is one line on stderr and a non-zero exit status.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let error as ToolError {
            printError("memo: \(error)")
            terminate(error.exitCode)
        } catch let code as ExitCode {
            terminate(code.rawValue)
        } catch {
            let code = exitCode(for: error)
            // Help and version requests print as ArgumentParser prints them.
            guard code != .success else { exit(withError: error) }
            let message = message(for: error).split(separator: "\n").first.map(String.init) ?? ""
            printError("memo: \(message) (see `memo help`)")
            terminate(code.rawValue)
        }
    }
}

/// Ends the process with `status` (the global `exit`, which a command's own `exit(withError:)`
/// would shadow inside the type).
func terminate(_ status: Int32) -> Never {
    exit(status)
}

/// Writes one line to stderr.
func printError(_ line: String) {
    var text = line + "\n"
    text.withUTF8 { bytes in _ = write(STDERR_FILENO, bytes.baseAddress, bytes.count) }
}
