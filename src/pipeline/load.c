/* load.c - one file's rows: CSV records → validator → batch → SQLite, rejects → report.
 *
 * Two threads share the work when a file is bigger than one batch: this one reads and
 * validates into one slot while a writer thread inserts the previous slot into SQLite and
 * writes its rejects (2 cores: parsing leaves the critical path).  Only the writer touches
 * SQLite, the report and the metric aggregates during a load; handing a slot over waits
 * until the writer is idle, so at most one slot is being written while one is filled.
 * Memory is bounded by the two slots (rows and bytes) whatever the file's size.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/failpoint.h"
#include "pipeline/internal.h"

#define SLOT_MAX_BYTES (32u << 20) /* hand a slot over early when its data grows this big */

static ssize_t fd_read(void *ctx, char *buf, size_t cap)
{
    int fd = *(const int *)ctx;
    for (;;) {
        ssize_t r = read(fd, buf, cap);
        if (r >= 0 || errno != EINTR) {
            return r;
        }
    }
}

/* load_par's unread bytes first, then the file. */
struct tail_src {
    struct par_tail *t;
    int fd;
};

static ssize_t tail_read(void *ctx, char *buf, size_t cap)
{
    struct tail_src *s = ctx;
    struct par_tail *t = s->t;
    if (t->pos < t->len) {
        size_t n = t->len - t->pos < cap ? t->len - t->pos : cap;
        memcpy(buf, t->buf + t->pos, n);
        t->pos += n;
        return (ssize_t)n;
    }
    return t->eof ? 0 : fd_read(&s->fd, buf, cap);
}

/* ---- the writer side: everything that touches SQLite, the report and metrics ---------- */

static int emit_reject(struct load *l, uint64_t line, const char *column, const char *rule,
                       const char *msg, const char *raw, size_t raw_len, struct sl_error *err)
{
    struct pipeline *p = l->p;
    l->res->rows_rejected++;
    report_reject(l->rep, line, column, rule, msg, raw, raw_len);
    if (l->print_max > 0 && l->res->rows_rejected <= l->print_max) {
        printf("  line %llu  %-14s %-12s %s\n", (unsigned long long)line,
               column ? column : "-", rule, msg);
    }
    if (p->sink != NULL) {
        return sqlite_sink_reject(p->sink, l->file_id, l->name, line, column, rule, msg, raw,
                                  raw_len, err);
    }
    return 0;
}

int write_slot(struct load *l, struct slot *s, struct sl_error *err)
{
    struct pipeline *p = l->p;
    struct batch *b = s->b;
    const struct contract *ct = p->cfg->contract;
    int rc = 0;
    for (size_t i = 0; i < s->nrej && rc == 0; i++) {
        const struct qrej *q = &s->rej[i];
        rc = emit_reject(l, q->line, q->column, q->rule, s->arena.p + q->msg_off,
                         s->arena.p + q->raw_off, q->raw_len, err);
    }
    if (rc == 0 && b->nrows > 0) {
        if (p->sink != NULL) {
            rc = sqlite_sink_write(p->sink, b, l->file_id, &l->res->rows_updated, err);
        } else {
            memset(b->outcome, BATCH_LOADED, b->nrows);
        }
    }
    /* Parquet-only: every row is loaded at once and the writer thread would idle, so the
     * Parquet encoding and the metrics run here instead of on the reading thread. */
    if (rc == 0 && p->sink_parquet_here && b->nrows > 0) {
        memset(b->outcome, BATCH_LOADED, b->nrows);
        rc = pqsink_write(p->pq, b, err);
        if (rc == 0) {
            rc = plan_metrics_step(p->plan, b, err);
        }
    }
    for (size_t r = 0; r < b->nrows && rc == 0; r++) {
        switch (b->outcome[r]) {
        case BATCH_LOADED:
            l->res->rows_loaded++;
            break;
        case BATCH_DUP_SKIP:
            l->res->rows_duplicate_key++;
            break;
        case BATCH_DUP_REJECT:
            l->res->rows_duplicate_key++;
            sb_reset(&p->msg);
            sqlite_sink_dup_message(p->sink, b, r, &p->msg);
            rc = emit_reject(l, b->line[r], ct->npk ? ct->fields[ct->pk[0]].name : NULL,
                             "duplicate_key", sb_cstr(&p->msg), b->raw + b->raw_off[r],
                             b->raw_off[r + 1] - b->raw_off[r], err);
            break;
        default:
            break;
        }
    }
    return rc;
}

