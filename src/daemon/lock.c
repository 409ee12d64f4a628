/* lock.c - one daemon per database: `sluice run` holds flock(LOCK_EX) on <sqlite.path>.lock
 * for its whole life and writes its pid there, so a second daemon on the same database fails
 * at once naming the first.  The kernel drops the lock when the process dies (even kill -9),
 * so a stale file never blocks a restart.  `once` does not take it: it is safe beside a daemon.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "core/fs.h"
#include "daemon/internal.h"

/* The pid written in a held lock file, or 0 when it cannot be read. */
static long holder_pid(int fd)
{
    char buf[32];
    ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
    if (n <= 0) {
        return 0;
    }
    buf[n] = '\0';
    char *end = NULL;
    long pid = strtol(buf, &end, 10);
    return (end != buf && pid > 0) ? pid : 0;
}

int daemon_lock(const char *db_path, int *fd_out, struct sl_error *err)
{
    char path[PATH_MAX], pid[32];
    int rc = 0, fd = -1;
    *fd_out = -1;
    if (snprintf(path, sizeof(path), "%s.lock", db_path) >= (int)sizeof(path)) {
        return sl_error_set(err, SL_EIO, "lock file name too long for %s", db_path);
    }
    if ((rc = fs_mkdir_parent(path, err)) != 0) {
        return rc;
    }
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
    if (fd < 0) {
        return sl_error_set(err, SL_EIO, "cannot open lock file %s: %s", path, strerror(errno));
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK) {
            long holder = holder_pid(fd);
            char who[48] = "another process";
            if (holder > 0) {
                snprintf(who, sizeof(who), "pid %ld", holder);
            }
            rc = sl_error_set(err, SL_EBUSY,
                              "another sluice run (%s) is already using %s: lock %s is held; "
                              "stop it first, or give this one another sqlite.path",
                              who, db_path, path);
        } else {
            rc = sl_error_set(err, SL_EIO, "cannot lock %s: %s", path, strerror(errno));
        }
        goto out;
    }
    int n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)n, 0) != n) {
        rc = sl_error_set(err, SL_EIO, "cannot write lock file %s: %s", path, strerror(errno));
        goto out;
    }
    *fd_out = fd;
    fd = -1;
out:
    if (fd >= 0) {
        close(fd);
    }
    return rc;
}
