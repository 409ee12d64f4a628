/* config.c - loads sluice.yaml, or the embedded default, into struct config.
 *
 * Scalar settings are one table (section, key, kind, offset, range); the contract, rules,
 * derive and metrics sections have their own readers.  Every unknown key and every value of
 * the wrong shape fails as "SOURCE:LINE: ...".  Expressions are stored, not compiled: the
 * pipeline's plan compiles them and reports errors with the lines kept here.
 */
#include "core/config.h"

#include <libfyaml.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/config_int.h"
#include "core/duration.h"
#include "core/yamlutil.h"

#define EMBEDDED "<embedded default>"

enum kind { K_PATH, K_LOGPATH, K_LEVEL, K_BOOL, K_TABLE, K_DELIM, K_SIZE, K_SIZE64, K_COUNT,
            K_RATIO, K_DUP, K_CODEC, K_NAMES, K_DURATION, K_GLOBS, K_FACTOR, K_JITTER };

struct keydef {
    const char *section;
    const char *key;
    enum kind kind;
    size_t off;     /* of the field in struct config */
    int64_t lo, hi; /* K_COUNT range; K_DURATION range in milliseconds */
};

#define OFF(field) offsetof(struct config, field)
static const struct keydef keydefs[] = {
    {"paths", "incoming", K_PATH, OFF(incoming), 0, 0},
    {"paths", "processed", K_PATH, OFF(processed), 0, 0},
    {"paths", "failed", K_PATH, OFF(failed), 0, 0},
    {"paths", "work", K_PATH, OFF(work), 0, 0},
    {"log", "path", K_LOGPATH, OFF(log_path), 0, 0},
    {"log", "level", K_LEVEL, OFF(log_level), 0, 0},
    {"sqlite", "enabled", K_BOOL, OFF(sqlite_enabled), 0, 0},
    {"sqlite", "path", K_PATH, OFF(sqlite_path), 0, 0},
    {"sqlite", "table", K_TABLE, OFF(table), 0, 0},
    {"csv", "delimiter", K_DELIM, OFF(csv_delimiter), 0, 0},
    {"limits", "max_field_bytes", K_SIZE, OFF(max_field_bytes), 0, 0},
    {"limits", "max_record_bytes", K_SIZE, OFF(max_record_bytes), 0, 0},
    {"limits", "max_columns", K_COUNT, OFF(max_columns), 1, 1 << 20},
    {"limits", "max_file_bytes", K_SIZE64, OFF(max_file_bytes), 0, 0},
    {"limits", "batch_rows", K_COUNT, OFF(batch_rows), 1, 1 << 20},
    {"quality", "max_reject_ratio", K_RATIO, OFF(max_reject_ratio), 0, 0},
    {"quality", "on_duplicate_key", K_DUP, OFF(on_duplicate_key), 0, 0},
    {"parquet", "enabled", K_BOOL, OFF(parquet_enabled), 0, 0},
    {"parquet", "dir", K_PATH, OFF(parquet_dir), 0, 0},
    {"parquet", "compression", K_CODEC, OFF(parquet_codec), 0, 0},
    {"parquet", "row_group_rows", K_COUNT, OFF(parquet_row_group_rows), 1, 1 << 26},
    {"parquet", "max_partitions", K_COUNT, OFF(parquet_max_partitions), 1, 4096},
    {"parquet", "partition_by", K_NAMES, OFF(parquet_partition_by), 0, 0},
    {"watch", "rescan", K_DURATION, OFF(watch_rescan_ms), 100, DURATION_MAX_MS},
    {"watch", "poll_interval", K_DURATION, OFF(watch_poll_interval_ms), 10, DURATION_MAX_MS},
    {"watch", "settle", K_DURATION, OFF(watch_settle_ms), 0, DURATION_MAX_MS},
    {"watch", "patterns", K_GLOBS, OFF(watch_patterns), 0, 0},
    {"sqlite", "busy_timeout", K_DURATION, OFF(sqlite_busy_timeout_ms), 0, 600000},
    {"retry", "max_attempts", K_COUNT, OFF(retry_max_attempts), 1, 100},
    {"retry", "base_delay", K_DURATION, OFF(retry_base_ms), 1, DURATION_MAX_MS},
    {"retry", "factor", K_FACTOR, OFF(retry_factor), 0, 0},
    {"retry", "max_delay", K_DURATION, OFF(retry_max_ms), 1, DURATION_MAX_MS},
    {"retry", "jitter", K_JITTER, OFF(retry_jitter), 0, 0},
};
#define NKEYDEFS (sizeof(keydefs) / sizeof(keydefs[0]))

