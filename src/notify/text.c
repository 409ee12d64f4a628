/* text.c - the readable summary of a notification: a one-line title (mail subject, Slack
 * fallback) and a body of short lines, plain for e-mail or Slack mrkdwn, where every data
 * value (file name, error text, metric value) goes through escape.c.
 */
#include <stdio.h>
#include <string.h>

#include "notify/internal.h"

void notify_copy(char *dst, size_t cap, const char *s)
{
    size_t n = s != NULL ? strlen(s) : 0;
    if (cap == 0) {
        return;
    }
    if (n >= cap) {
        n = cap - 1;
        /* do not cut a UTF-8 sequence: drop continuation bytes, then their lead byte */
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80) {
            n--;
        }
    }
    if (n > 0) {
        memcpy(dst, s, n);
    }
    dst[n] = '\0';
}

static const char *ev_title(enum notify_ev ev)
{
    switch (ev) {
    case NEV_FILE_FAILED:
        return "file failed";
    case NEV_FILE_PARTIAL:
        return "file partially loaded";
    case NEV_RETRY_EXHAUSTED:
        return "retries exhausted";
    case NEV_DAILY_DIGEST:
        return "daily digest";
    case NEV_RECOVERED:
        return "recovered";
    case NEV_COUNT:
        break;
    }
    return "event";
}

void notify_title(const struct notify_msg *m, struct strbuf *out)
{
    if (m->kind == NK_DROPPED) {
        sb_printf(out, "sluice: %llu notifications dropped (queue full)",
                  (unsigned long long)m->dropped);
        return;
    }
    if (m->kind == NK_SUMMARY) {
        sb_printf(out, "sluice: %llu more events (rate limited)", (unsigned long long)m->folded);
        return;
    }
    sb_printf(out, "sluice: %s", ev_title(m->ev));
    switch (m->ev) {
    case NEV_FILE_FAILED:
        sb_printf(out, ": %s (%s)", m->file, m->error_code[0] ? m->error_code : "failed");
        break;
    case NEV_FILE_PARTIAL:
        sb_printf(out, ": %s (%llu of %llu rows loaded)", m->file,
                  (unsigned long long)m->rows_loaded, (unsigned long long)m->rows_total);
        break;
    case NEV_RETRY_EXHAUSTED:
        sb_printf(out, ": %s (attempt %u)", m->file, m->attempt);
        break;
    case NEV_DAILY_DIGEST: {
        uint64_t files = m->files[0] + m->files[1] + m->files[2] + m->files[3];
        sb_printf(out, ": %llu files, %llu failed", (unsigned long long)files,
                  (unsigned long long)m->files[2]);
        break;
    }
    case NEV_RECOVERED:
        sb_printf(out, ": %s loaded after %llu failures", m->file,
                  (unsigned long long)m->failures);
        break;
    case NEV_COUNT:
        break;
    }
}

/* A data value: inline code in mrkdwn; in plain text as is, but on one line (control
 * characters become spaces). */
static void value(struct strbuf *out, int md, const char *s)
{
    if (md) {
        mrkdwn_code(out, s);
        return;
    }
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        sb_addc(out, (c < 0x20 || c == 0x7F) ? ' ' : (char)c);
    }
}

static void heading(struct strbuf *out, int md, const char *s)
{
    sb_adds(out, md ? "*" : "");
    sb_adds(out, s);
    sb_adds(out, md ? "*" : "");
}

/* Reads one JSON string at *p (after its quote) into buf; 0 or -1. */
static int json_string(const char **p, char *buf, size_t cap)
{
    size_t n = 0;
    const char *s = *p;
    while (*s != '"') {
        char c = *s++;
        if (c == '\0') {
            return -1;
        }
        if (c == '\\') {
            c = *s++;
            if (c == '\0') {
                return -1;
            }
            c = c == 'n' ? ' ' : c == 't' ? ' ' : c == 'r' ? ' ' : c;
        }
        if (n + 1 < cap) {
            buf[n++] = c;
        }
    }
    buf[n] = '\0';
    *p = s + 1;
    return 0;
}

/* Lists a flat JSON object {"k": scalar, ...} as "k: value" lines; 0, or -1 when it is not
 * one (the caller then shows the raw text). */
static int metric_lines(struct strbuf *out, int md, const char *json)
{
    struct strbuf tmp = STRBUF_INIT;
    char key[128], val[256];
    const char *p = json;
    int rc = -1, first = 1;
    p += strspn(p, " \t\r\n");
    if (*p++ != '{') {
        return -1;
    }
    for (;;) {
        p += strspn(p, " \t\r\n");
        if (*p == '}' && first) {
            rc = 0;
            break;
        }
        if (*p++ != '"' || json_string(&p, key, sizeof(key)) != 0) {
            break;
        }
        p += strspn(p, " \t\r\n");
        if (*p++ != ':') {
            break;
        }
        p += strspn(p, " \t\r\n");
        if (*p == '"') {
            p++;
            if (json_string(&p, val, sizeof(val)) != 0) {
                break;
            }
        } else {
            size_t len = strcspn(p, ",}");
            if (len == 0 || len >= sizeof(val) || memchr(p, '{', len) || memchr(p, '[', len)) {
                break;
            }
            memcpy(val, p, len);
            while (len > 0 && strchr(" \t\r\n", val[len - 1]) != NULL) {
                len--;
            }
            val[len] = '\0';
            p += strcspn(p, ",}");
        }
        sb_adds(&tmp, md ? "\n\xE2\x80\xA2 " : "\n  ");
        if (md) {
            mrkdwn_escape(&tmp, key);
        } else {
            sb_adds(&tmp, key);
        }
        sb_adds(&tmp, ": ");
        value(&tmp, md, val);
        first = 0;
        p += strspn(p, " \t\r\n");
        if (*p == ',') {
            p++;
            continue;
        }
        rc = *p == '}' ? 0 : -1;
        break;
    }
    if (rc == 0 && !tmp.failed) {
        sb_add(out, tmp.p, tmp.len);
    }
    sb_free(&tmp);
    return rc;
}

