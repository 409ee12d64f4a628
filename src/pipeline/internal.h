/* internal.h - the pipeline's private state, shared by pipeline.c, load.c and recover.c. */
#ifndef SL_PIPELINE_INTERNAL_H
#define SL_PIPELINE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>

#include "contract/validate.h"
#include "core/batch.h"
#include "input/csv.h"
#include "pipeline/pipeline.h"
#include "pipeline/report.h"
#include "sink/pqsink.h"
#include "sink/sqlite.h"

/* Rejects found by the validator, queued with their batch so that the one thread writing
 * to SQLite and the report also writes these, in order. */
struct qrej {
    uint64_t line;
    const char *column; /* plan-owned names: live as long as the plan */
    const char *rule;
    size_t msg_off, msg_len, raw_off, raw_len; /* in arena */
};

/* A batch of valid rows and the rejects found while filling it: the unit handed from the
 * reading/validating thread to the writing one. */
struct slot {
    struct batch *b;
    struct qrej *rej;
    size_t nrej, caprej;
    struct strbuf arena;
};

/* A worker's own parsing state (group.c): the prepare step runs on several threads, each
 * with its own compiled plan and validator. */
struct prep_ctx {
    struct plan *plan;
    struct validator *val;
    struct reject rej;
    struct csv_opts csv;
};

struct dirset;

struct pipeline {
    const struct config *cfg;
    struct plan *plan;
    struct validator *val;
    struct slot slots[2]; /* double buffer: one filled while the other is written */
    struct sqlite_sink *sink; /* NULL in check mode */
    struct pqsink *pq;        /* NULL in check mode or with parquet.enabled false */
    int sink_parquet_here;    /* Parquet rows written on the writer thread (no SQLite table:
                                 outcomes are known at once); else on the reading thread */
    struct csv_opts csv;
    struct reject rej;  /* the validator's scratch reject (reading thread) */
    struct strbuf msg;  /* duplicate-key messages (writing thread) */
    atomic_uint claims; /* claim folders created by this process (any thread) */
    size_t nprep;            /* prepare contexts: [0] for the calling thread, the rest for
                                worker threads (workers - 1) */
    struct prep_ctx *prep;
    size_t npool;            /* slots holding small files parsed ahead (batches made at first
                                use, from types) */
    enum sl_type *types;
    struct slot *pool;
    size_t nworkers;         /* the workers setting, resolved */
    struct par_state *par;   /* load_par.c's contexts and pieces, made at first use */
    int (*stop_fn)(void *); /* asked between slots of a streamed file: stop now? */
    void *stop_ctx;
    char db_tag[17]; /* names this pipeline's database in its claims: processes with other
                        databases sharing paths.work leave each other's claims alone */
};

/* One file's load: everything load_stream needs and fills. */
struct load {
    struct pipeline *p;
    int fd;
    const char *name;       /* for messages and the rejects table */
    int64_t file_id;        /* ledger id; 0 in check mode */
    struct report *rep;     /* where rejects go (always set) */
    unsigned print_max;     /* check mode: rejects printed to stdout */
    struct file_result *res;
};

/* Streams the file through reader, validator and (if any) the SQLite sink.  Returns 0 when
 * the whole file was read (verdict still to decide), or a negative SL_E*: permanent codes are
 * the file's fault (header, CSV syntax, limits), transient ones are not. */
int load_stream(struct load *l, struct sl_error *err);

/* A small file parsed ahead by a worker (group.c): header and rows (up to one slot) into s
 * and header.  Returns 1 when the whole file fits, 0 when it does not (it is then streamed by
 * load_stream at commit time), or a negative SL_E* (permanent: the file's fault). */
int load_prepare(struct prep_ctx *ctx, int fd, struct slot *s, struct strbuf *header,
                 struct file_result *res, struct sl_error *err);
/* Writes a prepared slot inside the file's transaction: rejects, rows, metrics, Parquet. */
int load_prepared(struct load *l, struct slot *s, const struct strbuf *header,
                  struct sl_error *err);

/* The same when sqlite_sink_all_load holds, its two halves at once: first_step (the
 * caller's: its ledger row, whose id it sets), the rows into SQLite and the metrics on a
 * thread of its own; the Parquet side (encode, seal into pqfiles, *pq_rows; with sync_now,
 * the fsyncs too: see pqsink_write_seal) on this one.  Returns LOAD_FIRST_STEP_FAILED when
 * first_step failed (its error is the caller's to keep; nothing else was done, the Parquet
 * side included), else 0 or the first error of the halves, in err. */