/* After a slot was written: its loaded rows feed the metrics (on the reading thread, which
 * has time to spare), then it is emptied for reuse. */
int finish_slot(struct load *l, struct slot *s, struct sl_error *err)
{
    int rc = l->p->sink_parquet_here ? 0 : plan_metrics_step(l->p->plan, s->b, err);
    if (rc == 0 && l->p->pq != NULL && !l->p->sink_parquet_here && s->b->nrows > 0) {
        rc = pqsink_write(l->p->pq, s->b, err);
    }
    batch_clear(s->b);
    s->nrej = 0;
    sb_reset(&s->arena);
    return rc;
}

static void *writer_main(void *arg)
{
    struct writer *w = arg;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (w->pending == NULL && !w->stop) {
            pthread_cond_wait(&w->cv, &w->mu);
        }
        if (w->pending == NULL) {
            break;
        }
        struct slot *s = w->pending;
        w->pending = NULL;
        w->busy = 1;
        int skip = w->rc != 0;
        pthread_mutex_unlock(&w->mu);
        struct sl_error e = {0};
        int rc = skip ? 0 : write_slot(w->l, s, &e);
        pthread_mutex_lock(&w->mu);
        if (rc != 0 && w->rc == 0) {
            w->rc = rc;
            w->err = e;
        }
        w->busy = 0;
        pthread_cond_broadcast(&w->cv);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

/* Waits until the writer is idle; returns its first error. */
static int writer_drain(struct writer *w)
{
    pthread_mutex_lock(&w->mu);
    while (w->pending != NULL || w->busy) {
        pthread_cond_wait(&w->cv, &w->mu);
    }
    int rc = w->rc;
    pthread_mutex_unlock(&w->mu);
    return rc;
}

/* Hands s to the writer (starting it on first use); returns an earlier writer error. */
int writer_submit(struct writer *w, struct slot *s, struct sl_error *err)
{
    if (!w->started) {
        if (pthread_create(&w->tid, NULL, writer_main, w) != 0) {
            /* No thread: write it here. */
            return write_slot(w->l, s, err);
        }
        w->started = 1;
    }
    int rc = writer_drain(w);
    if (rc != 0) {
        return rc;
    }
    pthread_mutex_lock(&w->mu);
    w->pending = s;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    return 0;
}

/* Stops the writer; returns its first error (copied into err). */
int writer_finish(struct writer *w, struct sl_error *err)
{
    if (!w->started) {
        return 0;
    }
    int rc = writer_drain(w);
    pthread_mutex_lock(&w->mu);
    w->stop = 1;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->tid, NULL);
    w->started = 0;
    if (rc != 0) {
        sl_error_set(err, w->err.code, "%s", w->err.msg);
    }
    return rc;
}

/* ---- the reading side ------------------------------------------------------------------ */

int queue_reject(struct slot *s, const struct reject *rej, const struct csv_record *rec)
{
    if (s->nrej == s->caprej) {
        size_t ncap = s->caprej ? s->caprej * 2 : 256;
        struct qrej *nv = realloc(s->rej, ncap * sizeof(*nv));
        if (nv == NULL) {
            return -1;
        }
        s->rej = nv;
        s->caprej = ncap;
    }
    struct qrej *q = &s->rej[s->nrej++];
    q->line = rec->line;
    q->column = rej->column;
    q->rule = rej->rule;
    q->msg_off = s->arena.len;
    q->msg_len = rej->msg.len;
    sb_add(&s->arena, rej->msg.p, rej->msg.len);
    sb_addc(&s->arena, '\0');
    q->raw_off = s->arena.len;
    q->raw_len = rec->raw_len;
    sb_add(&s->arena, rec->raw, rec->raw_len);
    return s->arena.failed ? -1 : 0;
}

int slot_take(struct slot *s, struct validator *v, struct reject *rej,
              const struct csv_record *rec, struct sl_error *err)
{
    int r = validator_row(v, rec, s->b, rej, err);
    if (r < 0) {
        return r;
    }
    if (r == 0 && queue_reject(s, rej, rec) != 0) {
        return sl_error_set(err, SL_ENOMEM, "out of memory queueing rejects");
    }
    return 0;
}

