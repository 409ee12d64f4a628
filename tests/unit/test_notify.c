/* test_notify.c - the notifiers' pure parts: Slack mrkdwn escaping, mail header sanitising and
 * RFC 2047, UTF-8-safe copies, the rate limiter on a fake clock, the webhook HMAC, the
 * payloads (Slack, webhook, e-mail), redaction.  The exchanges with real servers are in
 * test_notify_live.c. */
#include "testutil.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/redact.h"
#include "input/utf8.h"
#include "notify/internal.h"

static const char *esc(void (*fn)(struct strbuf *, const char *), const char *in,
                       struct strbuf *sb)
{
    sb_reset(sb);
    fn(sb, in);
    return sb_cstr(sb);
}

static void test_mrkdwn(void **state)
{
    (void)state;
    struct strbuf sb = STRBUF_INIT;
    assert_string_equal(esc(mrkdwn_escape, "a<!channel>&b>", &sb),
                        "a&lt;!channel&gt;&amp;b&gt;");
    assert_string_equal(esc(mrkdwn_escape, "<http://evil|click>", &sb),
                        "&lt;http://evil|click&gt;");
    assert_string_equal(esc(mrkdwn_code, "x`y\nz*w*", &sb), "`x'y z*w*`");
    assert_string_equal(esc(mrkdwn_code, "", &sb), "` `");
    assert_string_equal(esc(mrkdwn_escape, "caf\xc3\xa9 \xff!", &sb),
                        "caf\xc3\xa9 \xef\xbf\xbd!");
    sb_free(&sb);
}

static void test_mail_header(void **state)
{
    (void)state;
    struct strbuf sb = STRBUF_INIT;
    assert_string_equal(esc(mail_header_value, "x.csv\r\nBcc: victim@example.com", &sb),
                        "x.csv  Bcc: victim@example.com");
    assert_string_equal(esc(mail_header_value, "a\tb\x7f", &sb), "a b ");
    assert_string_equal(esc(mail_header_value, "a\xc3\xb1o.csv", &sb),
                        "=?UTF-8?B?YcOxby5jc3Y=?=");
    /* a long non-ASCII value: several encoded words of at most 75 bytes on folded lines,
     * decoding back to the text with its CR/LF turned into spaces */
    char in[400] = "";
    for (int i = 0; i < 60; i++) {
        strcat(in, "\xc3\xb1\xe2\x82\xac");
    }
    strcat(in, "\r\nBcc: x");
    const char *out = esc(mail_header_value, in, &sb);
    struct strbuf dec = STRBUF_INIT;
    const char *p = out;
    int words = 0;
    while ((p = strstr(p, "=?UTF-8?B?")) != NULL) {
        const char *end = strstr(p, "?=");
        assert_non_null(end);
        assert_true(end + 2 - p <= 75);
        unsigned char buf[128];
        int n = EVP_DecodeBlock(buf, (const unsigned char *)p + 10, (int)(end - p - 10));
        assert_true(n > 0);
        while (n > 0 && end[-1] == '=') { /* EVP_DecodeBlock counts padding bytes */
            n--;
            end--;
        }
        sb_add(&dec, buf, (size_t)n);
        words++;
        p = strstr(p, "?=") + 2;
        assert_true(*p == '\0' || strncmp(p, "\r\n ", 3) == 0);
    }
    assert_true(words > 3);
    assert_null(strstr(sb_cstr(&dec), "\r"));
    assert_non_null(strstr(sb_cstr(&dec), "  Bcc: x"));
    sb_free(&dec);
    sb_free(&sb);
}

static void test_copy_utf8(void **state)
{
    (void)state;
    char buf[5];
    notify_copy(buf, sizeof(buf), "a\xc3\xa9\xe2\x82\xac"); /* a é € : 6 bytes */
    assert_string_equal(buf, "a\xc3\xa9");
    notify_copy(buf, sizeof(buf), NULL);
    assert_string_equal(buf, "");
    notify_copy(buf, sizeof(buf), "abcd");
    assert_string_equal(buf, "abcd");
}

