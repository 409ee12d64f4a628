/* sqlite.c - the SQLite store.  One connection; the caller owns the transaction boundaries
 * (one per input file).  Rows carry _sluice_file_id, the ledger id of the file that loaded
 * them (lineage).  Duplicate primary keys are found by the table's own constraint. */
#include "sink/sqlite.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "contract/types.h"
#include "contract/valuefmt.h"
#include "core/fs.h"
#include "core/strbuf.h"
#include "input/utf8.h"
#include "pipeline/ledger.h"

struct sqlite_sink {
    sqlite3 *db;
    const struct config *cfg;
    const struct plan *p;
    sqlite3_stmt *ins;    /* insert one row */
    sqlite3_stmt *exists; /* primary key present? (update mode) */
    sqlite3_stmt *owner;  /* which file loaded a key (reject messages) */
    sqlite3_stmt *rej;    /* insert one reject */
    sqlite3_stmt *multi;  /* insert MULTI_ROWS rows at once (no conflict possible) */
    sqlite3_stmt *maxpk;  /* the table's largest primary key (sqlite_sink_file_begin) */
    char (*text)[40];     /* per row of a statement and column: date/datetime text, bound
                             SQLITE_STATIC until the step */
    int pk_col;           /* the single INTEGER primary key column with no other UNIQUE
                             column, or -1: then a batch whose keys are all above the table's
                             maximum cannot conflict and takes the multi-row path */
    int have_max;         /* the table had rows when the file's transaction began */
    int64_t max_pk;
};

#define MULTI_ROWS 128

int sqlite_errcode(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return SL_EBUSY;
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
        return SL_EIO;
    case SQLITE_NOMEM:
        return SL_ENOMEM;
    default:
        return SL_ESQLITE;
    }
}

static int db_fail(struct sqlite_sink *s, int rc, const char *what, struct sl_error *err)
{
    return sl_error_set(err, sqlite_errcode(rc), "sqlite %s (%s): %s", what,
                        s->cfg->sqlite_path, sqlite3_errmsg(s->db));
}

static int exec(struct sqlite_sink *s, const char *sql, struct sl_error *err)
{
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? 0 : db_fail(s, rc, sql, err);
}

/* Setup statements (journal mode, DDL) can meet SQLITE_BUSY without the busy handler being
 * called, e.g. while another process creates the same database: retry them for a while. */
static int exec_setup(struct sqlite_sink *s, const char *sql, struct sl_error *err)
{
    int rc = SQLITE_BUSY;
    for (int attempt = 0; attempt < 1000; attempt++) {
        rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
        if ((rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED) {
            break;
        }
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return rc == SQLITE_OK ? 0 : db_fail(s, rc, sql, err);
}

/* Ledgers created before the Parquet output lack parquet_files. */
static int migrate_ledger(struct sqlite_sink *s, struct sl_error *err)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, "SELECT count(*) FROM pragma_table_info('sluice_files') "
                                       "WHERE name = 'parquet_files'", -1, &st, NULL);
    if (rc != SQLITE_OK) {
        return db_fail(s, rc, "ledger columns", err);
    }
    int have = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) > 0;
    sqlite3_finalize(st);
    return have ? 0 : exec_setup(s, "ALTER TABLE sluice_files ADD COLUMN parquet_files TEXT", err);
}

static const char *sql_type(enum sl_type t)
{
    switch (t) {
    case SL_T_INT:
    case SL_T_BOOL:
        return "INTEGER";
    case SL_T_NUM:
        return "REAL";
    default:
        return "TEXT";
    }
}

static void quoted(struct strbuf *sb, const char *name)
{
    sb_addc(sb, '"');
    for (const char *c = name; *c; c++) {
        sb_addc(sb, *c);
        if (*c == '"') {
            sb_addc(sb, '"');
        }
    }
    sb_addc(sb, '"');
}

static int is_pk(const struct contract *ct, size_t i)
{
    for (size_t k = 0; k < ct->npk; k++) {
        if (ct->pk[k] == i) {
            return 1;
        }
    }
    return 0;
}

