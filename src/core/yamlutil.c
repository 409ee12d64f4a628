/* yamlutil.c - parse YAML/JSON with libfyaml and read its scalars into C values.
 *
 * Everything here reports SL_ECONFIG messages that start with "SOURCE:LINE: ".  libfyaml's
 * own diagnostics are collected instead of printed.  Nothing here knows which keys a config
 * or a contract has; the loaders pass names and ranges in.
 */
#include "core/yamlutil.h"

#include <errno.h>
#include <inttypes.h>
#include <libfyaml.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "contract/types.h"
#include "input/utf8.h"

#define DESC_MAX 48 /* bytes of a scalar quoted in a message */

int yu_fail_at(struct sl_error *err, const char *source, int line, const char *fmt, ...)
{
    char msg[SL_ERRMSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (line > 0) {
        return sl_error_set(err, SL_ECONFIG, "%s:%d: %s", source, line, msg);
    }
    return sl_error_set(err, SL_ECONFIG, "%s: %s", source, msg);
}

int yu_oom_set(struct sl_error *err)
{
    return sl_error_set(err, SL_ENOMEM, "out of memory while loading the configuration");
}

int yu_read_file(const char *path, char **text, size_t *len, struct sl_error *err)
{
    int rc = SL_ECONFIG;
    char *buf = NULL;
    size_t n = 0, cap = 0;
    FILE *fp = fopen(path, "rb");

    *text = NULL;
    *len = 0;
    if (fp == NULL) {
        rc = yu_fail(err, path, 0, "cannot open: %s", strerror(errno));
        goto out;
    }
    for (;;) {
        if (n == cap) { /* grow 64 KiB, 128 KiB, ... up to one byte past the cap */
            size_t ncap = cap == 0 ? (size_t)64 << 10 : cap * 2;
            char *nbuf = realloc(buf, (ncap > YU_MAX_FILE_BYTES ? YU_MAX_FILE_BYTES : ncap) + 1);
            if (nbuf == NULL) {
                rc = yu_oom(err);
                goto out;
            }
            buf = nbuf;
            cap = ncap > YU_MAX_FILE_BYTES ? YU_MAX_FILE_BYTES + 1 : ncap;
        }
        size_t got = fread(buf + n, 1, cap - n, fp);
        n += got;
        if (got == 0 || n > YU_MAX_FILE_BYTES) {
            break;
        }
    }
    if (ferror(fp)) {
        rc = yu_fail(err, path, 0, "cannot read: %s", strerror(errno));
        goto out;
    }
    if (n > YU_MAX_FILE_BYTES) {
        rc = yu_fail(err, path, 0, "file is larger than %zu bytes", YU_MAX_FILE_BYTES);
        goto out;
    }
    buf[n] = '\0';
    *text = buf;
    *len = n;
    buf = NULL;
    rc = 0;
out:
    free(buf);
    if (fp != NULL) {
        fclose(fp);
    }
    return rc;
}

struct diag_sink {
    char first[160]; /* first line libfyaml printed, for errors it did not collect */
};

static void diag_output(struct fy_diag *diag, void *user, const char *buf, size_t len)
{
    struct diag_sink *sink = user;
    (void)diag;
    if (sink->first[0] == '\0') {
        size_t n = len < sizeof(sink->first) - 1 ? len : sizeof(sink->first) - 1;
        memcpy(sink->first, buf, n);
        while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) {
            n--;
        }
        sink->first[n] = '\0';
    }
}

/* 1 when text holds nothing but blank lines, comments and document markers. */
static int yaml_is_blank(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        while (j < n && (s[j] == ' ' || s[j] == '\t' || s[j] == '\r')) {
            j++;
        }
        if (j + 3 <= n && (memcmp(s + j, "---", 3) == 0 || memcmp(s + j, "...", 3) == 0)) {
            j += 3;
            while (j < n && (s[j] == ' ' || s[j] == '\t' || s[j] == '\r')) {
                j++;
            }
        }
        if (j < n && s[j] != '\n' && s[j] != '#') {
            return 0;
        }
        while (j < n && s[j] != '\n') {
            j++;
        }
        i = j + 1;
    }
    return 1;
}

