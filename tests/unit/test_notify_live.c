/* test_notify_live.c - real exchanges on loopback: the notifiers against local servers written
 * for the tests (the .mjs files in tests/servers, run with node), and the observability endpoint read over
 * HTTP and checked by a strict exposition-format parser (tests/servers/promcheck.mjs).
 *
 *   Slack: payload, escaping, the URL never in the log.   webhook: HMAC signature checked by
 *   the server, rate limit (1,000 events -> 2 messages), retries then success.   A dead and a
 *   slow endpoint: offers stay fast, retries, drops counted, bounded shutdown.   E-mail:
 *   STARTTLS with a certificate made here, AUTH, headers, no header injection, a refused
 *   password.   /metrics /healthz /readyz /status, 404, 405, a busy port, a missing secret.
 *   log_reopen while another thread logs.
 *
 * Skipped when node is not installed.  Servers are started per test and stopped by pid.
 */
#include "testutil.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/config.h"
#include "core/log.h"
#include "notify/notify.h"
#include "obs/obs.h"

static char dir[64];
static char logpath[128];
static int node_ok;

struct server {
    pid_t pid;
    int port;
    char out[160];
};

/* Servers still running, stopped by the per-test teardown when a test fails midway. */
static pid_t running[8];

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000 + (double)ts.tv_nsec / 1e6;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t len = 0, cap = 0;
    if (f == NULL) {
        return strdup("");
    }
    for (;;) {
        if (len + 4096 + 1 > cap) {
            cap = (len + 4096 + 1) * 2;
            char *grown = realloc(buf, cap);
            assert_non_null(grown);
            buf = grown;
        }
        size_t n = fread(buf + len, 1, 4096, f);
        len += n;
        if (n == 0) {
            break;
        }
    }
    fclose(f);
    buf[len] = '\0';
    return buf;
}

static int count_lines(const char *path)
{
    char *s = slurp(path);
    int n = 0;
    for (char *p = s; *p != '\0'; p++) {
        n += *p == '\n';
    }
    free(s);
    return n;
}

static int wait_lines(const char *path, int n, int ms)
{
    double end = now_ms() + ms;
    while (count_lines(path) < n && now_ms() < end) {
        sleep_ms(20);
    }
    return count_lines(path);
}

/* The n-th line (from 1) of a file, new string. */
static char *line_of(const char *path, int n)
{
    char *s = slurp(path), *p = s;
    for (int i = 1; i < n && p != NULL; i++) {
        p = strchr(p, '\n');
        p = p != NULL ? p + 1 : NULL;
    }
    char *out = strndup(p != NULL ? p : "", p != NULL ? strcspn(p, "\n") : 0);
    free(s);
    return out;
}

/* Starts node with args; waits for its "PORT n" line. */
static void server_start(struct server *s, const char *script, const char *const *extra)
{
    const char *argv[16];
    char path[128];
    int fd[2], n = 0;
    static int seq;
    snprintf(s->out, sizeof(s->out), "%s/out%d.jsonl", dir, ++seq);
    snprintf(path, sizeof(path), "tests/servers/%s", script);
    argv[n++] = "node";
    argv[n++] = path;
    argv[n++] = s->out;
    for (size_t i = 0; extra != NULL && extra[i] != NULL; i++) {
        argv[n++] = extra[i];
    }
    argv[n] = NULL;
    assert_int_equal(pipe2(fd, O_CLOEXEC), 0);
    char errpath[128];
    snprintf(errpath, sizeof(errpath), "%s/node.err", dir);
    s->pid = fork();
    assert_true(s->pid >= 0);
    if (s->pid == 0) {
        int e = open(errpath, O_WRONLY | O_CREAT | O_APPEND, 0600);
        dup2(fd[1], 1);
        if (e >= 0) {
            dup2(e, 2); /* never the test's own stderr: run.sh reads it to the end */
        }
        execvp("node", (char *const *)argv);
        _exit(127);
    }
    close(fd[1]);
    for (size_t i = 0; i < sizeof(running) / sizeof(running[0]); i++) {
        if (running[i] == 0) {
            running[i] = s->pid;
            break;
        }
    }
    char buf[64] = "";
    size_t len = 0;
    double end = now_ms() + 15000;
    while (strchr(buf, '\n') == NULL && now_ms() < end && len + 1 < sizeof(buf)) {
        struct pollfd pfd = {fd[0], POLLIN, 0};
        if (poll(&pfd, 1, 100) > 0) {
            ssize_t r = read(fd[0], buf + len, sizeof(buf) - 1 - len);
            if (r <= 0) {
                break;
            }
            len += (size_t)r;
            buf[len] = '\0';
        }
    }
    close(fd[0]);
    if (sscanf(buf, "PORT %d", &s->port) != 1) {
        kill(s->pid, SIGTERM);
        waitpid(s->pid, NULL, 0);
        fail_msg("%s did not start: '%s'", script, buf);
    }
}

