/* config.h - sluice's configuration: one YAML file, or the embedded default (the seed's
 * ventas pipeline).  Relative paths in a file are resolved against the file's folder; the
 * embedded default is rooted at the current directory.
 *
 * Loading checks the shape of everything (unknown keys, wrong types, bad enums, a contract
 * that does not load) and reports errors as "FILE:LINE: key 'x.y': message".  Expressions are
 * only stored here (with their lines); the pipeline's plan compiles them and reports errors
 * with the same FILE:LINE prefix.
 */
#ifndef SL_CONFIG_H
#define SL_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "contract/schema.h"
#include "contract/value.h"
#include "core/error.h"

enum dup_policy { DUP_SKIP = 0, DUP_UPDATE, DUP_REJECT };

struct rule_def {
    char *name;    /* defaults to "rule_N" */
    char *expr;    /* boolean expression: false rejects the row; null passes */
    char *message; /* optional human text for rejects */
    int line;
};

struct derive_def {
    char *name;
    char *expr;
    enum sl_type type; /* declared type, or SL_T_NULL to infer from the expression */
    int line;
};

struct metric_def {
    char *name;
    char *expr; /* an aggregate, e.g. "sum(total)" */
    int line;
};

/* schedule: the daemon's timed jobs (docs/CONFIG.md, src/daemon/jobs.c). */
enum job_kind { JOB_METRICS_SNAPSHOT = 0, JOB_DIGEST, JOB_RETENTION };

struct job_def {
    char *name;         /* unique; [A-Za-z0-9_.-], 1..64 bytes */
    enum job_kind kind;
    int64_t every_ms;   /* an interval job: > 0; a cron job: 0 */
    char *cron;         /* a cron job: the 5-field expression (checked at load), else NULL */
    int64_t days;       /* retention: delete processed inputs older than this; else 0 */
    int line;
};

const char *job_kind_name(enum job_kind k);

/* notify: the notifiers (docs/CONFIG.md, src/notify; parsed in config_obs.c).  Secrets are
 * never in the config: only the names of the environment variables or files holding them. */
enum notify_type { NOTIFY_LOG = 0, NOTIFY_SLACK, NOTIFY_WEBHOOK, NOTIFY_EMAIL };
enum notify_ev { NEV_FILE_FAILED = 0, NEV_FILE_PARTIAL, NEV_RETRY_EXHAUSTED, NEV_DAILY_DIGEST,
                 NEV_RECOVERED, NEV_COUNT };
#define NEV_BIT(e) (1u << (unsigned)(e))

struct notify_def {
    char *name;              /* unique; default "<type>" or "<type>-N" */
    enum notify_type type;
    unsigned events;         /* NEV_BIT set; default failed, retry_exhausted, digest, recovered */
    int64_t min_interval_ms; /* rate limit: at most one message per interval; default 60s */
    int64_t timeout_ms;      /* one delivery attempt; default 10s */
    int64_t backoff_ms;      /* first retry delay, doubled each retry up to 5 min; default 1s */
    int64_t max_attempts;    /* default 5 */
    int64_t queue_size;      /* bounded queue of this notifier; default 100 */
    char *url;         /* webhook: url; email: smtp_url (smtp:// or smtps://) */
    char *url_env;     /* slack: webhook_url_env (default SLACK_WEBHOOK_URL); webhook: url_env */
    char *secret_env;  /* webhook: HMAC-SHA256 key from this variable... */
    char *secret_file; /* ...or this file (resolved against the config's folder) */
    char *username;    /* email */
    char *password_env, *password_file;
    char *from;
    char **to;
    size_t nto;
    char *ca_file;    /* email: CA bundle for the server's certificate (optional) */
    int starttls;     /* email: tls: starttls (1, default) | none (0); smtps:// is TLS anyway */
    int line;
};
/* Frees what one notify_def owns (the config's, or a notifier's deep copy). */
void notify_def_free(struct notify_def *d);

const char *notify_type_name(enum notify_type t);
const char *notify_ev_name(enum notify_ev e);
/* Splits http.listen ("127.0.0.1:9464", "[::1]:9464", "localhost:0") into host and port.
 * Returns 0, or -1 when malformed (or the host does not fit in cap bytes). */
int config_split_hostport(const char *s, char *host, size_t cap, int *port);

struct config {
    char *source;   /* the config file path, or "<embedded default>" */
    char *base_dir; /* folder relative paths were resolved against */

