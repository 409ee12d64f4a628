/* writer.c - the Parquet writer: takes batch rows column by column into one open data page
 * per column, flushes full pages (levels + values, compressed) into an in-memory column
 * chunk, and at each row-group boundary writes every chunk (dictionary page first) to the
 * file.  Every column starts a chunk dictionary-encoded (booleans excepted) and falls back
 * to PLAIN when the dictionary outgrows dict_max_bytes or holds mostly distinct values.
 */
#include "sink/parquet/writer_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

int pq_w_fail(struct pq_writer *w, int code, const char *what)
{
    if (code == SL_EIO) {
        return sl_error_set(&w->err, code, "parquet %s: %s: %s", w->path, what,
                            strerror(errno));
    }
    return sl_error_set(&w->err, code, "parquet %s: %s", w->path, what);
}

int pq_w_report(struct pq_writer *w, struct sl_error *err)
{
    return sl_error_set(err, w->err.code, "%s", w->err.msg);
}

/* Writes v[0..n) whole, in order, with as few syscalls as it can (a small file's row group
 * is dozens of pages: one writev instead of one write each).  v is consumed. */
static int write_iov(struct pq_writer *w, struct iovec *v, size_t n)
{
    while (n > 0) {
        ssize_t k = writev(w->fd, v, n > PQ_IOV_MAX ? PQ_IOV_MAX : (int)n);
        if (k < 0 && errno == EINTR) {
            continue;
        }
        if (k <= 0) {
            return pq_w_fail(w, SL_EIO, "write failed");
        }
        w->offset += k;
        size_t left = (size_t)k;
        while (n > 0 && left >= v->iov_len) {
            left -= v->iov_len;
            v++;
            n--;
        }
        if (n > 0) {
            v->iov_base = (uint8_t *)v->iov_base + left;
            v->iov_len -= left;
        }
    }
    return 0;
}

int pq_w_write_all(struct pq_writer *w, const void *p, size_t n)
{
    struct iovec v = {(void *)(uintptr_t)p, n};
    return write_iov(w, &v, 1);
}

/* Compresses body and appends header + compressed body to dst. */
static int add_page(struct pq_writer *w, struct pq_buf *dst, int dict, const uint8_t *body,
                    size_t n, uint32_t nvalues, int encoding, struct pq_chunk_meta *m)
{
    const uint8_t *cp;
    size_t cn;
    if (n > INT32_MAX / 2) {
        return pq_w_fail(w, SL_ELIMIT, "page larger than 1 GiB");
    }
    if (pq_comp_run(&w->comp, body, n, &cp, &cn) != 0) {
        return pq_w_fail(w, SL_ENOMEM, "page compression failed");
    }
    w->hdr.len = 0;
    if (pq_meta_page_header(&w->hdr, dict, n, cn, nvalues, encoding) != 0) {
        return pq_w_fail(w, SL_ENOMEM, "out of memory");
    }
    pq_buf_add(dst, w->hdr.p, w->hdr.len);
    pq_buf_add(dst, cp, cn);
    if (dst->failed) {
        return pq_w_fail(w, SL_ENOMEM, "out of memory buffering a column chunk");
    }
    m->total_uncompressed += (int64_t)(w->hdr.len + n);
    m->total_compressed += (int64_t)(w->hdr.len + cn);
    return 0;
}

static int freeze_dict(struct pq_writer *w, size_t c)
{
    struct pq_colw *cw = &w->cw[c];
    cw->dpage.len = 0;
    if (cw->dict.n > 0 && add_page(w, &cw->dpage, 1, cw->dict.plain.p, cw->dict.plain.len,
                                   cw->dict.n, PQE_PLAIN, &w->cm[c]) != 0) {
        return w->err.code;
    }
    cw->use_dict = 0;
    cw->fallback = 0;
    /* freed, not reset: a writer among many (one per partition) would otherwise keep its
     * biggest dictionary's tables for good */
    pq_dict_free(&cw->dict);
    pq_dict_init(&cw->dict, cw->type);
    return 0;
}

