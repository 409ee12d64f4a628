/* ledger.c - the sluice_files table.  Statements are prepared per call: the ledger is
 * touched a few times per file, never per row. */
#include "pipeline/ledger.h"

#include <stdlib.h>
#include <string.h>

#include "sink/sqlite.h"

const char ledger_ddl[] =
    "CREATE TABLE IF NOT EXISTS sluice_files ("
    " id INTEGER PRIMARY KEY,"
    " file_name TEXT NOT NULL,"
    " sha256 TEXT NOT NULL,"
    " size_bytes INTEGER NOT NULL,"
    " target_table TEXT NOT NULL,"
    " status TEXT NOT NULL CHECK (status IN ('ok','partial','failed','duplicate')),"
    " claim TEXT,"
    " rows_total INTEGER NOT NULL DEFAULT 0,"
    " rows_loaded INTEGER NOT NULL DEFAULT 0,"
    " rows_rejected INTEGER NOT NULL DEFAULT 0,"
    " rows_duplicate_key INTEGER NOT NULL DEFAULT 0,"
    " blank_lines INTEGER NOT NULL DEFAULT 0,"
    " metrics TEXT,"
    " error_code TEXT,"
    " error TEXT,"
    " archived_as TEXT,"
    " duplicate_of INTEGER,"
    " started_at TEXT NOT NULL,"
    " finished_at TEXT,"
    " duration_ms REAL,"
    " parquet_files TEXT"
    ") STRICT;"
    "CREATE INDEX IF NOT EXISTS sluice_files_sha256 ON sluice_files(sha256, target_table);"
    "CREATE INDEX IF NOT EXISTS sluice_files_claim ON sluice_files(claim);";

static int fail(sqlite3 *db, int rc, const char *what, struct sl_error *err)
{
    return sl_error_set(err, sqlite_errcode(rc), "ledger %s: %s", what, sqlite3_errmsg(db));
}

int ledger_find_loaded(sqlite3 *db, const char *sha256, const char *table, int64_t *id,
                       struct sl_error *err)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db,
                                "SELECT id FROM sluice_files WHERE sha256 = ?1 AND target_table "
                                "= ?2 AND status IN ('ok','partial') ORDER BY id LIMIT 1",
                                -1, &st, NULL);
    if (rc != SQLITE_OK) {
        return fail(db, rc, "lookup", err);
    }
    sqlite3_bind_text(st, 1, sha256, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, table, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    int out = 0;
    if (rc == SQLITE_ROW) {
        *id = sqlite3_column_int64(st, 0);
        out = 1;
    } else if (rc != SQLITE_DONE) {
        out = fail(db, rc, "lookup", err);
    }
    sqlite3_finalize(st);
    return out;
}

int ledger_find_claim(sqlite3 *db, const char *claim, char **status, char **archived_as,
                      struct sl_error *err)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db,
                                "SELECT status, archived_as FROM sluice_files WHERE claim = ?1 "
                                "ORDER BY id DESC LIMIT 1",
                                -1, &st, NULL);
    if (rc != SQLITE_OK) {
        return fail(db, rc, "claim lookup", err);
    }
    sqlite3_bind_text(st, 1, claim, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    int out = 0;
    if (rc == SQLITE_ROW) {
        const char *s = (const char *)sqlite3_column_text(st, 0);
        const char *a = (const char *)sqlite3_column_text(st, 1);
        *status = strdup(s ? s : "");
        *archived_as = a ? strdup(a) : NULL;
        out = *status == NULL ? sl_error_set(err, SL_ENOMEM, "out of memory") : 1;
    } else if (rc != SQLITE_DONE) {
        out = fail(db, rc, "claim lookup", err);
    }
    sqlite3_finalize(st);
    return out;
}

static void bind_opt(sqlite3_stmt *st, int i, const char *s)
{
    if (s != NULL) {
        sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
    } else {
        sqlite3_bind_null(st, i);
    }
}

static int bind_row(sqlite3_stmt *st, const struct ledger_row *r)
{
    sqlite3_bind_text(st, 1, r->file_name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, r->sha256, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)r->size_bytes);
    sqlite3_bind_text(st, 4, r->target_table, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, r->status, -1, SQLITE_STATIC);
    bind_opt(st, 6, r->claim);
    sqlite3_bind_int64(st, 7, (sqlite3_int64)r->rows_total);
    sqlite3_bind_int64(st, 8, (sqlite3_int64)r->rows_loaded);
    sqlite3_bind_int64(st, 9, (sqlite3_int64)r->rows_rejected);
    sqlite3_bind_int64(st, 10, (sqlite3_int64)r->rows_duplicate_key);
    sqlite3_bind_int64(st, 11, (sqlite3_int64)r->blank_lines);
    bind_opt(st, 12, r->metrics);
    bind_opt(st, 13, r->error_code);
    bind_opt(st, 14, r->error);
    bind_opt(st, 15, r->archived_as);
    if (r->duplicate_of > 0) {
        sqlite3_bind_int64(st, 16, r->duplicate_of);
    } else {
        sqlite3_bind_null(st, 16);
    }
    sqlite3_bind_text(st, 17, r->started_at, -1, SQLITE_STATIC);
    bind_opt(st, 18, r->finished_at);
    bind_opt(st, 20, r->parquet_files);
    return sqlite3_bind_double(st, 19, r->duration_ms);
}

#define LEDGER_COLS                                                                        \
    "file_name, sha256, size_bytes, target_table, status, claim, rows_total, rows_loaded, " \
    "rows_rejected, rows_duplicate_key, blank_lines, metrics, error_code, error, "         \
    "archived_as, duplicate_of, started_at, finished_at, duration_ms, parquet_files"

int ledger_insert(sqlite3 *db, const struct ledger_row *row, int64_t *id, struct sl_error *err)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db,
                                "INSERT INTO sluice_files (" LEDGER_COLS ") VALUES (?1, ?2, ?3, "
                                "?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, "
                                "?18, ?19, ?20)",
                                -1, &st, NULL);
    if (rc != SQLITE_OK) {
        return fail(db, rc, "insert", err);
    }
    bind_row(st, row);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        return fail(db, rc, "insert", err);
    }
    *id = sqlite3_last_insert_rowid(db);
    return 0;
}

int ledger_update(sqlite3 *db, const struct ledger_row *row, struct sl_error *err)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db,
                                "UPDATE sluice_files SET (" LEDGER_COLS ") = (?1, ?2, ?3, ?4, "
                                "?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, "
                                "?19, ?20) WHERE id = ?21",
                                -1, &st, NULL);
    if (rc != SQLITE_OK) {
        return fail(db, rc, "update", err);
    }
    bind_row(st, row);
    sqlite3_bind_int64(st, 21, row->id);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : fail(db, rc, "update", err);
}
