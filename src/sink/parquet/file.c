/* file.c - the Parquet writer's life cycle: checks the columns, copies the options with
 * their defaults, creates the file with its leading magic, and at close writes the last row
 * group and the footer (FileMetaData, its length, PAR1), fsyncs and closes; on any error
 * the file is removed.
 */
#include "core/failpoint.h"
#include "sink/parquet/writer_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void writer_free(struct pq_writer *w)
{
    if (w == NULL) {
        return;
    }
    for (size_t c = 0; w->cw != NULL && c < w->ncols; c++) {
        struct pq_colw *cw = &w->cw[c];
        free(cw->levels);
        free(cw->idx);
        pq_buf_free(&cw->vals);
        pq_buf_free(&cw->dpage);
        pq_buf_free(&cw->chunk);
        pq_dict_free(&cw->dict);
        if (w->st != NULL) {
            pq_stats_free(&w->st[c]);
        }
    }
    for (size_t c = 0; w->cols != NULL && c < w->ncols; c++) {
        free((char *)w->cols[c].name);
    }
    for (size_t i = 0; i < w->opt.nkv; i++) {
        free((char *)w->opt.kv_keys[i]);
        free((char *)w->opt.kv_values[i]);
    }
    free((void *)w->opt.kv_keys);
    free((void *)w->opt.kv_values);
    free((char *)w->opt.created_by);
    free(w->cols);
    free(w->cw);
    free(w->cm);
    free(w->st);
    pq_comp_free(&w->comp);
    pq_buf_free(&w->body);
    pq_buf_free(&w->hdr);
    pq_buf_free(&w->rgs);
    free(w->runs);
    free(w->path);
    free(w);
}

static int ascii_caseeq(const char *a, const char *b)
{
    for (;; a++, b++) {
        char x = (*a >= 'A' && *a <= 'Z') ? (char)(*a + 32) : *a;
        char y = (*b >= 'A' && *b <= 'Z') ? (char)(*b + 32) : *b;
        if (x != y) {
            return 0;
        }
        if (x == '\0') {
            return 1;
        }
    }
}

static int check_columns(const char *path, const struct pq_column *cols, size_t ncols,
                         struct sl_error *err)
{
    if (ncols == 0 || ncols > INT32_MAX / 2) {
        return sl_error_set(err, SL_EUSAGE, "parquet %s: a file needs 1 or more columns",
                            path);
    }
    for (size_t c = 0; c < ncols; c++) {
        if (cols[c].name == NULL || cols[c].name[0] == '\0') {
            return sl_error_set(err, SL_EUSAGE, "parquet %s: column %zu has no name", path,
                                c + 1);
        }
        if (cols[c].type < SL_T_INT || cols[c].type > SL_T_DATETIME) {
            return sl_error_set(err, SL_EUSAGE, "parquet %s: column %s has no type", path,
                                cols[c].name);
        }
        for (size_t d = 0; d < c; d++) {
            if (ascii_caseeq(cols[c].name, cols[d].name)) {
                return sl_error_set(err, SL_EUSAGE, "parquet %s: column names %s and %s "
                                    "differ only in case (or not at all)", path,
                                    cols[d].name, cols[c].name);
            }
        }
    }
    return 0;
}

static char *dup_or_null(const char *s, int *oom)
{
    if (s == NULL) {
        return NULL;
    }
    char *d = strdup(s);
    if (d == NULL) {
        *oom = 1;
    }
    return d;
}

/* Copies the options (strings included) with defaults filled in. */
static int copy_options(struct pq_writer *w, const struct pq_options *opt)
{
    static const struct pq_options none;
    int oom = 0;
    if (opt == NULL) {
        opt = &none;
    }
    w->opt = *opt;
    w->opt.kv_keys = w->opt.kv_values = NULL;
    w->opt.created_by = NULL;
    w->opt.nkv = 0;
    w->opt.zstd_level = opt->zstd_level ? opt->zstd_level : 3;
    w->opt.row_group_rows = opt->row_group_rows ? opt->row_group_rows : 1048576;
    w->opt.row_group_bytes = opt->row_group_bytes ? opt->row_group_bytes : 64u << 20;
    w->opt.page_bytes = opt->page_bytes ? opt->page_bytes : 1u << 20;
    w->opt.page_rows = opt->page_rows ? opt->page_rows : 20000;
    w->opt.dict_max_bytes = opt->dict_max_bytes ? opt->dict_max_bytes : 1u << 20;
    if (w->opt.page_rows > (1u << 24)) {
        w->opt.page_rows = 1u << 24;
    }
    w->opt.created_by = dup_or_null(opt->created_by, &oom);
    if (opt->nkv > 0) {
        char **k = calloc(opt->nkv, sizeof(*k));
        char **v = calloc(opt->nkv, sizeof(*v));
        w->opt.kv_keys = (const char *const *)k;
        w->opt.kv_values = (const char *const *)v;
        if (k == NULL || v == NULL) {
            return -1;
        }
        w->opt.nkv = opt->nkv;
        for (size_t i = 0; i < opt->nkv; i++) {
            k[i] = dup_or_null(opt->kv_keys[i] ? opt->kv_keys[i] : "", &oom);
            v[i] = dup_or_null(opt->kv_values[i], &oom);
        }
    }
    return oom ? -1 : 0;
}

int pq_writer_rename(struct pq_writer *w, const char *path)
{
    char *np = strdup(path);
    if (np == NULL) {
        errno = ENOMEM;
        return -1;
    }
    if (rename(w->path, np) != 0) {
        free(np);
        return -1;
    }
    free(w->path);
    w->path = np;
    return 0;
}