static void stop_pid(pid_t pid)
{
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    for (size_t i = 0; i < sizeof(running) / sizeof(running[0]); i++) {
        if (running[i] == pid) {
            running[i] = 0;
        }
    }
}

static void server_stop(struct server *s)
{
    if (s->pid > 0) {
        stop_pid(s->pid);
        s->pid = 0;
    }
}

/* After each test: what a failed assertion left running. */
static int cleanup(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(running) / sizeof(running[0]); i++) {
        if (running[i] > 0) {
            stop_pid(running[i]);
        }
    }
    obs_stop();
    return 0;
}

static struct config *cfg_of(const char *yaml)
{
    struct config *c = NULL;
    struct sl_error err = {0};
    if (config_load_string(yaml, strlen(yaml), "live.yaml", NULL, &c, &err) != 0) {
        fail_msg("config: %s", err.msg);
    }
    return c;
}

static struct notify_set *start(const char *yaml)
{
    struct notify_set *s = NULL;
    struct sl_error err = {0};
    struct config *c = cfg_of(yaml);
    if (notify_start(c, &s, &err) != 0) {
        fail_msg("notify_start: %s", err.msg);
    }
    config_destroy(c); /* the set keeps its own copy */
    return s;
}

static struct notify_msg *failed(const char *file)
{
    static struct notify_msg m;
    memset(&m, 0, sizeof(m));
    m.kind = NK_EVENT;
    m.ev = NEV_FILE_FAILED;
    log_now_rfc3339(m.ts);
    notify_copy(m.file, sizeof(m.file), file);
    strcpy(m.status, "failed");
    strcpy(m.error_code, "too_many_rejects");
    strcpy(m.error_class, "permanent");
    strcpy(m.error, "60 of 100 rows rejected (max_reject_ratio 0.2)");
    m.rows_total = 100;
    m.rows_loaded = 0;
    m.rows_rejected = 60;
    m.attempt = 1;
    m.nerrors = 1;
    strcpy(m.errors[0], "line 2: cantidad: 'abc' is not an integer");
    strcpy(m.json, "{\"total_sum\": 1234.5, \"clientes_unicos\": 17}");
    return &m;
}

static struct notify_stats stats(struct notify_set *s)
{
    struct notify_stats st;
    notify_get_stats(s, 0, &st);
    return st;
}

/* Waits until the notifier has counted n deliveries (the server may record a message just
 * before the client sees its answer). */
static uint64_t wait_sent(struct notify_set *s, uint64_t n, int ms)
{
    double end = now_ms() + ms;
    while (stats(s).sent < n && now_ms() < end) {
        sleep_ms(20);
    }
    return stats(s).sent;
}

static int in_file(const char *path, const char *what)
{
    char *s = slurp(path);
    int hit = strstr(s, what) != NULL;
    free(s);
    return hit;
}

#define NEED_NODE()                                   \
    do {                                              \
        if (!node_ok) {                               \
            print_message("node not found: skipped\n"); \
            skip();                                   \
        }                                             \
    } while (0)

/* --- Slack ----------------------------------------------------------------------------- */

static void test_slack(void **state)
{
    (void)state;
    NEED_NODE();
    struct server srv;
    char url[128], yaml[512];
    server_start(&srv, "hook_server.mjs", NULL);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/services/T000/B000/S3cr3tT0k3n", srv.port);
    setenv("SLUICE_T_SLACK", url, 1);
    snprintf(yaml, sizeof(yaml), "notify:\n  - {type: slack, webhook_url_env: SLUICE_T_SLACK, "
             "min_interval: 0, events: [file_failed, file_partial]}\n");
    struct notify_set *s = start(yaml);
    struct notify_msg *m = failed("<!channel> *bold* `tick`.csv");
    notify_offer(s, m);
    m->ev = NEV_RECOVERED; /* not one of this notifier's events */
    notify_offer(s, m);
    assert_int_equal(wait_lines(srv.out, 1, 10000), 1);
    sleep_ms(200);
    assert_int_equal(count_lines(srv.out), 1);
    char *rec = line_of(srv.out, 1);
    assert_non_null(strstr(rec, "\"path\":\"/services/T000/B000/S3cr3tT0k3n\""));
    assert_non_null(strstr(rec, "\"json_ok\":true"));
    assert_non_null(strstr(rec, "\"content-type\":\"application/json; charset=utf-8\""));
    assert_non_null(strstr(rec, "*File failed* `&lt;!channel&gt; *bold* 'tick'.csv`"));
    assert_null(strstr(rec, "<!channel>"));
    assert_non_null(strstr(rec, "Rows: 100 total"));
    assert_non_null(strstr(rec, "First errors:"));
    assert_non_null(strstr(rec, "total_sum: `1234.5`"));
    free(rec);
    assert_int_equal(wait_sent(s, 1, 10000), 1);
    notify_stop(s, 1000);
    server_stop(&srv);
    assert_true(in_file(logpath, "\"event\":\"notify_sent\""));
    assert_false(in_file(logpath, "S3cr3tT0k3n"));
    unsetenv("SLUICE_T_SLACK");
}