static int slot_ready(const struct slot *s)
{
    return batch_full(s->b) || batch_bytes(s->b) + s->arena.len >= SLOT_MAX_BYTES ||
           s->nrej >= s->b->cap;
}

/* ---- group commit: a small file parsed ahead on a worker, written later ---------------- */

int load_prepare(struct prep_ctx *ctx, int fd, struct slot *s, struct strbuf *header,
                 struct file_result *res, struct sl_error *err)
{
    struct csv_record rec;
    int rc = 1;
    struct csv_reader *rd = csv_reader_create(&ctx->csv, fd_read, &fd);
    if (rd == NULL) {
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    }
    batch_clear(s->b);
    s->nrej = 0;
    sb_reset(&s->arena);
    sb_reset(header);
    int got = csv_reader_next(rd, &rec, err);
    if (got <= 0) {
        rc = got < 0 ? got : sl_error_set(err, SL_EFILE, "empty file: no header row");
        goto out;
    }
    if ((rc = validator_header(ctx->val, &rec, err)) != 0) {
        goto out;
    }
    sb_add(header, rec.raw, rec.raw_len);
    rc = 1;
    while ((got = csv_reader_next(rd, &rec, err)) > 0) {
        res->rows_total++;
        int t = slot_take(s, ctx->val, &ctx->rej, &rec, err);
        if (t != 0) {
            rc = t;
            goto out;
        }
        if (slot_ready(s)) {
            rc = 0; /* more than a slot: streamed by the committing thread instead */
            goto out;
        }
    }
    if (got < 0) {
        rc = got;
    } else if (header->failed) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
    }
out:
    res->blank_lines = csv_reader_blank_lines(rd);
    csv_reader_destroy(rd);
    return rc;
}

int load_prepared(struct load *l, struct slot *s, const struct strbuf *header,
                  struct sl_error *err)
{
    plan_metrics_reset(l->p->plan);
    report_header(l->rep, header->p, header->len);
    int rc = write_slot(l, s, err);
    if (rc == 0) {
        rc = finish_slot(l, s, err);
    }
    return rc;
}

/* A prepared slot whose rows are all certain to load, in two halves at once: the SQLite
 * half (first_step, e.g. the file's ledger row, then the rows and the metrics) on a thread
 * of its own, and the Parquet half (encode, seal; with sync_now, fsync) here.  The Parquet
 * half is the longer one, and a new thread starts late on this machine (0.4 ms measured
 * between pthread_create and its first instruction), so the longer half stays on the
 * thread that is already running.  Both read the batch's columns, never write them; the
 * Parquet half sees them through a view with its own outcome array. */
struct sql_half {
    struct load *l;
    struct slot *s;
    const struct strbuf *header;
    int (*first_step)(void *ctx, int64_t *file_id);
    void *ctx;
    int first_rc; /* first_step's result: nothing else was done when it failed */
    int rc;
    struct sl_error err;
};

static void *sql_half_main(void *arg)
{
    struct sql_half *h = arg;
    struct pipeline *p = h->l->p;
    if ((h->first_rc = h->first_step(h->ctx, &h->l->file_id)) != 0) {
        return NULL;
    }
    plan_metrics_reset(p->plan);
    report_header(h->l->rep, h->header->p, h->header->len);
    h->rc = write_slot(h->l, h->s, &h->err);
    if (h->rc == 0) {
        h->rc = plan_metrics_step(p->plan, h->s->b, &h->err);
    }
    return NULL;
}

