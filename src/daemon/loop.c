/* loop.c - the daemon's event loop and lifecycle.  Start: lock the database, open the log,
 * build the pipeline, recover what a crash left, choose inotify or polling, take the files
 * already present.  Then one epoll_wait over the signalfd, the inotify fd and a timerfd armed
 * at the timer heap's earliest deadline.  SIGINT/SIGTERM: finish the file in progress, exit.
 * SIGHUP: reload the config; a config that does not load is refused and the old one stays.
 * Scheduled jobs (jobs.c) have their timers in the same heap and run on the loop.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "cmd/files.h"
#include "core/duration.h"
#include "core/log.h"
#include "daemon/internal.h"
#include "obs/obs.h"

int64_t daemon_period_ms(const struct daemon *d)
{
    if (d->opts->interval_ms >= 0) {
        return d->opts->interval_ms;
    }
    return d->poll_mode ? d->cfg->watch_poll_interval_ms : d->cfg->watch_rescan_ms;
}

int daemon_schedule_scan(struct daemon *d, int64_t deadline_ns)
{
    if (d->scan_timer != 0) {
        sched_cancel(&d->sched, d->scan_timer);
        d->scan_timer = 0;
    }
    d->scan_deadline_ns = deadline_ns;
    return sched_add(&d->sched, deadline_ns, T_SCAN, &d->scan_timer);
}

void daemon_poll_signals(struct daemon *d)
{
    struct signalfd_siginfo si;
    while (read(d->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
        if (si.ssi_signo == SIGHUP || si.ssi_signo == SIGUSR1) {
            struct sl_error e = {0};
            (void)log_reopen(&e); /* logrotate moved the file away */
            d->reload_pending |= si.ssi_signo == SIGHUP;
        } else if (!d->stopping || d->stop_signal == 0) {
            d->stopping = 1;
            d->stop_signal = (int)si.ssi_signo;
        }
    }
}

/* The HTTP endpoint and the notifiers.  A taken port is not fatal (one more daemon on the
 * machine, another program on 9464): the daemon runs without the endpoint and says so. */
static int start_obs(struct daemon *d, struct sl_error *err)
{
    int rc = obs_start(d->cfg, err);
    if (rc == SL_EIO && d->cfg->http_enabled) {
        struct log_line l;
        log_begin(&l, LOG_ERROR, "http_listen_failed");
        log_str(&l, "listen", d->cfg->http_listen);
        log_str(&l, "error", err->msg);
        log_end(&l);
        fprintf(stderr, "sluice run: %s; running without the HTTP endpoint (set http.listen)\n",
                err->msg);
        sl_error_clear(err);
        d->cfg->http_enabled = 0;
        rc = obs_start(d->cfg, err);
    }
    return rc;
}

/* Between batches of a big file: a SIGINT/SIGTERM abandons it (it goes back to incoming). */
static int stop_requested(void *ctx)
{
    struct daemon *d = ctx;
    daemon_poll_signals(d);
    return d->stopping && d->stop_signal != 0;
}

static void log_mode(struct log_line *l, const struct daemon *d)
{
    char buf[32];
    log_str(l, "mode", d->poll_mode ? "poll" : "inotify");
    if (d->poll_mode) {
        log_str(l, "reason", d->mode_why);
    }
    log_str(l, "folder", d->cfg->incoming);
    log_str(l, "period", duration_format(daemon_period_ms(d), buf, sizeof(buf)));
}

static void refuse_reload(const char *msg)
{
    struct log_line l;
    log_begin(&l, LOG_ERROR, "reload_refused");
    log_str(&l, "error", msg);
    log_end(&l);
    fprintf(stderr, "sluice run: SIGHUP: new config refused, the old one stays in force: %s\n",
            msg);
}

static int same(const char *a, const char *b)
{
    return strcmp(a != NULL ? a : "", b != NULL ? b : "") == 0;
}

