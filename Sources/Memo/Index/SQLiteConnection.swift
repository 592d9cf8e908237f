import CSQLite

/// One SQLite connection with the few operations the index needs: statements with bound
/// values (never SQL built from data), stepping, and transactions.
///
/// Not safe for concurrent use: ``SQLiteSpillIndex`` hands each connection to one
/// thread at a time through its pool.
final class SQLiteConnection {
    let handle: OpaquePointer
    private var statements: [String: OpaquePointer] = [:]

    /// Opens `path`, creating the file when `create`; read-only when `readOnly`.
    init(path: String, create: Bool, readOnly: Bool = false) throws(SpillIndexError) {
        var handle: OpaquePointer?
        var flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI
        flags |= readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE
        if create && !readOnly { flags |= SQLITE_OPEN_CREATE }
        let code = sqlite3_open_v2(path, &handle, flags, nil)
        guard code == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            if let handle { sqlite3_close_v2(handle) }
            throw .unusable("\(path): \(message) (SQLite code \(code))")
        }
        self.handle = handle
        // Other processes hold the write lock for one batch at a time: wait for them.
        sqlite3_busy_timeout(handle, 10_000)
    }

    deinit {
        for statement in statements.values { sqlite3_finalize(statement) }
        sqlite3_close_v2(handle)
    }

    /// Resets every statement, ending the read transaction an unfinished `SELECT` keeps
    /// open (which would pin an old snapshot and refuse a later `BEGIN`).
    func resetStatements() {
        for statement in statements.values { sqlite3_reset(statement) }
    }

    var lastError: String { String(cString: sqlite3_errmsg(handle)) }

    /// Runs SQL text with no parameters and no results (schema, pragmas, BEGIN/COMMIT).
    func execute(_ sql: String) throws(SpillIndexError) {
        let code = sqlite3_exec(handle, sql, nil, nil, nil)
        guard code == SQLITE_OK else { throw .unusable("\(lastError) (in: \(sql))") }
    }

    /// A cached prepared statement, reset and with its bindings cleared.
    func statement(_ sql: String) throws(SpillIndexError) -> SQLiteStatement {
        if let cached = statements[sql] {
            sqlite3_reset(cached)
            sqlite3_clear_bindings(cached)
            return SQLiteStatement(handle: cached, connection: self)
        }
        var prepared: OpaquePointer?
        guard
            sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &prepared, nil)
                == SQLITE_OK, let prepared
        else { throw .unusable("\(lastError) (preparing: \(sql))") }
        statements[sql] = prepared
        return SQLiteStatement(handle: prepared, connection: self)
    }

    /// Runs `body` in a write transaction (taken at once, so two writers queue at BEGIN
    /// rather than fail at COMMIT), committing if it returns and rolling back if it
    /// throws.
    func writeTransaction<Result>(_ body: () throws(SpillIndexError) -> Result)
        throws(SpillIndexError) -> Result
    {
        do {
            try execute("BEGIN IMMEDIATE")
        } catch {
            throw .writeFailed(lastError)
        }
        do throws(SpillIndexError) {
            let result = try body()
            guard sqlite3_exec(handle, "COMMIT", nil, nil, nil) == SQLITE_OK else {
                throw SpillIndexError.writeFailed(lastError)
            }
            return result
        } catch {
            sqlite3_exec(handle, "ROLLBACK", nil, nil, nil)
            throw error
        }
    }
}

/// A prepared statement: bind by position (1-based), step, read columns.
struct SQLiteStatement {
    let handle: OpaquePointer
    let connection: SQLiteConnection

    func bind(_ index: Int32, _ value: Int64) {
        sqlite3_bind_int64(handle, index, value)
    }

    func bind(_ index: Int32, _ value: Double) {
        sqlite3_bind_double(handle, index, value)
    }

    func bind(_ index: Int32, _ value: String) {
        sqlite3_bind_text(handle, index, value, -1, memo_sqlite_transient())
    }

    func bind(_ index: Int32, _ key: CacheKey) {
        var bytes = key.indexBytes
        bytes.withUnsafeMutableBytes { raw in
            _ = sqlite3_bind_blob(handle, index, raw.baseAddress, 16, memo_sqlite_transient())
        }
    }

    /// Steps once: `true` with a row to read, `false` when done.
    func step() throws(SpillIndexError) -> Bool {
        switch sqlite3_step(handle) {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw .writeFailed(connection.lastError)
        }
    }

    /// Steps to completion, ignoring rows.
    func run() throws(SpillIndexError) {
        while try step() {}
    }

    func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }

    func double(_ column: Int32) -> Double { sqlite3_column_double(handle, column) }

    func string(_ column: Int32) -> String {
        guard let text = sqlite3_column_text(handle, column) else { return "" }
        return String(cString: text)
    }

    func key(_ column: Int32) -> CacheKey? {
        guard sqlite3_column_bytes(handle, column) == 16,
            let blob = sqlite3_column_blob(handle, column)
        else { return nil }
        return CacheKey(indexBytes: UnsafeRawBufferPointer(start: blob, count: 16))
    }
}

extension CacheKey {
    /// The key as the index stores it: 16 bytes, high half first, big-endian, so the
    /// blob reads as the key's hex.
    var indexBytes: [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(16)
        withUnsafeBytes(of: high.bigEndian) { bytes.append(contentsOf: $0) }
        withUnsafeBytes(of: low.bigEndian) { bytes.append(contentsOf: $0) }
        return bytes
    }

    init(indexBytes raw: UnsafeRawBufferPointer) {
        self.init(
            high: UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self)),
            low: UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
    }
}
