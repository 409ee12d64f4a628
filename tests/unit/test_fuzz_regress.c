/* test_fuzz_regress.c - inputs found by the libFuzzer harnesses in fuzz/ (fuzz/README.md),
 * replayed through the same APIs with the normal gcc build, so `make test` and CI keep them
 * fixed.  Each test names the harness and what went wrong before the fix.  A watchdog alarm
 * turns a hang into a failure instead of a stuck test run. */
#include "testutil.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/config.h"
#include "core/error.h"

static void on_alarm(int sig)
{
    (void)sig;
    static const char msg[] = "test_fuzz_regress: hang (watchdog)\n";
    (void)!write(2, msg, sizeof(msg) - 1);
    _exit(1);
}

static int watchdog(void **state)
{
    (void)state;
    signal(SIGALRM, on_alarm);
    alarm(20);
    return 0;
}

static int watchdog_off(void **state)
{
    (void)state;
    alarm(0);
    return 0;
}

/* fuzz_config: "% \xea" (a YAML directive line ending in a truncated UTF-8 sequence) made
 * libfyaml 0.8 loop forever, so `sluice -c` hung and a SIGHUP reload would hang the daemon.
 * The text is now checked as UTF-8 first; the error names the line and byte. */
static void test_config_directive_bad_utf8(void **state)
{
    (void)state;
    static const char *const inputs[] = {"% \xea", "%\xea", "% \xea\x80", "a: 1\n%TAG \xea"};
    static const char *const want[] = {
        "fuzz.yaml:1: invalid UTF-8 at byte 3 (a config must be UTF-8 text)",
        "fuzz.yaml:1: invalid UTF-8 at byte 2 (a config must be UTF-8 text)",
        "fuzz.yaml:1: invalid UTF-8 at byte 3 (a config must be UTF-8 text)",
        "fuzz.yaml:2: invalid UTF-8 at byte 11 (a config must be UTF-8 text)",
    };
    for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
        struct config *c = NULL;
        struct sl_error err = {0};
        assert_int_equal(config_load_string(inputs[i], strlen(inputs[i]), "fuzz.yaml", NULL, &c,
                                            &err),
                         SL_ECONFIG);
        assert_null(c);
        assert_string_equal(err.msg, want[i]);
    }
    /* valid UTF-8 (also in a directive) is unaffected */
    struct config *c = NULL;
    struct sl_error err = {0};
    static const char ok[] = "# caf\xc3\xa9\nlog: {level: warn}\n";
    assert_int_equal(config_load_string(ok, sizeof(ok) - 1, "fuzz.yaml", NULL, &c, &err), 0);
    config_destroy(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_directive_bad_utf8),
    };
    return cmocka_run_group_tests_name("fuzz_regress", tests, watchdog, watchdog_off);
}
