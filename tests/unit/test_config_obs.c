/* test_config_obs.c - the http and notify keys (src/core/config_obs.c): defaults, a full
 * config, every refused shape, and that a secret written in the file is refused without its
 * value being echoed. */
#include "testutil.h"

#include <stdio.h>

#include "core/config.h"

static struct config *load(const char *yaml, struct sl_error *err)
{
    struct config *c = NULL;
    sl_error_clear(err);
    if (config_load_string(yaml, strlen(yaml), "t.yaml", "/etc/sluice", &c, err) != 0) {
        return NULL;
    }
    return c;
}

static void test_defaults(void **state)
{
    (void)state;
    struct sl_error err = {0};
    struct config *c = load("", &err);
    assert_non_null(c);
    assert_int_equal(c->http_enabled, 1);
    assert_string_equal(c->http_listen, "127.0.0.1:9464");
    assert_int_equal(c->nnotify, 0);
    config_destroy(c);
    c = load("http: {enabled: false, listen: \"[::1]:0\"}\nnotify: []\n", &err);
    assert_non_null(c);
    assert_int_equal(c->http_enabled, 0);
    assert_string_equal(c->http_listen, "[::1]:0");
    config_destroy(c);
}

static const char full[] =
    "notify:\n"
    "  - {type: log}\n"
    "  - name: ops\n"
    "    type: slack\n"
    "    events: [file_failed, recovered]\n"
    "    min_interval: 5m\n"
    "  - type: webhook\n"
    "    url: https://example.com/hook\n"
    "    secret_file: hook.secret\n"
    "    timeout: 2s\n"
    "    max_attempts: 3\n"
    "    retry_backoff: 250ms\n"
    "    queue_size: 10\n"
    "  - type: email\n"
    "    smtp_url: smtp://mail.example.com:587\n"
    "    username: sluice\n"
    "    password_env: SMTP_PASSWORD\n"
    "    from: sluice@example.com\n"
    "    to: [ops@example.com, b@example.com]\n"
    "    ca_file: /etc/ssl/ca.pem\n"
    "  - {type: email, smtp_url: \"smtps://m:465\", tls: none, from: a@b.c, to: x@y.z}\n";

static void test_full(void **state)
{
    (void)state;
    struct sl_error err = {0};
    struct config *c = load(full, &err);
    if (c == NULL) {
        fail_msg("%s", err.msg);
    }
    assert_int_equal(c->nnotify, 5);
    const struct notify_def *d = c->notify;
    assert_string_equal(d[0].name, "log-1");
    assert_int_equal(d[0].type, NOTIFY_LOG);
    assert_int_equal(d[0].events, NEV_BIT(NEV_FILE_FAILED) | NEV_BIT(NEV_RETRY_EXHAUSTED) |
                                      NEV_BIT(NEV_DAILY_DIGEST) | NEV_BIT(NEV_RECOVERED));
    assert_int_equal(d[0].min_interval_ms, 60000);
    assert_int_equal(d[0].timeout_ms, 10000);
    assert_int_equal(d[0].max_attempts, 5);
    assert_int_equal(d[0].queue_size, 100);
    assert_string_equal(d[1].name, "ops");
    assert_string_equal(d[1].url_env, "SLACK_WEBHOOK_URL");
    assert_int_equal(d[1].events, NEV_BIT(NEV_FILE_FAILED) | NEV_BIT(NEV_RECOVERED));
    assert_int_equal(d[1].min_interval_ms, 300000);
    assert_string_equal(d[2].url, "https://example.com/hook");
    assert_string_equal(d[2].secret_file, "/etc/sluice/hook.secret");
    assert_int_equal(d[2].timeout_ms, 2000);
    assert_int_equal(d[2].max_attempts, 3);
    assert_int_equal(d[2].backoff_ms, 250);
    assert_int_equal(d[2].queue_size, 10);
    assert_string_equal(d[3].url, "smtp://mail.example.com:587");
    assert_string_equal(d[3].username, "sluice");
    assert_string_equal(d[3].password_env, "SMTP_PASSWORD");
    assert_int_equal(d[3].nto, 2);
    assert_string_equal(d[3].to[1], "b@example.com");
    assert_int_equal(d[3].starttls, 1);
    assert_string_equal(d[3].ca_file, "/etc/ssl/ca.pem");
    assert_int_equal(d[4].starttls, 0);
    assert_int_equal(d[4].nto, 1);
    assert_null(d[4].username);
    config_destroy(c);
}

struct bad {
    const char *yaml;
    const char *want; /* a fragment of the message */
};

