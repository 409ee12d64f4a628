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
    p->csv = (struct csv_opts){cfg->csv_delimiter, '"', 1, cfg->max_field_bytes,
                               cfg->max_record_bytes, cfg->max_columns};
    if ((rc = plan_create(cfg, &p->plan, err)) != 0) {
        goto out;
    }
    rc = SL_ENOMEM;
    types = plan_types(p->plan);
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
    }
    *out = p;
    p = NULL;
    rc = 0;
out:
    if (rc == SL_ENOMEM) {
        sl_error_set(err, SL_ENOMEM, "out of memory setting up the pipeline");
    }
    free(types);
    pipeline_destroy(p);
    return rc;
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
    validator_destroy(p->val);
    plan_destroy(p->plan);
    sb_free(&p->rej.msg);
    sb_free(&p->msg);
    free(p);
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
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

static int same_file_state(int fd, const struct stat *st0)
{
    struct stat st;
    return fstat(fd, &st) == 0 && st.st_size == st0->st_size &&
           st.st_mtim.tv_sec == st0->st_mtim.tv_sec && st.st_mtim.tv_nsec == st0->st_mtim.tv_nsec;
}

/* A claim folder name unique across processes and time. */
static void claim_name(struct pipeline *p, char *buf, size_t cap)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    snprintf(buf, cap, "c%llx%09lx-%ld-%u-%s", (unsigned long long)ts.tv_sec, ts.tv_nsec,
             (long)getpid(), p->claims++, p->db_tag);
}

/* Moves the input and its reports out of the claim folder, then removes it. */
int pipeline_archive(struct pipeline *p, const char *claim_dir, const char *name,
                     int failed, const char *want, char *final, size_t cap, struct sl_error *err)
{
    const struct config *cfg = p->cfg;
    char src[PATH_MAX];
    char rep[PATH_MAX];
    char got[PATH_MAX];
    int rc = 0;
    if (name != NULL && fs_join(src, sizeof(src), claim_dir, name) == 0 && fs_exists(src)) {
        rc = fs_move_unique(src, failed ? cfg->failed : cfg->processed, want ? want : name,
                            final, cap, err);
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
        if (fs_join(rep, sizeof(rep), claim_dir, inner[i]) != 0 || !fs_exists(rep)) {
            continue;
        }
        char wantrep[NAME_MAX + 1];
        int room = (int)(NAME_MAX - strlen(inner[i]));
        snprintf(wantrep, sizeof(wantrep), "%.*s%s", room, final, inner[i]);
        if ((rc = fs_move_unique(rep, cfg->failed, wantrep, got, sizeof(got), err)) != 0) {
            return rc;
        }
    }
    if (rmdir(claim_dir) != 0 && errno != ENOENT) {
        return sl_error_set(err, SL_EIO, "cannot remove claim folder %s: %s", claim_dir,
                            strerror(errno));
    }
    return 0;
}

/* The name the input will most likely get in dir (checked again at the move). */
static void planned_name(const char *dir, const char *name, char *out, size_t cap)
{
    char path[PATH_MAX];
    for (unsigned n = 0; n < 10000; n++) {
        fs_name_variant(name, n, out, cap);
        if (fs_join(path, sizeof(path), dir, out) != 0 || !fs_exists(path)) {
            return;
        }
    }
}

static void metrics_fields(const struct file_result *res, struct strbuf *sb)
{
    sb_printf(sb,
              "\"rows_total\": %llu, \"rows_loaded\": 0, \"rows_rejected\": %llu, "
              "\"rows_duplicate_key\": %llu, \"size_bytes\": %llu",
              (unsigned long long)res->rows_total, (unsigned long long)res->rows_rejected,
              (unsigned long long)res->rows_duplicate_key, (unsigned long long)res->size_bytes);
}

