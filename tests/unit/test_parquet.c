/* test_parquet.c - the Parquet writer: Thrift and RLE bytes against known encodings, then
 * files written under every codec read back with pqread (values, nulls, statistics,
 * encodings, offsets), dictionary fallback, row-group splitting, empty files and errors.
 * PQ_TEST_OUT=dir keeps the files there (for checks with DuckDB and hyparquet).
 */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/batch.h"
#include "core/error.h"
#include "sink/parquet/writer_int.h"
#include "sink/parquet/parquet.h"
#include "sink/parquet/pqread.h"
#include "sink/spares.h"

static mode_t current_umask(void)
{
    mode_t m = umask(0);
    umask(m);
    return m;
}

static char dir[256];
static int keep;
static int seq;

static void tpath(char *out, size_t n, const char *name)
{
    snprintf(out, n, "%s/%s.parquet", dir, name);
    if (!keep) {
        unlink(out);
    }
}

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    uint8_t *p = malloc((size_t)n + 1);
    assert_non_null(p);
    assert_int_equal(fread(p, 1, (size_t)n, fp), (size_t)n);
    fclose(fp);
    *len = (size_t)n;
    return p;
}

/* ---- encoder bytes ---- */

static void assert_bytes(const struct pq_buf *b, const char *hex)
{
    char got[512] = "";
    for (size_t i = 0; i < b->len && i * 3 + 3 < sizeof(got); i++) {
        snprintf(got + i * 3, 4, i ? " %02x" : "%02x ", b->p[i]);
    }
    char *g = got;
    if (b->len > 0) {
        memmove(g + 2, g + 3, strlen(g + 3) + 1); /* first byte was written "xx " */
    }
    assert_string_equal(got, hex);
}

static void test_thrift_bytes(void **state)
{
    (void)state;
    struct pq_buf b = {0};
    struct th_enc t;
    th_init(&t, &b);
    th_begin(&t);
    th_str(&t, 4, "schema");
    th_i32(&t, 5, 3);
    th_end(&t);
    assert_bytes(&b, "48 06 73 63 68 65 6d 61 15 06 00");

    b.len = 0;
    struct pq_column col = {"a", SL_T_STR, 0};
    struct pq_options opt = {0};
    struct pq_buf rgs = {0};
    assert_int_equal(pq_meta_footer(&b, &col, 1, &opt, 0, 0, &rgs), 0);
    /* the leaf inside: type, repetition, name, converted_type, logicalType */
    const char leaf[] = "\x15\x0c\x25\x02\x18\x01\x61\x25\x00\x4c\x1c\x00\x00\x00";
    assert_non_null(memmem(b.p, b.len, leaf, sizeof(leaf) - 1));

    b.len = 0;
    assert_int_equal(pq_meta_page_header(&b, 0, 300, 120, 100, PQE_PLAIN), 0);
    assert_bytes(&b, "15 00 15 d8 04 15 f0 01 2c 15 c8 01 15 00 15 06 15 06 00 00");

    b.len = 0;
    th_init(&t, &b);
    th_begin(&t);
    th_i64(&t, 17, 1);
    th_i16(&t, 3, -1);
    th_bool(&t, 4, 1);
    th_i8(&t, 20, 64);
    th_end(&t);
    assert_bytes(&b, "06 22 02 04 06 01 11 03 28 40 00");
    assert_int_equal(th_failed(&t), 0);
    th_end(&t);
    assert_int_equal(th_failed(&t), -1);
    pq_buf_free(&b);
}

static void test_rle_bytes(void **state)
{
    (void)state;
    struct pq_buf b = {0};
    uint32_t ones[10] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
    uint32_t mix[10] = {1, 0, 1, 1, 0, 1, 1, 1, 0, 1};
    pq_rle_encode(&b, ones, 10, 1);
    assert_bytes(&b, "14 01");
    b.len = 0;
    pq_rle_encode(&b, mix, 10, 1);
    assert_bytes(&b, "05 ed 02");
    b.len = 0;
    uint32_t w9[3] = {300, 300, 5};
    pq_rle_encode(&b, w9, 3, 9);
    assert_bytes(&b, "03 2c 59 16 00 00 00 00 00 00");
    assert_int_equal(pq_bit_width(1), 1);
    assert_int_equal(pq_bit_width(2), 1);
    assert_int_equal(pq_bit_width(3), 2);
    assert_int_equal(pq_bit_width(256), 8);
    assert_int_equal(pq_bit_width(257), 9);
    pq_buf_free(&b);
}

/* ---- write, read back, compare ---- */

static const enum pq_codec codecs[] = {PQ_NONE, PQ_SNAPPY, PQ_GZIP, PQ_ZSTD};
static const char *const codec_names[] = {"none", "snappy", "gzip", "zstd"};

static struct batch *make_batch(const struct pq_column *cols, size_t ncols, size_t cap)
{
    enum sl_type types[16];
    assert_true(ncols <= 16);
    for (size_t c = 0; c < ncols; c++) {
        types[c] = cols[c].type;
    }
    struct batch *b = batch_create(types, ncols, cap);
    assert_non_null(b);
    return b;
}

static void commit(struct batch *b)
{
    assert_int_equal(batch_row_commit(b, b->nrows + 1, "", 0), 0);
}

