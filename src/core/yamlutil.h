/* yamlutil.h - the libfyaml helpers shared by the config and contract loaders.
 *
 * Parsing captures libfyaml's diagnostics (nothing is printed) and reports them as
 * "SOURCE:LINE: ...".  Getters read one scalar into a C value and, when it does not fit,
 * report "SOURCE:LINE: WHAT: expected ..., got '...'" as SL_ECONFIG.  Lines are 1-based.
 * Aliases (*x) are not supported: they are reported as wrong values.
 */
#ifndef SL_YAMLUTIL_H
#define SL_YAMLUTIL_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

#define YU_MAX_FILE_BYTES ((size_t)16 << 20) /* configs and schemas are small */

struct fy_document;
struct fy_node;

/* Where a value sits, for messages: every getter reports through it. */
struct yu_at {
    const char *source;    /* file name or "<embedded default>" */
    int line;              /* 1-based; 0 = unknown */
    const char *what;      /* e.g. "key 'quality.max_reject_ratio'" */
    struct sl_error *err;
};

/* Reads a whole file into *text (new, NUL-terminated; free it).  SL_ECONFIG when it cannot be
 * read or is larger than YU_MAX_FILE_BYTES, SL_ENOMEM. */
int yu_read_file(const char *path, char **text, size_t *len, struct sl_error *err);

/* Parses text (borrowed: it must outlive *doc) as YAML, or as JSON when json is set.  On
 * success *doc is new (fy_document_destroy); its root is NULL for an empty document. */
int yu_parse(const char *text, size_t len, const char *source, int json,
             struct fy_document **doc, struct sl_error *err);

/* Records "SOURCE:LINE: message" (or "SOURCE: message" when line is 0) as SL_ECONFIG and
 * returns SL_ECONFIG. */
int yu_fail_at(struct sl_error *err, const char *source, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int yu_oom_set(struct sl_error *err); /* records SL_ENOMEM and returns it */
/* The macros make the (constant, never 0) result visible where they are used, so callers and
 * the static analyzer (make lint) know that a failure path never continues as a success. */
#define yu_fail(...) (yu_fail_at(__VA_ARGS__), SL_ECONFIG)
#define yu_oom(err) (yu_oom_set(err), SL_ENOMEM)

/* 1-based line of a node (a collection: of its first item), or fallback when unknown. */
int yu_line(struct fy_node *n, int fallback);
int yu_is_null(struct fy_node *n); /* NULL, empty, ~ or null/Null/NULL (plain) */
int yu_is_map(struct fy_node *n);
int yu_is_seq(struct fy_node *n);
/* The text of a non-null, non-alias scalar (not NUL-terminated), else NULL. */
const char *yu_scalar(struct fy_node *n, size_t *len);
/* The key of a mapping pair as a C string, or NULL when it is not a plain string key. */
const char *yu_key(struct fy_node *key);
/* Describes a node for "got ..." in messages: 'text' (quoted, shortened), a mapping, a list,
 * null, an alias.  Returns buf. */
const char *yu_describe(struct fy_node *n, char *buf, size_t cap);

/* Fails on the first key of map not in known (NULL-terminated): "unknown key
 * 'PREFIXkey'SUFFIX (known: a, b)".  Also fails on non-string keys. */
int yu_check_keys(struct fy_node *map, const char *const *known, const char *source,
                  const char *prefix, const char *suffix, struct sl_error *err);
/* The value under key in map, or NULL when absent; *line gets the key's line. */
struct fy_node *yu_lookup(struct fy_node *map, const char *key, int *line);

/* Typed getters.  yu_str: any non-null scalar without NUL bytes, copied into *out (new).
 * yu_bool: true/false/yes/no/on/off, any case.  yu_int: an integer in [lo, hi].  yu_num: a
 * finite number in [lo, hi].  yu_size: bytes, plain or with a B/KB/KiB/MB/MiB/GB/GiB suffix.
 * yu_choice: one of choices (NULL-terminated), *idx gets its index. */
int yu_str(struct fy_node *n, const struct yu_at *at, char **out);
int yu_bool(struct fy_node *n, const struct yu_at *at, int *out);
int yu_int(struct fy_node *n, const struct yu_at *at, int64_t lo, int64_t hi, int64_t *out);
int yu_num(struct fy_node *n, const struct yu_at *at, double lo, double hi, double *out);
int yu_size(struct fy_node *n, const struct yu_at *at, uint64_t *out);
int yu_choice(struct fy_node *n, const struct yu_at *at, const char *const *choices, int *idx);

/* Parses a size ("512", "64KiB", "1 MB"); 0 on success, -1 when malformed or too large. */
int yu_parse_size(const char *s, size_t n, uint64_t *out);

#endif