static struct notify_msg *event(enum notify_ev ev, const char *file, uint64_t rejected)
{
    static struct notify_msg m;
    memset(&m, 0, sizeof(m));
    m.kind = NK_EVENT;
    m.ev = ev;
    strcpy(m.ts, "2026-01-01T00:00:00.000Z");
    notify_copy(m.file, sizeof(m.file), file);
    m.rows_rejected = rejected;
    return &m;
}

#define SEC 1000000000LL

static void test_rate_limit(void **state)
{
    (void)state;
    struct ratelimit rl = {.interval_ns = SEC};
    char name[32];
    assert_int_equal(rl_offer(&rl, 0, event(NEV_FILE_FAILED, "f0.csv", 1)), RL_SEND);
    assert_int_equal(rl_deadline(&rl), INT64_MAX); /* nothing folded yet */
    for (int i = 1; i < 1000; i++) {
        snprintf(name, sizeof(name), "f%d.csv", i);
        assert_int_equal(rl_offer(&rl, i * 100000LL, event(i % 2 ? NEV_FILE_FAILED :
                                                           NEV_FILE_PARTIAL, name, 2)),
                         RL_FOLDED);
    }
    /* a digest is never held back */
    assert_int_equal(rl_offer(&rl, SEC / 2, event(NEV_DAILY_DIGEST, "", 0)), RL_SEND);
    assert_int_equal(rl_deadline(&rl), SEC);
    assert_null(rl_take(&rl, SEC - 1, 0));
    struct notify_msg *sum = rl_take(&rl, SEC, 0);
    assert_non_null(sum);
    assert_int_equal(sum->kind, NK_SUMMARY);
    assert_int_equal(sum->folded, 999);
    assert_int_equal(sum->folded_ev[NEV_FILE_FAILED], 500);
    assert_int_equal(sum->folded_ev[NEV_FILE_PARTIAL], 499);
    assert_int_equal(sum->folded_rows_rejected, 1998);
    assert_int_equal(sum->nsample, NOTIFY_MAX_SAMPLE);
    assert_string_equal(sum->sample[0], "f1.csv");
    free(sum);
    /* the summary opened a new window: the next event folds until it ends */
    assert_int_equal(rl_offer(&rl, SEC + SEC / 5, event(NEV_RECOVERED, "g.csv", 0)), RL_FOLDED);
    assert_int_equal(rl_deadline(&rl), 2 * SEC);
    sum = rl_take(&rl, SEC + SEC / 4, 1); /* forced at shutdown */
    assert_non_null(sum);
    assert_int_equal(sum->folded, 1);
    free(sum);
    /* quiet for a whole interval: the next event goes out at once */
    assert_int_equal(rl_offer(&rl, 3 * SEC, event(NEV_FILE_FAILED, "h.csv", 0)), RL_SEND);
    rl_free(&rl);

    struct ratelimit none = {.interval_ns = 0};
    for (int i = 0; i < 10; i++) {
        assert_int_equal(rl_offer(&none, 0, event(NEV_FILE_FAILED, "x", 0)), RL_SEND);
    }
    rl_free(&none);
}

static void test_hmac(void **state)
{
    (void)state;
    char sig[80];
    assert_int_equal(webhook_signature("topsecret", "1700000000", "{\"a\":1}", 7, sig), 0);
    assert_string_equal(sig, "sha256=6a939b0c71853d606167625a15168ee9188c6a511c773ef4f42d307f"
                             "3849e50f");
}

static struct notify_msg *failed_file(void)
{
    static struct notify_msg m;
    memset(&m, 0, sizeof(m));
    m.kind = NK_EVENT;
    m.ev = NEV_FILE_FAILED;
    strcpy(m.ts, "2026-01-01T00:00:00.000Z");
    strcpy(m.file, "<!channel> *urgent* `x`.csv");
    strcpy(m.status, "failed");
    strcpy(m.sha256, "ab12");
    strcpy(m.error_code, "too_many_rejects");
    strcpy(m.error_class, "permanent");
    strcpy(m.error, "51% of rows rejected <b>");
    m.attempt = 1;
    m.rows_total = 100;
    m.rows_rejected = 51;
    m.nerrors = 2;
    strcpy(m.errors[0], "line 2: cantidad: 'x' is not an integer");
    strcpy(m.errors[1], "line 3: total & <tag>");
    strcpy(m.json, "{\"total_sum\": 12.5, \"clientes\": \"a<b\", \"n\": null}");
    return &m;
}

