#define _GNU_SOURCE
#include "CPlatform.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

int memo_syncfs(int fd) {
#if defined(__linux__)
    return syncfs(fd);
#else
    (void)fd;
    sync();
    return 0;
#endif
}

int memo_byte_lock(int fd, int64_t offset, int mode, int wait) {
    struct flock lock;
    memset(&lock, 0, sizeof lock);
    lock.l_type = mode == 1 ? F_WRLCK : mode == 2 ? F_RDLCK : F_UNLCK;
    lock.l_whence = SEEK_SET;
    lock.l_start = (off_t)offset;
    lock.l_len = 1;
#if defined(F_OFD_SETLK)
    return fcntl(fd, wait ? F_OFD_SETLKW : F_OFD_SETLK, &lock);
#else
    // Without OFD locks (not Linux), process-associated locks: single flight still holds
    // between processes, and a process never contends with itself for one key.
    return fcntl(fd, wait ? F_SETLKW : F_SETLK, &lock);
#endif
}

_Thread_local intptr_t memo_thread_stripe_storage = 0;
