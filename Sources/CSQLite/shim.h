#ifndef MEMO_CSQLITE_SHIM_H
#define MEMO_CSQLITE_SHIM_H
// The system's SQLite (Debian: libsqlite3-dev), for the index of a persistent directory.
// Internal to Memo: nothing here appears in Memo's public API.
#include <sqlite3.h>

// SQLITE_TRANSIENT is a cast macro Swift cannot import: SQLite copies the bound bytes.
static inline sqlite3_destructor_type memo_sqlite_transient(void) {
    return SQLITE_TRANSIENT;
}
#endif
