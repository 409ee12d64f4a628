/* plan.c - compiles a config's derived columns, rules and metrics against the contract's
 * columns, so expression errors surface at start-up with the config's file and line. */
#include "contract/validate.h"

#include <stdlib.h>
#include <string.h>

#include "contract/valuefmt.h"

void plan_destroy(struct plan *p)
{
    if (p == NULL) {
        return;
    }
    const struct config *cfg = p->cfg;
    for (size_t i = 0; p->derive != NULL && i < cfg->nderive; i++) {
        expr_destroy(p->derive[i]);
    }
    for (size_t i = 0; p->rules != NULL && i < cfg->nrules; i++) {
        expr_destroy(p->rules[i]);
    }
    for (size_t i = 0; p->metrics != NULL && i < cfg->nmetrics; i++) {
        agg_destroy(p->metrics[i]);
    }
    free(p->part);
    free(p->derive);
    free(p->rules);
    free(p->metrics);
    free(p->cols);
    free(p->ecols);
    free(p);
}

static int expr_fail(const struct config *cfg, int line, const char *what, const char *name,
                     const struct sl_error *e, struct sl_error *err)
{
    return sl_error_set(err, SL_ECONFIG, "%s:%d: %s '%s': %s", cfg->source, line, what, name,
                        e->msg);
}

int plan_create(const struct config *cfg, struct plan **out, struct sl_error *err)
{
    int rc = SL_ENOMEM;
    const struct contract *ct = cfg->contract;
    struct plan *p = calloc(1, sizeof(*p));
    if (p == NULL) {
        goto out;
    }
    p->cfg = cfg;
    p->nfields = ct->nfields;
    p->ncols = ct->nfields + cfg->nderive;
    p->cols = calloc(p->ncols + 1, sizeof(*p->cols));
    p->ecols = calloc(p->ncols + 1, sizeof(*p->ecols));
    p->derive = calloc(cfg->nderive + 1, sizeof(*p->derive));
    p->rules = calloc(cfg->nrules + 1, sizeof(*p->rules));
    p->metrics = calloc(cfg->nmetrics + 1, sizeof(*p->metrics));
    if (!p->cols || !p->ecols || !p->derive || !p->rules || !p->metrics) {
        goto out;
    }
    for (size_t i = 0; i < ct->nfields; i++) {
        p->cols[i] = (struct plan_col){ct->fields[i].name, ct->fields[i].type, &ct->fields[i]};
        p->ecols[i] = (struct expr_col){ct->fields[i].name, ct->fields[i].type};
    }
    /* A derived column may use the contract's fields and the derived columns before it. */
    for (size_t i = 0; i < cfg->nderive; i++) {
        const struct derive_def *d = &cfg->derive[i];
        struct sl_error e = {0};
        enum sl_type t;
        size_t ncols = ct->nfields + i;
        rc = expr_compile(d->expr, p->ecols, ncols, &p->derive[i], &t, &e);
        if (rc != 0) {
            rc = e.code == SL_ENOMEM ? SL_ENOMEM : expr_fail(cfg, d->line, "derive", d->name, &e, err);
            goto out;
        }
        if (t == SL_T_NULL) {
            rc = sl_error_set(err, SL_ECONFIG, "%s:%d: derive '%s': the expression is always null",
                              cfg->source, d->line, d->name);
            goto out;
        }
        if (d->type != SL_T_NULL && d->type != t &&
            !(d->type == SL_T_NUM && t == SL_T_INT)) {
            rc = sl_error_set(err, SL_ECONFIG,
                              "%s:%d: derive '%s': declared type %s but the expression gives %s",
                              cfg->source, d->line, d->name, sl_type_name(d->type),
                              sl_type_name(t));
            goto out;
        }
        enum sl_type ct_type = d->type != SL_T_NULL ? d->type : t;
        p->cols[ncols] = (struct plan_col){d->name, ct_type, NULL};
        p->ecols[ncols] = (struct expr_col){d->name, ct_type};
    }
    for (size_t i = 0; i < cfg->nrules; i++) {
        const struct rule_def *r = &cfg->rules[i];
        struct sl_error e = {0};
        enum sl_type t;
        rc = expr_compile(r->expr, p->ecols, p->ncols, &p->rules[i], &t, &e);
        if (rc != 0) {
            rc = e.code == SL_ENOMEM ? SL_ENOMEM : expr_fail(cfg, r->line, "rule", r->name, &e, err);
            goto out;
        }
        if (t != SL_T_BOOL && t != SL_T_NULL) {
            rc = sl_error_set(err, SL_ECONFIG,
                              "%s:%d: rule '%s': must be a boolean expression, this one gives %s",
                              cfg->source, r->line, r->name, sl_type_name(t));
            goto out;
        }
    }
    p->part = calloc(cfg->parquet_npartition + 1, sizeof(*p->part));
    if (p->part == NULL) {
        rc = SL_ENOMEM;
        goto out;
    }
    for (size_t k = 0; cfg->parquet_enabled && k < cfg->parquet_npartition; k++) {
        const char *name = cfg->parquet_partition_by[k];
        size_t c = 0;
        while (c < p->ncols && strcmp(p->cols[c].name, name) != 0) {
            c++;
        }
        if (c == p->ncols) {
            rc = sl_error_set(err, SL_ECONFIG,
                              "%s:%d: key 'parquet.partition_by': no column '%s' in the contract "
                              "or the derived columns",
                              cfg->source, cfg->parquet_partition_line, name);
            goto out;
        }
        p->part[p->npart++] = c;
    }
    for (size_t i = 0; i < cfg->nmetrics; i++) {
        const struct metric_def *m = &cfg->metrics[i];
        struct sl_error e = {0};
        rc = agg_compile(m->expr, p->ecols, p->ncols, &p->metrics[i], &e);
        if (rc != 0) {
            rc = e.code == SL_ENOMEM ? SL_ENOMEM : expr_fail(cfg, m->line, "metric", m->name, &e, err);
            goto out;
        }
    }
    *out = p;
    p = NULL;
    rc = 0;
out:
    if (rc == SL_ENOMEM) {
        sl_error_set(err, SL_ENOMEM, "out of memory compiling the plan");
    }
    plan_destroy(p);
    return rc;
}

