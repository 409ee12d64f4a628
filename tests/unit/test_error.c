/* test_error.c - the error table and first-error-wins. */
#include "testutil.h"

#include "core/error.h"

static void test_codes_have_names_and_classes(void **state)
{
    (void)state;
    assert_true(SL_ENOMEM < 0);
    assert_string_equal(sl_errname(SL_ECSV), "csv_error");
    assert_string_equal(sl_errname(0), "ok");
    assert_string_equal(sl_errname(-999), "unknown_error");
    assert_int_equal(sl_errclass(SL_EBUSY), 'T');
    assert_int_equal(sl_errclass(SL_ECONFIG), 'P');
    assert_string_equal(sl_errclass_name(SL_EBUG), "bug");
}

static void test_first_error_wins(void **state)
{
    (void)state;
    struct sl_error err = {0};
    assert_int_equal(sl_error_set(&err, SL_ECSV, "line %d", 3), SL_ECSV);
    assert_int_equal(sl_error_set(&err, SL_EIO, "second"), SL_EIO);
    assert_int_equal(err.code, SL_ECSV);
    assert_string_equal(err.msg, "line 3");
    sl_error_clear(&err);
    assert_int_equal(err.code, 0);
    assert_int_equal(sl_error_set(NULL, SL_EIO, "x"), SL_EIO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_codes_have_names_and_classes),
        cmocka_unit_test(test_first_error_wins),
    };
    return cmocka_run_group_tests_name("error", tests, NULL, NULL);
}
