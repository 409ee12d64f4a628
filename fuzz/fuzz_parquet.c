/* fuzz_parquet.c - libFuzzer harness for the Parquet writer (src/sink/parquet/) and the
 * bounds-checked reader pqread.
 *
 * Mode "write" (byte 0 even): the input drives a random flat schema (1..8 columns of every
 * type, REQUIRED or OPTIONAL), random writer options (codec, tiny page/row group/dictionary
 * sizes so every path is taken), and random rows (raw 64-bit values, NaN and -0.0, repeated
 * small values for dictionaries, strings up to 64 bytes, nulls), written in 1..3 batches with
 * a row mask.  The file (on /dev/shm) is read back with pqread: the row count, every value
 * and null, and each chunk's statistics (null count, min/max) must match what was written.
 *
 * Mode "read" (byte 0 odd): the rest of the input is taken as a Parquet file and given to
 * pqr_open and pqr_read_column, which must reject bad input cleanly.
 */
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/batch.h"
#include "sink/parquet/parquet.h"
#include "sink/parquet/pqread.h"

#define CHECK(c)                                                                          \
    do {                                                                                  \
        if (!(c)) {                                                                       \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c);         \
            abort();                                                                      \
        }                                                                                 \
    } while (0)

#define MAXCOLS 8
#define MAXBATCH 3

struct in {
    const uint8_t *p;
    size_t n;
};

static uint8_t u8(struct in *in)
{
    if (in->n == 0) {
        return 0;
    }
    in->n--;
    return *in->p++;
}

static uint64_t u64(struct in *in)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) {
        v = (v << 8) | u8(in);
    }
    return v;
}

static void gen_value(struct in *in, enum sl_type t, int required, struct sl_value *v,
                      char *sbuf)
{
    uint8_t mode = u8(in);
    if (!required && (mode & 7) == 0) {
        v->type = SL_T_NULL;
        return;
    }
    v->type = t;
    int small = (mode & 0x18) != 0; /* mostly small values: dictionaries and runs */
    switch (t) {
    case SL_T_INT:
        v->u.i = small ? (int64_t)(mode >> 5) - 3 : (int64_t)u64(in);
        break;
    case SL_T_DATETIME:
        v->u.us = small ? (int64_t)(mode >> 5) * 86400000000LL : (int64_t)u64(in);
        break;
    case SL_T_DATE:
        v->u.days = small ? (int32_t)(mode >> 5) - 2 : (int32_t)(uint32_t)u64(in);
        break;
    case SL_T_BOOL:
        v->u.b = (mode >> 5) & 1;
        break;
    case SL_T_NUM: {
        static const double specials[] = {0.0, -0.0, 1.5, -2.25, 1e308, -1e-310, NAN, INFINITY};
        if (small) {
            v->u.d = specials[mode >> 5];
        } else {
            uint64_t bits = u64(in);
            memcpy(&v->u.d, &bits, 8);
        }
        break;
    }
    case SL_T_STR: {
        size_t n = small ? (size_t)(mode >> 5) % 4 : u8(in) % 65;
        for (size_t i = 0; i < n; i++) {
            sbuf[i] = small ? (char)('a' + (mode >> 5)) : (char)u8(in);
        }
        v->u.s.p = sbuf;
        v->u.s.n = n;
        break;
    }
    default:
        abort();
    }
}

static int num_eq(double a, double b)
{
    return (isnan(a) && isnan(b)) || memcmp(&a, &b, 8) == 0;
}

static int read_file(const char *path, uint8_t **data, size_t *len)
{
    int fd = open(path, O_RDONLY);
    struct stat st;
    CHECK(fd >= 0 && fstat(fd, &st) == 0);
    *len = (size_t)st.st_size;
    *data = malloc(*len + 1);
    CHECK(*data != NULL);
    size_t got = 0;
    while (got < *len) {
        ssize_t k = read(fd, *data + got, *len - got);
        CHECK(k > 0);
        got += (size_t)k;
    }
    close(fd);
    return 0;
}

/* The expected value of output row r of column c (rows in write order). */
struct ref {
    size_t nrows;
    struct sl_value *v; /* nrows * ncols; strings point into the batches */
};

static int v_cmp(const struct sl_value *a, const struct sl_value *b)
{
    if (a->type == SL_T_NUM) {
        return a->u.d < b->u.d ? -1 : a->u.d > b->u.d;
    }
    if (a->type == SL_T_BOOL) {
        return a->u.b - b->u.b;
    }
    return sl_value_cmp(a, b);
}

