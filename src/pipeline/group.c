/* group.c - many input files, prepared in parallel, committed in groups.
 *
 * Worker threads take the names in order and prepare each file: claim (atomic rename into
 * its own claim folder), hash, and for a small file parse and validate all of its rows
 * into a slot.  The calling thread commits the prepared files in the same order: inside one
 * SQLite transaction, each file is a savepoint holding its ledger row, rows and rejects (a
 * failed file rolls back to its savepoint and records its failure instead), its Parquet
 * temporaries are written and closed (their writeback started).  A group ends when no prepared file
 * is waiting, at GROUP_MAX files, or after a big file; then the group's temporaries are
 * fsynced together (pq_sealed_sync: mostly one journal commit), one durable COMMIT covers
 * them all, the Parquet files are published and the inputs archived with one fsync per folder.
 * A file bigger than a slot is streamed at commit time by load_stream (reader + writer
 * threads) as before.  Under a burst, files pile up while a commit runs, so groups grow and
 * the fixed cost per file falls; a lone file is committed at once (no waiting for company).
 *
 * Exactly once is unchanged: a file's ledger row and rows commit together or not at all,
 * and an input leaves its claim folder only after the commit (see pipeline.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/failpoint.h"
#include "core/fs.h"
#include "core/log.h"
#include "core/sha256.h"
#include "pipeline/internal.h"
#include "pipeline/ledger.h"

#define GROUP_MAX 128                  /* files per durable commit */
#define SMALL_MAX_BYTES (4u << 20)     /* bigger files are streamed, not parsed ahead */

enum item_state { IT_FREE, IT_BUSY, IT_READY };
/* What the prepare step found. */
enum item_kind { K_SKIPPED, K_ERROR, K_FAILED, K_SMALL, K_BIG };

struct item {
    int state, kind;
    int transient; /* commit step: the file goes back to incoming/ (rc, err) */
    int claimed;
    int lone; /* alone in its group: nothing to share the group's fsyncs with */
    int late_hash; /* K_BIG: hashed at commit time, on a thread beside its load */
    int fd;
    const char *name; /* the caller's string */
    char claim[64], claim_dir[PATH_MAX], path[PATH_MAX], started[32];
    double t0;
    struct stat st;
    int rc;
    struct sl_error err;  /* not the file's fault: left in incoming/ */
    struct sl_error ferr; /* the file's fault: it goes to failed/ */
    struct file_result res;
    struct strbuf header;
    struct slot *slot; /* K_SMALL: its rows, until written */
    struct report rep;
    struct strbuf metrics, pqfiles;
    struct pq_sealed sealed;
    char want[NAME_MAX + 1]; /* planned archive name */
    const struct sl_error *force; /* pipeline_give_up: fail with this once claimed */
    const char *force_extra;      /* and these JSON members in error.json */
};

struct engine {
    struct pipeline *p;
    const char *const *names;
    size_t n;
    struct item *ring;
    size_t q;
    size_t next; /* next index a worker takes */
    int abort;   /* take no more names */
    struct slot **free_slots;
    size_t nfree;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pipeline_cb cb;
    void *cb_ctx;
    const struct sl_error *force;
    const char *force_extra;
    struct dirset dirs;
    size_t gfirst, gcount; /* the group: ring items gfirst .. gfirst + gcount - 1 */
    int in_txn;
    int broken; /* the group's transaction is gone: every file of it goes back */
};

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int same_file_state(int fd, const struct stat *st0)
{
    struct stat st;
    return fstat(fd, &st) == 0 && st.st_size == st0->st_size &&
           st.st_mtim.tv_sec == st0->st_mtim.tv_sec && st.st_mtim.tv_nsec == st0->st_mtim.tv_nsec;
}

/* A claim folder name unique across processes, threads and time. */
static void claim_name(struct pipeline *p, char *buf, size_t cap)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    unsigned n = atomic_fetch_add(&p->claims, 1u);
    snprintf(buf, cap, "c%llx%09lx-%ld-%u-%s", (unsigned long long)ts.tv_sec, ts.tv_nsec,
             (long)getpid(), n, p->db_tag);
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

static void item_reset(struct engine *g, struct item *it, const char *name)
{
    struct strbuf header = it->header;
    struct strbuf metrics = it->metrics;
    struct strbuf pqfiles = it->pqfiles;
    sb_reset(&header);
    sb_reset(&metrics);
    sb_reset(&pqfiles);
    memset(it, 0, sizeof(*it));
    it->header = header;
    it->metrics = metrics;
    it->pqfiles = pqfiles;
    it->fd = -1;
    it->name = name;
    it->force = g->force;
    it->force_extra = g->force_extra;
}

static void item_free(struct item *it)
{
    sb_free(&it->header);
    sb_free(&it->metrics);
    sb_free(&it->pqfiles);
    pq_sealed_free(&it->sealed, 1);
    if (it->fd >= 0) {
        close(it->fd);
    }
}

/* ---- prepare: any thread ----------------------------------------------------------------- */