static void bitpack_bools(struct pq_buf *out, const uint8_t *v, size_t n)
{
    if (pq_buf_reserve(out, (n + 7) / 8) != 0) {
        return;
    }
    uint8_t *p = out->p + out->len;
    memset(p, 0, (n + 7) / 8);
    for (size_t i = 0; i < n; i++) {
        p[i / 8] |= (uint8_t)(v[i] << (i % 8));
    }
    out->len += (n + 7) / 8;
}

/* Encodes the open page of column c into its chunk. */
static int flush_page(struct pq_writer *w, size_t c)
{
    struct pq_colw *cw = &w->cw[c];
    struct pq_chunk_meta *m = &w->cm[c];
    struct pq_buf *b = &w->body;
    int enc = PQE_PLAIN;
    b->len = 0;
    if (cw->optional) {
        pq_buf_u32le(b, 0);
        pq_rle_encode(b, cw->levels, cw->page_rows, 1);
        if (!b->failed) {
            uint32_t n = (uint32_t)(b->len - 4);
            memcpy(b->p, &n, 4);
        }
    }
    int in_vals = 0; /* the body is just the values: compress them in place */
    if (cw->use_dict && cw->dict.n > 0) {
        int bw = pq_bit_width(cw->dict.n);
        enc = PQE_RLE_DICTIONARY;
        pq_buf_byte(b, (uint8_t)bw);
        pq_rle_encode(b, cw->idx, cw->page_vals, bw);
    } else if (cw->type == SL_T_BOOL) {
        bitpack_bools(b, cw->vals.p, cw->page_vals);
    } else if (cw->optional) {
        pq_buf_add(b, cw->vals.p, cw->vals.len);
    } else {
        in_vals = 1;
    }
    if (b->failed) {
        return pq_w_fail(w, SL_ENOMEM, "out of memory encoding a page");
    }
    const uint8_t *body = in_vals ? cw->vals.p : b->p;
    size_t n = in_vals ? cw->vals.len : b->len;
    if (m->num_values == 0) {
        m->data_page_offset = (int64_t)cw->chunk.len;
    }
    if (add_page(w, &cw->chunk, 0, body, n, (uint32_t)cw->page_rows, enc, m) != 0) {
        return w->err.code;
    }
    if (enc == PQE_PLAIN) {
        m->plain_pages++;
    } else {
        m->dict_pages++;
    }
    m->num_values += (int64_t)cw->page_rows;
    /* the next page ends on the column's schedule, even after a page ended early (a
     * fallback, a page of long strings) */
    cw->chunk_rows += cw->page_rows;
    while (cw->page_end <= cw->chunk_rows) {
        cw->page_end += w->opt.page_rows;
    }
    cw->page_limit = (size_t)(cw->page_end - cw->chunk_rows);
    cw->page_rows = cw->page_vals = 0;
    cw->vals.len = 0;
    /* Half distinct or more at a page end: PLAIN from here.  Judged on 20,000 values at
     * least, whatever the page size: a column of some thousands of values drawn at random
     * has not repeated them much after a short (staggered) first page. */
    if (cw->use_dict && (cw->fallback || (cw->chunk_vals >= PQ_HALF_DICT_CHECK
                                          && (uint64_t)cw->dict.n * 2 > cw->chunk_vals))) {
        return freeze_dict(w, c);
    }
    return 0;
}

/* After a value new to the dictionary: does the chunk fall back to PLAIN after this page?
 * When the dictionary outgrows dict_max_bytes, or when, past PQ_MIN_DICT_CHECK values,
 * nearly every value has been new (more than 31 in 32): a key, a timestamp or an amount,
 * whose dictionary would only grow, found after 1,000 values instead of a page of them.
 * The looser test (half distinct, flush_page) waits for PQ_HALF_DICT_CHECK values and a
 * page end, when a column with some thousands of distinct values has had the time to
 * repeat them. */
