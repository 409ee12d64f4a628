/* test_obs_metrics.c - the metrics registry (src/obs/metrics*.c): the exact exposition text,
 * escaping, histograms, refused declarations and updates, the series limit, number
 * formatting, and concurrent updates. */
#include "testutil.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "obs/metrics.h"

static void test_exposition_text(void **state)
{
    (void)state;
    struct metrics *m = metrics_new();
    static const char *const status_l[] = {"status", NULL};
    static const double bounds[] = {0.1, 1};
    struct metric *c = metrics_counter(m, "sluice_files_total", "Files.\nBy status \\ x",
                                       status_l);
    struct metric *g = metrics_gauge(m, "sluice_backlog_files", "Backlog.", NULL);
    struct metric *h = metrics_histogram(m, "sluice_x_seconds", "X.", NULL, bounds, 2);
    const char *ok = "ok", *weird = "a\"b\\c\nd";
    struct strbuf sb = STRBUF_INIT;
    assert_non_null(c);
    assert_non_null(g);
    assert_non_null(h);
    assert_int_equal(metric_add(c, &ok, 2), 0);
    assert_int_equal(metric_add(c, &weird, 1), 0);
    assert_int_equal(metric_set(g, NULL, 3.5), 0);
    assert_int_equal(metric_observe(h, NULL, 0.1), 0); /* le is inclusive */
    assert_int_equal(metric_observe(h, NULL, 0.5), 0);
    assert_int_equal(metric_observe(h, NULL, 7.15), 0);
    metrics_expose(m, &sb);
    assert_string_equal(sb_cstr(&sb),
                        "# HELP sluice_files_total Files.\\nBy status \\\\ x\n"
                        "# TYPE sluice_files_total counter\n"
                        "sluice_files_total{status=\"ok\"} 2\n"
                        "sluice_files_total{status=\"a\\\"b\\\\c\\nd\"} 1\n"
                        "# HELP sluice_backlog_files Backlog.\n"
                        "# TYPE sluice_backlog_files gauge\n"
                        "sluice_backlog_files 3.5\n"
                        "# HELP sluice_x_seconds X.\n"
                        "# TYPE sluice_x_seconds histogram\n"
                        "sluice_x_seconds_bucket{le=\"0.1\"} 1\n"
                        "sluice_x_seconds_bucket{le=\"1\"} 2\n"
                        "sluice_x_seconds_bucket{le=\"+Inf\"} 3\n"
                        "sluice_x_seconds_sum 7.75\n"
                        "sluice_x_seconds_count 3\n");
    assert_true(metric_get(c, &ok) == 2);
    assert_true(metric_get(h, NULL) == 3);
    sb_free(&sb);
    metrics_free(m);
}

static void test_labelled_histogram(void **state)
{
    (void)state;
    struct metrics *m = metrics_new();
    static const char *const labels[] = {"a", "b", NULL};
    static const double bounds[] = {1};
    struct metric *h = metrics_histogram(m, "h_seconds", "H.", labels, bounds, 1);
    const char *v[] = {"x", "y"};
    struct strbuf sb = STRBUF_INIT;
    metric_observe(h, v, 2);
    metrics_expose(m, &sb);
    assert_non_null(strstr(sb_cstr(&sb), "h_seconds_bucket{a=\"x\",b=\"y\",le=\"1\"} 0\n"
                                         "h_seconds_bucket{a=\"x\",b=\"y\",le=\"+Inf\"} 1\n"
                                         "h_seconds_sum{a=\"x\",b=\"y\"} 2\n"
                                         "h_seconds_count{a=\"x\",b=\"y\"} 1\n"));
    sb_free(&sb);
    metrics_free(m);
}