/* Claims, hashes and (small files) parses it->name; slot may be NULL (then never parsed). */
static void prepare(struct pipeline *p, struct prep_ctx *ctx, struct item *it, struct slot *slot)
{
    const struct config *cfg = p->cfg;
    char src[PATH_MAX];
    it->t0 = now_ms();
    log_now_rfc3339(it->started);
    claim_name(p, it->claim, sizeof(it->claim));
    report_init(&it->rep, it->claim_dir, it->name, cfg->csv_delimiter);
    /* flat (WORK/CLAIM~NAME) unless the name is too long for it: then a folder */
    int folder = strlen(it->claim) + 1 + strlen(it->name) > NAME_MAX;
    if (claim_base(it->claim_dir, sizeof(it->claim_dir), cfg->work, it->claim, folder) != 0 ||
        fs_join(src, sizeof(src), cfg->incoming, it->name) != 0 ||
        (size_t)snprintf(it->path, sizeof(it->path), "%s%s", it->claim_dir, it->name) >=
            sizeof(it->path)) {
        it->kind = K_ERROR;
        it->rc = sl_error_set(&it->err, SL_EIO, "path too long for %s", it->name);
        return;
    }
    if (folder) {
        char dir[PATH_MAX];
        snprintf(dir, sizeof(dir), "%s/%s", cfg->work, it->claim);
        if (mkdir(dir, 0750) != 0) {
            it->kind = K_ERROR;
            it->rc = sl_error_set(&it->err, SL_EIO, "cannot create %s: %s", dir,
                                  strerror(errno));
            return;
        }
    }
    FAILPOINT("claim.mkdir");
    /* Claim: an atomic rename; losing the race to another process is not an error. */
    if (renameat2(AT_FDCWD, src, AT_FDCWD, it->path, RENAME_NOREPLACE) != 0) {
        int e = errno;
        (void)claim_remove(it->claim_dir);
        if (e == ENOENT) {
            it->kind = K_SKIPPED;
            it->res.status = FILE_SKIPPED;
        } else {
            it->kind = K_ERROR;
            it->rc = sl_error_set(&it->err, SL_EIO, "cannot claim %s: %s", src, strerror(e));
        }
        return;
    }
    it->claimed = 1;
    FAILPOINT("claim.renamed");
    it->kind = K_FAILED;
    it->fd = pipeline_open_input(it->path, &it->st, &it->ferr);
    if (it->fd < 0) {
        if (sl_errclass(it->ferr.code) == 'T') {
            it->kind = K_ERROR;
            it->rc = sl_error_set(&it->err, it->ferr.code, "%s: %s", it->name, it->ferr.msg);
        }
        goto nohash;
    }
    it->res.size_bytes = (uint64_t)it->st.st_size;
    if (cfg->max_file_bytes && it->res.size_bytes > cfg->max_file_bytes) {
        sl_error_set(&it->ferr, SL_ELIMIT, "file is %llu bytes, over limits.max_file_bytes %llu",
                     (unsigned long long)it->res.size_bytes,
                     (unsigned long long)cfg->max_file_bytes);
        goto nohash;
    }
    if (it->force == NULL && it->st.st_size > (off_t)SMALL_MAX_BYTES) {
        /* streamed at commit time: its hash is computed there, beside the load (a big
         * file's hash is ~8% of its Parquet-only load on 2 cores) */
        it->kind = K_BIG;
        it->late_hash = 1;
        return;
    }
    if ((it->rc = sha256_fd(it->fd, it->res.sha256, &it->res.size_bytes, &it->err)) != 0) {
        it->kind = K_ERROR;
        return;
    }
    it->kind = K_BIG;
    FAILPOINT("prepare.hashed");
    if (it->force != NULL) {
        it->kind = K_FAILED;
        it->ferr = *it->force;
        return;
    }
    if (slot == NULL || it->st.st_size > (off_t)SMALL_MAX_BYTES) {
        return;
    }
    if (slot->b == NULL &&
        (slot->b = batch_create(p->types, p->plan->ncols, cfg->batch_rows)) == NULL) {
        return; /* no memory for a slot: streamed at commit time instead */
    }
    struct sl_error perr = {0};
    int r = load_prepare(ctx, it->fd, slot, &it->header, &it->res, &perr);
    if (r == 1) {
        FAILPOINT("prepare.parsed");
        it->kind = K_SMALL;
        it->slot = slot;
    } else if (r == 0) {
        it->res.rows_total = it->res.blank_lines = 0; /* streamed from the start later */
    } else if (sl_errclass(r) == 'P') {
        it->kind = K_FAILED;
        it->ferr = perr;
    } else {
        it->kind = K_ERROR;
        it->rc = sl_error_set(&it->err, r, "%s: %s", it->name, perr.msg);
    }
    if (it->kind != K_SMALL) {
        batch_clear(slot->b);
        slot->nrej = 0;
        sb_reset(&slot->arena);
    }
    return;
nohash:
    if (it->res.sha256[0] == '\0') {
        snprintf(it->res.sha256, sizeof(it->res.sha256), "%s", "unknown");
    }
}