/* SIGHUP: load the config again and build a pipeline on it; switch only if both work. */
static void reload(struct daemon *d)
{
    struct config *nc = NULL;
    struct pipeline *np = NULL;
    struct sl_error err = {0};
    char msg[SL_ERRMSG_MAX + 96];

    d->reload_pending = 0;
    if (config_load(d->opts->config_path, &nc, &err) != 0 ||
        pipeline_create(nc, 0, &np, &err) != 0) {
        refuse_reload(err.msg);
        goto out;
    }
    if (!same(nc->sqlite_path, d->cfg->sqlite_path)) {
        snprintf(msg, sizeof(msg), "sqlite.path changed (%s -> %s): restart the daemon to "
                 "use another database", d->cfg->sqlite_path, nc->sqlite_path);
        refuse_reload(msg);
        goto out;
    }
    if (!same(nc->log_path, d->cfg->log_path) || !same(nc->log_level, d->cfg->log_level)) {
        log_close();
        if (log_open(nc->log_path, nc->log_level, &err) != 0) {
            struct sl_error ignored = {0};
            (void)log_open(d->cfg->log_path, d->cfg->log_level, &ignored);
            refuse_reload(err.msg);
            goto out;
        }
    }
    jobs_free(d); /* its connection and timers belong to the old config */
    pipeline_destroy(d->pipe);
    config_destroy(d->cfg);
    d->pipe = np;
    d->cfg = nc;
    pipeline_set_stop_check(np, stop_requested, d);
    files_set_patterns(nc);
    np = NULL;
    nc = NULL;
    watch_teardown(d);
    scan_forget(d);
    if (watch_setup(d, &err) != 0) {
        refuse_reload(err.msg); /* epoll failed: keep going by polling */
        d->poll_mode = 1;
        snprintf(d->mode_why, sizeof(d->mode_why), "%s", err.msg);
    }
    struct log_line l;
    log_begin(&l, LOG_INFO, "reload");
    log_str(&l, "config", d->cfg->source);
    log_mode(&l, d);
    log_end(&l);
    if (!d->opts->quiet) {
        fprintf(stderr, "sluice run: config reloaded from %s (%s)\n", d->cfg->source,
                d->poll_mode ? "polling" : "inotify");
    }
    daemon_schedule_scan(d, sched_now_ns() + daemon_period_ms(d) * 1000000);
    jobs_arm(d);
    sl_error_clear(&err);
    if (obs_reload(d->cfg, &err) != 0) {
        refuse_reload(err.msg); /* the old endpoint and notifiers stay */
    }
    scan_run(d, 0);
out:
    pipeline_destroy(np);
    config_destroy(nc);
}

/* A counted scan: polling's scan, or inotify mode's safety-net rescan. */
static void scheduled_scan(struct daemon *d)
{
    struct log_line l;
    int64_t period = daemon_period_ms(d) * 1000000;
    size_t taken;
    d->scans++;
    taken = scan_run(d, 0);
    log_begin(&l, (d->poll_mode && taken == 0) ? LOG_DEBUG : LOG_INFO, "rescan");
    log_str(&l, "mode", d->poll_mode ? "poll" : "inotify");
    log_int(&l, "iteration", d->scans);
    log_int(&l, "taken", (int64_t)taken);
    log_int(&l, "settling", (int64_t)d->nseen);
    log_end(&l);
    if (d->opts->max_iterations > 0 && d->scans >= d->opts->max_iterations) {
        d->stopping = 1;
        return;
    }
    int64_t next = d->scan_deadline_ns + period, now = sched_now_ns();
    daemon_schedule_scan(d, next > now ? next : now + period);
}

static void run_due_timers(struct daemon *d)
{
    struct sched_timer t;
    while (!d->stopping && sched_pop_due(&d->sched, sched_now_ns(), &t)) {
        if (t.kind == T_SCAN) {
            d->scan_timer = 0;
            scheduled_scan(d);
        } else if (t.kind == T_SETTLE) {
            d->settle_timer = 0;
            scan_run(d, 0);
        } else if (t.kind == T_RETRY) {
            retry_fire(d);
        } else if (t.kind >= T_JOB) {
            jobs_fire(d, t.kind);
        }
    }
}

