/* pqsink.c - routes loaded rows to one Parquet writer per Hive partition of the current
 * input, under temporary names; seals, publishes by rename, or aborts (see pqsink.h).
 * Knows file names and partitions; the bytes of a Parquet file are sink/parquet/'s job. */
#include "sink/pqsink.h"

#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "contract/valuefmt.h"
#include "core/durdirs.h"
#include "core/failpoint.h"
#include "core/fs.h"
#include "sink/parquet/parquet.h"
#include "sink/spares.h"


struct part {
    char *dir;   /* relative: "anio=2025/mes=2025-04" or "" */
    char *tmp;   /* absolute-or-cwd-relative temp path */
    char *final;
    struct pq_writer *w;
    uint64_t rows;
    char *bkey; /* the partition values that first led here (binary_key) */
    size_t bkey_len;
};

struct pqsink {
    const struct config *cfg;
    const struct plan *p;
    size_t npart_cols;
    size_t *part_cols;     /* plan column index of each partition column */
    size_t ndata;
    size_t *data_cols;     /* plan columns written into the files (all but partition ones) */
    struct pq_column *pqcols;
    struct column *view_cols;
    char *contract_json;   /* key-value metadata */
    struct part *parts;
    size_t nparts, capparts;
    char stem[128];
    char sha16[17];
    char sha256[65];
    char name[NAME_MAX + 1]; /* the input's name, for the key-value metadata */
    char claim[64];
    int synced;            /* the current input's parts are durable already (pqsink_sync) */
    int *row_part;         /* per batch row: index into parts, -1 = not written */
    uint8_t *mask;
    struct strbuf key;      /* the partition folder of a row: "anio=2025/mes=2025-04" */
    struct strbuf bkey;     /* the row's partition values as bytes (binary_key) */
    struct strbuf prev_bkey;
    int prev_part;
};

#define SPARES_IDLE 8 /* inodes made ahead: the parts of a file spread over 8 partitions */

void pqsink_idle(const struct pqsink *s, int (*busy)(void *), void *ctx)
{
    spares_fill(s->cfg->parquet_dir, SPARES_IDLE, busy, ctx);
}

void pqsink_destroy(struct pqsink *s)
{
    pq_comp_pool_free();
    spares_drop();
    durdirs_reset();
    if (s == NULL) {
        return;
    }
    pqsink_abort(s);
    free(s->parts);
    free(s->part_cols);
    free(s->data_cols);
    free(s->pqcols);
    free(s->view_cols);
    free(s->contract_json);
    free(s->row_part);
    free(s->mask);
    sb_free(&s->key);
    sb_free(&s->bkey);
    sb_free(&s->prev_bkey);
    free(s);
}

static int is_part_col(const struct pqsink *s, size_t c)
{
    for (size_t k = 0; k < s->npart_cols; k++) {
        if (s->part_cols[k] == c) {
            return 1;
        }
    }
    return 0;
}