/* ---- commit: the calling thread ---------------------------------------------------------- */

static void metrics_fields(const struct file_result *res, struct strbuf *sb)
{
    sb_printf(sb,
              "\"rows_total\": %llu, \"rows_loaded\": 0, \"rows_rejected\": %llu, "
              "\"rows_duplicate_key\": %llu, \"size_bytes\": %llu",
              (unsigned long long)res->rows_total, (unsigned long long)res->rows_rejected,
              (unsigned long long)res->rows_duplicate_key, (unsigned long long)res->size_bytes);
}

static void fill_row(struct item *it, struct ledger_row *row)
{
    const struct file_result *res = &it->res;
    row->rows_total = res->rows_total;
    row->rows_loaded = res->rows_loaded;
    row->rows_rejected = res->rows_rejected;
    row->rows_duplicate_key = res->rows_duplicate_key;
    row->blank_lines = res->blank_lines;
    row->duration_ms = now_ms() - it->t0;
}

/* The file's fault: nothing of it is loaded; a failed ledger row and error.json. */
static int record_failure(struct pipeline *p, struct item *it, struct ledger_row *row,
                          struct sl_error *err)
{
    struct strbuf fields = STRBUF_INIT;
    char path[PATH_MAX], finished[32];
    int rc = report_seal(&it->rep, err);
    if (rc == 0) {
        metrics_fields(&it->res, &fields);
        if (it->force_extra != NULL) {
            sb_adds(&fields, ", ");
            sb_adds(&fields, it->force_extra);
        }
        rc = report_error_json(&it->rep, it->res.sha256, sl_errname(it->ferr.code),
                               sl_errclass_name(it->ferr.code), it->ferr.msg, sb_cstr(&fields),
                               err);
        sb_free(&fields);
    }
    if (rc != 0) {
        return rc;
    }
    planned_name(p->cfg->failed, it->name, it->want, sizeof(it->want));
    snprintf(path, sizeof(path), "%s/%s", p->cfg->failed, it->want);
    log_now_rfc3339(finished);
    row->status = "failed";
    row->error_code = sl_errname(it->ferr.code);
    row->error = it->ferr.msg;
    row->archived_as = path;
    row->finished_at = finished;
    row->metrics = NULL;
    row->parquet_files = NULL;
    it->res.rows_loaded = 0;
    fill_row(it, row);
    int64_t id;
    rc = ledger_insert(sqlite_sink_db(p->sink), row, &id, err);
    if (rc != 0) {
        row->archived_as = NULL;
        row->finished_at = NULL;
        return rc;
    }
    snprintf(it->res.error, sizeof(it->res.error), "%s", it->ferr.msg);
    it->res.status = FILE_FAILED;
    it->res.error_code = it->ferr.code;
    row->archived_as = NULL; /* they pointed at this function's buffers */
    row->finished_at = NULL;
    return 0;
}

/* The file's ledger row, written first in its savepoint (load_overlap's first step). */
struct first_ledger {
    struct pipeline *p;
    struct ledger_row *row;
    struct sl_error *err;
    int rc;
};

static int ledger_first(void *ctx, int64_t *file_id)
{
    struct first_ledger *fl = ctx;
    fl->rc = ledger_insert(sqlite_sink_db(fl->p->sink), fl->row, &fl->row->id, fl->err);
    if (fl->rc == 0) {
        *file_id = fl->row->id;
        FAILPOINT("commit.ledger_row");
    }
    return fl->rc;
}

/* Already loaded, under any name?  1: yes, row becomes the duplicate's ledger row; 0: no;
 * < 0 an error. */
static int check_duplicate(struct pipeline *p, struct item *it, struct ledger_row *row,
                           struct sl_error *err)
{
    int64_t dup_id = 0;
    int found = fp_bug("skip_dup_lookup")
                    ? 0
                    : ledger_find_loaded(sqlite_sink_db(p->sink), it->res.sha256, p->cfg->table,
                                         &dup_id, err);
    if (found <= 0) {
        return found;
    }
    it->res.status = FILE_DUPLICATE;
    row->status = "duplicate";
    row->duplicate_of = dup_id;
    it->res.rows_total = it->res.blank_lines = 0;
    return 1;
}

/* The duplicate check of a file hashed beside its load: a duplicate's rows, rejects, ledger
 * row and Parquet temporaries are all undone (back to the savepoint, which is then taken
 * again for the duplicate's own ledger row).  Same results as check_duplicate. */
static int late_duplicate(struct pipeline *p, struct item *it, struct ledger_row *row,
                          struct sl_error *err)
{
    int found = check_duplicate(p, it, row, err);
    if (found != 1) {
        return found;
    }
    if (sqlite_sink_rollback_to(p->sink) != 0) {
        return sl_error_set(err, SL_EIO, "%s: the transaction was lost", it->name);
    }
    if (p->pq != NULL) {
        pqsink_abort(p->pq);
    }
    int rc = sqlite_sink_savepoint(p->sink, err);
    if (rc != 0) {
        return rc;
    }
    struct file_result *res = &it->res;
    res->rows_loaded = res->rows_rejected = res->rows_duplicate_key = res->rows_updated = 0;
    memset(&it->ferr, 0, sizeof(it->ferr)); /* a duplicate, whatever its rows held */
    report_discard(&it->rep);
    row->id = 0;
    return 1;
}