static int arm_timerfd(struct daemon *d)
{
    struct itimerspec its;
    int64_t deadline;
    memset(&its, 0, sizeof(its));
    if (sched_next(&d->sched, &deadline)) {
        if (deadline <= 0) {
            deadline = 1; /* 0 would disarm */
        }
        its.it_value.tv_sec = deadline / 1000000000;
        its.it_value.tv_nsec = deadline % 1000000000;
    }
    return timerfd_settime(d->tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

/* Something for the loop (a new file, a signal, a timer): idle-time work stops. */
static int events_waiting(void *ctx)
{
    const struct daemon *d = ctx;
    struct pollfd pfd = {.fd = d->epfd, .events = POLLIN};
    return d->stopping || poll(&pfd, 1, 0) > 0;
}

static int loop(struct daemon *d, struct sl_error *err)
{
    struct epoll_event evs[4];
    while (!d->stopping) {
        run_due_timers(d);
        if (d->reload_pending && !d->stopping) {
            reload(d);
            continue;
        }
        if (d->stopping) {
            break;
        }
        if (arm_timerfd(d) != 0) {
            return sl_error_set(err, SL_EIO, "timerfd_settime: %s", strerror(errno));
        }
        pipeline_idle(d->pipe, events_waiting, d);
        int n = epoll_wait(d->epfd, evs, 4, -1);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return sl_error_set(err, SL_EIO, "epoll_wait: %s", strerror(errno));
        }
        for (int i = 0; i < n && !d->stopping; i++) {
            int fd = evs[i].data.fd;
            if (fd == d->sigfd) {
                daemon_poll_signals(d);
            } else if (fd == d->tfd) {
                uint64_t expirations;
                if (read(d->tfd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN) {
                    return sl_error_set(err, SL_EIO, "timerfd read: %s", strerror(errno));
                }
            } else if (fd == d->infd) {
                watch_read(d);
            }
        }
    }
    return 0;
}

/* Blocks the signals we read from the signalfd, and builds the fds of the loop. */
static int open_fds(struct daemon *d, struct sl_error *err)
{
    sigset_t set;
    struct epoll_event ev;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGUSR1);
    if (sigprocmask(SIG_BLOCK, &set, NULL) != 0) {
        return sl_error_set(err, SL_EIO, "sigprocmask: %s", strerror(errno));
    }
    d->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    d->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    d->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (d->sigfd < 0 || d->tfd < 0 || d->epfd < 0) {
        return sl_error_set(err, SL_EIO, "cannot set up the event loop: %s", strerror(errno));
    }
    int fds[2] = {d->sigfd, d->tfd};
    for (size_t i = 0; i < 2; i++) {
        memset(&ev, 0, sizeof(ev));
        ev.events = EPOLLIN;
        ev.data.fd = fds[i];
        if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, fds[i], &ev) != 0) {
            return sl_error_set(err, SL_EIO, "epoll_ctl: %s", strerror(errno));
        }
    }
    return 0;
}

static void close_fd(int *fd)
{
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
}

static void log_stop(struct daemon *d)
{
    struct log_line l;
    const char *why = d->stop_signal != 0 ? strsignal(d->stop_signal) : "max_iterations";
    log_begin(&l, LOG_INFO, "daemon_stop");
    log_str(&l, "reason", d->stop_signal == SIGINT ? "SIGINT"
                          : d->stop_signal == SIGTERM ? "SIGTERM" : why);
    log_int(&l, "scans", d->scans);
    log_int(&l, "ok", (int64_t)d->counts[FILE_OK]);
    log_int(&l, "partial", (int64_t)d->counts[FILE_PARTIAL]);
    log_int(&l, "duplicate", (int64_t)d->counts[FILE_DUPLICATE]);
    log_int(&l, "failed", (int64_t)d->counts[FILE_FAILED]);
    log_int(&l, "errors", (int64_t)d->errors);
    log_end(&l);
    if (!d->opts->quiet) {
        fprintf(stderr, "sluice run: stopped (%s): %llu ok, %llu partial, %llu duplicate, "
                "%llu failed\n", d->stop_signal == SIGINT ? "SIGINT"
                : d->stop_signal == SIGTERM ? "SIGTERM" : "--max-iterations reached",
                (unsigned long long)d->counts[FILE_OK],
                (unsigned long long)d->counts[FILE_PARTIAL],
                (unsigned long long)d->counts[FILE_DUPLICATE],
                (unsigned long long)d->counts[FILE_FAILED]);
    }
}