static void check_dict_growth(const struct pq_writer *w, struct pq_colw *cw)
{
    if (cw->dict.plain.len > w->opt.dict_max_bytes
        || (cw->chunk_vals >= PQ_MIN_DICT_CHECK
            && (uint64_t)cw->dict.n * 32 > cw->chunk_vals * 31)) {
        cw->fallback = 1;
    }
}

/* Takes one non-null value (PLAIN bytes) into the open page of column c. */
static int add_value(struct pq_writer *w, struct pq_colw *cw, size_t c, const void *p,
                     size_t n)
{
    cw->chunk_vals++;
    if (cw->use_dict) {
        uint32_t e;
        int r = pq_dict_put(&cw->dict, p, n, &e);
        if (r < 0) {
            return pq_w_fail(w, SL_ENOMEM, "out of memory growing a dictionary");
        }
        cw->idx[cw->page_vals++] = e;
        if (r == 0) {
            return 0; /* a known value cannot move min/max */
        }
        check_dict_growth(w, cw);
    } else {
        if (cw->type == SL_T_STR) {
            pq_buf_u32le(&cw->vals, (uint32_t)n);
        }
        pq_buf_add(&cw->vals, p, n);
        if (cw->vals.failed) {
            return pq_w_fail(w, SL_ENOMEM, "out of memory buffering a page");
        }
        cw->page_vals++;
    }
    struct pq_stats *s = &w->st[c];
    switch (cw->type) {
    case SL_T_INT:
    case SL_T_DATETIME: {
        int64_t v;
        memcpy(&v, p, 8);
        pq_stats_int(s, v);
        break;
    }
    case SL_T_DATE: {
        int32_t v;
        memcpy(&v, p, 4);
        pq_stats_int(s, v);
        break;
    }
    case SL_T_NUM: {
        double v;
        memcpy(&v, p, 8);
        pq_stats_double(s, v);
        break;
    }
    case SL_T_BOOL:
        pq_stats_int(s, *(const uint8_t *)p);
        break;
    default:
        if (pq_stats_str(s, p, n) != 0) {
            return pq_w_fail(w, SL_ENOMEM, "out of memory");
        }
    }
    return 0;
}

/* Does the open page of column c end after its latest value? */
static int page_full(const struct pq_writer *w, const struct pq_colw *cw)
{
    return cw->page_rows >= cw->page_limit || cw->fallback
           || cw->vals.len >= w->opt.page_bytes;
}

/* The definition level and row count of one row of a column; 1 when its cell is null
 * (counted in st). */
__attribute__((always_inline)) static inline int
take_level(struct pq_colw *cw, struct pq_stats *st, const struct column *col, size_t row)
{
    if (cw->optional) {
        cw->levels[cw->page_rows] = col->null[row] == 0;
    }
    cw->page_rows++;
    if (col->null[row] != 0) {
        st->nulls++;
        return 1;
    }
    return 0;
}

/* Takes rows [r, r + n) of a fixed-width column (kind: 8-byte integer or timestamp, double,
 * 4-byte date) into column c, stopping early after a value that ends the page.  The kind is
 * a constant at each call, so every type gets its own loop: no per-value type switch, and a
 * value already in the dictionary costs one hash probe and an index store.  Returns the
 * rows taken (>= 1), or 0 after an error. */
enum fixed_kind { FK_I64, FK_F64, FK_I32 };