/* Loads a prepared file inside the group's transaction, as one savepoint.  Returns 0 (the
 * file reached a verdict, or is marked transient) or -1 when the group's transaction is
 * gone (everything in it goes back). */
static int commit_item(struct engine *g, struct item *it)
{
    struct pipeline *p = g->p;
    const struct config *cfg = p->cfg;
    struct file_result *res = &it->res;
    struct sl_error *err = &it->err;
    char path[PATH_MAX], finished[32];
    int rc = 0, in_sp = 0, sealed = 0; /* sealed: Parquet sealed during the load */
    int hashing = 0;                     /* hj runs (it->late_hash) */
    struct sha256_job hj;
    uint64_t pq_rows = 0;
    struct ledger_row row = {
        .file_name = it->name, .sha256 = res->sha256, .target_table = cfg->table,
        .status = "ok", .claim = it->claim, .started_at = it->started,
        .size_bytes = res->size_bytes,
    };
    if (!g->in_txn) {
        if ((rc = sqlite_sink_begin(p->sink, err)) != 0) {
            goto transient;
        }
        g->in_txn = 1;
        FAILPOINT("commit.begin");
    }
    if ((rc = sqlite_sink_savepoint(p->sink, err)) != 0) {
        goto transient;
    }
    in_sp = 1;
    FAILPOINT("commit.savepoint");
    if (it->kind == K_SMALL || it->kind == K_BIG) {
        if (it->late_hash) {
            sha256_job_start(&hj, it->fd);
            hashing = 1;
        } else if ((rc = check_duplicate(p, it, &row, err)) != 0) {
            if (rc == 1) {
                goto done;
            }
            goto transient;
        }
        if ((rc = sqlite_sink_file_begin(p->sink, err)) != 0 ||
            (p->pq != NULL &&
             (rc = pqsink_file_begin(p->pq, it->name, hashing ? NULL : res->sha256, it->claim,
                                     err)) != 0)) {
            goto transient;
        }
        struct load l = {p, it->fd, it->name, 0, &it->rep, 0, res};
        struct first_ledger fl = {p, &row, err, 0};
        if (it->kind == K_SMALL && p->pq != NULL && !p->sink_parquet_here &&
            it->lone && sqlite_sink_all_load(p->sink, it->slot->b)) {
            /* a lone file whose rows all load: the ledger row and SQLite beside Parquet.  In
             * a group, throughput counts: two threads per file cost more CPU than they save
             * (3,000 files of 100 rows, once: 2.74-3.32 s serial vs 3.22-3.50 s overlapped,
             * sys time too), and the other core is parsing the next files. */
            rc = load_overlap(&l, it->slot, &it->header, ledger_first, &fl, it->lone,
                              &it->pqfiles, &pq_rows, &it->ferr);
            if (rc == LOAD_FIRST_STEP_FAILED) {
                rc = fl.rc;
                goto transient;
            }
            sealed = rc == 0;
        } else if ((rc = ledger_first(&fl, &l.file_id)) != 0) {
            goto transient;
        } else if (it->kind == K_SMALL) {
            rc = load_prepared(&l, it->slot, &it->header, &it->ferr);
        } else if (lseek(it->fd, 0, SEEK_SET) < 0) {
            rc = sl_error_set(&it->ferr, SL_EIO, "lseek: %s", strerror(errno));
        } else {
            rc = load_stream(&l, &it->ferr);
        }
        if (hashing) {
            /* the hash, computed meanwhile; the duplicate check waited for it */
            hashing = 0;
            int hrc = sha256_job_join(&hj, res->sha256, &res->size_bytes, err);
            if (hrc != 0) {
                rc = hrc;
                goto transient;
            }
            FAILPOINT("commit.hashed");
            if ((hrc = late_duplicate(p, it, &row, err)) == 1) {
                goto done;
            }
            if (hrc != 0 || (p->pq != NULL && (hrc = pqsink_set_sha(p->pq, res->sha256, err)) != 0)) {
                rc = hrc;
                goto transient;
            }
        }
        if (rc != 0 && sl_errclass(rc) != 'P') {
            sl_error_set(err, rc, "%s: %s", it->name, it->ferr.msg);
            goto transient;
        }
        FAILPOINT("commit.rows");
        if (it->ferr.code == 0 && !same_file_state(it->fd, &it->st)) {
            rc = sl_error_set(err, SL_EIO, "%s changed while it was being read (a producer "
                                           "still writing?); it will be read again",
                              it->name);
            goto transient;
        }
        if (it->ferr.code == 0) {
            pipeline_check_ratio(cfg, res, &it->ferr);
        }
    }
    if (it->ferr.code != 0) {
        if (sqlite_sink_rollback_to(p->sink) != 0) {
            rc = sl_error_set(err, SL_EIO, "%s: the transaction was lost", it->name);
            in_sp = 0;
            goto transient;
        }
        in_sp = 0;
        if (p->pq != NULL) {
            pqsink_abort(p->pq);
        }
        if ((rc = record_failure(p, it, &row, err)) != 0) {
            goto transient;
        }
        FAILPOINT("commit.failure_recorded");
        return 0;
    }
    res->status = res->rows_rejected > 0 ? FILE_PARTIAL : FILE_OK;
    row.status = file_status_name(res->status);
    if ((rc = plan_metrics_json(p->plan, &it->metrics)) != 0 ||
        (rc = report_seal(&it->rep, err)) != 0) {
        goto transient;
    }
    row.metrics = sb_cstr(&it->metrics);
    if (p->pq != NULL) {
        /* Seal Parquet: complete, fsynced files under temporary names before the commit. */
        if (!sealed && (rc = pqsink_seal(p->pq, it->lone, &it->pqfiles, &pq_rows, err)) != 0) {
            goto transient;
        }
        if (pq_rows != res->rows_loaded) {
            rc = sl_error_set(err, SL_EBUG, "%s: %llu rows went to Parquet but %llu to SQLite",
                              it->name, (unsigned long long)pq_rows,
                              (unsigned long long)res->rows_loaded);
            goto transient;
        }
        if ((rc = pqsink_take_sealed(p->pq, &it->sealed, err)) != 0) {
            goto transient;
        }
        row.parquet_files = sb_cstr(&it->pqfiles);
        FAILPOINT("commit.pq_sealed");
    }
done:
    planned_name(cfg->processed, it->name, it->want, sizeof(it->want));
    snprintf(path, sizeof(path), "%s/%s", cfg->processed, it->want);
    row.archived_as = path;
    log_now_rfc3339(finished);
    row.finished_at = finished;
    fill_row(it, &row);
    rc = row.id == 0 ? ledger_insert(sqlite_sink_db(p->sink), &row, &row.id, err)
                     : ledger_update(sqlite_sink_db(p->sink), &row, err);
    if (rc != 0) {
        goto transient;
    }
    FAILPOINT("commit.ledger_update");
    if ((rc = sqlite_sink_release(p->sink, err)) != 0) {
        goto transient;
    }
    FAILPOINT("commit.released");
    return 0;
transient:
    if (hashing) {
        struct sl_error ignored = {0};
        (void)sha256_job_join(&hj, res->sha256, &res->size_bytes, &ignored);
    }
    it->transient = 1;
    it->rc = rc != 0 ? rc : SL_EIO;
    if (p->pq != NULL) {
        pqsink_abort(p->pq);
    }
    pq_sealed_free(&it->sealed, 1);
    if (in_sp && sqlite_sink_rollback_to(p->sink) != 0) {
        return -1;
    }
    if (g->in_txn && !sqlite_sink_in_txn(p->sink)) {
        return -1;
    }
    return 0;
}

