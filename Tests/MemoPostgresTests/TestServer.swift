import Foundation
import Logging
import PostgresNIO
import TestProcesses
import Testing

/// The throwaway PostgreSQL server `make test` starts (Scripts/throwaway-postgres.sh),
/// described by the environment; `nil` where there is none.
struct TestServer: Sendable {
    let host: String
    let port: Int
    let user: String
    /// The data folder and the binaries, for stopping and starting the server.
    let data: String
    let bin: String

    static let current: TestServer? = {
        let environment = ProcessInfo.processInfo.environment
        guard let host = environment["MEMO_TEST_POSTGRES_HOST"],
            let port = environment["MEMO_TEST_POSTGRES_PORT"].flatMap(Int.init),
            let data = environment["MEMO_TEST_POSTGRES_DATA"],
            let bin = environment["MEMO_TEST_POSTGRES_BIN"]
        else { return nil }
        return TestServer(
            host: host, port: port, user: environment["MEMO_TEST_POSTGRES_USER"] ?? "postgres",
            data: data, bin: bin)
    }()

    static let skipReason: Comment =
        "no PostgreSQL server: `make test` starts one (Scripts/throwaway-postgres.sh)"

    /// Runs `body` with a client of its own on `database`.
    @discardableResult
    func withClient<Result: Sendable>(
        database: String = "postgres",
        _ body: (PostgresClient) async throws -> Result
    ) async throws -> Result {
        let client = PostgresClient(
            configuration: .init(
                host: host, port: port, username: user, password: nil, database: database,
                tls: .disable))
        let runner = Task { await client.run() }
        defer { runner.cancel() }
        return try await body(client)
    }

    /// A fresh database, so tests never see each other's rows.
    func makeDatabase() async throws -> String {
        let name = "memo_test_\(UInt32.random(in: 0...UInt32.max))"
        try await withClient { client in
            try await client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"))
        }
        return name
    }

    /// Runs one statement on `database` and returns the first column of each row as text.
    @discardableResult
    func sql(_ query: PostgresQuery, database: String) async throws -> [String] {
        try await withClient(database: database) { client in
            var values: [String] = []
            for try await row in try await client.query(query) {
                values.append((try? row.decode(String?.self)).flatMap { $0 } ?? "")
            }
            return values
        }
    }

    /// Stops the server (`pg_ctl stop -m fast`).
    func stop() throws { try pgctl(["stop", "-m", "fast", "-w"]) }

    /// Starts it again, on the same port.
    func start() throws {
        let root = (data as NSString).deletingLastPathComponent
        try pgctl([
            "start", "-w", "-l", root + "/server.log", "-o",
            "-p \(port) -k \(root) -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300",
        ])
    }

    /// Runs pg_ctl (as `postgres` when root) and waits for it. Not Foundation's `Process`:
    /// `pg_ctl start` leaves a server running that holds what it inherited, and
    /// `waitUntilExit` then never returns; ``SpawnedProcess`` waits for the exit only, and
    /// the server inherits no descriptor of this process (see `closeInheritedDescriptors`).
    private func pgctl(_ arguments: [String]) throws {
        let command =
            geteuid() == 0
            ? ["/usr/sbin/runuser", "-u", "postgres", "--", bin + "/pg_ctl", "-D", data] + arguments
            : [bin + "/pg_ctl", "-D", data] + arguments
        let termination = try SpawnedProcess.run(command[0], Array(command.dropFirst()))
        #expect(termination == .exited(0), "pg_ctl \(arguments.first ?? ""): \(termination)")
    }
}