#define LOAD_FIRST_STEP_FAILED 1
int load_overlap(struct load *l, struct slot *s, const struct strbuf *header,
                 int (*first_step)(void *ctx, int64_t *file_id), void *ctx, int sync_now,
                 struct strbuf *pqfiles, uint64_t *pq_rows, struct sl_error *err);

/* ---- load.c's building blocks, shared with load_par.c ---- */

/* The thread writing slots (SQLite, rejects; Parquet when there is no SQLite): one slot at a
 * time, handed over with writer_submit once the previous one is written. */
struct writer {
    struct load *l;
    pthread_t tid;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct slot *pending; /* handed over, not yet taken */
    int busy;             /* writing a slot */
    int stop;
    int rc;               /* first error of the writer */
    struct sl_error err;
    int started;
};

/* Hands s to the writer (starting it on first use) once it is idle; returns an earlier
 * writer error.  After it returns, the slot submitted before s is written. */
int writer_submit(struct writer *w, struct slot *s, struct sl_error *err);
/* Waits for the writer and stops it; returns its first error (copied into err). */
int writer_finish(struct writer *w, struct sl_error *err);
/* Writes a slot's rejects and rows (the writer's job). */
int write_slot(struct load *l, struct slot *s, struct sl_error *err);
/* After write_slot: metrics and (with SQLite) Parquet for the loaded rows; empties s. */
int finish_slot(struct load *l, struct slot *s, struct sl_error *err);
/* Validates rec into s: its row into the batch, or its reject queued with the slot (the
 * one step every reader loop takes per record).  0, or a negative SL_E* (out of memory). */
int slot_take(struct slot *s, struct validator *v, struct reject *rej,
              const struct csv_record *rec, struct sl_error *err);
/* Queues a validator reject (and the record's raw bytes) with the slot. */
int queue_reject(struct slot *s, const struct reject *rej, const struct csv_record *rec);

/* load_par.c: the first part of a big file, cut into pieces parsed by several threads and
 * written in order.  The rest, if any (a piece that could not be cut), is read by load.c
 * from where it stopped. */
struct par_tail {
    char *buf;         /* input bytes read but not loaded: buf[pos..len) */
    size_t pos, len;
    uint64_t line;     /* line number of buf[pos] */
    int header_done;   /* the header is bound (p->val) and reported */
    int eof;           /* the file has no bytes beyond buf */
};
/* Returns 1 when the whole file was loaded, 0 when *tail holds where to go on reading, or a
 * negative SL_E*.  Does nothing (returns 0, empty tail) when there is one worker. */
int load_par(struct load *l, struct par_tail *tail, struct sl_error *err);
void load_par_free(struct pipeline *p);

/* Claims.  A claimed input is renamed to WORK/CLAIM~NAME and its reports are written beside
 * it (WORK/CLAIM~.rejects.csv, WORK/CLAIM~.error.json): no folder per file, since creating
 * and removing one per file (two inode operations) was a third of a small-file burst's CPU.
 * A name too long for that (CLAIM~NAME over NAME_MAX) gets a folder WORK/CLAIM/ instead.
 * Either way a claim's "base" is the prefix its paths share ("WORK/CLAIM~" or "WORK/CLAIM/").
 * CLAIM_SEP separates a flat claim's name from the rest. */
#define CLAIM_SEP '~'
/* A claim's base: "WORK/CLAIM~" (flat) or "WORK/CLAIM/" (folder).  0, or -1 when too long. */
int claim_base(char *out, size_t cap, const char *work, const char *claim, int folder);
/* Removes a folder claim's (now empty) folder; nothing for a flat claim.  0 or -1 (errno). */
int claim_remove(const char *base);

/* pipeline.c */
int pipeline_open_input(const char *path, struct stat *st, struct sl_error *err);
void pipeline_check_ratio(const struct config *cfg, const struct file_result *res,
                          struct sl_error *ferr);
/* Moves the input base+name and its reports (base+REPORT_*) to processed/ or failed/.
 * defer: NULL to fsync each destination folder and claim_remove(base); else the folders are
 * added to defer and the caller removes the claim after fsyncing them. */
int pipeline_archive(struct pipeline *p, const char *base, const char *name, int failed,
                     const char *want, char *final, size_t cap, struct dirset *defer,
                     struct sl_error *err);

#endif