/* Puts a claimed input back into incoming/ after an error that is not the file's fault. */
static void unclaim(struct pipeline *p, struct item *it)
{
    char got[PATH_MAX];
    struct sl_error e = {0};
    report_discard(&it->rep);
    if (it->claimed && fs_move_unique(it->path, p->cfg->incoming, it->name, got, sizeof(got),
                                      &e) == 0) {
        (void)claim_remove(it->claim_dir);
    }
}

static void log_result(struct item *it)
{
    struct log_line l;
    const struct file_result *res = &it->res;
    int failed = res->status == FILE_FAILED;
    log_begin(&l, failed ? LOG_WARN : LOG_INFO, "file_done");
    log_str(&l, "file", it->name);
    log_str(&l, "status", file_status_name(res->status));
    log_str(&l, "sha256", res->sha256);
    log_int(&l, "size_bytes", (int64_t)res->size_bytes);
    log_int(&l, "rows", (int64_t)res->rows_total);
    log_int(&l, "rows_total", (int64_t)res->rows_total);
    log_int(&l, "rows_loaded", (int64_t)res->rows_loaded);
    log_int(&l, "rows_rejected", (int64_t)res->rows_rejected);
    log_int(&l, "rows_duplicate_key", (int64_t)res->rows_duplicate_key);
    log_num(&l, "duration_ms", res->duration_ms);
    log_json(&l, "metrics", it->metrics.len ? sb_cstr(&it->metrics) : NULL);
    log_str(&l, "archived_as", res->archived_as[0] ? res->archived_as : NULL);
    if (failed) {
        log_str(&l, "error_code", sl_errname(res->error_code));
        log_str(&l, "error_class", sl_errclass_name(res->error_code));
        log_str(&l, "error", res->error);
    }
    log_end(&l);
}

static void log_error(struct item *it)
{
    struct log_line l;
    log_begin(&l, LOG_ERROR, "file_error");
    log_str(&l, "file", it->name);
    log_str(&l, "error_class", sl_errclass_name(it->rc));
    log_str(&l, "error", it->err.msg);
    log_end(&l);
}