static const char *const top_keys[] = {
    "paths",  "log",     "sqlite",   "csv",  "limits", "quality", "parquet", "contract",
    "rules",  "derive",  "metrics",  "watch", "schedule", "http", "notify", "workers",
    "retry",  "parse_threads", NULL};
static const char *const levels[] = {"debug", "info", "warn", "error", NULL};
static const char *const dup_policies[] = {"skip", "update", "reject", NULL};
static const char *const codecs[] = {"zstd", "snappy", "gzip", "none", NULL};
static const char *const jitters[] = {"full", "equal", "none", NULL};

static void free_names(char **v, size_t n)
{
    for (size_t i = 0; v != NULL && i < n; i++) {
        free(v[i]);
    }
    free(v);
}

/* parquet.partition_by: a list of column names (checked against the plan later). */
static int set_names(struct config *c, struct fy_node *n, const struct yu_at *at)
{
    if (yu_is_null(n)) {
        free_names(c->parquet_partition_by, c->parquet_npartition);
        c->parquet_partition_by = NULL;
        c->parquet_npartition = 0;
        c->parquet_partition_line = at->line;
        return 0;
    }
    if (!yu_is_seq(n)) {
        return cfg_reject(n, at, "a list of column names, like [anio, mes]");
    }
    int count = fy_node_sequence_item_count(n);
    if (count > 16) {
        return cfg_reject(n, at, "at most 16 partition columns");
    }
    char **v = calloc((size_t)count + 1, sizeof(*v));
    if (v == NULL) {
        return yu_oom(at->err);
    }
    int rc = 0;
    for (int i = 0; i < count && rc == 0; i++) {
        rc = yu_str(fy_node_sequence_get_by_index(n, i), at, &v[i]);
        if (rc == 0 && !cfg_is_ident(v[i])) {
            rc = cfg_reject(fy_node_sequence_get_by_index(n, i), at, "a column name");
        }
        for (int k = 0; rc == 0 && k < i; k++) {
            if (strcmp(v[k], v[i]) == 0) {
                rc = cfg_reject(fy_node_sequence_get_by_index(n, i), at,
                                "each column at most once");
            }
        }
    }
    if (rc != 0) {
        free_names(v, (size_t)count);
        return rc;
    }
    free_names(c->parquet_partition_by, c->parquet_npartition);
    c->parquet_partition_by = v;
    c->parquet_npartition = (size_t)count;
    c->parquet_partition_line = at->line;
    return 0;
}

char *cfg_join_path(const char *base, const char *path)
{
    size_t bl, pl;
    char *out;
    if (path[0] == '/' || path[0] == '\0' || base == NULL || strcmp(base, ".") == 0) {
        return strdup(path);
    }
    bl = strlen(base);
    pl = strlen(path);
    while (bl > 1 && base[bl - 1] == '/') {
        bl--;
    }
    out = malloc(bl + pl + 2);
    if (out != NULL) {
        memcpy(out, base, bl);
        out[bl] = '/';
        memcpy(out + bl + 1, path, pl + 1);
    }
    return out;
}

static int valid_table(const char *s)
{
    return cfg_is_ident(s) && strlen(s) <= 64 && strncasecmp(s, "sqlite_", 7) != 0 &&
           strncasecmp(s, "sluice_", 7) != 0;
}

static int set_delim(struct fy_node *n, const struct yu_at *at, char *out)
{
    char *s = NULL;
    int rc = yu_str(n, at, &s);
    if (rc != 0) {
        return rc;
    }
    if (strcmp(s, "tab") == 0 || strcmp(s, "\\t") == 0 || strcmp(s, "\t") == 0) {
        *out = '\t';
    } else if (strlen(s) == 1 && s[0] != '"' && s[0] != '\r' && s[0] != '\n') {
        *out = s[0];
    } else {
        rc = cfg_reject(n, at, "one byte other than a double quote, CR or LF "
                        "(\"tab\" for a tab)");
    }
    free(s);
    return rc;
}