static void build_create(const struct plan *p, const char *table, struct strbuf *sb)
{
    const struct contract *ct = p->cfg->contract;
    int int_pk = ct->npk == 1 && ct->fields[ct->pk[0]].type == SL_T_INT;
    sb_adds(sb, "CREATE TABLE IF NOT EXISTS ");
    quoted(sb, table);
    sb_adds(sb, " (");
    for (size_t i = 0; i < p->ncols; i++) {
        const struct plan_col *c = &p->cols[i];
        sb_adds(sb, i ? ", " : "");
        quoted(sb, c->name);
        sb_addc(sb, ' ');
        sb_adds(sb, sql_type(c->type));
        if (c->field != NULL) {
            if (int_pk && is_pk(ct, i)) {
                sb_adds(sb, " PRIMARY KEY");
            }
            if (c->field->required) {
                sb_adds(sb, " NOT NULL");
            }
            if (c->field->unique && !is_pk(ct, i)) {
                sb_adds(sb, " UNIQUE");
            }
        }
    }
    sb_adds(sb, ", \"_sluice_file_id\" INTEGER NOT NULL");
    if (ct->npk > 0 && !int_pk) {
        sb_adds(sb, ", PRIMARY KEY (");
        for (size_t k = 0; k < ct->npk; k++) {
            sb_adds(sb, k ? ", " : "");
            quoted(sb, ct->fields[ct->pk[k]].name);
        }
        sb_addc(sb, ')');
    }
    sb_adds(sb, ") STRICT");
}

/* The existing table must have exactly the plan's columns, in order, with the same types. */
static int check_shape(struct sqlite_sink *s, struct sl_error *err)
{
    const struct plan *p = s->p;
    struct strbuf sql = STRBUF_INIT;
    sb_adds(&sql, "SELECT name, type FROM pragma_table_info(");
    sb_json_str(&sql, s->cfg->table, strlen(s->cfg->table)); /* a valid SQL string literal too */
    sb_adds(&sql, ")");
    int rc = 0;
    sqlite3_stmt *st = NULL;
    int src = sqlite3_prepare_v2(s->db, sb_cstr(&sql), -1, &st, NULL);
    sb_free(&sql);
    if (src != SQLITE_OK) {
        return db_fail(s, src, "table_info", err);
    }
    size_t i = 0;
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        const char *type = (const char *)sqlite3_column_text(st, 1);
        const char *want = i < p->ncols ? p->cols[i].name : "_sluice_file_id";
        const char *wtype = i < p->ncols ? sql_type(p->cols[i].type) : "INTEGER";
        if (i > p->ncols || strcmp(name, want) != 0 || strcasecmp(type, wtype) != 0) {
            rc = sl_error_set(err, SL_ECONFIG,
                              "table '%s' in %s already exists with a different shape: column %zu "
                              "is '%s' %s, the contract wants '%s' %s (choose another "
                              "sqlite.table or migrate the table)",
                              s->cfg->table, s->cfg->sqlite_path, i + 1, name, type,
                              i <= p->ncols ? want : "(none)", i <= p->ncols ? wtype : "");
            break;
        }
        i++;
    }
    if (rc == 0 && src != SQLITE_DONE) {
        rc = db_fail(s, src, "table_info", err);
    }
    if (rc == 0 && i != p->ncols + 1) {
        rc = sl_error_set(err, SL_ECONFIG,
                          "table '%s' in %s already exists with %zu columns, the contract and "
                          "derived columns make %zu (choose another sqlite.table or migrate)",
                          s->cfg->table, s->cfg->sqlite_path, i, p->ncols + 1);
    }
    sqlite3_finalize(st);
    return rc;
}

static int prepare(struct sqlite_sink *s, struct strbuf *sql, sqlite3_stmt **st,
                   struct sl_error *err)
{
    if (sql->failed) {
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    }
    int rc = sqlite3_prepare_v3(s->db, sql->p, (int)sql->len, SQLITE_PREPARE_PERSISTENT, st, NULL);
    return rc == SQLITE_OK ? 0 : db_fail(s, rc, "prepare", err);
}

