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
        cmocka_unit_test(test_batch_rows_and_abort),
        cmocka_unit_test(test_name_variants),
    };
    return cmocka_run_group_tests_name("core", tests, NULL, NULL);
}
