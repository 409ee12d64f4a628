/* pipeline.c - one input file from claim to archive (see pipeline.h for the protocol).
 * The verdict is decided here; load.c moves the rows; recover.c cleans up after crashes. */
#include "pipeline/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/fs.h"
#include "core/log.h"
#include "core/sha256.h"
#include "pipeline/ledger.h"

const char *file_status_name(enum file_status s)
{
    static const char *const names[] = {"ok", "partial", "failed", "duplicate", "skipped"};
    return (unsigned)s < 5 ? names[s] : "unknown";
}

/* 16 hex digits of a hash of the database's real path. */
static void make_db_tag(const char *db_path, char tag[17])
{
    char *real = realpath(db_path, NULL);
    const char *s = real != NULL ? real : db_path;
    uint64_t h = 0xcbf29ce484222325ULL;
    for (; *s; s++) {
        h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
    }
    free(real);
    snprintf(tag, 17, "%016llx", (unsigned long long)h);
}

/* workers: 0 means one per online CPU. */
static size_t worker_count(const struct config *cfg)
{
    if (cfg->workers > 0) {
        return cfg->workers;
    }
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 64 ? 64 : (size_t)n;
}

/* The prepare contexts and the slots for files parsed ahead (group.c). */
static int create_workers(struct pipeline *p, struct sl_error *err)
{
    const struct config *cfg = p->cfg;
    size_t n = worker_count(cfg);
    p->nworkers = n;
    p->prep = calloc(n, sizeof(*p->prep));
    p->npool = n == 1 ? 1 : 2 * (n - 1) + 2;
    p->pool = calloc(p->npool, sizeof(*p->pool));
    if (p->prep == NULL || p->pool == NULL) {
        return SL_ENOMEM;
    }
    for (; p->nprep < n; p->nprep++) {
        struct prep_ctx *c = &p->prep[p->nprep];
        c->csv = p->csv;
        int rc = plan_create(cfg, &c->plan, err);
        if (rc != 0) {
            return rc;
        }
        if ((c->val = validator_create(c->plan)) == NULL) {
            return SL_ENOMEM;
        }
    }
    return 0; /* the pool's batches are made at first use (group.c): big files never need them */
}

int pipeline_create(const struct config *cfg, int check_only, struct pipeline **out,
                    struct sl_error *err)
{
    int rc = SL_ENOMEM;
    enum sl_type *types = NULL;
    struct pipeline *p = calloc(1, sizeof(*p));
    if (p == NULL) {
        goto out;
    }
    p->cfg = cfg;
    p->csv = (struct csv_opts){.delimiter = cfg->csv_delimiter,
                               .quote = '"',
                               .check_utf8 = 1,
                               .max_field_bytes = cfg->max_field_bytes,
                               .max_record_bytes = cfg->max_record_bytes,
                               .max_columns = cfg->max_columns};
    if ((rc = plan_create(cfg, &p->plan, err)) != 0) {
        goto out;
    }
    rc = SL_ENOMEM;
    types = p->types = plan_types(p->plan); /* kept: the pool's batches are made from it */
    if (types == NULL || (p->val = validator_create(p->plan)) == NULL) {
        goto out;
    }
    for (size_t i = 0; i < 2; i++) {
        if ((p->slots[i].b = batch_create(types, p->plan->ncols, cfg->batch_rows)) == NULL) {
            goto out;
        }
    }
    if (!cfg->sqlite_enabled && !cfg->parquet_enabled) {
        rc = sl_error_set(err, SL_ECONFIG,
                          "%s: sqlite.enabled and parquet.enabled are both false: nothing would "
                          "be loaded",
                          cfg->source);
        goto out;
    }
    if (!check_only) {
        const char *dirs[] = {cfg->incoming, cfg->processed, cfg->failed, cfg->work};
        for (size_t i = 0; i < 4; i++) {
            if ((rc = fs_mkdir_p(dirs[i], err)) != 0) {
                goto out;
            }
        }
        if ((rc = sqlite_sink_open(cfg, p->plan, 0, &p->sink, err)) != 0) {
            goto out;
        }
        make_db_tag(cfg->sqlite_path, p->db_tag);
        if (cfg->parquet_enabled && (rc = pqsink_create(cfg, p->plan, &p->pq, err)) != 0) {
            goto out;
        }
        p->sink_parquet_here = p->pq != NULL && !cfg->sqlite_enabled;
        if ((rc = create_workers(p, err)) != 0) {
            goto out;
        }
    }
    *out = p;
    p = NULL;
    rc = 0;
out:
    if (rc == SL_ENOMEM) {
        sl_error_set(err, SL_ENOMEM, "out of memory setting up the pipeline");
    }
    pipeline_destroy(p);
    return rc;
}

void pipeline_idle(struct pipeline *p, int (*busy)(void *), void *ctx)
{
    if (p != NULL && p->pq != NULL) {
        pqsink_idle(p->pq, busy, ctx);
    }
}

void pipeline_set_stop_check(struct pipeline *p, int (*fn)(void *), void *ctx)
{
    p->stop_fn = fn;
    p->stop_ctx = ctx;
}