static int codec_of(const struct pqr_file *f)
{
    return (int)th_get_int(pqr_chunk_meta(f, 0, 0), 4, -1);
}

/* Every selected row of the batches reads back equal, in order. */
static void check_values(const struct pqr_file *f, struct batch *const *bs, size_t nb,
                         const uint8_t *mask)
{
    for (size_t c = 0; c < f->ncols; c++) {
        struct pqr_column col;
        struct sl_error err = {0};
        assert_int_equal(pqr_read_column(f, c, &col, &err), 0);
        size_t r = 0;
        for (size_t k = 0; k < nb; k++) {
            for (size_t i = 0; i < bs[k]->nrows; i++) {
                if (mask != NULL && !mask[i]) {
                    continue;
                }
                struct sl_value v;
                batch_get(bs[k], i, c, &v);
                assert_true(r < col.n);
                assert_int_equal(col.null[r], v.type == SL_T_NULL);
                switch (v.type) {
                case SL_T_INT:
                    assert_true(col.i64[r] == v.u.i);
                    break;
                case SL_T_DATETIME:
                    assert_true(col.i64[r] == v.u.us);
                    break;
                case SL_T_DATE:
                    assert_true(col.i64[r] == v.u.days);
                    break;
                case SL_T_BOOL:
                    assert_true(col.i64[r] == v.u.b);
                    break;
                case SL_T_NUM:
                    assert_memory_equal(&col.f64[r], &v.u.d, 8);
                    break;
                case SL_T_STR:
                    assert_int_equal(col.off[r + 1] - col.off[r], v.u.s.n);
                    if (v.u.s.n > 0) {
                        assert_memory_equal(col.data + col.off[r], v.u.s.p, v.u.s.n);
                    }
                    break;
                default:
                    break;
                }
                r++;
            }
        }
        assert_int_equal(r, col.n);
        pqr_column_free(&col);
    }
}

/* Offsets and sizes: chunks inside the file, in order, dictionary before data. */
static void check_layout(const struct pqr_file *f, size_t footer_start)
{
    int64_t prev_end = 4, rows = 0;
    const struct th_node *rgs = th_get(&f->meta, 4);
    for (size_t g = 0; g < f->nrg; g++) {
        int64_t rg_rows = th_get_int(&rgs->kids[g], 3, -1), comp = 0;
        assert_true(rg_rows > 0);
        rows += rg_rows;
        for (size_t c = 0; c < f->ncols; c++) {
            const struct th_node *cm = pqr_chunk_meta(f, g, c);
            int64_t data = th_get_int(cm, 9, -1), dict = th_get_int(cm, 11, 0);
            int64_t start = dict ? dict : data;
            if (dict) {
                assert_true(dict < data);
            }
            if (c == 0) {
                assert_int_equal(th_get_int(&rgs->kids[g], 5, -1), start);
            }
            assert_int_equal(start, prev_end);
            prev_end = start + th_get_int(cm, 7, -1);
            comp += th_get_int(cm, 7, -1);
            assert_int_equal(th_get_int(cm, 5, -1), rg_rows);
            assert_non_null(th_get(cm, 12));
        }
        assert_int_equal(th_get_int(&rgs->kids[g], 6, -1), comp);
    }
    assert_int_equal(prev_end, (int64_t)footer_start);
    assert_int_equal(rows, f->num_rows);
}

struct written {
    uint8_t *data;
    size_t len;
    struct pqr_file f;
};

static void write_file(const char *name, const struct pq_column *cols, size_t ncols,
                       const struct pq_options *opt, struct batch *const *bs, size_t nb,
                       const uint8_t *mask, struct written *out)
{
    char path[512];
    struct pq_writer *w;
    struct sl_error err = {0};
    uint64_t rows = 0, want = 0;
    tpath(path, sizeof(path), name);
    assert_int_equal(pq_writer_open(path, cols, ncols, opt, &w, &err), 0);
    for (size_t k = 0; k < nb; k++) {
        assert_int_equal(pq_writer_write(w, bs[k], 0, bs[k]->nrows, mask, &err), 0);
        for (size_t i = 0; i < bs[k]->nrows; i++) {
            want += mask == NULL || mask[i];
        }
    }
    assert_int_equal(pq_writer_close(w, &rows, &err), 0);
    assert_int_equal(rows, want);
    out->data = slurp(path, &out->len);
    assert_int_equal(pqr_open(&out->f, out->data, out->len, &err), 0);
    assert_int_equal(out->f.num_rows, (int64_t)want);
    uint32_t flen;
    memcpy(&flen, out->data + out->len - 8, 4);
    check_layout(&out->f, out->len - 8 - flen);
    check_values(&out->f, bs, nb, mask);
    if (!keep) {
        unlink(path);
    }
}

static void written_free(struct written *w)
{
    pqr_close(&w->f);
    free(w->data);
}

static const struct pq_column all_cols[] = {
    {"id", SL_T_INT, 1},   {"price", SL_T_NUM, 0}, {"name", SL_T_STR, 0},
    {"ok", SL_T_BOOL, 0},  {"day", SL_T_DATE, 0},  {"at", SL_T_DATETIME, 0},
    {"kind", SL_T_STR, 1}, {"flag", SL_T_BOOL, 1}, {"qty", SL_T_INT, 0},
};

