#ifndef MEMO_CPLATFORM_H
#define MEMO_CPLATFORM_H
// The few Linux calls Swift's Glibc module does not import (they sit behind _GNU_SOURCE).
// Internal to Memo: nothing here appears in Memo's public API.
#include <stdint.h>

/// syncfs(2): makes durable every write of the file system holding `fd`, in one call.
/// Returns 0, or -1 with errno set. Elsewhere than Linux: sync(2), which returns 0.
int memo_syncfs(int fd);

/// Takes an exclusive (`mode` 1) or shared (`mode` 2) open-file-description lock on the
/// single byte at `offset` of `fd`, or releases it (`mode` 0) (fcntl F_OFD_SETLK /
/// F_OFD_SETLKW). The kernel
/// releases it when the description is closed, including when its process dies.
/// `wait` 1 blocks until granted. Returns 0, or -1 with errno set (EAGAIN when the byte
/// is held and `wait` is 0).
int memo_byte_lock(int fd, int64_t offset, int mode, int wait);
#endif