__attribute__((always_inline)) static inline size_t
take_fixed(struct pq_writer *w, size_t c, const struct column *col, size_t r, size_t n,
           enum fixed_kind kind)
{
    struct pq_colw *cw = &w->cw[c];
    struct pq_stats *st = &w->st[c];
    const size_t width = kind == FK_I32 ? 4 : 8;
    size_t i = 0;
    while (i < n) {
        size_t row = r + i++;
        if (take_level(cw, st, col, row)) {
            continue;
        }
        uint64_t key;
        if (kind == FK_I32) {
            key = (uint32_t)col->v.i32[row];
        } else {
            memcpy(&key, &col->v.i64[row], 8); /* f64 shares the storage's bytes */
        }
        cw->chunk_vals++;
        if (cw->use_dict) {
            uint32_t e;
            int added = pq_dict_put_fixed(&cw->dict, key, &e);
            if (added < 0) {
                pq_w_fail(w, SL_ENOMEM, "out of memory growing a dictionary");
                return 0;
            }
            cw->idx[cw->page_vals++] = e;
            if (added == 0) {
                continue; /* a known value cannot move min/max */
            }
            check_dict_growth(w, cw);
        } else {
            if (pq_buf_reserve(&cw->vals, 8) != 0) {
                pq_w_fail(w, SL_ENOMEM, "out of memory buffering a page");
                return 0;
            }
            memcpy(cw->vals.p + cw->vals.len, &key, width);
            cw->vals.len += width;
            cw->page_vals++;
        }
        if (kind == FK_F64) {
            double d;
            memcpy(&d, &key, 8);
            pq_stats_double(st, d);
        } else if (kind == FK_I32) {
            pq_stats_int(st, (int32_t)(uint32_t)key);
        } else {
            pq_stats_int(st, (int64_t)key);
        }
        if (page_full(w, cw)) {
            break;
        }
    }
    return i;
}

/* Takes rows [r, r + n) of any other column (strings, booleans) the same way, through
 * add_value but for a string already in the dictionary.  (A known value cannot end the
 * page: n stops at its last row, and only a new value moves the fallback or the bytes.) */
static size_t take_value(struct pq_writer *w, size_t c, const struct column *col, size_t r,
                         size_t n)
{
    struct pq_colw *cw = &w->cw[c];
    size_t i = 0;
    while (i < n) {
        size_t row = r + i++;
        if (take_level(cw, &w->st[c], col, row)) {
            continue;
        }
        int rc;
        if (cw->type == SL_T_BOOL) {
            rc = add_value(w, cw, c, &col->v.u8[row], 1);
        } else {
            const uint8_t *p = (const uint8_t *)col->data + col->off[row];
            size_t len = col->off[row + 1] - col->off[row];
            uint32_t e;
            if (cw->use_dict && pq_dict_find_str(&cw->dict, p, len, pq_hash_bytes(p, len), &e)) {
                /* the usual case, inline: a known value, no statistics to move */
                cw->chunk_vals++;
                cw->idx[cw->page_vals++] = e;
                continue;
            }
            rc = add_value(w, cw, c, p, len);
        }
        if (rc != 0) {
            return 0;
        }
        if (page_full(w, cw)) {
            break;
        }
    }
    return i;
}

/* Takes rows [r, e) of one batch column, every one selected, into column c, a page at a
 * time. */
static int append_run(struct pq_writer *w, size_t c, const struct column *col, size_t r,
                      size_t e)
{
    struct pq_colw *cw = &w->cw[c];
    while (r < e) {
        size_t n = cw->page_limit - cw->page_rows; /* >= 1: a full page was flushed */
        n = n < e - r ? n : e - r;
        size_t took;
        switch (cw->type) {
        case SL_T_INT:
        case SL_T_DATETIME:
            took = take_fixed(w, c, col, r, n, FK_I64);
            break;
        case SL_T_NUM:
            took = take_fixed(w, c, col, r, n, FK_F64);
            break;
        case SL_T_DATE:
            took = take_fixed(w, c, col, r, n, FK_I32);
            break;
        default:
            took = take_value(w, c, col, r, n);
            break;
        }
        if (took == 0) {
            return w->err.code;
        }
        r += took;
        if (page_full(w, cw) && flush_page(w, c) != 0) {
            return w->err.code;
        }
    }
    return 0;
}