static void fill_all(struct batch *b, size_t n, int nulls)
{
    static const char *const kinds[] = {"card", "cash", "transfer", "ñandú 🦆"};
    char s[64];
    for (size_t i = 0; i < n; i++) {
        struct sl_value v;
        v.type = SL_T_INT;
        v.u.i = (int64_t)i * 7919 - 5000;
        batch_set(b, 0, &v);
        v.type = nulls && i % 5 == 0 ? SL_T_NULL : SL_T_NUM;
        v.u.d = (double)i * 0.25 - 3.0;
        batch_set(b, 1, &v);
        snprintf(s, sizeof(s), i % 3 ? "name-%zu" : "", i % 50);
        v.type = nulls && i % 7 == 3 ? SL_T_NULL : SL_T_STR;
        v.u.s.p = s;
        v.u.s.n = strlen(s);
        batch_set(b, 2, &v);
        v.type = nulls && i % 11 == 0 ? SL_T_NULL : SL_T_BOOL;
        v.u.b = i % 3 == 0;
        batch_set(b, 3, &v);
        v.type = nulls && i % 13 == 1 ? SL_T_NULL : SL_T_DATE;
        v.u.days = -1000 + (int32_t)i;
        batch_set(b, 4, &v);
        v.type = nulls && i % 2 ? SL_T_NULL : SL_T_DATETIME;
        v.u.us = (int64_t)i * 1000003 - 86400000000LL;
        batch_set(b, 5, &v);
        v.type = SL_T_STR;
        v.u.s.p = kinds[i % 4];
        v.u.s.n = strlen(kinds[i % 4]);
        batch_set(b, 6, &v);
        v.type = SL_T_BOOL;
        v.u.b = (i * 7) % 5 < 2;
        batch_set(b, 7, &v);
        v.type = nulls && i % 3 ? SL_T_NULL : SL_T_INT;
        v.u.i = (int64_t)(i % 9);
        batch_set(b, 8, &v);
        commit(b);
    }
}

static void check_stats_i64(const struct th_node *cm, int64_t min, int64_t max, int64_t nulls)
{
    const struct th_node *st = th_get(cm, 12);
    assert_int_equal(th_get_int(st, 3, -1), nulls);
    const struct th_node *lo = th_get(st, 6), *hi = th_get(st, 5);
    assert_non_null(lo);
    assert_non_null(hi);
    assert_int_equal(lo->n, 8);
    int64_t a, b;
    memcpy(&a, lo->p, 8);
    memcpy(&b, hi->p, 8);
    assert_true(a == min);
    assert_true(b == max);
}

static void test_all_types_every_codec(void **state)
{
    (void)state;
    for (int nulls = 0; nulls <= 1; nulls++) {
        struct batch *b = make_batch(all_cols, 9, 3000);
        fill_all(b, 3000, nulls);
        for (size_t k = 0; k < 4; k++) {
            struct pq_options opt = {0};
            const char *keys[] = {"contract", "source"}, *vals[] = {"{\"x\":1}", NULL};
            struct written wr;
            char name[64];
            opt.codec = codecs[k];
            opt.created_by = "sluice version 0.1.0 (build test)";
            opt.nkv = 2;
            opt.kv_keys = keys;
            opt.kv_values = vals;
            opt.page_rows = 1000;
            snprintf(name, sizeof(name), "all_%s_%s", nulls ? "nulls" : "full", codec_names[k]);
            write_file(name, all_cols, 9, &opt, &b, 1, NULL, &wr);
            assert_int_equal(codec_of(&wr.f), pq_codec_thrift(codecs[k]));
            assert_int_equal(wr.f.nrg, 1);
            const struct th_node *cb = th_get(&wr.f.meta, 6);
            assert_non_null(cb);
            assert_memory_equal(cb->p, opt.created_by, cb->n);
            const struct th_node *kv = th_get(&wr.f.meta, 5);
            assert_int_equal(kv->n, 2);
            assert_null(th_get(&kv->kids[1], 2));
            assert_int_equal(th_get(&wr.f.meta, 7)->n, 9);
            assert_int_equal(th_get_int(&wr.f.meta, 1, 0), 1);
            /* types and annotations */
            assert_int_equal(pqr_leaf_type(pqr_leaf(&wr.f, 5)), SL_T_DATETIME);
            assert_int_equal(th_get_int(pqr_leaf(&wr.f, 0), 6, -1), 18);
            assert_int_equal(th_get_int(pqr_leaf(&wr.f, 0), 3, -1), 0);
            assert_int_equal(th_get_int(pqr_leaf(&wr.f, 1), 3, -1), 1);
            assert_int_equal(th_get_int(pqr_leaf(&wr.f, 4), 6, -1), 6);
            assert_int_equal(th_get_int(pqr_leaf(&wr.f, 5), 6, -1), 10);
            check_stats_i64(pqr_chunk_meta(&wr.f, 0, 0), -5000, 2999 * 7919 - 5000, 0);
            check_stats_i64(pqr_chunk_meta(&wr.f, 0, 5), -86400000000LL,
                            (int64_t)(nulls ? 2998 : 2999) * 1000003 - 86400000000LL,
                            nulls ? 1500 : 0);
            /* kind: 4 values, dictionary only (dictionary page + data pages) */
            const struct th_node *kind = pqr_chunk_meta(&wr.f, 0, 6);
            assert_true(th_get_int(kind, 11, 0) > 0);
            const struct th_node *es = th_get(kind, 13);
            assert_int_equal(es->n, 2);
            assert_int_equal(th_get_int(&es->kids[1], 2, -1), PQE_RLE_DICTIONARY);
            /* 3,000 rows in pages of 1,000, but column 6 of 9 ends its first page after
             * 7/9 of one (pages fill at different rows in different columns): 4 pages */
            assert_int_equal(th_get_int(&es->kids[1], 3, -1), 4);
            /* string stats are bytewise: "card" < ... < "ñandú" */
            const struct th_node *st = th_get(kind, 12);
            assert_memory_equal(th_get(st, 6)->p, "card", 4);
            assert_int_equal(th_get(st, 5)->n, strlen("ñandú 🦆"));
            /* booleans: never dictionary */
            assert_int_equal(th_get_int(pqr_chunk_meta(&wr.f, 0, 7), 11, 0), 0);
            written_free(&wr);
        }
        batch_destroy(b);
    }
}

