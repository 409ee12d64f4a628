/* load_par.c - a big file parsed on several threads, written in file order.
 *
 * The calling thread reads the file into a window, cuts it at record boundaries
 * (csv_split: the reader's own rules) into pieces of at most batch_rows lines, and queues
 * them.  Parser threads (one per worker) each take a piece and read, type, validate and
 * derive its rows into the piece's slot with their own plan and validator, leaving out the
 * one check that depends on the rows before: within-file uniqueness.  The calling thread
 * takes the parsed pieces back in file order, checks uniqueness on the pipeline's validator
 * (so "first seen on line N" and which row wins are as in a serial read), and hands each to
 * the writer thread; the slot it gets back is finished (metrics, Parquet) and reused.
 *
 * Line numbers stay exact: each piece's reader starts numbering at the line where the cut
 * left off.  What cannot be cut (no record end in a whole window, a lone-CR file, an open
 * quote at the end) is left to load.c's serial reader, from the first byte not yet queued:
 * the pieces before it are written first, so the file's rows and rejects stay in order.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/failpoint.h"
#include "pipeline/internal.h"

#define WINDOW_BYTES ((size_t)4 << 20) /* bytes read ahead for cutting; refilled at half */
#define PIECE_LINES 4096 /* lines of a piece at most: a piece in flight costs ~1.5 MB */

enum { PC_FREE, PC_QUEUED, PC_BUSY, PC_DONE };

struct piece {
    struct slot s;
    struct strbuf in; /* the piece's bytes: whole records */
    uint64_t first_line;
    uint64_t seq;
    int state;
    int rc;
    struct sl_error err;
    uint64_t rows, blank;
};

struct par_state {
    size_t nctx;
    struct prep_ctx *ctx; /* one per parser thread */
    size_t npc;
    struct piece *pc;
};

struct parser;

struct par {
    struct load *l;
    struct par_state *ps;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    uint64_t next_take; /* seq of the next piece a parser takes */
    int quit;
};

struct parser {
    struct par *g;
    struct prep_ctx *ctx;
    pthread_t tid;
};

void load_par_free(struct pipeline *p)
{
    struct par_state *ps = p->par;
    if (ps == NULL) {
        return;
    }
    for (size_t i = 0; i < ps->nctx; i++) {
        validator_destroy(ps->ctx[i].val);
        plan_destroy(ps->ctx[i].plan);
        sb_free(&ps->ctx[i].rej.msg);
    }
    for (size_t i = 0; i < ps->npc; i++) {
        batch_destroy(ps->pc[i].s.b);
        free(ps->pc[i].s.rej);
        sb_free(&ps->pc[i].s.arena);
        sb_free(&ps->pc[i].in);
    }
    free(ps->ctx);
    free(ps->pc);
    free(ps);
    p->par = NULL;
}

/* Contexts for n parsers and n + 3 pieces (n parsing, one written, one being finished,
 * one parsed and waiting), made once per pipeline. */
static int par_setup(struct pipeline *p, size_t n, struct sl_error *err)
{
    if (p->par != NULL) {
        return 0;
    }
    struct par_state *ps = calloc(1, sizeof(*ps));
    if (ps == NULL) {
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    }
    p->par = ps;
    ps->ctx = calloc(n, sizeof(*ps->ctx));
    ps->pc = calloc(n + 3, sizeof(*ps->pc));
    if (ps->ctx == NULL || ps->pc == NULL) {
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    }
    for (; ps->nctx < n; ps->nctx++) {
        struct prep_ctx *c = &ps->ctx[ps->nctx];
        c->csv = p->csv;
        int rc = plan_create(p->cfg, &c->plan, err);
        if (rc != 0) {
            return rc;
        }
        if ((c->val = validator_create(c->plan)) == NULL) {
            return sl_error_set(err, SL_ENOMEM, "out of memory");
        }
        validator_defer_unique(c->val, 1);
    }
    for (; ps->npc < n + 3; ps->npc++) {
        struct piece *pc = &ps->pc[ps->npc];
        if ((pc->s.b = batch_create(p->types, p->plan->ncols, p->cfg->batch_rows)) == NULL) {
            return sl_error_set(err, SL_ENOMEM, "out of memory");
        }
    }
    return 0;
}

/* ---- the parsers ----------------------------------------------------------------------- */

