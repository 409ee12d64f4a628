/* config_watch.c - the keys that say which files are taken and how many threads take them:
 * `workers` (a count, or "auto": one per CPU), `parse_threads` (threads parsing one big
 * file) and `watch.patterns` (file name globs). */
#include <fnmatch.h>
#include <libfyaml.h>
#include <stdlib.h>
#include <string.h>

#include "core/config_int.h"

/* A thread count: "auto" (*out = auto_value) or an integer in [lo, 64]. */
static int count_or_auto(struct fy_node *n, const struct yu_at *at, int64_t lo,
                         int64_t auto_value, int64_t *out)
{
    size_t len;
    const char *s = yu_scalar(n, &len);
    if (s != NULL && len == 4 && memcmp(s, "auto", 4) == 0) {
        *out = auto_value;
        return 0;
    }
    return yu_int(n, at, lo, 64, out);
}

int cfg_set_workers(struct config *c, struct fy_node *n, const struct yu_at *at)
{
    int64_t v;
    int rc = count_or_auto(n, at, 1, 0, &v);
    if (rc == 0) {
        c->workers = (size_t)v;
    }
    return rc;
}

int cfg_set_parse_threads(struct config *c, struct fy_node *n, const struct yu_at *at)
{
    int64_t v;
    int rc = count_or_auto(n, at, 0, -1, &v);
    if (rc == 0) {
        c->parse_threads = (int)v;
    }
    return rc;
}

void cfg_free_patterns(struct config *c)
{
    for (size_t i = 0; c->watch_patterns != NULL && i < c->watch_npatterns; i++) {
        free(c->watch_patterns[i]);
    }
    free(c->watch_patterns);
    c->watch_patterns = NULL;
    c->watch_npatterns = 0;
}

/* A glob fnmatch understands, matching names only (no '/'). */
static int valid_glob(const char *g)
{
    if (g[0] == '\0' || strchr(g, '/') != NULL) {
        return 0;
    }
    int r = fnmatch(g, "", 0);
    return r == 0 || r == FNM_NOMATCH;
}

int cfg_set_patterns(struct config *c, struct fy_node *n, const struct yu_at *at)
{
    if (!yu_is_seq(n)) {
        return cfg_reject(n, at, "a list of file name patterns, like [\"*.csv\", \"ventas_*.txt\"]");
    }
    int count = fy_node_sequence_item_count(n);
    if (count < 1 || count > 64) {
        return cfg_reject(n, at, "1 to 64 file name patterns");
    }
    char **v = calloc((size_t)count, sizeof(*v));
    if (v == NULL) {
        return yu_oom_set(at->err);
    }
    int rc = 0;
    for (int i = 0; i < count && rc == 0; i++) {
        struct fy_node *item = fy_node_sequence_get_by_index(n, i);
        rc = yu_str(item, at, &v[i]);
        if (rc == 0 && !valid_glob(v[i])) {
            rc = cfg_reject(item, at, "a file name pattern (*, ?, [...]; no '/')");
        }
    }
    if (rc != 0) {
        for (int i = 0; i < count; i++) {
            free(v[i]);
        }
        free(v);
        return rc;
    }
    cfg_free_patterns(c);
    c->watch_patterns = v;
    c->watch_npatterns = (size_t)count;
    return 0;
}
