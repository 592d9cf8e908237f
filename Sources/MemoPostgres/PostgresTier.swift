public import Logging
public import Memo
public import PostgresNIO
import Synchronization

/// A `SharedTier` (from Memo) on PostgreSQL: workers on many machines share results, and compute
/// each one once.
///
/// ```swift
/// let shared = try await PostgresTier(
///     host: "db.internal", port: 5432, username: "memo", password: secret, database: "memo",
///     maxBytes: .gigabytes(50))
/// var config = CacheConfiguration()
/// config.sharedTier = shared
/// try Memo.configure(config)
/// ```
///
/// - One row per entry in `memo_entries`: the key, the function's name and version, the
///   payload (the spill-file encoding, which carries the key and an XXH3 checksum), an
///   optional HMAC-SHA256 signature, its size, when it was stored and last used. The tier
///   creates its tables on first use and records their format in `memo_schema`; a
///   database whose format is newer than this release is refused.
/// - `maxBytes` is held by deleting least recently used rows, a batch at a time, inside
///   the database; the total is kept by a trigger in `memo_totals`, so no store scans the
///   table. Last use is written at most every 10 seconds per row, so a hit rarely writes.
/// - Single flight across machines: the computing worker holds a session-level advisory
///   lock keyed by the key; PostgreSQL releases it when that connection dies.
/// - With `signingKey`, every value is signed (HMAC-SHA256 over the key and the payload)
///   and a row that is unsigned or wrongly signed is refused, so a writer without the key
///   cannot plant a value.
/// - Every value in every statement is bound; the tier never builds SQL from strings it
///   did not write. The role it connects as needs `CREATE` on the schema the first time
///   (or tables created by an administrator from the statements in `PostgresTier.schema`),
///   then `SELECT, INSERT, UPDATE, DELETE` on `memo_entries`, `memo_totals` and
///   `memo_schema`.
public final class PostgresTier: SharedTier {
    /// The format of the tables this release writes and reads.
    public static let schemaVersion = 1

    /// The longest the cache waits for one call (fetch, publish, or a connection for a
    /// lock); past it the cache works locally.
    public let timeout: Duration
    /// The longest a worker waits for another machine computing the same key.
    public let computationWait: Duration
    /// The tier's byte budget (payload bytes); `nil` is unbounded.
    public let maxBytes: Int?

    private let client: PostgresClient
    private let runner: Task<Void, Never>
    /// Where the client's pool and the lock holders run: a thread of their own, so a pool
    /// of cooperative threads blocked by synchronous callers cannot stall them.
    private let executor: SharedTierExecutor
    private let signingKey: [UInt8]?
    private let logger: Logger
    /// Whether the tables are known to exist in the current format.
    private let schemaReady = Atomic(false)
    /// The check of the tables under way, shared by concurrent first calls.
    private let schemaCheck = Mutex<Task<Void, any Error>?>(nil)

    /// Connects to the server at `host` (plain TCP; use ``init(configuration:maxBytes:signingKey:timeout:computationWait:logger:)``
    /// for TLS). Nothing is sent until the first call, so a server that is down now does
    /// not fail this; the tables are created on first use.
    public convenience init(
        host: String, port: Int = 5432, username: String, password: String? = nil,
        database: String, maxBytes: ByteCount? = nil, signingKey: [UInt8]? = nil,
        timeout: Duration = .seconds(1), computationWait: Duration = .seconds(30),
        logger: Logger = Logger(label: "memo.postgres")
    ) async throws {
        let configuration = PostgresClient.Configuration(
            host: host, port: port, username: username, password: password, database: database,
            tls: .disable)
        try await self.init(
            configuration: configuration, maxBytes: maxBytes, signingKey: signingKey,
            timeout: timeout, computationWait: computationWait, logger: logger)
    }

