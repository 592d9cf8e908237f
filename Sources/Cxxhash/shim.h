#ifndef MEMO_CXXHASH_SHIM_H
#define MEMO_CXXHASH_SHIM_H
// The system's libxxhash (Debian: libxxhash-dev). Memo uses only XXH3-128, through its
// one-shot and streaming entry points; nothing here is exported by Memo's public API.
#include <xxhash.h>
#endif
