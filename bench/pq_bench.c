/* pq_bench.c - times the Parquet writer on seed-like sales rows (12 columns: ints, doubles,
 * a naive timestamp, low-cardinality strings), counting only pq_writer_write and close.
 * Usage: pq_bench OUT.parquet [rows] [zstd|snappy|gzip|none]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/batch.h"
#include "sink/parquet/parquet.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rng = 88172645463325252ULL;

static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

int main(int argc, char **argv)
{
    static const struct pq_column cols[] = {
        {"venta_id", SL_T_INT, 1}, {"cliente_id", SL_T_INT, 1}, {"producto_id", SL_T_INT, 1},
        {"cantidad", SL_T_INT, 1}, {"precio_unitario", SL_T_NUM, 1}, {"total", SL_T_NUM, 1},
        {"fecha_venta", SL_T_DATETIME, 1}, {"metodo_pago", SL_T_STR, 1},
        {"estado", SL_T_STR, 0}, {"anio", SL_T_INT, 1}, {"mes", SL_T_STR, 1},
        {"ticket_unitario", SL_T_NUM, 0},
    };
    static const char *const pagos[] = {"tarjeta", "efectivo", "transferencia", "bizum"};
    static const char *const estados[] = {"completada", "pendiente", "cancelada", "devuelta"};
    size_t ncols = sizeof(cols) / sizeof(cols[0]);
    size_t rows = argc > 2 ? (size_t)strtoull(argv[2], NULL, 10) : 1000000;
    enum pq_codec codec = PQ_ZSTD;
    if (argc > 3) {
        codec = !strcmp(argv[3], "snappy") ? PQ_SNAPPY : !strcmp(argv[3], "gzip") ? PQ_GZIP
                : !strcmp(argv[3], "none") ? PQ_NONE : PQ_ZSTD;
    }
    if (argc < 2) {
        fprintf(stderr, "usage: pq_bench OUT.parquet [rows] [codec]\n");
        return 2;
    }
    enum sl_type types[12];
    for (size_t c = 0; c < ncols; c++) {
        types[c] = cols[c].type;
    }
    struct batch *b = batch_create(types, ncols, 4096);
    struct pq_writer *w;
    struct sl_error err = {0};
    const char *keys[] = {"sluice.contract"}, *vals[] = {"{\"table\":\"ventas\"}"};
    struct pq_options opt = {.codec = codec, .created_by = "sluice version 0.1.0 (build bench)",
                             .nkv = 1, .kv_keys = keys, .kv_values = vals};
    if (b == NULL || pq_writer_open(argv[1], cols, ncols, &opt, &w, &err) != 0) {
        fprintf(stderr, "open: %s\n", err.msg);
        return 1;
    }
    double spent = 0;
    char mes[16];
    for (size_t done = 0; done < rows;) {
        batch_clear(b);
        while (!batch_full(b) && done < rows) {
            struct sl_value v = {.type = SL_T_INT};
            int64_t prod = (int64_t)(next() % 200) + 1, qty = (int64_t)(next() % 10) + 1;
            double price = (double)(prod * 137 % 9000 + 99) / 100.0;
            int64_t secs = 1672531200 + (int64_t)(next() % (2 * 365 * 86400));
            int year = secs < 1704067200 ? 2023 : 2024;
            v.u.i = (int64_t)done + 1;
            batch_set(b, 0, &v);
            v.u.i = (int64_t)(next() % 5000) + 1;
            batch_set(b, 1, &v);
            v.u.i = prod;
            batch_set(b, 2, &v);
            v.u.i = qty;
            batch_set(b, 3, &v);
            v.type = SL_T_NUM;
            v.u.d = price;
            batch_set(b, 4, &v);
            v.u.d = price * (double)qty;
            batch_set(b, 5, &v);
            v.type = SL_T_DATETIME;
            v.u.us = secs * 1000000;
            batch_set(b, 6, &v);
            v.type = SL_T_STR;
            v.u.s.p = pagos[next() % 4];
            v.u.s.n = strlen(v.u.s.p);
            batch_set(b, 7, &v);
            v.u.s.p = estados[next() % 4];
            v.u.s.n = strlen(v.u.s.p);
            batch_set(b, 8, &v);
            v.type = SL_T_INT;
            v.u.i = year;
            batch_set(b, 9, &v);
            snprintf(mes, sizeof(mes), "%04d-%02d", year, (int)((secs / 86400) % 365 / 31) + 1);
            v.type = SL_T_STR;
            v.u.s.p = mes;
            v.u.s.n = strlen(mes);
            batch_set(b, 10, &v);
            v.type = done % 100 == 7 ? SL_T_NULL : SL_T_NUM;
            v.u.d = price;
            batch_set(b, 11, &v);
            batch_row_commit(b, done + 2, "", 0);
            done++;
        }
        double t0 = now();
        if (pq_writer_write(w, b, 0, b->nrows, NULL, &err) != 0) {
            fprintf(stderr, "write: %s\n", err.msg);
            pq_writer_abort(w);
            return 1;
        }
        spent += now() - t0;
    }
    uint64_t n = 0;
    double t0 = now();
    if (pq_writer_close(w, &n, &err) != 0) {
        fprintf(stderr, "close: %s\n", err.msg);
        return 1;
    }
    double tclose = now() - t0;
    spent += tclose;
    printf("%llu rows, writer time %.3f s (close incl. last row group + fsync %.3f s)\n",
           (unsigned long long)n, spent, tclose);
    batch_destroy(b);
    return 0;
}