static void test_all_null_column(void **state)
{
    (void)state;
    struct pq_column cols[] = {{"x", SL_T_STR, 0}, {"y", SL_T_NUM, 0}, {"z", SL_T_INT, 1}};
    struct batch *b = make_batch(cols, 3, 100);
    for (int i = 0; i < 100; i++) {
        struct sl_value nul = {.type = SL_T_NULL}, v = {.type = SL_T_INT, .u.i = i};
        batch_set(b, 0, &nul);
        batch_set(b, 1, &nul);
        batch_set(b, 2, &v);
        commit(b);
    }
    struct pq_options opt = {.codec = PQ_NONE};
    struct written wr;
    write_file("all_null", cols, 3, &opt, &b, 1, NULL, &wr);
    for (size_t c = 0; c < 2; c++) {
        const struct th_node *cm = pqr_chunk_meta(&wr.f, 0, c);
        assert_int_equal(th_get_int(cm, 11, 0), 0); /* no (empty) dictionary page */
        const struct th_node *st = th_get(cm, 12);
        assert_int_equal(th_get_int(st, 3, -1), 100);
        assert_null(th_get(st, 5));
        assert_null(th_get(st, 6));
    }
    written_free(&wr);
    batch_destroy(b);
}

static void test_int_and_double_extremes(void **state)
{
    (void)state;
    struct pq_column cols[] = {{"i", SL_T_INT, 0}, {"d", SL_T_NUM, 0}, {"z", SL_T_NUM, 1},
                               {"nan", SL_T_NUM, 1}};
    const int64_t ints[] = {0, INT64_MAX, -1, INT64_MIN, 42};
    const double ds[] = {1e308, -0.0, -1e308, 4.9e-324, 0.0};
    const double zs[] = {0.0, 1.5, 0.0, 2.5, 3.0};
    const double ns[] = {1.0, NAN, -2.0, INFINITY, 0.5};
    struct batch *b = make_batch(cols, 4, 5);
    for (int i = 0; i < 5; i++) {
        struct sl_value v = {.type = SL_T_INT, .u.i = ints[i]};
        batch_set(b, 0, &v);
        v.type = SL_T_NUM;
        v.u.d = ds[i];
        batch_set(b, 1, &v);
        v.u.d = zs[i];
        batch_set(b, 2, &v);
        v.u.d = ns[i];
        batch_set(b, 3, &v);
        commit(b);
    }
    struct written wr;
    write_file("extremes", cols, 4, NULL, &b, 1, NULL, &wr);
    check_stats_i64(pqr_chunk_meta(&wr.f, 0, 0), INT64_MIN, INT64_MAX, 0);
    const struct th_node *st = th_get(pqr_chunk_meta(&wr.f, 0, 1), 12);
    double lo, hi;
    memcpy(&lo, th_get(st, 6)->p, 8);
    memcpy(&hi, th_get(st, 5)->p, 8);
    assert_true(lo == -1e308 && hi == 1e308);
    st = th_get(pqr_chunk_meta(&wr.f, 0, 2), 12);
    memcpy(&lo, th_get(st, 6)->p, 8);
    memcpy(&hi, th_get(st, 5)->p, 8);
    assert_true(lo == 0.0 && signbit(lo)); /* a zero min is written -0.0 */
    assert_true(hi == 3.0);
    st = th_get(pqr_chunk_meta(&wr.f, 0, 3), 12);
    assert_null(th_get(st, 5)); /* NaN in the chunk: no bounds */
    assert_null(th_get(st, 6));
    assert_int_equal(th_get_int(st, 3, -1), 0);
    written_free(&wr);
    batch_destroy(b);

    /* all zeros, +0 only: min -0.0, max +0.0 */
    struct pq_column zc[] = {{"z", SL_T_NUM, 1}};
    b = make_batch(zc, 1, 3);
    for (int i = 0; i < 3; i++) {
        struct sl_value v = {.type = SL_T_NUM, .u.d = 0.0};
        batch_set(b, 0, &v);
        commit(b);
    }
    write_file("zeros", zc, 1, NULL, &b, 1, NULL, &wr);
    st = th_get(pqr_chunk_meta(&wr.f, 0, 0), 12);
    memcpy(&lo, th_get(st, 6)->p, 8);
    memcpy(&hi, th_get(st, 5)->p, 8);
    assert_true(lo == 0.0 && signbit(lo) && hi == 0.0 && !signbit(hi));
    written_free(&wr);
    batch_destroy(b);
}

