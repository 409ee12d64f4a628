/* pqsink.h - the Parquet store: one Parquet file per input file per partition, written
 * under temporary names during the load, sealed (fsynced) before the SQLite commit and
 * published by rename after it.  Names are deterministic (input stem + content hash), so a
 * file can never be published twice.
 *
 * Layout: parquet.dir/<col>=<value>/.../<stem>-<sha16>.parquet (Hive-style partitions);
 * temporaries: the same folder, ".<final name>.<claim>.tmp".
 */
#ifndef SL_PQSINK_H
#define SL_PQSINK_H

#include <stdint.h>

#include "contract/validate.h"
#include "core/batch.h"
#include "core/error.h"
#include "core/strbuf.h"

struct pqsink;

/* Checks the partition columns against the plan; creates parquet.dir.  SL_ECONFIG when a
 * partition column does not exist. */
int pqsink_create(const struct config *cfg, const struct plan *p, struct pqsink **out,
                  struct sl_error *err);
void pqsink_destroy(struct pqsink *s);
/* Work for idle time (the daemon, nothing to do): files for the next parts are made ahead
 * (spares.h), until busy(ctx) says work is waiting. */
void pqsink_idle(const struct pqsink *s, int (*busy)(void *), void *ctx);

/* Starts a file: name (as it arrived), its sha256 (hex) and the claim that owns the temps.
 * sha256 NULL: not known yet; pqsink_set_sha gives it before the file is sealed. */
int pqsink_file_begin(struct pqsink *s, const char *name, const char *sha256, const char *claim,
                      struct sl_error *err);
/* The current input's hash, known late: its parts are renamed to the names it gives. */
int pqsink_set_sha(struct pqsink *s, const char *sha256, struct sl_error *err);
/* Writes the rows of b whose outcome is BATCH_LOADED. */
int pqsink_write(struct pqsink *s, const struct batch *b, struct sl_error *err);
/* Closes every file of this input (their fsyncs: pq_sealed_sync); appends their final
 * paths, relative to parquet.dir, as a JSON array to files_json.  *rows gets the rows
 * written.  parallel_ok: a small input's parts may close on two threads (latency of a lone
 * file); inside a group of files, one thread closes them, which costs less CPU. */
int pqsink_seal(struct pqsink *s, int parallel_ok, struct strbuf *files_json, uint64_t *rows,
                struct sl_error *err);
/* pqsink_write then pqsink_seal in one step; a small input spread over several partitions has
 * each part written and closed on one of two threads (latency).  With sync_now, each part is
 * also made durable as it closes, with its folders, as pq_sealed_sync would: for a lone
 * input, which has no group to share fsyncs with, so that its Parquet side becomes durable
 * while its SQLite side is still inserting.  pqsink_take_sealed then hands the parts over
 * marked synced. */
int pqsink_write_seal(struct pqsink *s, const struct batch *b, int sync_now,
                      struct strbuf *files_json, uint64_t *rows, struct sl_error *err);
/* After the commit: renames the temporaries to their final names and fsyncs the folders. */
int pqsink_publish(struct pqsink *s, struct sl_error *err);
/* Group commit: the sealed temporaries of the current input are handed to the caller, who
 * renames them after the commit of the whole group (pq_sealed_rename, adding their folders
 * to dirs for one fsync each) or drops them (pq_sealed_free with unlink_temps). */
struct pq_sealed {
    char **tmp, **final;
    size_t n;
    int synced; /* made durable already (pqsink_sync): pq_sealed_sync has nothing to do */
};
struct dirset;
int pqsink_take_sealed(struct pqsink *s, struct pq_sealed *out, struct sl_error *err);
int pq_sealed_rename(struct pq_sealed *ps, struct dirset *dirs, struct sl_error *err);
/* Makes the sealed temporaries durable (fsync each): required before the COMMIT that lists
 * them.  Writers only start their writeback when they close, so the fsyncs of a whole group
 * of files, done together here, mostly share one filesystem journal commit.  The folders
 * holding them go to dirs: their entries must be durable too (the caller fsyncs dirs before
 * the COMMIT; POSIX does not promise that a file's fsync makes its name durable).  The
 * folders above them, up to and including root (parquet.dir), are fsynced here, once per
 * folder and process (core/durdirs.h): partition folders may be new. */
int pq_sealed_sync(const struct pq_sealed *ps, const char *root, struct dirset *dirs,
                   struct sl_error *err);
void pq_sealed_free(struct pq_sealed *ps, int unlink_temps);
/* Drops everything written for the current input (temporaries unlinked). */
void pqsink_abort(struct pqsink *s);

/* Recovery for one claim: temporaries of a committed claim are published, those of an
 * uncommitted one deleted.  Walks parquet.dir. */
int pqsink_recover_claim(const struct config *cfg, const char *claim, int committed,
                         struct sl_error *err);

#endif