int yu_parse(const char *text, size_t len, const char *source, int json,
             struct fy_document **doc, struct sl_error *err)
{
    int rc = SL_ECONFIG;
    struct diag_sink sink = {{0}};
    struct fy_diag_cfg dcfg;
    struct fy_diag *diag = NULL;
    struct fy_parse_cfg pcfg;
    struct fy_diag_error *e;
    void *it = NULL;

    *doc = NULL;
    /* YAML and JSON text is UTF-8 here.  Checked before libfyaml sees it: libfyaml 0.8 loops
     * forever on a directive line that ends in a truncated UTF-8 sequence ("% \xea", found
     * by fuzz/fuzz_config.c), so a bad config would hang `sluice run`'s reload. */
    size_t bad = 0;
    if (!utf8_valid(text, len, &bad)) {
        size_t line = 1;
        for (size_t i = 0; i < bad; i++) {
            line += text[i] == '\n';
        }
        return yu_fail(err, source, (int)(line > INT32_MAX ? INT32_MAX : line),
                       "invalid UTF-8 at byte %zu (a config must be UTF-8 text)", bad + 1);
    }
    fy_diag_cfg_default(&dcfg);
    dcfg.fp = NULL;
    dcfg.output_fn = diag_output;
    dcfg.user = &sink;
    dcfg.colorize = false;
    diag = fy_diag_create(&dcfg);
    if (diag == NULL) {
        rc = yu_oom(err);
        goto out;
    }
    fy_diag_set_collect_errors(diag, true);
    memset(&pcfg, 0, sizeof(pcfg));
    pcfg.flags = FYPCF_QUIET | (json ? FYPCF_JSON_FORCE : FYPCF_JSON_NONE);
    pcfg.diag = diag;
    *doc = fy_document_build_from_string(&pcfg, text, len);
    if (*doc != NULL) {
        rc = 0;
        goto out;
    }
    for (e = fy_diag_errors_iterate(diag, &it); e != NULL;
         e = fy_diag_errors_iterate(diag, &it)) {
        if (e->type >= FYET_ERROR) {
            rc = yu_fail(err, source, e->line, "%s syntax error: %s (column %d)",
                         json ? "JSON" : "YAML", e->msg ? e->msg : "?", e->column);
            goto out;
        }
    }
    if (yaml_is_blank(text, len)) {
        rc = 0; /* an empty document: *doc stays NULL */
        goto out;
    }
    rc = yu_fail(err, source, 0, "cannot parse %s%s%s", json ? "JSON" : "YAML",
                 sink.first[0] ? ": " : "", sink.first);
out:
    if (diag != NULL) {
        fy_diag_destroy(diag);
    }
    return rc;
}

int yu_line(struct fy_node *n, int fallback)
{
    void *it = NULL;
    if (n == NULL) {
        return fallback;
    }
    switch (fy_node_get_type(n)) {
    case FYNT_SCALAR: {
        struct fy_token *t = fy_node_get_scalar_token(n);
        const struct fy_mark *m = t != NULL ? fy_token_start_mark(t) : NULL;
        return m != NULL ? m->line + 1 : fallback;
    }
    case FYNT_MAPPING: {
        struct fy_node_pair *p = fy_node_mapping_iterate(n, &it);
        return p != NULL ? yu_line(fy_node_pair_key(p), fallback) : fallback;
    }
    case FYNT_SEQUENCE:
        return yu_line(fy_node_sequence_iterate(n, &it), fallback);
    }
    return fallback;
}

static int is_alias(struct fy_node *n)
{
    return n != NULL && fy_node_get_type(n) == FYNT_SCALAR &&
           fy_node_get_style(n) == FYNS_ALIAS;
}

int yu_is_null(struct fy_node *n)
{
    size_t len = 0;
    const char *s;
    if (n == NULL) {
        return 1;
    }
    if (fy_node_get_type(n) != FYNT_SCALAR || fy_node_get_style(n) != FYNS_PLAIN) {
        return 0;
    }
    s = fy_node_get_scalar(n, &len);
    if (s == NULL || len == 0) {
        return 1;
    }
    return (len == 1 && s[0] == '~') ||
           (len == 4 && (memcmp(s, "null", 4) == 0 || memcmp(s, "Null", 4) == 0 ||
                         memcmp(s, "NULL", 4) == 0));
}

int yu_is_map(struct fy_node *n)
{
    return n != NULL && fy_node_get_type(n) == FYNT_MAPPING;
}