void pq_w_reset_chunk(struct pq_writer *w, size_t c)
{
    struct pq_colw *cw = &w->cw[c];
    /* Column c's pages end at rows (c + 1) / ncols of page_rows, then every page_rows, so
     * the columns' pages fill and are compressed at different rows, not all in the same
     * batch: the writer thread's time per batch was 0.6 ms at the median and 4 to 15 ms
     * every fifth batch (1M rows, 4,096-row batches), stalling the parser behind it. */
    size_t first = w->opt.page_rows * (c + 1) / w->ncols;
    cw->chunk_rows = 0;
    cw->page_end = first > 0 ? first : 1;
    cw->page_limit = (size_t)cw->page_end;
    cw->use_dict = cw->type != SL_T_BOOL;
    cw->fallback = 0;
    cw->chunk_vals = 0;
    cw->chunk.len = 0;
    cw->dpage.len = 0;
    pq_dict_reset(&cw->dict);
    memset(&w->cm[c], 0, sizeof(w->cm[c]));
    pq_stats_reset(&w->st[c], cw->type);
}

/* Writes the buffered row group: every chunk, dictionary page first, then its metadata.
 * The chunks go out PQ_IOV_MAX / 2 columns per writev. */
int pq_w_flush_row_group(struct pq_writer *w)
{
    struct iovec v[PQ_IOV_MAX];
    size_t nv = 0;
    int64_t pos = w->offset; /* where the next queued byte lands */
    for (size_t c = 0; c < w->ncols; c++) {
        struct pq_colw *cw = &w->cw[c];
        struct pq_chunk_meta *m = &w->cm[c];
        if (cw->page_rows > 0 && flush_page(w, c) != 0) {
            return w->err.code;
        }
        if (cw->use_dict && cw->dict.n > 0 && freeze_dict(w, c) != 0) {
            return w->err.code;
        }
        if (cw->dpage.len > 0) {
            m->dict_page_offset = pos;
        }
        m->data_page_offset += pos + (int64_t)cw->dpage.len;
        pos += (int64_t)(cw->dpage.len + cw->chunk.len);
        v[nv++] = (struct iovec){cw->dpage.p, cw->dpage.len};
        v[nv++] = (struct iovec){cw->chunk.p, cw->chunk.len};
        if ((nv + 2 > PQ_IOV_MAX || c + 1 == w->ncols) && write_iov(w, v, nv) != 0) {
            return w->err.code;
        }
        if (nv + 2 > PQ_IOV_MAX) {
            nv = 0;
        }
    }
    if (pq_meta_row_group(&w->rgs, w->cols, w->ncols, w->cm, w->st, w->opt.codec,
                          (int64_t)w->rg_rows) != 0) {
        return pq_w_fail(w, SL_ENOMEM, "out of memory");
    }
    w->nrg++;
    w->rg_rows = 0;
    for (size_t c = 0; c < w->ncols; c++) {
        pq_w_reset_chunk(w, c);
    }
    return 0;
}

/* Writes the buffered row group out before the end of the file, and starts the disk
 * writing it: the fsync that makes the file durable at commit then waits only for the
 * last row group (an 18 MB file's fsync took 10 ms at the end of its load, after the
 * writer thread had finished).  The hint's failure costs nothing but that overlap. */
static int flush_row_group_early(struct pq_writer *w)
{
    int64_t from = w->offset;
    if (pq_w_flush_row_group(w) != 0) {
        return -1;
    }
    /* advisory, its result unused on purpose: the commit's fsync still covers every byte */
    (void)sync_file_range(w->fd, from, w->offset - from, SYNC_FILE_RANGE_WRITE);
    return 0;
}

static size_t buffered_bytes(const struct pq_writer *w)
{
    size_t n = 0;
    for (size_t c = 0; c < w->ncols; c++) {
        n += w->cw[c].chunk.len + w->cw[c].dpage.len + w->cw[c].vals.len
             + w->cw[c].dict.plain.len;
    }
    return n;
}

size_t pq_writer_buffered(const struct pq_writer *w)
{
    return buffered_bytes(w);
}