/* Records a failed file: its own transaction (the load's was rolled back), error.json. */
static int record_failure(struct pipeline *p, struct ledger_row *row, struct report *rep,
                          int code, const char *msg, struct file_result *res,
                          struct sl_error *err)
{
    struct strbuf fields = STRBUF_INIT;
    metrics_fields(res, &fields);
    int rc = report_error_json(rep, row->sha256, sl_errname(code), sl_errclass_name(code), msg,
                               sb_cstr(&fields), err);
    sb_free(&fields);
    if (rc != 0) {
        return rc;
    }
    row->status = "failed";
    row->error_code = sl_errname(code);
    row->error = msg;
    row->rows_loaded = 0;
    row->metrics = NULL;
    int64_t id;
    if ((rc = sqlite_sink_begin(p->sink, err)) != 0 ||
        (rc = ledger_insert(sqlite_sink_db(p->sink), row, &id, err)) != 0 ||
        (rc = sqlite_sink_commit(p->sink, err)) != 0) {
        sqlite_sink_rollback(p->sink);
    }
    snprintf(res->error, sizeof(res->error), "%s", msg);
    res->status = FILE_FAILED;
    res->rows_loaded = 0;
    return rc;
}

static void log_result(const char *name, const struct file_result *res, const char *metrics)
{
    struct log_line l;
    int failed = res->status == FILE_FAILED;
    log_begin(&l, failed ? LOG_WARN : LOG_INFO, "file_done");
    log_str(&l, "file", name);
    log_str(&l, "status", file_status_name(res->status));
    log_str(&l, "sha256", res->sha256);
    log_int(&l, "size_bytes", (int64_t)res->size_bytes);
    log_int(&l, "rows_total", (int64_t)res->rows_total);
    log_int(&l, "rows_loaded", (int64_t)res->rows_loaded);
    log_int(&l, "rows_rejected", (int64_t)res->rows_rejected);
    log_int(&l, "rows_duplicate_key", (int64_t)res->rows_duplicate_key);
    log_num(&l, "duration_ms", res->duration_ms);
    log_json(&l, "metrics", metrics);
    log_str(&l, "archived_as", res->archived_as[0] ? res->archived_as : NULL);
    if (failed) {
        log_str(&l, "error", res->error);
    }
    log_end(&l);
}

/* Puts a claimed input back into incoming/ after an error that is not the file's fault. */
static void unclaim(struct pipeline *p, const char *claim_dir, const char *name,
                    struct report *rep)
{
    char src[PATH_MAX];
    char got[PATH_MAX];
    struct sl_error e = {0};
    report_discard(rep);
    if (fs_join(src, sizeof(src), claim_dir, name) == 0 &&
        fs_move_unique(src, p->cfg->incoming, name, got, sizeof(got), &e) == 0) {
        rmdir(claim_dir);
    }
}

int pipeline_process(struct pipeline *p, const char *name, struct file_result *res,
                     struct sl_error *err)
{
    const struct config *cfg = p->cfg;
    char claim[64], claim_dir[PATH_MAX], src[PATH_MAX], path[PATH_MAX], want[PATH_MAX];
    char started[32], finished[32];
    struct report rep;
    struct strbuf metrics = STRBUF_INIT;
    struct strbuf pqfiles = STRBUF_INIT;
    struct sl_error ferr = {0}; /* the file's own problem, if any */
    struct stat st;
    int fd = -1;
    int rc = 0;
    int in_txn = 0;
    double t0 = now_ms();

