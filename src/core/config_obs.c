/* config_obs.c - the http and notify keys of the config (issue 6: observability).
 *
 *   http:   {enabled: true, listen: "127.0.0.1:9464"}
 *   notify:
 *     - {type: slack, events: [file_failed, recovered], min_interval: 5m,
 *        webhook_url_env: SLACK_WEBHOOK_URL}
 *     - {type: webhook, url: "https://example.com/hook", secret_env: HOOK_SECRET}
 *     - {type: email, smtp_url: "smtp://mail.example.com:587", username: sluice,
 *        password_file: /etc/sluice/smtp.pass, from: sluice@example.com, to: [ops@example.com]}
 *
 * Secrets never live in the config: a key that would hold one (webhook_url, password,
 * secret) is refused with the name of the _env/_file key to use, and its value is never
 * echoed.  Environment variables and files are read when the notifiers start
 * (src/notify), so `sluice check` does not need them.
 */
#include <libfyaml.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config_int.h"
#include "core/duration.h"

#define NOTIFY_MAX_NAME 64
#define NOTIFY_MAX_TO 32

static const char *const http_keys[] = {"enabled", "listen", NULL};
static const char *const type_names[] = {"log", "slack", "webhook", "email", NULL};
static const char *const ev_names[] = {"file_failed", "file_partial", "retry_exhausted",
                                       "daily_digest", "recovered", NULL};
static const char *const tls_modes[] = {"none", "starttls", NULL};

#define TY(x) (1u << NOTIFY_##x)
#define TY_ALL (TY(LOG) | TY(SLACK) | TY(WEBHOOK) | TY(EMAIL))

/* Every key a notifier may have, and the types it applies to. */
static const struct nkey {
    const char *key;
    unsigned types;
} nkeys[] = {
    {"name", TY_ALL},           {"type", TY_ALL},         {"events", TY_ALL},
    {"min_interval", TY_ALL},   {"timeout", TY_ALL},      {"max_attempts", TY_ALL},
    {"retry_backoff", TY_ALL},  {"queue_size", TY_ALL},   {"webhook_url_env", TY(SLACK)},
    {"url", TY(WEBHOOK)},       {"url_env", TY(WEBHOOK)}, {"secret_env", TY(WEBHOOK)},
    {"secret_file", TY(WEBHOOK)}, {"smtp_url", TY(EMAIL)}, {"tls", TY(EMAIL)},
    {"ca_file", TY(EMAIL)},     {"username", TY(EMAIL)},  {"password_env", TY(EMAIL)},
    {"password_file", TY(EMAIL)}, {"from", TY(EMAIL)},    {"to", TY(EMAIL)},
};
#define NNKEYS (sizeof(nkeys) / sizeof(nkeys[0]))

/* Keys that would put a secret in the file, and what to write instead. */
static const struct {
    const char *key, *instead;
} secret_keys[] = {
    {"webhook_url", "webhook_url_env: VARIABLE"},
    {"password", "password_env: VARIABLE or password_file: PATH"},
    {"smtp_password", "password_env: VARIABLE or password_file: PATH"},
    {"secret", "secret_env: VARIABLE or secret_file: PATH"},
};

const char *notify_type_name(enum notify_type t)
{
    return (unsigned)t < 4 ? type_names[t] : "?";
}

const char *notify_ev_name(enum notify_ev e)
{
    return (unsigned)e < NEV_COUNT ? ev_names[e] : "?";
}