static void test_refused(void **state)
{
    (void)state;
    struct metrics *m = metrics_new();
    static const char *const le[] = {"le", NULL};
    static const char *const reserved[] = {"__x", NULL};
    static const char *const bad_label[] = {"a-b", NULL};
    static const char *const five[] = {"a", "b", "c", "d", "e", NULL};
    static const double unsorted[] = {1, 0.5};
    static const double inf[] = {INFINITY};
    struct metric *c = metrics_counter(m, "c_total", "C.", NULL);
    struct metric *g = metrics_gauge(m, "g", "G.", NULL);
    assert_non_null(c);
    assert_null(metrics_counter(m, "c_total", "again", NULL));
    assert_null(metrics_counter(m, "9bad", "x", NULL));
    assert_null(metrics_counter(m, "bad-name", "x", NULL));
    assert_null(metrics_counter(m, "", "x", NULL));
    assert_null(metrics_histogram(m, "h1", "x", le, NULL, 0));
    assert_null(metrics_gauge(m, "g1", "x", reserved));
    assert_null(metrics_gauge(m, "g2", "x", bad_label));
    assert_null(metrics_gauge(m, "g3", "x", five));
    assert_null(metrics_histogram(m, "h2", "x", NULL, unsorted, 2));
    assert_null(metrics_histogram(m, "h3", "x", NULL, inf, 1));
    assert_int_equal(metric_add(c, NULL, -1), -1);  /* counters only go up */
    assert_int_equal(metric_add(c, NULL, NAN), -1);
    assert_int_equal(metric_observe(c, NULL, 1), -1); /* wrong type */
    assert_int_equal(metric_add(g, NULL, -2.5), 0);  /* gauges go down */
    assert_true(metric_get(g, NULL) == -2.5);
    metrics_free(m);
}

static void test_series_limit(void **state)
{
    (void)state;
    struct metrics *m = metrics_new();
    static const char *const l[] = {"k", NULL};
    struct metric *c = metrics_counter(m, "c_total", "C.", l);
    char name[16];
    int refused = 0;
    for (int i = 0; i < METRIC_MAX_SERIES + 44; i++) {
        const char *v = name;
        snprintf(name, sizeof(name), "v%d", i);
        refused += metric_add(c, &v, 1) != 0;
    }
    assert_int_equal(refused, 44);
    assert_int_equal(metrics_dropped(m), 44);
    const char *first = "v0";
    assert_int_equal(metric_add(c, &first, 1), 0); /* existing series still update */
    assert_true(metric_get(c, &first) == 2);
    metrics_free(m);
}

static void test_fmt_value(void **state)
{
    (void)state;
    char buf[32];
    assert_string_equal(metrics_fmt_value(0, buf), "0");
    assert_string_equal(metrics_fmt_value(-0.0, buf), "0");
    assert_string_equal(metrics_fmt_value(42, buf), "42");
    assert_string_equal(metrics_fmt_value(-3, buf), "-3");
    assert_string_equal(metrics_fmt_value(0.1, buf), "0.1");
    assert_string_equal(metrics_fmt_value(1e20, buf), "1e+20");
    assert_string_equal(metrics_fmt_value(NAN, buf), "NaN");
    assert_string_equal(metrics_fmt_value(INFINITY, buf), "+Inf");
    assert_string_equal(metrics_fmt_value(-INFINITY, buf), "-Inf");
    assert_true(strtod(metrics_fmt_value(1.0 / 3, buf), NULL) == 1.0 / 3);
    assert_string_equal(metrics_fmt_value(1764370000.25, buf), "1764370000.25");
}

struct hammer {
    struct metric *c, *h;
};

static void *hammer(void *arg)
{
    struct hammer *x = arg;
    const char *v = "ok";
    for (int i = 0; i < 20000; i++) {
        metric_add(x->c, &v, 1);
        metric_observe(x->h, NULL, 0.5);
    }
    return NULL;
}

static void test_concurrent(void **state)
{
    (void)state;
    struct metrics *m = metrics_new();
    static const char *const l[] = {"status", NULL};
    static const double b[] = {1};
    struct hammer x = {metrics_counter(m, "c_total", "C.", l),
                       metrics_histogram(m, "h_seconds", "H.", NULL, b, 1)};
    pthread_t t[4];
    const char *v = "ok";
    for (int i = 0; i < 4; i++) {
        assert_int_equal(pthread_create(&t[i], NULL, hammer, &x), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
    }
    assert_true(metric_get(x.c, &v) == 80000);
    assert_true(metric_get(x.h, NULL) == 80000);
    metrics_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exposition_text), cmocka_unit_test(test_labelled_histogram),
        cmocka_unit_test(test_refused),         cmocka_unit_test(test_series_limit),
        cmocka_unit_test(test_fmt_value),       cmocka_unit_test(test_concurrent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