static void file_body(const struct notify_msg *m, int md, struct strbuf *out)
{
    sb_printf(out, "\nStatus: %s", m->status[0] ? m->status : "-");
    if (m->attempt > 0) {
        sb_printf(out, " \xC2\xB7 attempt %u", m->attempt);
    }
    sb_printf(out, "\nRows: %llu total \xC2\xB7 %llu loaded \xC2\xB7 %llu rejected \xC2\xB7 %llu "
              "duplicate keys", (unsigned long long)m->rows_total,
              (unsigned long long)m->rows_loaded, (unsigned long long)m->rows_rejected,
              (unsigned long long)m->rows_duplicate_key);
    sb_printf(out, "\nSize: %llu bytes \xC2\xB7 duration %.0f ms",
              (unsigned long long)m->size_bytes, m->duration_ms);
    if (m->error[0] != '\0') {
        sb_printf(out, "\nError (%s): ", m->error_code[0] ? m->error_code : "error");
        value(out, md, m->error);
    }
    if (m->nerrors > 0) {
        sb_adds(out, "\nFirst errors:");
        for (size_t i = 0; i < m->nerrors && i < NOTIFY_MAX_ERRORS; i++) {
            sb_adds(out, md ? "\n\xE2\x80\xA2 " : "\n  - ");
            value(out, md, m->errors[i]);
        }
    }
    if (m->json[0] != '\0') {
        sb_adds(out, "\nMetrics:");
        if (metric_lines(out, md, m->json) != 0) {
            sb_addc(out, ' ');
            value(out, md, m->json);
        }
    }
    if (m->sha256[0] != '\0') {
        sb_adds(out, "\nSHA-256: ");
        value(out, md, m->sha256);
    }
}

static void summary_body(const struct notify_msg *m, int md, struct strbuf *out)
{
    sb_printf(out, "\nBetween %s and %s (one message per min_interval):", m->first_ts, m->ts);
    for (int e = 0; e < NEV_COUNT; e++) {
        if (m->folded_ev[e] > 0) {
            sb_printf(out, "%s%s: %llu", md ? "\n\xE2\x80\xA2 " : "\n  - ",
                      notify_ev_name((enum notify_ev)e), (unsigned long long)m->folded_ev[e]);
        }
    }
    sb_printf(out, "\nRejected rows: %llu", (unsigned long long)m->folded_rows_rejected);
    if (m->nsample > 0) {
        sb_adds(out, "\nFiles: ");
        for (size_t i = 0; i < m->nsample; i++) {
            sb_adds(out, i > 0 ? ", " : "");
            value(out, md, m->sample[i]);
        }
        if (m->folded > m->nsample) {
            sb_printf(out, " and %llu more", (unsigned long long)(m->folded - m->nsample));
        }
    }
}

void notify_body(const struct notify_msg *m, int md, struct strbuf *out)
{
    struct strbuf title = STRBUF_INIT;
    if (m->kind == NK_DROPPED) {
        heading(out, md, "Notifications dropped");
        sb_printf(out, "\n%llu notifications were dropped because the queue was full (the "
                  "endpoint was slow or down). See the log and /status.",
                  (unsigned long long)m->dropped);
        return;
    }
    if (m->kind == NK_SUMMARY) {
        sb_printf(&title, "%llu more events (rate limited)", (unsigned long long)m->folded);
        heading(out, md, sb_cstr(&title));
        sb_free(&title);
        summary_body(m, md, out);
        return;
    }
    sb_adds(&title, ev_title(m->ev));
    if (title.len > 0 && !title.failed) {
        title.p[0] = (char)(title.p[0] - 'a' + 'A');
    }
    heading(out, md, sb_cstr(&title));
    sb_free(&title);
    if (m->ev == NEV_DAILY_DIGEST) {
        sb_printf(out, " %s \xE2\x80\x93 %s", m->since, m->until);
        sb_printf(out, "\nFiles: %llu ok \xC2\xB7 %llu partial \xC2\xB7 %llu failed \xC2\xB7 "
                  "%llu duplicate", (unsigned long long)m->files[0],
                  (unsigned long long)m->files[1], (unsigned long long)m->files[2],
                  (unsigned long long)m->files[3]);
        sb_printf(out, "\nRows: %llu loaded \xC2\xB7 %llu rejected \xC2\xB7 %llu duplicate keys",
                  (unsigned long long)m->rows_loaded, (unsigned long long)m->rows_rejected,
                  (unsigned long long)m->rows_duplicate_key);
        return;
    }
    sb_addc(out, ' ');
    value(out, md, m->file);
    if (m->ev == NEV_RECOVERED) {
        sb_printf(out, " loaded after %llu failed files or exhausted retries",
                  (unsigned long long)m->failures);
    }
    file_body(m, md, out);
}