void pipeline_destroy(struct pipeline *p)
{
    if (p == NULL) {
        return;
    }
    pqsink_destroy(p->pq);
    sqlite_sink_close(p->sink);
    for (size_t i = 0; i < 2; i++) {
        batch_destroy(p->slots[i].b);
        free(p->slots[i].rej);
        sb_free(&p->slots[i].arena);
    }
    for (size_t i = 0; i < p->nprep; i++) {
        validator_destroy(p->prep[i].val);
        plan_destroy(p->prep[i].plan);
        sb_free(&p->prep[i].rej.msg);
    }
    free(p->prep);
    load_par_free(p);
    for (size_t i = 0; p->pool != NULL && i < p->npool; i++) {
        batch_destroy(p->pool[i].b);
        free(p->pool[i].rej);
        sb_free(&p->pool[i].arena);
    }
    free(p->pool);
    free(p->types);
    validator_destroy(p->val);
    plan_destroy(p->plan);
    sb_free(&p->rej.msg);
    sb_free(&p->msg);
    free(p);
}

void pipeline_check_ratio(const struct config *cfg, const struct file_result *res,
                          struct sl_error *ferr)
{
    if (res->rows_total > 0 &&
        (double)res->rows_rejected > cfg->max_reject_ratio * (double)res->rows_total) {
        sl_error_set(ferr, SL_EREJECTS,
                     "%llu of %llu rows rejected (%.1f%%), over quality.max_reject_ratio "
                     "(%.1f%%): nothing loaded; the rejected rows and reasons are in the "
                     "rejects report",
                     (unsigned long long)res->rows_rejected, (unsigned long long)res->rows_total,
                     100.0 * (double)res->rows_rejected / (double)res->rows_total,
                     100.0 * cfg->max_reject_ratio);
    }
}

/* Opens a claimed file safely: no symlinks, no FIFOs blocking us, one link only. */
int pipeline_open_input(const char *path, struct stat *st, struct sl_error *err)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        return sl_error_set(err, errno == ELOOP ? SL_EFILE : SL_EIO, "cannot open: %s",
                            errno == ELOOP ? "it is a symbolic link" : strerror(errno));
    }
    if (fstat(fd, st) != 0) {
        int e = errno;
        close(fd);
        return sl_error_set(err, SL_EIO, "fstat: %s", strerror(e));
    }
    if (!S_ISREG(st->st_mode)) {
        close(fd);
        return sl_error_set(err, SL_EFILE, "not a regular file");
    }
    if (st->st_nlink != 1) {
        close(fd);
        return sl_error_set(err, SL_EFILE,
                            "refused: the file has %lu hard links (deliver a copy, not a link)",
                            (unsigned long)st->st_nlink);
    }
    return fd;
}

int claim_base(char *out, size_t cap, const char *work, const char *claim, int folder)
{
    int n = snprintf(out, cap, "%s/%s%c", work, claim, folder ? '/' : CLAIM_SEP);
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

int claim_remove(const char *base)
{
    size_t n = strlen(base);
    if (n < 2 || base[n - 1] != '/') {
        return 0; /* flat */
    }
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%.*s", (int)(n - 1), base);
    return rmdir(dir) == 0 || errno == ENOENT ? 0 : -1;
}

/* Moves the input and its reports out of the claim, then removes the claim's folder if any. */
int pipeline_archive(struct pipeline *p, const char *base, const char *name,
                     int failed, const char *want, char *final, size_t cap,
                     struct dirset *defer, struct sl_error *err)
{
    const struct config *cfg = p->cfg;
    char src[PATH_MAX];
    char rep[PATH_MAX];
    char got[PATH_MAX];
    int rc = 0;
    if (name != NULL && (size_t)snprintf(src, sizeof(src), "%s%s", base, name) < sizeof(src) &&
        fs_exists(src)) {
        const char *to = failed ? cfg->failed : cfg->processed;
        rc = defer != NULL ? fs_move_unique_nosync(src, to, want ? want : name, final, cap, err)
                           : fs_move_unique(src, to, want ? want : name, final, cap, err);
        if (defer != NULL) {
            dirset_add(defer, to);
        }
        if (rc != 0) {
            return rc;
        }
    } else {
        snprintf(final, cap, "%s", want ? want : name ? name : "unknown"); /* moved before a crash */
    }
    /* Reports are named after the archived input: NAME.rejects.csv, NAME.error.json (the name
     * cut only when the whole would not fit NAME_MAX). */
    static const char *const inner[] = {REPORT_REJECTS, REPORT_ERROR};
    for (size_t i = 0; i < 2; i++) {
        if ((size_t)snprintf(rep, sizeof(rep), "%s%s", base, inner[i]) >= sizeof(rep) ||
            !fs_exists(rep)) {
            continue;
        }
        char wantrep[NAME_MAX + 1];
        int room = (int)(NAME_MAX - strlen(inner[i]));
        snprintf(wantrep, sizeof(wantrep), "%.*s%s", room, final, inner[i]);
        rc = defer != NULL ? fs_move_unique_nosync(rep, cfg->failed, wantrep, got, sizeof(got),
                                                   err)
                           : fs_move_unique(rep, cfg->failed, wantrep, got, sizeof(got), err);
        if (rc != 0) {
            return rc;
        }
        if (defer != NULL) {
            dirset_add(defer, cfg->failed);
        }
    }
    if (defer != NULL) {
        return 0; /* the caller fsyncs the folders, then removes the claim */
    }
    if (claim_remove(base) != 0) {
        return sl_error_set(err, SL_EIO, "cannot remove claim folder %s: %s", base,
                            strerror(errno));
    }
    return 0;
}