int yu_is_seq(struct fy_node *n)
{
    return n != NULL && fy_node_get_type(n) == FYNT_SEQUENCE;
}

const char *yu_scalar(struct fy_node *n, size_t *len)
{
    const char *s;
    *len = 0;
    if (n == NULL || fy_node_get_type(n) != FYNT_SCALAR || is_alias(n) || yu_is_null(n)) {
        return NULL;
    }
    s = fy_node_get_scalar(n, len);
    return s != NULL ? s : "";
}

const char *yu_key(struct fy_node *key)
{
    size_t len = 0;
    const char *s = NULL;
    if (yu_scalar(key, &len) != NULL) {
        s = fy_node_get_scalar0(key);
    }
    return s != NULL && strlen(s) == len ? s : NULL;
}

const char *yu_describe(struct fy_node *n, char *buf, size_t cap)
{
    size_t len = 0;
    const char *s;
    if (is_alias(n)) {
        s = fy_node_get_scalar(n, &len);
        snprintf(buf, cap, "an alias '*%.*s' (aliases are not supported)",
                 (int)(len > DESC_MAX ? DESC_MAX : len), s != NULL ? s : "");
    } else if (yu_is_null(n)) {
        snprintf(buf, cap, "null");
    } else if (yu_is_map(n)) {
        snprintf(buf, cap, "a mapping");
    } else if (yu_is_seq(n)) {
        snprintf(buf, cap, "a list");
    } else {
        s = yu_scalar(n, &len);
        snprintf(buf, cap, "'%.*s%s'", (int)(len > DESC_MAX ? DESC_MAX : len), s,
                 len > DESC_MAX ? "..." : "");
    }
    return buf;
}

int yu_check_keys(struct fy_node *map, const char *const *known, const char *source,
                  const char *prefix, const char *suffix, struct sl_error *err)
{
    void *it = NULL;
    struct fy_node_pair *p;
    char list[320];
    size_t used = 0;
    for (p = fy_node_mapping_iterate(map, &it); p != NULL;
         p = fy_node_mapping_iterate(map, &it)) {
        struct fy_node *k = fy_node_pair_key(p);
        const char *name = yu_key(k);
        size_t i = 0;
        while (name != NULL && known[i] != NULL && strcmp(known[i], name) != 0) {
            i++;
        }
        if (name != NULL && known[i] != NULL) {
            continue;
        }
        list[0] = '\0';
        for (i = 0; known[i] != NULL && used < sizeof(list); i++) {
            int w = snprintf(list + used, sizeof(list) - used, "%s%s", i ? ", " : "", known[i]);
            used += w > 0 ? (size_t)w : 0;
        }
        if (name == NULL) {
            char d[DESC_MAX + 64];
            return yu_fail(err, source, yu_line(k, yu_line(map, 0)),
                           "unknown key %s%s, not a plain string (known: %s)",
                           yu_describe(k, d, sizeof(d)), suffix, list);
        }
        return yu_fail(err, source, yu_line(k, yu_line(map, 0)),
                       "unknown key '%s%s'%s (known: %s)", prefix, name, suffix, list);
    }
    return 0;
}

struct fy_node *yu_lookup(struct fy_node *map, const char *key, int *line)
{
    void *it = NULL;
    struct fy_node_pair *p;
    for (p = fy_node_mapping_iterate(map, &it); p != NULL;
         p = fy_node_mapping_iterate(map, &it)) {
        const char *name = yu_key(fy_node_pair_key(p));
        if (name != NULL && strcmp(name, key) == 0) {
            *line = yu_line(fy_node_pair_key(p), yu_line(map, 0));
            return fy_node_pair_value(p);
        }
    }
    return NULL;
}

static int expected(struct fy_node *n, const struct yu_at *at, const char *what)
{
    char d[DESC_MAX + 64];
    return yu_fail(at->err, at->source, at->line, "%s: expected %s, got %s", at->what, what,
                   yu_describe(n, d, sizeof(d)));
}

int yu_str(struct fy_node *n, const struct yu_at *at, char **out)
{
    size_t len;
    const char *s = yu_scalar(n, &len);
    *out = NULL;
    if (s == NULL) {
        return expected(n, at, "a string");
    }
    if (memchr(s, '\0', len) != NULL) {
        return yu_fail(at->err, at->source, at->line, "%s: contains a NUL byte", at->what);
    }
    *out = strndup(s, len);
    return *out != NULL ? 0 : yu_oom(at->err);
}