/* A producer that still held the file open and wrote after the load: what it wrote is not
 * in the database.  Nothing can undo the commit; say it loudly. */
static void warn_changed(struct item *it)
{
    struct stat now;
    struct log_line l;
    if (fstat(it->fd, &now) != 0) {
        now.st_size = it->st.st_size;
    }
    log_begin(&l, LOG_ERROR, "file_changed_after_load");
    log_str(&l, "file", it->name);
    log_int(&l, "size_loaded", (int64_t)it->st.st_size);
    log_int(&l, "size_now", (int64_t)now.st_size);
    log_str(&l, "error", "a writer still had the file open and changed it after it was "
                         "loaded; the change is not in the database (deliver files by "
                         "writing elsewhere, then renaming them in)");
    log_end(&l);
    fprintf(stderr, "sluice: %s changed after it was loaded (%lld -> %lld bytes): the "
                    "change is not loaded; see the log\n",
            it->name, (long long)it->st.st_size, (long long)now.st_size);
}

static struct item *gitem(struct engine *g, size_t k)
{
    return &g->ring[(g->gfirst + k) % g->q];
}

/* Ends the group: one COMMIT, then publish, archive (one fsync per folder), report each
 * file to the callback in order.  Returns nonzero when the callback asked to stop. */
static int finish_group(struct engine *g)
{
    struct pipeline *p = g->p;
    const struct config *cfg = p->cfg;
    struct sl_error cerr = {0};
    int crc = 0, stop = 0;
    if (fp_bug("archive_before_commit")) {
        for (size_t k = 0; k < g->gcount; k++) {
            struct item *it = gitem(g, k);
            char fin[PATH_MAX];
            struct sl_error e = {0};
            if (it->claimed && !it->transient && it->kind != K_ERROR) {
                (void)pipeline_archive(p, it->claim_dir, it->name,
                                       it->res.status == FILE_FAILED, it->want, fin,
                                       sizeof(fin), &g->dirs, &e);
            }
        }
        (void)dirset_fsync(&g->dirs, &cerr);
    }
    /* The group's Parquet temporaries durable before the COMMIT that lists them. */
    for (size_t k = 0; k < g->gcount && g->in_txn && !g->broken; k++) {
        struct item *it = gitem(g, k);
        if (!it->transient &&
            (crc = pq_sealed_sync(&it->sealed, cfg->parquet_dir, &g->dirs, &cerr)) != 0) {
            g->broken = 1;
        }
    }
    if (g->in_txn && !g->broken && (crc = dirset_fsync(&g->dirs, &cerr)) != 0) {
        g->broken = 1;
    }
    FAILPOINT("group.before_commit");
    if (g->in_txn && !g->broken && (crc = sqlite_sink_commit(p->sink, &cerr)) != 0) {
        g->broken = 1;
    }
    FAILPOINT("group.after_commit");
    if (g->in_txn && g->broken) {
        sqlite_sink_rollback(p->sink);
    }
    if (g->in_txn) {
        struct log_line l;
        log_begin(&l, g->broken ? LOG_WARN : LOG_DEBUG, "group_commit");
        log_int(&l, "files", (int64_t)g->gcount);
        log_str(&l, "outcome", g->broken ? "rolled_back" : "committed");
        log_end(&l);
    }
    g->in_txn = 0;
    /* 1. Parquet temporaries to their final names, their folders fsynced once each.  A file
     *    whose publication fails keeps its claim (committed: recovery publishes it at the next
     *    start); a failed folder fsync keeps every claim of the group. */
    struct sl_error perr = {0};
    for (size_t k = 0; k < g->gcount; k++) {
        struct item *it = gitem(g, k);
        if (!it->claimed || it->kind == K_SKIPPED || it->kind == K_ERROR) {
            continue;
        }
        if (g->broken && !it->transient) {
            it->transient = 1;
            it->rc = crc != 0 ? crc : SL_EIO;
            sl_error_set(&it->err, it->rc, "%s: %s", it->name,
                         crc != 0 ? cerr.msg : "the group's transaction was lost");
        }
        if (!it->transient) {
            it->res.committed = 1;
        }
        if (it->transient) {
            pq_sealed_free(&it->sealed, 1);
        } else if ((it->rc = pq_sealed_rename(&it->sealed, &g->dirs, &perr)) != 0) {
            sl_error_set(&it->err, it->rc, "committed, but %s; its claim stays in %s and the "
                         "next start finishes it", perr.msg, cfg->work);
        }
        FAILPOINT("group.pq_renamed");
    }
    int pub_rc = dirset_fsync(&g->dirs, &perr);
    FAILPOINT("group.pq_dirs_synced");
    /* 2. Inputs and reports out of their claim folders; then the folders' fsyncs; then the
     *    empty claim folders go. */
    for (size_t k = 0; k < g->gcount; k++) {
        struct item *it = gitem(g, k);
        if (!it->claimed || it->kind == K_SKIPPED || it->kind == K_ERROR || it->transient ||
            it->rc != 0) {
            continue;
        }
        if (pub_rc != 0) {
            it->rc = pub_rc;
            sl_error_set(&it->err, pub_rc, "committed, but %s; its claim stays in %s and the "
                         "next start finishes it", perr.msg, cfg->work);
            continue;
        }
        if (it->res.status != FILE_FAILED && !same_file_state(it->fd, &it->st)) {
            warn_changed(it);
        }
        char final[PATH_MAX];
        int failed = it->res.status == FILE_FAILED;
        it->rc = pipeline_archive(p, it->claim_dir, it->name, failed, it->want, final,
                                  sizeof(final), &g->dirs, &it->err);
        snprintf(it->res.archived_as, sizeof(it->res.archived_as), "%s/%s",
                 failed ? cfg->failed : cfg->processed, final);
        FAILPOINT("group.archived_one");
    }
    FAILPOINT("group.archived");
    struct sl_error aerr = {0};
    int arc = dirset_fsync(&g->dirs, &aerr);
    FAILPOINT("group.dirs_synced");
    /* 3. Report, in order. */
    for (size_t k = 0; k < g->gcount; k++) {
        struct item *it = gitem(g, k);
        if (it->fd >= 0) {
            close(it->fd);
            it->fd = -1;
        }
        pq_sealed_free(&it->sealed, 0); /* published, or left for recovery to publish */
        if (it->kind == K_SKIPPED) {
            it->res.status = FILE_SKIPPED;
            stop |= g->cb(g->cb_ctx, it->name, 0, &it->res, &it->err);
            continue;
        }
        if (it->kind == K_ERROR || it->transient) {
            unclaim(p, it);
            log_error(it);
            stop |= g->cb(g->cb_ctx, it->name, it->rc ? it->rc : SL_EIO, &it->res, &it->err);
            continue;
        }
        if (it->rc == 0 && arc != 0) {
            it->rc = arc;
            it->err = aerr;
        }
        if (it->rc == 0 && claim_remove(it->claim_dir) != 0) {
            it->rc = sl_error_set(&it->err, SL_EIO, "cannot remove claim folder %s: %s",
                                  it->claim_dir, strerror(errno));
        }
        FAILPOINT("group.claim_removed");
        report_free(&it->rep);
        it->res.duration_ms = now_ms() - it->t0;
        it->res.metrics_json = it->metrics.len ? sb_cstr(&it->metrics) : NULL;
        it->res.nfirst_errors = it->rep.nfirst_msg;
        for (unsigned m = 0; m < it->rep.nfirst_msg; m++) {
            it->res.first_errors[m] = it->rep.first_msg[m];
        }
        if (it->rc == 0 || it->res.archived_as[0] != '\0') {
            log_result(it);
        }
        stop |= g->cb(g->cb_ctx, it->name, it->rc, &it->res, &it->err);
    }
    pthread_mutex_lock(&g->mu);
    for (size_t k = 0; k < g->gcount; k++) {
        gitem(g, k)->state = IT_FREE;
    }
    g->gfirst = (g->gfirst + g->gcount) % g->q;
    g->gcount = 0;
    g->broken = 0;
    pthread_cond_broadcast(&g->cv);
    pthread_mutex_unlock(&g->mu);
    return stop;
}

