/* webhook.c - a generic JSON POST for machines: the event with every field (webhook_payload),
 * and, when a secret is configured, a signature a receiver can check:
 *
 *   X-Sluice-Timestamp: 1767225600              (Unix seconds when it was signed)
 *   X-Sluice-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>
 *
 * Signing the timestamp with the body lets the receiver refuse replays of old deliveries.
 */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "notify/internal.h"

static void jstr(struct strbuf *out, const char *key, const char *val)
{
    sb_printf(out, ",\"%s\":", key);
    sb_json_str(out, val, strlen(val));
}

static void jnum(struct strbuf *out, const char *key, uint64_t v)
{
    sb_printf(out, ",\"%s\":%llu", key, (unsigned long long)v);
}

static void file_object(const struct notify_msg *m, struct strbuf *out)
{
    sb_adds(out, ",\"file\":{\"name\":");
    sb_json_str(out, m->file, strlen(m->file));
    jstr(out, "status", m->status);
    jstr(out, "sha256", m->sha256);
    sb_printf(out, ",\"attempt\":%u", m->attempt);
    jnum(out, "size_bytes", m->size_bytes);
    sb_adds(out, ",\"duration_ms\":");
    sb_json_num(out, m->duration_ms);
    sb_printf(out, ",\"rows\":{\"total\":%llu,\"loaded\":%llu,\"rejected\":%llu,"
              "\"duplicate_key\":%llu}", (unsigned long long)m->rows_total,
              (unsigned long long)m->rows_loaded, (unsigned long long)m->rows_rejected,
              (unsigned long long)m->rows_duplicate_key);
    jstr(out, "error_code", m->error_code);
    jstr(out, "error_class", m->error_class);
    jstr(out, "error", m->error);
    sb_adds(out, ",\"first_errors\":[");
    for (size_t i = 0; i < m->nerrors && i < NOTIFY_MAX_ERRORS; i++) {
        sb_adds(out, i > 0 ? "," : "");
        sb_json_str(out, m->errors[i], strlen(m->errors[i]));
    }
    sb_adds(out, "],\"metrics\":");
    sb_adds(out, m->json[0] != '\0' ? m->json : "{}");
    sb_addc(out, '}');
}

void webhook_payload(const struct notify_msg *m, struct strbuf *out)
{
    static const char *const kinds[] = {"event", "summary", "dropped"};
    static const char *const statuses[] = {"ok", "partial", "failed", "duplicate"};
    struct strbuf title = STRBUF_INIT;
    notify_title(m, &title);
    sb_adds(out, "{\"source\":\"sluice\"");
    jstr(out, "version", SLUICE_VERSION);
    jstr(out, "kind", kinds[m->kind]);
    jstr(out, "event", m->kind == NK_EVENT ? notify_ev_name(m->ev)
                       : m->kind == NK_SUMMARY ? "summary" : "notifications_dropped");
    jstr(out, "ts", m->ts);
    jstr(out, "text", sb_cstr(&title));
    sb_free(&title);
    if (m->kind == NK_DROPPED) {
        jnum(out, "dropped", m->dropped);
    } else if (m->kind == NK_SUMMARY) {
        sb_adds(out, ",\"summary\":{\"events\":");
        sb_printf(out, "%llu", (unsigned long long)m->folded);
        jstr(out, "since", m->first_ts);
        jstr(out, "until", m->ts);
        sb_adds(out, ",\"by_event\":{");
        for (int e = 0, first = 1; e < NEV_COUNT; e++) {
            if (m->folded_ev[e] > 0) {
                sb_printf(out, "%s\"%s\":%llu", first ? "" : ",", notify_ev_name((enum notify_ev)e),
                          (unsigned long long)m->folded_ev[e]);
                first = 0;
            }
        }
        sb_adds(out, "}");
        jnum(out, "rows_rejected", m->folded_rows_rejected);
        sb_adds(out, ",\"files\":[");
        for (size_t i = 0; i < m->nsample; i++) {
            sb_adds(out, i > 0 ? "," : "");
            sb_json_str(out, m->sample[i], strlen(m->sample[i]));
        }
        sb_adds(out, "]}");
    } else if (m->ev == NEV_DAILY_DIGEST) {
        sb_adds(out, ",\"digest\":{\"since\":");
        sb_json_str(out, m->since, strlen(m->since));
        jstr(out, "until", m->until);
        sb_adds(out, ",\"files\":{");
        for (int i = 0; i < 4; i++) {
            sb_printf(out, "%s\"%s\":%llu", i > 0 ? "," : "", statuses[i],
                      (unsigned long long)m->files[i]);
        }
        sb_printf(out, "},\"rows\":{\"loaded\":%llu,\"rejected\":%llu,\"duplicate_key\":%llu}",
                  (unsigned long long)m->rows_loaded, (unsigned long long)m->rows_rejected,
                  (unsigned long long)m->rows_duplicate_key);
        sb_adds(out, ",\"details\":");
        sb_adds(out, m->json[0] != '\0' ? m->json : "{}");
        sb_addc(out, '}');
    } else {
        file_object(m, out);
        if (m->ev == NEV_RECOVERED) {
            jnum(out, "failures", m->failures);
        }
    }
    sb_addc(out, '}');
}

