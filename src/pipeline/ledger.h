/* ledger.h - the sluice_files table: one row per input file sluice has finished with
 * (ok, partial, failed, duplicate), written in the same transaction as the file's rows, so
 * "is this content already loaded?" and "did this claim commit?" have exact answers.
 */
#ifndef SL_LEDGER_H
#define SL_LEDGER_H

#include <sqlite3.h>
#include <stdint.h>

#include "core/error.h"

struct ledger_row {
    int64_t id;
    const char *file_name; /* name as it arrived in incoming/ */
    const char *sha256;
    uint64_t size_bytes;
    const char *target_table;
    const char *status; /* ok | partial | failed | duplicate */
    const char *claim;  /* the claim folder's name under paths.work */
    uint64_t rows_total, rows_loaded, rows_rejected, rows_duplicate_key, blank_lines;
    const char *metrics;    /* JSON object or NULL */
    const char *error_code; /* sl_errname or NULL */
    const char *error;
    const char *archived_as; /* path of the input after archiving */
    const char *parquet_files; /* JSON array of Parquet files (relative to parquet.dir) */
    int64_t duplicate_of;    /* ledger id of the loaded copy, 0 if none */
    const char *started_at, *finished_at;
    double duration_ms;
};

/* The table and its indexes (CREATE ... IF NOT EXISTS); the SQLite sink runs it at open. */
extern const char ledger_ddl[];
/* Looks for a loaded (ok/partial) file with this content for this table: 1 found (*id set),
 * 0 not found, < 0 error. */
int ledger_find_loaded(sqlite3 *db, const char *sha256, const char *table, int64_t *id,
                       struct sl_error *err);
/* Finds the ledger row of a claim: 1 found (*status is a new string: free() it), 0 not found. */
int ledger_find_claim(sqlite3 *db, const char *claim, char **status, char **archived_as,
                      struct sl_error *err);
/* Inserts row (row->id ignored); *id gets the new id. */
int ledger_insert(sqlite3 *db, const struct ledger_row *row, int64_t *id, struct sl_error *err);
/* Rewrites every column of row->id. */
int ledger_update(sqlite3 *db, const struct ledger_row *row, struct sl_error *err);

#endif
