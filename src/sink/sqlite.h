/* sqlite.h - the SQLite store: opens the database (WAL, durable commits), creates or checks
 * the target table (STRICT, from the contract plus derived columns), its rejects table and
 * the ledger, and writes batches and rejects inside the caller's transaction.
 */
#ifndef SL_SINK_SQLITE_H
#define SL_SINK_SQLITE_H

#include <sqlite3.h>
#include <stdint.h>

#include "contract/validate.h"
#include "core/batch.h"
#include "core/error.h"

struct sqlite_sink;

/* Opens cfg->sqlite_path (creating folders and tables; readonly: neither, and a missing
 * database is SL_ENOTFOUND).  p may be NULL for ledger-only use (status).  A target table
 * whose columns differ from the plan's is SL_ECONFIG.  Returns a new sink (close with
 * sqlite_sink_close). */
int sqlite_sink_open(const struct config *cfg, const struct plan *p, int readonly,
                     struct sqlite_sink **out, struct sl_error *err);
void sqlite_sink_close(struct sqlite_sink *s);
sqlite3 *sqlite_sink_db(struct sqlite_sink *s);

int sqlite_sink_begin(struct sqlite_sink *s, struct sl_error *err); /* BEGIN IMMEDIATE */
int sqlite_sink_commit(struct sqlite_sink *s, struct sl_error *err);
void sqlite_sink_rollback(struct sqlite_sink *s);

/* One file inside a group transaction: SAVEPOINT, RELEASE, and undoing the file's writes
 * (ROLLBACK TO; returns -1 when the enclosing transaction is gone too, e.g. after an I/O
 * error SQLite rolled back by itself).  in_txn: a transaction is open. */
int sqlite_sink_savepoint(struct sqlite_sink *s, struct sl_error *err);
int sqlite_sink_release(struct sqlite_sink *s, struct sl_error *err);
int sqlite_sink_rollback_to(struct sqlite_sink *s);
int sqlite_sink_in_txn(struct sqlite_sink *s);

/* Call once per file, inside its transaction, before the first write. */
int sqlite_sink_file_begin(struct sqlite_sink *s, struct sl_error *err);
/* Inserts b's rows tagged with file_id, applying cfg->on_duplicate_key; sets each row's
 * outcome (LOADED, DUP_SKIP, DUP_REJECT). *updated counts rows that replaced an existing key. */
int sqlite_sink_write(struct sqlite_sink *s, struct batch *b, int64_t file_id,
                      uint64_t *updated, struct sl_error *err);
/* 1 when every row of b is certain to be loaded (no key of it can conflict with the table):
 * the Parquet side may then encode b while sqlite_sink_write inserts it. */
int sqlite_sink_all_load(const struct sqlite_sink *s, const struct batch *b);
/* Describes why row r of b was a duplicate key ("primary key 42 is already loaded (from
 * file x.csv)") into msg. */
void sqlite_sink_dup_message(struct sqlite_sink *s, const struct batch *b, size_t r,
                             struct strbuf *msg);

/* Records one reject in <table>_rejects. */
int sqlite_sink_reject(struct sqlite_sink *s, int64_t file_id, const char *source_file,
                       uint64_t line, const char *column, const char *rule, const char *msg,
                       const char *raw, size_t raw_len, struct sl_error *err);

/* Maps a SQLite result to an SL_E* code (BUSY/LOCKED transient, FULL/IOERR io, ...). */
int sqlite_errcode(int rc);

#endif