/* "host:port" or "[v6]:port"; host is an IP literal or a DNS name; port 0..65535. */
int config_split_hostport(const char *s, char *host, size_t cap, int *port)
{
    const char *colon, *h = s;
    size_t hl;
    long p = 0;
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (close == NULL || close[1] != ':') {
            return -1;
        }
        h = s + 1;
        hl = (size_t)(close - h);
        colon = close + 1;
        for (size_t i = 0; i < hl; i++) {
            if (strchr("0123456789abcdefABCDEF:.", h[i]) == NULL) {
                return -1;
            }
        }
    } else {
        colon = strrchr(s, ':');
        if (colon == NULL) {
            return -1;
        }
        hl = (size_t)(colon - s);
        for (size_t i = 0; i < hl; i++) {
            char ch = s[i];
            if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '.' || ch == '-')) {
                return -1;
            }
        }
    }
    if (hl == 0 || hl >= cap || colon[1] == '\0' || strlen(colon + 1) > 5) {
        return -1;
    }
    for (const char *d = colon + 1; *d != '\0'; d++) {
        if (*d < '0' || *d > '9') {
            return -1;
        }
        p = p * 10 + (*d - '0');
    }
    if (p > 65535) {
        return -1;
    }
    memcpy(host, h, hl);
    host[hl] = '\0';
    *port = (int)p;
    return 0;
}

int cfg_parse_http(struct cfg_load *ld, struct fy_node *n, int line)
{
    char got[96], what[64], host[256];
    int kline = 0, port = 0, rc;
    struct fy_node *v;
    struct yu_at at = {ld->source, line, what, ld->err};
    char *listen = NULL;

    if (yu_is_null(n)) {
        return 0;
    }
    if (!yu_is_map(n)) {
        return yu_fail(ld->err, ld->source, line, "key 'http': expected a mapping {enabled, "
                       "listen}, got %s", yu_describe(n, got, sizeof(got)));
    }
    if ((rc = yu_check_keys(n, http_keys, ld->source, "http.", "", ld->err)) != 0) {
        return rc;
    }
    if ((v = yu_lookup(n, "enabled", &kline)) != NULL) {
        at.line = kline;
        snprintf(what, sizeof(what), "key 'http.enabled'");
        if ((rc = yu_bool(v, &at, &ld->c->http_enabled)) != 0) {
            return rc;
        }
    }
    if ((v = yu_lookup(n, "listen", &kline)) != NULL) {
        at.line = kline;
        snprintf(what, sizeof(what), "key 'http.listen'");
        if ((rc = yu_str(v, &at, &listen)) != 0) {
            return rc;
        }
        if (config_split_hostport(listen, host, sizeof(host), &port) != 0) {
            free(listen);
            return cfg_reject(v, &at, "HOST:PORT like 127.0.0.1:9464, [::1]:9464 or "
                              "0.0.0.0:9464 (port 0 = any free port)");
        }
        free(ld->c->http_listen);
        ld->c->http_listen = listen;
    }
    return 0;
}

/* One notifier being read: where it is and how to name its keys. */
struct nctx {
    struct cfg_load *ld;
    struct fy_node *map;
    char prefix[48]; /* "notify[2]" */
    char what[96];
    struct yu_at at;
};

/* The value of key (NULL when absent), with ctx->at pointing at it. */
static struct fy_node *nget(struct nctx *x, const char *key)
{
    int line = 0;
    struct fy_node *v = yu_lookup(x->map, key, &line);
    if (v != NULL) {
        x->at.line = line;
        snprintf(x->what, sizeof(x->what), "key '%s.%s'", x->prefix, key);
    }
    return v;
}

static int valid_name(const char *s, int env)
{
    size_t i;
    for (i = 0; s[i] != '\0'; i++) {
        char ch = s[i];
        int ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || ch == '_' ||
                 (ch >= '0' && ch <= '9' && (!env || i > 0)) || (!env && (ch == '-' || ch == '.'));
        if (!ok) {
            return 0;
        }
    }
    return i > 0 && i <= (env ? 128 : NOTIFY_MAX_NAME);
}

/* A mail address for an envelope and a header: printable ASCII without spaces, <, >, quotes,
 * commas or CR/LF, with one @ that is neither first nor last. */
static int valid_address(const char *s)
{
    const char *at = strchr(s, '@');
    size_t n = strlen(s);
    if (at == NULL || at == s || at[1] == '\0' || strchr(at + 1, '@') != NULL || n > 254) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch <= ' ' || ch >= 127 || strchr("<>\"(),;:\\[]", ch) != NULL) {
            return 0;
        }
    }
    return 1;
}