int pqsink_create(const struct config *cfg, const struct plan *p, struct pqsink **out,
                  struct sl_error *err)
{
    int rc = SL_ENOMEM;
    struct pqsink *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        goto out;
    }
    s->cfg = cfg;
    s->p = p;
    durdirs_reset(); /* what is known durable was known under another parquet.dir, maybe */
    s->npart_cols = p->npart;
    s->part_cols = calloc(s->npart_cols + 1, sizeof(*s->part_cols));
    s->data_cols = calloc(p->ncols + 1, sizeof(*s->data_cols));
    s->pqcols = calloc(p->ncols + 1, sizeof(*s->pqcols));
    s->view_cols = calloc(p->ncols + 1, sizeof(*s->view_cols));
    s->row_part = calloc(cfg->batch_rows + 1, sizeof(*s->row_part));
    s->mask = calloc(cfg->batch_rows + 1, 1);
    if (!s->part_cols || !s->data_cols || !s->pqcols || !s->view_cols || !s->row_part ||
        !s->mask) {
        goto out;
    }
    for (size_t k = 0; k < s->npart_cols; k++) {
        s->part_cols[k] = p->part[k]; /* checked by plan_create */
    }
    struct strbuf j = STRBUF_INIT;
    sb_adds(&j, "{\"fields\":[");
    for (size_t c = 0; c < p->ncols; c++) {
        const struct plan_col *pc = &p->cols[c];
        int required = pc->field != NULL && pc->field->required;
        sb_adds(&j, c ? ",{\"name\":" : "{\"name\":");
        sb_json_str(&j, pc->name, strlen(pc->name));
        sb_printf(&j, ",\"type\":\"%s\",\"required\":%s,\"derived\":%s", sl_type_name(pc->type),
                  required ? "true" : "false", pc->field == NULL ? "true" : "false");
        if (is_part_col(s, c)) {
            sb_adds(&j, ",\"partition\":true");
        }
        sb_addc(&j, '}');
        if (!is_part_col(s, c)) {
            s->pqcols[s->ndata] = (struct pq_column){pc->name, pc->type, required};
            s->data_cols[s->ndata++] = c;
        }
    }
    sb_adds(&j, "]}");
    if (j.failed) {
        sb_free(&j);
        goto out;
    }
    s->contract_json = j.p;
    if ((rc = fs_mkdir_p(cfg->parquet_dir, err)) != 0) {
        goto out;
    }
    *out = s;
    s = NULL;
    rc = 0;
out:
    if (rc == SL_ENOMEM) {
        sl_error_set(err, SL_ENOMEM, "out of memory setting up Parquet output");
    }
    pqsink_destroy(s);
    return rc;
}