static void parse_piece(struct prep_ctx *ctx, struct piece *pc)
{
    struct csv_opts o = ctx->csv;
    o.first_line = pc->first_line;
    o.no_bom = 1;
    struct csv_record rec;
    struct slot *s = &pc->s;
    int got;
    /* parsed in place: the piece ends with a NUL (added when it was cut) */
    struct csv_reader *rd = csv_reader_create_span(&o, pc->in.p, pc->in.len);
    pc->rows = pc->blank = 0;
    pc->rc = 0;
    if (rd == NULL) {
        pc->rc = sl_error_set(&pc->err, SL_ENOMEM, "out of memory");
        return;
    }
    while ((got = csv_reader_next(rd, &rec, &pc->err)) > 0) {
        if (batch_full(s->b)) { /* cannot happen: a piece has at most batch_rows lines */
            got = sl_error_set(&pc->err, SL_EBUG, "a piece holds more records than a batch");
            break;
        }
        pc->rows++;
        if ((got = slot_take(s, ctx->val, &ctx->rej, &rec, &pc->err)) != 0) {
            break;
        }
    }
    pc->rc = got < 0 ? got : 0;
    pc->blank = csv_reader_blank_lines(rd);
    csv_reader_destroy(rd);
}

static struct piece *piece_by_seq(struct par_state *ps, uint64_t seq, int state)
{
    for (size_t i = 0; i < ps->npc; i++) {
        if (ps->pc[i].state == state && ps->pc[i].seq == seq) {
            return &ps->pc[i];
        }
    }
    return NULL;
}

static void *parser_main(void *arg)
{
    struct parser *w = arg;
    struct par *g = w->g;
    pthread_mutex_lock(&g->mu);
    for (;;) {
        struct piece *pc = NULL;
        while (!g->quit && (pc = piece_by_seq(g->ps, g->next_take, PC_QUEUED)) == NULL) {
            pthread_cond_wait(&g->cv, &g->mu);
        }
        if (pc == NULL) {
            break;
        }
        g->next_take++;
        pc->state = PC_BUSY;
        pthread_mutex_unlock(&g->mu);
        parse_piece(w->ctx, pc);
        pthread_mutex_lock(&g->mu);
        pc->state = PC_DONE;
        pthread_cond_broadcast(&g->cv);
    }
    pthread_mutex_unlock(&g->mu);
    return NULL;
}

/* ---- the calling thread: reading and cutting ------------------------------------------- */

struct cutter {
    int fd;
    struct par_tail *t; /* buf, pos, len, line, eof */
    size_t cap;
    size_t window; /* bytes to look at for a cut; doubles while no cut is found */
};

/* Reads until the window ahead of pos is full or the file ends. */
static int fill(struct cutter *c, struct sl_error *err)
{
    struct par_tail *t = c->t;
    if (t->eof || t->len - t->pos >= c->window / 2) {
        return 0;
    }
    if (t->pos > 0) {
        memmove(t->buf, t->buf + t->pos, t->len - t->pos);
        t->len -= t->pos;
        t->pos = 0;
    }
    if (c->cap < c->window) {
        char *nb = realloc(t->buf, c->window);
        if (nb == NULL) {
            return sl_error_set(err, SL_ENOMEM, "out of memory for a %zu-byte read window",
                                c->window);
        }
        t->buf = nb;
        c->cap = c->window;
    }
    while (t->len < c->window) {
        ssize_t r = read(c->fd, t->buf + t->len, c->window - t->len);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r < 0) {
            return sl_error_set(err, SL_EIO, "read error: %s", strerror(errno));
        }
        if (r == 0) {
            t->eof = 1;
            break;
        }
        t->len += (size_t)r;
    }
    return 0;
}

/* The next cut of at most max records: its length (0: none possible, read serially from
 * here), its lines in *lines. */
static int next_cut(struct cutter *c, const struct csv_opts *o, size_t max, size_t *k,
                    uint64_t *lines, struct sl_error *err)
{
    struct par_tail *t = c->t;
    size_t limit = o->max_record_bytes + 2 > WINDOW_BYTES ? o->max_record_bytes + 2
                                                          : WINDOW_BYTES;
    for (;;) {
        int rc = fill(c, err);
        if (rc != 0) {
            return rc;
        }
        *k = csv_split(o, t->buf + t->pos, t->len - t->pos, max, max, t->eof, lines);
        if (*k > 0 || t->eof || c->window >= limit) {
            c->window = WINDOW_BYTES;
            return 0;
        }
        c->window *= 2; /* a record longer than the window: look further */
    }
}

/* ---- the calling thread: taking pieces back in order ----------------------------------- */

static int cmp_rej_line(const void *a, const void *b)
{
    const struct qrej *x = a, *y = b;
    return x->line < y->line ? -1 : x->line > y->line;
}

/* Within-file uniqueness of a parsed piece's rows, in file order: duplicates become
 * rejects (merged with the piece's other rejects by line) and leave the batch. */