static int get_str(struct nctx *x, const char *key, char **out)
{
    struct fy_node *v = nget(x, key);
    if (v == NULL) {
        return 0;
    }
    free(*out);
    *out = NULL;
    return yu_str(v, &x->at, out);
}

static int get_env_name(struct nctx *x, const char *key, char **out)
{
    struct fy_node *v = nget(x, key);
    int rc;
    if (v == NULL) {
        return 0;
    }
    free(*out);
    *out = NULL;
    if ((rc = yu_str(v, &x->at, out)) == 0 && !valid_name(*out, 1)) {
        rc = cfg_reject(v, &x->at, "the name of an environment variable ([A-Za-z_][A-Za-z0-9_]*)");
    }
    return rc;
}

static int get_path(struct nctx *x, const char *key, char **out)
{
    struct fy_node *v = nget(x, key);
    char *s = NULL;
    int rc;
    if (v == NULL) {
        return 0;
    }
    if ((rc = yu_str(v, &x->at, &s)) == 0 && s[0] == '\0') {
        rc = cfg_reject(v, &x->at, "a non-empty path");
    }
    if (rc == 0) {
        free(*out);
        *out = cfg_join_path(x->ld->c->base_dir, s);
        rc = *out != NULL ? 0 : yu_oom(x->ld->err);
    }
    free(s);
    return rc;
}

static int get_duration(struct nctx *x, const char *key, int64_t lo, int64_t hi, int64_t *out)
{
    struct fy_node *v = nget(x, key);
    size_t len = 0;
    const char *s;
    char a[32], b[32], expected[128];
    if (v == NULL) {
        return 0;
    }
    s = yu_scalar(v, &len);
    if (s == NULL || duration_parse(s, len, out) != 0 || *out < lo || *out > hi) {
        snprintf(expected, sizeof(expected), "a duration from %s to %s, like 500ms, 5s, 2m or 1h",
                 duration_format(lo, a, sizeof(a)), duration_format(hi, b, sizeof(b)));
        return cfg_reject(v, &x->at, expected);
    }
    return 0;
}

static int get_int(struct nctx *x, const char *key, int64_t lo, int64_t hi, int64_t *out)
{
    struct fy_node *v = nget(x, key);
    return v == NULL ? 0 : yu_int(v, &x->at, lo, hi, out);
}

static int get_events(struct nctx *x, struct notify_def *d)
{
    struct fy_node *v = nget(x, "events");
    int count, idx = 0, rc = 0;
    if (v == NULL) {
        return 0;
    }
    if (!yu_is_seq(v) || (count = fy_node_sequence_item_count(v)) == 0) {
        return cfg_reject(v, &x->at, "a non-empty list of events (file_failed, file_partial, "
                          "retry_exhausted, daily_digest, recovered)");
    }
    d->events = 0;
    for (int i = 0; i < count && rc == 0; i++) {
        rc = yu_choice(fy_node_sequence_get_by_index(v, i), &x->at, ev_names, &idx);
        d->events |= NEV_BIT(idx);
    }
    return rc;
}

static int get_to(struct nctx *x, struct notify_def *d)
{
    struct fy_node *v = nget(x, "to");
    size_t len = 0;
    int count, rc = 0;
    if (v == NULL) {
        return 0;
    }
    if (yu_scalar(v, &len) != NULL) {
        count = 1;
    } else if (!yu_is_seq(v) || (count = fy_node_sequence_item_count(v)) == 0 ||
               count > NOTIFY_MAX_TO) {
        return cfg_reject(v, &x->at, "a mail address or a list of 1 to 32 of them");
    }
    d->to = calloc((size_t)count, sizeof(*d->to));
    if (d->to == NULL) {
        return yu_oom(x->ld->err);
    }
    for (int i = 0; i < count && rc == 0; i++) {
        struct fy_node *item = yu_is_seq(v) ? fy_node_sequence_get_by_index(v, i) : v;
        rc = yu_str(item, &x->at, &d->to[i]);
        d->nto = (size_t)i + 1;
        if (rc == 0 && !valid_address(d->to[i])) {
            rc = cfg_reject(item, &x->at, "a plain mail address like ops@example.com");
        }
    }
    return rc;
}