static void test_unicode_and_long_strings(void **state)
{
    (void)state;
    struct pq_column cols[] = {{"s", SL_T_STR, 0}};
    const char *const u[] = {"日本語テキスト", "e\xcc\x81", "😀🎉", "", "Ωmega", "zz"};
    size_t big = 100 * 1024;
    char *long_s = malloc(big);
    assert_non_null(long_s);
    for (size_t i = 0; i < big; i++) {
        long_s[i] = (char)('a' + i % 26);
    }
    memcpy(long_s, "\xf4\x8f\xbf\xbf", 4); /* U+10FFFF: sorts last, the max */
    struct batch *b = make_batch(cols, 1, 20);
    for (int i = 0; i < 20; i++) {
        struct sl_value v = {.type = SL_T_STR};
        if (i == 7) {
            v.type = SL_T_NULL;
        } else if (i % 6 == 5) {
            v.u.s.p = long_s;
            v.u.s.n = big - (size_t)i;
        } else {
            v.u.s.p = u[i % 6];
            v.u.s.n = strlen(u[i % 6]);
        }
        batch_set(b, 0, &v);
        commit(b);
    }
    for (size_t k = 0; k < 4; k++) {
        struct pq_options opt = {.codec = codecs[k]};
        struct written wr;
        char name[64];
        snprintf(name, sizeof(name), "unicode_%s", codec_names[k]);
        write_file(name, cols, 1, &opt, &b, 1, NULL, &wr);
        const struct th_node *st = th_get(pqr_chunk_meta(&wr.f, 0, 0), 12);
        assert_int_equal(th_get_int(st, 3, -1), 1);
        assert_null(th_get(st, 5)); /* the 100 KB max is not written */
        written_free(&wr);
    }
    batch_destroy(b);
    free(long_s);
}

static void test_dictionary_fallback(void **state)
{
    (void)state;
    struct pq_column cols[] = {{"s", SL_T_STR, 0}, {"low", SL_T_INT, 1},
                               {"uniq", SL_T_INT, 1}};
    struct batch *b = make_batch(cols, 3, 5000);
    char s[200];
    for (int i = 0; i < 5000; i++) {
        /* first 1000 rows: 10 values; then every value distinct and long */
        int key = i < 1000 ? i % 10 : i;
        memset(s, 'x', sizeof(s));
        int n = snprintf(s, sizeof(s), "value number %d ", key);
        s[n] = 'x';
        struct sl_value v = {.type = SL_T_STR, .u.s = {s, 150}};
        batch_set(b, 0, &v);
        v.type = SL_T_INT;
        v.u.i = i % 3;
        batch_set(b, 1, &v);
        v.u.i = (int64_t)i * 1000;
        batch_set(b, 2, &v);
        commit(b);
    }
    struct pq_options opt = {.codec = PQ_NONE, .dict_max_bytes = 64 * 1024, .page_rows = 500};
    struct written wr;
    write_file("fallback", cols, 3, &opt, &b, 1, NULL, &wr);
    const struct th_node *cm = pqr_chunk_meta(&wr.f, 0, 0);
    assert_true(th_get_int(cm, 11, 0) > 0);
    const struct th_node *enc = th_get(cm, 2), *es = th_get(cm, 13);
    assert_int_equal(enc->n, 3); /* PLAIN, RLE, RLE_DICTIONARY */
    assert_int_equal(es->n, 3);  /* dictionary page, PLAIN pages, dictionary pages */
    assert_int_equal(th_get_int(&es->kids[1], 2, -1), PQE_PLAIN);
    assert_int_equal(th_get_int(&es->kids[2], 2, -1), PQE_RLE_DICTIONARY);
    /* the low-cardinality int stays dictionary-only; the unique one falls back early */
    es = th_get(pqr_chunk_meta(&wr.f, 0, 1), 13);
    assert_int_equal(es->n, 2);
    es = th_get(pqr_chunk_meta(&wr.f, 0, 2), 13);
    assert_int_equal(es->n, 3);
    assert_true(th_get_int(&es->kids[1], 3, 0) >= 7);
    written_free(&wr);
    batch_destroy(b);
}

/* The entry count of chunk (rg, c)'s dictionary page. */
static int64_t dict_entries(const struct written *wr, size_t rg, size_t c)
{
    int64_t off = th_get_int(pqr_chunk_meta(&wr->f, rg, c), 11, 0);
    assert_true(off > 0 && (size_t)off < wr->len);
    struct pqr_arena *arena = NULL;
    struct th_node ph;
    size_t used;
    assert_int_equal(pqr_thrift_struct(&arena, wr->data + off, wr->len - (size_t)off, &ph,
                                       &used), 0);
    const struct th_node *dh = th_get(&ph, 7);
    assert_non_null(dh);
    int64_t n = th_get_int(dh, 1, -1);
    pqr_arena_free(arena);
    return n;
}

/* Keys and timestamps (every value new) leave the dictionary after PQ_MIN_DICT_CHECK
 * values, not a page; a column of 4,000 values drawn at random keeps it; strings that
 * differ in one byte anywhere in their first 24 are all distinct entries. */