static int prepare_rows(struct sqlite_sink *s, struct sl_error *err)
{
    const struct plan *p = s->p;
    const struct config *cfg = s->cfg;
    const struct contract *ct = cfg->contract;
    struct strbuf sql = STRBUF_INIT;
    int rc;
    sb_adds(&sql, "INSERT INTO ");
    quoted(&sql, cfg->table);
    sb_adds(&sql, " (");
    for (size_t i = 0; i < p->ncols; i++) {
        sb_adds(&sql, i ? ", " : "");
        quoted(&sql, p->cols[i].name);
    }
    sb_adds(&sql, ", \"_sluice_file_id\") VALUES (");
    for (size_t i = 0; i <= p->ncols; i++) {
        sb_adds(&sql, i ? ", ?" : "?");
    }
    sb_adds(&sql, ")");
    if (cfg->on_duplicate_key == DUP_UPDATE && ct->npk > 0) {
        sb_adds(&sql, " ON CONFLICT (");
        for (size_t k = 0; k < ct->npk; k++) {
            sb_adds(&sql, k ? ", " : "");
            quoted(&sql, ct->fields[ct->pk[k]].name);
        }
        sb_adds(&sql, ") DO UPDATE SET ");
        for (size_t i = 0; i <= p->ncols; i++) {
            const char *n = i < p->ncols ? p->cols[i].name : "_sluice_file_id";
            sb_adds(&sql, i ? ", " : "");
            quoted(&sql, n);
            sb_adds(&sql, " = excluded.");
            quoted(&sql, n);
        }
    } else {
        sb_adds(&sql, " ON CONFLICT DO NOTHING");
    }
    rc = prepare(s, &sql, &s->ins, err);
    if (rc != 0) {
        goto out;
    }
    s->pk_col = -1;
    if (ct->npk == 1 && ct->fields[ct->pk[0]].type == SL_T_INT) {
        s->pk_col = (int)ct->pk[0];
        for (size_t i = 0; i < ct->nfields; i++) {
            if (ct->fields[i].unique && i != ct->pk[0]) {
                s->pk_col = -1;
            }
        }
    }
    if (s->pk_col >= 0) {
        sb_reset(&sql);
        sb_adds(&sql, "INSERT INTO ");
        quoted(&sql, cfg->table);
        sb_adds(&sql, " VALUES ");
        for (size_t r = 0; r < MULTI_ROWS; r++) {
            sb_adds(&sql, r ? ", (" : "(");
            for (size_t i = 0; i <= p->ncols; i++) {
                sb_adds(&sql, i ? ", ?" : "?");
            }
            sb_addc(&sql, ')');
        }
        if ((rc = prepare(s, &sql, &s->multi, err)) != 0) {
            goto out;
        }
    }
    if (ct->npk == 0) {
        goto out;
    }
    sb_reset(&sql);
    sb_adds(&sql, "SELECT t.rowid, f.file_name FROM ");
    quoted(&sql, cfg->table);
    sb_adds(&sql, " t LEFT JOIN sluice_files f ON f.id = t._sluice_file_id WHERE ");
    for (size_t k = 0; k < ct->npk; k++) {
        sb_adds(&sql, k ? " AND t." : "t.");
        quoted(&sql, ct->fields[ct->pk[k]].name);
        sb_printf(&sql, " = ?%zu", k + 1);
    }
    rc = prepare(s, &sql, &s->exists, err);
out:
    sb_free(&sql);
    return rc;
}

