/* strbuf.h - a growable byte buffer with a hard cap, and JSON/CSV text helpers on it.
 *
 * Appends never fail silently: the first failure (out of memory or over the cap) is sticky
 * in sb->failed and later appends are no-ops, so callers check once at the end.
 */
#ifndef SL_STRBUF_H
#define SL_STRBUF_H

#include <stddef.h>
#include <stdint.h>

struct strbuf {
    char *p;      /* always NUL-terminated when len > 0 or after sb_cstr */
    size_t len;
    size_t cap;
    size_t limit; /* 0 = 1 GiB */
    int failed;   /* sticky: 1 after an allocation failure or exceeding limit */
};

#define STRBUF_INIT {NULL, 0, 0, 0, 0}

void sb_free(struct strbuf *sb);
void sb_reset(struct strbuf *sb); /* len = 0, keeps memory; clears failed */
void sb_add(struct strbuf *sb, const void *p, size_t n);
void sb_adds(struct strbuf *sb, const char *s);
void sb_addc(struct strbuf *sb, char c);
void sb_printf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *sb_cstr(struct strbuf *sb); /* "" when empty or failed */

/* JSON: a quoted, escaped string (invalid UTF-8 bytes become U+FFFD, control bytes \u00XX). */
void sb_json_str(struct strbuf *sb, const char *p, size_t n);
/* A finite double as a JSON number (null for NaN/inf). */
void sb_json_num(struct strbuf *sb, double d);

/* CSV: one field, quoted when it holds the delimiter, a quote, CR or LF. */
void sb_csv_field(struct strbuf *sb, const char *p, size_t n, char delim);

#endif