int pq_writer_flush(struct pq_writer *w, struct sl_error *err)
{
    if (w->err.code != 0) {
        return pq_w_report(w, err);
    }
    if (w->rg_rows > 0 && flush_row_group_early(w) != 0) {
        return pq_w_report(w, err);
    }
    /* Flushed to save memory: give the chunk buffers and dictionaries back too (a reset
     * keeps their capacity for the next row group). */
    for (size_t c = 0; c < w->ncols; c++) {
        struct pq_colw *cw = &w->cw[c];
        pq_buf_free(&cw->chunk);
        pq_buf_free(&cw->dpage);
        pq_dict_free(&cw->dict);
        pq_dict_init(&cw->dict, cw->type);
    }
    return 0;
}

/* A null in a REQUIRED column, checked before anything is taken. */
static int check_required(struct pq_writer *w, const struct batch *b, size_t from, size_t to,
                          const uint8_t *mask, struct sl_error *err)
{
    for (size_t c = 0; c < w->ncols; c++) {
        if (w->cw[c].optional) {
            continue;
        }
        for (size_t r = from; r < to; r++) {
            if (b->cols[c].null[r] != 0 && (mask == NULL || mask[r] != 0)) {
                return sl_error_set(err, SL_ETYPE, "parquet %s: line %llu: column %s is "
                                    "required but the value is null", w->path,
                                    (unsigned long long)b->line[r], w->cols[c].name);
            }
        }
    }
    return 0;
}

int pq_writer_write(struct pq_writer *w, const struct batch *b, size_t from, size_t to,
                    const uint8_t *row_mask, struct sl_error *err)
{
    if (w->err.code != 0) {
        return pq_w_report(w, err);
    }
    if (b->ncols != w->ncols || from > to || to > b->nrows) {
        return sl_error_set(err, SL_EBUG, "parquet %s: batch does not match the writer",
                            w->path);
    }
    for (size_t c = 0; c < w->ncols; c++) {
        if (b->cols[c].type != w->cols[c].type) {
            return sl_error_set(err, SL_EBUG, "parquet %s: column %s has another type",
                                w->path, w->cols[c].name);
        }
    }
    int rc = check_required(w, b, from, to, row_mask, err);
    if (rc != 0) {
        return rc;
    }
    size_t r = from;
    while (r < to) {
        size_t room = w->opt.row_group_rows - w->rg_rows, e = r, n = 0;
        if (row_mask == NULL) {
            n = to - r < room ? to - r : room;
            e = r + n;
        } else {
            while (e < to && n < room) {
                n += row_mask[e++] != 0;
            }
        }
        /* the selected rows as runs of consecutive rows, found once for every column */
        size_t nruns = 0;
        for (size_t i = r; i < e;) {
            if (row_mask != NULL && row_mask[i] == 0) {
                i++;
                continue;
            }
            size_t j = i + 1;
            while (row_mask != NULL && j < e && row_mask[j] != 0) {
                j++;
            }
            if (nruns == w->runs_cap) {
                size_t ncap = w->runs_cap ? w->runs_cap * 2 : 64;
                struct pq_run *nr = realloc(w->runs, ncap * sizeof(*nr));
                if (nr == NULL) {
                    pq_w_fail(w, SL_ENOMEM, "out of memory");
                    return pq_w_report(w, err);
                }
                w->runs = nr;
                w->runs_cap = ncap;
            }
            w->runs[nruns++] = (struct pq_run){i, row_mask != NULL ? j : e};
            i = row_mask != NULL ? j : e;
        }
        for (size_t c = 0; c < w->ncols; c++) {
            for (size_t k = 0; k < nruns; k++) {
                if (append_run(w, c, &b->cols[c], w->runs[k].r, w->runs[k].e) != 0) {
                    return pq_w_report(w, err);
                }
            }
        }
        w->rg_rows += n;
        w->rows += n;
        r = e;
        if (w->rg_rows > 0 && (w->rg_rows >= w->opt.row_group_rows
                               || buffered_bytes(w) >= w->opt.row_group_bytes)) {
            if (flush_row_group_early(w) != 0) {
                return pq_w_report(w, err);
            }
        }
    }
    return 0;
}