    /* paths: all absolute or relative to the cwd after resolution */
    char *incoming;  /* default ingest/incoming */
    char *processed; /* default ingest/processed */
    char *failed;    /* default ingest/failed */
    char *work;      /* default ingest/.work (claimed files) */
    char *log_path;  /* default logs/sluice.log; "" disables the file log */
    char *log_level; /* debug|info|warn|error, default info */

    int sqlite_enabled; /* default 1 */
    char *sqlite_path;  /* default outputs/near_rt_analytics.db */
    char *table;        /* default ventas_near_rt; [A-Za-z_][A-Za-z0-9_]* */

    char csv_delimiter;      /* default ',' */
    size_t max_field_bytes;  /* limits.max_field_bytes, default 1 MiB */
    size_t max_record_bytes; /* limits.max_record_bytes, default 8 MiB */
    size_t max_columns;      /* limits.max_columns, default 4096 */
    uint64_t max_file_bytes; /* limits.max_file_bytes, default 0 = unlimited */
    size_t batch_rows;       /* default 8192 */
    size_t workers;          /* workers: threads preparing files in parallel; 0 = one per CPU */
    int parse_threads;       /* threads parsing one big file; -1 = auto (see load_par.c) */

    int parquet_enabled;          /* parquet.enabled, default 1 */
    char *parquet_dir;            /* parquet.dir, default outputs/parquet */
    int parquet_codec;            /* parquet.compression: 0 zstd (default), 1 snappy, 2 gzip,
                                     3 none (the order of enum pq_codec) */
    size_t parquet_row_group_rows; /* parquet.row_group_rows, default 1048576 */
    size_t parquet_max_partitions; /* parquet.max_partitions per input file, default 64 */
    size_t parquet_npartition;
    char **parquet_partition_by;  /* parquet.partition_by: column names; default [anio, mes]
                                     for the default pipeline, [] with a config's own contract */
    int parquet_partition_line;   /* for messages */

    double max_reject_ratio; /* quality.max_reject_ratio, default 0.2 */
    enum dup_policy on_duplicate_key; /* quality.on_duplicate_key, default skip */

    int64_t watch_rescan_ms;        /* watch.rescan: `run`'s safety-net rescan, default 30s */
    int64_t watch_poll_interval_ms; /* watch.poll_interval: scan period when polling, 1s */
    int64_t watch_settle_ms;        /* watch.settle: size+mtime unchanged this long, 1s */
    char **watch_patterns;          /* watch.patterns: file name globs taken from incoming/;
                                       NULL = the default, *.csv (any case) */
    size_t watch_npatterns;

    int64_t sqlite_busy_timeout_ms; /* sqlite.busy_timeout: wait for a lock this long, 2s */
    size_t retry_max_attempts;      /* retry.max_attempts: attempts of a transient failure, 5 */
    int64_t retry_base_ms;          /* retry.base_delay, 1s */
    double retry_factor;            /* retry.factor, 2 */
    int64_t retry_max_ms;           /* retry.max_delay, 60s */
    int retry_jitter;               /* retry.jitter: 0 full (default), 1 equal, 2 none */

    struct contract *contract; /* never NULL after load */
    char *contract_path;       /* NULL when inline or embedded */

    size_t nrules;
    struct rule_def *rules;
    size_t nderive;
    struct derive_def *derive;
    size_t nmetrics;
    struct metric_def *metrics; /* default: rows, total_sum, ticket_promedio, clientes_unicos */
    size_t njobs;
    struct job_def *jobs; /* schedule: none by default */

    int http_enabled;  /* http.enabled, default 1 */
    char *http_listen; /* http.listen, default 127.0.0.1:9464 (host:port, [v6]:port) */
    size_t nnotify;
    struct notify_def *notify; /* notify: none by default */
};

/* Resolution: path given → that file; else ./sluice.yaml if it exists; else the embedded
 * default.  Returns 0 with *out new (free with config_destroy) or SL_ECONFIG. */
int config_load(const char *path, struct config **out, struct sl_error *err);
/* Loads from YAML text (tests, the embedded default).  source names it in messages;
 * base_dir resolves relative paths (NULL = cwd). */
int config_load_string(const char *yaml, size_t len, const char *source, const char *base_dir,
                       struct config **out, struct sl_error *err);
void config_destroy(struct config *c);

/* The embedded default as commented YAML: what `sluice init` writes. */
extern const char config_default_yaml[];

#endif
