import Memo

/// A failure of the `memo` tool: one line for stderr and an exit status (sysexits(3)).
enum ToolError: Error, CustomStringConvertible {
    /// An argument that does not parse: what was wrong and what is accepted.
    case badArgument(String)
    /// The directory cannot be maintained.
    case directory(MaintenanceError)

    var description: String {
        switch self {
        case .badArgument(let message): return message
        case .directory(let error): return error.description
        }
    }

    var exitCode: Int32 {
        switch self {
        case .badArgument: return 64  // EX_USAGE
        case .directory(let error):
            switch error {
            case .missing, .notADirectory, .notACache: return 66  // EX_NOINPUT
            case .ownedByAnotherUser: return 77  // EX_NOPERM
            case .indexMissing, .index, .inUse, .io: return 1
            }
        }
    }
}

/// Runs `body`, reporting a maintenance error as a ``ToolError``.
func maintaining<Result>(_ body: () throws(MaintenanceError) -> Result) throws(ToolError) -> Result
{
    do {
        return try body()
    } catch {
        throw .directory(error)
    }
}