/* watch.*: "500ms", "5s", "2m", "1h" (or a bare integer: seconds), within [lo, hi] ms. */
static int set_duration(struct fy_node *n, const struct yu_at *at, const struct keydef *d,
                        int64_t *out)
{
    size_t len = 0;
    const char *s = yu_scalar(n, &len);
    int64_t ms = 0;
    char lo[32], hi[32], expected[128];
    if (s == NULL || duration_parse(s, len, &ms) != 0 || ms < d->lo || ms > d->hi) {
        snprintf(expected, sizeof(expected), "a duration from %s to %s, like 500ms, 5s, 2m or 1h",
                 duration_format(d->lo, lo, sizeof(lo)), duration_format(d->hi, hi, sizeof(hi)));
        return cfg_reject(n, at, expected);
    }
    *out = ms;
    return 0;
}

static int set_value(struct config *c, const struct keydef *d, struct fy_node *n,
                     const struct yu_at *at)
{
    void *slot = (char *)c + d->off;
    char *s = NULL;
    uint64_t size = 0;
    int64_t i64 = 0;
    int idx = 0, rc = 0;

    switch (d->kind) {
    case K_PATH:
    case K_LOGPATH:
    case K_TABLE:
        rc = yu_str(n, at, &s);
        if (rc == 0 && d->kind == K_PATH && s[0] == '\0') {
            rc = cfg_reject(n, at, "a non-empty path");
        } else if (rc == 0 && d->kind == K_TABLE && !valid_table(s)) {
            rc = cfg_reject(n, at, "a table name matching [A-Za-z_][A-Za-z0-9_]{0,63} that "
                            "does not start with sqlite_ or sluice_");
        }
        break;
    case K_LEVEL:
        rc = yu_choice(n, at, levels, &idx);
        s = rc == 0 ? strdup(levels[idx]) : NULL;
        if (rc == 0 && s == NULL) {
            rc = yu_oom(at->err);
        }
        break;
    case K_BOOL:
        return yu_bool(n, at, (int *)slot);
    case K_DELIM:
        return set_delim(n, at, (char *)slot);
    case K_SIZE:
        rc = yu_size(n, at, &size);
        if (rc == 0 && (size == 0 || size > SIZE_MAX)) {
            rc = cfg_reject(n, at, "a size greater than 0");
        }
        if (rc == 0) {
            *(size_t *)slot = (size_t)size;
        }
        return rc;
    case K_SIZE64:
        return yu_size(n, at, (uint64_t *)slot);
    case K_COUNT:
        rc = yu_int(n, at, d->lo, d->hi, &i64);
        if (rc == 0) {
            *(size_t *)slot = (size_t)i64;
        }
        return rc;
    case K_RATIO:
        return yu_num(n, at, 0.0, 1.0, (double *)slot);
    case K_DUP:
        rc = yu_choice(n, at, dup_policies, &idx);
        if (rc == 0) {
            *(enum dup_policy *)slot = (enum dup_policy)idx;
        }
        return rc;
    case K_CODEC:
        return yu_choice(n, at, codecs, (int *)slot);
    case K_NAMES:
        return set_names(c, n, at);
    case K_FACTOR:
        return yu_num(n, at, 1.0, 100.0, (double *)slot);
    case K_JITTER:
        return yu_choice(n, at, jitters, (int *)slot);
    case K_GLOBS:
        return cfg_set_patterns(c, n, at);
    case K_DURATION:
        return set_duration(n, at, d, (int64_t *)slot);
    }
    if (rc == 0) {
        free(*(char **)slot);
        *(char **)slot = s;
        s = NULL;
    }
    free(s);
    return rc;
}

