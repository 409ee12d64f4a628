/* escape.c - data values (file names, error texts) made safe for where they are written.
 *
 * Slack mrkdwn: &, < and > are the control characters (<!channel>, <url|text>), so they are
 * always written as &amp; &lt; &gt;.  Values are shown as inline code, where *bold*, _italic_
 * and ~strike~ are not interpreted; a backtick inside would end the code span, so it becomes
 * a plain quote.  Control characters become spaces (no line breaks inside a value).
 *
 * Mail headers: a value is one line: CR, LF and every other control character become a
 * space, so a file named "x\r\nBcc: victim@example.com.csv" cannot add a header.  Text that
 * is not plain ASCII is written as RFC 2047 encoded words (=?UTF-8?B?...?=), each at most 75
 * bytes and split at character boundaries, folded onto continuation lines.
 */
#include <openssl/evp.h>
#include <string.h>

#include "input/utf8.h"
#include "notify/internal.h"

/* Length of the valid UTF-8 sequence at s (n bytes available), or 0 when invalid. */
static size_t seq_len(const unsigned char *s, size_t n)
{
    size_t len = s[0] < 0x80 ? 1 : s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC0 ? 2 : 0;
    if (len == 0 || len > n || !utf8_valid((const char *)s, len, NULL)) {
        return 0;
    }
    return len;
}

static void escape(struct strbuf *out, const char *s, int code)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    while (n > 0) {
        size_t len = seq_len(p, n);
        if (len == 0) {
            sb_adds(out, "\xEF\xBF\xBD"); /* U+FFFD for an invalid byte */
            len = 1;
        } else if (*p == '&') {
            sb_adds(out, "&amp;");
        } else if (*p == '<') {
            sb_adds(out, "&lt;");
        } else if (*p == '>') {
            sb_adds(out, "&gt;");
        } else if (*p < 0x20 || *p == 0x7F) {
            sb_addc(out, ' ');
        } else if (code && *p == '`') {
            sb_addc(out, '\'');
        } else {
            sb_add(out, p, len);
        }
        p += len;
        n -= len;
    }
}

void mrkdwn_escape(struct strbuf *out, const char *s)
{
    escape(out, s, 0);
}

void mrkdwn_code(struct strbuf *out, const char *s)
{
    sb_addc(out, '`');
    if (s[0] == '\0') {
        sb_addc(out, ' ');
    }
    escape(out, s, 1);
    sb_addc(out, '`');
}

#define EW_MAX_BYTES 45 /* input bytes per encoded word: 60 base64 chars, 72 with the frame */

void mail_header_value(struct strbuf *out, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s), total = 0;
    int ascii = 1;
    for (size_t i = 0; i < n; i++) {
        ascii &= p[i] < 0x80;
    }
    if (ascii) {
        for (size_t i = 0; i < n && i < 900; i++) {
            sb_addc(out, (p[i] < 0x20 || p[i] == 0x7F) ? ' ' : (char)p[i]);
        }
        return;
    }
    /* UTF-8 text: encoded words, split at character boundaries, controls as spaces */
    while (n > 0 && total < 900) {
        unsigned char chunk[EW_MAX_BYTES];
        unsigned char b64[4 * ((EW_MAX_BYTES + 2) / 3) + 1];
        size_t used = 0;
        while (n > 0) {
            size_t len = seq_len(p, n);
            const unsigned char *src = p;
            size_t take = len;
            if (len == 0) {
                src = (const unsigned char *)"\xEF\xBF\xBD";
                take = 3;
                len = 1;
            }
            if (used + take > EW_MAX_BYTES) {
                break;
            }
            memcpy(chunk + used, src, take);
            if (take == 1 && (chunk[used] < 0x20 || chunk[used] == 0x7F)) {
                chunk[used] = ' ';
            }
            used += take;
            p += len;
            n -= len;
        }
        int enc = EVP_EncodeBlock(b64, chunk, (int)used);
        if (total > 0) {
            sb_adds(out, "\r\n ");
        }
        sb_adds(out, "=?UTF-8?B?");
        sb_add(out, b64, enc > 0 ? (size_t)enc : 0);
        sb_adds(out, "?=");
        total += used;
    }
}
