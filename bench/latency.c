/* latency.c - `make bench` helper for sluice run's latency: renames SRC to DST (DST is in the
 * folder the daemon watches), then polls the daemon's database with a prepared
 * SELECT count(*) FROM sluice_files every 100 us until the ledger has one file more.  Prints
 * the microseconds from just before the rename to the first read that sees the new ledger row.
 * The ledger row is committed in the same transaction as the file's rows, so that is the
 * moment the rows became queryable.
 *
 *   latency DB SRC DST [TIMEOUT_S]     (default timeout 10 s; exit 1 on timeout or error)
 *
 * Build: cc -O2 -o latency bench/latency.c -lsqlite3
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void pause_us(long us)
{
    struct timespec ts = {0, us * 1000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* One read of the ledger's count; retries while the database is busy. 0 or -1. */
static int ledger_count(sqlite3 *db, sqlite3_stmt *st, sqlite3_int64 *out)
{
    for (int tries = 0; tries < 100000; tries++) {
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            *out = sqlite3_column_int64(st, 0);
            sqlite3_reset(st);
            return 0;
        }
        sqlite3_reset(st);
        if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED) {
            fprintf(stderr, "latency: %s\n", sqlite3_errmsg(db));
            return -1;
        }
        pause_us(100);
    }
    fprintf(stderr, "latency: database busy for too long\n");
    return -1;
}

int main(int argc, char **argv)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    sqlite3_int64 before, n;
    double timeout_s = argc > 4 ? atof(argv[4]) : 10.0;
    int rc = 1;

    if (argc < 4 || argc > 5 || timeout_s <= 0) {
        fprintf(stderr, "usage: latency DB SRC DST [TIMEOUT_S]\n");
        return 2;
    }
    if (sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "SELECT count(*) FROM sluice_files", -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "latency: %s: %s\n", argv[1], db != NULL ? sqlite3_errmsg(db) : "no memory");
        goto out;
    }
    if (ledger_count(db, st, &before) != 0) {
        goto out;
    }
    int64_t t0 = now_us();
    if (rename(argv[2], argv[3]) != 0) {
        fprintf(stderr, "latency: rename %s -> %s: %s\n", argv[2], argv[3], strerror(errno));
        goto out;
    }
    int64_t deadline = t0 + (int64_t)(timeout_s * 1e6);
    for (;;) {
        if (ledger_count(db, st, &n) != 0) {
            goto out;
        }
        int64_t t1 = now_us();
        if (n > before) {
            printf("%lld\n", (long long)(t1 - t0));
            rc = 0;
            break;
        }
        if (t1 > deadline) {
            fprintf(stderr, "latency: %s not in the ledger after %.1f s\n", argv[3], timeout_s);
            break;
        }
        pause_us(100);
    }
out:
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rc;
}