static int parse_section(struct cfg_load *ld, const char *section, struct fy_node *map, int line)
{
    const char *known[NKEYDEFS + 1];
    char prefix[32], what[96], got[96];
    size_t nk = 0;
    void *it = NULL;
    struct fy_node_pair *p;
    int rc;

    if (yu_is_null(map)) {
        return 0;
    }
    if (!yu_is_map(map)) {
        return yu_fail(ld->err, ld->source, line, "key '%s': expected a mapping, got %s",
                       section, yu_describe(map, got, sizeof(got)));
    }
    for (size_t i = 0; i < NKEYDEFS; i++) {
        if (strcmp(keydefs[i].section, section) == 0) {
            known[nk++] = keydefs[i].key;
        }
    }
    known[nk] = NULL;
    snprintf(prefix, sizeof(prefix), "%s.", section);
    rc = yu_check_keys(map, known, ld->source, prefix, "", ld->err);
    for (p = fy_node_mapping_iterate(map, &it); rc == 0 && p != NULL;
         p = fy_node_mapping_iterate(map, &it)) {
        const char *key = yu_key(fy_node_pair_key(p));
        for (size_t i = 0; i < NKEYDEFS; i++) {
            const struct keydef *d = &keydefs[i];
            if (strcmp(d->section, section) == 0 && strcmp(d->key, key) == 0) {
                struct yu_at at = {ld->source, yu_line(fy_node_pair_key(p), line), what,
                                   ld->err};
                snprintf(what, sizeof(what), "key '%s.%s'", section, key);
                rc = set_value(ld->c, d, fy_node_pair_value(p), &at);
                break;
            }
        }
    }
    return rc;
}

static int parse_contract(struct cfg_load *ld, struct fy_node *n, int line)
{
    struct config *c = ld->c;
    struct sl_error inner = {0};
    struct yu_at at = {ld->source, line, "key 'contract'", ld->err};
    char *path = NULL;
    size_t len;
    int rc;

    if (yu_is_map(n)) {
        return contract_from_node(n, ld->source, &c->contract, ld->err);
    }
    if (yu_scalar(n, &len) == NULL) {
        return cfg_reject(n, &at, "a Table Schema file path or an inline Table Schema mapping");
    }
    rc = yu_str(n, &at, &path);
    if (rc == 0 && path[0] == '\0') {
        rc = cfg_reject(n, &at, "a Table Schema file path or an inline Table Schema mapping");
    }
    if (rc == 0) {
        c->contract_path = cfg_join_path(c->base_dir, path);
        rc = c->contract_path != NULL ? 0 : yu_oom(ld->err);
    }
    if (rc == 0) {
        rc = contract_load_file(c->contract_path, &c->contract, &inner);
        if (rc != 0) {
            rc = sl_error_set(ld->err, inner.code, "%s:%d: key 'contract': %s", ld->source,
                              line, inner.msg);
        }
    }
    free(path);
    return rc;
}

/* A config without a contract key gets the embedded default's whole data pipeline: the
 * ventas contract and, unless the file sets them, its rules, derived columns and metrics
 * (the default's derived columns and rule only make sense with its contract). */
static int default_contract(struct cfg_load *ld)
{
    struct fy_document *doc = NULL;
    int line = 0;
    int rc = yu_parse(config_default_yaml, strlen(config_default_yaml), EMBEDDED, 0, &doc,
                      ld->err);
    if (rc == 0) {
        struct fy_node *root = fy_document_root(doc);
        const char *source = ld->source;
        ld->source = EMBEDDED;
        rc = contract_from_node(yu_lookup(root, "contract", &line), EMBEDDED, &ld->c->contract,
                                ld->err);
        if (rc == 0 && !ld->has_rules) {
            rc = cfg_parse_rules(ld, yu_lookup(root, "rules", &line), line);
        }
        if (rc == 0 && !ld->has_derive) {
            rc = cfg_parse_derive(ld, yu_lookup(root, "derive", &line), line);
        }
        if (rc == 0 && !ld->has_metrics) {
            rc = cfg_parse_metrics(ld, yu_lookup(root, "metrics", &line), line);
        }
        if (rc == 0 && ld->c->parquet_partition_line == 0) {
            struct fy_node *pq = yu_lookup(root, "parquet", &line);
            struct fy_node *pb = pq != NULL ? yu_lookup(pq, "partition_by", &line) : NULL;
            struct yu_at at = {EMBEDDED, line, "key 'parquet.partition_by'", ld->err};
            if (pb != NULL) {
                rc = set_names(ld->c, pb, &at);
            }
        }
        ld->source = source;
    }
    if (doc != NULL) {
        fy_document_destroy(doc);
    }
    return rc;
}