static const struct bad bad_cases[] = {
    {"http: {listen: nope}\n", "t.yaml:1: key 'http.listen': expected HOST:PORT"},
    {"http: {listen: \"1.2.3.4:70000\"}\n", "key 'http.listen'"},
    {"http: {port: 1}\n", "unknown key 'http.port'"},
    {"http: 5\n", "key 'http': expected a mapping"},
    {"notify: {type: log}\n", "key 'notify': expected a list of notifiers"},
    {"notify:\n  - {events: [file_failed]}\n", "t.yaml:2: key 'notify[0].type' is required"},
    {"notify:\n  - {type: pager}\n", "key 'notify[0].type': expected one of"},
    {"notify:\n  - {type: log, events: [file_lost]}\n", "key 'notify[0].events'"},
    {"notify:\n  - {type: log, events: []}\n", "a non-empty list of events"},
    {"notify:\n  - {type: log, min_interval: soon}\n", "key 'notify[0].min_interval'"},
    {"notify:\n  - {type: log, max_attempts: 0}\n", "key 'notify[0].max_attempts'"},
    {"notify:\n  - {type: log, colour: red}\n", "unknown key 'notify[0].colour'"},
    {"notify:\n  - {type: slack, smtp_url: \"smtp://x:25\"}\n",
     "key 'notify[0].smtp_url' does not apply to a slack notifier"},
    {"notify:\n  - {type: slack, webhook_url_env: 1BAD}\n", "an environment variable"},
    {"notify:\n  - {type: webhook}\n", "needs exactly one of url and url_env"},
    {"notify:\n  - {type: webhook, url: \"ftp://x\"}\n", "expected a URL starting with http://"},
    {"notify:\n  - {type: webhook, url: \"https://x\", secret_env: A, secret_file: b}\n",
     "secret_env and secret_file exclude each other"},
    {"notify:\n  - {type: email, from: a@b.c, to: x@y.z}\n", "smtp_url' is required"},
    {"notify:\n  - {type: email, smtp_url: \"smtp://m:25\", to: x@y.z}\n", "from' is required"},
    {"notify:\n  - {type: email, smtp_url: \"smtp://m:25\", from: a@b.c}\n", "to' is required"},
    {"notify:\n  - {type: email, smtp_url: \"smtp://m:25\", from: a@b.c, to: \"x@y.z\\r\\nBcc: "
     "v@w.x\"}\n", "a plain mail address"},
    {"notify:\n  - {type: email, smtp_url: \"smtp://m:25\", from: \"<a@b.c>\", to: x@y.z}\n",
     "key 'notify[0].from': expected a plain mail address"},
    {"notify:\n  - {type: email, smtp_url: \"smtp://m:25\", from: a@b.c, to: x@y.z, "
     "username: u}\n", "needs both username and one of password_env"},
    {"notify:\n  - {type: email, smtp_url: \"smtp://m:25\", from: a@b.c, to: x@y.z, "
     "tls: maybe}\n", "key 'notify[0].tls'"},
    {"notify:\n  - {type: log, name: a}\n  - {type: log, name: a}\n",
     "t.yaml:3: key 'notify[1].name': duplicate notifier name 'a' (first at line 2)"},
    {"notify:\n  - {type: log, name: \"a b\"}\n", "key 'notify[0].name'"},
};

static void test_bad(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        struct sl_error err = {0};
        struct config *c = load(bad_cases[i].yaml, &err);
        if (c != NULL || err.code != SL_ECONFIG || strstr(err.msg, bad_cases[i].want) == NULL) {
            fail_msg("case %zu: got '%s', want '%s'", i, err.msg, bad_cases[i].want);
        }
    }
}

/* Secrets in the file are refused, and the message never repeats them. */
static void test_secret_refused(void **state)
{
    (void)state;
    static const struct bad cases[] = {
        {"notify:\n  - type: slack\n    webhook_url: https://hooks.slack.com/services/T0/B0/"
         "SeCrEt\n", "t.yaml:3: key 'notify[0].webhook_url': secrets are never written in the "
         "config; use webhook_url_env"},
        {"notify:\n  - {type: email, password: SeCrEt}\n", "use password_env: VARIABLE or "
         "password_file"},
        {"notify:\n  - {type: webhook, secret: SeCrEt}\n", "use secret_env"},
        {"notify:\n  - {type: webhook, url: \"https://x/SeCrEt token\"}\n",
         "key 'notify[0].url': expected a URL"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct sl_error err = {0};
        assert_null(load(cases[i].yaml, &err));
        if (strstr(err.msg, cases[i].want) == NULL || strstr(err.msg, "SeCrEt") != NULL) {
            fail_msg("case %zu: got '%s'", i, err.msg);
        }
    }
}

static void test_hostport(void **state)
{
    (void)state;
    char host[64];
    int port = -1;
    assert_int_equal(config_split_hostport("127.0.0.1:9464", host, sizeof(host), &port), 0);
    assert_string_equal(host, "127.0.0.1");
    assert_int_equal(port, 9464);
    assert_int_equal(config_split_hostport("[::1]:0", host, sizeof(host), &port), 0);
    assert_string_equal(host, "::1");
    assert_int_equal(port, 0);
    assert_int_equal(config_split_hostport("localhost:80", host, sizeof(host), &port), 0);
    assert_int_equal(config_split_hostport("0.0.0.0:65535", host, sizeof(host), &port), 0);
    assert_int_equal(config_split_hostport(":80", host, sizeof(host), &port), -1);
    assert_int_equal(config_split_hostport("h:", host, sizeof(host), &port), -1);
    assert_int_equal(config_split_hostport("h:65536", host, sizeof(host), &port), -1);
    assert_int_equal(config_split_hostport("h:8x", host, sizeof(host), &port), -1);
    assert_int_equal(config_split_hostport("::1:80", host, sizeof(host), &port), -1);
    assert_int_equal(config_split_hostport("[::1]80", host, sizeof(host), &port), -1);
    assert_int_equal(config_split_hostport("a b:80", host, sizeof(host), &port), -1);
    assert_int_equal(config_split_hostport("verylonghostname:1", host, 8, &port), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults), cmocka_unit_test(test_full),
        cmocka_unit_test(test_bad),      cmocka_unit_test(test_secret_refused),
        cmocka_unit_test(test_hostport),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