/* ---- the workers ------------------------------------------------------------------------- */

struct worker {
    struct engine *g;
    struct prep_ctx *ctx;
    pthread_t tid;
};

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct engine *g = w->g;
    pthread_mutex_lock(&g->mu);
    for (;;) {
        while (!g->abort && g->next < g->n &&
               (g->ring[g->next % g->q].state != IT_FREE || g->nfree == 0)) {
            pthread_cond_wait(&g->cv, &g->mu);
        }
        if (g->abort || g->next >= g->n) {
            break;
        }
        size_t i = g->next++;
        struct item *it = &g->ring[i % g->q];
        struct slot *slot = g->free_slots[--g->nfree];
        it->state = IT_BUSY;
        pthread_mutex_unlock(&g->mu);
        item_reset(g, it, g->names[i]);
        prepare(g->p, w->ctx, it, slot);
        pthread_mutex_lock(&g->mu);
        if (it->slot == NULL) {
            g->free_slots[g->nfree++] = slot;
        }
        it->state = IT_READY;
        pthread_cond_broadcast(&g->cv);
    }
    pthread_cond_broadcast(&g->cv);
    pthread_mutex_unlock(&g->mu);
    return NULL;
}

static void give_back_slot(struct engine *g, struct item *it)
{
    if (it->slot == NULL) {
        return;
    }
    pthread_mutex_lock(&g->mu);
    g->free_slots[g->nfree++] = it->slot;
    it->slot = NULL;
    pthread_cond_broadcast(&g->cv);
    pthread_mutex_unlock(&g->mu);
}

static int run_engine(struct engine *gp);