static int prepare_rejects(struct sqlite_sink *s, struct sl_error *err)
{
    struct strbuf sql = STRBUF_INIT;
    char name[200];
    snprintf(name, sizeof(name), "%s_rejects", s->cfg->table);
    sb_adds(&sql, "CREATE TABLE IF NOT EXISTS ");
    quoted(&sql, name);
    sb_adds(&sql, " (id INTEGER PRIMARY KEY, file_id INTEGER NOT NULL, source_file TEXT NOT "
                  "NULL, line INTEGER NOT NULL, column_name TEXT, rule TEXT NOT NULL, message "
                  "TEXT NOT NULL, raw_line ANY NOT NULL) STRICT");
    int rc = exec_setup(s, sb_cstr(&sql), err);
    if (rc == 0) {
        sb_reset(&sql);
        sb_adds(&sql, "INSERT INTO ");
        quoted(&sql, name);
        sb_adds(&sql, " (file_id, source_file, line, column_name, rule, message, raw_line) "
                      "VALUES (?, ?, ?, ?, ?, ?, ?)");
        rc = prepare(s, &sql, &s->rej, err);
    }
    sb_free(&sql);
    return rc;
}

/* Each input file is a savepoint, and SQLite keeps the original of every page a savepoint
 * changes in a statement journal.  Past SQLITE_CONFIG_STMTJRNL_SPILL (64 KiB by default:
 * three 16 KiB pages) that journal becomes a temporary file, created, written and deleted for
 * nearly every file.  Small files' savepoints now stay in memory; a big load into an
 * existing table still spills past 4 MiB, so memory stays bounded.  It must be set before
 * SQLite initializes; if something initialized it already, the default stays. */
#define STMTJRNL_SPILL (4 << 20)
static void configure_sqlite(void)
{
    (void)sqlite3_config(SQLITE_CONFIG_STMTJRNL_SPILL, STMTJRNL_SPILL);
}

int sqlite_sink_open(const struct config *cfg, const struct plan *p, int readonly,
                     struct sqlite_sink **out, struct sl_error *err)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    (void)pthread_once(&once, configure_sqlite);
    int rc = SL_ENOMEM;
    struct sqlite_sink *s = calloc(1, sizeof(*s));
    struct strbuf sql = STRBUF_INIT;
    if (s == NULL) {
        sl_error_set(err, SL_ENOMEM, "out of memory");
        goto out;
    }
    s->cfg = cfg;
    s->p = p;
    if (p != NULL && (s->text = calloc(MULTI_ROWS * (p->ncols + 1), sizeof(*s->text))) == NULL) {
        sl_error_set(err, SL_ENOMEM, "out of memory");
        goto out;
    }
    if (readonly && !fs_exists(cfg->sqlite_path)) {
        rc = sl_error_set(err, SL_ENOTFOUND, "no database yet at %s", cfg->sqlite_path);
        goto out;
    }
    if (!readonly && (rc = fs_mkdir_parent(cfg->sqlite_path, err)) != 0) {
        goto out;
    }
    /* NOMUTEX: one thread at a time uses the connection (load.c hands it over explicitly). */
    int flags = (readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
                SQLITE_OPEN_NOMUTEX;
    int src = sqlite3_open_v2(cfg->sqlite_path, &s->db, flags | SQLITE_OPEN_NOFOLLOW, NULL);
    if (src != SQLITE_OK) {
        rc = sl_error_set(err, sqlite_errcode(src), "cannot open database %s: %s",
                          cfg->sqlite_path, s->db ? sqlite3_errmsg(s->db) : "out of memory");
        goto out;
    }
    sqlite3_busy_timeout(s->db, (int)cfg->sqlite_busy_timeout_ms);
    if (readonly) {
        rc = 0;
        goto done;
    }
    /* page_size only takes effect on a new database; 16 KiB measured faster for bulk loads. */
    if ((rc = exec_setup(s, "PRAGMA page_size=16384", err)) != 0 ||
        (rc = exec_setup(s, "PRAGMA journal_mode=WAL", err)) != 0 ||
        (rc = exec_setup(s, "PRAGMA synchronous=FULL", err)) != 0 ||
        (rc = exec_setup(s, ledger_ddl, err)) != 0 || (rc = migrate_ledger(s, err)) != 0) {
        goto out;
    }
    if (p != NULL) {
        s->pk_col = -1;
        if (cfg->sqlite_enabled) {
            build_create(p, cfg->table, &sql);
            if ((rc = exec_setup(s, sb_cstr(&sql), err)) != 0 ||
                (rc = check_shape(s, err)) != 0 || (rc = prepare_rows(s, err)) != 0) {
                goto out;
            }
        }
        /* rejects (and the ledger) live in the database even for a Parquet-only pipeline */
        if ((rc = prepare_rejects(s, err)) != 0) {
            goto out;
        }
    }
done:
    *out = s;
    s = NULL;
out:
    sb_free(&sql);
    sqlite_sink_close(s);
    return rc;
}