static void test_slack_payload(void **state)
{
    (void)state;
    struct strbuf sb = STRBUF_INIT;
    slack_payload(failed_file(), &sb);
    const char *p = sb_cstr(&sb);
    assert_true(strncmp(p, "{\"text\":\"sluice: file failed: &lt;!channel&gt;", 46) == 0);
    assert_null(strstr(p, "<!channel>"));
    assert_null(strstr(p, "<b>"));
    assert_non_null(strstr(p, "\"type\":\"mrkdwn\""));
    assert_non_null(strstr(p, "*File failed* `&lt;!channel&gt; *urgent* 'x'.csv`"));
    assert_non_null(strstr(p, "Rows: 100 total"));
    assert_non_null(strstr(p, "`line 3: total &amp; &lt;tag&gt;`"));
    assert_non_null(strstr(p, "total_sum: `12.5`"));
    assert_non_null(strstr(p, "clientes: `a&lt;b`"));
    assert_non_null(strstr(p, "Error (too_many_rejects): `51% of rows rejected &lt;b&gt;`"));
    sb_free(&sb);

    /* a summary lists counts and the first files */
    struct ratelimit rl = {.interval_ns = SEC};
    rl_offer(&rl, 0, event(NEV_FILE_FAILED, "a.csv", 0));
    for (int i = 0; i < 7; i++) {
        rl_offer(&rl, 1, event(NEV_FILE_FAILED, "<b>.csv", 3));
    }
    struct notify_msg *sum = rl_take(&rl, SEC, 0);
    slack_payload(sum, &sb);
    p = sb_cstr(&sb);
    assert_non_null(strstr(p, "7 more events (rate limited)"));
    assert_non_null(strstr(p, "file_failed: 7"));
    assert_non_null(strstr(p, "Rejected rows: 21"));
    assert_non_null(strstr(p, "`&lt;b&gt;.csv` and 2 more"));
    free(sum);
    sb_free(&sb);
}

static void test_webhook_payload(void **state)
{
    (void)state;
    struct strbuf sb = STRBUF_INIT;
    webhook_payload(failed_file(), &sb);
    const char *p = sb_cstr(&sb);
    assert_true(strncmp(p, "{\"source\":\"sluice\",\"version\":\"", 30) == 0);
    assert_non_null(strstr(p, "\"kind\":\"event\",\"event\":\"file_failed\""));
    assert_non_null(strstr(p, "\"file\":{\"name\":\"<!channel> *urgent* `x`.csv\""));
    assert_non_null(strstr(p, "\"rows\":{\"total\":100,\"loaded\":0,\"rejected\":51,"));
    assert_non_null(strstr(p, "\"first_errors\":[\"line 2: cantidad: 'x' is not an integer\","));
    assert_non_null(strstr(p, "\"metrics\":{\"total_sum\": 12.5,"));
    sb_free(&sb);

    struct notify_msg *d = event(NEV_DAILY_DIGEST, "", 0);
    d->files[0] = 10;
    d->files[2] = 1;
    strcpy(d->since, "2026-01-01T00:00:00.000Z");
    webhook_payload(d, &sb);
    assert_non_null(strstr(sb_cstr(&sb), "\"digest\":{\"since\":\"2026-01-01T00:00:00.000Z\""));
    assert_non_null(strstr(sb_cstr(&sb), "\"files\":{\"ok\":10,\"partial\":0,\"failed\":1,"));
    assert_non_null(strstr(sb_cstr(&sb), "\"details\":{}"));
    sb_free(&sb);
}