static int finish(struct cfg_load *ld)
{
    struct config *c = ld->c;
    int rc = 0;

    if (c->contract == NULL) {
        rc = default_contract(ld);
    }
    if (rc == 0) {
        rc = cfg_finish_lists(ld);
    }
    for (size_t i = 0; rc == 0 && i < NKEYDEFS; i++) {
        if (keydefs[i].kind == K_PATH || keydefs[i].kind == K_LOGPATH) {
            char **slot = (char **)((char *)c + keydefs[i].off);
            char *resolved = cfg_join_path(c->base_dir, *slot);
            if (resolved == NULL) {
                rc = yu_oom(ld->err);
                break;
            }
            free(*slot);
            *slot = resolved;
        }
    }
    return rc;
}

static struct config *config_new(const char *source, const char *base_dir)
{
    struct config *c = calloc(1, sizeof(*c));
    if (c == NULL) {
        return NULL;
    }
    c->source = strdup(source);
    c->base_dir = strdup(base_dir != NULL ? base_dir : ".");
    c->incoming = strdup("ingest/incoming");
    c->processed = strdup("ingest/processed");
    c->failed = strdup("ingest/failed");
    c->work = strdup("ingest/.work");
    c->log_path = strdup("logs/sluice.log");
    c->log_level = strdup("info");
    c->parse_threads = -1;
    c->sqlite_path = strdup("outputs/near_rt_analytics.db");
    c->table = strdup("ventas_near_rt");
    c->sqlite_enabled = 1;
    c->csv_delimiter = ',';
    c->max_field_bytes = (size_t)1 << 20;
    c->max_record_bytes = (size_t)8 << 20;
    c->max_columns = 4096;
    c->max_file_bytes = 0;
    c->batch_rows = 8192;
    c->parquet_enabled = 1;
    c->parquet_dir = strdup("outputs/parquet");
    c->parquet_codec = 0;
    c->parquet_row_group_rows = (size_t)1 << 20;
    c->parquet_max_partitions = 64;
    c->parquet_partition_line = 0;
    c->max_reject_ratio = 0.2;
    c->on_duplicate_key = DUP_SKIP;
    c->watch_rescan_ms = 30000;
    c->watch_poll_interval_ms = 1000;
    c->watch_settle_ms = 1000;
    c->sqlite_busy_timeout_ms = 2000;
    c->retry_max_attempts = 5;
    c->retry_base_ms = 1000;
    c->retry_factor = 2.0;
    c->retry_max_ms = 60000;
    c->retry_jitter = 0;
    c->http_enabled = 1;
    c->http_listen = strdup("127.0.0.1:9464");
    if (!c->http_listen || !c->source || !c->base_dir || !c->incoming || !c->processed ||
        !c->failed || !c->work ||
        !c->log_path || !c->log_level || !c->sqlite_path || !c->table || !c->parquet_dir) {
        config_destroy(c);
        return NULL;
    }
    return c;
}

static int load_root(struct cfg_load *ld, struct fy_node *root)
{
    void *it = NULL;
    struct fy_node_pair *p;
    char got[96];
    int rc;

    if (yu_is_null(root)) {
        return 0;
    }
    if (!yu_is_map(root)) {
        return yu_fail(ld->err, ld->source, yu_line(root, 0), "expected a mapping of sections "
                       "(paths, log, sqlite, ...), got %s", yu_describe(root, got, sizeof(got)));
    }
    rc = yu_check_keys(root, top_keys, ld->source, "", "", ld->err);
    for (p = fy_node_mapping_iterate(root, &it); rc == 0 && p != NULL;
         p = fy_node_mapping_iterate(root, &it)) {
        const char *key = yu_key(fy_node_pair_key(p));
        struct fy_node *v = fy_node_pair_value(p);
        int line = yu_line(fy_node_pair_key(p), 0);
        if (strcmp(key, "contract") == 0) {
            rc = parse_contract(ld, v, line);
        } else if (strcmp(key, "rules") == 0) {
            rc = cfg_parse_rules(ld, v, line);
        } else if (strcmp(key, "derive") == 0) {
            rc = cfg_parse_derive(ld, v, line);
        } else if (strcmp(key, "metrics") == 0) {
            rc = cfg_parse_metrics(ld, v, line);
        } else if (strcmp(key, "schedule") == 0) {
            rc = cfg_parse_schedule(ld, v, line);
        } else if (strcmp(key, "http") == 0) {
            rc = cfg_parse_http(ld, v, line);
        } else if (strcmp(key, "workers") == 0) {
            struct yu_at at = {ld->source, line, "key 'workers'", ld->err};
            rc = cfg_set_workers(ld->c, v, &at);
        } else if (strcmp(key, "parse_threads") == 0) {
            struct yu_at at = {ld->source, line, "key 'parse_threads'", ld->err};
            rc = cfg_set_parse_threads(ld->c, v, &at);
        } else if (strcmp(key, "notify") == 0) {
            rc = cfg_parse_notify(ld, v, line);
        } else {
            rc = parse_section(ld, key, v, line);
        }
    }
    return rc;
}

