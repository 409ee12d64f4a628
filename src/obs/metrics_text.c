/* metrics_text.c - the Prometheus text exposition format (version 0.0.4):
 *
 *   # HELP name text         (backslash and newline escaped)
 *   # TYPE name counter|gauge|histogram
 *   name{label="value",...} 12
 *   name_bucket{...,le="0.5"} 3   (cumulative, ending with le="+Inf"), name_sum, name_count
 *
 * Label values escape backslash, double quote and newline.  Families appear in declaration
 * order, series in creation order; the format does not require more.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "obs/metrics_int.h"

const char *metrics_fmt_value(double v, char buf[32])
{
    if (isnan(v)) {
        return strcpy(buf, "NaN");
    }
    if (isinf(v)) {
        return strcpy(buf, v > 0 ? "+Inf" : "-Inf");
    }
    if (v == floor(v) && fabs(v) < 9007199254740992.0) {
        snprintf(buf, 32, "%.0f", v == 0 ? 0.0 : v); /* never "-0" */
        return buf;
    }
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, 32, "%.*g", prec, v);
        if (strtod(buf, NULL) == v) {
            break;
        }
    }
    return buf;
}

/* HELP text: backslash and line feed escaped. */
static void add_help(struct strbuf *out, const char *s)
{
    for (; *s != '\0'; s++) {
        if (*s == '\\') {
            sb_adds(out, "\\\\");
        } else if (*s == '\n') {
            sb_adds(out, "\\n");
        } else {
            sb_addc(out, *s);
        }
    }
}

/* A label value: backslash, double quote and line feed escaped. */
static void add_label_value(struct strbuf *out, const char *s)
{
    for (; *s != '\0'; s++) {
        if (*s == '\\' || *s == '"') {
            sb_addc(out, '\\');
            sb_addc(out, *s);
        } else if (*s == '\n') {
            sb_adds(out, "\\n");
        } else {
            sb_addc(out, *s);
        }
    }
}

/* name{labels[,le="x"]} value\n */
static void sample(struct strbuf *out, const struct metric *f, const struct series *s,
                   const char *suffix, const char *le, double v)
{
    char buf[32];
    sb_adds(out, f->name);
    sb_adds(out, suffix);
    if (f->nlabels > 0 || le != NULL) {
        sb_addc(out, '{');
        for (size_t k = 0; k < f->nlabels; k++) {
            sb_printf(out, "%s%s=\"", k > 0 ? "," : "", f->labels[k]);
            add_label_value(out, s->values[k]);
            sb_addc(out, '"');
        }
        if (le != NULL) {
            sb_printf(out, "%sle=\"%s\"", f->nlabels > 0 ? "," : "", le);
        }
        sb_addc(out, '}');
    }
    sb_printf(out, " %s\n", metrics_fmt_value(v, buf));
}

static void family(struct strbuf *out, const struct metric *f)
{
    static const char *const types[] = {"counter", "gauge", "histogram"};
    char le[32];
    sb_printf(out, "# HELP %s ", f->name);
    add_help(out, f->help);
    sb_printf(out, "\n# TYPE %s %s\n", f->name, types[f->type]);
    for (size_t i = 0; i < f->nseries; i++) {
        const struct series *s = &f->series[i];
        if (f->type != METRIC_HISTOGRAM) {
            sample(out, f, s, "", NULL, s->value);
            continue;
        }
        uint64_t cum = 0;
        for (size_t b = 0; b <= f->nb; b++) {
            cum += s->bucket[b];
            if (b < f->nb) {
                metrics_fmt_value(f->bounds[b], le);
            } else {
                strcpy(le, "+Inf");
            }
            sample(out, f, s, "_bucket", le, (double)cum);
        }
        sample(out, f, s, "_sum", NULL, s->sum);
        sample(out, f, s, "_count", NULL, (double)s->count);
    }
}

void metrics_expose(struct metrics *m, struct strbuf *out)
{
    pthread_mutex_lock(&m->mu);
    for (size_t i = 0; i < m->nfam; i++) {
        family(out, m->fam[i]);
    }
    pthread_mutex_unlock(&m->mu);
}
