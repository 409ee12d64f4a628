/* load.c - one file's rows: CSV records → validator → batch → SQLite, rejects → report.
 * Memory is bounded by one batch (rows and bytes) whatever the file's size. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "pipeline/internal.h"

#define BATCH_MAX_BYTES (32u << 20)

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

static void emit_reject(struct load *l, uint64_t line, const char *column, const char *rule,
                        const char *msg, const char *raw, size_t raw_len, struct sl_error *err,
                        int *rc)
{
    struct pipeline *p = l->p;
    l->res->rows_rejected++;
    report_reject(l->rep, line, column, rule, msg, raw, raw_len);
    if (l->print_max > 0 && l->res->rows_rejected <= l->print_max) {
        printf("  line %llu  %-14s %-12s %s\n", (unsigned long long)line,
               column ? column : "-", rule, msg);
    }
    if (p->sink != NULL && *rc == 0) {
        *rc = sqlite_sink_reject(p->sink, l->file_id, l->name, line, column, rule, msg, raw,
                                 raw_len, err);
    }
}

static int flush_batch(struct load *l, struct sl_error *err)
{
    struct pipeline *p = l->p;
    struct batch *b = p->batch;
    int rc = 0;
    if (b->nrows == 0) {
        return 0;
    }
    if (p->sink != NULL) {
        rc = sqlite_sink_write(p->sink, b, l->file_id, &l->res->rows_updated, err);
        if (rc != 0) {
            return rc;
        }
    } else {
        memset(b->outcome, BATCH_LOADED, b->nrows);
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
            emit_reject(l, b->line[r], p->cfg->contract->npk
                            ? p->cfg->contract->fields[p->cfg->contract->pk[0]].name : NULL,
                        "duplicate_key", sb_cstr(&p->msg), b->raw + b->raw_off[r],
                        b->raw_off[r + 1] - b->raw_off[r], err, &rc);
            break;
        default:
            break;
        }
    }
    if (rc == 0) {
        rc = plan_metrics_step(p->plan, b, err);
    }
    batch_clear(b);
    return rc;
}

int load_stream(struct load *l, struct sl_error *err)
{
    struct pipeline *p = l->p;
    struct csv_record rec;
    int rc = 0;
    struct csv_reader *rd = csv_reader_create(&p->csv, fd_read, &l->fd);
    if (rd == NULL) {
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    }
    batch_clear(p->batch);
    plan_metrics_reset(p->plan);
    int got = csv_reader_next(rd, &rec, err);
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
    while ((got = csv_reader_next(rd, &rec, err)) > 0) {
        l->res->rows_total++;
        int v = validator_row(p->val, &rec, p->batch, &p->rej, err);
        if (v < 0) {
            rc = v;
            goto out;
        }
        if (v == 0) {
            emit_reject(l, rec.line, p->rej.column, p->rej.rule, sb_cstr(&p->rej.msg), rec.raw,
                        rec.raw_len, err, &rc);
            if (rc != 0) {
                goto out;
            }
            continue;
        }
        if (batch_full(p->batch) || batch_bytes(p->batch) >= BATCH_MAX_BYTES) {
            if ((rc = flush_batch(l, err)) != 0) {
                goto out;
            }
        }
    }
    if (got < 0) {
        rc = got;
        goto out;
    }
    rc = flush_batch(l, err);
out:
    l->res->blank_lines = csv_reader_blank_lines(rd);
    csv_reader_destroy(rd);
    return rc;
}