/* Keys refused before anything else: a secret written in the file, a key of another type. */
static int check_keys(struct nctx *x, enum notify_type type)
{
    const char *known[NNKEYS + 1];
    char dotted[52];
    int line = 0;
    for (size_t i = 0; i < sizeof(secret_keys) / sizeof(secret_keys[0]); i++) {
        if (yu_lookup(x->map, secret_keys[i].key, &line) != NULL) {
            return yu_fail(x->ld->err, x->ld->source, line, "key '%s.%s': secrets are never "
                           "written in the config; use %s", x->prefix, secret_keys[i].key,
                           secret_keys[i].instead);
        }
    }
    for (size_t i = 0; i < NNKEYS; i++) {
        known[i] = nkeys[i].key;
    }
    known[NNKEYS] = NULL;
    snprintf(dotted, sizeof(dotted), "%s.", x->prefix);
    int rc = yu_check_keys(x->map, known, x->ld->source, dotted, "", x->ld->err);
    for (size_t i = 0; rc == 0 && i < NNKEYS; i++) {
        if (!(nkeys[i].types & (1u << type)) && yu_lookup(x->map, nkeys[i].key, &line) != NULL) {
            rc = yu_fail(x->ld->err, x->ld->source, line, "key '%s.%s' does not apply to a %s "
                         "notifier", x->prefix, nkeys[i].key, type_names[type]);
        }
    }
    return rc;
}

static int check_url(struct nctx *x, const char *key, const char *url, const char *const *schemes)
{
    for (size_t i = 0; schemes[i] != NULL; i++) {
        size_t n = strlen(schemes[i]);
        if (strncmp(url, schemes[i], n) == 0 && url[n] != '\0' && strpbrk(url, " \r\n\t") == NULL) {
            return 0;
        }
    }
    /* the URL itself may hold a token: name the key, never the value */
    return yu_fail(x->ld->err, x->ld->source, x->at.line, "key '%s.%s': expected a URL "
                   "starting with %s%s%s", x->prefix, key, schemes[0],
                   schemes[1] != NULL ? " or " : "", schemes[1] != NULL ? schemes[1] : "");
}