static int unique_pass(struct pipeline *p, struct slot *s, struct sl_error *err)
{
    struct batch *b = s->b;
    uint8_t *keep = NULL;
    size_t dropped = 0;
    for (size_t r = 0; r < b->nrows; r++) {
        int u = validator_unique_row(p->val, b, r, &p->rej);
        if (u < 0) {
            free(keep);
            return sl_error_set(err, SL_ENOMEM, "out of memory");
        }
        if (u == 1) {
            continue;
        }
        if (keep == NULL) {
            if ((keep = malloc(b->nrows)) == NULL) {
                return sl_error_set(err, SL_ENOMEM, "out of memory");
            }
            memset(keep, 1, b->nrows);
        }
        keep[r] = 0;
        dropped++;
        struct csv_record rec = {.line = b->line[r], .raw = b->raw + b->raw_off[r],
                                 .raw_len = b->raw_off[r + 1] - b->raw_off[r]};
        if (queue_reject(s, &p->rej, &rec) != 0) {
            free(keep);
            return sl_error_set(err, SL_ENOMEM, "out of memory queueing rejects");
        }
    }
    if (dropped > 0) {
        batch_compact(b, keep);
        qsort(s->rej, s->nrej, sizeof(*s->rej), cmp_rej_line);
    }
    free(keep);
    return 0;
}

static void empty_slot(struct slot *s)
{
    batch_clear(s->b);
    s->nrej = 0;
    sb_reset(&s->arena);
}

/* Parses the header (the first record) serially and binds it everywhere.  Returns 1 when
 * done, 0 when it cannot be cut (left to the serial reader), < 0 an error. */