static void test_dictionary_early_fallback(void **state)
{
    (void)state;
    /* "mid" first: its first page ends early (after 5,000 rows), before its values have
     * had the time to repeat; the half-distinct test must wait for more of them */
    struct pq_column cols[] = {{"mid", SL_T_INT, 1}, {"ts", SL_T_DATETIME, 0},
                               {"uniq", SL_T_INT, 1}, {"s", SL_T_STR, 0}};
    enum { ROWS = 30000, POOL = 4000 };
    struct batch *b = make_batch(cols, 4, ROWS);
    static uint8_t seen[POOL];
    memset(seen, 0, sizeof(seen));
    int64_t distinct = 0;
    uint64_t x = 88172645463325252ULL;
    static const char letters[] = "abcdefghijklmnopqrstuvwxy";
    for (int i = 0; i < ROWS; i++) {
        struct sl_value v = {.type = SL_T_INT, .u.i = (int64_t)i * 7 + 3};
        batch_set(b, 2, &v);
        v = (struct sl_value){.type = i % 9 == 0 ? SL_T_NULL : SL_T_DATETIME,
                              .u.us = 1700000000000000LL + (int64_t)i * 1000003};
        batch_set(b, 1, &v);
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v = (struct sl_value){.type = SL_T_INT, .u.i = (int64_t)(x % POOL) - 2000};
        distinct += !seen[x % POOL];
        seen[x % POOL] = 1;
        batch_set(b, 0, &v);
        char str[32];
        int len = i % 25, k = (i / 25) % (len + 1);
        memcpy(str, letters, (size_t)len);
        if (k < len) {
            str[k] = 'Z';
        }
        v = (struct sl_value){.type = SL_T_STR, .u.s = {str, (size_t)len}};
        batch_set(b, 3, &v);
        commit(b);
    }
    struct pq_options opt = {.codec = PQ_ZSTD};
    struct written wr;
    write_file("early_fallback", cols, 4, &opt, &b, 1, NULL, &wr);
    assert_int_equal(dict_entries(&wr, 0, 2), PQ_MIN_DICT_CHECK);
    assert_int_equal(dict_entries(&wr, 0, 1), PQ_MIN_DICT_CHECK);
    assert_int_equal(dict_entries(&wr, 0, 0), distinct);
    assert_int_equal(th_get(pqr_chunk_meta(&wr.f, 0, 0), 13)->n, 2); /* dictionary only */
    assert_int_equal(dict_entries(&wr, 0, 3), 325); /* 1 + 2 + ... + 25 */
    written_free(&wr);
    batch_destroy(b);
    /* the dictionary's string compare, which only hash collisions reach: one byte off at
     * any position of any length is unequal */
    uint8_t p[40], q[40];
    for (size_t n = 0; n <= sizeof(p); n++) {
        memcpy(p, letters, n < 25 ? n : 25);
        for (size_t i = 25; i < n; i++) {
            p[i] = (uint8_t)i;
        }
        memcpy(q, p, n);
        assert_true(pq_bytes_equal(p, q, n));
        for (size_t k = 0; k < n; k++) {
            q[k] ^= 0x20;
            assert_false(pq_bytes_equal(p, q, n));
            q[k] ^= 0x20;
        }
    }
}

static void test_dictionary_bit_widths(void **state)
{
    (void)state;
    static const int distinct[] = {1, 2, 255, 256, 257, 65536, 65537};
    struct pq_column cols[] = {{"v", SL_T_INT, 0}, {"d", SL_T_DATE, 1}};
    for (size_t k = 0; k < sizeof(distinct) / sizeof(distinct[0]); k++) {
        size_t n = (size_t)distinct[k] * 2 + 3;
        struct batch *b = make_batch(cols, 2, n);
        for (size_t i = 0; i < n; i++) {
            /* each value twice in a row: a dictionary, not a run of new values */
            size_t val = i / 2 % (size_t)distinct[k];
            struct sl_value v = {.type = i % 17 == 4 ? SL_T_NULL : SL_T_INT,
                                 .u.i = (int64_t)val - 3};
            batch_set(b, 0, &v);
            v.type = SL_T_DATE;
            v.u.days = (int32_t)val;
            batch_set(b, 1, &v);
            commit(b);
        }
        struct pq_options opt = {.codec = PQ_ZSTD, .page_rows = 300000}; /* one page */
        struct written wr;
        char name[64];
        snprintf(name, sizeof(name), "width_%d", distinct[k]);
        write_file(name, cols, 2, &opt, &b, 1, NULL, &wr);
        assert_int_equal(dict_entries(&wr, 0, 0), distinct[k]);
        assert_int_equal(dict_entries(&wr, 0, 1), distinct[k]);
        written_free(&wr);
        batch_destroy(b);
    }
}

