/* email.c - e-mail over SMTP with libcurl: STARTTLS (required unless tls: none; smtps://
 * is TLS from the start), AUTH with the username from the config and the password from an
 * environment variable or a file, a plain-text UTF-8 message.
 *
 * Header injection: the only header built from data is Subject, and it goes through
 * mail_header_value (one line, controls as spaces, RFC 2047 for non-ASCII).  Addresses were
 * checked when the config was loaded.  The body has CRLF line ends and no line over 998
 * bytes; libcurl escapes lines that start with a dot.
 */
#include <curl/curl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/redact.h"
#include "notify/curl_dl.h"
#include "notify/internal.h"

#define MAIL_LINE_MAX 998

/* RFC 5322 date in UTC, independent of the locale. */
static void mail_date(char out[40])
{
    static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    struct tm tm;
    time_t now = time(NULL);
    if (gmtime_r(&now, &tm) == NULL) {
        memset(&tm, 0, sizeof(tm));
    }
    snprintf(out, 40, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday % 7], tm.tm_mday,
             months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* The body with CRLF line ends (any CR, LF or CRLF is one line end), long lines cut before
 * 998 bytes. */
static void crlf_body(struct strbuf *out, const char *s)
{
    size_t col = 0;
    for (; *s != '\0'; s++) {
        if (*s == '\r' || *s == '\n') {
            if (*s == '\r' && s[1] == '\n') {
                s++;
            }
            sb_adds(out, "\r\n");
            col = 0;
            continue;
        }
        if (col >= MAIL_LINE_MAX - 4 && ((unsigned char)*s & 0xC0) != 0x80) {
            /* at a character boundary, so the line stays under 998 bytes and valid UTF-8 */
            sb_adds(out, "\r\n");
            col = 0;
        }
        sb_addc(out, *s);
        col++;
    }
    sb_adds(out, "\r\n");
}

void email_message(const struct notify_def *d, const struct notify_msg *m, const char *date,
                   const char *msgid, struct strbuf *out)
{
    struct strbuf title = STRBUF_INIT, body = STRBUF_INIT;
    const char *subject;
    notify_title(m, &title);
    subject = sb_cstr(&title);
    if (strncmp(subject, "sluice: ", 8) == 0) {
        subject += 8;
    }
    sb_printf(out, "Date: %s\r\nFrom: %s\r\nTo: ", date, d->from);
    for (size_t i = 0; i < d->nto; i++) {
        sb_printf(out, "%s%s", i > 0 ? ", " : "", d->to[i]);
    }
    sb_adds(out, "\r\nSubject: ");
    mail_header_value(out, "[sluice] ");
    mail_header_value(out, subject);
    sb_printf(out, "\r\nMessage-ID: %s\r\nMIME-Version: 1.0\r\n"
              "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n"
              "Auto-Submitted: auto-generated\r\nX-Sluice-Event: %s\r\n\r\n", msgid,
              m->kind == NK_EVENT ? notify_ev_name(m->ev)
              : m->kind == NK_SUMMARY ? "summary" : "notifications_dropped");
    notify_body(m, 0, &body);
    crlf_body(out, sb_cstr(&body));
    sb_free(&title);
    sb_free(&body);
}

struct reader {
    const char *p;
    size_t left;
};

static size_t read_msg(char *buf, size_t size, size_t n, void *arg)
{
    struct reader *r = arg;
    size_t len = size * n < r->left ? size * n : r->left;
    memcpy(buf, r->p, len);
    r->p += len;
    r->left -= len;
    return len;
}

static int smtp_outcome(CURL *c, CURLcode e)
{
    long code = 0;
    switch (e) {
    case CURLE_OK:
        return 0;
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_LOGIN_DENIED:
    case CURLE_USE_SSL_FAILED:
    case CURLE_PEER_FAILED_VERIFICATION:
        return -1;
    default:
        break;
    }
    /* a 5xx reply (mailbox unknown, message refused) will not change on a retry */
    if (slc->easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code) == CURLE_OK && code >= 500) {
        return -1;
    }
    return 1;
}

int email_deliver(struct notifier *n, const struct notify_msg *m, int64_t timeout_ms, char *why,
                  size_t cap)
{
    static atomic_ulong seq;
    const struct notify_def *d = n->def;
    const char *secrets[] = {n->password};
    char date[40], msgid[160], from[300], errbuf[CURL_ERROR_SIZE] = "", msg[512];
    const char *domain = strchr(d->from, '@');
    struct strbuf text = STRBUF_INIT;
    struct curl_slist *rcpt = NULL;
    struct reader rd;
    CURLcode e = CURLE_OK;
    int rc;
    CURL *c;

    mail_date(date);
    snprintf(msgid, sizeof(msgid), "<%lld.%ld.%lu.sluice%s>", (long long)time(NULL),
             (long)getpid(), (unsigned long)atomic_fetch_add(&seq, 1) + 1, domain != NULL ? domain : "@localhost");
    email_message(d, m, date, msgid, &text);
    if (text.failed) {
        sb_free(&text);
        snprintf(why, cap, "out of memory building the message");
        return -1;
    }
    snprintf(from, sizeof(from), "<%s>", d->from);
    for (size_t i = 0; i < d->nto && e == CURLE_OK; i++) {
        char to[300];
        snprintf(to, sizeof(to), "<%s>", d->to[i]);
        struct curl_slist *next = slc->slist_append(rcpt, to);
        e = next != NULL ? CURLE_OK : CURLE_OUT_OF_MEMORY;
        rcpt = next != NULL ? next : rcpt;
    }
    if ((c = slc->easy_init()) == NULL) {
        slc->slist_free_all(rcpt);
        sb_free(&text);
        snprintf(why, cap, "cannot create a curl handle");
        return 1;
    }
    rd.p = text.p;
    rd.left = text.len;
#define SET(opt, val)                          \
    do {                                       \
        if (e == CURLE_OK) {                   \
            e = slc->easy_setopt(c, opt, val); \
        }                                      \
    } while (0)
    SET(CURLOPT_URL, n->url);
    SET(CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    SET(CURLOPT_USE_SSL, (long)(d->starttls ? CURLUSESSL_ALL : CURLUSESSL_NONE));
    if (d->ca_file != NULL) {
        SET(CURLOPT_CAINFO, d->ca_file);
    }
    if (d->username != NULL) {
        SET(CURLOPT_USERNAME, d->username);
        SET(CURLOPT_PASSWORD, n->password);
    }
    SET(CURLOPT_MAIL_FROM, from);
    SET(CURLOPT_MAIL_RCPT, rcpt);
    SET(CURLOPT_UPLOAD, 1L);
    SET(CURLOPT_READFUNCTION, read_msg);
    SET(CURLOPT_READDATA, &rd);
    SET(CURLOPT_INFILESIZE_LARGE, (curl_off_t)text.len);
    SET(CURLOPT_TIMEOUT_MS, (long)timeout_ms);
    SET(CURLOPT_CONNECTTIMEOUT_MS, (long)(timeout_ms < 5000 ? timeout_ms : 5000));
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_ERRORBUFFER, errbuf);
#undef SET
    if (e == CURLE_OK) {
        e = slc->easy_perform(c);
    }
    rc = smtp_outcome(c, e);
    if (rc != 0) {
        snprintf(msg, sizeof(msg), "smtp: %s", errbuf[0] != '\0' ? errbuf : slc->easy_strerror(e));
        redact_text(msg, why, cap, secrets, 1);
    } else {
        why[0] = '\0';
    }
    slc->easy_cleanup(c);
    slc->slist_free_all(rcpt);
    sb_free(&text);
    return rc;
}
