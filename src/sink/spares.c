/* spares.c - a small pool of O_TMPFILE inodes, taken under a lock by whichever thread
 * creates a Parquet temporary (spares.h). */
#include "sink/spares.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define SPARES_MAX 16

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int pool[SPARES_MAX];
static int held;
static char pool_dir[4096];
static char refused_dir[4096]; /* O_TMPFILE failed there */

static void drop_locked(void)
{
    while (held > 0) {
        close(pool[--held]);
    }
    pool_dir[0] = '\0';
}

void spares_drop(void)
{
    pthread_mutex_lock(&mu);
    drop_locked();
    pthread_mutex_unlock(&mu);
}

int spares_held(void)
{
    pthread_mutex_lock(&mu);
    int n = held;
    pthread_mutex_unlock(&mu);
    return n;
}

void spares_fill(const char *dir, int want, int (*busy)(void *), void *ctx)
{
    if (want > SPARES_MAX) {
        want = SPARES_MAX;
    }
    if (strlen(dir) >= sizeof(pool_dir)) {
        return;
    }
    pthread_mutex_lock(&mu);
    if (strcmp(refused_dir, dir) == 0) {
        pthread_mutex_unlock(&mu);
        return;
    }
    if (strcmp(pool_dir, dir) != 0) {
        drop_locked();
        snprintf(pool_dir, sizeof(pool_dir), "%s", dir);
    }
    /* opened without the lock: a creator meanwhile takes what is there or opens its own */
    while (held < want) {
        pthread_mutex_unlock(&mu);
        if (busy != NULL && busy(ctx)) {
            return;
        }
        int fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0640);
        pthread_mutex_lock(&mu);
        if (fd < 0) {
            if (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL) {
                snprintf(refused_dir, sizeof(refused_dir), "%s", dir);
            }
            break;
        }
        if (strcmp(pool_dir, dir) != 0 || held >= SPARES_MAX) {
            close(fd); /* dropped or filled meanwhile */
            break;
        }
        pool[held++] = fd;
    }
    pthread_mutex_unlock(&mu);
}

int spares_create(const char *path, int mode)
{
    pthread_mutex_lock(&mu);
    int fd = held > 0 ? pool[--held] : -1;
    pthread_mutex_unlock(&mu);
    if (fd >= 0) {
        /* linkat by fd needs CAP_DAC_READ_SEARCH with AT_EMPTY_PATH; /proc/self/fd does not */
        char proc[64];
        snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
        if (linkat(AT_FDCWD, proc, AT_FDCWD, path, AT_SYMLINK_FOLLOW) == 0) {
            return fd;
        }
        int e = errno;
        close(fd);
        if (e == EEXIST) {
            errno = e;
            return -1;
        }
        /* another filesystem (EXDEV), no /proc, ...: a plain create */
    }
    return open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, (mode_t)mode);
}