static int take_header(struct load *l, struct cutter *c, struct par_state *ps,
                       struct sl_error *err)
{
    struct pipeline *p = l->p;
    struct par_tail *t = c->t;
    uint64_t lines = 0;
    size_t k = 0;
    int rc = fill(c, err);
    if (rc != 0) {
        return rc;
    }
    size_t bom = t->len >= 3 && memcmp(t->buf, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    k = csv_split(&p->csv, t->buf + bom, t->len - bom, SIZE_MAX, 1, t->eof, &lines);
    if (k == 0) {
        return 0; /* a header longer than the window: read serially */
    }
    struct csv_mem_src m = {.p = t->buf, .n = bom + k};
    struct csv_record rec;
    struct csv_reader *rd = csv_reader_create(&p->csv, csv_mem_read, &m);
    if (rd == NULL) {
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    }
    int got = csv_reader_next(rd, &rec, err);
    if (got == 0) {
        rc = sl_error_set(err, SL_EFILE, "empty file: no header row");
    } else if (got < 0) {
        rc = got;
    } else {
        rc = validator_header(p->val, &rec, err);
        for (size_t i = 0; rc == 0 && i < ps->nctx; i++) {
            rc = validator_header(ps->ctx[i].val, &rec, err);
        }
        if (rc == 0) {
            report_header(l->rep, rec.raw, rec.raw_len);
            l->res->blank_lines += csv_reader_blank_lines(rd);
            t->pos = bom + k;
            t->line = 1 + lines;
            t->header_done = 1;
        }
    }
    csv_reader_destroy(rd);
    return rc < 0 ? rc : 1;
}

int load_par(struct load *l, struct par_tail *t, struct sl_error *err)
{
    struct pipeline *p = l->p;
    /* With SQLite on, its writer thread is the critical path (SQLite-only and SQLite +
     * Parquet loads measured 3-10% slower with parser threads taking CPU from it on 2
     * cores): the serial reader keeps the file.  Parquet-only: one parser per worker beside
     * the thread that cuts, orders and encodes. */
    size_t nparse = p->cfg->parse_threads >= 0 ? (size_t)p->cfg->parse_threads
                    : p->cfg->sqlite_enabled || p->nworkers < 2 ? 0 : p->nworkers - 1;
    memset(t, 0, sizeof(*t));
    t->line = 1;
    if (nparse < 1) {
        return 0;
    }
    int rc = par_setup(p, nparse, err);
    if (rc != 0) {
        return rc;
    }
    struct par_state *ps = p->par;
    struct cutter c = {.fd = l->fd, .t = t, .window = WINDOW_BYTES};
    plan_metrics_reset(p->plan);
    if ((rc = take_header(l, &c, ps, err)) <= 0) {
        return rc;
    }
    struct par g = {.l = l, .ps = ps};
    struct writer w = {.l = l};
    struct parser *th = calloc(nparse, sizeof(*th));
    if (th == NULL) {
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    }
    pthread_mutex_init(&g.mu, NULL);
    pthread_cond_init(&g.cv, NULL);
    pthread_mutex_init(&w.mu, NULL);
    pthread_cond_init(&w.cv, NULL);
    for (size_t i = 0; i < ps->npc; i++) {
        ps->pc[i].state = PC_FREE;
        empty_slot(&ps->pc[i].s);
    }
    size_t started = 0;
    for (; started < nparse; started++) {
        th[started] = (struct parser){.g = &g, .ctx = &ps->ctx[started]};
        if (pthread_create(&th[started].tid, NULL, parser_main, &th[started]) != 0) {
            break;
        }
    }
    if (started == 0) {
        rc = sl_error_set(err, SL_EIO, "cannot start parser threads");
        goto out;
    }
    uint64_t queued = 0, taken = 0;
    int cut_done = 0;       /* nothing more to queue: the end, or the rest is serial */
    struct piece *written = NULL; /* submitted to the writer, to finish after the next */
    size_t max = p->cfg->batch_rows > PIECE_LINES ? PIECE_LINES : p->cfg->batch_rows;
    for (;;) {
        /* queue as many pieces as there are free ones */
        while (!cut_done) {
            pthread_mutex_lock(&g.mu);
            struct piece *pc = NULL;
            for (size_t i = 0; i < ps->npc && pc == NULL; i++) {
                pc = ps->pc[i].state == PC_FREE ? &ps->pc[i] : NULL;
            }
            pthread_mutex_unlock(&g.mu);
            if (pc == NULL) {
                break;
            }
            size_t k = 0;
            uint64_t lines = 0;
            if ((rc = next_cut(&c, &p->csv, max, &k, &lines, err)) != 0) {
                goto out;
            }
            if (k == 0) {
                cut_done = 1; /* the end of the file, or the rest read serially */
                break;
            }
            sb_reset(&pc->in);
            sb_add(&pc->in, t->buf + t->pos, k);
            sb_addc(&pc->in, '\0'); /* the reader's sentinel, not part of the piece */
            pc->in.len--;
            if (pc->in.failed) {
                rc = sl_error_set(err, SL_ENOMEM, "out of memory");
                goto out;
            }
            pc->first_line = t->line;
            t->pos += k;
            t->line += lines;
            pthread_mutex_lock(&g.mu);
            pc->seq = queued++;
            pc->state = PC_QUEUED;
            pthread_cond_broadcast(&g.cv);
            pthread_mutex_unlock(&g.mu);
        }
        if (taken == queued) {
            break; /* every piece queued is written */
        }
        /* the next piece in file order */
        pthread_mutex_lock(&g.mu);
        struct piece *pc;
        while ((pc = piece_by_seq(ps, taken, PC_DONE)) == NULL) {
            pthread_cond_wait(&g.cv, &g.mu);
        }
        pthread_mutex_unlock(&g.mu);
        taken++;
        l->res->rows_total += pc->rows;
        l->res->blank_lines += pc->blank;
        if ((rc = pc->rc) != 0) {
            sl_error_set(err, pc->rc, "%s", pc->err.msg);
            goto out;
        }
        if ((rc = unique_pass(p, &pc->s, err)) != 0) {
            goto out;
        }
        if (p->stop_fn != NULL && p->stop_fn(p->stop_ctx)) {
            rc = sl_error_set(err, SL_ECANCELED,
                              "stopped before the file was complete: nothing of it is "
                              "loaded; it goes back to incoming and is loaded whole later");
            goto out;
        }
        if ((rc = writer_submit(&w, &pc->s, err)) != 0) {
            goto out;
        }
        FAILPOINT("load.slot");
        if (written != NULL) {
            rc = finish_slot(l, &written->s, err);
            pthread_mutex_lock(&g.mu);
            written->state = PC_FREE;
            pthread_mutex_unlock(&g.mu);
            if (rc != 0) {
                goto out;
            }
        }
        written = pc;
    }
    if ((rc = writer_finish(&w, err)) == 0 && written != NULL) {
        rc = finish_slot(l, &written->s, err);
    }
out:
    if (writer_finish(&w, err) != 0 && rc == 0) {
        rc = w.rc;
    }
    pthread_mutex_lock(&g.mu);
    g.quit = 1;
    pthread_cond_broadcast(&g.cv);
    pthread_mutex_unlock(&g.mu);
    for (size_t i = 0; i < started; i++) {
        pthread_join(th[i].tid, NULL);
    }
    free(th);
    pthread_mutex_destroy(&g.mu);
    pthread_cond_destroy(&g.cv);
    pthread_mutex_destroy(&w.mu);
    pthread_cond_destroy(&w.cv);
    if (rc != 0) {
        return rc;
    }
    return t->eof && t->pos == t->len ? 1 : 0;
}