    memset(res, 0, sizeof(*res));
    log_now_rfc3339(started);
    claim_name(p, claim, sizeof(claim));
    report_init(&rep, claim_dir, name, cfg->csv_delimiter);
    if (fs_join(claim_dir, sizeof(claim_dir), cfg->work, claim) != 0 ||
        fs_join(src, sizeof(src), cfg->incoming, name) != 0 ||
        fs_join(path, sizeof(path), claim_dir, name) != 0) {
        return sl_error_set(err, SL_EIO, "path too long for %s", name);
    }
    if (mkdir(claim_dir, 0750) != 0) {
        return sl_error_set(err, SL_EIO, "cannot create %s: %s", claim_dir, strerror(errno));
    }
    /* 1. Claim: an atomic rename; losing the race to another process is not an error. */
    if (renameat2(AT_FDCWD, src, AT_FDCWD, path, RENAME_NOREPLACE) != 0) {
        int e = errno;
        rmdir(claim_dir);
        if (e == ENOENT) {
            res->status = FILE_SKIPPED;
            return 0;
        }
        return sl_error_set(err, SL_EIO, "cannot claim %s: %s", src, strerror(e));
    }
    struct ledger_row row = {
        .file_name = name, .sha256 = res->sha256, .target_table = cfg->table,
        .status = "ok", .claim = claim, .started_at = started,
    };
    /* 2. Identify. */
    fd = pipeline_open_input(path, &st, &ferr);
    if (fd >= 0) {
        res->size_bytes = (uint64_t)st.st_size;
        if (cfg->max_file_bytes && res->size_bytes > cfg->max_file_bytes) {
            sl_error_set(&ferr, SL_ELIMIT, "file is %llu bytes, over limits.max_file_bytes %llu",
                         (unsigned long long)res->size_bytes,
                         (unsigned long long)cfg->max_file_bytes);
        } else if ((rc = sha256_fd(fd, res->sha256, &res->size_bytes, err)) != 0) {
            goto transient;
        }
    } else if (sl_errclass(ferr.code) == 'T') {
        rc = sl_error_set(err, ferr.code, "%s: %s", name, ferr.msg);
        goto transient;
    }
    if (res->sha256[0] == '\0') {
        snprintf(res->sha256, sizeof(res->sha256), "%s", "unknown");
    }
    row.size_bytes = res->size_bytes;
    if ((rc = sqlite_sink_begin(p->sink, err)) != 0) {
        goto transient;
    }
    in_txn = 1;
    if (ferr.code == 0) {
        /* 3. Already loaded, under any name? */
        int64_t dup_id = 0;
        int found = ledger_find_loaded(sqlite_sink_db(p->sink), res->sha256, cfg->table, &dup_id,
                                       err);
        if (found < 0) {
            rc = found;
            goto transient;
        }
        if (found) {
            res->status = FILE_DUPLICATE;
            row.status = "duplicate";
            row.duplicate_of = dup_id;
            goto commit;
        }
        int64_t id;
        if ((rc = ledger_insert(sqlite_sink_db(p->sink), &row, &id, err)) != 0) {
            goto transient;
        }
        row.id = id;
        if ((rc = sqlite_sink_file_begin(p->sink, err)) != 0 ||
            (p->pq != NULL &&
             (rc = pqsink_file_begin(p->pq, name, res->sha256, claim, err)) != 0)) {
            goto transient;
        }
        /* 4. Load rows and rejects. */
        struct load l = {p, fd, name, id, &rep, 0, res};
        rc = load_stream(&l, &ferr);
        if (rc != 0 && sl_errclass(rc) != 'P') {
            sl_error_set(err, rc, "%s: %s", name, ferr.msg);
            goto transient;
        }
        rc = 0;
        if (ferr.code == 0 && !same_file_state(fd, &st)) {
            rc = sl_error_set(err, SL_EIO, "%s changed while it was being read (a producer "
                                           "still writing?); it will be read again",
                              name);
            goto transient;
        }
        if (ferr.code == 0) {
            pipeline_check_ratio(cfg, res, &ferr);
        }
    }
    if (ferr.code != 0) {
        /* 5a. The file's fault: nothing of it is loaded; it goes to failed/ with a report. */
        sqlite_sink_rollback(p->sink);
        in_txn = 0;
        if (p->pq != NULL) {
            pqsink_abort(p->pq);
        }
        if ((rc = report_seal(&rep, err)) != 0) {
            goto transient;
        }
        planned_name(cfg->failed, name, want, sizeof(want));
        snprintf(path, sizeof(path), "%s/%s", cfg->failed, want);
        row.archived_as = path;
        if ((rc = record_failure(p, &row, &rep, ferr.code, ferr.msg, res, err)) != 0) {
            goto transient;
        }
        goto archive;
    }
    res->status = res->rows_rejected > 0 ? FILE_PARTIAL : FILE_OK;
    row.status = file_status_name(res->status);
    if ((rc = plan_metrics_json(p->plan, &metrics)) != 0 || (rc = report_seal(&rep, err)) != 0) {
        goto transient;
    }
    row.metrics = sb_cstr(&metrics);
    if (p->pq != NULL) {
        /* 5. Seal Parquet: complete, fsynced files under temporary names before the commit. */
        uint64_t pq_rows = 0;
        if ((rc = pqsink_seal(p->pq, &pqfiles, &pq_rows, err)) != 0) {
            goto transient;
        }
        if (pq_rows != res->rows_loaded) {
            rc = sl_error_set(err, SL_EBUG, "%s: %llu rows went to Parquet but %llu to SQLite",
                              name, (unsigned long long)pq_rows,
                              (unsigned long long)res->rows_loaded);
            goto transient;
        }
        row.parquet_files = sb_cstr(&pqfiles);
    }
commit:
    /* 5b. One commit: rows, rejects and the ledger row together. */
    planned_name(cfg->processed, name, want, sizeof(want));
    snprintf(path, sizeof(path), "%s/%s", cfg->processed, want);
    row.archived_as = path;
    row.rows_total = res->rows_total;
    row.rows_loaded = res->rows_loaded;
    row.rows_rejected = res->rows_rejected;
    row.rows_duplicate_key = res->rows_duplicate_key;
    row.blank_lines = res->blank_lines;
    log_now_rfc3339(finished);
    row.finished_at = finished;
    row.duration_ms = now_ms() - t0;
    if (row.id == 0) {
        int64_t id;
        rc = ledger_insert(sqlite_sink_db(p->sink), &row, &id, err);
    } else {
        rc = ledger_update(sqlite_sink_db(p->sink), &row, err);
    }
    if (rc != 0 || (rc = sqlite_sink_commit(p->sink, err)) != 0) {
        goto transient;
    }
    in_txn = 0;
    /* 6. Publish Parquet.  If this fails the claim stays: recovery publishes it later. */
    if (p->pq != NULL && res->status != FILE_DUPLICATE &&
        (rc = pqsink_publish(p->pq, err)) != 0) {
        close(fd);
        report_free(&rep);
        sb_free(&metrics);
        sb_free(&pqfiles);
        return rc;
    }
archive:
    /* A producer that still held the file open and wrote after the load: what it wrote is
     * not in the database.  Nothing can undo the commit; say it loudly. */
    if (fd >= 0 && res->status != FILE_FAILED && !same_file_state(fd, &st)) {
        struct stat now;
        struct log_line l;
        if (fstat(fd, &now) != 0) {
            now.st_size = st.st_size;
        }
        log_begin(&l, LOG_ERROR, "file_changed_after_load");
        log_str(&l, "file", name);
        log_int(&l, "size_loaded", (int64_t)st.st_size);
        log_int(&l, "size_now", (int64_t)now.st_size);
        log_str(&l, "error", "a writer still had the file open and changed it after it was "
                             "loaded; the change is not in the database (deliver files by "
                             "writing elsewhere, then renaming them in)");
        log_end(&l);
        fprintf(stderr, "sluice: %s changed after it was loaded (%lld -> %lld bytes): the "
                        "change is not loaded; see the log\n",
                name, (long long)st.st_size, (long long)now.st_size);
    }
    /* 6. Archive: only now does the input leave the claim folder. */
    close(fd);
    fd = -1;
    char final[PATH_MAX];
    rc = pipeline_archive(p, claim_dir, name, res->status == FILE_FAILED, want, final,
                          sizeof(final), err);
    snprintf(res->archived_as, sizeof(res->archived_as), "%s/%s",
             res->status == FILE_FAILED ? cfg->failed : cfg->processed, final);
    report_free(&rep);
    res->duration_ms = now_ms() - t0;
    log_result(name, res, metrics.len ? sb_cstr(&metrics) : NULL);
    sb_free(&metrics);
    sb_free(&pqfiles);
    return rc;
transient:
    if (in_txn) {
        sqlite_sink_rollback(p->sink);
    }
    if (p->pq != NULL) {
        pqsink_abort(p->pq);
    }
    sb_free(&pqfiles);
    if (fd >= 0) {
        close(fd);
    }
    unclaim(p, claim_dir, name, &rep);
    sb_free(&metrics);
    {
        struct log_line l;
        log_begin(&l, LOG_ERROR, "file_error");
        log_str(&l, "file", name);
        log_str(&l, "error_class", sl_errclass_name(rc));
        log_str(&l, "error", err->msg);
        log_end(&l);
    }
    return rc;
}
