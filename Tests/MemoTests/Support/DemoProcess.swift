import Foundation
import Testing

/// Runs `memo-demo` (built next to the test bundle by `make test`) as a second process.
func runDemo(
    _ arguments: [String], environment: [String: String]? = nil
) throws -> (status: Int32, lines: [String]) {
    let finished = try runBuilt("memo-demo", arguments, environment: environment)
    return (finished.status, finished.lines)
}
