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

// ThreadSanitizer's happens-before annotations, for `Mutex`, whose futex calls it does
// not see on Linux. The references are weak: under ThreadSanitizer they are its
// runtime's functions; otherwise they are null and an annotation costs one test (no
// lookup, and no lazily initialized global on a hit). Elsewhere they do nothing.
#if defined(__linux__)
extern void __tsan_acquire(void *address) __attribute__((weak));
extern void __tsan_release(void *address) __attribute__((weak));
#endif

/// Tells ThreadSanitizer that what happened before a `memo_tsan_release(address)`
/// happened before this point. Does nothing outside ThreadSanitizer.
static inline void memo_tsan_acquire(const void *address) {
#if defined(__linux__)
    if (__tsan_acquire) __tsan_acquire((void *)address);
#else
    (void)address;
#endif
}

/// The release matching `memo_tsan_acquire(address)`.
static inline void memo_tsan_release(const void *address) {
#if defined(__linux__)
    if (__tsan_release) __tsan_release((void *)address);
#else
    (void)address;
#endif
}

/// The calling thread's stripe number in Memo's entry tables, plus one; 0 until given.
/// A C thread-local: Swift has none, and `pthread_getspecific` costs a call per read.
extern _Thread_local intptr_t memo_thread_stripe_storage;

static inline intptr_t memo_thread_stripe(void) { return memo_thread_stripe_storage; }

static inline void memo_set_thread_stripe(intptr_t value) { memo_thread_stripe_storage = value; }
#endif
