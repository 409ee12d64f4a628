/* test_sched.c - the daemon's timer heap (ordering, ties, cancel, many timers) and the
 * duration parser used by `sluice run`, and the watch.* config keys (K_DURATION).
 */
#include "testutil.h"

#include <stdlib.h>

#include "core/config.h"
#include "core/duration.h"
#include "daemon/sched.h"

static void test_heap_orders_by_deadline(void **state)
{
    (void)state;
    struct sched s;
    struct sched_timer t;
    int64_t next = 0;
    sched_init(&s);
    assert_int_equal(sched_next(&s, &next), 0);
    assert_int_equal(sched_add(&s, 300, 3, NULL), 0);
    assert_int_equal(sched_add(&s, 100, 1, NULL), 0);
    assert_int_equal(sched_add(&s, 200, 2, NULL), 0);
    assert_int_equal(sched_next(&s, &next), 1);
    assert_int_equal(next, 100);
    assert_int_equal(sched_pop_due(&s, 99, &t), 0);
    assert_int_equal(sched_pop_due(&s, 250, &t), 1);
    assert_int_equal(t.kind, 1);
    assert_int_equal(sched_pop_due(&s, 250, &t), 1);
    assert_int_equal(t.kind, 2);
    assert_int_equal(sched_pop_due(&s, 250, &t), 0);
    assert_int_equal(sched_count(&s), 1);
    sched_free(&s);
}

static void test_ties_fire_in_insertion_order(void **state)
{
    (void)state;
    struct sched s;
    struct sched_timer t;
    sched_init(&s);
    for (int i = 0; i < 10; i++) {
        assert_int_equal(sched_add(&s, 50, i, NULL), 0);
    }
    for (int i = 0; i < 10; i++) {
        assert_int_equal(sched_pop_due(&s, 50, &t), 1);
        assert_int_equal(t.kind, i);
    }
    sched_free(&s);
}

static void test_cancel(void **state)
{
    (void)state;
    struct sched s;
    struct sched_timer t;
    uint64_t a = 0, b = 0, c = 0;
    sched_init(&s);
    assert_int_equal(sched_add(&s, 10, 1, &a), 0);
    assert_int_equal(sched_add(&s, 20, 2, &b), 0);
    assert_int_equal(sched_add(&s, 30, 3, &c), 0);
    assert_true(a != 0 && a != b && b != c);
    assert_int_equal(sched_cancel(&s, a), 0);
    assert_int_equal(sched_cancel(&s, a), -1);
    assert_int_equal(sched_cancel(&s, 0), -1);
    assert_int_equal(sched_cancel(&s, c), 0);
    assert_int_equal(sched_pop_due(&s, 100, &t), 1);
    assert_int_equal(t.id, b);
    assert_int_equal(sched_pop_due(&s, 100, &t), 0);
    assert_int_equal(sched_cancel(&s, b), -1);
    sched_free(&s);
}

static void test_many_timers(void **state)
{
    (void)state;
    enum { N = 5000 };
    struct sched s;
    struct sched_timer t;
    uint64_t *ids = calloc(N, sizeof(*ids));
    assert_non_null(ids);
    sched_init(&s);
    srand(7);
    for (int i = 0; i < N; i++) {
        assert_int_equal(sched_add(&s, rand() % 100000, i, &ids[i]), 0);
    }
    for (int i = 0; i < N; i += 3) { /* cancel every third one */
        assert_int_equal(sched_cancel(&s, ids[i]), 0);
    }
    int64_t last = -1;
    size_t popped = 0;
    while (sched_pop_due(&s, INT64_MAX, &t)) {
        assert_true(t.deadline_ns >= last);
        assert_true(t.kind % 3 != 0);
        last = t.deadline_ns;
        popped++;
    }
    assert_int_equal(popped, N - (N + 2) / 3);
    assert_int_equal(sched_count(&s), 0);
    sched_free(&s);
    free(ids);
}

static void test_monotonic_clock_advances(void **state)
{
    (void)state;
    int64_t a = sched_now_ns(), b = sched_now_ns();
    assert_true(a > 0);
    assert_true(b >= a);
}

