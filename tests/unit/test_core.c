/* test_core.c - strbuf (JSON/CSV escaping, caps), keyset, batch, fs name variants. */
#include "testutil.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/batch.h"
#include "core/fs.h"
#include "core/keyset.h"
#include "core/strbuf.h"

static void test_json_escaping(void **state)
{
    (void)state;
    struct strbuf sb = STRBUF_INIT;
    sb_json_str(&sb, "a\"b\\c\n\x01\xc3\xa9\xff", 10);
    assert_string_equal(sb_cstr(&sb), "\"a\\\"b\\\\c\\n\\u0001\xc3\xa9\\ufffd\"");
    sb_reset(&sb);
    sb_json_num(&sb, 0.1);
    sb_adds(&sb, " ");
    sb_json_num(&sb, 1.0 / 0.0);
    assert_string_equal(sb_cstr(&sb), "0.1 null");
    sb_free(&sb);
}

static void test_csv_field_quoting(void **state)
{
    (void)state;
    struct strbuf sb = STRBUF_INIT;
    sb_csv_field(&sb, "plain", 5, ',');
    sb_addc(&sb, '|');
    sb_csv_field(&sb, "a,\"b\"\n", 6, ',');
    assert_string_equal(sb_cstr(&sb), "plain|\"a,\"\"b\"\"\n\"");
    sb_free(&sb);
}

static void test_strbuf_cap_is_sticky(void **state)
{
    (void)state;
    struct strbuf sb = STRBUF_INIT;
    sb.limit = 8;
    sb_adds(&sb, "12345");
    sb_adds(&sb, "67890");
    assert_true(sb.failed);
    sb_adds(&sb, "x");
    assert_string_equal(sb_cstr(&sb), "");
    sb_free(&sb);
}

static void test_keyset(void **state)
{
    (void)state;
    struct keyset *k = keyset_create();
    uint64_t first = 0;
    char key[16];
    for (int i = 0; i < 100000; i++) {
        int n = snprintf(key, sizeof(key), "k%d", i);
        assert_int_equal(keyset_insert(k, key, (size_t)n, (uint64_t)i + 2, &first), 1);
    }
    assert_int_equal(keyset_insert(k, "k777", 4, 1, &first), 0);
    assert_int_equal(first, 779);
    assert_int_equal(keyset_insert(k, "", 0, 5, &first), 1);
    assert_int_equal(keyset_insert(k, "", 0, 6, &first), 0);
    assert_int_equal(first, 5);
    assert_int_equal(keyset_count(k), 100001);
    keyset_clear(k);
    assert_int_equal(keyset_insert(k, "k777", 4, 1, &first), 1);
    keyset_destroy(k);
}

static void test_keyset_i64_run_and_out_of_order(void **state)
{
    (void)state;
    struct keyset *k = keyset_create();
    uint64_t first = 0;
    /* increasing ids with gaps: the sorted run */
    for (int64_t i = 0; i < 50000; i++) {
        assert_int_equal(keyset_insert_i64(k, i * 3, (uint64_t)i + 2, &first), 1);
    }
    assert_int_equal(keyset_insert_i64(k, 300, 9, &first), 0); /* in the run */
    assert_int_equal(first, 102);
    assert_int_equal(keyset_insert_i64(k, 301, 9, &first), 1); /* a gap: out of order */
    assert_int_equal(keyset_insert_i64(k, 301, 10, &first), 0);
    assert_int_equal(first, 9);
    assert_int_equal(keyset_insert_i64(k, -5, 11, &first), 1);
    assert_int_equal(keyset_insert_i64(k, 1000000, 12, &first), 1); /* run continues */
    assert_int_equal(keyset_insert_i64(k, 1000000, 13, &first), 0);
    assert_int_equal(first, 12);
    assert_int_equal(keyset_insert_i64(k, INT64_MIN, 14, &first), 1);
    assert_int_equal(keyset_insert_i64(k, INT64_MIN, 15, &first), 0);
    assert_int_equal(keyset_count(k), 50004);
    keyset_clear(k);
    assert_int_equal(keyset_insert_i64(k, 300, 1, &first), 1);
    keyset_destroy(k);
}

