/* slack.c - Slack incoming webhooks: a JSON payload with a plain fallback "text" and one
 * mrkdwn section holding the readable summary (file, rows, rejects, first errors, the file's
 * metrics).  Data values are escaped (escape.c) so a file name can neither mention
 * @channel nor inject a link or formatting.  The URL comes from the environment variable
 * named by webhook_url_env and is never logged.
 */
#include <stdio.h>
#include <string.h>

#include "notify/internal.h"

#define SLACK_SECTION_MAX 2900 /* Slack refuses section text over 3000 characters */

void slack_payload(const struct notify_msg *m, struct strbuf *out)
{
    struct strbuf title = STRBUF_INIT, esc = STRBUF_INIT, body = STRBUF_INIT;
    char cut[SLACK_SECTION_MAX + 4];
    notify_title(m, &title);
    mrkdwn_escape(&esc, sb_cstr(&title));
    notify_body(m, 1, &body);
    notify_copy(cut, SLACK_SECTION_MAX, sb_cstr(&body));
    if (body.len >= SLACK_SECTION_MAX) {
        strcat(cut, "\xE2\x80\xA6"); /* U+2026: the text was cut */
    }
    sb_adds(out, "{\"text\":");
    sb_json_str(out, sb_cstr(&esc), esc.len);
    sb_adds(out, ",\"blocks\":[{\"type\":\"section\",\"text\":{\"type\":\"mrkdwn\",\"text\":");
    sb_json_str(out, cut, strlen(cut));
    sb_adds(out, "}}],\"unfurl_links\":false,\"unfurl_media\":false}");
    sb_free(&title);
    sb_free(&esc);
    sb_free(&body);
}

int slack_deliver(struct notifier *n, const struct notify_msg *m, int64_t timeout_ms, char *why,
                  size_t cap)
{
    static const char *const headers[] = {"Content-Type: application/json; charset=utf-8",
                                          NULL};
    const char *secrets[] = {n->url};
    struct strbuf body = STRBUF_INIT;
    int rc;
    slack_payload(m, &body);
    if (body.failed) {
        sb_free(&body);
        snprintf(why, cap, "out of memory building the payload");
        return -1;
    }
    rc = http_post_json(n->url, headers, body.p, body.len, timeout_ms, secrets, 1, why, cap);
    sb_free(&body);
    return rc;
}