static void log_start(struct daemon *d)
{
    struct log_line l;
    char buf[32];
    log_begin(&l, LOG_INFO, "daemon_start");
    log_int(&l, "pid", (int64_t)getpid());
    log_str(&l, "config", d->cfg->source);
    log_mode(&l, d);
    log_str(&l, "settle", duration_format(d->cfg->watch_settle_ms, buf, sizeof(buf)));
    log_end(&l);
    if (!d->opts->quiet) {
        fprintf(stderr, "sluice run: watching %s (%s%s%s)\n", d->cfg->incoming,
                d->poll_mode ? "polling every " : "inotify",
                d->poll_mode ? duration_format(daemon_period_ms(d), buf, sizeof(buf)) : "",
                d->poll_mode && strcmp(d->mode_why, "--poll") != 0 ? "; inotify unusable: "
                : "");
        if (d->poll_mode && strcmp(d->mode_why, "--poll") != 0) {
            fprintf(stderr, "sluice run: %s\n", d->mode_why);
        }
    }
}

int daemon_run(const struct daemon_opts *opts, struct config *cfg, struct sl_error *err)
{
    struct daemon d;
    int rc;
    memset(&d, 0, sizeof(d));
    d.opts = opts;
    d.cfg = cfg;
    d.epfd = d.sigfd = d.tfd = d.infd = d.wd = d.lockfd = -1;
    sched_init(&d.sched);
    d.rng = (uint64_t)getpid() * 0x9e3779b97f4a7c15ULL ^ (uint64_t)sched_now_ns();

    if ((rc = open_fds(&d, err)) != 0 ||
        (rc = daemon_lock(cfg->sqlite_path, &d.lockfd, err)) != 0 ||
        (rc = log_open(cfg->log_path, cfg->log_level, err)) != 0 ||
        (rc = pipeline_create(cfg, 0, &d.pipe, err)) != 0 ||
        (rc = pipeline_recover(d.pipe, err)) != 0 || (rc = watch_setup(&d, err)) != 0 ||
        (rc = start_obs(&d, err)) != 0) {
        goto out;
    }
    obs_set_ready(1, 1, 0);
    files_set_quiet(opts->quiet);
    pipeline_set_stop_check(d.pipe, stop_requested, &d);
    files_set_patterns(cfg);
    log_start(&d);
    /* the startup scan is the first iteration: everything present, oldest first */
    d.scans = 1;
    scan_run(&d, 1);
    daemon_poll_signals(&d);
    if (opts->max_iterations > 0 && d.scans >= opts->max_iterations) {
        d.stopping = 1;
    } else if (!d.stopping) {
        if (daemon_schedule_scan(&d, sched_now_ns() + daemon_period_ms(&d) * 1000000) != 0) {
            rc = sl_error_set(err, SL_ENOMEM, "out of memory scheduling the first scan");
            goto out;
        }
        jobs_arm(&d);
        rc = loop(&d, err);
    }
    log_stop(&d);
out:
    obs_stop();
    retry_free(&d);
    jobs_free(&d);
    scan_forget(&d);
    watch_teardown(&d);
    pipeline_destroy(d.pipe);
    log_close();
    close_fd(&d.epfd);
    close_fd(&d.sigfd);
    close_fd(&d.tfd);
    close_fd(&d.lockfd);
    sched_free(&d.sched);
    config_destroy(d.cfg);
    return rc;
}