int yu_bool(struct fy_node *n, const struct yu_at *at, int *out)
{
    static const char *const words[] = {"false", "no", "off", "true", "yes", "on"};
    size_t len;
    const char *s = yu_scalar(n, &len);
    for (size_t i = 0; s != NULL && i < sizeof(words) / sizeof(words[0]); i++) {
        if (strlen(words[i]) == len && strncasecmp(s, words[i], len) == 0) {
            *out = i >= 3;
            return 0;
        }
    }
    return expected(n, at, "a boolean (true or false)");
}

int yu_int(struct fy_node *n, const struct yu_at *at, int64_t lo, int64_t hi, int64_t *out)
{
    char what[96];
    size_t len;
    const char *s = yu_scalar(n, &len);
    int64_t v = 0;
    if (s != NULL && types_parse_int(s, len, &v) == 0 && v >= lo && v <= hi) {
        *out = v;
        return 0;
    }
    if (lo == 0 && hi == INT64_MAX) {
        snprintf(what, sizeof(what), "a non-negative integer");
    } else if (lo == 1 && hi == INT64_MAX) {
        snprintf(what, sizeof(what), "a positive integer");
    } else {
        snprintf(what, sizeof(what), "an integer between %" PRId64 " and %" PRId64, lo, hi);
    }
    return expected(n, at, what);
}

int yu_num(struct fy_node *n, const struct yu_at *at, double lo, double hi, double *out)
{
    char what[96];
    size_t len;
    const char *s = yu_scalar(n, &len);
    double v = 0;
    if (s != NULL && types_parse_num(s, len, '.', 0, &v) == 0 && v >= lo && v <= hi) {
        *out = v;
        return 0;
    }
    snprintf(what, sizeof(what), "a number between %g and %g", lo, hi);
    return expected(n, at, what);
}

int yu_parse_size(const char *s, size_t n, uint64_t *out)
{
    static const struct {
        const char *suffix;
        uint64_t mult;
    } units[] = {
        {"", 1},          {"b", 1},          {"kb", 1000},          {"kib", 1024},
        {"mb", 1000000},  {"mib", 1 << 20},  {"gb", 1000000000},    {"gib", 1 << 30},
    };
    uint64_t v = 0;
    size_t i = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9') {
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10) {
            return -1;
        }
        v = v * 10 + d;
        i++;
    }
    if (i == 0) {
        return -1;
    }
    if (i < n && s[i] == ' ') {
        i++;
    }
    for (size_t u = 0; u < sizeof(units) / sizeof(units[0]); u++) {
        size_t sl = strlen(units[u].suffix);
        if (n - i == sl && strncasecmp(s + i, units[u].suffix, sl) == 0) {
            if (v > UINT64_MAX / units[u].mult) {
                return -1;
            }
            *out = v * units[u].mult;
            return 0;
        }
    }
    return -1;
}

int yu_size(struct fy_node *n, const struct yu_at *at, uint64_t *out)
{
    size_t len;
    const char *s = yu_scalar(n, &len);
    if (s != NULL && yu_parse_size(s, len, out) == 0) {
        return 0;
    }
    return expected(n, at, "a size in bytes like 512, 64KiB or 8MiB "
                           "(suffixes B, KB, KiB, MB, MiB, GB, GiB)");
}

int yu_choice(struct fy_node *n, const struct yu_at *at, const char *const *choices, int *idx)
{
    char what[160];
    size_t len, used;
    const char *s = yu_scalar(n, &len);
    for (int i = 0; s != NULL && choices[i] != NULL; i++) {
        if (strlen(choices[i]) == len && memcmp(s, choices[i], len) == 0) {
            *idx = i;
            return 0;
        }
    }
    used = (size_t)snprintf(what, sizeof(what), "one of");
    for (int i = 0; choices[i] != NULL && used < sizeof(what); i++) {
        int w = snprintf(what + used, sizeof(what) - used, "%s %s", i ? "," : "", choices[i]);
        used += w > 0 ? (size_t)w : 0;
    }
    return expected(n, at, what);
}
