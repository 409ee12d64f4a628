/* strbuf.c - growable buffer with a cap, JSON string escaping and CSV field quoting. */
#include "core/strbuf.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SB_DEFAULT_LIMIT ((size_t)1 << 30)

void sb_free(struct strbuf *sb)
{
    free(sb->p);
    sb->p = NULL;
    sb->len = sb->cap = 0;
    sb->failed = 0;
}

void sb_reset(struct strbuf *sb)
{
    sb->len = 0;
    sb->failed = 0;
    if (sb->p != NULL) {
        sb->p[0] = '\0';
    }
}

static int sb_reserve(struct strbuf *sb, size_t extra)
{
    size_t limit = sb->limit ? sb->limit : SB_DEFAULT_LIMIT;
    if (sb->failed) {
        return -1;
    }
    if (extra > limit || sb->len + extra > limit) {
        sb->failed = 1;
        return -1;
    }
    size_t need = sb->len + extra + 1;
    if (need <= sb->cap) {
        return 0;
    }
    size_t ncap = sb->cap ? sb->cap : 64;
    while (ncap < need) {
        ncap *= 2;
    }
    char *np = realloc(sb->p, ncap);
    if (np == NULL) {
        sb->failed = 1;
        return -1;
    }
    sb->p = np;
    sb->cap = ncap;
    return 0;
}

void sb_add(struct strbuf *sb, const void *p, size_t n)
{
    if (sb_reserve(sb, n) != 0) {
        return;
    }
    if (n > 0) {
        memcpy(sb->p + sb->len, p, n);
    }
    sb->len += n;
    sb->p[sb->len] = '\0';
}

void sb_adds(struct strbuf *sb, const char *s)
{
    sb_add(sb, s, strlen(s));
}

void sb_addc(struct strbuf *sb, char c)
{
    sb_add(sb, &c, 1);
}

void sb_printf(struct strbuf *sb, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0) {
        sb->failed = 1;
        return;
    }
    if ((size_t)n < sizeof(small)) {
        sb_add(sb, small, (size_t)n);
        return;
    }
    if (sb_reserve(sb, (size_t)n) != 0) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(sb->p + sb->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    sb->len += (size_t)n;
}

const char *sb_cstr(struct strbuf *sb)
{
    if (sb->failed || sb->p == NULL) {
        return "";
    }
    return sb->p;
}

/* Length of a valid UTF-8 sequence starting at p (1..4), or 0 when invalid. */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
    unsigned char c = p[0];
    size_t len;
    unsigned int cp;
    if (c < 0x80) {
        return 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (n < len) {
        return 0;
    }
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80) {
            return 0;
        }
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (len == 4 && (cp < 0x10000 || cp > 0x10FFFF))) {
        return 0;
    }
    return len;
}

void sb_json_str(struct strbuf *sb, const char *p, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = (const unsigned char *)p;
    sb_addc(sb, '"');
    size_t i = 0;
    while (i < n) {
        size_t run = i;
        while (run < n && s[run] >= 0x20 && s[run] < 0x80 && s[run] != '"' && s[run] != '\\') {
            run++;
        }
        if (run > i) {
            sb_add(sb, s + i, run - i);
            i = run;
            continue;
        }
        unsigned char c = s[i];
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            sb_add(sb, esc, 2);
            i++;
        } else if (c == '\n') {
            sb_add(sb, "\\n", 2);
            i++;
        } else if (c == '\r') {
            sb_add(sb, "\\r", 2);
            i++;
        } else if (c == '\t') {
            sb_add(sb, "\\t", 2);
            i++;
        } else if (c < 0x20 || c == 0x7F) {
            char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            sb_add(sb, esc, 6);
            i++;
        } else {
            size_t len = utf8_seq(s + i, n - i);
            if (len == 0) {
                sb_add(sb, "\\ufffd", 6);
                i++;
            } else {
                sb_add(sb, s + i, len);
                i += len;
            }
        }
    }
    sb_addc(sb, '"');
}

void sb_json_num(struct strbuf *sb, double d)
{
    if (!isfinite(d)) {
        sb_adds(sb, "null");
        return;
    }
    char buf[40];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, sizeof(buf), "%.*g", prec, d);
        if (strtod(buf, NULL) == d) {
            break;
        }
    }
    sb_adds(sb, buf);
}

void sb_csv_field(struct strbuf *sb, const char *p, size_t n, char delim)
{
    int need = 0;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (c == delim || c == '"' || c == '\r' || c == '\n') {
            need = 1;
            break;
        }
    }
    if (!need) {
        sb_add(sb, p, n);
        return;
    }
    sb_addc(sb, '"');
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '"') {
            sb_add(sb, p + start, i - start + 1);
            sb_addc(sb, '"');
            start = i + 1;
        }
    }
    sb_add(sb, p + start, n - start);
    sb_addc(sb, '"');
}
