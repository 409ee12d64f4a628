/* thrift.c - Thrift compact protocol: field headers with deltas, zigzag varints, lists.
 *
 * Only what Parquet's FileMetaData and PageHeader need: no maps, sets or doubles.  Field
 * ids must ascend within a struct; a delta of 1..15 uses the one-byte short form, anything
 * else the long form (type byte, then the id as a zigzag i16).
 */
#include "sink/parquet/thrift.h"

#include <string.h>

static uint64_t zigzag64(int64_t v)
{
    uint64_t u = (uint64_t)v;
    return (u << 1) ^ (uint64_t)-(int64_t)(u >> 63);
}

static void field(struct th_enc *t, int16_t id, enum th_type type)
{
    if (t->depth <= 0) {
        t->bad = 1;
        return;
    }
    int16_t *last = &t->last[t->depth - 1];
    int delta = (int)id - (int)*last;
    if (delta > 0 && delta <= 15) {
        pq_buf_byte(t->b, (uint8_t)((delta << 4) | (int)type));
    } else {
        pq_buf_byte(t->b, (uint8_t)type);
        pq_buf_varint(t->b, zigzag64(id));
    }
    *last = id;
}

void th_init(struct th_enc *t, struct pq_buf *b)
{
    memset(t, 0, sizeof(*t));
    t->b = b;
}

void th_begin(struct th_enc *t)
{
    if (t->depth >= TH_MAX_DEPTH) {
        t->bad = 1;
        return;
    }
    t->last[t->depth++] = 0;
}

void th_end(struct th_enc *t)
{
    if (t->depth <= 0) {
        t->bad = 1;
        return;
    }
    pq_buf_byte(t->b, TH_STOP);
    t->depth--;
}

void th_struct(struct th_enc *t, int16_t id)
{
    field(t, id, TH_STRUCT);
    th_begin(t);
}

void th_empty(struct th_enc *t, int16_t id)
{
    th_struct(t, id);
    th_end(t);
}

void th_bool(struct th_enc *t, int16_t id, int v)
{
    field(t, id, v ? TH_TRUE : TH_FALSE);
}

void th_i8(struct th_enc *t, int16_t id, int8_t v)
{
    field(t, id, TH_I8);
    pq_buf_byte(t->b, (uint8_t)v);
}

void th_i16(struct th_enc *t, int16_t id, int16_t v)
{
    field(t, id, TH_I16);
    pq_buf_varint(t->b, zigzag64(v));
}

void th_i32(struct th_enc *t, int16_t id, int32_t v)
{
    field(t, id, TH_I32);
    pq_buf_varint(t->b, zigzag64(v));
}

void th_i64(struct th_enc *t, int16_t id, int64_t v)
{
    field(t, id, TH_I64);
    pq_buf_varint(t->b, zigzag64(v));
}

void th_bin(struct th_enc *t, int16_t id, const void *p, size_t n)
{
    field(t, id, TH_BINARY);
    th_elem_bin(t, p, n);
}

void th_str(struct th_enc *t, int16_t id, const char *s)
{
    th_bin(t, id, s, strlen(s));
}

void th_list_header(struct th_enc *t, enum th_type elem, size_t n)
{
    if (n < 15) {
        pq_buf_byte(t->b, (uint8_t)((n << 4) | (size_t)elem));
    } else {
        pq_buf_byte(t->b, (uint8_t)(0xF0 | (int)elem));
        pq_buf_varint(t->b, n);
    }
}

void th_list(struct th_enc *t, int16_t id, enum th_type elem, size_t n)
{
    field(t, id, TH_LIST);
    th_list_header(t, elem, n);
}

void th_elem_i32(struct th_enc *t, int32_t v)
{
    pq_buf_varint(t->b, zigzag64(v));
}

void th_elem_bin(struct th_enc *t, const void *p, size_t n)
{
    pq_buf_varint(t->b, n);
    pq_buf_add(t->b, p, n);
}

int th_failed(const struct th_enc *t)
{
    return (t->b->failed || t->bad) ? -1 : 0;
}
