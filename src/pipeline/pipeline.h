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
    int error_code;           /* FILE_FAILED: the SL_E* code of the reason */
    int committed;            /* its verdict is in the ledger (even when rc reports that
                                 publishing or archiving must wait for the next start) */
    const char *first_errors[3]; /* the first rejected rows ("line N: why"); valid only */
    size_t nfirst_errors;        /* during the pipeline_cb call */
    const char *metrics_json; /* the file's metrics (a JSON object) or NULL; valid only
                                 during the pipeline_cb call */
};

const char *file_status_name(enum file_status s);

/* check_only: no database, no moves (sluice check). */
int pipeline_create(const struct config *cfg, int check_only, struct pipeline **out,
                    struct sl_error *err);
void pipeline_destroy(struct pipeline *p);

/* Finishes or rolls back files a crash left in paths.work.  Returns 0 or an error. */
int pipeline_recover(struct pipeline *p, struct sl_error *err);

/* Called once per file, in the order given, when the file is done.  rc 0: the file
 * reached a verdict (res->status; a file another process claimed first is FILE_SKIPPED);
 * rc < 0: an error that is not the file's fault (database busy, disk full), err says which,
 * and the input was put back in incoming/.  Returning nonzero asks to stop: files already
 * claimed are finished, the others are not touched. */
typedef int (*pipeline_cb)(void *ctx, const char *name, int rc, const struct file_result *res,
                           const struct sl_error *err);

/* Processes incoming/<names[i]>: worker threads claim, hash and parse files ahead while this
 * thread commits them, several small files per durable transaction (group commit).  Returns
 * 0, or SL_ENOMEM when it could not start. */
int pipeline_process_many(struct pipeline *p, const char *const *names, size_t n,
                          pipeline_cb cb, void *cb_ctx);

/* After the last attempt of a transient failure: claims incoming/<name>, records it as
 * failed in the ledger with why (its code and message) and error.json (plus extra_json
 * members, e.g. "attempts": [...]), and moves it to failed/.  cb as above (rc < 0 when even
 * that could not be done: the database is still unavailable). */
int pipeline_give_up(struct pipeline *p, const char *name, const struct sl_error *why,
                     const char *extra_json, pipeline_cb cb, void *cb_ctx);

/* fn(ctx) is asked between batches of a big file's load: when it returns nonzero the load
 * is abandoned (rolled back, the input put back in incoming/, SL_ECANCELED), so a stop
 * request never waits for a whole big file. */
void pipeline_set_stop_check(struct pipeline *p, int (*fn)(void *), void *ctx);
/* Idle-time work (the daemon, before it waits): what the next file will need is made ready,
 * stopping as soon as busy(ctx) says work is waiting. */
void pipeline_idle(struct pipeline *p, int (*busy)(void *), void *ctx);

/* Validates path without writing anything; prints a report to stdout (up to max_errors
 * rejects).  Returns 0 with res filled, or an error. */
int pipeline_check(struct pipeline *p, const char *path, unsigned max_errors,
                   struct file_result *res, struct sl_error *err);

#endif
