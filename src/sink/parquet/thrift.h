/* thrift.h - a Thrift compact-protocol encoder, just enough for Parquet metadata.
 *
 * Structs are written field by field in ascending id order; the encoder keeps the last
 * field id of every open struct on a stack so nested structs get correct short-form
 * deltas.  Output goes to a pq_buf (sticky failure, checked by the caller).
 */
#ifndef SL_PQ_THRIFT_H
#define SL_PQ_THRIFT_H

#include <stddef.h>
#include <stdint.h>

#include "sink/parquet/buf.h"

enum th_type {
    TH_STOP = 0, TH_TRUE = 1, TH_FALSE = 2, TH_I8 = 3, TH_I16 = 4, TH_I32 = 5, TH_I64 = 6,
    TH_DOUBLE = 7, TH_BINARY = 8, TH_LIST = 9, TH_SET = 10, TH_MAP = 11, TH_STRUCT = 12
};

#define TH_MAX_DEPTH 16

struct th_enc {
    struct pq_buf *b;
    int depth;
    int16_t last[TH_MAX_DEPTH];
    int bad; /* nesting misuse: a bug, reported like an allocation failure */
};

void th_init(struct th_enc *t, struct pq_buf *b);
/* Opens a struct that has no field header: the top-level one or a list element. */
void th_begin(struct th_enc *t);
/* Writes STOP and closes the innermost struct. */
void th_end(struct th_enc *t);
/* A struct-valued field (also unions): header, then the struct is open. */
void th_struct(struct th_enc *t, int16_t id);
/* An empty-struct field, e.g. a union member without fields (STRING, TYPE_ORDER). */
void th_empty(struct th_enc *t, int16_t id);
void th_bool(struct th_enc *t, int16_t id, int v);
void th_i8(struct th_enc *t, int16_t id, int8_t v);
void th_i16(struct th_enc *t, int16_t id, int16_t v);
void th_i32(struct th_enc *t, int16_t id, int32_t v);
void th_i64(struct th_enc *t, int16_t id, int64_t v);
void th_bin(struct th_enc *t, int16_t id, const void *p, size_t n);
void th_str(struct th_enc *t, int16_t id, const char *s);
/* A list field header; then write n elements with th_elem_* or th_begin/th_end. */
void th_list(struct th_enc *t, int16_t id, enum th_type elem, size_t n);
/* A list header alone (for a list assembled from separately encoded elements). */
void th_list_header(struct th_enc *t, enum th_type elem, size_t n);
void th_elem_i32(struct th_enc *t, int32_t v);
void th_elem_bin(struct th_enc *t, const void *p, size_t n);
/* 0 when everything was written, -1 after an allocation failure or nesting misuse. */
int th_failed(const struct th_enc *t);

#endif