/* The compressed run against a plain reference, on key streams that mix consecutive ids
 * (uniform blocks), gaps, lines that jump, repeats, out-of-order keys and the extremes. */
static void test_keyset_i64_random(void **state)
{
    (void)state;
    enum { N = 60000 };
    static int64_t seen_key[N];
    static uint64_t seen_line[N];
    size_t nseen = 0;
    struct keyset *k = keyset_create();
    assert_non_null(k);
    srand(7);
    int64_t next = -1000;
    uint64_t line = 1;
    for (int i = 0; i < N; i++) {
        int64_t key;
        int r = rand() % 100;
        if (r < 70) {
            key = next++; /* consecutive */
        } else if (r < 80) {
            next += rand() % 1000;
            key = next++; /* a gap */
        } else if (r < 92 && nseen > 0) {
            key = seen_key[(size_t)rand() % nseen]; /* a repeat, anywhere */
        } else if (r < 97) {
            key = next - 1 - rand() % 5000; /* below the run's end: maybe new */
        } else {
            key = r % 2 ? INT64_MIN + rand() % 3 : INT64_MAX - rand() % 3;
        }
        line += 1 + (uint64_t)(rand() % 8 == 0 ? rand() % 50 : 0);
        uint64_t want_line = 0;
        int present = 0;
        for (size_t j = 0; j < nseen && !present; j++) {
            if (seen_key[j] == key) {
                present = 1;
                want_line = seen_line[j];
            }
        }
        uint64_t first = 0;
        int got = keyset_insert_i64(k, key, line, &first);
        if (present) {
            assert_int_equal(got, 0);
            assert_int_equal(first, want_line);
        } else {
            assert_int_equal(got, 1);
            seen_key[nseen] = key;
            seen_line[nseen++] = line;
        }
        if (key == INT64_MAX - 2 || key == INT64_MAX - 1 || key == INT64_MAX) {
            next = INT64_MIN / 2; /* the run ends at the top; start lower, out of order */
        }
    }
    assert_int_equal(keyset_count(k), nseen);
    /* 100,000 consecutive ids on consecutive lines cost a block header per 128 keys */
    keyset_destroy(k);
    k = keyset_create();
    assert_non_null(k);
    uint64_t first_dummy_ = 0;
    for (int64_t i = 0; i < 100000; i++) {
        assert_int_equal(keyset_insert_i64(k, 5000000 + i, (uint64_t)i + 2, &first_dummy_), 1);
    }
    assert_true(keyset_bytes(k) < 100000 * 2);
    keyset_destroy(k);
}

static void test_batch_rows_and_abort(void **state)
{
    (void)state;
    enum sl_type types[] = {SL_T_INT, SL_T_STR, SL_T_NUM};
    struct batch *b = batch_create(types, 3, 4);
    assert_non_null(b);
    struct sl_value v = {SL_T_INT, {.i = 7}};
    struct sl_value s = {SL_T_STR, {.s = {"hello", 5}}};
    struct sl_value nul = {SL_T_NULL, {.i = 0}};
    assert_int_equal(batch_set(b, 0, &v), 0);
    assert_int_equal(batch_set(b, 1, &s), 0);
    assert_int_equal(batch_set(b, 2, &nul), 0);
    assert_int_equal(batch_row_commit(b, 2, "7,hello,", 8), 0);
    /* a pending row that is aborted leaves nothing behind */
    s.u.s.p = "discarded";
    s.u.s.n = 9;
    assert_int_equal(batch_set(b, 1, &s), 0);
    batch_row_abort(b);
    s.u.s.p = "yo";
    s.u.s.n = 2;
    assert_int_equal(batch_set(b, 0, &v), 0);
    assert_int_equal(batch_set(b, 1, &s), 0);
    assert_int_equal(batch_set(b, 2, &nul), 0);
    assert_int_equal(batch_row_commit(b, 3, "7,yo,", 5), 0);
    struct sl_value out;
    batch_get(b, 1, 1, &out);
    assert_int_equal(out.u.s.n, 2);
    assert_memory_equal(out.u.s.p, "yo", 2);
    batch_get(b, 0, 1, &out);
    assert_memory_equal(out.u.s.p, "hello", 5);
    batch_get(b, 0, 2, &out);
    assert_int_equal(out.type, SL_T_NULL);
    assert_int_equal(b->raw_off[2] - b->raw_off[1], 5);
    assert_int_equal(batch_bytes(b), 7 + 13);
    batch_clear(b);
    assert_int_equal(b->nrows, 0);
    batch_destroy(b);
}