static void test_many_row_groups_and_mask(void **state)
{
    (void)state;
    struct batch *b1 = make_batch(all_cols, 9, 100), *b2 = make_batch(all_cols, 9, 100);
    fill_all(b1, 100, 1);
    fill_all(b2, 100, 0);
    uint8_t mask[100];
    for (int i = 0; i < 100; i++) {
        mask[i] = i % 4 != 1;
    }
    struct batch *bs[] = {b1, b2};
    struct pq_options opt = {.codec = PQ_SNAPPY, .row_group_rows = 7, .page_rows = 3};
    struct written wr;
    write_file("row_groups", all_cols, 9, &opt, bs, 2, mask, &wr);
    assert_int_equal(wr.f.num_rows, 150);
    assert_int_equal(wr.f.nrg, 22); /* 21 x 7 + 3 */
    written_free(&wr);
    opt.row_group_rows = 50;
    opt.page_rows = 0;
    write_file("row_groups_exact", all_cols, 9, &opt, bs, 2, NULL, &wr);
    assert_int_equal(wr.f.nrg, 4);
    written_free(&wr);
    batch_destroy(b1);
    batch_destroy(b2);
}

/* More columns than one writev takes (PQ_IOV_MAX / 2 chunks per call): every chunk lands
 * where its metadata says (check_layout), across row groups. */
static void test_wide_row_groups(void **state)
{
    (void)state;
    enum { NC = 101 };
    static struct pq_column cols[NC];
    static char names[NC][16];
    enum sl_type types[NC];
    for (size_t c = 0; c < NC; c++) {
        snprintf(names[c], sizeof(names[c]), "c%zu", c);
        cols[c] = (struct pq_column){names[c], c % 2 ? SL_T_STR : SL_T_INT, c % 3 == 0};
        types[c] = cols[c].type;
    }
    struct batch *b = batch_create(types, NC, 40);
    assert_non_null(b);
    char s[32];
    for (size_t i = 0; i < 40; i++) {
        for (size_t c = 0; c < NC; c++) {
            struct sl_value v;
            if (cols[c].type == SL_T_INT) {
                v.type = SL_T_INT;
                v.u.i = (int64_t)(i * 1000 + c);
            } else {
                snprintf(s, sizeof(s), "v%zu-%zu", i % 5, c);
                v.type = SL_T_STR;
                v.u.s.p = s;
                v.u.s.n = strlen(s);
            }
            batch_set(b, c, &v);
        }
        commit(b);
    }
    struct batch *bs[] = {b};
    struct pq_options opt = {.codec = PQ_ZSTD, .zstd_level = 1, .row_group_rows = 16};
    struct written wr;
    write_file("wide", cols, NC, &opt, bs, 1, NULL, &wr);
    assert_int_equal(wr.f.ncols, NC);
    assert_int_equal(wr.f.nrg, 3); /* 16 + 16 + 8 */
    written_free(&wr);
    batch_destroy(b);
}

static void test_empty_file(void **state)
{
    (void)state;
    char path[512];
    struct pq_writer *w;
    struct sl_error err = {0};
    uint64_t rows = 99;
    tpath(path, sizeof(path), "empty");
    assert_int_equal(pq_writer_open(path, all_cols, 9, NULL, &w, &err), 0);
    assert_int_equal(pq_writer_close(w, &rows, &err), 0);
    assert_int_equal(rows, 0);
    struct written wr;
    wr.data = slurp(path, &wr.len);
    assert_int_equal(pqr_open(&wr.f, wr.data, wr.len, &err), 0);
    assert_int_equal(wr.f.num_rows, 0);
    assert_int_equal(wr.f.nrg, 0);
    assert_int_equal(wr.f.ncols, 9);
    struct pqr_column col;
    assert_int_equal(pqr_read_column(&wr.f, 2, &col, &err), 0);
    assert_int_equal(col.n, 0);
    pqr_column_free(&col);
    written_free(&wr);
    if (!keep) {
        unlink(path);
    }
}

static int always_busy(void *ctx)
{
    (void)ctx;
    return 1;
}

/* Files made ahead (spares.c): a writer's file created from a spare is a complete, named
 * file; an existing name is EEXIST and leaves the spare unused; a busy check stops the
 * fill; spares of another folder are dropped; with none held, a plain create. */
static void test_spares(void **state)
{
    (void)state;
    char path[512], path2[512];
    struct sl_error err = {0};
    spares_drop();
    spares_fill(dir, 3, always_busy, NULL);
    assert_int_equal(spares_held(), 0);
    spares_fill(dir, 3, NULL, NULL);
    assert_int_equal(spares_held(), 3); /* /tmp: ext4 or tmpfs, both have O_TMPFILE */
    tpath(path, sizeof(path), "spare");
    struct pq_options opt = {.create = spares_create};
    struct pq_writer *w;
    assert_int_equal(pq_writer_open(path, all_cols, 9, &opt, &w, &err), 0);
    assert_int_equal(spares_held(), 2);
    uint64_t rows = 99;
    assert_int_equal(pq_writer_close(w, &rows, &err), 0);
    struct written wr;
    wr.data = slurp(path, &wr.len);
    assert_int_equal(pqr_open(&wr.f, wr.data, wr.len, &err), 0);
    assert_int_equal(wr.f.ncols, 9);
    written_free(&wr);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_nlink, 1);
    assert_int_equal(st.st_mode & 0777, 0640 & ~current_umask());
    /* the name is taken: EEXIST, nothing overwritten */
    assert_int_equal(spares_create(path, 0640), -1);
    assert_int_equal(errno, EEXIST);
    assert_int_equal(stat(path, &st), 0);
    assert_true(st.st_size > 8);
    /* another folder: the spares of the first are dropped */
    snprintf(path2, sizeof(path2), "%s/sub", dir);
    assert_int_equal(mkdir(path2, 0750), 0);
    spares_fill(path2, 1, NULL, NULL);
    assert_int_equal(spares_held(), 1);
    spares_drop();
    assert_int_equal(spares_held(), 0);
    /* none held: a plain create */
    snprintf(path2, sizeof(path2), "%s/sub/plain", dir);
    int fd = spares_create(path2, 0600);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(stat(path2, &st), 0);
    unlink(path2);
    snprintf(path2, sizeof(path2), "%s/sub", dir);
    rmdir(path2);
    unlink(path);
}

