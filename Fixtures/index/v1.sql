-- A persistent directory's index of format version 1 (Memo before costs): its tables,
-- exactly as that release created them, and three entries. Frozen: the migration test
-- (Tests/MemoTests/Index/IndexMigrationTests.swift) opens a database made from this text
-- and checks the entries come through format 2 unchanged, with cost 0.
CREATE TABLE IF NOT EXISTS entries (
    key BLOB PRIMARY KEY NOT NULL,
    function TEXT NOT NULL,
    version INTEGER NOT NULL,
    value_type INTEGER NOT NULL,
    file TEXT NOT NULL,
    size INTEGER NOT NULL,
    stored_at INTEGER NOT NULL,
    used_at INTEGER NOT NULL,
    recency INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS entries_by_recency ON entries (recency);
CREATE INDEX IF NOT EXISTS entries_by_function ON entries (function);
CREATE TABLE IF NOT EXISTS reservations (
    file TEXT PRIMARY KEY NOT NULL,
    owner INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS totals (
    id INTEGER PRIMARY KEY CHECK (id = 0),
    entries INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    clock INTEGER NOT NULL
);
INSERT OR IGNORE INTO totals (id, entries, bytes, clock) VALUES (0, 0, 0, 0);
CREATE TRIGGER IF NOT EXISTS entries_inserted AFTER INSERT ON entries BEGIN
    UPDATE totals SET entries = entries + 1, bytes = bytes + NEW.size WHERE id = 0;
END;
CREATE TRIGGER IF NOT EXISTS entries_deleted AFTER DELETE ON entries BEGIN
    UPDATE totals SET entries = entries - 1, bytes = bytes - OLD.size WHERE id = 0;
END;
CREATE TRIGGER IF NOT EXISTS entries_resized AFTER UPDATE OF size ON entries BEGIN
    UPDATE totals SET bytes = bytes - OLD.size + NEW.size WHERE id = 0;
END;

INSERT INTO entries (key, function, version, value_type, file, size, stored_at, used_at, recency) VALUES (X'01010101010101010101010101010101', 'spectrum', 1, 1234567, '01010101010101010101010101010101-0000000000000001.spill', 4096, 1700000000000, 1700000100000, 1);
INSERT INTO entries (key, function, version, value_type, file, size, stored_at, used_at, recency) VALUES (X'02020202020202020202020202020202', 'spectrum', 1, 1234568, '02020202020202020202020202020202-0000000000000002.spill', 8192, 1700000001000, 1700000050000, 2);
INSERT INTO entries (key, function, version, value_type, file, size, stored_at, used_at, recency) VALUES (X'03030303030303030303030303030303', '', 0, 1234569, '03030303030303030303030303030303-0000000000000003.spill', 100, 1700000002000, 1700000002000, 3);
UPDATE totals SET clock = 3 WHERE id = 0;
PRAGMA user_version = 1;