static uint64_t batch_rng_state = UINT64_C(0x853C49E6748FEA9B);

static uint64_t batch_rng(void)
{
    batch_rng_state ^= batch_rng_state << 13;
    batch_rng_state ^= batch_rng_state >> 7;
    batch_rng_state ^= batch_rng_state << 17;
    return batch_rng_state;
}

static void assert_same_batches(const struct batch *a, const struct batch *b)
{
    assert_int_equal(a->nrows, b->nrows);
    assert_int_equal(batch_bytes(a), batch_bytes(b));
    for (size_t r = 0; r < a->nrows; r++) {
        assert_true(a->line[r] == b->line[r]);
        size_t n = a->raw_off[r + 1] - a->raw_off[r];
        assert_int_equal(n, b->raw_off[r + 1] - b->raw_off[r]);
        assert_memory_equal(a->raw + a->raw_off[r], b->raw + b->raw_off[r], n ? n : 1);
        for (size_t c = 0; c < a->ncols; c++) {
            struct sl_value x, y;
            batch_get(a, r, c, &x);
            batch_get(b, r, c, &y);
            assert_int_equal(x.type, y.type);
            if (x.type == SL_T_STR) {
                assert_int_equal(x.u.s.n, y.u.s.n);
                if (x.u.s.n > 0 && memcmp(x.u.s.p, y.u.s.p, x.u.s.n) != 0) {
                    fail_msg("row %zu col %zu: '%.*s' vs '%.*s'", r, c, (int)x.u.s.n, x.u.s.p,
                             (int)y.u.s.n, y.u.s.p);
                }
            } else if (x.type == SL_T_NUM) {
                assert_memory_equal(&x.u.d, &y.u.d, sizeof(double));
            } else if (x.type == SL_T_DATE) {
                assert_int_equal(x.u.days, y.u.days);
            } else if (x.type == SL_T_BOOL) {
                assert_int_equal(x.u.b, y.u.b);
            } else if (x.type != SL_T_NULL) {
                assert_true(x.u.i == y.u.i);
            }
        }
    }
}

/* batch_append_row against batch_set of every column plus batch_row_commit: the same rows
 * through fills, aborts, compactions and clears, with strings of every short length (the
 * inline copies) and long ones. */
