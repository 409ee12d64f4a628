/* meta.c - Parquet metadata in Thrift compact form: page headers, one RowGroup per
 * finished row group, and the FileMetaData footer (schema with logical and converted
 * types, key-value metadata, created_by, one TYPE_ORDER column order per leaf).
 */
#include "sink/parquet/internal.h"

#include <string.h>

int pq_physical(enum sl_type t)
{
    switch (t) {
    case SL_T_NUM:
        return PQT_DOUBLE;
    case SL_T_STR:
        return PQT_BYTE_ARRAY;
    case SL_T_BOOL:
        return PQT_BOOLEAN;
    case SL_T_DATE:
        return PQT_INT32;
    default:
        return PQT_INT64;
    }
}

size_t pq_plain_width(enum sl_type t)
{
    switch (t) {
    case SL_T_INT:
    case SL_T_DATETIME:
    case SL_T_NUM:
        return 8;
    case SL_T_DATE:
        return 4;
    default:
        return 0;
    }
}

int pq_meta_page_header(struct pq_buf *out, int dict, size_t usize, size_t csize,
                        uint32_t nvalues, int encoding)
{
    struct th_enc t;
    th_init(&t, out);
    th_begin(&t);
    th_i32(&t, 1, dict ? PQP_DICTIONARY_PAGE : PQP_DATA_PAGE);
    th_i32(&t, 2, (int32_t)usize);
    th_i32(&t, 3, (int32_t)csize);
    if (dict) {
        th_struct(&t, 7);
        th_i32(&t, 1, (int32_t)nvalues);
        th_i32(&t, 2, PQE_PLAIN);
    } else {
        th_struct(&t, 5);
        th_i32(&t, 1, (int32_t)nvalues);
        th_i32(&t, 2, encoding);
        th_i32(&t, 3, PQE_RLE);
        th_i32(&t, 4, PQE_RLE);
    }
    th_end(&t);
    th_end(&t);
    return th_failed(&t);
}

static void encoding_stats(struct th_enc *t, const struct pq_chunk_meta *m)
{
    size_t n = (m->dict_page_offset != 0) + (m->plain_pages > 0) + (m->dict_pages > 0);
    th_list(t, 13, TH_STRUCT, n);
    if (m->dict_page_offset != 0) {
        th_begin(t);
        th_i32(t, 1, PQP_DICTIONARY_PAGE);
        th_i32(t, 2, PQE_PLAIN);
        th_i32(t, 3, 1);
        th_end(t);
    }
    if (m->plain_pages > 0) {
        th_begin(t);
        th_i32(t, 1, PQP_DATA_PAGE);
        th_i32(t, 2, PQE_PLAIN);
        th_i32(t, 3, (int32_t)m->plain_pages);
        th_end(t);
    }
    if (m->dict_pages > 0) {
        th_begin(t);
        th_i32(t, 1, PQP_DATA_PAGE);
        th_i32(t, 2, PQE_RLE_DICTIONARY);
        th_i32(t, 3, (int32_t)m->dict_pages);
        th_end(t);
    }
}

static void column_meta(struct th_enc *t, const struct pq_column *col,
                        const struct pq_chunk_meta *m, const struct pq_stats *st,
                        enum pq_codec codec)
{
    th_struct(t, 3);
    th_i32(t, 1, pq_physical(col->type));
    int plain = m->dict_page_offset != 0 || m->plain_pages > 0;
    int dict = m->dict_pages > 0;
    th_list(t, 2, TH_I32, (size_t)plain + 1 + (size_t)dict);
    if (plain) {
        th_elem_i32(t, PQE_PLAIN);
    }
    th_elem_i32(t, PQE_RLE);
    if (dict) {
        th_elem_i32(t, PQE_RLE_DICTIONARY);
    }
    th_list(t, 3, TH_BINARY, 1);
    th_elem_bin(t, col->name, strlen(col->name));
    th_i32(t, 4, pq_codec_thrift(codec));
    th_i64(t, 5, m->num_values);
    th_i64(t, 6, m->total_uncompressed);
    th_i64(t, 7, m->total_compressed);
    th_i64(t, 9, m->data_page_offset);
    if (m->dict_page_offset != 0) {
        th_i64(t, 11, m->dict_page_offset);
    }
    pq_stats_write(st, t, 12);
    encoding_stats(t, m);
    th_end(t);
}

