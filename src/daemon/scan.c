/* scan.c - listing paths.incoming and taking files.  A file named by an inotify event is
 * taken at once (it was closed after writing or moved in).  A file found by a scan (polling,
 * the safety-net rescan, an overflow) is taken only once its size and mtime have held for
 * watch.settle on the monotonic clock; the table of files still settling lives here.  Files
 * present at start are taken at once, oldest first, as `once` does.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cmd/files.h"
#include "core/fs.h"
#include "core/log.h"
#include "daemon/internal.h"
#include "obs/obs.h"

static struct daemon *listing; /* the daemon whose scan fs_list is running (skip callback) */
static char **seen_skips;      /* non-regular names met by the current listing */
static size_t nseen_skips;
static int skips_oom;

static int in_list(char *const *v, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(v[i], name) == 0) {
            return 1;
        }
    }
    return 0;
}

static void free_list(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i]);
    }
    free(v);
}

/* A symlink, FIFO or folder with a .csv name: reported once, not at every scan. */
static void on_skip(const char *name, const char *why)
{
    if (listing == NULL || !in_list(listing->skipped, listing->nskipped, name)) {
        files_report_skip(name, why);
    }
    char **nv = realloc(seen_skips, (nseen_skips + 1) * sizeof(*nv));
    char *copy = strdup(name);
    if (nv == NULL || copy == NULL) {
        free(copy);
        if (nv != NULL) {
            seen_skips = nv;
        }
        skips_oom = 1;
        return;
    }
    seen_skips = nv;
    seen_skips[nseen_skips++] = copy;
}

static const char *kind_of(mode_t m)
{
    return S_ISLNK(m) ? "a symbolic link" : S_ISFIFO(m) ? "a FIFO" : S_ISDIR(m) ? "a folder"
           : S_ISSOCK(m) ? "a socket" : "a device or special file";
}

static int take_done(void *ctx, const char *name, int rc, const struct file_result *r,
                     const struct sl_error *err)
{
    struct daemon *d = ctx;
    double arrival = d->arrival_i < d->narrival ? d->arrival[d->arrival_i] : -1;
    d->arrival_i++;
    retry_result(d, name, r->committed ? 0 : rc, err);
    if (rc != 0 && r->committed) {
        d->errors++;
        files_print_committed_error(name, err);
    } else if (rc != 0) {
        d->errors++;
        files_print_error(name, err, d->cfg->incoming);
    } else {
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        double wait_s = arrival > 0 ? (double)now.tv_sec + (double)now.tv_nsec / 1e9 - arrival : -1;
        struct obs_file_extra extra = {.metrics_json = r->metrics_json, .attempt = 1,
                                       .error_code = r->error_code,
                                       .first_errors = r->first_errors,
                                       .nfirst_errors = r->nfirst_errors};
        obs_file_done(name, r, wait_s >= 0 ? wait_s : -1, &extra);
        d->counts[r->status]++;
        if (r->status != FILE_SKIPPED && !d->opts->quiet) {
            files_print_result(name, r);
        }
    }
    daemon_poll_signals(d);
    return d->stopping;
}

size_t scan_take(struct daemon *d, char *const *names, size_t n)
{
    char path[PATH_MAX];
    struct stat st;
    size_t k = 0;
    /* names is the caller's array: keep the regular files, in order, at its front */
    const char **take = malloc((n > 0 ? n : 1) * sizeof(*take));
    double *arrival = malloc((n > 0 ? n : 1) * sizeof(*arrival));
    if (take == NULL || arrival == NULL) {
        free(take);
        free(arrival);
        return 0; /* the next scan takes them */
    }
    for (size_t i = 0; i < n; i++) {
        if (retry_waiting(d, names[i])) {
            continue; /* in backoff after a transient failure: its timer takes it */
        }
        if (fs_join(path, sizeof(path), d->cfg->incoming, names[i]) != 0 ||
            lstat(path, &st) != 0) {
            continue; /* gone already: claimed by another process, or renamed away */
        }
        if (!S_ISREG(st.st_mode)) {
            files_report_skip(names[i], kind_of(st.st_mode));
            continue;
        }
        /* arrival: the last change of the entry (a rename in, or the last write) */
        arrival[k] = (double)st.st_ctim.tv_sec + (double)st.st_ctim.tv_nsec / 1e9;
        take[k++] = names[i];
    }
    d->arrival = arrival;
    d->narrival = k;
    d->arrival_i = 0;
    if (k > 0 && pipeline_process_many(d->pipe, take, k, take_done, d) != 0) {
        struct log_line l;
        log_begin(&l, LOG_ERROR, "out_of_memory");
        log_str(&l, "error", "cannot start the pipeline; files stay in incoming");
        log_end(&l);
    }
    free(take);
    free(arrival);
    d->arrival = NULL;
    d->narrival = 0;
    return k;
}

static int seen_cmp(const void *a, const void *b)
{
    return strcmp(((const struct seen *)a)->name, ((const struct seen *)b)->name);
}