    /// A tier over a postgres-nio client configuration of your own (TLS, a Unix socket).
    /// Its connection timeout and pool size are set from `timeout` and a pool of 16.
    public init(
        configuration: PostgresClient.Configuration, maxBytes: ByteCount? = nil,
        signingKey: [UInt8]? = nil, timeout: Duration = .seconds(1),
        computationWait: Duration = .seconds(30),
        logger: Logger = Logger(label: "memo.postgres")
    ) async throws {
        guard signingKey.map({ !$0.isEmpty }) ?? true else {
            throw SharedTierError.unusable("an empty signing key; give at least 32 random bytes")
        }
        var configuration = configuration
        configuration.options.connectTimeout = max(timeout, .milliseconds(500))
        configuration.options.maximumConnections = 16
        // A statement the server runs past this is cancelled there, so a caller that gave
        // up never leaves a connection busy for long.
        configuration.options.additionalStartupParameters += [
            ("application_name", "memo"), ("statement_timeout", "10s"),
        ]
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.client = client
        let executor = SharedTierExecutor(label: "memo.postgres")
        self.executor = executor
        self.runner = Task(executorPreference: executor) { await client.run() }
        self.maxBytes = maxBytes?.bytes
        self.signingKey = signingKey
        self.timeout = timeout
        self.computationWait = computationWait
        self.logger = logger
    }

    deinit {
        runner.cancel()
    }

    /// Closes every connection; the tier cannot be used after.
    public func shutdown() async {
        runner.cancel()
        await runner.value
    }

    // MARK: SharedTier

    public func fetch(_ key: CacheKey) async throws -> [UInt8]? {
        try await fetchWithAge(key)?.payload
    }

    /// The stored bytes of `key` and their age, on the server's clock (`now() - stored_at`).
    public func fetchWithAge(_ key: CacheKey) async throws -> SharedTierEntry? {
        try await prepareSchema()
        let rows = try await client.query(
            """
            SELECT payload, signature, last_use < now() - interval '10 seconds',
                (extract(epoch from now() - stored_at) * 1000)::bigint
            FROM memo_entries WHERE key = \(Self.bytes(key))
            """, logger: logger)
        var found: (payload: ByteBuffer, signature: ByteBuffer?, stale: Bool, age: Int64)?
        for try await row in rows.decode((ByteBuffer, ByteBuffer?, Bool, Int64).self) {
            found = (row.0, row.1, row.2, row.3)
        }
        guard let found else { return nil }
        let payload = Array(found.payload.readableBytesView)
        if let signingKey {
            guard let signature = found.signature.map({ Array($0.readableBytesView) }) else {
                throw SharedTierError.rejected("the value of \(key.hex) is not signed")
            }
            guard Self.isValid(signature, of: payload, key: key, signingKey: signingKey) else {
                throw SharedTierError.rejected("the value of \(key.hex) has a wrong signature")
            }
        }
        if found.stale {
            try await client.query(
                "UPDATE memo_entries SET last_use = now() WHERE key = \(Self.bytes(key))",
                logger: logger)
        }
        return SharedTierEntry(payload: payload, age: .milliseconds(found.age))
    }

    /// Removes the row of `key`.
    public func remove(_ key: CacheKey) async throws -> Bool {
        try await prepareSchema()
        let rows = try await client.query(
            "DELETE FROM memo_entries WHERE key = \(Self.bytes(key)) RETURNING size",
            logger: logger)
        var removed = false
        for try await _ in rows.decode(Int64.self) { removed = true }
        return removed
    }

