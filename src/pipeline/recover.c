/* recover.c - after a crash: every claim folder left in paths.work is either committed
 * (its ledger row exists: finish the archive) or not (put the input back in incoming/ and
 * drop its half-written reports).  Also `sluice check`, which shares the load path. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/fs.h"
#include "core/log.h"
#include "core/failpoint.h"
#include "pipeline/internal.h"
#include "pipeline/ledger.h"

/* The input's name inside a claim folder: the one entry that is not a report (reports have
 * dot-names; inputs never do).  1 found, 0 not there (moved out before a crash), -1 when dir
 * is not a readable folder. */
static int claimed_input(const char *dir, char *name, size_t cap)
{
    DIR *d = opendir(dir);
    if (d == NULL) {
        return -1;
    }
    struct dirent *de;
    int found = 0;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] != '.') {
            snprintf(name, cap, "%s", de->d_name);
            found = 1;
            break;
        }
    }
    closedir(d);
    return found;
}

/* Removes leftovers of an uncommitted attempt; the input itself is kept. */
static void drop_reports(const char *dir)
{
    char path[PATH_MAX];
    if (fs_join(path, sizeof(path), dir, REPORT_REJECTS) == 0) {
        unlink(path);
    }
    if (fs_join(path, sizeof(path), dir, REPORT_ERROR) == 0) {
        unlink(path);
    }
}

static int recover_one(struct pipeline *p, const char *claim, struct sl_error *err)
{
    const struct config *cfg = p->cfg;
    char dir[PATH_MAX], name[PATH_MAX], src[PATH_MAX], got[PATH_MAX];
    char *status = NULL;
    char *archived = NULL;
    int rc = 0;
    if (fs_join(dir, sizeof(dir), cfg->work, claim) != 0) {
        return sl_error_set(err, SL_EIO, "path too long");
    }
    int has = claimed_input(dir, name, sizeof(name));
    if (has < 0) {
        return 0; /* not a folder: nothing of ours */
    }
    int found = ledger_find_claim(sqlite_sink_db(p->sink), claim, &status, &archived, err);
    if (found < 0) {
        return found;
    }
    struct log_line l;
    log_begin(&l, LOG_WARN, "recover");
    log_str(&l, "claim", claim);
    log_str(&l, "file", has > 0 ? name : NULL);
    log_str(&l, "action", found ? "finish_archive" : "requeue");
    log_end(&l);
    if (p->pq != NULL) {
        /* Parquet of a loaded file is published; anything else of this claim is garbage. */
        int loaded = found && (strcmp(status, "ok") == 0 || strcmp(status, "partial") == 0);
        if ((rc = pqsink_recover_claim(cfg, claim, loaded, err)) != 0) {
            free(status);
            free(archived);
            return rc;
        }
        FAILPOINT("recover.parquet");
    }
    if (found) {
        /* Committed: redo the archive step (idempotent). */
        const char *want = NULL;
        if (archived != NULL) {
            const char *slash = strrchr(archived, '/');
            want = slash ? slash + 1 : archived;
        }
        rc = pipeline_archive(p, dir, has > 0 ? name : NULL, strcmp(status, "failed") == 0, want,
                              got, sizeof(got), NULL, err);
        FAILPOINT("recover.archived");
    } else {
        drop_reports(dir);
        if (has > 0) {
            if (fs_join(src, sizeof(src), dir, name) != 0) {
                rc = sl_error_set(err, SL_EIO, "path too long");
            } else {
                rc = fs_move_unique(src, cfg->incoming, name, got, sizeof(got), err);
            }
            FAILPOINT("recover.requeued");
        }
        if (rc == 0 && rmdir(dir) != 0 && errno != ENOENT) {
            rc = sl_error_set(err, SL_EIO, "cannot remove %s: %s", dir, strerror(errno));
        }
    }
    free(status);
    free(archived);
    return rc;
}

/* A claim of a process that is still running (another `sluice once` on the same folders)
 * is not a crash's leftover: leave it alone.  Claim names are c<time>-<pid>-<n>. */
static int claim_is_live(const char *claim)
{
    const char *dash = strchr(claim, '-');
    if (dash == NULL) {
        return 0;
    }
    char *end;
    long pid = strtol(dash + 1, &end, 10);
    if (end == dash + 1 || *end != '-' || pid <= 0 || pid == (long)getpid()) {
        return 0;
    }
    return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

/* A claim made for another database (its name ends in another tag) is judged by the process
 * that owns that database, never against this ledger. */
static int claim_is_ours(const struct pipeline *p, const char *claim)
{
    size_t n = strlen(claim);
    size_t t = strlen(p->db_tag);
    return n > t + 1 && claim[n - t - 1] == '-' && strcmp(claim + n - t, p->db_tag) == 0;
}

int pipeline_recover(struct pipeline *p, struct sl_error *err)
{
    DIR *d = opendir(p->cfg->work);
    if (d == NULL) {
        return errno == ENOENT ? 0
                               : sl_error_set(err, SL_EIO, "cannot open %s: %s", p->cfg->work,
                                              strerror(errno));
    }
    int rc = 0;
    struct dirent *de;
    while (rc == 0 && (de = readdir(d)) != NULL) {
        if (de->d_name[0] == 'c' && (de->d_type == DT_DIR || de->d_type == DT_UNKNOWN) &&
            claim_is_ours(p, de->d_name) && !claim_is_live(de->d_name)) {
            rc = recover_one(p, de->d_name, err);
        }
    }
    closedir(d);
    return rc;
}

int pipeline_check(struct pipeline *p, const char *path, unsigned max_errors,
                   struct file_result *res, struct sl_error *err)
{
    struct stat st;
    struct sl_error ferr = {0};
    struct report rep;
    const char *slash = strrchr(path, '/');
    const char *name = slash ? slash + 1 : path;
    memset(res, 0, sizeof(*res));
    report_init(&rep, NULL, name, p->cfg->csv_delimiter);
    int fd = pipeline_open_input(path, &st, &ferr);
    if (fd < 0 && sl_errclass(ferr.code) == 'T') {
        return sl_error_set(err, ferr.code, "%s: %s", path, ferr.msg);
    }
    if (fd >= 0) {
        res->size_bytes = (uint64_t)st.st_size;
        struct load l = {p, fd, name, 0, &rep, max_errors, res};
        int rc = load_stream(&l, &ferr);
        close(fd);
        if (rc != 0 && sl_errclass(rc) != 'P') {
            report_free(&rep);
            return sl_error_set(err, rc, "%s: %s", path, ferr.msg);
        }
        if (ferr.code == 0) {
            pipeline_check_ratio(p->cfg, res, &ferr);
        }
    }
    report_free(&rep);
    if (ferr.code != 0) {
        res->status = FILE_FAILED;
        snprintf(res->error, sizeof(res->error), "%s", ferr.msg);
    } else {
        res->status = res->rows_rejected > 0 ? FILE_PARTIAL : FILE_OK;
    }
    return 0;
}