int webhook_signature(const char *key, const char *ts, const char *body, size_t len,
                      char out[80])
{
    static const char hex[] = "0123456789abcdef";
    struct strbuf msg = STRBUF_INIT;
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    sb_adds(&msg, ts);
    sb_addc(&msg, '.');
    sb_add(&msg, body, len);
    if (msg.failed || HMAC(EVP_sha256(), key, (int)strlen(key), (const unsigned char *)msg.p,
                           msg.len, mac, &maclen) == NULL || maclen != 32) {
        sb_free(&msg);
        return -1;
    }
    sb_free(&msg);
    memcpy(out, "sha256=", 7);
    for (unsigned i = 0; i < maclen; i++) {
        out[7 + 2 * i] = hex[mac[i] >> 4];
        out[8 + 2 * i] = hex[mac[i] & 15];
    }
    out[7 + 2 * maclen] = '\0';
    return 0;
}

int webhook_deliver(struct notifier *n, const struct notify_msg *m, int64_t timeout_ms,
                    char *why, size_t cap)
{
    char ts[24], sig[80], h_ts[64], h_sig[128], h_ev[96];
    const char *headers[6];
    const char *secrets[] = {n->url, n->secret};
    struct strbuf body = STRBUF_INIT;
    size_t nh = 0;
    int rc;

    webhook_payload(m, &body);
    if (body.failed) {
        sb_free(&body);
        snprintf(why, cap, "out of memory building the payload");
        return -1;
    }
    headers[nh++] = "Content-Type: application/json; charset=utf-8";
    snprintf(h_ev, sizeof(h_ev), "X-Sluice-Event: %s", m->kind == NK_EVENT ? notify_ev_name(m->ev)
             : m->kind == NK_SUMMARY ? "summary" : "notifications_dropped");
    headers[nh++] = h_ev;
    if (n->secret != NULL) {
        snprintf(ts, sizeof(ts), "%lld", (long long)time(NULL));
        if (webhook_signature(n->secret, ts, body.p, body.len, sig) != 0) {
            sb_free(&body);
            snprintf(why, cap, "cannot compute the HMAC signature");
            return -1;
        }
        snprintf(h_ts, sizeof(h_ts), "X-Sluice-Timestamp: %s", ts);
        snprintf(h_sig, sizeof(h_sig), "X-Sluice-Signature: %s", sig);
        headers[nh++] = h_ts;
        headers[nh++] = h_sig;
    }
    headers[nh] = NULL;
    rc = http_post_json(n->url, headers, body.p, body.len, timeout_ms, secrets, 2, why, cap);
    sb_free(&body);
    return rc;
}
