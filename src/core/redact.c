/* redact.c - see redact.h. */
#include "core/redact.h"

#include <string.h>

static const char *stars(char *out, size_t cap)
{
    if (cap > 0) {
        size_t n = strlen(REDACTED) < cap - 1 ? strlen(REDACTED) : cap - 1;
        memcpy(out, REDACTED, n);
        out[n] = '\0';
    }
    return out;
}

const char *redact_url(const char *url, char *out, size_t cap)
{
    const char *p = url != NULL ? strstr(url, "://") : NULL;
    size_t scheme, host;
    if (p == NULL || p == url) {
        return stars(out, cap);
    }
    scheme = (size_t)(p - url) + 3;
    p += 3;
    /* the authority ends at the first / ? or #; user info ends at its last @ */
    host = strcspn(p, "/?#");
    for (size_t i = host; i > 0; i--) {
        if (p[i - 1] == '@') {
            p += i;
            host -= i;
            break;
        }
    }
    if (host == 0 || scheme + host + 1 + strlen(REDACTED) >= cap) {
        return stars(out, cap);
    }
    memcpy(out, url, scheme);
    memcpy(out + scheme, p, host);
    out[scheme + host] = '/';
    memcpy(out + scheme + host + 1, REDACTED, strlen(REDACTED) + 1);
    return out;
}

const char *redact_text(const char *in, char *out, size_t cap, const char *const *secrets,
                        size_t n)
{
    size_t o = 0;
    if (cap == 0) {
        return out;
    }
    while (in != NULL && *in != '\0' && o + 1 < cap) {
        size_t hit = 0;
        for (size_t i = 0; i < n; i++) {
            size_t len = secrets[i] != NULL ? strlen(secrets[i]) : 0;
            if (len > 0 && strncmp(in, secrets[i], len) == 0 && len > hit) {
                hit = len;
            }
        }
        if (hit > 0) {
            for (const char *r = REDACTED; *r != '\0' && o + 1 < cap; r++) {
                out[o++] = *r;
            }
            in += hit;
        } else {
            out[o++] = *in++;
        }
    }
    out[o] = '\0';
    return out;
}