static void test_batch_append_row(void **state)
{
    (void)state;
    enum sl_type types[] = {SL_T_INT, SL_T_STR, SL_T_NUM, SL_T_DATE,
                            SL_T_DATETIME, SL_T_BOOL, SL_T_STR};
    enum { NC = sizeof(types) / sizeof(types[0]), CAP = 64 };
    struct batch *a = batch_create(types, NC, CAP), *b = batch_create(types, NC, CAP);
    assert_non_null(a);
    assert_non_null(b);
    char text[256];
    for (size_t i = 0; i < sizeof(text); i++) {
        text[i] = (char)(' ' + i % 95);
    }
    uint8_t keep[CAP];
    for (int iter = 0; iter < 20000; iter++) {
        if (batch_full(a)) {
            if (batch_rng() % 2) {
                batch_clear(a);
                batch_clear(b);
            } else {
                for (size_t r = 0; r < CAP; r++) {
                    keep[r] = batch_rng() % 3 != 0;
                }
                batch_compact(a, keep);
                batch_compact(b, keep);
            }
            assert_same_batches(a, b);
        }
        struct sl_value row[NC];
        for (size_t c = 0; c < NC; c++) {
            uint64_t r = batch_rng();
            row[c].type = r % 6 == 0 ? SL_T_NULL : types[c];
            row[c].u.i = (int64_t)(r >> 3);
            switch (types[c]) {
            case SL_T_NUM:
                row[c].u.d = (double)(int64_t)(r >> 8) / 100.0;
                break;
            case SL_T_DATE:
                row[c].u.days = (int32_t)(r >> 40);
                break;
            case SL_T_BOOL:
                row[c].u.b = (int)(r >> 20) % 3; /* any non-zero is true */
                break;
            case SL_T_STR: {
                size_t n = (r >> 9) % 4 == 0 ? (size_t)((r >> 11) % 200) : (size_t)((r >> 11) % 18);
                row[c].u.s.p = text + (r >> 20) % (sizeof(text) - 200);
                row[c].u.s.n = n;
                break;
            }
            default:
                break;
            }
        }
        size_t raw_n = (size_t)(batch_rng() % 120);
        const char *raw = text + batch_rng() % (sizeof(text) - 120);
        if (batch_rng() % 10 == 0) { /* a row begun on a and abandoned */
            for (size_t c = 0; c < NC; c++) {
                struct sl_value other = row[c];
                if (other.type == SL_T_STR) {
                    other.u.s.p = text + 7;
                    other.u.s.n = (size_t)(batch_rng() % 40);
                }
                assert_int_equal(batch_set(a, c, &other), 0);
            }
            batch_row_abort(a);
        }
        for (size_t c = 0; c < NC; c++) {
            assert_int_equal(batch_set(a, c, &row[c]), 0);
        }
        assert_int_equal(batch_row_commit(a, (uint64_t)iter, raw, raw_n), 0);
        assert_int_equal(batch_append_row(b, row, (uint64_t)iter, raw, raw_n), 0);
        /* and against the row itself, not only against batch_set's shared cell code */
        for (size_t c = 0; c < NC; c++) {
            struct sl_value got;
            batch_get(b, b->nrows - 1, c, &got);
            assert_int_equal(got.type, row[c].type);
            if (got.type == SL_T_STR) {
                assert_int_equal(got.u.s.n, row[c].u.s.n);
                assert_memory_equal(got.u.s.p, row[c].u.s.p, got.u.s.n ? got.u.s.n : 0);
            } else if (got.type == SL_T_BOOL) {
                assert_int_equal(got.u.b, row[c].u.b != 0);
            }
        }
        assert_memory_equal(b->raw + b->raw_off[b->nrows - 1], raw, raw_n);
        if (iter % 97 == 0) {
            assert_same_batches(a, b);
        }
    }
    assert_same_batches(a, b);
    batch_destroy(a);
    batch_destroy(b);
}

static void test_name_variants(void **state)
{
    (void)state;
    char out[NAME_MAX + 1];
    fs_name_variant("ventas.csv", 0, out, sizeof(out));
    assert_string_equal(out, "ventas.csv");
    fs_name_variant("ventas.csv", 2, out, sizeof(out));
    assert_string_equal(out, "ventas.2.csv");
    fs_name_variant("noext", 1, out, sizeof(out));
    assert_string_equal(out, "noext.1");
    char longname[NAME_MAX + 1];
    memset(longname, 'a', NAME_MAX - 4);
    memcpy(longname + NAME_MAX - 4, ".csv", 5);
    fs_name_variant(longname, 12, out, sizeof(out));
    assert_int_equal(strlen(out), NAME_MAX);
    assert_string_equal(out + NAME_MAX - 7, ".12.csv");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_escaping),
        cmocka_unit_test(test_csv_field_quoting),
        cmocka_unit_test(test_strbuf_cap_is_sticky),
        cmocka_unit_test(test_keyset),
        cmocka_unit_test(test_keyset_i64_run_and_out_of_order),
        cmocka_unit_test(test_keyset_i64_random),
        cmocka_unit_test(test_batch_rows_and_abort),
        cmocka_unit_test(test_batch_append_row),
        cmocka_unit_test(test_name_variants),
    };
    return cmocka_run_group_tests_name("core", tests, NULL, NULL);
}