static void sanitize_stem(const char *name, char *out, size_t cap)
{
    size_t n = strlen(name);
    if (n > 4 && strcasecmp(name + n - 4, ".csv") == 0) {
        n -= 4;
    }
    size_t k = 0;
    for (size_t i = 0; i < n && k + 1 < cap && k < 100; i++) {
        char c = name[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '_' || c == '-' || (c == '.' && k > 0);
        out[k++] = ok ? c : '_';
    }
    if (k == 0) {
        out[k++] = '_';
    }
    out[k] = '\0';
}

int pqsink_file_begin(struct pqsink *s, const char *name, const char *sha256, const char *claim,
                      struct sl_error *err)
{
    (void)err;
    pqsink_abort(s);
    sanitize_stem(name, s->stem, sizeof(s->stem));
    /* not hashed yet (a big input hashed beside its load): a stand-in until pqsink_set_sha */
    snprintf(s->sha16, sizeof(s->sha16), "%.16s", sha256 != NULL ? sha256 : "unhashed");
    snprintf(s->sha256, sizeof(s->sha256), "%s", sha256 != NULL ? sha256 : "");
    snprintf(s->name, sizeof(s->name), "%s", name);
    snprintf(s->claim, sizeof(s->claim), "%s", claim);
    s->synced = 0;
    s->prev_part = -1;
    sb_reset(&s->prev_bkey);
    return 0;
}

/* The folder of partition dir ("anio=2025/mes=2025-04", "" unpartitioned). */
static void part_folder(const struct pqsink *s, const char *dir, char *folder, size_t cap)
{
    snprintf(folder, cap, "%s%s%s", s->cfg->parquet_dir, dir[0] ? "/" : "", dir);
}

/* A part's final and temporary paths in folder: "stem-sha16.parquet", and the temporary
 * ".<final name>.<claim>.tmp" that recovery publishes or deletes by that pattern. */
static int part_names(const struct pqsink *s, const char *folder, char **tmp, char **final)
{
    char fname[256], path[PATH_MAX], t[PATH_MAX];
    snprintf(fname, sizeof(fname), "%s-%s.parquet", s->stem, s->sha16);
    snprintf(path, sizeof(path), "%s/%s", folder, fname);
    snprintf(t, sizeof(t), "%s/.%s.%s.tmp", folder, fname, s->claim);
    *tmp = strdup(t);
    *final = strdup(path);
    if (*tmp == NULL || *final == NULL) {
        free(*tmp);
        free(*final);
        *tmp = *final = NULL;
        return -1;
    }
    return 0;
}

int pqsink_set_sha(struct pqsink *s, const char *sha256, struct sl_error *err)
{
    snprintf(s->sha16, sizeof(s->sha16), "%.16s", sha256);
    snprintf(s->sha256, sizeof(s->sha256), "%s", sha256);
    for (size_t i = 0; i < s->nparts; i++) {
        struct part *pt = &s->parts[i];
        char folder[PATH_MAX], *tmp, *final;
        part_folder(s, pt->dir, folder, sizeof(folder));
        if (part_names(s, folder, &tmp, &final) != 0) {
            return sl_error_set(err, SL_ENOMEM, "out of memory");
        }
        /* Renamed before the part is fsynced with its folder (seal): a crash before the
         * commit leaves a temporary of this claim either way, which recovery deletes. */
        int rc = 0;
        if (pt->w != NULL && pq_writer_set_kv(pt->w, "sluice.source_sha256", sha256) != 0) {
            rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        } else if (pt->w != NULL && pq_writer_rename(pt->w, tmp) != 0) {
            rc = sl_error_set(err, SL_EIO, "cannot rename %s: %s", pt->tmp, strerror(errno));
        }
        if (rc != 0) {
            free(tmp);
            free(final);
            return rc;
        }
        free(pt->tmp);
        free(pt->final);
        pt->tmp = tmp;
        pt->final = final;
    }
    return 0;
}

static int open_part(struct pqsink *s, const char *dir, struct sl_error *err)
{
    const struct config *cfg = s->cfg;
    char folder[PATH_MAX];
    int rc;
    if (s->nparts >= cfg->parquet_max_partitions) {
        return sl_error_set(err, SL_ELIMIT,
                            "rows fall into more than %zu partitions in one file "
                            "(parquet.max_partitions)",
                            cfg->parquet_max_partitions);
    }
    if (s->nparts == s->capparts) {
        size_t ncap = s->capparts ? s->capparts * 2 : 8;
        struct part *np = realloc(s->parts, ncap * sizeof(*np));
        if (np == NULL) {
            return sl_error_set(err, SL_ENOMEM, "out of memory");
        }
        s->parts = np;
        s->capparts = ncap;
    }
    part_folder(s, dir, folder, sizeof(folder));
    int created = 0;
    if ((rc = fs_mkdir_p_created(folder, &created, err)) != 0) {
        return rc;
    }
    if (created) {
        durdirs_reset(); /* a folder (re)appeared: no name below parquet.dir is known durable */
    }
    struct part *pt = &s->parts[s->nparts];
    memset(pt, 0, sizeof(*pt));
    pt->dir = strdup(dir);
    if (pt->dir == NULL || part_names(s, folder, &pt->tmp, &pt->final) != 0) {
        free(pt->dir);
        free(pt->tmp);
        free(pt->final);
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    }
    s->nparts++;
    return 0;
}

/* The part's file is created when its first rows are written, by the thread writing them:
 * the parts of a small input are created in parallel (a file's creation, with its inode
 * allocation, is a good part of a small part's cost). */
static int part_writer(const struct pqsink *s, struct part *pt, struct sl_error *err)
{
    if (pt->w != NULL) {
        return 0;
    }
    const struct config *cfg = s->cfg;
    unlink(pt->tmp); /* a leftover of this very claim */
    const char *keys[] = {"sluice.contract", "sluice.source_file", "sluice.source_sha256"};
    const char *vals[] = {s->contract_json, s->name, s->sha256};
    struct pq_options opt = {
        .codec = (enum pq_codec)cfg->parquet_codec,
        .zstd_level = 1,
        .row_group_rows = cfg->parquet_row_group_rows,
        .created_by = "sluice version " SLUICE_VERSION,
        .nkv = 3,
        .kv_keys = keys,
        .kv_values = vals,
        .defer_sync = 1, /* pq_sealed_sync, before the group's COMMIT (or sync_part) */
        .create = spares_create, /* an inode made ahead while idle, when there is one */
    };
    return pq_writer_open(pt->tmp, s->pqcols, s->ndata, &opt, &pt->w, err);
}

/* The row's partition values as bytes (null flag, then the raw value): equal bytes mean
 * equal values, so runs and repeats of a partition are found without formatting anything. */
static void binary_key(const struct pqsink *s, const struct batch *b, size_t r,
                       struct strbuf *out)
{
    sb_reset(out);
    for (size_t k = 0; k < s->npart_cols; k++) {
        const struct column *c = &b->cols[s->part_cols[k]];
        if (c->null[r]) {
            sb_addc(out, 0);
            continue;
        }
        sb_addc(out, 1);
        switch (c->type) {
        case SL_T_INT:
        case SL_T_DATETIME:
            sb_add(out, (const char *)&c->v.i64[r], sizeof(int64_t));
            break;
        case SL_T_NUM:
            sb_add(out, (const char *)&c->v.f64[r], sizeof(double));
            break;
        case SL_T_DATE:
            sb_add(out, (const char *)&c->v.i32[r], sizeof(int32_t));
            break;
        case SL_T_BOOL:
            sb_addc(out, (char)c->v.u8[r]);
            break;
        default: {
            size_t len = c->off[r + 1] - c->off[r];
            sb_add(out, (const char *)&len, sizeof(len));
            sb_add(out, c->data + c->off[r], len);
            break;
        }
        }
    }
}

static int part_of_row(struct pqsink *s, const struct batch *b, size_t r, struct sl_error *err)
{
    binary_key(s, b, r, &s->bkey);
    if (s->bkey.failed) {
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    }
    if (s->prev_part >= 0 && s->bkey.len == s->prev_bkey.len &&
        memcmp(s->bkey.p, s->prev_bkey.p, s->bkey.len) == 0) {
        return s->prev_part;
    }
    for (size_t i = 0; i < s->nparts; i++) {
        const struct part *pt = &s->parts[i];
        if (pt->bkey != NULL && pt->bkey_len == s->bkey.len &&
            memcmp(pt->bkey, s->bkey.p, s->bkey.len) == 0) {
            s->prev_part = (int)i;
            sb_reset(&s->prev_bkey);
            sb_add(&s->prev_bkey, s->bkey.p, s->bkey.len);
            return (int)i;
        }
    }
    sb_reset(&s->key);
    for (size_t k = 0; k < s->npart_cols; k++) {
        struct sl_value v;
        const char *name = s->p->cols[s->part_cols[k]].name;
        batch_get(b, r, s->part_cols[k], &v);
        sb_adds(&s->key, k ? "/" : "");
        sb_adds(&s->key, name);
        sb_addc(&s->key, '=');
        value_path_segment(&s->key, &v);
    }
    if (s->key.failed) {
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    }
    const char *key = sb_cstr(&s->key);
    int found = -1;
    for (size_t i = 0; i < s->nparts; i++) {
        if (strcmp(s->parts[i].dir, key) == 0) {
            found = (int)i;
            break;
        }
    }
    if (found < 0) {
        int rc = open_part(s, key, err);
        if (rc != 0) {
            return rc;
        }
        found = (int)s->nparts - 1;
    }
    struct part *pt = &s->parts[found];
    if (pt->bkey == NULL && (pt->bkey = malloc(s->bkey.len ? s->bkey.len : 1)) != NULL) {
        memcpy(pt->bkey, s->bkey.p, s->bkey.len);
        pt->bkey_len = s->bkey.len;
    }
    sb_reset(&s->prev_bkey);
    sb_add(&s->prev_bkey, s->bkey.p, s->bkey.len);
    s->prev_part = found;
    return s->prev_bkey.failed ? sl_error_set(err, SL_ENOMEM, "out of memory") : found;
}

/* Sends each loaded row of b to its part (opening parts as needed); *used counts them. */
static int route_rows(struct pqsink *s, const struct batch *b, size_t *used,
                      struct sl_error *err)
{
    size_t nparts_used = 0;
    for (size_t r = 0; r < b->nrows; r++) {
        s->row_part[r] = -1;
        if (b->outcome[r] != BATCH_LOADED) {
            continue;
        }
        int pi = s->npart_cols ? part_of_row(s, b, r, err) : 0;
        if (pi < 0) {
            return pi;
        }
        if (s->npart_cols == 0 && s->nparts == 0) {
            int rc = open_part(s, "", err);
            if (rc != 0) {
                return rc;
            }
        }
        s->row_part[r] = pi;
        nparts_used++;
    }
    *used = nparts_used;
    return 0;
}

/* A view of b holding only the data columns, in the files' order. */
static struct batch data_view(struct pqsink *s, const struct batch *b)
{
    struct batch view = *b;
    for (size_t i = 0; i < s->ndata; i++) {
        s->view_cols[i] = b->cols[s->data_cols[i]];
    }
    view.cols = s->view_cols;
    view.ncols = s->ndata;
    return view;
}

/* The encoded pages all of an input's open parts may hold: past it, the part holding most
 * writes its row group out.  One input spread over many partitions would otherwise hold
 * them all until its end (a 10M-row file over 24 months: 180 MB). */
#define PARTS_BUFFER_MAX ((size_t)16 << 20)

static int bound_buffers(struct pqsink *s, struct sl_error *err)
{
    for (;;) {
        size_t total = 0, most = 0, at = 0;
        for (size_t i = 0; i < s->nparts; i++) {
            size_t n = s->parts[i].w != NULL ? pq_writer_buffered(s->parts[i].w) : 0;
            total += n;
            if (n > most) {
                most = n;
                at = i;
            }
        }
        if (total <= PARTS_BUFFER_MAX || most == 0) {
            return 0;
        }
        int rc = pq_writer_flush(s->parts[at].w, err);
        if (rc != 0) {
            return rc;
        }
        if (pq_writer_buffered(s->parts[at].w) >= most) {
            return 0; /* nothing freed (no rows in the group): do not spin */
        }
    }
}

/* Writes the routed rows of b (route_rows) to their parts, one part after the other. */
static int write_routed(struct pqsink *s, const struct batch *b, struct sl_error *err)
{
    struct batch view = data_view(s, b);
    for (size_t pi = 0; pi < s->nparts; pi++) {
        size_t n = 0;
        for (size_t r = 0; r < b->nrows; r++) {
            s->mask[r] = s->row_part[r] == (int)pi;
            n += s->mask[r];
        }
        if (n == 0) {
            continue;
        }
        int rc = part_writer(s, &s->parts[pi], err);
        if (rc == 0) {
            rc = pq_writer_write(s->parts[pi].w, &view, 0, b->nrows, s->mask, err);
        }
        if (rc != 0) {
            return rc;
        }
        s->parts[pi].rows += n;
    }
    return bound_buffers(s, err);
}

int pqsink_write(struct pqsink *s, const struct batch *b, struct sl_error *err)
{
    size_t used = 0;
    int rc = route_rows(s, b, &used, err);
    return rc != 0 || used == 0 ? rc : write_routed(s, b, err);
}

/* The final paths of the current input's parts, relative to parquet.dir, as a JSON array. */
static int files_list(const struct pqsink *s, struct strbuf *files_json, struct sl_error *err)
{
    sb_addc(files_json, '[');
    for (size_t i = 0; i < s->nparts; i++) {
        const struct part *pt = &s->parts[i];
        const char *rel = pt->final + strlen(s->cfg->parquet_dir) + 1;
        sb_adds(files_json, i ? "," : "");
        sb_json_str(files_json, rel, strlen(rel));
    }
    sb_addc(files_json, ']');
    return files_json->failed ? sl_error_set(err, SL_ENOMEM, "out of memory") : 0;
}

/* Makes the name of folder `leaf` durable: fsyncs every folder above it up to and including
 * root, once per folder and process (durdirs).  The leaf itself is not fsynced here. */
static int sync_chain(const char *leaf, const char *root, struct sl_error *err)
{
    if (durdirs_known(leaf)) {
        return 0;
    }
    size_t rootlen = strlen(root);
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s", leaf);
    for (char *slash = strrchr(dir, '/'); slash != NULL && (size_t)(slash - dir) >= rootlen;
         slash = strrchr(dir, '/')) {
        *slash = '\0';
        int rc = fs_fsync_path(dir, err);
        if (rc != 0) {
            return rc;
        }
    }
    durdirs_add(leaf);
    return 0;
}

/* One temporary: the chain above its folder (sync_chain), its folder to dirs (or, with
 * dirs NULL, fsynced here), then the file itself. */
static int sync_temp(const char *tmp, const char *root, struct dirset *dirs,
                     struct sl_error *err)
{
    char leaf[PATH_MAX];
    snprintf(leaf, sizeof(leaf), "%s", tmp);
    char *slash = strrchr(leaf, '/');
    if (slash != NULL) {
        *slash = '\0';
        int rc = sync_chain(leaf, root, err);
        if (rc != 0) {
            return rc;
        }
        if (dirs != NULL) {
            dirset_add(dirs, leaf); /* the new temporary's name */
        }
    }
    int fd = open(tmp, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    int e = fd < 0 ? errno : FAULT("pq.fsync");
    if (e == 0 && fsync(fd) != 0) {
        e = errno;
    }
    if (fd >= 0) {
        close(fd);
    }
    if (e != 0) {
        return sl_error_set(err, SL_EIO, "parquet %s: fsync failed: %s (the files committed "
                            "with it are retried too)", tmp, strerror(e));
    }
    return slash != NULL && dirs == NULL ? fs_fsync_path(leaf, err) : 0;
}

/* A closed part made durable at once, by the thread that closed it: the parts of a lone
 * input sync in parallel, while its SQLite side still inserts. */
static int sync_part(struct pqsink *s, const struct part *pt, struct sl_error *err)
{
    return sync_temp(pt->tmp, s->cfg->parquet_dir, NULL, err);
}

/* Closing the parts: each one's last row group, footer and fsync.  For a small input two
 * threads (this one and one more) take the parts in turn, so the fsyncs of different parts
 * overlap (latency); a big input's parts close one at a time (memory). */
#define SEAL_PARALLEL_ROWS 65536
struct closers {
    struct pqsink *s;
    const struct batch *view; /* pqsink_write_seal: each part's rows are written first */
    int sync_now;             /* each part made durable as it closes (sync_part) */
    atomic_size_t next;
    atomic_uint_fast64_t rows;
    pthread_mutex_t mu;
    int rc;
    struct sl_error err;
};

static void *close_parts(void *arg)
{
    struct closers *c = arg;
    for (;;) {
        size_t i = atomic_fetch_add(&c->next, 1);
        if (i >= c->s->nparts) {
            return NULL;
        }
        struct part *pt = &c->s->parts[i];
        uint64_t n = 0;
        struct sl_error e = {0};
        int rc = part_writer(c->s, pt, &e);
        if (rc == 0 && c->view != NULL) {
            uint8_t *mask = malloc(c->view->nrows ? c->view->nrows : 1);
            if (mask == NULL) {
                rc = sl_error_set(&e, SL_ENOMEM, "out of memory");
            } else {
                size_t m = 0;
                for (size_t r = 0; r < c->view->nrows; r++) {
                    mask[r] = c->s->row_part[r] == (int)i;
                    m += mask[r];
                }
                if (m > 0) {
                    rc = pq_writer_write(pt->w, c->view, 0, c->view->nrows, mask, &e);
                    pt->rows += m;
                }
                free(mask);
            }
        }
        if (rc == 0) {
            rc = pq_writer_close(pt->w, &n, &e);
        } else {
            pq_writer_abort(pt->w);
        }
        pt->w = NULL;
        if (rc == 0 && c->sync_now) {
            rc = sync_part(c->s, pt, &e);
        }
        atomic_fetch_add(&c->rows, n);
        if (rc != 0) {
            pthread_mutex_lock(&c->mu);
            if (c->rc == 0) {
                c->rc = rc;
                c->err = e;
            }
            pthread_mutex_unlock(&c->mu);
        }
    }
}

/* Closes every part (view: writing each one's rows first), on this thread and, with
 * parallel, one more; sync_now: each part is made durable as it closes. */
static int run_closers(struct pqsink *s, const struct batch *view, int parallel, int sync_now,
                       struct strbuf *files_json, uint64_t *rows, struct sl_error *err)
{
    struct closers c = {.s = s, .view = view, .sync_now = sync_now};
    pthread_t tid;
    pthread_mutex_init(&c.mu, NULL);
    int helper = parallel && pthread_create(&tid, NULL, close_parts, &c) == 0;
    close_parts(&c);
    if (helper) {
        pthread_join(tid, NULL);
    }
    pthread_mutex_destroy(&c.mu);
    *rows = atomic_load(&c.rows);
    if (c.rc != 0) {
        return sl_error_set(err, c.rc, "%s", c.err.msg);
    }
    s->synced = sync_now;
    return files_list(s, files_json, err);
}

static int seal(struct pqsink *s, int parallel_ok, int sync_now, struct strbuf *files_json,
                uint64_t *rows, struct sl_error *err)
{
    uint64_t total = 0;
    for (size_t i = 0; i < s->nparts; i++) {
        total += s->parts[i].rows;
    }
    /* small inputs only: a big one's parts are big, and two at once would double the memory */
    return run_closers(s, NULL, s->nparts > 1 && total <= SEAL_PARALLEL_ROWS && parallel_ok, sync_now,
                       files_json, rows, err);
}

int pqsink_seal(struct pqsink *s, int parallel_ok, struct strbuf *files_json, uint64_t *rows,
                struct sl_error *err)
{
    return seal(s, parallel_ok, 0, files_json, rows, err);
}

int pqsink_write_seal(struct pqsink *s, const struct batch *b, int sync_now,
                      struct strbuf *files_json, uint64_t *rows, struct sl_error *err)
{
    size_t used = 0;
    int rc = route_rows(s, b, &used, err);
    if (rc != 0) {
        return rc;
    }
    if (b->nrows > SEAL_PARALLEL_ROWS || s->nparts < 2 || used == 0) {
        /* one part, or a big batch: write, then seal (one part at a time) */
        if (used > 0 && (rc = write_routed(s, b, err)) != 0) {
            return rc;
        }
        return seal(s, 1, sync_now, files_json, rows, err);
    }
    /* several parts of a small input: each part is written and closed by one of two threads */
    struct batch view = data_view(s, b);
    return run_closers(s, &view, 1, sync_now, files_json, rows, err);
}

static int publish_one(const char *tmp, const char *final, struct sl_error *err)
{
    if (rename(tmp, final) != 0) {
        if (errno == ENOENT && fs_exists(final)) {
            return 0; /* published before a crash */
        }
        return sl_error_set(err, SL_EIO, "cannot publish %s: %s", final, strerror(errno));
    }
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s", final);
    char *slash = strrchr(dir, '/');
    if (slash != NULL) {
        *slash = '\0';
        return fs_fsync_path(dir, err);
    }
    return 0;
}

int pqsink_publish(struct pqsink *s, struct sl_error *err)
{
    int rc = 0;
    for (size_t i = 0; i < s->nparts && rc == 0; i++) {
        rc = publish_one(s->parts[i].tmp, s->parts[i].final, err);
    }
    for (size_t i = 0; i < s->nparts; i++) {
        free(s->parts[i].dir);
        free(s->parts[i].bkey);
        free(s->parts[i].tmp);
        free(s->parts[i].final);
    }
    s->nparts = 0;
    return rc;
}

int pqsink_take_sealed(struct pqsink *s, struct pq_sealed *out, struct sl_error *err)
{
    memset(out, 0, sizeof(*out));
    if (s->nparts == 0) {
        return 0;
    }
    out->tmp = calloc(s->nparts, sizeof(char *));
    out->final = calloc(s->nparts, sizeof(char *));
    if (out->tmp == NULL || out->final == NULL) {
        free(out->tmp);
        free(out->final);
        out->tmp = out->final = NULL;
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < s->nparts; i++) {
        out->tmp[i] = s->parts[i].tmp;
        out->final[i] = s->parts[i].final;
        free(s->parts[i].dir);
        free(s->parts[i].bkey);
    }
    out->n = s->nparts;
    out->synced = s->synced;
    s->nparts = 0;
    s->synced = 0;
    return 0;
}

int pq_sealed_rename(struct pq_sealed *ps, struct dirset *dirs, struct sl_error *err)
{
    for (size_t i = 0; i < ps->n; i++) {
        int injected = FAULT("pq.publish");
        if (injected != 0) {
            errno = injected;
        }
        if ((injected != 0 || rename(ps->tmp[i], ps->final[i]) != 0) &&
            !(errno == ENOENT && fs_exists(ps->final[i]))) {
            return sl_error_set(err, SL_EIO, "cannot publish %s: %s", ps->final[i],
                                strerror(errno));
        }
        dirset_add_parent(dirs, ps->final[i]);
    }
    return 0;
}

int pq_sealed_sync(const struct pq_sealed *ps, const char *root, struct dirset *dirs,
                   struct sl_error *err)
{
    for (size_t i = 0; i < ps->n && !ps->synced; i++) {
        int rc = sync_temp(ps->tmp[i], root, dirs, err);
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

void pq_sealed_free(struct pq_sealed *ps, int unlink_temps)
{
    for (size_t i = 0; i < ps->n; i++) {
        if (unlink_temps) {
            unlink(ps->tmp[i]);
        }
        free(ps->tmp[i]);
        free(ps->final[i]);
    }
    free(ps->tmp);
    free(ps->final);
    memset(ps, 0, sizeof(*ps));
}

void pqsink_abort(struct pqsink *s)
{
    for (size_t i = 0; i < s->nparts; i++) {
        struct part *pt = &s->parts[i];
        if (pt->w != NULL) {
            pq_writer_abort(pt->w);
        }
        unlink(pt->tmp);
        free(pt->dir);
        free(pt->bkey);
        free(pt->tmp);
        free(pt->final);
    }
    s->nparts = 0;
    s->synced = 0;
}

/* Walks dir depth-first; for each ".<final>.<claim>.tmp" publishes or deletes it. */
static int recover_walk(const char *dir, const char *suffix, int committed, int depth,
                        struct sl_error *err)
{
    if (depth > 16) {
        return 0;
    }
    DIR *d = opendir(dir);
    if (d == NULL) {
        return errno == ENOENT ? 0 : sl_error_set(err, SL_EIO, "cannot open %s: %s", dir,
                                                 strerror(errno));
    }
    int rc = 0;
    struct dirent *de;
    char path[PATH_MAX];
    while (rc == 0 && (de = readdir(d)) != NULL) {
        const char *n = de->d_name;
        if (strcmp(n, ".") == 0 || strcmp(n, "..") == 0 || fs_join(path, sizeof(path), dir, n)) {
            continue;
        }
        struct stat st;
        if (lstat(path, &st) != 0) {
            continue;
        }
        if (S_ISDIR(st.st_mode)) {
            rc = recover_walk(path, suffix, committed, depth + 1, err);
            continue;
        }
        size_t ln = strlen(n);
        size_t ls = strlen(suffix);
        if (n[0] != '.' || ln <= ls + 1 || strcmp(n + ln - ls, suffix) != 0) {
            continue;
        }
        if (!committed) {
            unlink(path);
            continue;
        }
        char final[PATH_MAX];
        snprintf(final, sizeof(final), "%s/%.*s", dir, (int)(ln - ls - 1), n + 1);
        rc = publish_one(path, final, err);
    }
    closedir(d);
    return rc;
}

int pqsink_recover_claim(const struct config *cfg, const char *claim, int committed,
                         struct sl_error *err)
{
    char suffix[96];
    snprintf(suffix, sizeof(suffix), ".%s.tmp", claim);
    return recover_walk(cfg->parquet_dir, suffix, committed, 0, err);
}
