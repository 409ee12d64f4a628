/* internal.h - the parts of src/notify: notifier.c (set up, offer, stats), worker.c (the
 * delivery thread), ratelimit.c (min_interval and summaries), text.c (the readable summary),
 * escape.c (Slack mrkdwn, mail headers), the senders slack.c, webhook.c, email.c, logsink.c,
 * post.c (HTTP POST with libcurl) and secret.c (secrets from the environment or files).
 */
#ifndef SL_NOTIFY_INTERNAL_H
#define SL_NOTIFY_INTERNAL_H

#include <pthread.h>
#include <stdint.h>

#include "core/strbuf.h"
#include "notify/notify.h"

#define NOTIFY_BACKOFF_MAX_MS 300000 /* retry delays double up to 5 minutes */

/* --- rate limit (ratelimit.c): pure logic over a monotonic clock in ns ------------------ */
struct ratelimit {
    int64_t interval_ns; /* 0: no limit */
    int64_t last_ns;     /* when the last message went out (window start) */
    int has_last;
    struct notify_msg *pending; /* the summary being folded, or NULL */
};

enum rl_action { RL_SEND = 0, RL_FOLDED, RL_NOMEM };
/* An event at now: RL_SEND when it may go out now (the window restarts), else folded into
 * the pending summary (RL_FOLDED), or RL_NOMEM when the summary could not be allocated. */
enum rl_action rl_offer(struct ratelimit *rl, int64_t now, const struct notify_msg *m);
/* The pending summary when its window has ended (or force), else NULL; the caller owns it
 * and the window restarts at now. */
struct notify_msg *rl_take(struct ratelimit *rl, int64_t now, int force);
/* When the pending summary is due (INT64_MAX when none). */
int64_t rl_deadline(const struct ratelimit *rl);
void rl_free(struct ratelimit *rl);

/* --- one notifier --------------------------------------------------------------------- */
struct notifier {
    const struct notify_def *def; /* name, type, events, limits: owned by the set */
    /* resolved at start (secrets: never logged) */
    char *url;      /* slack, webhook: the endpoint; email: smtp_url */
    char *secret;   /* webhook: HMAC key, or NULL */
    char *password; /* email: or NULL */

    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thread;
    int running, stop;
    int64_t drain_deadline_ns;
    struct notify_msg **q; /* ring of def->queue_size */
    size_t head, len;
    struct ratelimit rl;
    uint64_t sent, failed, retries, dropped, rate_limited;
    uint64_t dropped_unreported;
    int busy; /* the worker holds a message (delivering or waiting to retry it) */
};

struct notify_set {
    struct notify_def *defs; /* copies of the config's */
    size_t n;
    struct notifier *v;
};

int64_t notify_now_ns(void); /* CLOCK_MONOTONIC */

/* worker.c */
void *notify_worker(void *arg);

/* Delivery of one message by one notifier (the senders).  timeout_ms bounds the attempt.
 * Returns 0 delivered, 1 failed but worth retrying (network, 429, 5xx), -1 failed for good
 * (4xx, bad payload).  why gets a redacted reason. */
int notify_deliver(struct notifier *n, const struct notify_msg *m, unsigned attempt,
                   int64_t timeout_ms, char *why, size_t cap);
int slack_deliver(struct notifier *n, const struct notify_msg *m, int64_t timeout_ms, char *why,
                  size_t cap);
int webhook_deliver(struct notifier *n, const struct notify_msg *m, int64_t timeout_ms,
                    char *why, size_t cap);
int email_deliver(struct notifier *n, const struct notify_msg *m, int64_t timeout_ms, char *why,
                  size_t cap);
int logsink_deliver(struct notifier *n, const struct notify_msg *m);

/* Payloads, kept apart from delivery so the tests can check them. */
void slack_payload(const struct notify_msg *m, struct strbuf *out);
void webhook_payload(const struct notify_msg *m, struct strbuf *out);
/* "sha256=" + hex HMAC-SHA256(key, "<ts>.<body>"), into out[80]. */
int webhook_signature(const char *key, const char *ts, const char *body, size_t len,
                      char out[80]);
/* The whole message (headers, blank line, body), CRLF line ends. */
void email_message(const struct notify_def *d, const struct notify_msg *m, const char *date,
                   const char *msgid, struct strbuf *out);

/* text.c: the readable summary.  mrkdwn: escape data values for Slack and use its markup;
 * else plain text.  title: one line without markup (the Slack fallback, the mail subject). */
void notify_title(const struct notify_msg *m, struct strbuf *out);
void notify_body(const struct notify_msg *m, int mrkdwn, struct strbuf *out);

/* escape.c */
void mrkdwn_escape(struct strbuf *out, const char *s);  /* & < > escaped, controls -> space */
void mrkdwn_code(struct strbuf *out, const char *s);    /* `s` inline code, safe inside */
/* A header value on one line: CR, LF and other controls become spaces; non-ASCII text is
 * encoded as RFC 2047 UTF-8 B-words.  Folded to stay under 998 bytes per line. */
void mail_header_value(struct strbuf *out, const char *s);

/* post.c: HTTP POST of a JSON body.  headers: NULL-terminated "Name: value" lines.
 * Returns like notify_deliver; secrets are scrubbed from why. */
int http_post_json(const char *url, const char *const *headers, const char *body, size_t len,
                   int64_t timeout_ms, const char *const *secrets, size_t nsecrets, char *why,
                   size_t cap);

/* secret.c: reads a secret from the environment variable env or from file (first line,
 * without its line end).  what names it in messages ("notify[1] secret"). */
int secret_load(const char *env, const char *file, const char *what, char **out,
                struct sl_error *err);

#endif
