/* post.c - one HTTP POST of a JSON body with libcurl, for the Slack and webhook senders.
 * No redirects, http and https only, a total timeout, no signals (the worker thread must
 * never get SIGALRM).  Outcome: 0 for a 2xx answer; 1 (retry) for a network error, 408, 429
 * or 5xx; -1 (give up) for any other answer or a malformed URL.  The reason quotes the
 * status and the start of the answer, with the URL and secrets scrubbed.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#include "core/redact.h"
#include "notify/curl_dl.h"
#include "notify/internal.h"

struct answer {
    char text[160];
    size_t len;
};

static size_t keep_start(char *p, size_t size, size_t n, void *arg)
{
    struct answer *a = arg;
    size_t bytes = size * n;
    for (size_t i = 0; i < bytes && a->len + 1 < sizeof(a->text); i++) {
        unsigned char c = (unsigned char)p[i];
        a->text[a->len++] = (c < 0x20 || c == 0x7F) ? ' ' : (char)c;
    }
    a->text[a->len] = '\0';
    return bytes;
}

static int fail(const char *text, const char *const *secrets, size_t nsecrets, char *why,
                size_t cap, int rc)
{
    redact_text(text, why, cap, secrets, nsecrets);
    return rc;
}

int http_post_json(const char *url, const char *const *headers, const char *body, size_t len,
                   int64_t timeout_ms, const char *const *secrets, size_t nsecrets, char *why,
                   size_t cap)
{
    char errbuf[CURL_ERROR_SIZE] = "", msg[512];
    struct answer ans = {{0}, 0};
    struct curl_slist *hl = NULL;
    CURLcode e = CURLE_OK;
    long status = 0;
    int rc;
    CURL *c = slc->easy_init();

    if (c == NULL) {
        return fail("cannot create a curl handle", secrets, nsecrets, why, cap, 1);
    }
    for (size_t i = 0; headers != NULL && headers[i] != NULL; i++) {
        struct curl_slist *next = slc->slist_append(hl, headers[i]);
        if (next == NULL) {
            e = CURLE_OUT_OF_MEMORY;
            break;
        }
        hl = next;
    }
    if (e == CURLE_OK) {
        struct curl_slist *next = slc->slist_append(hl, "Expect:"); /* no 100-continue wait */
        e = next != NULL ? CURLE_OK : CURLE_OUT_OF_MEMORY;
        hl = next != NULL ? next : hl;
    }
#define SET(opt, val)                          \
    do {                                       \
        if (e == CURLE_OK) {                   \
            e = slc->easy_setopt(c, opt, val); \
        }                                      \
    } while (0)
    SET(CURLOPT_URL, url);
    SET(CURLOPT_PROTOCOLS_STR, "http,https");
    SET(CURLOPT_POST, 1L);
    SET(CURLOPT_POSTFIELDS, body);
    SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    SET(CURLOPT_HTTPHEADER, hl);
    SET(CURLOPT_USERAGENT, "sluice/" SLUICE_VERSION);
    SET(CURLOPT_TIMEOUT_MS, (long)timeout_ms);
    SET(CURLOPT_CONNECTTIMEOUT_MS, (long)(timeout_ms < 5000 ? timeout_ms : 5000));
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_FOLLOWLOCATION, 0L);
    SET(CURLOPT_ERRORBUFFER, errbuf);
    SET(CURLOPT_WRITEFUNCTION, keep_start);
    SET(CURLOPT_WRITEDATA, &ans);
#undef SET
    if (e == CURLE_OK) {
        e = slc->easy_perform(c);
    }
    if (e != CURLE_OK) {
        snprintf(msg, sizeof(msg), "%s", errbuf[0] != '\0' ? errbuf : slc->easy_strerror(e));
        rc = (e == CURLE_URL_MALFORMAT || e == CURLE_UNSUPPORTED_PROTOCOL) ? -1 : 1;
    } else if (slc->easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK) {
        snprintf(msg, sizeof(msg), "no HTTP status");
        rc = 1;
    } else if (status >= 200 && status < 300) {
        rc = 0;
    } else {
        snprintf(msg, sizeof(msg), "HTTP %ld: %s", status, ans.text);
        rc = (status == 408 || status == 429 || status >= 500) ? 1 : -1;
    }
    slc->slist_free_all(hl);
    slc->easy_cleanup(c);
    if (rc != 0) {
        return fail(msg, secrets, nsecrets, why, cap, rc);
    }
    why[0] = '\0';
    return 0;
}
