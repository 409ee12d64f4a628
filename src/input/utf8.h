/* utf8.h - strict UTF-8 validation for the CSV reader (and anything else that needs it).
 *
 * Strict means the Unicode definition (Table 3-7): no overlong forms, no surrogates
 * (U+D800..U+DFFF), nothing above U+10FFFF, no lone continuation bytes, no truncated
 * sequences.  NUL is valid UTF-8; callers that care about NUL check it themselves.
 */
#ifndef SL_UTF8_H
#define SL_UTF8_H

#include <stddef.h>

/* 1 when p[0..n) is valid UTF-8; else 0 and *bad_offset (if not NULL) is the offset of the
 * first byte of the first invalid or truncated sequence. */
int utf8_valid(const char *p, size_t n, size_t *bad_offset);

#endif
