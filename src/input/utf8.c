/* utf8.c - strict UTF-8 validation with an ASCII fast path.
 *
 * Most input is all ASCII (the CSV reader checks every record), so that is tested first, 16
 * bytes at a time; otherwise runs of ASCII are skipped eight bytes at a time and every
 * multi-byte sequence is checked against the well-formed byte ranges of Unicode Table 3-7,
 * which rules out overlongs, surrogates and code points above U+10FFFF in one place.
 */
#include "input/utf8.h"

#include <stdint.h>
#include <string.h>

#include "input/scan16.h"

#define ASCII_MASK 0x8080808080808080ULL

/* Length of the well-formed sequence starting at s[0] (avail >= 1 bytes there), or 0. */
static size_t seq_len(const unsigned char *s, size_t avail)
{
    unsigned lo = 0x80;
    unsigned hi = 0xBF;
    size_t need;
    size_t k;

    if (s[0] < 0x80) {
        return 1;
    } else if (s[0] >= 0xC2 && s[0] <= 0xDF) {
        need = 1;
    } else if (s[0] == 0xE0) {
        need = 2;
        lo = 0xA0; /* E0 80..9F would be overlong */
    } else if (s[0] == 0xED) {
        need = 2;
        hi = 0x9F; /* ED A0..BF would be a surrogate */
    } else if (s[0] >= 0xE1 && s[0] <= 0xEF) {
        need = 2;
    } else if (s[0] == 0xF0) {
        need = 3;
        lo = 0x90; /* F0 80..8F would be overlong */
    } else if (s[0] >= 0xF1 && s[0] <= 0xF3) {
        need = 3;
    } else if (s[0] == 0xF4) {
        need = 3;
        hi = 0x8F; /* F4 90.. would be above U+10FFFF */
    } else {
        return 0; /* 80..C1 (continuation or overlong lead) and F5..FF */
    }
    if (avail <= need) {
        return 0;
    }
    if (s[1] < lo || s[1] > hi) {
        return 0;
    }
    for (k = 2; k <= need; k++) {
        if ((s[k] & 0xC0) != 0x80) {
            return 0;
        }
    }
    return need + 1;
}

static uint64_t load8(const unsigned char *s)
{
    uint64_t w;

    memcpy(&w, s, sizeof(w));
    return w;
}

/* 1 when no byte of s[0..n) has its high bit set.  The high bits of all blocks are OR-ed
 * and tested once; the last block is loaded ending at s[n-1], overlapping the one before,
 * so no byte is handled alone and nothing past s[n-1] is read. */
static int all_ascii(const unsigned char *s, size_t n)
{
    uint64_t acc = 0;
    size_t i;

#if SL_SCAN16
    if (n >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + n - 16));

        for (i = 0; i + 16 < n; i += 16) {
            v = _mm_or_si128(v, _mm_loadu_si128((const __m128i *)(const void *)(s + i)));
        }
        return _mm_movemask_epi8(v) == 0;
    }
#endif
    if (n >= 8) {
        acc = load8(s + n - 8);
        for (i = 0; i + 8 < n; i += 8) {
            acc |= load8(s + i);
        }
        return (acc & ASCII_MASK) == 0;
    }
    for (i = 0; i < n; i++) {
        acc |= s[i];
    }
    return acc < 0x80;
}

int utf8_valid(const char *p, size_t n, size_t *bad_offset)
{
    const unsigned char *s = (const unsigned char *)p;
    size_t i = 0;

    if (all_ascii(s, n)) {
        return 1;
    }
    while (i < n) {
        if (n - i >= 8) {
            if ((load8(s + i) & ASCII_MASK) == 0) {
                i += 8;
                continue;
            }
        }
        size_t k = seq_len(s + i, n - i);
        if (k == 0) {
            if (bad_offset != NULL) {
                *bad_offset = i;
            }
            return 0;
        }
        i += k;
    }
    return 1;
}