/* --- webhook: signature, rate limit, retries --------------------------------------------- */

static void test_webhook_signed_and_rate_limited(void **state)
{
    (void)state;
    NEED_NODE();
    struct server srv;
    char url[128], name[32];
    setenv("HOOK_SECRET", "s1gn1ng-k3y", 1); /* for the server (inherited) and for sluice */
    server_start(&srv, "hook_server.mjs", NULL);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/hook", srv.port);
    setenv("SLUICE_T_HOOK", url, 1);
    struct notify_set *s = start("notify:\n  - {type: webhook, url_env: SLUICE_T_HOOK, "
                                 "secret_env: HOOK_SECRET, min_interval: 1s}\n");
    double t0 = now_ms(), worst = 0;
    for (int i = 0; i < 1000; i++) {
        snprintf(name, sizeof(name), "bad%04d.csv", i);
        double a = now_ms();
        notify_offer(s, failed(name));
        worst = now_ms() - a > worst ? now_ms() - a : worst;
    }
    double total = now_ms() - t0;
    print_message("1000 offers: %.1f ms, the slowest %.3f ms\n", total, worst);
    assert_true(total < 1000);
    assert_int_equal(wait_lines(srv.out, 2, 10000), 2);
    sleep_ms(300);
    assert_int_equal(count_lines(srv.out), 2); /* the first event and one summary */
    char *first = line_of(srv.out, 1), *second = line_of(srv.out, 2);
    assert_non_null(strstr(first, "\"sig_ok\":true"));
    assert_non_null(strstr(first, "\"x-sluice-event\":\"file_failed\""));
    assert_non_null(strstr(first, "\\\"name\\\":\\\"bad0000.csv\\\""));
    assert_non_null(strstr(second, "\"sig_ok\":true"));
    assert_non_null(strstr(second, "\"event\":\"summary\""));
    assert_non_null(strstr(second, "\"events\":999"));
    assert_non_null(strstr(second, "\"by_event\":{\"file_failed\":999}"));
    assert_non_null(strstr(second, "\"files\":[\"bad0001.csv\""));
    free(first);
    free(second);
    assert_int_equal(wait_sent(s, 2, 10000), 2);
    struct notify_stats st = stats(s);
    assert_int_equal(st.rate_limited, 999);
    assert_int_equal(st.dropped, 0);
    notify_stop(s, 1000);
    server_stop(&srv);
    unsetenv("SLUICE_T_HOOK");
    unsetenv("HOOK_SECRET");
}

static void test_webhook_retry_then_success(void **state)
{
    (void)state;
    NEED_NODE();
    struct server srv;
    char url[128];
    static const char *const fail2[] = {"--fail-first", "2", NULL};
    server_start(&srv, "hook_server.mjs", fail2);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/hook", srv.port);
    setenv("SLUICE_T_HOOK", url, 1);
    struct notify_set *s = start("notify:\n  - {type: webhook, url_env: SLUICE_T_HOOK, "
                                 "min_interval: 0, retry_backoff: 50ms, max_attempts: 5}\n");
    notify_offer(s, failed("x.csv"));
    assert_int_equal(wait_lines(srv.out, 3, 10000), 3);
    char *third = line_of(srv.out, 3);
    assert_non_null(strstr(third, "\"answered\":200"));
    assert_null(strstr(third, "sig_ok\":true")); /* no secret: unsigned */
    free(third);
    assert_int_equal(wait_sent(s, 1, 10000), 1);
    struct notify_stats st = stats(s);
    assert_int_equal(st.retries, 2);
    assert_int_equal(st.failed, 0);
    notify_stop(s, 1000);
    server_stop(&srv);
    assert_true(in_file(logpath, "\"event\":\"notify_retry\""));
    assert_true(in_file(logpath, "HTTP 503: no_service"));
    unsetenv("SLUICE_T_HOOK");
}

/* --- a dead and a slow endpoint ---------------------------------------------------------- */