static int64_t dur(const char *s)
{
    int64_t ms = -42;
    if (duration_parse(s, strlen(s), &ms) != 0) {
        return -1;
    }
    return ms;
}

static void test_duration_valid(void **state)
{
    (void)state;
    assert_int_equal(dur("500ms"), 500);
    assert_int_equal(dur("5s"), 5000);
    assert_int_equal(dur("2m"), 120000);
    assert_int_equal(dur("1h"), 3600000);
    assert_int_equal(dur("5"), 5000);
    assert_int_equal(dur("0s"), 0);
    assert_int_equal(dur("0ms"), 0);
    assert_int_equal(dur("168h"), DURATION_MAX_MS);
}

static void test_duration_invalid(void **state)
{
    (void)state;
    const char *bad[] = {"", "s", "ms", "-1s", "+1s", "1.5s", "5 s", " 5s", "5S", "5sec",
                         "5d", "1hh", "5ms ", "169h", "99999999999999999999s", "0x10"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int64_t ms = -42;
        if (duration_parse(bad[i], strlen(bad[i]), &ms) != -1) {
            fail_msg("'%s' was accepted as %lld ms", bad[i], (long long)ms);
        }
    }
    int64_t ms = 0;
    assert_int_equal(duration_parse("5sx", 2, &ms), 0); /* only n bytes are read */
    assert_int_equal(ms, 5000);
}

static void test_duration_format(void **state)
{
    (void)state;
    char buf[32];
    assert_string_equal(duration_format(1500, buf, sizeof(buf)), "1500ms");
    assert_string_equal(duration_format(5000, buf, sizeof(buf)), "5s");
    assert_string_equal(duration_format(120000, buf, sizeof(buf)), "2m");
    assert_string_equal(duration_format(7200000, buf, sizeof(buf)), "2h");
    assert_string_equal(duration_format(0, buf, sizeof(buf)), "0s");
}

static void test_watch_config_keys(void **state)
{
    (void)state;
    struct config *c = NULL;
    struct sl_error err = {0};
    const char *yaml = "watch:\n  rescan: 2m\n  poll_interval: 250ms\n  settle: 0s\n";
    assert_int_equal(config_load_string(STRLEN_ARGS(yaml), "w.yaml", NULL, &c, &err), 0);
    assert_int_equal(c->watch_rescan_ms, 120000);
    assert_int_equal(c->watch_poll_interval_ms, 250);
    assert_int_equal(c->watch_settle_ms, 0);
    config_destroy(c);
    c = NULL;
    assert_int_equal(config_load_string(STRLEN_ARGS("sqlite: {table: t}\n"), "d.yaml", NULL, &c,
                                        &err), 0);
    assert_int_equal(c->watch_rescan_ms, 30000);
    assert_int_equal(c->watch_poll_interval_ms, 1000);
    assert_int_equal(c->watch_settle_ms, 1000);
    config_destroy(c);
    const char *bad[] = {"watch:\n  settle: soon\n", "watch:\n  poll_interval: 1ms\n",
                         "watch:\n  rescan: 1.5s\n", "watch:\n  rescann: 5s\n",
                         "watch:\n  settle: [1s]\n"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct sl_error e = {0};
        c = NULL;
        assert_int_equal(config_load_string(STRLEN_ARGS(bad[i]), "b.yaml", NULL, &c, &e),
                         SL_ECONFIG);
        assert_null(c);
        assert_non_null(strstr(e.msg, "b.yaml:2"));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_heap_orders_by_deadline),
        cmocka_unit_test(test_ties_fire_in_insertion_order),
        cmocka_unit_test(test_cancel),
        cmocka_unit_test(test_many_timers),
        cmocka_unit_test(test_monotonic_clock_advances),
        cmocka_unit_test(test_duration_valid),
        cmocka_unit_test(test_duration_invalid),
        cmocka_unit_test(test_duration_format),
        cmocka_unit_test(test_watch_config_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