static void check_stats(const struct pqr_file *f, const struct pq_column *cols, size_t ncols,
                        const struct ref *ref)
{
    const struct th_node *rgs = th_get(&f->meta, 4);
    size_t row0 = 0;
    for (size_t g = 0; g < f->nrg; g++) {
        int64_t rg_rows = th_get_int(&rgs->kids[g], 3, -1);
        CHECK(rg_rows > 0 && row0 + (size_t)rg_rows <= ref->nrows);
        for (size_t c = 0; c < ncols; c++) {
            const struct th_node *st = th_get(pqr_chunk_meta(f, g, c), 12);
            CHECK(st != NULL);
            int64_t nulls = 0;
            const struct sl_value *lo = NULL, *hi = NULL;
            int nan = 0;
            for (size_t r = row0; r < row0 + (size_t)rg_rows; r++) {
                const struct sl_value *v = &ref->v[r * ncols + c];
                if (v->type == SL_T_NULL) {
                    nulls++;
                    continue;
                }
                if (v->type == SL_T_NUM && isnan(v->u.d)) {
                    nan = 1;
                    continue;
                }
                if (lo == NULL || v_cmp(v, lo) < 0) {
                    lo = v;
                }
                if (hi == NULL || v_cmp(v, hi) > 0) {
                    hi = v;
                }
            }
            CHECK(th_get_int(st, 3, -1) == nulls);
            const struct th_node *smax = th_get(st, 5), *smin = th_get(st, 6);
            CHECK((smax == NULL) == (smin == NULL));
            if (lo == NULL || nan) {
                CHECK(smax == NULL);
                continue;
            }
            if (smax == NULL) {
                CHECK(cols[c].type == SL_T_STR); /* long strings drop their bounds */
                continue;
            }
            uint8_t elo[8], ehi[8];
            size_t en = 0;
            switch (cols[c].type) {
            case SL_T_INT:
            case SL_T_DATETIME:
                memcpy(elo, &lo->u.i, 8);
                memcpy(ehi, &hi->u.i, 8);
                en = 8;
                break;
            case SL_T_DATE:
                memcpy(elo, &lo->u.days, 4);
                memcpy(ehi, &hi->u.days, 4);
                en = 4;
                break;
            case SL_T_BOOL:
                elo[0] = (uint8_t)lo->u.b;
                ehi[0] = (uint8_t)hi->u.b;
                en = 1;
                break;
            case SL_T_NUM: {
                double a = lo->u.d == 0 ? -0.0 : lo->u.d, b = hi->u.d == 0 ? 0.0 : hi->u.d;
                memcpy(elo, &a, 8);
                memcpy(ehi, &b, 8);
                en = 8;
                break;
            }
            case SL_T_STR:
                CHECK(smin->n == lo->u.s.n && smax->n == hi->u.s.n);
                CHECK(smin->n == 0 || memcmp(smin->p, lo->u.s.p, smin->n) == 0);
                CHECK(smax->n == 0 || memcmp(smax->p, hi->u.s.p, smax->n) == 0);
                continue;
            default:
                abort();
            }
            CHECK(smin->n == en && memcmp(smin->p, elo, en) == 0);
            CHECK(smax->n == en && memcmp(smax->p, ehi, en) == 0);
        }
        row0 += (size_t)rg_rows;
    }
    CHECK(row0 == ref->nrows);
}

static void check_read(const uint8_t *data, size_t len, const struct pq_column *cols,
                       size_t ncols, const struct ref *ref)
{
    struct pqr_file f;
    struct sl_error err = {0};
    CHECK(pqr_open(&f, data, len, &err) == 0);
    CHECK(f.ncols == ncols && f.num_rows == (int64_t)ref->nrows);
    for (size_t c = 0; c < ncols; c++) {
        CHECK(pqr_leaf_type(pqr_leaf(&f, c)) == cols[c].type);
        struct pqr_column col;
        struct sl_error e2 = {0};
        CHECK(pqr_read_column(&f, c, &col, &e2) == 0);
        CHECK(col.n == ref->nrows);
        for (size_t r = 0; r < ref->nrows; r++) {
            const struct sl_value *v = &ref->v[r * ncols + c];
            CHECK(col.null[r] == (v->type == SL_T_NULL));
            switch (v->type) {
            case SL_T_NULL:
                break;
            case SL_T_INT:
                CHECK(col.i64[r] == v->u.i);
                break;
            case SL_T_DATETIME:
                CHECK(col.i64[r] == v->u.us);
                break;
            case SL_T_DATE:
                CHECK(col.i64[r] == v->u.days);
                break;
            case SL_T_BOOL:
                CHECK(col.i64[r] == v->u.b);
                break;
            case SL_T_NUM:
                CHECK(num_eq(col.f64[r], v->u.d));
                break;
            case SL_T_STR:
                CHECK(col.off[r + 1] - col.off[r] == v->u.s.n);
                CHECK(v->u.s.n == 0 || memcmp(col.data + col.off[r], v->u.s.p, v->u.s.n) == 0);
                break;
            }
        }
        pqr_column_free(&col);
    }
    check_stats(&f, cols, ncols, ref);
    pqr_close(&f);
}

