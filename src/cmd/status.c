/* status.c - `sluice status`: the ledger at a glance, read-only. */
#include <getopt.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>

#include "cmd/cmd.h"
#include "sink/sqlite.h"

static const char status_help[] =
    "usage: sluice [-c FILE] status [--failures N]\n"
    "\n"
    "Reads the ledger (table sluice_files) of the configured database and prints: files by\n"
    "status, rows loaded / rejected / skipped as duplicate keys, the most frequent reject\n"
    "rules, and the last N failed files with their reasons (default 10).  Read-only.\n";

static int print_query(sqlite3 *db, const char *sql, const char *table, const char *fmt_head,
                       int ncols)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        return -1;
    }
    if (table != NULL) {
        sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
    }
    int any = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (!any && fmt_head != NULL) {
            fputs(fmt_head, stdout);
        }
        any = 1;
        fputs("  ", stdout);
        for (int c = 0; c < ncols; c++) {
            const char *v = (const char *)sqlite3_column_text(st, c);
            printf(c ? "  %s" : "%s", v ? v : "-");
        }
        putchar('\n');
    }
    sqlite3_finalize(st);
    return any;
}

int cmd_status(struct cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {"failures", required_argument, NULL, 'f'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    int nfail = 10;
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "c:qf:h", opts, NULL)) != -1) {
        if (cmd_common_opt(cli, opt, optarg)) {
            continue;
        }
        if (opt == 'f') {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*end != '\0' || v < 1 || v > 100000) {
                fprintf(stderr, "sluice status: --failures wants a positive number\n");
                return EXIT_USAGE;
            }
            nfail = (int)v;
            continue;
        }
        if (opt == 'h') {
            fputs(status_help, stdout);
            return EXIT_OK;
        }
        fputs(status_help, stderr);
        return EXIT_USAGE;
    }
    struct config *cfg = cmd_load_config(cli);
    if (cfg == NULL) {
        return EXIT_CONFIG;
    }
    struct sl_error err = {0};
    struct sqlite_sink *s = NULL;
    int code = EXIT_OK;
    if (sqlite_sink_open(cfg, NULL, 1, &s, &err) != 0) {
        printf("%s\n", err.msg);
        code = err.code == SL_ENOTFOUND ? EXIT_OK : EXIT_FAILED;
        goto out;
    }
    sqlite3 *db = sqlite_sink_db(s);
    printf("database: %s   table: %s\n", cfg->sqlite_path, cfg->table);
    int r = print_query(db,
                        "SELECT printf('%-10s %6d files  %10d rows  %9d loaded  %8d rejected  "
                        "%8d dup-key', status, count(*), sum(rows_total), sum(rows_loaded), "
                        "sum(rows_rejected), sum(rows_duplicate_key)) FROM sluice_files WHERE "
                        "target_table = ?1 GROUP BY status ORDER BY status",
                        cfg->table, "files by status:\n", 1);
    if (r < 0) {
        printf("no ledger in this database yet (%s)\n", sqlite3_errmsg(db));
        goto out;
    }
    if (r == 0) {
        printf("no files processed yet\n");
        goto out;
    }
    print_query(db,
                "SELECT printf('total      %6d files  %10d rows  %9d loaded  %8d rejected  %8d "
                "dup-key', count(*), sum(rows_total), sum(rows_loaded), sum(rows_rejected), "
                "sum(rows_duplicate_key)) FROM sluice_files WHERE target_table = ?1",
                cfg->table, NULL, 1);
    print_query(db,
                "SELECT printf('parquet    %6d files written', sum(json_array_length(parquet_files)))"
                " FROM sluice_files WHERE target_table = ?1 AND parquet_files IS NOT NULL",
                cfg->table, NULL, 1);
    char sql[512];
    snprintf(sql, sizeof(sql),
             "SELECT printf('%%-24s %%8d', rule, count(*)) FROM \"%s_rejects\" GROUP BY rule "
             "ORDER BY count(*) DESC LIMIT 10",
             cfg->table);
    print_query(db, sql, NULL, "top reject rules:\n", 1);
    snprintf(sql, sizeof(sql),
             "SELECT finished_at, file_name, error FROM sluice_files WHERE target_table = ?1 AND "
             "status = 'failed' ORDER BY id DESC LIMIT %d",
             nfail);
    if (print_query(db, sql, cfg->table, "last failures:\n", 3) == 0) {
        printf("no failures\n");
    }
out:
    sqlite_sink_close(s);
    config_destroy(cfg);
    return code;
}
