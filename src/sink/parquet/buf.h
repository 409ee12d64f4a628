/* buf.h - the growable byte buffer every part of the Parquet writer appends to.
 *
 * Failure is sticky: after an allocation failure (or growing past 2 GiB) failed is set and
 * later appends do nothing, so a caller builds a whole page or struct and checks once.
 * Multi-byte integers are written little-endian, as Parquet wants.
 */
#ifndef SL_PQ_BUF_H
#define SL_PQ_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the Parquet writer assumes a little-endian host"
#endif

struct pq_buf {
    uint8_t *p;
    size_t len, cap;
    int failed;
};

/* Makes room for extra more bytes; 0, or -1 with failed set. */
int pq_buf_grow(struct pq_buf *b, size_t extra);
void pq_buf_free(struct pq_buf *b);
void pq_buf_varint(struct pq_buf *b, uint64_t v);

static inline int pq_buf_reserve(struct pq_buf *b, size_t extra)
{
    if (b->cap - b->len >= extra && !b->failed) {
        return 0;
    }
    return pq_buf_grow(b, extra);
}

static inline void pq_buf_add(struct pq_buf *b, const void *p, size_t n)
{
    if (n == 0 || pq_buf_reserve(b, n) != 0) {
        return;
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
}

static inline void pq_buf_byte(struct pq_buf *b, uint8_t c)
{
    if (pq_buf_reserve(b, 1) != 0) {
        return;
    }
    b->p[b->len++] = c;
}

static inline void pq_buf_u32le(struct pq_buf *b, uint32_t v)
{
    pq_buf_add(b, &v, 4);
}

#endif
