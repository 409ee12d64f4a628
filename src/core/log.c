/* log.c - JSON-lines event log: one object per line, appended with a single write(2) so
 * concurrent writers (several sluice processes) never interleave within a line. */
#include "core/log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/fs.h"

static int log_fd = -1;
static enum log_level log_min = LOG_INFO;
static char log_file[PATH_MAX]; /* the open file's path, for log_reopen */
/* Serialises writes with close/reopen: other threads (the HTTP endpoint, the notifiers) log
 * too, and a descriptor closed under them could be reused by a socket. */
static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;

static void close_locked(void)
{
    if (log_fd >= 0) {
        close(log_fd);
        log_fd = -1;
        log_file[0] = '\0';
    }
}

static int parse_level(const char *s, enum log_level *out)
{
    static const char *const names[] = {"debug", "info", "warn", "error"};
    for (int i = 0; i < 4; i++) {
        if (strcmp(s, names[i]) == 0) {
            *out = (enum log_level)i;
            return 0;
        }
    }
    return -1;
}

int log_open(const char *path, const char *level, struct sl_error *err)
{
    if (level != NULL && parse_level(level, &log_min) != 0) {
        return sl_error_set(err, SL_ECONFIG, "log level '%s' is not debug|info|warn|error", level);
    }
    if (path == NULL || path[0] == '\0') {
        return 0;
    }
    int rc = fs_mkdir_parent(path, err);
    if (rc != 0) {
        return rc;
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (fd < 0) {
        return sl_error_set(err, SL_EIO, "cannot open log file %s: %s", path, strerror(errno));
    }
    pthread_mutex_lock(&log_mu);
    close_locked();
    log_fd = fd;
    snprintf(log_file, sizeof(log_file), "%s", path);
    pthread_mutex_unlock(&log_mu);
    return 0;
}

/* Opens the path again and puts the new file on the same descriptor number with dup3, so a
 * line written by another thread meanwhile goes whole to the old file or to the new one. */
int log_reopen(struct sl_error *err)
{
    if (log_fd < 0 || log_file[0] == '\0') {
        return 0;
    }
    int rc = fs_mkdir_parent(log_file, err);
    if (rc != 0) {
        return rc;
    }
    int fd = open(log_file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (fd < 0) {
        return sl_error_set(err, SL_EIO, "cannot reopen log file %s: %s", log_file,
                            strerror(errno));
    }
    pthread_mutex_lock(&log_mu);
    if (log_fd >= 0 && dup3(fd, log_fd, O_CLOEXEC) < 0) {
        rc = sl_error_set(err, SL_EIO, "cannot reopen log file %s: dup3: %s", log_file,
                          strerror(errno));
    }
    pthread_mutex_unlock(&log_mu);
    close(fd);
    return rc;
}

void log_close(void)
{
    pthread_mutex_lock(&log_mu);
    close_locked();
    pthread_mutex_unlock(&log_mu);
}

int log_enabled(enum log_level lvl)
{
    return log_fd >= 0 && lvl >= log_min;
}

void log_now_rfc3339(char buf[32])
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(buf, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, 32 - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

void log_begin(struct log_line *l, enum log_level lvl, const char *event)
{
    static const char *const names[] = {"debug", "info", "warn", "error"};
    struct strbuf init = STRBUF_INIT;
    l->sb = init;
    l->active = log_enabled(lvl);
    if (!l->active) {
        return;
    }
    char ts[32];
    log_now_rfc3339(ts);
    sb_printf(&l->sb, "{\"ts\":\"%s\",\"level\":\"%s\",\"event\":", ts, names[lvl]);
    sb_json_str(&l->sb, event, strlen(event));
}

static void add_key(struct log_line *l, const char *key)
{
    sb_addc(&l->sb, ',');
    sb_json_str(&l->sb, key, strlen(key));
    sb_addc(&l->sb, ':');
}

void log_str(struct log_line *l, const char *key, const char *val)
{
    if (l->active && val != NULL) {
        log_strn(l, key, val, strlen(val));
    }
}

void log_strn(struct log_line *l, const char *key, const char *val, size_t n)
{
    if (!l->active) {
        return;
    }
    add_key(l, key);
    sb_json_str(&l->sb, val, n);
}

void log_int(struct log_line *l, const char *key, int64_t v)
{
    if (!l->active) {
        return;
    }
    add_key(l, key);
    sb_printf(&l->sb, "%lld", (long long)v);
}

void log_num(struct log_line *l, const char *key, double v)
{
    if (!l->active) {
        return;
    }
    add_key(l, key);
    sb_json_num(&l->sb, v);
}

void log_json(struct log_line *l, const char *key, const char *json)
{
    if (!l->active || json == NULL) {
        return;
    }
    add_key(l, key);
    sb_adds(&l->sb, json);
}

void log_end(struct log_line *l)
{
    if (l->active) {
        sb_add(&l->sb, "}\n", 2);
        if (!l->sb.failed) {
            /* One write per line; a short write of a log line is not worth retrying. */
            pthread_mutex_lock(&log_mu);
            ssize_t w = log_fd >= 0 ? write(log_fd, l->sb.p, l->sb.len) : 0;
            pthread_mutex_unlock(&log_mu);
            (void)w;
        }
    }
    sb_free(&l->sb);
    l->active = 0;
}