int config_load_string(const char *yaml, size_t len, const char *source, const char *base_dir,
                       struct config **out, struct sl_error *err)
{
    struct cfg_load ld = {.source = source != NULL ? source : "<string>", .err = err};
    struct fy_document *doc = NULL;
    int rc;

    *out = NULL;
    rc = yu_parse(yaml, len, ld.source, 0, &doc, err);
    if (rc != 0) {
        goto out;
    }
    ld.c = config_new(ld.source, base_dir);
    if (ld.c == NULL) {
        rc = yu_oom(err);
        goto out;
    }
    rc = load_root(&ld, doc != NULL ? fy_document_root(doc) : NULL);
    if (rc == 0) {
        rc = finish(&ld);
    }
    if (rc == 0) {
        *out = ld.c;
        ld.c = NULL;
    }
out:
    config_destroy(ld.c);
    if (doc != NULL) {
        fy_document_destroy(doc);
    }
    return rc;
}

int config_load(const char *path, struct config **out, struct sl_error *err)
{
    char *text = NULL, *dir = NULL;
    const char *slash;
    size_t len = 0;
    int rc;

    *out = NULL;
    if (path == NULL) {
        if (access("sluice.yaml", F_OK) != 0) {
            return config_load_string(config_default_yaml, strlen(config_default_yaml),
                                      EMBEDDED, NULL, out, err);
        }
        path = "sluice.yaml";
    }
    slash = strrchr(path, '/');
    dir = slash == NULL ? strdup(".") : strndup(path, slash == path ? 1 : (size_t)(slash - path));
    if (dir == NULL) {
        rc = yu_oom(err);
        goto out;
    }
    rc = yu_read_file(path, &text, &len, err);
    if (rc == 0) {
        rc = config_load_string(text, len, path, dir, out, err);
    }
out:
    free(text);
    free(dir);
    return rc;
}

void config_destroy(struct config *c)
{
    if (c == NULL) {
        return;
    }
    for (size_t i = 0; i < NKEYDEFS; i++) {
        enum kind k = keydefs[i].kind;
        if (k == K_PATH || k == K_LOGPATH || k == K_LEVEL || k == K_TABLE) {
            free(*(char **)((char *)c + keydefs[i].off));
        }
    }
    for (size_t i = 0; c->rules != NULL && i < c->nrules; i++) {
        free(c->rules[i].name);
        free(c->rules[i].expr);
        free(c->rules[i].message);
    }
    for (size_t i = 0; c->derive != NULL && i < c->nderive; i++) {
        free(c->derive[i].name);
        free(c->derive[i].expr);
    }
    for (size_t i = 0; c->metrics != NULL && i < c->nmetrics; i++) {
        free(c->metrics[i].name);
        free(c->metrics[i].expr);
    }
    for (size_t i = 0; c->jobs != NULL && i < c->njobs; i++) {
        free(c->jobs[i].name);
        free(c->jobs[i].cron);
    }
    free(c->jobs);
    cfg_obs_free(c);
    free(c->rules);
    free(c->derive);
    free(c->metrics);
    free_names(c->parquet_partition_by, c->parquet_npartition);
    cfg_free_patterns(c);
    contract_destroy(c->contract);
    free(c->contract_path);
    free(c->source);
    free(c->base_dir);
    free(c);
}
