/* pipeline.h - the per-file flow: claim, hash, ledger lookup, stream the CSV through the
 * validator into SQLite inside one transaction, decide the verdict, commit, archive.
 *
 * Commit protocol (docs/ARCHITECTURE.md): the input is first renamed into a claim folder
 * paths.work/<claim>/; reports are written beside it; the file's rows, rejects and ledger row
 * are one SQLite transaction; only after COMMIT are the input and its reports moved to
 * processed/ or failed/.  pipeline_recover finishes or undoes whatever a crash left.
 */
#ifndef SL_PIPELINE_H
#define SL_PIPELINE_H

#include <limits.h>
#include <stdint.h>

#include "core/config.h"
#include "core/error.h"

struct pipeline;

enum file_status { FILE_OK = 0, FILE_PARTIAL, FILE_FAILED, FILE_DUPLICATE, FILE_SKIPPED };

struct file_result {
    enum file_status status;
    uint64_t rows_total, rows_loaded, rows_rejected, rows_duplicate_key, rows_updated;
    uint64_t blank_lines, size_bytes;
    double duration_ms;
    char sha256[65];
    char error[SL_ERRMSG_MAX]; /* file-level reason when failed */
    char archived_as[PATH_MAX];
};

const char *file_status_name(enum file_status s);

/* check_only: no database, no moves (sluice check). */
int pipeline_create(const struct config *cfg, int check_only, struct pipeline **out,
                    struct sl_error *err);
void pipeline_destroy(struct pipeline *p);

/* Finishes or rolls back files a crash left in paths.work.  Returns 0 or an error. */
int pipeline_recover(struct pipeline *p, struct sl_error *err);

/* Processes incoming/<name>.  Returns 0 when the file reached a verdict (res->status; a file
 * another process claimed first is FILE_SKIPPED), or a negative SL_E* for an error that
 * is not the file's fault (database busy, disk full): the input is put back in incoming/. */
int pipeline_process(struct pipeline *p, const char *name, struct file_result *res,
                     struct sl_error *err);

/* Validates path without writing anything; prints a report to stdout (up to max_errors
 * rejects).  Returns 0 with res filled, or an error. */
int pipeline_check(struct pipeline *p, const char *path, unsigned max_errors,
                   struct file_result *res, struct sl_error *err);

#endif