static int parse_type_keys(struct nctx *x, struct notify_def *d)
{
    static const char *const http_schemes[] = {"http://", "https://", NULL};
    static const char *const smtp_schemes[] = {"smtp://", "smtps://", NULL};
    const char *p = x->prefix;
    struct cfg_load *ld = x->ld;
    struct fy_node *v;
    int rc = 0, idx = 0;

    switch (d->type) {
    case NOTIFY_LOG:
        break;
    case NOTIFY_SLACK:
        rc = get_env_name(x, "webhook_url_env", &d->url_env);
        if (rc == 0 && d->url_env == NULL && (d->url_env = strdup("SLACK_WEBHOOK_URL")) == NULL) {
            rc = yu_oom(ld->err);
        }
        break;
    case NOTIFY_WEBHOOK:
        if ((rc = get_str(x, "url", &d->url)) == 0 && d->url != NULL) {
            rc = check_url(x, "url", d->url, http_schemes);
        }
        if (rc == 0) {
            rc = get_env_name(x, "url_env", &d->url_env);
        }
        if (rc == 0 && (d->url == NULL) == (d->url_env == NULL)) {
            rc = yu_fail(ld->err, ld->source, d->line, "key '%s': a webhook needs exactly one "
                         "of url and url_env", p);
        }
        if (rc == 0 && (rc = get_env_name(x, "secret_env", &d->secret_env)) == 0) {
            rc = get_path(x, "secret_file", &d->secret_file);
        }
        if (rc == 0 && d->secret_env != NULL && d->secret_file != NULL) {
            rc = yu_fail(ld->err, ld->source, d->line, "key '%s': secret_env and secret_file "
                         "exclude each other; give one", p);
        }
        break;
    case NOTIFY_EMAIL:
        if ((rc = get_str(x, "smtp_url", &d->url)) == 0 && d->url == NULL) {
            rc = yu_fail(ld->err, ld->source, d->line, "key '%s.smtp_url' is required for an "
                         "email notifier (smtp://HOST:PORT or smtps://HOST:PORT)", p);
        }
        if (rc == 0) {
            rc = check_url(x, "smtp_url", d->url, smtp_schemes);
        }
        if (rc == 0 && (v = nget(x, "tls")) != NULL && (rc = yu_choice(v, &x->at, tls_modes,
                                                                           &idx)) == 0) {
            d->starttls = idx;
        }
        if (rc == 0 && (rc = get_path(x, "ca_file", &d->ca_file)) == 0 &&
            (rc = get_str(x, "username", &d->username)) == 0 &&
            (rc = get_env_name(x, "password_env", &d->password_env)) == 0) {
            rc = get_path(x, "password_file", &d->password_file);
        }
        if (rc == 0 && d->password_env != NULL && d->password_file != NULL) {
            rc = yu_fail(ld->err, ld->source, d->line, "key '%s': password_env and "
                         "password_file exclude each other; give one", p);
        }
        if (rc == 0 && (d->username != NULL) != (d->password_env || d->password_file)) {
            rc = yu_fail(ld->err, ld->source, d->line, "key '%s': SMTP authentication needs "
                         "both username and one of password_env, password_file", p);
        }
        if (rc == 0 && (rc = get_str(x, "from", &d->from)) == 0 && d->from == NULL) {
            rc = yu_fail(ld->err, ld->source, d->line, "key '%s.from' is required for an email "
                         "notifier", p);
        }
        if (rc == 0 && !valid_address(d->from)) {
            rc = yu_fail(ld->err, ld->source, x->at.line, "key '%s.from': expected a plain "
                         "mail address like sluice@example.com", p);
        }
        if (rc == 0 && (rc = get_to(x, d)) == 0 && d->nto == 0) {
            rc = yu_fail(ld->err, ld->source, d->line, "key '%s.to' is required for an email "
                         "notifier", p);
        }
        break;
    }
    return rc;
}

static int parse_notifier(struct cfg_load *ld, struct fy_node *item, size_t i,
                          struct notify_def *d)
{
    struct nctx x = {.ld = ld, .map = item};
    char got[96];
    int rc, idx = 0;
    struct fy_node *v;

