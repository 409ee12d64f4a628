/* ceiling.c - `make bench`'s SQLite ceiling: the fastest naive SQLite load of the same rows.
 *
 * Before the clock starts it reads the whole CSV (the ventas generator's, no quoting) into
 * memory and parses every row into typed arrays, derived columns included (anio, mes,
 * ticket_unitario, as sluice computes them), so nothing but SQLite is timed.  Then, timed:
 * open DB -> the PRAGMAs sluice sets (page_size 16384, WAL, synchronous=FULL) -> sluice's own
 * CREATE TABLE (the 9 CSV columns + anio, mes, ticket_unitario + _sluice_file_id, STRICT) ->
 * BEGIN -> one prepared INSERT, every column bound, stepped once per row -> COMMIT -> close.
 * No ledger, no rejects table, no Parquet, no validation: a bound no loader of this table can
 * beat without batching rows into multi-row INSERTs.
 *
 *   ceiling DB CSV      prints "SECONDS ROWS"; DB must not exist yet
 *
 * Build: cc -O2 -o ceiling bench/ceiling.c $(pkg-config --cflags --libs sqlite3)
 */
#define _POSIX_C_SOURCE 200809L
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NCOLS 9

struct row {
    sqlite3_int64 venta_id, cliente_id, producto_id, cantidad;
    double precio_unitario, total, ticket_unitario;
    int anio;
    const char *fecha, *metodo, *estado; /* point into the file buffer */
    int fecha_n, metodo_n, estado_n;
    char mes[8]; /* "YYYY-MM" */
};

static const char *const create_sql =
    "CREATE TABLE IF NOT EXISTS \"ventas_near_rt\" (\"venta_id\" INTEGER PRIMARY KEY NOT NULL, "
    "\"cliente_id\" INTEGER NOT NULL, \"producto_id\" INTEGER NOT NULL, \"cantidad\" INTEGER NOT "
    "NULL, \"precio_unitario\" REAL NOT NULL, \"total\" REAL NOT NULL, \"fecha_venta\" TEXT NOT "
    "NULL, \"metodo_pago\" TEXT NOT NULL, \"estado\" TEXT NOT NULL, \"anio\" INTEGER, \"mes\" "
    "TEXT, \"ticket_unitario\" REAL, \"_sluice_file_id\" INTEGER NOT NULL) STRICT";

static const char *const insert_sql =
    "INSERT INTO \"ventas_near_rt\" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)";

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, sqlite3 *db)
{
    fprintf(stderr, "ceiling: %s: %s\n", what, db ? sqlite3_errmsg(db) : "error");
    exit(1);
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL || fseek(f, 0, SEEK_END) != 0) {
        perror(path);
        exit(1);
    }
    long n = ftell(f);
    char *buf = malloc((size_t)n + 1);
    rewind(f);
    if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        perror(path);
        exit(1);
    }
    fclose(f);
    buf[n] = '\0';
    *len = (size_t)n;
    return buf;
}

/* Splits one line (no quoting: the generator writes none) into its 9 fields and parses them. */
static int parse_row(char *line, char *end, struct row *r)
{
    char *f[NCOLS];
    int flen[NCOLS];
    int n = 0;
    char *p = line;
    while (n < NCOLS) {
        char *c = memchr(p, ',', (size_t)(end - p));
        char *stop = c ? c : end;
        f[n] = p;
        flen[n] = (int)(stop - p);
        n++;
        if (c == NULL) {
            break;
        }
        p = c + 1;
    }
    if (n != NCOLS || memchr(line, '"', (size_t)(end - line)) != NULL) {
        return -1;
    }
    for (int i = 0; i < NCOLS; i++) {
        f[i][flen[i]] = '\0'; /* the comma or newline after each field */
    }
    r->venta_id = strtoll(f[0], NULL, 10);
    r->cliente_id = strtoll(f[1], NULL, 10);
    r->producto_id = strtoll(f[2], NULL, 10);
    r->cantidad = strtoll(f[3], NULL, 10);
    r->precio_unitario = strtod(f[4], NULL);
    r->total = strtod(f[5], NULL);
    r->fecha = f[6];
    r->fecha_n = flen[6];
    r->metodo = f[7];
    r->metodo_n = flen[7];
    r->estado = f[8];
    r->estado_n = flen[8];
    if (flen[6] < 7) {
        return -1;
    }
    r->anio = atoi(f[6]);
    memcpy(r->mes, f[6], 7);
    r->mes[7] = '\0';
    r->ticket_unitario = r->total / (double)r->cantidad;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: ceiling DB CSV\n");
        return 2;
    }
    size_t len;
    char *buf = read_file(argv[2], &len);
    size_t cap = 1024, nrows = 0;
    struct row *rows = malloc(cap * sizeof(*rows));
    char *p = memchr(buf, '\n', len); /* skip the header */
    p = p ? p + 1 : buf + len;
    while (p < buf + len) {
        char *nl = memchr(p, '\n', (size_t)(buf + len - p));
        char *end = nl ? nl : buf + len;
        if (end > p && end[-1] == '\r') {
            end--;
        }
        if (end > p) {
            if (nrows == cap) {
                cap *= 2;
                rows = realloc(rows, cap * sizeof(*rows));
            }
            if (rows == NULL || parse_row(p, end, &rows[nrows]) != 0) {
                fprintf(stderr, "ceiling: cannot parse row %zu\n", nrows + 1);
                return 1;
            }
            nrows++;
        }
        p = nl ? nl + 1 : buf + len;
    }

    double t0 = now();
    sqlite3 *db = NULL;
    sqlite3_stmt *ins = NULL;
    if (sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK)
        die("open", db);
    if (sqlite3_exec(db, "PRAGMA page_size=16384; PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL",
                     NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(db, create_sql, NULL, NULL, NULL) != SQLITE_OK)
        die("setup", db);
    if (sqlite3_prepare_v2(db, insert_sql, -1, &ins, NULL) != SQLITE_OK)
        die("prepare", db);
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        die("begin", db);
    for (size_t i = 0; i < nrows; i++) {
        const struct row *r = &rows[i];
        sqlite3_bind_int64(ins, 1, r->venta_id);
        sqlite3_bind_int64(ins, 2, r->cliente_id);
        sqlite3_bind_int64(ins, 3, r->producto_id);
        sqlite3_bind_int64(ins, 4, r->cantidad);
        sqlite3_bind_double(ins, 5, r->precio_unitario);
        sqlite3_bind_double(ins, 6, r->total);
        sqlite3_bind_text(ins, 7, r->fecha, r->fecha_n, SQLITE_STATIC);
        sqlite3_bind_text(ins, 8, r->metodo, r->metodo_n, SQLITE_STATIC);
        sqlite3_bind_text(ins, 9, r->estado, r->estado_n, SQLITE_STATIC);
        sqlite3_bind_int(ins, 10, r->anio);
        sqlite3_bind_text(ins, 11, r->mes, 7, SQLITE_STATIC);
        sqlite3_bind_double(ins, 12, r->ticket_unitario);
        sqlite3_bind_int(ins, 13, 1);
        if (sqlite3_step(ins) != SQLITE_DONE)
            die("insert", db);
        sqlite3_reset(ins);
    }
    if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        die("commit", db);
    sqlite3_finalize(ins);
    if (sqlite3_close(db) != SQLITE_OK)
        die("close", db);
    double t1 = now();

    printf("%.6f %zu\n", t1 - t0, nrows);
    free(rows);
    free(buf);
    return 0;
}