static int free_port(void)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(sa);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    close(fd);
    return ntohs(sa.sin_port);
}

static void test_dead_endpoint(void **state)
{
    (void)state;
    char yaml[512], target[64];
    int port = free_port();
    snprintf(yaml, sizeof(yaml), "notify:\n  - {type: webhook, url: \"http://127.0.0.1:%d/x\", "
             "min_interval: 0, retry_backoff: 50ms, max_attempts: 3, queue_size: 4, "
             "timeout: 1s}\n", port);
    struct notify_set *s = start(yaml);
    double worst = 0, t0 = now_ms();
    for (int i = 0; i < 30; i++) {
        double a = now_ms();
        notify_offer(s, failed("dead.csv"));
        worst = now_ms() - a > worst ? now_ms() - a : worst;
    }
    print_message("30 offers to a dead endpoint: %.2f ms, the slowest %.3f ms\n",
                  now_ms() - t0, worst);
    assert_true(now_ms() - t0 < 500);
    double end = now_ms() + 20000;
    struct notify_stats st = stats(s);
    /* every message is given up or dropped, and so are the notices about the dropped ones
     * (one, or two when the worker woke up in the middle of the burst) */
    while ((st.failed + st.dropped < 31 || st.queued > 0 || st.busy) && now_ms() < end) {
        sleep_ms(50);
        st = stats(s);
    }
    assert_int_equal(st.sent, 0);
    assert_true(st.failed + st.dropped == 31 || st.failed + st.dropped == 32);
    assert_true(st.dropped >= 25);
    assert_true(st.failed >= 5);
    assert_int_equal(st.retries, 2 * st.failed);
    double t1 = now_ms();
    notify_stop(s, 2000);
    assert_true(now_ms() - t1 < 500); /* nothing left to drain */
    snprintf(target, sizeof(target), "\"target\":\"http://127.0.0.1:%d/***\"", port);
    assert_true(in_file(logpath, target));
    assert_true(in_file(logpath, "\"event\":\"notify_failed\""));
    assert_true(in_file(logpath, "\"event\":\"notify_dropped\""));
    assert_true(in_file(logpath, "\"notify_event\":\"notifications_dropped\""));
}

static void test_slow_endpoint(void **state)
{
    (void)state;
    NEED_NODE();
    struct server srv;
    char yaml[512];
    static const char *const slow[] = {"--delay", "4000", NULL};
    server_start(&srv, "hook_server.mjs", slow);
    snprintf(yaml, sizeof(yaml), "notify:\n  - {type: webhook, url: \"http://127.0.0.1:%d/s\", "
             "min_interval: 0, timeout: 800ms, max_attempts: 1}\n", srv.port);
    struct notify_set *s = start(yaml);
    notify_offer(s, failed("slow.csv"));
    assert_int_equal(wait_lines(srv.out, 1, 10000), 1); /* the worker waits for the answer */
    double t0 = now_ms(), worst = 0;
    for (int i = 0; i < 200; i++) {
        double a = now_ms();
        notify_offer(s, failed("more.csv"));
        worst = now_ms() - a > worst ? now_ms() - a : worst;
    }
    print_message("200 offers while the endpoint hangs: %.2f ms, the slowest %.3f ms\n",
                  now_ms() - t0, worst);
    assert_true(now_ms() - t0 < 500); /* the endpoint answers after 4 s: nobody waited for it */
    assert_true(worst < 250);
    double t1 = now_ms();
    notify_stop(s, 300); /* bounded: the attempt in progress times out, the rest is dropped */
    print_message("stop: %.0f ms\n", now_ms() - t1);
    assert_true(now_ms() - t1 < 3000);
    server_stop(&srv);
    assert_true(in_file(logpath, "\"reason\":\"shutdown\""));
}

/* --- e-mail ------------------------------------------------------------------------------ */

static int make_cert(void)
{
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "openssl req -x509 -newkey ec -pkeyopt "
             "ec_paramgen_curve:prime256v1 -nodes -keyout %s/key.pem -out %s/cert.pem -days 2 "
             "-subj /CN=localhost -addext subjectAltName=IP:127.0.0.1,DNS:localhost "
             ">/dev/null 2>&1", dir, dir);
    return system(cmd) == 0;
}

static void smtp_start(struct server *srv, const char *pass)
{
    char cert[128], key[128];
    snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
    snprintf(key, sizeof(key), "%s/key.pem", dir);
    const char *const args[] = {cert, key, "sluice", pass, NULL};
    server_start(srv, "smtp_server.mjs", args);
}