static struct seen *seen_find(struct daemon *d, const char *name)
{
    struct seen key = {.name = (char *)(uintptr_t)name};
    if (d->nseen == 0) {
        return NULL;
    }
    return bsearch(&key, d->seen, d->nseen, sizeof(*d->seen), seen_cmp);
}

static void seen_free(struct seen *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].name);
    }
    free(v);
}

void scan_forget(struct daemon *d)
{
    seen_free(d->seen, d->nseen);
    d->seen = NULL;
    d->nseen = 0;
    free_list(d->skipped, d->nskipped);
    d->skipped = NULL;
    d->nskipped = 0;
}

/* Builds the new settle table from a listing; marks in take[i] the files stable long
 * enough.  The table keeps only the files still waiting.  Returns 0 or -1 (out of memory:
 * the old table is kept and nothing is taken). */
static int settle(struct daemon *d, const struct fs_entry *files, size_t n, char *take,
                  int64_t now, int64_t *next_due)
{
    int64_t settle_ns = d->cfg->watch_settle_ms * 1000000;
    struct seen *nv = n > 0 ? calloc(n, sizeof(*nv)) : NULL;
    size_t len = 0;
    if (n > 0 && nv == NULL) {
        return -1;
    }
    *next_due = INT64_MAX;
    for (size_t i = 0; i < n; i++) {
        const struct seen *old = seen_find(d, files[i].name);
        int64_t since = now;
        if (old != NULL && old->size == files[i].size && old->mtime_ns == files[i].mtime_ns) {
            since = old->stable_since_ns;
        }
        if (now - since >= settle_ns) {
            take[i] = 1;
            continue;
        }
        nv[len].name = strdup(files[i].name);
        if (nv[len].name == NULL) {
            seen_free(nv, len);
            return -1;
        }
        nv[len].size = files[i].size;
        nv[len].mtime_ns = files[i].mtime_ns;
        nv[len].stable_since_ns = since;
        if (since + settle_ns < *next_due) {
            *next_due = since + settle_ns;
        }
        len++;
    }
    if (len > 1) {
        qsort(nv, len, sizeof(*nv), seen_cmp);
    }
    seen_free(d->seen, d->nseen);
    d->seen = nv;
    d->nseen = len;
    return 0;
}

static void arm_settle(struct daemon *d, int64_t due)
{
    if (d->settle_timer != 0) {
        sched_cancel(&d->sched, d->settle_timer);
        d->settle_timer = 0;
    }
    if (due != INT64_MAX && sched_add(&d->sched, due, T_SETTLE, &d->settle_timer) != 0) {
        d->settle_timer = 0; /* out of memory: the next scan catches up */
    }
}

size_t scan_run(struct daemon *d, int startup)
{
    struct fs_entry *files = NULL;
    size_t n = 0, taken = 0;
    struct sl_error err = {0};
    char *take = NULL;
    int64_t due = INT64_MAX;

    listing = d;
    seen_skips = NULL;
    nseen_skips = 0;
    skips_oom = 0;
    int rc = fs_list(d->cfg->incoming, files_accept, on_skip, &files, &n, &err);
    listing = NULL;
    if (!skips_oom) {
        free_list(d->skipped, d->nskipped);
        d->skipped = seen_skips;
        d->nskipped = nseen_skips;
    } else {
        free_list(seen_skips, nseen_skips);
    }
    seen_skips = NULL;
    nseen_skips = 0;
    if (rc != 0) {
        struct log_line l;
        log_begin(&l, LOG_WARN, "scan_failed");
        log_str(&l, "folder", d->cfg->incoming);
        log_str(&l, "error", err.msg);
        log_end(&l);
        return 0;
    }
    {
        /* the backlog: every accepted file waiting in incoming/ */
        uint64_t bytes = 0;
        int64_t oldest = INT64_MAX;
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        for (size_t i = 0; i < n; i++) {
            bytes += files[i].size;
            if (files[i].mtime_ns < oldest) {
                oldest = files[i].mtime_ns;
            }
        }
        double age = n > 0 ? ((double)now.tv_sec * 1e9 + (double)now.tv_nsec - (double)oldest) / 1e9
                           : 0;
        obs_backlog(n, bytes, age > 0 ? age : 0);
    }
    take = calloc(n > 0 ? n : 1, 1);
    if (take == NULL) {
        goto out;
    }
    if (startup) {
        memset(take, 1, n);
    } else if (settle(d, files, n, take, sched_now_ns(), &due) != 0) {
        goto out;
    }
    {
        char **names = malloc((n > 0 ? n : 1) * sizeof(*names));
        size_t k = 0;
        if (names == NULL) {
            goto out;
        }
        for (size_t i = 0; i < n; i++) {
            if (take[i]) {
                names[k++] = files[i].name;
            }
        }
        if (!d->stopping) {
            taken = scan_take(d, names, k);
        }
        free(names);
    }
    if (!startup && !d->stopping) {
        arm_settle(d, due);
    }
out:
    free(take);
    fs_entries_free(files, n);
    return taken;
}