void sqlite_sink_close(struct sqlite_sink *s)
{
    if (s == NULL) {
        return;
    }
    sqlite3_finalize(s->ins);
    sqlite3_finalize(s->exists);
    sqlite3_finalize(s->owner);
    sqlite3_finalize(s->rej);
    sqlite3_finalize(s->multi);
    sqlite3_finalize(s->maxpk);
    sqlite3_close(s->db);
    free(s->text);
    free(s);
}

sqlite3 *sqlite_sink_db(struct sqlite_sink *s)
{
    return s->db;
}

int sqlite_sink_begin(struct sqlite_sink *s, struct sl_error *err)
{
    return exec(s, "BEGIN IMMEDIATE", err);
}

int sqlite_sink_commit(struct sqlite_sink *s, struct sl_error *err)
{
    return exec(s, "COMMIT", err);
}

void sqlite_sink_rollback(struct sqlite_sink *s)
{
    if (!sqlite3_get_autocommit(s->db)) {
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    }
}

int sqlite_sink_savepoint(struct sqlite_sink *s, struct sl_error *err)
{
    return exec(s, "SAVEPOINT sl_file", err);
}

int sqlite_sink_release(struct sqlite_sink *s, struct sl_error *err)
{
    return exec(s, "RELEASE sl_file", err);
}