    public func publish(
        _ key: CacheKey, function: String, version: Int, payload: [UInt8]
    ) async throws {
        try await prepareSchema()
        let signature = signingKey.map {
            ByteBuffer(bytes: Self.sign(payload, key: key, signingKey: $0))
        }
        try await client.query(
            """
            INSERT INTO memo_entries
                (key, function, version, payload, signature, size, stored_at, last_use)
            VALUES (\(Self.bytes(key)), \(function), \(Int64(version)),
                \(ByteBuffer(bytes: payload)), \(signature), \(Int64(payload.count)), now(), now())
            ON CONFLICT (key) DO UPDATE SET
                function = EXCLUDED.function, version = EXCLUDED.version,
                payload = EXCLUDED.payload, signature = EXCLUDED.signature,
                size = EXCLUDED.size, stored_at = now(), last_use = now()
            """, logger: logger)
        if let maxBytes { try await evict(toFit: maxBytes) }
    }

    public func lockComputation(
        of key: CacheKey, waitingAtMost wait: Duration
    ) async throws -> (any SharedTierLock)? {
        try await prepareSchema()
        let lockKey = Int64(bitPattern: key.low)
        let handover = LockHandover()
        let (client, logger, timeout) = (self.client, self.logger, self.timeout)
        // The holder: one connection, kept from the lock to its release (a session lock
        // belongs to its connection), handed back to the pool after.
        Task(executorPreference: executor) {
            do {
                try await client.withConnection { connection in
                    guard handover.connected() else { return }
                    let deadline = ContinuousClock.now + wait
                    var pause = Duration.milliseconds(2)
                    while true {
                        let rows = try await connection.query(
                            "SELECT pg_try_advisory_lock(\(lockKey))", logger: logger)
                        var granted = false
                        for try await value in rows.decode(Bool.self) { granted = value }
                        if granted { break }
                        guard ContinuousClock.now < deadline, !handover.isAbandoned else {
                            handover.finish(nil)
                            return
                        }
                        try await Task.sleep(for: pause)
                        pause = min(pause * 2, .milliseconds(50))
                    }
                    let lock = PostgresComputationLock()
                    if handover.finish(lock) {
                        await lock.waitForRelease()
                    }
                    do {
                        let rows = try await connection.query(
                            "SELECT pg_advisory_unlock(\(lockKey))", logger: logger)
                        for try await _ in rows {}
                    } catch {
                        // Ending the session releases every lock it holds.
                        try? await connection.close()
                    }
                }
            } catch {
                handover.fail(error)
            }
        }
        return try await handover.wait(connectingWithin: timeout)
    }

    // MARK: Budget

