/* recover.c - after a crash: every claim left in paths.work (flat or folder) is either committed
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

/* The claimed input's name: in a folder claim (base "W/C/"), the one entry that is not a
 * report (reports start with '.'); in a flat claim (base "W/C~"), the entry "C~NAME" of the
 * work folder with NAME not a report.  1 found, 0 none, -1 the folder is unreadable. */
static int claimed_input(const char *work, const char *claim, int folder, char *name,
                         size_t cap)
{
    char dir[PATH_MAX];
    if (folder) {
        snprintf(dir, sizeof(dir), "%s/%s", work, claim);
    } else {
        snprintf(dir, sizeof(dir), "%s", work);
    }
    DIR *d = opendir(dir);
    if (d == NULL) {
        return -1;
    }
    size_t cl = strlen(claim);
    struct dirent *de;
    int found = 0;
    while ((de = readdir(d)) != NULL) {
        const char *n = de->d_name;
        if (!folder) {
            if (strncmp(n, claim, cl) != 0 || n[cl] != CLAIM_SEP) {
                continue;
            }
            n += cl + 1;
        }
        if (n[0] != '.' && n[0] != '\0') {
            snprintf(name, cap, "%s", n);
            found = 1;
            break;
        }
    }
    closedir(d);
    return found;
}

/* Removes leftovers of an uncommitted attempt; the input itself is kept. */
static void drop_reports(const char *base)
{
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s%s", base, REPORT_REJECTS);
    unlink(path);
    snprintf(path, sizeof(path), "%s%s", base, REPORT_ERROR);
    unlink(path);
}

static int recover_one(struct pipeline *p, const char *claim, int folder, struct sl_error *err)
{
    const struct config *cfg = p->cfg;
    char base[PATH_MAX], name[PATH_MAX], src[PATH_MAX], got[PATH_MAX];
    char *status = NULL;
    char *archived = NULL;
    int rc = 0;
    if (claim_base(base, sizeof(base), cfg->work, claim, folder) != 0) {
        return sl_error_set(err, SL_EIO, "path too long");
    }
    int has = claimed_input(cfg->work, claim, folder, name, sizeof(name));
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
        rc = pipeline_archive(p, base, has > 0 ? name : NULL, strcmp(status, "failed") == 0,
                              want, got, sizeof(got), NULL, err);
        FAILPOINT("recover.archived");
    } else {
        drop_reports(base);
        if (has > 0) {
            if ((size_t)snprintf(src, sizeof(src), "%s%s", base, name) >= sizeof(src)) {
                rc = sl_error_set(err, SL_EIO, "path too long");
            } else {
                rc = fs_move_unique(src, cfg->incoming, name, got, sizeof(got), err);
            }
            FAILPOINT("recover.requeued");
        }
        if (rc == 0 && claim_remove(base) != 0) {
            rc = sl_error_set(err, SL_EIO, "cannot remove %s: %s", base, strerror(errno));
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
        if (de->d_name[0] != 'c') {
            continue;
        }
        /* a flat claim's entries are CLAIM~NAME and CLAIM~.REPORT; recovering a claim twice
         * (once per entry) is harmless: the second pass finds it done */
        char claim[NAME_MAX + 1];
        const char *sep = strchr(de->d_name, CLAIM_SEP);
        int folder = sep == NULL;
        snprintf(claim, sizeof(claim), "%.*s",
                 (int)(folder ? strlen(de->d_name) : (size_t)(sep - de->d_name)), de->d_name);
        if (folder && de->d_type != DT_DIR && de->d_type != DT_UNKNOWN) {
            continue;
        }
        if (claim_is_ours(p, claim) && !claim_is_live(claim)) {
            rc = recover_one(p, claim, folder, err);
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