int sqlite_sink_rollback_to(struct sqlite_sink *s)
{
    if (sqlite3_get_autocommit(s->db) ||
        sqlite3_exec(s->db, "ROLLBACK TO sl_file", NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(s->db, "RELEASE sl_file", NULL, NULL, NULL) != SQLITE_OK) {
        return -1;
    }
    return 0;
}

int sqlite_sink_in_txn(struct sqlite_sink *s)
{
    return !sqlite3_get_autocommit(s->db);
}

static int bind_value(sqlite3_stmt *st, int idx, const struct batch *b, size_t r, size_t c,
                      char buf[40])
{
    const struct column *col = &b->cols[c];
    if (col->null[r]) {
        return sqlite3_bind_null(st, idx);
    }
    switch (col->type) {
    case SL_T_INT:
        return sqlite3_bind_int64(st, idx, col->v.i64[r]);
    case SL_T_NUM:
        return sqlite3_bind_double(st, idx, col->v.f64[r]);
    case SL_T_BOOL:
    case SL_T_NULL:
        return sqlite3_bind_int(st, idx, col->v.u8[r]);
    case SL_T_DATE: {
        size_t n = types_format_date(col->v.i32[r], buf, 40);
        return sqlite3_bind_text(st, idx, buf, (int)n, SQLITE_STATIC);
    }
    case SL_T_DATETIME: {
        size_t n = types_format_datetime(col->v.i64[r], buf, 40);
        return sqlite3_bind_text(st, idx, buf, (int)n, SQLITE_STATIC);
    }
    case SL_T_STR:
        return sqlite3_bind_text(st, idx, col->data + col->off[r],
                                 (int)(col->off[r + 1] - col->off[r]), SQLITE_STATIC);
    }
    return SQLITE_MISUSE;
}

static int bind_pk(struct sqlite_sink *s, sqlite3_stmt *st, const struct batch *b, size_t r)
{
    const struct contract *ct = s->cfg->contract;
    for (size_t k = 0; k < ct->npk; k++) {
        int rc = bind_value(st, (int)k + 1, b, r, ct->pk[k], s->text[ct->pk[k]]);
        if (rc != SQLITE_OK) {
            return rc;
        }
    }
    return SQLITE_OK;
}

/* 1 when row r's primary key is already in the table. */
static int key_exists(struct sqlite_sink *s, const struct batch *b, size_t r, int *found)
{
    sqlite3_reset(s->exists);
    int rc = bind_pk(s, s->exists, b, r);
    if (rc != SQLITE_OK) {
        return rc;
    }
    rc = sqlite3_step(s->exists);
    *found = rc == SQLITE_ROW;
    sqlite3_reset(s->exists);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int sqlite_sink_file_begin(struct sqlite_sink *s, struct sl_error *err)
{
    s->have_max = 0;
    if (s->pk_col < 0) {
        return 0;
    }
    if (s->maxpk == NULL) { /* prepared once: every file asks */
        struct strbuf sql = STRBUF_INIT;
        sb_adds(&sql, "SELECT max(");
        quoted(&sql, s->p->cols[s->pk_col].name);
        sb_adds(&sql, ") FROM ");
        quoted(&sql, s->cfg->table);
        int prc = prepare(s, &sql, &s->maxpk, err);
        sb_free(&sql);
        if (prc != 0) {
            return prc;
        }
    }
    int rc = sqlite3_step(s->maxpk);
    if (rc == SQLITE_ROW) {
        s->have_max = sqlite3_column_type(s->maxpk, 0) != SQLITE_NULL;
        s->max_pk = sqlite3_column_int64(s->maxpk, 0);
        rc = 0;
    } else {
        rc = db_fail(s, rc, "max key", err);
    }
    sqlite3_reset(s->maxpk);
    return rc;
}

/* Rows [from, to) one statement each, with per-row conflict handling. */
static int write_rows(struct sqlite_sink *s, struct batch *b, size_t from, size_t to,
                      int64_t file_id, uint64_t *updated, struct sl_error *err)
{
    const struct plan *p = s->p;
    int update = s->cfg->on_duplicate_key == DUP_UPDATE && s->exists != NULL;
    for (size_t r = from; r < to; r++) {
        sqlite3_stmt *st = s->ins;
        int rc = SQLITE_OK;
        int existed = 0;
        if (update && (rc = key_exists(s, b, r, &existed)) != SQLITE_OK) {
            return db_fail(s, rc, "lookup", err);
        }
        for (size_t c = 0; c < p->ncols && rc == SQLITE_OK; c++) {
            rc = bind_value(st, (int)c + 1, b, r, c, s->text[c]);
        }
        if (rc == SQLITE_OK) {
            rc = sqlite3_bind_int64(st, (int)p->ncols + 1, file_id);
        }
        if (rc != SQLITE_OK) {
            return db_fail(s, rc, "bind", err);
        }
        rc = sqlite3_step(st);
        sqlite3_reset(st);
        if (rc == SQLITE_DONE) {
            if (sqlite3_changes(s->db) == 0) {
                b->outcome[r] = s->cfg->on_duplicate_key == DUP_REJECT ? BATCH_DUP_REJECT
                                                                      : BATCH_DUP_SKIP;
            } else {
                b->outcome[r] = BATCH_LOADED;
                *updated += (uint64_t)existed;
            }
        } else if ((rc & 0xff) == SQLITE_CONSTRAINT) {
            b->outcome[r] = BATCH_DUP_REJECT; /* another UNIQUE column clashed */
        } else {
            return db_fail(s, rc, "insert", err);
        }
    }
    return 0;
}

/* No row of b can conflict: every key is above the largest key the table held when the file
 * began, and the validator already made the file's own keys unique. */
static int batch_conflict_free(const struct sqlite_sink *s, const struct batch *b)
{
    if (s->pk_col < 0) {
        return 0;
    }
    if (!s->have_max) {
        return 1;
    }
    const struct column *col = &b->cols[s->pk_col];
    for (size_t r = 0; r < b->nrows; r++) {
        if (col->v.i64[r] <= s->max_pk) {
            return 0;
        }
    }
    return 1;
}

int sqlite_sink_all_load(const struct sqlite_sink *s, const struct batch *b)
{
    return s->cfg->sqlite_enabled && (s->pk_col < 0 || batch_conflict_free(s, b));
}

int sqlite_sink_write(struct sqlite_sink *s, struct batch *b, int64_t file_id,
                      uint64_t *updated, struct sl_error *err)
{
    const struct plan *p = s->p;
    size_t r = 0;
    if (!s->cfg->sqlite_enabled) {
        memset(b->outcome, BATCH_LOADED, b->nrows); /* Parquet-only: nothing to insert here */
        return 0;
    }
    if (batch_conflict_free(s, b)) {
        /* MULTI_ROWS rows per statement: a fraction of the per-statement work per row. */
        const int per = (int)p->ncols + 1;
        for (; r + MULTI_ROWS <= b->nrows; r += MULTI_ROWS) {
            int rc = SQLITE_OK;
            for (size_t k = 0; k < MULTI_ROWS && rc == SQLITE_OK; k++) {
                for (size_t c = 0; c < p->ncols && rc == SQLITE_OK; c++) {
                    rc = bind_value(s->multi, (int)(k * per + c + 1), b, r + k, c,
                                    s->text[k * (p->ncols + 1) + c]);
                }
                if (rc == SQLITE_OK) {
                    rc = sqlite3_bind_int64(s->multi, (int)(k * per + per), file_id);
                }
            }
            if (rc != SQLITE_OK) {
                return db_fail(s, rc, "bind", err);
            }
            rc = sqlite3_step(s->multi);
            sqlite3_reset(s->multi);
            if (rc != SQLITE_DONE) {
                return db_fail(s, rc, "insert", err);
            }
            memset(b->outcome + r, BATCH_LOADED, MULTI_ROWS);
        }
    }
    return write_rows(s, b, r, b->nrows, file_id, updated, err);
}

void sqlite_sink_dup_message(struct sqlite_sink *s, const struct batch *b, size_t r,
                             struct strbuf *msg)
{
    const struct contract *ct = s->cfg->contract;
    const char *owner = NULL;
    sb_adds(msg, ct->npk ? "primary key " : "a unique value of this row ");
    for (size_t k = 0; k < ct->npk; k++) {
        struct sl_value v;
        batch_get(b, r, ct->pk[k], &v);
        sb_adds(msg, k ? ", " : "");
        value_text(msg, &v, 1);
    }
    if (s->exists != NULL) {
        sqlite3_reset(s->exists);
        if (bind_pk(s, s->exists, b, r) == SQLITE_OK && sqlite3_step(s->exists) == SQLITE_ROW) {
            owner = (const char *)sqlite3_column_text(s->exists, 1);
        }
    }
    sb_adds(msg, " is already in the table");
    if (owner != NULL) {
        sb_printf(msg, " (loaded from %s)", owner);
    }
    if (s->exists != NULL) {
        sqlite3_reset(s->exists);
    }
}

int sqlite_sink_reject(struct sqlite_sink *s, int64_t file_id, const char *source_file,
                       uint64_t line, const char *column, const char *rule, const char *msg,
                       const char *raw, size_t raw_len, struct sl_error *err)
{
    sqlite3_stmt *st = s->rej;
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, file_id);
    sqlite3_bind_text(st, 2, source_file, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)line);
    if (column != NULL) {
        sqlite3_bind_text(st, 4, column, -1, SQLITE_STATIC);
    } else {
        sqlite3_bind_null(st, 4);
    }
    sqlite3_bind_text(st, 5, rule, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, msg, -1, SQLITE_STATIC);
    /* Raw bytes that are not clean UTF-8 text are kept as a BLOB, never altered. */
    int text = memchr(raw, '\0', raw_len) == NULL && utf8_valid(raw, raw_len, NULL);
    if (text) {
        sqlite3_bind_text(st, 7, raw, (int)raw_len, SQLITE_STATIC);
    } else {
        sqlite3_bind_blob(st, 7, raw, (int)raw_len, SQLITE_STATIC);
    }
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : db_fail(s, rc, "insert reject", err);
}