int pq_meta_row_group(struct pq_buf *out, const struct pq_column *cols, size_t ncols,
                      const struct pq_chunk_meta *cm, const struct pq_stats *st,
                      enum pq_codec codec, int64_t num_rows)
{
    struct th_enc t;
    int64_t unc = 0, comp = 0;
    th_init(&t, out);
    th_begin(&t);
    th_list(&t, 1, TH_STRUCT, ncols);
    for (size_t c = 0; c < ncols; c++) {
        th_begin(&t);
        th_i64(&t, 2, 0); /* file_offset: required, deprecated, 0 per the spec */
        column_meta(&t, &cols[c], &cm[c], &st[c], codec);
        th_end(&t);
        unc += cm[c].total_uncompressed;
        comp += cm[c].total_compressed;
    }
    th_i64(&t, 2, unc);
    th_i64(&t, 3, num_rows);
    int64_t first = cm[0].dict_page_offset ? cm[0].dict_page_offset : cm[0].data_page_offset;
    th_i64(&t, 5, first);
    th_i64(&t, 6, comp);
    th_end(&t);
    return th_failed(&t);
}

static void schema_leaf(struct th_enc *t, const struct pq_column *col)
{
    th_begin(t);
    th_i32(t, 1, pq_physical(col->type));
    th_i32(t, 3, col->required ? 0 : 1);
    th_str(t, 4, col->name);
    switch (col->type) {
    case SL_T_INT:
        th_i32(t, 6, 18); /* INT_64 */
        th_struct(t, 10);
        th_struct(t, 10); /* INTEGER */
        th_i8(t, 1, 64);
        th_bool(t, 2, 1);
        th_end(t);
        th_end(t);
        break;
    case SL_T_STR:
        th_i32(t, 6, 0); /* UTF8 */
        th_struct(t, 10);
        th_empty(t, 1); /* STRING */
        th_end(t);
        break;
    case SL_T_DATE:
        th_i32(t, 6, 6); /* DATE */
        th_struct(t, 10);
        th_empty(t, 6);
        th_end(t);
        break;
    case SL_T_DATETIME:
        th_i32(t, 6, 10); /* TIMESTAMP_MICROS */
        th_struct(t, 10);
        th_struct(t, 8); /* TIMESTAMP */
        th_bool(t, 1, 0); /* isAdjustedToUTC: naive wall-clock values */
        th_struct(t, 2);
        th_empty(t, 2); /* MICROS */
        th_end(t);
        th_end(t);
        th_end(t);
        break;
    default:
        break;
    }
    th_end(t);
}

int pq_meta_footer(struct pq_buf *out, const struct pq_column *cols, size_t ncols,
                   const struct pq_options *opt, int64_t num_rows, size_t nrg,
                   const struct pq_buf *rgs)
{
    struct th_enc t;
    th_init(&t, out);
    th_begin(&t);
    th_i32(&t, 1, 1);
    th_list(&t, 2, TH_STRUCT, ncols + 1);
    th_begin(&t);
    th_str(&t, 4, "schema");
    th_i32(&t, 5, (int32_t)ncols);
    th_end(&t);
    for (size_t c = 0; c < ncols; c++) {
        schema_leaf(&t, &cols[c]);
    }
    th_i64(&t, 3, num_rows);
    th_list(&t, 4, TH_STRUCT, nrg);
    pq_buf_add(out, rgs->p, rgs->len);
    if (opt->nkv > 0) {
        th_list(&t, 5, TH_STRUCT, opt->nkv);
        for (size_t i = 0; i < opt->nkv; i++) {
            th_begin(&t);
            th_str(&t, 1, opt->kv_keys[i]);
            if (opt->kv_values[i] != NULL) {
                th_str(&t, 2, opt->kv_values[i]);
            }
            th_end(&t);
        }
    }
    if (opt->created_by != NULL) {
        th_str(&t, 6, opt->created_by);
    }
    th_list(&t, 7, TH_STRUCT, ncols);
    for (size_t c = 0; c < ncols; c++) {
        th_begin(&t);
        th_empty(&t, 1); /* TYPE_ORDER */
        th_end(&t);
    }
    th_end(&t);
    return th_failed(&t);
}