int pipeline_process_many(struct pipeline *p, const char *const *names, size_t n,
                          pipeline_cb cb, void *cb_ctx)
{
    struct engine g = {.p = p, .names = names, .n = n, .cb = cb, .cb_ctx = cb_ctx};
    return run_engine(&g);
}

int pipeline_give_up(struct pipeline *p, const char *name, const struct sl_error *why,
                     const char *extra_json, pipeline_cb cb, void *cb_ctx)
{
    const char *names[1] = {name};
    struct engine g = {.p = p, .names = names, .n = 1, .cb = cb, .cb_ctx = cb_ctx,
                       .force = why, .force_extra = extra_json};
    return run_engine(&g);
}

static int run_engine(struct engine *gp)
{
    struct engine g = *gp;
    struct pipeline *p = g.p;
    const char *const *names = g.names;
    size_t n = g.n;
    struct worker *ws = NULL;
    size_t nthreads = 0, started = 0;
    int rc = 0, stop = 0;
    if (n == 0) {
        return 0;
    }
    if (n > 1 && p->nprep > 1) {
        nthreads = p->nprep - 1; /* context 0 is the inline one */
        if (nthreads > n) {
            nthreads = n;
        }
    }
    size_t nslots = nthreads > 0 ? p->npool : 1;
    g.q = GROUP_MAX + nslots + 1;
    if (g.q > n + 1) {
        g.q = n + 1;
    }
    g.ring = calloc(g.q, sizeof(*g.ring));
    g.free_slots = calloc(nslots, sizeof(*g.free_slots));
    ws = calloc(nthreads > 0 ? nthreads : 1, sizeof(*ws));
    if (g.ring == NULL || g.free_slots == NULL || ws == NULL) {
        rc = SL_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < g.q; i++) {
        g.ring[i].fd = -1;
    }
    for (size_t i = 0; i < nslots; i++) {
        g.free_slots[g.nfree++] = &p->pool[i];
    }
    pthread_mutex_init(&g.mu, NULL);
    pthread_cond_init(&g.cv, NULL);
    for (size_t i = 0; i < nthreads; i++) {
        ws[i] = (struct worker){&g, &p->prep[i + 1], 0};
        if (pthread_create(&ws[i].tid, NULL, worker_main, &ws[i]) != 0) {
            break;
        }
        started++;
    }
    for (size_t i = 0; i < n; i++) {
        struct item *it = &g.ring[i % g.q];
        if (started == 0) {
            /* no worker threads: prepare here */
            if (stop) {
                break;
            }
            if (it->state != IT_FREE) {
                stop |= finish_group(&g); /* the ring is full: only when q is small */
            }
            g.next = i + 1;
            item_reset(&g, it, names[i]);
            struct slot *slot = g.free_slots[--g.nfree];
            prepare(p, &p->prep[0], it, slot);
            if (it->slot == NULL) {
                g.free_slots[g.nfree++] = slot;
            }
            it->state = IT_READY;
        } else {
            pthread_mutex_lock(&g.mu);
            while (it->state != IT_READY && !(g.abort && i >= g.next)) {
                pthread_cond_wait(&g.cv, &g.mu);
            }
            int ready = it->state == IT_READY;
            pthread_mutex_unlock(&g.mu);
            if (!ready) {
                break;
            }
        }
        g.gcount++;
        /* the first of its group and the last name: its group will be itself alone */
        it->lone = g.gcount == 1 && i + 1 == n;
        if (it->kind != K_SKIPPED && it->kind != K_ERROR && !g.broken) {
            if (commit_item(&g, it) != 0) {
                g.broken = 1;
            }
        }
        give_back_slot(&g, it);
        int next_ready = 0;
        if (started > 0 && i + 1 < n) {
            pthread_mutex_lock(&g.mu);
            next_ready = g.ring[(i + 1) % g.q].state == IT_READY;
            pthread_mutex_unlock(&g.mu);
        } else if (started == 0) {
            next_ready = i + 1 < n && !stop;
        }
        if (g.gcount >= GROUP_MAX || it->kind == K_BIG || !next_ready || g.broken ||
            g.gcount + 1 >= g.q) {
            if (finish_group(&g)) {
                stop = 1;
                pthread_mutex_lock(&g.mu);
                g.abort = 1;
                pthread_cond_broadcast(&g.cv);
                pthread_mutex_unlock(&g.mu);
            }
        }
    }
    if (g.gcount > 0) {
        finish_group(&g);
    }
    pthread_mutex_lock(&g.mu);
    g.abort = 1;
    pthread_cond_broadcast(&g.cv);
    pthread_mutex_unlock(&g.mu);
    for (size_t i = 0; i < started; i++) {
        pthread_join(ws[i].tid, NULL);
    }
    pthread_mutex_destroy(&g.mu);
    pthread_cond_destroy(&g.cv);
out:
    for (size_t i = 0; g.ring != NULL && i < g.q; i++) {
        item_free(&g.ring[i]);
    }
    dirset_free(&g.dirs);
    free(g.ring);
    free(g.free_slots);
    free(ws);
    return rc;
}
