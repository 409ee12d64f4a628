/* scan16.h - 16-byte block tests for the CSV scanner and the UTF-8 validator.
 *
 * Typical CSV fields are a few bytes long, so a byte-at-a-time search spends most of its time
 * on loop overhead.  With SSE2 (every x86-64) one block of 16 bytes is classified with a
 * handful of instructions, and the caller walks the set bits of the resulting mask.  Without
 * SSE2 (or with SL_NO_SIMD defined, to test the fallback) SL_SCAN16 is 0 and callers use their
 * portable loops.  Every load here reads exactly p[0..16): callers guarantee those bytes exist.
 */
#ifndef SL_SCAN16_H
#define SL_SCAN16_H

#if defined(__SSE2__) && !defined(SL_NO_SIMD)
#define SL_SCAN16 1

#include <emmintrin.h>

/* Bit i set when p[i] equals a or b or is a byte <= 0x0D.  The last test covers NUL, LF and
 * CR with two instructions instead of three compares; the other control bytes it lets
 * through (TAB, VT, FF, 0x01..0x08) are false hits that the caller filters out. */
static inline unsigned scan16_stops(const unsigned char *p, __m128i a, __m128i b)
{
    const __m128i ctl = _mm_set1_epi8(0x0D);
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m128i m = _mm_or_si128(_mm_cmpeq_epi8(v, a), _mm_cmpeq_epi8(v, b));

    m = _mm_or_si128(m, _mm_cmpeq_epi8(_mm_min_epu8(v, ctl), v));
    return (unsigned)_mm_movemask_epi8(m);
}

#else
#define SL_SCAN16 0
#endif

#endif
