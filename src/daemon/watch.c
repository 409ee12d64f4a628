/* watch.c - how the daemon learns about new files: inotify on paths.incoming (closed after
 * writing, or moved in), or polling when inotify cannot see the folder's changes (NFS, SMB,
 * CIFS, FUSE: writes from other machines raise no event) or cannot be set up (no instances
 * or watches left, no kernel support).  The reason for polling is kept for daemon_start.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "cmd/files.h"
#include "core/log.h"
#include "daemon/internal.h"

#define WATCH_MASK (IN_CLOSE_WRITE | IN_MOVED_TO | IN_ONLYDIR | IN_EXCL_UNLINK)

/* The name of a filesystem inotify cannot watch reliably, or NULL. */
static const char *remote_fs(const char *dir)
{
    static const struct {
        unsigned long magic;
        const char *name;
    } kinds[] = {{0x6969UL, "NFS"}, {0x517BUL, "SMB"}, {0xFF534D42UL, "CIFS"},
                 {0xFE534D42UL, "SMB2"}, {0x65735546UL, "FUSE"}};
    struct statfs sfs;
    if (statfs(dir, &sfs) != 0) {
        return NULL; /* inotify_add_watch will say what is wrong */
    }
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        if ((unsigned long)sfs.f_type == kinds[i].magic) {
            return kinds[i].name;
        }
    }
    return NULL;
}

static void use_polling(struct daemon *d, const char *why)
{
    d->poll_mode = 1;
    snprintf(d->mode_why, sizeof(d->mode_why), "%s", why);
}

int watch_setup(struct daemon *d, struct sl_error *err)
{
    char why[sizeof(d->mode_why)];
    const char *fs;
    d->poll_mode = 0;
    snprintf(d->mode_why, sizeof(d->mode_why), "inotify");
    if (d->opts->poll) {
        use_polling(d, "--poll");
        return 0;
    }
    if ((fs = remote_fs(d->cfg->incoming)) != NULL) {
        snprintf(why, sizeof(why), "%s is on %s: inotify does not see changes made elsewhere",
                 d->cfg->incoming, fs);
        use_polling(d, why);
        return 0;
    }
    d->infd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (d->infd < 0) {
        snprintf(why, sizeof(why), "inotify_init1: %s", strerror(errno));
        use_polling(d, why);
        return 0;
    }
    d->wd = inotify_add_watch(d->infd, d->cfg->incoming, WATCH_MASK);
    if (d->wd < 0) {
        snprintf(why, sizeof(why), "inotify_add_watch %s: %s%s", d->cfg->incoming,
                 strerror(errno),
                 errno == ENOSPC ? " (raise fs.inotify.max_user_watches)" : "");
        watch_teardown(d);
        use_polling(d, why);
        return 0;
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = d->infd};
    if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, d->infd, &ev) != 0) {
        int e = errno;
        watch_teardown(d);
        return sl_error_set(err, SL_EIO, "epoll_ctl(inotify): %s", strerror(e));
    }
    return 0;
}

void watch_teardown(struct daemon *d)
{
    if (d->infd >= 0) {
        /* closing drops the watch and (with epoll) the registration */
        close(d->infd);
    }
    d->infd = -1;
    d->wd = -1;
}

static void watch_lost(struct daemon *d)
{
    struct log_line l;
    char why[sizeof(d->mode_why)];
    snprintf(why, sizeof(why), "the watch on %s was removed (folder deleted, moved or "
             "unmounted)", d->cfg->incoming);
    watch_teardown(d);
    use_polling(d, why);
    log_begin(&l, LOG_WARN, "watch_lost");
    log_str(&l, "mode", "poll");
    log_str(&l, "reason", why);
    log_end(&l);
    fprintf(stderr, "sluice run: %s; polling from now on\n", why);
    daemon_schedule_scan(d, sched_now_ns() + daemon_period_ms(d) * 1000000);
}

static void overflow(struct daemon *d)
{
    struct log_line l;
    log_begin(&l, LOG_WARN, "overflow");
    log_str(&l, "folder", d->cfg->incoming);
    log_str(&l, "action", "rescan");
    log_end(&l);
    scan_run(d, 0);
}

void watch_read(struct daemon *d)
{
    /* aligned for struct inotify_event; room for many events per read */
    char buf[64 * 1024] __attribute__((aligned(__alignof__(struct inotify_event))));
    /* every event has at least its header and one name byte */
    char *names[sizeof(buf) / (sizeof(struct inotify_event) + 1)];
    while (d->infd >= 0 && !d->stopping) {
        ssize_t n = read(d->infd, buf, sizeof(buf));
        if (n < 0) {
            if (errno != EAGAIN && errno != EINTR) {
                struct log_line l;
                log_begin(&l, LOG_ERROR, "inotify_read_failed");
                log_str(&l, "error", strerror(errno));
                log_end(&l);
                watch_lost(d);
            }
            return;
        }
        int lost = 0, rescan = 0;
        size_t k = 0;
        for (char *p = buf; p < buf + n;) {
            struct inotify_event *e = (struct inotify_event *)(void *)p;
            p += sizeof(*e) + e->len;
            if (e->mask & IN_Q_OVERFLOW) {
                rescan = 1;
            } else if (e->mask & IN_IGNORED) {
                lost = 1;
            } else if (e->len > 0 && !(e->mask & IN_ISDIR) && files_accept(e->name)) {
                names[k++] = e->name; /* points into buf: taken before the next read */
            }
        }
        if (k > 0 && !d->stopping) {
            scan_take(d, names, k);
        }
        if (lost) {
            watch_lost(d);
            return;
        }
        if (rescan && !d->stopping) {
            overflow(d);
        }
    }
}