static void test_email_message(void **state)
{
    (void)state;
    char *to[] = {"ops@example.com", "b@example.com"};
    struct notify_def d = {.from = "sluice@example.com", .to = to, .nto = 2};
    struct notify_msg *m = failed_file();
    struct strbuf sb = STRBUF_INIT;
    strcpy(m->file, "evil\r\nBcc: victim@example.com\r\n\r\nbody.csv");
    strcpy(m->errors[0], "line 9\r\n.\r\nQUIT");
    email_message(&d, m, "Thu, 01 Jan 2026 00:00:00 +0000", "<1@example.com>", &sb);
    const char *p = sb_cstr(&sb);
    const char *body = strstr(p, "\r\n\r\n");
    assert_non_null(body);
    /* headers: the fixed set, one Subject line, no header made from the file name */
    assert_true(strncmp(p, "Date: Thu, 01 Jan 2026 00:00:00 +0000\r\nFrom: sluice@example.com\r\n"
                           "To: ops@example.com, b@example.com\r\nSubject: [sluice] file failed: "
                           "evil  Bcc: victim@example.com    body.csv (too_many_rejects)\r\n"
                           "Message-ID: <1@example.com>\r\n", 202) == 0);
    assert_null(strstr(p, "\r\nBcc:"));
    assert_non_null(strstr(p, "\r\nContent-Type: text/plain; charset=utf-8\r\n"));
    /* body: CRLF only, the data values on one line each */
    for (const char *q = p; *q != '\0'; q++) {
        if (*q == '\n') {
            assert_true(q > p && q[-1] == '\r');
        }
        if (*q == '\r') {
            assert_true(q[1] == '\n');
        }
    }
    assert_non_null(strstr(body, "File failed evil  Bcc: victim@example.com    body.csv\r\n"));
    assert_non_null(strstr(body, "  - line 9  .  QUIT\r\n"));
    assert_non_null(strstr(body, "Rows: 100 total"));
    assert_non_null(strstr(body, "  total_sum: 12.5\r\n"));
    sb_free(&sb);

    /* a long line (metrics that are not a flat object are shown raw) is cut before 998 bytes,
     * at a character boundary */
    strcpy(m->json, "{\"nested\": {\"x\": \"");
    for (int i = 0; i < 1500; i++) {
        strcat(m->json, "\xc3\xa9");
    }
    strcat(m->json, "\"}}");
    email_message(&d, m, "Thu, 01 Jan 2026 00:00:00 +0000", "<2@example.com>", &sb);
    size_t longest = 0;
    for (const char *q = sb_cstr(&sb); *q != '\0';) {
        size_t len = strcspn(q, "\r");
        longest = len > longest ? len : longest;
        assert_true(utf8_valid(q, len, NULL));
        q += len + (q[len] != '\0' ? 2 : 0);
    }
    assert_true(longest > 900 && longest <= 998);
    sb_free(&sb);
}

static void test_redact(void **state)
{
    (void)state;
    char out[128];
    assert_string_equal(redact_url("https://hooks.slack.com/services/T0/B0/XYZ", out,
                                   sizeof(out)), "https://hooks.slack.com/***");
    assert_string_equal(redact_url("https://user:pw@example.com:8443/x?token=1", out,
                                   sizeof(out)), "https://example.com:8443/***");
    assert_string_equal(redact_url("http://127.0.0.1:9", out, sizeof(out)),
                        "http://127.0.0.1:9/***");
    assert_string_equal(redact_url("not a url", out, sizeof(out)), "***");
    assert_string_equal(redact_url("https://example.com/x", out, 8), "***");
    const char *secrets[] = {"hunter2", NULL, "", "https://h/s/T/B/x"};
    assert_string_equal(redact_text("Failed to connect to https://h/s/T/B/x with hunter2!", out,
                                    sizeof(out), secrets, 4),
                        "Failed to connect to *** with ***!");
    assert_string_equal(redact_text("hunter2hunter2", out, 5, secrets, 1), "****");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mrkdwn),        cmocka_unit_test(test_mail_header),
        cmocka_unit_test(test_copy_utf8),     cmocka_unit_test(test_rate_limit),
        cmocka_unit_test(test_hmac),          cmocka_unit_test(test_slack_payload),
        cmocka_unit_test(test_webhook_payload), cmocka_unit_test(test_email_message),
        cmocka_unit_test(test_redact),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