static void test_email_starttls(void **state)
{
    (void)state;
    NEED_NODE();
    if (!make_cert()) {
        print_message("openssl could not make a certificate: skipped\n");
        skip();
    }
    struct server srv;
    char yaml[768];
    smtp_start(&srv, "pa55-Wd.Secret");
    setenv("SLUICE_T_SMTP_PASS", "pa55-Wd.Secret", 1);
    snprintf(yaml, sizeof(yaml),
             "notify:\n  - type: email\n    smtp_url: \"smtp://127.0.0.1:%d\"\n"
             "    ca_file: %s/cert.pem\n    username: sluice\n"
             "    password_env: SLUICE_T_SMTP_PASS\n    from: sluice@example.com\n"
             "    to: [ops@example.com, dev@example.com]\n    min_interval: 0\n"
             "    events: [file_failed, recovered]\n", srv.port, dir);
    struct notify_set *s = start(yaml);
    notify_offer(s, failed("evil\r\nBcc: victim@example.com\r\n.csv"));
    struct notify_msg *m = failed("a\xc3\xb1o.csv");
    m->ev = NEV_RECOVERED;
    m->failures = 3;
    notify_offer(s, m);
    assert_int_equal(wait_lines(srv.out, 2, 15000), 2);
    char *one = line_of(srv.out, 1), *two = line_of(srv.out, 2);
    assert_non_null(strstr(one, "\"tls\":true"));
    assert_non_null(strstr(one, "\"auth_user\":\"sluice\""));
    assert_non_null(strstr(one, "\"from\":\"<sluice@example.com>\""));
    assert_non_null(strstr(one, "\"rcpt\":[\"<ops@example.com>\",\"<dev@example.com>\"]"));
    assert_non_null(strstr(one, "\"STARTTLS\""));
    assert_true(strstr(one, "\"AUTH PLAIN") != NULL || strstr(one, "\"AUTH LOGIN") != NULL);
    assert_non_null(strstr(one, "Subject: [sluice] file failed: evil  Bcc: victim@example.com  "
                                ".csv (too_many_rejects)\\r\\n"));
    assert_null(strstr(one, "\\r\\nBcc:"));
    assert_non_null(strstr(one, "Content-Type: text/plain; charset=utf-8\\r\\n"));
    assert_non_null(strstr(one, "To: ops@example.com, dev@example.com\\r\\n"));
    assert_non_null(strstr(one, "Rows: 100 total"));
    assert_non_null(strstr(one, "  total_sum: 1234.5\\r\\n"));
    assert_non_null(strstr(two, "Subject: [sluice] =?UTF-8?B?"));
    assert_non_null(strstr(two, "Recovered a\xc3\xb1o.csv loaded after 3 failed files"));
    free(one);
    free(two);
    assert_int_equal(wait_sent(s, 2, 10000), 2);
    notify_stop(s, 1000);
    server_stop(&srv);
    assert_false(in_file(logpath, "pa55-Wd.Secret"));
    unsetenv("SLUICE_T_SMTP_PASS");
}

static void test_email_refused_password(void **state)
{
    (void)state;
    NEED_NODE();
    struct server srv;
    char yaml[768];
    if (!make_cert()) {
        skip();
    }
    smtp_start(&srv, "right-one");
    setenv("SLUICE_T_SMTP_PASS", "Wr0ng-Pa55", 1);
    snprintf(yaml, sizeof(yaml),
             "notify:\n  - {type: email, smtp_url: \"smtp://127.0.0.1:%d\", ca_file: "
             "\"%s/cert.pem\", username: sluice, password_env: SLUICE_T_SMTP_PASS, from: "
             "a@example.com, to: b@example.com, min_interval: 0, retry_backoff: 50ms}\n",
             srv.port, dir);
    struct notify_set *s = start(yaml);
    notify_offer(s, failed("x.csv"));
    double end = now_ms() + 10000;
    while (stats(s).failed < 1 && now_ms() < end) {
        sleep_ms(20);
    }
    struct notify_stats st = stats(s);
    assert_int_equal(st.failed, 1);
    assert_int_equal(st.retries, 0); /* a refused login is not retried */
    assert_int_equal(count_lines(srv.out), 0);
    notify_stop(s, 1000);
    server_stop(&srv);
    assert_false(in_file(logpath, "Wr0ng-Pa55"));
    unsetenv("SLUICE_T_SMTP_PASS");
}

/* --- the endpoint ----------------------------------------------------------------------- */

struct body {
    char *p;
    size_t len;
};

static size_t collect(char *p, size_t size, size_t n, void *arg)
{
    struct body *b = arg;
    char *grown = realloc(b->p, b->len + size * n + 1);
    assert_non_null(grown);
    b->p = grown;
    memcpy(b->p + b->len, p, size * n);
    b->len += size * n;
    b->p[b->len] = '\0';
    return size * n;
}

