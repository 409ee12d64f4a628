/* config_int.h - internal to the config loader (config.c, config_lists.c).
 *
 * config.c reads the scalar sections and the contract; config_lists.c reads the rules,
 * derive and metrics lists; config_jobs.c the schedule; config_obs.c http and notify.  Nothing outside src/core uses this header.
 */
#ifndef SL_CONFIG_INT_H
#define SL_CONFIG_INT_H

#include "core/config.h"
#include "core/yamlutil.h"

#define CFG_MAX_NAME 256 /* bytes of a rule, derive or metric name */

struct fy_node;

/* One load in progress. */
struct cfg_load {
    struct config *c;   /* being filled; freed by the caller on error */
    const char *source; /* for messages */
    struct sl_error *err;
    int has_metrics;    /* a metrics key was present (even empty) */
    int has_rules;      /* likewise for rules and derive */
    int has_derive;
};

/* 1 when s matches [A-Za-z_][A-Za-z0-9_]* and has at most CFG_MAX_NAME bytes. */
int cfg_is_ident(const char *s);
/* Records "WHAT: expected <expected>, got <n>" at at. */
int cfg_reject(struct fy_node *n, const struct yu_at *at, const char *expected);

/* The rules, derive and metrics keys (n is the value, line the key's line). */
int cfg_parse_rules(struct cfg_load *ld, struct fy_node *n, int line);
int cfg_parse_derive(struct cfg_load *ld, struct fy_node *n, int line);
int cfg_parse_metrics(struct cfg_load *ld, struct fy_node *n, int line);
/* The schedule key (config_jobs.c). */
int cfg_parse_schedule(struct cfg_load *ld, struct fy_node *n, int line);
/* The http and notify keys (config_obs.c); cfg_obs_free frees what they allocated. */
int cfg_parse_http(struct cfg_load *ld, struct fy_node *n, int line);
int cfg_parse_notify(struct cfg_load *ld, struct fy_node *n, int line);
void cfg_obs_free(struct config *c);
/* workers (a count or "auto") and watch.patterns (a list of globs) (config_watch.c). */
int cfg_set_workers(struct config *c, struct fy_node *n, const struct yu_at *at);
int cfg_set_parse_threads(struct config *c, struct fy_node *n, const struct yu_at *at);
int cfg_set_patterns(struct config *c, struct fy_node *n, const struct yu_at *at);
void cfg_free_patterns(struct config *c);
/* base + "/" + path unless path is absolute or empty (new string, NULL when out of memory). */
char *cfg_join_path(const char *base, const char *path);
/* After the whole file: metrics default to rows: count() when the key was absent, and derived
 * names must not clash with the contract's fields (which may come after derive). */
int cfg_finish_lists(struct cfg_load *ld);

#endif