    /// Deletes least recently used rows until the total fits: at most 64 a round, and only
    /// as many as the excess needs. Evictions take turns (a transaction-level advisory
    /// lock), so concurrent writers never each delete the same excess.
    private func evict(toFit maxBytes: Int) async throws {
        let logger = self.logger
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(7206342418)", logger: logger)
            while true {
                var total: Int64 = 0
                let rows = try await connection.query(
                    "SELECT bytes FROM memo_totals WHERE id = 0", logger: logger)
                for try await bytes in rows.decode(Int64.self) { total = bytes }
                let excess = total - Int64(maxBytes)
                guard excess > 0 else { return }
                let deleted = try await connection.query(
                    """
                    DELETE FROM memo_entries WHERE key IN (
                        SELECT key FROM (
                            SELECT key, size, SUM(size) OVER (ORDER BY last_use, key) AS running
                            FROM (SELECT key, size, last_use FROM memo_entries
                                  ORDER BY last_use, key LIMIT 64) AS oldest
                        ) AS candidates
                        WHERE running - size < \(excess))
                    RETURNING size
                    """, logger: logger)
                var count = 0
                for try await _ in deleted.decode(Int64.self) { count += 1 }
                if count == 0 { return }
            }
        }
    }

    // MARK: Schema

    /// The tables, created once (by whichever process comes first, under a transaction
    /// lock) and checked for their format.
    static let schema: [String] = [
        "CREATE TABLE IF NOT EXISTS memo_schema (id integer PRIMARY KEY CHECK (id = 0), version integer NOT NULL)",
        "INSERT INTO memo_schema (id, version) VALUES (0, 1) ON CONFLICT (id) DO NOTHING",
        """
        CREATE TABLE IF NOT EXISTS memo_entries (
            key bytea PRIMARY KEY, function text NOT NULL, version bigint NOT NULL,
            payload bytea NOT NULL, signature bytea, size bigint NOT NULL,
            stored_at timestamptz NOT NULL, last_use timestamptz NOT NULL)
        """,
        "CREATE INDEX IF NOT EXISTS memo_entries_by_last_use ON memo_entries (last_use)",
        """
        CREATE TABLE IF NOT EXISTS memo_totals (
            id integer PRIMARY KEY CHECK (id = 0), bytes bigint NOT NULL, entries bigint NOT NULL)
        """,
        "INSERT INTO memo_totals (id, bytes, entries) VALUES (0, 0, 0) ON CONFLICT (id) DO NOTHING",
        """
        CREATE OR REPLACE FUNCTION memo_entries_totals() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                UPDATE memo_totals SET bytes = bytes + NEW.size, entries = entries + 1 WHERE id = 0;
            ELSIF TG_OP = 'DELETE' THEN
                UPDATE memo_totals SET bytes = bytes - OLD.size, entries = entries - 1 WHERE id = 0;
            ELSE
                UPDATE memo_totals SET bytes = bytes - OLD.size + NEW.size WHERE id = 0;
            END IF;
            RETURN NULL;
        END $$
        """,
        """
        CREATE OR REPLACE TRIGGER memo_entries_totals
        AFTER INSERT OR DELETE OR UPDATE OF size ON memo_entries
        FOR EACH ROW EXECUTE FUNCTION memo_entries_totals()
        """,
    ]

    /// Makes sure the tables exist in this release's format, once per tier: concurrent
    /// first calls share one check (and, for a new database, one creation).
    private func prepareSchema() async throws {
        guard !schemaReady.load(ordering: .acquiring) else { return }
        let check = schemaCheck.withTrackedLock { current -> Task<Void, any Error> in
            if let current { return current }
            let check = Task(executorPreference: executor) { try await self.checkSchema() }
            current = check
            return check
        }
        do {
            try await check.value
            schemaReady.store(true, ordering: .releasing)
        } catch {
            // A failed check (the server was down, say) is tried again by the next call.
            schemaCheck.withTrackedLock { current in
                if current == check { current = nil }
            }
            throw error
        }
    }

    /// Reads the tables' format; creates the tables when there are none.
    private func checkSchema() async throws {
        do {
            let rows = try await client.query(
                "SELECT version FROM memo_schema WHERE id = 0", logger: logger)
            var found: Int?
            for try await version in rows.decode(Int.self) { found = version }
            if let found {
                try Self.accept(found)
                return
            }
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "42P01" {
            // No such table: a new database.
        }
        do {
            try await createSchema()
        } catch let error as PostgresTransactionError {
            // The transaction wraps what went wrong inside it: say that.
            if let refusal = error.closureError as? SharedTierError { throw refusal }
            throw error.closureError ?? error.beginError ?? error.commitError ?? error
        }
    }

    /// Refuses tables of a format newer than this release's.
    private static func accept(_ version: Int) throws {
        guard version <= schemaVersion else {
            throw SharedTierError.unusable(
                "the database's memo tables have format \(version), newer than the format "
                    + "\(schemaVersion) this release reads: upgrade Memo, or use another database")
        }
    }

    private func createSchema() async throws {
        let logger = self.logger
        try await client.withTransaction(logger: logger) { connection in
            // Processes starting together create the tables one at a time.
            try await connection.query("SELECT pg_advisory_xact_lock(7206342417)", logger: logger)
            for statement in Self.schema {
                try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
            }
            let rows = try await connection.query(
                "SELECT version FROM memo_schema WHERE id = 0", logger: logger)
            for try await version in rows.decode(Int.self) { try Self.accept(version) }
        }
    }
}