enum sl_type *plan_types(const struct plan *p)
{
    enum sl_type *t = malloc((p->ncols + 1) * sizeof(*t));
    if (t == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < p->ncols; i++) {
        t[i] = p->cols[i].type;
    }
    return t;
}

static int metrics_direct(struct plan *p, const struct batch *b, struct sl_error *err)
{
    for (size_t m = 0; m < p->cfg->nmetrics; m++) {
        struct agg *a = p->metrics[m];
        int c = agg_column(a);
        int rc = agg_step_column(a, b, c == AGG_NO_ARG ? 0 : (size_t)c, err);
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

int plan_metrics_step(struct plan *p, const struct batch *b, struct sl_error *err)
{
    const struct config *cfg = p->cfg;
    if (cfg->nmetrics == 0) {
        return 0;
    }
    /* Every aggregate count() or of a bare column ("sum(total)"): each one takes its
     * column's loaded cells straight from the batch, without a whole row or the evaluator. */
    int direct = 1;
    for (size_t m = 0; m < cfg->nmetrics && direct; m++) {
        direct = agg_column(p->metrics[m]) != AGG_EXPR;
    }
    if (direct) {
        return metrics_direct(p, b, err);
    }
    int rc = SL_ENOMEM;
    struct sl_value *row = calloc(p->ncols + 1, sizeof(*row));
    struct expr_scratch *scratch = expr_scratch_create();
    if (row == NULL || scratch == NULL) {
        sl_error_set(err, SL_ENOMEM, "out of memory computing metrics");
        goto out;
    }
    for (size_t r = 0; r < b->nrows; r++) {
        if (b->outcome[r] != BATCH_LOADED) {
            continue;
        }
        for (size_t c = 0; c < p->ncols; c++) {
            batch_get(b, r, c, &row[c]);
        }
        for (size_t m = 0; m < cfg->nmetrics; m++) {
            expr_scratch_reset(scratch);
            rc = agg_step(p->metrics[m], row, scratch, err);
            if (rc != 0) {
                goto out;
            }
        }
    }
    rc = 0;
out:
    expr_scratch_destroy(scratch);
    free(row);
    return rc;
}

int plan_metrics_json(struct plan *p, struct strbuf *out)
{
    const struct config *cfg = p->cfg;
    sb_addc(out, '{');
    for (size_t m = 0; m < cfg->nmetrics; m++) {
        struct sl_value v;
        agg_result(p->metrics[m], &v);
        if (m > 0) {
            sb_addc(out, ',');
        }
        sb_json_str(out, cfg->metrics[m].name, strlen(cfg->metrics[m].name));
        sb_addc(out, ':');
        value_json(out, &v);
        agg_reset(p->metrics[m]);
    }
    sb_addc(out, '}');
    return out->failed ? SL_ENOMEM : 0;
}

void plan_metrics_reset(struct plan *p)
{
    for (size_t m = 0; m < p->cfg->nmetrics; m++) {
        agg_reset(p->metrics[m]);
    }
}