    x.at = (struct yu_at){ld->source, d->line, x.what, ld->err};
    snprintf(x.prefix, sizeof(x.prefix), "notify[%zu]", i);
    if (!yu_is_map(item)) {
        return yu_fail(ld->err, ld->source, d->line, "key '%s': expected a mapping {type, "
                       "events, ...}, got %s", x.prefix, yu_describe(item, got, sizeof(got)));
    }
    if ((v = nget(&x, "type")) == NULL) {
        return yu_fail(ld->err, ld->source, d->line, "key '%s.type' is required (one of log, "
                       "slack, webhook, email)", x.prefix);
    }
    if ((rc = yu_choice(v, &x.at, type_names, &idx)) != 0) {
        return rc;
    }
    d->type = (enum notify_type)idx;
    if ((rc = check_keys(&x, d->type)) != 0) {
        return rc;
    }
    d->events = NEV_BIT(NEV_FILE_FAILED) | NEV_BIT(NEV_RETRY_EXHAUSTED) |
                NEV_BIT(NEV_DAILY_DIGEST) | NEV_BIT(NEV_RECOVERED);
    d->min_interval_ms = 60000;
    d->timeout_ms = 10000;
    d->backoff_ms = 1000;
    d->max_attempts = 5;
    d->queue_size = 100;
    d->starttls = 1;
    if ((rc = get_str(&x, "name", &d->name)) == 0 && d->name != NULL && !valid_name(d->name, 0)) {
        rc = cfg_reject(nget(&x, "name"), &x.at, "a name of letters, digits, '_', '-' or '.' "
                        "(at most 64 bytes)");
    }
    if (rc == 0 && d->name == NULL) {
        char def[32];
        snprintf(def, sizeof(def), "%s-%zu", type_names[d->type], i + 1);
        if ((d->name = strdup(def)) == NULL) {
            rc = yu_oom(ld->err);
        }
    }
    if (rc == 0) {
        rc = get_events(&x, d);
    }
    if (rc == 0) {
        rc = get_duration(&x, "min_interval", 0, DURATION_MAX_MS, &d->min_interval_ms);
    }
    if (rc == 0) {
        rc = get_duration(&x, "timeout", 100, 300000, &d->timeout_ms);
    }
    if (rc == 0) {
        rc = get_duration(&x, "retry_backoff", 10, 3600000, &d->backoff_ms);
    }
    if (rc == 0) {
        rc = get_int(&x, "max_attempts", 1, 100, &d->max_attempts);
    }
    if (rc == 0) {
        rc = get_int(&x, "queue_size", 1, 100000, &d->queue_size);
    }
    return rc == 0 ? parse_type_keys(&x, d) : rc;
}

int cfg_parse_notify(struct cfg_load *ld, struct fy_node *n, int line)
{
    struct config *c = ld->c;
    void *it = NULL;
    char got[96];
    size_t count;
    int rc = 0;

    if (yu_is_null(n)) {
        return 0;
    }
    if (!yu_is_seq(n)) {
        return yu_fail(ld->err, ld->source, line, "key 'notify': expected a list of notifiers "
                       "({type, events, ...}), got %s", yu_describe(n, got, sizeof(got)));
    }
    count = (size_t)fy_node_sequence_item_count(n);
    if (count == 0) {
        return 0;
    }
    if (count > 32) {
        return yu_fail(ld->err, ld->source, line, "key 'notify': at most 32 notifiers");
    }
    c->notify = calloc(count, sizeof(*c->notify));
    if (c->notify == NULL) {
        return yu_oom(ld->err);
    }
    for (struct fy_node *item = fy_node_sequence_iterate(n, &it);
         rc == 0 && item != NULL && c->nnotify < count; item = fy_node_sequence_iterate(n, &it)) {
        size_t i = c->nnotify++;
        struct notify_def *d = &c->notify[i];
        d->line = yu_line(item, line);
        rc = parse_notifier(ld, item, i, d);
        for (size_t k = 0; rc == 0 && k < i; k++) {
            if (strcmp(c->notify[k].name, d->name) == 0) {
                rc = yu_fail(ld->err, ld->source, d->line, "key 'notify[%zu].name': duplicate "
                             "notifier name '%s' (first at line %d)", i, d->name,
                             c->notify[k].line);
            }
        }
    }
    return rc;
}

void notify_def_free(struct notify_def *d)
{
    free(d->name);
    free(d->url);
    free(d->url_env);
    free(d->secret_env);
    free(d->secret_file);
    free(d->username);
    free(d->password_env);
    free(d->password_file);
    free(d->from);
    for (size_t k = 0; d->to != NULL && k < d->nto; k++) {
        free(d->to[k]);
    }
    free(d->to);
    free(d->ca_file);
}

void cfg_obs_free(struct config *c)
{
    for (size_t i = 0; c->notify != NULL && i < c->nnotify; i++) {
        notify_def_free(&c->notify[i]);
    }
    free(c->notify);
    c->notify = NULL;
    c->nnotify = 0;
    free(c->http_listen);
    c->http_listen = NULL;
}