static void fuzz_write(struct in *in)
{
    static const enum sl_type types[] = {SL_T_INT, SL_T_NUM, SL_T_STR,
                                         SL_T_BOOL, SL_T_DATE, SL_T_DATETIME};
    static char names[MAXCOLS][4];
    struct pq_column cols[MAXCOLS];
    enum sl_type ctypes[MAXCOLS];
    size_t ncols = 1 + u8(in) % MAXCOLS;
    for (size_t c = 0; c < ncols; c++) {
        uint8_t b = u8(in);
        snprintf(names[c], sizeof(names[c]), "c%zu", c);
        cols[c].name = names[c];
        cols[c].type = ctypes[c] = types[b % 6];
        cols[c].required = (b >> 3) & 1;
    }
    struct pq_options opt = {0};
    uint8_t o1 = u8(in), o2 = u8(in), o3 = u8(in);
    opt.codec = (enum pq_codec)(o1 & 3);
    opt.zstd_level = 1 + (o1 >> 2) % 3;
    opt.page_rows = 1 + o2 % 40;
    opt.page_bytes = 16 + (size_t)(o2 >> 3) * 64;
    opt.row_group_rows = 1 + o3 % 100;
    opt.row_group_bytes = (o3 & 0x80) ? 256 : 0;
    opt.dict_max_bytes = 8 + (size_t)(o1 >> 4) * 32;
    opt.created_by = "sluice fuzz";
    const char *keys[] = {"k", "contract"};
    const char *vals[] = {"v", NULL};
    opt.nkv = o1 & 0x40 ? 2 : 0;
    opt.kv_keys = keys;
    opt.kv_values = vals;

    char path[64];
    snprintf(path, sizeof(path), "/dev/shm/sluice-fuzz-%d.parquet", (int)getpid());
    unlink(path);
    struct pq_writer *w = NULL;
    struct sl_error err = {0};
    CHECK(pq_writer_open(path, cols, ncols, &opt, &w, &err) == 0);

    size_t nb = 1 + u8(in) % MAXBATCH;
    struct batch *bs[MAXBATCH] = {0};
    struct ref ref = {0, NULL};
    size_t refcap = 0;
    char sbuf[80];
    int rc = 0;
    for (size_t k = 0; k < nb && rc == 0; k++) {
        size_t nrows = u8(in) % 200;
        bs[k] = batch_create(ctypes, ncols, nrows > 0 ? nrows : 1);
        CHECK(bs[k] != NULL);
        for (size_t r = 0; r < nrows; r++) {
            for (size_t c = 0; c < ncols; c++) {
                struct sl_value v;
                gen_value(in, cols[c].type, cols[c].required, &v, sbuf);
                CHECK(batch_set(bs[k], c, &v) == 0);
            }
            CHECK(batch_row_commit(bs[k], r + 2, "", 0) == 0);
        }
        uint8_t mode = u8(in);
        uint8_t *mask = NULL;
        size_t from = 0, to = bs[k]->nrows;
        if (mode & 1) {
            mask = malloc(to + 1);
            CHECK(mask != NULL);
            for (size_t r = 0; r < to; r++) {
                mask[r] = (uint8_t)((r * 7 + mode) % 3 != 0);
            }
        }
        if ((mode & 2) && to > 0) {
            from = (mode >> 2) % to;
        }
        rc = pq_writer_write(w, bs[k], from, to, mask, &err);
        CHECK(rc == 0);
        for (size_t r = from; r < to; r++) {
            if (mask != NULL && !mask[r]) {
                continue;
            }
            if (ref.nrows == refcap) {
                refcap = refcap ? refcap * 2 : 64;
                ref.v = realloc(ref.v, refcap * ncols * sizeof(*ref.v));
                CHECK(ref.v != NULL);
            }
            for (size_t c = 0; c < ncols; c++) {
                batch_get(bs[k], r, c, &ref.v[ref.nrows * ncols + c]);
            }
            ref.nrows++;
        }
        free(mask);
    }
    uint64_t written = 0;
    CHECK(pq_writer_close(w, &written, &err) == 0);
    CHECK(written == ref.nrows);

    uint8_t *data;
    size_t len;
    read_file(path, &data, &len);
    unlink(path);
    check_read(data, len, cols, ncols, &ref);
    free(data);
    free(ref.v);
    for (size_t k = 0; k < nb; k++) {
        batch_destroy(bs[k]);
    }
}

static void fuzz_read(const uint8_t *data, size_t len)
{
    struct pqr_file f;
    struct sl_error err = {0};
    if (pqr_open(&f, data, len, &err) != 0) {
        return;
    }
    for (size_t c = 0; c < f.ncols && c < 64; c++) {
        struct pqr_column col;
        struct sl_error e2 = {0};
        (void)pqr_leaf_type(pqr_leaf(&f, c));
        for (size_t g = 0; g < f.nrg; g++) {
            (void)pqr_chunk_meta(&f, g, c);
        }
        if (pqr_read_column(&f, c, &col, &e2) == 0) {
            pqr_column_free(&col);
        }
    }
    pqr_close(&f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 65536) {
        return 0;
    }
    if (data[0] & 1) {
        fuzz_read(data + 1, size - 1);
        return 0;
    }
    struct in in = {data + 1, size - 1};
    fuzz_write(&in);
    return 0;
}