static void test_errors(void **state)
{
    (void)state;
    char path[512];
    struct pq_writer *w = NULL;
    struct sl_error err = {0};
    struct pq_column dup[] = {{"Name", SL_T_INT, 0}, {"name", SL_T_STR, 0}};
    struct pq_column empty[] = {{"", SL_T_INT, 0}};
    struct pq_column untyped[] = {{"x", SL_T_NULL, 0}};
    tpath(path, sizeof(path), "errors");
    unlink(path);
    assert_int_equal(pq_writer_open(path, dup, 2, NULL, &w, &err), SL_EUSAGE);
    sl_error_clear(&err);
    assert_int_equal(pq_writer_open(path, empty, 1, NULL, &w, &err), SL_EUSAGE);
    sl_error_clear(&err);
    assert_int_equal(pq_writer_open(path, untyped, 1, NULL, &w, &err), SL_EUSAGE);
    sl_error_clear(&err);
    assert_int_equal(pq_writer_open(path, dup, 0, NULL, &w, &err), SL_EUSAGE);
    sl_error_clear(&err);
    assert_int_equal(access(path, F_OK), -1);

    /* a null in a REQUIRED column is refused before anything is taken */
    struct pq_column req[] = {{"r", SL_T_INT, 1}};
    struct batch *b = make_batch(req, 1, 4);
    struct sl_value v = {.type = SL_T_INT, .u.i = 1}, nul = {.type = SL_T_NULL};
    batch_set(b, 0, &v);
    commit(b);
    batch_set(b, 0, &nul);
    commit(b);
    assert_int_equal(pq_writer_open(path, req, 1, NULL, &w, &err), 0);
    uint8_t mask[2] = {1, 0};
    assert_int_equal(pq_writer_write(w, b, 0, 2, NULL, &err), SL_ETYPE);
    sl_error_clear(&err);
    assert_int_equal(pq_writer_write(w, b, 0, 2, mask, &err), 0);
    assert_int_equal(pq_writer_write(w, b, 1, 1, NULL, &err), 0);
    assert_int_equal(pq_writer_write(w, b, 0, 3, NULL, &err), SL_EBUG);
    sl_error_clear(&err);

    /* O_EXCL: an existing file is not overwritten */
    struct pq_writer *w2 = NULL;
    assert_int_equal(pq_writer_open(path, req, 1, NULL, &w2, &err), SL_EIO);
    assert_null(w2);
    sl_error_clear(&err);

    /* abort removes the file */
    pq_writer_abort(w);
    assert_int_equal(access(path, F_OK), -1);
    pq_writer_abort(NULL);

    /* a write error is sticky and reported at close, which removes the file */
    assert_int_equal(pq_writer_open(path, req, 1, NULL, &w, &err), 0);
    int fd = open("/dev/null", O_RDONLY);
    assert_true(fd >= 0);
    struct pq_writer_peek {
        char *path;
        int fd;
    } *peek = (struct pq_writer_peek *)w; /* test-only: swap in an unwritable fd */
    int old = peek->fd;
    peek->fd = fd;
    close(old);
    struct pq_options small = {0};
    (void)small;
    assert_int_equal(pq_writer_write(w, b, 0, 1, NULL, &err), 0);
    uint64_t rows = 7;
    assert_int_equal(pq_writer_close(w, &rows, &err), SL_EIO);
    assert_int_equal(rows, 0);
    assert_int_equal(access(path, F_OK), -1);
    batch_destroy(b);
}

static int setup_dir(void **state)
{
    (void)state;
    const char *out = getenv("PQ_TEST_OUT");
    if (out != NULL && out[0] != '\0') {
        keep = 1;
        snprintf(dir, sizeof(dir), "%s", out);
        mkdir(dir, 0750);
        return 0;
    }
    snprintf(dir, sizeof(dir), "/tmp/test_parquet.XXXXXX");
    return mkdtemp(dir) == NULL ? -1 : 0;
}

static int teardown_dir(void **state)
{
    (void)state;
    (void)seq;
    if (!keep) {
        rmdir(dir);
    }
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_thrift_bytes),
        cmocka_unit_test(test_rle_bytes),
        cmocka_unit_test(test_all_types_every_codec),
        cmocka_unit_test(test_all_null_column),
        cmocka_unit_test(test_int_and_double_extremes),
        cmocka_unit_test(test_unicode_and_long_strings),
        cmocka_unit_test(test_dictionary_fallback),
        cmocka_unit_test(test_dictionary_early_fallback),
        cmocka_unit_test(test_dictionary_bit_widths),
        cmocka_unit_test(test_many_row_groups_and_mask),
        cmocka_unit_test(test_wide_row_groups),
        cmocka_unit_test(test_empty_file),
        cmocka_unit_test(test_spares),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests_name("parquet", tests, setup_dir, teardown_dir);
}