int pq_writer_set_kv(struct pq_writer *w, const char *key, const char *value)
{
    for (size_t i = 0; i < w->opt.nkv; i++) {
        if (strcmp(w->opt.kv_keys[i], key) == 0) {
            char *v = strdup(value);
            if (v == NULL) {
                return -1;
            }
            char **vals = (char **)(uintptr_t)w->opt.kv_values; /* copy_options' own */
            free(vals[i]);
            vals[i] = v;
            return 0;
        }
    }
    return -1;
}

static int setup(struct pq_writer *w, const struct pq_column *cols, size_t ncols,
                 const struct pq_options *opt)
{
    w->ncols = ncols;
    w->cols = calloc(ncols, sizeof(*w->cols));
    w->cw = calloc(ncols, sizeof(*w->cw));
    w->cm = calloc(ncols, sizeof(*w->cm));
    w->st = calloc(ncols, sizeof(*w->st));
    if (w->cols == NULL || w->cw == NULL || w->cm == NULL || w->st == NULL
        || copy_options(w, opt) != 0) {
        return -1;
    }
    for (size_t c = 0; c < ncols; c++) {
        struct pq_colw *cw = &w->cw[c];
        w->cols[c] = cols[c];
        w->cols[c].name = strdup(cols[c].name);
        cw->type = cols[c].type;
        cw->optional = !cols[c].required;
        cw->idx = malloc(w->opt.page_rows * sizeof(*cw->idx));
        if (cw->optional) {
            cw->levels = malloc(w->opt.page_rows * sizeof(*cw->levels));
        }
        if (w->cols[c].name == NULL || cw->idx == NULL
            || (cw->optional && cw->levels == NULL)) {
            return -1;
        }
        pq_dict_init(&cw->dict, cw->type);
        pq_w_reset_chunk(w, c);
    }
    return pq_comp_init(&w->comp, w->opt.codec, w->opt.zstd_level);
}

int pq_writer_open(const char *path, const struct pq_column *cols, size_t ncols,
                   const struct pq_options *opt, struct pq_writer **out, struct sl_error *err)
{
    *out = NULL;
    int rc = check_columns(path, cols, ncols, err);
    if (rc != 0) {
        return rc;
    }
    if (opt != NULL && (opt->codec > PQ_NONE || (opt->nkv > 0 && (opt->kv_keys == NULL
                                                                  || opt->kv_values == NULL)))) {
        return sl_error_set(err, SL_EUSAGE, "parquet %s: bad options", path);
    }
    struct pq_writer *w = calloc(1, sizeof(*w));
    if (w == NULL) {
        return sl_error_set(err, SL_ENOMEM, "parquet %s: out of memory", path);
    }
    w->fd = -1;
    w->path = strdup(path);
    if (w->path == NULL || setup(w, cols, ncols, opt) != 0) {
        rc = sl_error_set(err, SL_ENOMEM, "parquet %s: out of memory", path);
        goto out;
    }
    w->fd = opt != NULL && opt->create != NULL
                ? opt->create(path, 0640)
                : open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    if (w->fd < 0) {
        rc = sl_error_set(err, SL_EIO, "parquet %s: cannot create: %s", path,
                          strerror(errno));
        goto out;
    }
    if (pq_w_write_all(w, "PAR1", 4) != 0) {
        rc = pq_w_report(w, err);
        pq_writer_abort(w);
        return rc;
    }
    *out = w;
    return 0;
out:
    writer_free(w);
    return rc;
}

int pq_writer_close(struct pq_writer *w, uint64_t *rows_written, struct sl_error *err)
{
    if (rows_written != NULL) {
        *rows_written = 0;
    }
    if (w->err.code == 0 && w->rg_rows > 0) {
        pq_w_flush_row_group(w);
    }
    if (w->err.code == 0) {
        w->hdr.len = 0;
        if (pq_meta_footer(&w->hdr, w->cols, w->ncols, &w->opt, (int64_t)w->rows, w->nrg,
                           &w->rgs) != 0 || w->hdr.len > UINT32_MAX) {
            pq_w_fail(w, SL_ENOMEM, "out of memory writing the footer");
        } else {
            uint32_t len = (uint32_t)w->hdr.len;
            pq_buf_u32le(&w->hdr, len);
            pq_buf_add(&w->hdr, "PAR1", 4);
            if (w->hdr.failed) {
                pq_w_fail(w, SL_ENOMEM, "out of memory writing the footer");
            } else if (pq_w_write_all(w, w->hdr.p, w->hdr.len) == 0) {
                int injected = w->opt.defer_sync ? 0 : FAULT("pq.fsync");
                if (w->opt.defer_sync) {
                    /* start the writeback now; pq_sealed_sync waits for it */
                    (void)sync_file_range(w->fd, 0, 0, SYNC_FILE_RANGE_WRITE);
                } else if (injected != 0 || fsync(w->fd) != 0) {
                    /* never retried on this file: the caller discards it and rewrites */
                    if (injected != 0) {
                        errno = injected;
                    }
                    pq_w_fail(w, SL_EIO, "fsync failed");
                }
            }
        }
    }
    if (w->err.code == 0) {
        int fd = w->fd;
        w->fd = -1;
        if (close(fd) != 0) {
            pq_w_fail(w, SL_EIO, "close failed");
        }
    }
    if (w->err.code != 0) {
        int rc = pq_w_report(w, err);
        pq_writer_abort(w);
        return rc;
    }
    if (rows_written != NULL) {
        *rows_written = w->rows;
    }
    writer_free(w);
    return 0;
}

void pq_writer_abort(struct pq_writer *w)
{
    if (w == NULL) {
        return;
    }
    if (w->fd >= 0) {
        close(w->fd);
    }
    if (w->path != NULL) {
        unlink(w->path);
    }
    writer_free(w);
}