int load_overlap(struct load *l, struct slot *s, const struct strbuf *header,
                 int (*first_step)(void *ctx, int64_t *file_id), void *ctx, int sync_now,
                 struct strbuf *pqfiles, uint64_t *pq_rows, struct sl_error *err)
{
    struct pipeline *p = l->p;
    struct batch view = *s->b;
    uint8_t *loaded = malloc(s->b->nrows > 0 ? s->b->nrows : 1);
    if (loaded == NULL) {
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    }
    memset(loaded, BATCH_LOADED, s->b->nrows);
    view.outcome = loaded;
    struct sql_half h = {.l = l, .s = s, .header = header, .first_step = first_step,
                         .ctx = ctx};
    pthread_t tid;
    int threaded = pthread_create(&tid, NULL, sql_half_main, &h) == 0;
    if (!threaded) {
        sql_half_main(&h);
    }
    struct sl_error perr = {0};
    int prc = h.first_rc != 0 ? 0
                              : pqsink_write_seal(p->pq, &view, sync_now, pqfiles, pq_rows, &perr);
    if (threaded) {
        pthread_join(tid, NULL);
    }
    free(loaded);
    batch_clear(s->b);
    s->nrej = 0;
    sb_reset(&s->arena);
    if (h.first_rc != 0) {
        return LOAD_FIRST_STEP_FAILED;
    }
    if (h.rc != 0) {
        return sl_error_set(err, h.rc, "%s", h.err.msg);
    }
    if (prc != 0) {
        return sl_error_set(err, prc, "%s", perr.msg);
    }
    return 0;
}

int load_stream(struct load *l, struct sl_error *err)
{
    struct pipeline *p = l->p;
    struct csv_record rec;
    struct writer w = {.l = l};
    int rc = 0;
    int cur = 0;
    struct par_tail t;
    int prc = load_par(l, &t, err);
    if (prc != 0) {
        free(t.buf);
        return prc < 0 ? prc : 0;
    }
    /* the serial reader: the whole file, or what load_par could not cut */
    struct tail_src src = {.t = &t, .fd = l->fd};
    struct csv_opts o = p->csv;
    if (t.header_done) {
        o.first_line = t.line;
        o.no_bom = 1;
    }
    struct csv_reader *rd = csv_reader_create(&o, tail_read, &src);
    if (rd == NULL) {
        free(t.buf);
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    }
    pthread_mutex_init(&w.mu, NULL);
    pthread_cond_init(&w.cv, NULL);
    for (size_t i = 0; i < 2; i++) {
        batch_clear(p->slots[i].b);
        p->slots[i].nrej = 0;
        sb_reset(&p->slots[i].arena);
    }
    int got;
    if (!t.header_done) {
        plan_metrics_reset(p->plan);
        got = csv_reader_next(rd, &rec, err);
        if (got < 0) {
            rc = got;
            goto out;
        }
        if (got == 0) {
            rc = sl_error_set(err, SL_EFILE, "empty file: no header row");
            goto out;
        }
        if ((rc = validator_header(p->val, &rec, err)) != 0) {
            goto out;
        }
        report_header(l->rep, rec.raw, rec.raw_len);
    }
    while ((got = csv_reader_next(rd, &rec, err)) > 0) {
        struct slot *s = &p->slots[cur];
        l->res->rows_total++;
        if ((rc = slot_take(s, p->val, &p->rej, &rec, err)) != 0) {
            goto out;
        }
        if (slot_ready(s)) {
            if (p->stop_fn != NULL && p->stop_fn(p->stop_ctx)) {
                rc = sl_error_set(err, SL_ECANCELED,
                                  "stopped before the file was complete: nothing of it is "
                                  "loaded; it goes back to incoming and is loaded whole later");
                goto out;
            }
            if ((rc = writer_submit(&w, s, err)) != 0) {
                goto out;
            }
            FAILPOINT("load.slot");
            /* submit waited for the writer to finish the other slot: close it, reuse it */
            cur ^= 1;
            if (p->slots[cur].b->nrows > 0 || p->slots[cur].nrej > 0) {
                if ((rc = finish_slot(l, &p->slots[cur], err)) != 0) {
                    goto out;
                }
            }
        }
    }
    if (got < 0) {
        rc = got;
        goto out;
    }
    /* The last, partial slot is written here once the writer is idle. */
    if ((rc = writer_finish(&w, err)) == 0 && (rc = finish_slot(l, &p->slots[cur ^ 1], err)) == 0 &&
        (rc = write_slot(l, &p->slots[cur], err)) == 0) {
        rc = finish_slot(l, &p->slots[cur], err);
    }
out:
    if (writer_finish(&w, err) != 0 && rc == 0) {
        rc = w.rc;
    }
    pthread_mutex_destroy(&w.mu);
    pthread_cond_destroy(&w.cv);
    l->res->blank_lines += csv_reader_blank_lines(rd);
    csv_reader_destroy(rd);
    free(t.buf);
    return rc;
}