/* GET (or method) http://127.0.0.1:port/path; returns the status, *out the body (free). */
static long fetch(unsigned port, const char *path, const char *method, char **out)
{
    char url[128];
    struct body b = {strdup(""), 0};
    long status = 0;
    CURL *c = curl_easy_init();
    assert_non_null(c);
    snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", port, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    if (method != NULL) {
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    }
    if (curl_easy_perform(c) == CURLE_OK) {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    }
    curl_easy_cleanup(c);
    if (out != NULL) {
        *out = b.p;
    } else {
        free(b.p);
    }
    return status;
}

static int run_node(const char *args, char **out)
{
    char cmd[2048], path[128];
    snprintf(path, sizeof(path), "%s/node.out", dir);
    snprintf(cmd, sizeof(cmd), "node %s >%s 2>&1", args, path);
    int rc = system(cmd);
    *out = slurp(path);
    return rc;
}

static struct file_result result(enum file_status st, uint64_t total, uint64_t rejected)
{
    struct file_result r;
    memset(&r, 0, sizeof(r));
    r.status = st;
    r.rows_total = total;
    r.rows_rejected = rejected;
    r.rows_loaded = st == FILE_OK || st == FILE_PARTIAL ? total - rejected : 0;
    r.size_bytes = total * 40;
    r.duration_ms = 12.5;
    strcpy(r.sha256, "0123456789abcdef");
    if (st == FILE_FAILED) {
        strcpy(r.error, "header: missing required column 'total'");
    }
    return r;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_endpoint(void **state)
{
    (void)state;
    NEED_NODE();
    struct sl_error err = {0};
    struct config *c = cfg_of("http: {listen: \"127.0.0.1:0\"}\nnotify:\n  - {type: log, "
                              "min_interval: 0, events: [file_failed, file_partial, recovered, "
                              "retry_exhausted, daily_digest]}\n");
    char *body = NULL, *out = NULL, path[128], args[1024];
    assert_int_equal(obs_start(c, &err), 0);
    assert_int_not_equal(obs_start(c, &err), 0); /* once */
    unsigned port = obs_http_port();
    assert_true(port > 0);
    assert_true(in_file(logpath, "\"event\":\"http_listen\""));

    assert_int_equal(fetch(port, "/healthz", NULL, &body), 200);
    assert_string_equal(body, "ok\n");
    free(body);
    assert_int_equal(fetch(port, "/readyz", NULL, &body), 503);
    assert_non_null(strstr(body, "\"ready\":false,\"watching\":false"));
    free(body);
    obs_set_ready(1, 1, 0);
    assert_int_equal(fetch(port, "/readyz", NULL, &body), 200);
    free(body);
    obs_set_ready(1, 1, 1);
    assert_int_equal(fetch(port, "/readyz", NULL, &body), 503);
    assert_non_null(strstr(body, "\"in_backoff\":true"));
    free(body);
    obs_set_ready(1, 1, 0);

    obs_file_start("a.csv");
    assert_int_equal(fetch(port, "/status", NULL, &body), 200);
    assert_non_null(strstr(body, "\"in_flight\":[{\"file\":\"a.csv\""));
    free(body);
    struct file_result r = result(FILE_OK, 100, 0);
    struct obs_file_extra x = {.metrics_json = "{\"total_sum\": 99.5, \"n\": 100}",
                               .attempt = 1};
    obs_file_done("a.csv", &r, 1.5, &x);
    r = result(FILE_FAILED, 10, 0);
    struct obs_file_extra fx = {.attempt = 1, .error_code = SL_EHEADER};
    obs_file_done("b\"quote\n.csv", &r, -1, &fx);
    r = result(FILE_PARTIAL, 50, 5);
    obs_file_done("c.csv", &r, 0.25, NULL);
    r = result(FILE_DUPLICATE, 0, 0);
    obs_file_done("d.csv", &r, -1, NULL);
    r = result(FILE_SKIPPED, 0, 0);
    obs_file_done("e.csv", &r, -1, NULL);
    obs_retry("f.csv", 2, SL_EBUSY, "database is locked", 0);
    obs_retry("f.csv", 3, SL_EBUSY, "database is locked", 1);
    obs_backlog(3, 4096, 12.5);
    struct obs_digest dg = {.since = "2026-01-01T00:00:00.000Z", .until = "now",
                            .files_ok = 5, .files_failed = 1};
    obs_digest(&dg);

    /* /metrics passes the strict parser, and counts what happened */
    assert_int_equal(fetch(port, "/metrics", NULL, &body), 200);
    snprintf(path, sizeof(path), "%s/metrics.txt", dir);
    write_file(path, body);
    free(body);
    snprintf(args, sizeof(args), "tests/servers/promcheck.mjs %s", path);
    if (run_node(args, &out) != 0) {
        fail_msg("promcheck: %s", out);
    }
    assert_non_null(strstr(out, "ok: "));
    free(out);
    snprintf(args, sizeof(args), "tests/servers/promcheck.mjs http://127.0.0.1:%u/metrics --dump",
             port);
    assert_int_equal(run_node(args, &out), 0);
    static const char *const want[] = {
        "sluice_build_info{version=\"" SLUICE_VERSION "\"} 1\n",
        "sluice_files_total{status=\"ok\"} 1\n",
        "sluice_files_total{status=\"partial\"} 1\n",
        "sluice_files_total{status=\"failed\"} 1\n",
        "sluice_files_total{status=\"duplicate\"} 1\n",
        "sluice_rows_total{outcome=\"loaded\"} 145\n",
        "sluice_rows_total{outcome=\"rejected\"} 5\n",
        "sluice_read_bytes_total 6400\n",
        "sluice_retries_total{reason=\"database_busy\"} 2\n",
        "sluice_retries_exhausted_total 1\n",
        "sluice_file_processing_seconds_count 4\n",
        "sluice_file_arrival_to_commit_seconds_count 2\n",
        "sluice_file_arrival_to_commit_seconds_bucket{le=\"0.25\"} 1\n",
        "sluice_file_arrival_to_commit_seconds_sum 1.75\n",
        "sluice_backlog_files 3\n",
        "sluice_backlog_bytes 4096\n",
        "sluice_files_in_flight 0\n",
        "sluice_ready 1\n",
        "sluice_ready_condition{condition=\"not_in_backoff\"} 1\n",
        "sluice_notification_queue_length{notifier=\"log-1\",type=\"log\"}",
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        if (strstr(out, want[i]) == NULL) {
            fail_msg("'%s' not in:\n%s", want[i], out);
        }
    }
    const char *age = strstr(out, "sluice_backlog_oldest_age_seconds ");
    assert_non_null(age);
    assert_true(strtod(age + 34, NULL) >= 12.5);
    free(out);

    /* /status is JSON: newest file first, with its metrics */
    assert_int_equal(fetch(port, "/status", NULL, &body), 200);
    snprintf(path, sizeof(path), "%s/status.json", dir);
    write_file(path, body);
    snprintf(args, sizeof(args), "-e 'const s = JSON.parse(require(\"fs\").readFileSync(\"%s\")); "
             "if (s.last_files.length !== 4 || s.last_files[3].file !== \"a.csv\" || "
             "s.last_files[3].metrics.total_sum !== 99.5 || s.backlog.files !== 3 || "
             "s.last_files[2].error_code !== \"header_error\" || "
             "s.last_files[2].error_class !== \"permanent\") process.exit(1)'", path);
    if (run_node(args, &out) != 0) {
        fail_msg("status: %s\n%s", out, body);
    }
    free(out);
    assert_non_null(strstr(body, "\"file\":\"b\\\"quote\\n.csv\""));
    assert_non_null(strstr(body, "\"in_flight\":[]"));
    free(body);

    assert_int_equal(fetch(port, "/metrics", "POST", &body), 405);
    free(body);
    assert_int_equal(fetch(port, "/nope", NULL, &body), 404);
    free(body);

    /* the log notifier saw the failure, the partial file, the recovery, the exhausted retry */
    double end = now_ms() + 5000;
    while (!in_file(logpath, "\"notify_event\":\"daily_digest\"") && now_ms() < end) {
        sleep_ms(20);
    }
    assert_true(in_file(logpath, "\"notify_event\":\"file_failed\""));
    assert_true(in_file(logpath, "\"notify_event\":\"file_partial\""));
    assert_true(in_file(logpath, "\"notify_event\":\"recovered\""));
    assert_true(in_file(logpath, "\"notify_event\":\"retry_exhausted\""));
    assert_true(in_file(logpath, "\"notify_event\":\"daily_digest\""));

    obs_stop();
    obs_stop(); /* twice is harmless */
    assert_int_equal(fetch(port, "/healthz", NULL, NULL), 0); /* closed */
    obs_file_done("late.csv", &r, 0, NULL);                  /* after stop: a no-op */
    config_destroy(c);
}

static void test_endpoint_errors(void **state)
{
    (void)state;
    struct sl_error err = {0};
    char yaml[256];
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(sa);
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(fd, 1), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    snprintf(yaml, sizeof(yaml), "http: {listen: \"127.0.0.1:%d\"}\n", ntohs(sa.sin_port));
    struct config *c = cfg_of(yaml);
    assert_int_equal(obs_start(c, &err), SL_EIO);
    assert_non_null(strstr(err.msg, "Address already in use"));
    config_destroy(c);
    close(fd);

    unsetenv("SLUICE_T_MISSING");
    c = cfg_of("http: {enabled: false}\nnotify:\n  - {type: slack, webhook_url_env: "
               "SLUICE_T_MISSING}\n");
    sl_error_clear(&err);
    assert_int_equal(obs_start(c, &err), SL_ECONFIG);
    assert_non_null(strstr(err.msg, "notify[0] (slack-1): the environment variable "
                                    "SLUICE_T_MISSING is not set"));
    config_destroy(c);

    setenv("SLUICE_T_MISSING", "ftp://secret-host/token", 1);
    c = cfg_of("http: {enabled: false}\nnotify:\n  - {type: slack, webhook_url_env: "
               "SLUICE_T_MISSING}\n");
    sl_error_clear(&err);
    assert_int_equal(obs_start(c, &err), SL_ECONFIG);
    assert_null(strstr(err.msg, "secret-host"));
    config_destroy(c);
    unsetenv("SLUICE_T_MISSING");

    /* disabled endpoint, no notifiers: starts and stops, port 0 */
    c = cfg_of("http: {enabled: false}\n");
    sl_error_clear(&err);
    assert_int_equal(obs_start(c, &err), 0);
    assert_int_equal(obs_http_port(), 0);
    obs_stop();
    config_destroy(c);
}

/* logrotate: the file is moved away, log_reopen starts a new one at the same path while
 * another thread keeps logging. */
static void *log_spam(void *arg)
{
    volatile int *stop = arg;
    while (!*stop) {
        struct log_line l;
        log_begin(&l, LOG_INFO, "spam");
        log_str(&l, "file", "x.csv");
        log_end(&l);
    }
    return NULL;
}

static void test_log_reopen(void **state)
{
    (void)state;
    char old[160];
    struct sl_error err = {0};
    volatile int stop = 0;
    pthread_t t;
    snprintf(old, sizeof(old), "%s.1", logpath);
    assert_int_equal(pthread_create(&t, NULL, log_spam, (void *)&stop), 0);
    sleep_ms(20);
    assert_int_equal(rename(logpath, old), 0);
    assert_int_equal(log_reopen(&err), 0);
    struct log_line l;
    log_begin(&l, LOG_INFO, "after_reopen");
    log_end(&l);
    sleep_ms(20);
    stop = 1;
    pthread_join(t, NULL);
    assert_true(in_file(logpath, "\"event\":\"after_reopen\""));
    assert_false(in_file(old, "after_reopen"));
    /* no line was torn: both files end with a complete line */
    char *a = slurp(old), *b = slurp(logpath);
    assert_true(strlen(a) > 0 && a[strlen(a) - 1] == '\n');
    assert_true(strlen(b) > 0 && b[strlen(b) - 1] == '\n');
    free(a);
    free(b);
}

static int setup(void **state)
{
    (void)state;
    struct sl_error err = {0};
    strcpy(dir, "/tmp/sluice-live.XXXXXX");
    if (mkdtemp(dir) == NULL) {
        return -1;
    }
    snprintf(logpath, sizeof(logpath), "%s/sluice.log", dir);
    if (log_open(logpath, "debug", &err) != 0) {
        return -1;
    }
    node_ok = system("node --version >/dev/null 2>&1") == 0 &&
              access("tests/servers/hook_server.mjs", R_OK) == 0;
    unsetenv("http_proxy");
    unsetenv("HTTP_PROXY");
    unsetenv("https_proxy");
    unsetenv("HTTPS_PROXY");
    unsetenv("all_proxy");
    unsetenv("ALL_PROXY");
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    log_close();
    curl_global_cleanup();
    if (getenv("SLUICE_KEEP_TMP") == NULL) {
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        return system(cmd) == 0 ? 0 : -1;
    }
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_slack, cleanup),
        cmocka_unit_test_teardown(test_webhook_signed_and_rate_limited, cleanup),
        cmocka_unit_test_teardown(test_webhook_retry_then_success, cleanup),
        cmocka_unit_test_teardown(test_dead_endpoint, cleanup),
        cmocka_unit_test_teardown(test_slow_endpoint, cleanup),
        cmocka_unit_test_teardown(test_email_starttls, cleanup),
        cmocka_unit_test_teardown(test_email_refused_password, cleanup),
        cmocka_unit_test_teardown(test_endpoint, cleanup),
        cmocka_unit_test_teardown(test_endpoint_errors, cleanup),
        cmocka_unit_test(test_log_reopen),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
