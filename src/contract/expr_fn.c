/* expr_fn.c - evaluation of the built-in functions.
 *
 * Arguments arrive already type-checked, so each function only handles the types its checker
 * let through.  Null arguments give null except in coalesce, if, nullif and concat.  Strings
 * are code-point aware where the docs say so (length, substr); new strings are written into
 * the caller's scratch, and slices (trim, substr) borrow their input instead.
 */
#include "contract/expr_int.h"

#include <math.h>
#include <string.h>

#include "contract/types.h"

#define TEXT_MAX 40 /* longest text of a non-string scalar ("YYYY-MM-DD HH:MM:SS.ffffff") */


static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Text of a non-null value: strings are returned as they are, others written into buf. */
static void text_of(const struct sl_value *v, char *buf, const char **p, size_t *n)
{
    *p = buf;
    switch (v->type) {
    case SL_T_STR:
        *p = v->u.s.p;
        *n = v->u.s.n;
        return;
    case SL_T_INT: {
        char tmp[24];
        size_t k = 0, len = 0;
        uint64_t u = v->u.i < 0 ? (uint64_t)0 - (uint64_t)v->u.i : (uint64_t)v->u.i;
        do {
            tmp[k++] = (char)('0' + u % 10);
            u /= 10;
        } while (u != 0);
        if (v->u.i < 0) {
            buf[len++] = '-';
        }
        while (k > 0) {
            buf[len++] = tmp[--k];
        }
        *n = len;
        return;
    }
    case SL_T_NUM:
        *n = types_format_num(v->u.d, buf, TEXT_MAX);
        return;
    case SL_T_BOOL:
        *n = v->u.b ? 4 : 5;
        memcpy(buf, v->u.b ? "true" : "false", *n);
        return;
    case SL_T_DATE:
        *n = types_format_date(v->u.days, buf, TEXT_MAX);
        return;
    case SL_T_DATETIME:
        *n = types_format_datetime(v->u.us, buf, TEXT_MAX);
        return;
    default:
        *n = 0;
        return;
    }
}

static void set_str(struct sl_value *out, const char *p, size_t n)
{
    out->type = SL_T_STR;
    out->u.s.p = p;
    out->u.s.n = n;
}

/* For messages: at most 40 bytes of a string. */
static int shown_len(const struct sl_value *v)
{
    return v->u.s.n > 40 ? 40 : (int)v->u.s.n;
}

/* ---- numbers ------------------------------------------------------------------------- */

/* Half-away-from-zero rounding of the number as written (its shortest decimal text), used
 * when x * 10^nd lands within rounding noise of a .5 tie. */
static double decimal_round(double x, int64_t nd)
{
    char buf[48], digits[24];
    size_t n = types_format_num(fabs(x), buf, sizeof(buf));
    int ndig = 0, point = -1;
    size_t i = 0;
    for (; i < n && buf[i] != 'e'; i++) {
        if (buf[i] == '.') {
            point = ndig;
        } else if (ndig < (int)sizeof(digits)) {
            digits[ndig++] = buf[i];
        }
    }
    if (point < 0) {
        point = ndig;
    }
    if (i < n) {
        int64_t e = 0;
        if (types_parse_int(buf + i + 1, n - i - 1, &e) == 0) {
            point += (int)e;
        }
    }
    int64_t keep = point + nd; /* digits kept before rounding */
    if (keep >= ndig) {
        return x;
    }
    if (keep < 0) {
        return 0.0;
    }
    char out[48];
    size_t k = 0;
    int carry = digits[keep] >= '5';
    out[k++] = '0'; /* room for a carry */
    memcpy(out + k, digits, (size_t)keep);
    k += (size_t)keep;
    for (size_t j = k; carry && j > 0; j--) {
        if (out[j - 1] == '9') {
            out[j - 1] = '0';
        } else {
            out[j - 1]++;
            carry = 0;
        }
    }
    out[k++] = 'e';
    int64_t e = -nd;
    if (e < 0) {
        out[k++] = '-';
        e = -e;
    }
    char tmp[24];
    size_t t = 0;
    do {
        tmp[t++] = (char)('0' + e % 10);
        e /= 10;
    } while (e != 0);
    while (t > 0) {
        out[k++] = tmp[--t];
    }
    double r = 0;
    if (types_parse_num(out, k, '.', 0, &r) != 0) {
        return x;
    }
    return x < 0 ? -r : r;
}

static double round_num(double x, int64_t nd)
{
    if (nd > 330) {
        return x;
    }
    if (nd < -330) {
        return 0.0;
    }
    int64_t an = nd < 0 ? -nd : nd;
    double p = an <= TYPES_EXACT_POW10_MAX ? types_exact_pow10[an] : pow(10.0, (double)an);
    double y = nd >= 0 ? x * p : x / p;
    if (!isfinite(y) || fabs(y) >= 4503599627370496.0) { /* 2^52: nothing to round */
        return x;
    }
    double r;
    double frac = fabs(y - trunc(y));
    double window = fmax(1e-9, fabs(y) * 1e-15);
    if (fabs(frac - 0.5) < window) {
        r = decimal_round(x, nd);
    } else {
        r = round(y);
        r = nd >= 0 ? r / p : r * p;
    }
    return r == 0.0 ? 0.0 : r; /* no "-0" from rounding */
}

static int round_int(struct ev_ctx *cx, int64_t x, int64_t nd, int64_t *out)
{
    if (nd >= 0) {
        *out = x;
        return 0;
    }
    if (nd < -19) {
        *out = 0;
        return 0;
    }
    if (nd == -19) { /* 10^19 does not fit: only |x| >= 5e18 rounds away, and overflows */
        if (x >= INT64_C(5000000000000000000) || x <= -INT64_C(5000000000000000000)) {
            return ev_fail(cx, "integer overflow");
        }
        *out = 0;
        return 0;
    }
    int64_t p = 1;
    for (int64_t i = 0; i < -nd; i++) {
        p *= 10;
    }
    int64_t q = x / p, r = x % p;
    if (r >= p - r) {
        q++;
    } else if (-r >= p + r) {
        q--;
    }
    if (__builtin_mul_overflow(q, p, out)) {
        return ev_fail(cx, "integer overflow");
    }
    return 0;
}

static int to_int(struct ev_ctx *cx, const char *fn, double d, int64_t *out)
{
    if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0)) {
        char buf[TEXT_MAX];
        size_t n = types_format_num(d, buf, sizeof(buf));
        return ev_fail(cx, "%s(): %.*s is out of integer range", fn, (int)n, buf);
    }
    *out = (int64_t)d;
    return 0;
}

/* ---- dates --------------------------------------------------------------------------- */

int expr_date_part(const struct sl_value *v, enum fn_id id)
{
    int32_t days;
    int64_t tod = 0;
    if (v->type == SL_T_DATE) {
        days = v->u.days;
    } else {
        days = (int32_t)floor_div(v->u.us, US_PER_DAY);
        tod = v->u.us - (int64_t)days * US_PER_DAY;
    }
    int y, m, d;
    types_civil_from_days(days, &y, &m, &d);
    switch (id) {
    case FN_YEAR:
        return y;
    case FN_MONTH:
        return m;
    case FN_DAY:
        return d;
    case FN_HOUR:
        return (int)(tod / INT64_C(3600000000));
    case FN_MINUTE:
        return (int)(tod / 60000000 % 60);
    case FN_SECOND:
        return (int)(tod / 1000000 % 60);
    case FN_QUARTER:
        return (m - 1) / 3 + 1;
    default: /* FN_DAYOFWEEK: 1970-01-01 was a Thursday (4) */
        return (int)((((int64_t)days + 3) % 7 + 7) % 7) + 1;
    }
}

static int to_date(struct ev_ctx *cx, const struct sl_value *a, struct sl_value *out)
{
    out->type = SL_T_DATE;
    if (a->type == SL_T_DATE) {
        out->u.days = a->u.days;
    } else if (a->type == SL_T_DATETIME) {
        out->u.days = (int32_t)floor_div(a->u.us, US_PER_DAY);
    } else if (types_parse_date(a->u.s.p, a->u.s.n, NULL, &out->u.days) != 0) {
        return ev_fail(cx, "date(): cannot parse '%.*s' as a date (YYYY-MM-DD)", shown_len(a),
                       a->u.s.p);
    }
    return 0;
}

static int to_datetime(struct ev_ctx *cx, const struct sl_value *a, struct sl_value *out)
{
    out->type = SL_T_DATETIME;
    if (a->type == SL_T_DATE) {
        out->u.us = (int64_t)a->u.days * US_PER_DAY;
    } else if (a->type == SL_T_DATETIME) {
        out->u.us = a->u.us;
    } else if (types_parse_datetime(a->u.s.p, a->u.s.n, NULL, &out->u.us) != 0) {
        int32_t days;
        if (types_parse_date(a->u.s.p, a->u.s.n, NULL, &days) != 0) {
            return ev_fail(cx, "datetime(): cannot parse '%.*s' as a datetime "
                               "(YYYY-MM-DD[ HH:MM[:SS]])", shown_len(a), a->u.s.p);
        }
        out->u.us = (int64_t)days * US_PER_DAY;
    }
    return 0;
}

/* Scratch bytes for strftime's output: more than any pattern of n bytes can produce. */
static size_t strftime_cap(size_t n)
{
    return 64 + 16 * n;
}

int expr_strftime_day(struct ev_ctx *cx, const struct sl_value *fmt, int32_t days,
                      struct sl_value *out)
{
    size_t cap = strftime_cap(fmt->u.s.n);
    void *mem;
    int rc = expr_scratch_alloc(cx->scratch, cap, 1, &mem, cx->err);
    if (rc != 0) {
        return rc;
    }
    char *buf = mem;
    int n = types_strftime_day(days, fmt->u.s.p, fmt->u.s.n, buf, cap);
    if (n < 0) {
        return ev_fail(cx, "strftime output too long");
    }
    expr_scratch_trim(cx->scratch, buf, (size_t)n);
    set_str(out, buf, (size_t)n);
    return 0;
}

static int ev_strftime(struct ev_ctx *cx, const struct sl_value *a, struct sl_value *out)
{
    int64_t us = a[1].type == SL_T_DATE ? (int64_t)a[1].u.days * US_PER_DAY : a[1].u.us;
    size_t cap = strftime_cap(a[0].u.s.n);
    void *mem;
    int rc = expr_scratch_alloc(cx->scratch, cap, 1, &mem, cx->err);
    if (rc != 0) {
        return rc;
    }
    char *buf = mem;
    int n = types_strftime(us, a[0].u.s.p, buf, cap);
    if (n < 0) {
        return ev_fail(cx, "strftime output too long");
    }
    expr_scratch_trim(cx->scratch, buf, (size_t)n);
    set_str(out, buf, (size_t)n);
    return 0;
}

/* ---- strings ------------------------------------------------------------------------- */

/* Byte offset of code point idx (0-based), or n when the string is shorter. */
static size_t cp_offset(const char *p, size_t n, int64_t idx)
{
    int64_t c = -1;
    for (size_t i = 0; i < n; i++) {
        if (((unsigned char)p[i] & 0xC0) != 0x80 && ++c == idx) {
            return i;
        }
    }
    return n;
}

static void ev_substr(const struct sl_value *a, size_t nargs, struct sl_value *out)
{
    int64_t from = a[1].u.i;
    int64_t to = INT64_MAX; /* [from, to) in 1-based code points */
    if (nargs == 3) {
        int64_t len = a[2].u.i < 0 ? 0 : a[2].u.i;
        to = from > INT64_MAX - len ? INT64_MAX : from + len;
    }
    if (from < 1) {
        from = 1;
    }
    if (to <= from) {
        set_str(out, a[0].u.s.p, 0);
        return;
    }
    size_t b0 = cp_offset(a[0].u.s.p, a[0].u.s.n, from - 1);
    size_t b1 = to == INT64_MAX ? a[0].u.s.n : cp_offset(a[0].u.s.p, a[0].u.s.n, to - 1);
    set_str(out, a[0].u.s.p + b0, b1 - b0);
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static int ev_case(struct ev_ctx *cx, const struct sl_value *a, int upper,
                   struct sl_value *out)
{
    size_t n = a->u.s.n;
    void *mem;
    int rc = expr_scratch_alloc(cx->scratch, n > 0 ? n : 1, 1, &mem, cx->err);
    if (rc != 0) {
        return rc;
    }
    char *buf = mem;
    for (size_t i = 0; i < n; i++) {
        char c = a->u.s.p[i];
        if (upper && c >= 'a' && c <= 'z') {
            c = (char)(c - 32);
        } else if (!upper && c >= 'A' && c <= 'Z') {
            c = (char)(c + 32);
        }
        buf[i] = c;
    }
    set_str(out, buf, n);
    return 0;
}

static int ev_string(struct ev_ctx *cx, const struct sl_value *a, struct sl_value *out)
{
    if (a->type == SL_T_STR) {
        *out = *a;
        return 0;
    }
    char tmp[TEXT_MAX];
    const char *p;
    size_t n;
    text_of(a, tmp, &p, &n);
    void *mem;
    int rc = expr_scratch_alloc(cx->scratch, n, 1, &mem, cx->err);
    if (rc != 0) {
        return rc;
    }
    char *buf = mem;
    memcpy(buf, p, n);
    set_str(out, buf, n);
    return 0;
}

static int ev_concat(struct ev_ctx *cx, const struct enode *nd, const uint16_t *k,
                     struct sl_value *out)
{
    struct sl_value local[8];
    struct sl_value *vals = local;
    if (nd->nkids > 8) {
        void *mem;
        int rc = expr_scratch_alloc(cx->scratch, nd->nkids * sizeof(*vals), 8, &mem, cx->err);
        if (rc != 0) {
            return rc;
        }
        vals = mem;
    }
    size_t bound = 0;
    for (size_t i = 0; i < nd->nkids; i++) {
        int rc = ev_node(cx, k[i], &vals[i]);
        if (rc != 0) {
            return rc;
        }
        bound += vals[i].type == SL_T_STR ? vals[i].u.s.n : TEXT_MAX;
    }
    void *mem;
    int rc = expr_scratch_alloc(cx->scratch, bound > 0 ? bound : 1, 1, &mem, cx->err);
    if (rc != 0) {
        return rc;
    }
    char *buf = mem;
    size_t len = 0;
    for (size_t i = 0; i < nd->nkids; i++) {
        const char *p;
        size_t n;
        text_of(&vals[i], buf + len, &p, &n);
        if (p != buf + len && n > 0) {
            memcpy(buf + len, p, n);
        }
        len += n;
    }
    expr_scratch_trim(cx->scratch, buf, len);
    set_str(out, buf, len);
    return 0;
}

/* ---- calls ----------------------------------------------------------------------------- */

static int ev_convert(struct ev_ctx *cx, enum fn_id id, const struct sl_value *a,
                      struct sl_value *out)
{
    if (id == FN_INT) {
        out->type = SL_T_INT;
        switch (a->type) {
        case SL_T_INT:
            out->u.i = a->u.i;
            return 0;
        case SL_T_NUM:
            return to_int(cx, "int", trunc(a->u.d), &out->u.i);
        case SL_T_BOOL:
            out->u.i = a->u.b;
            return 0;
        default:
            if (types_parse_int(a->u.s.p, a->u.s.n, &out->u.i) != 0) {
                return ev_fail(cx, "int(): cannot convert '%.*s' to an integer",
                               shown_len(a), a->u.s.p);
            }
            return 0;
        }
    }
    out->type = SL_T_NUM;
    switch (a->type) {
    case SL_T_INT:
        out->u.d = (double)a->u.i;
        return 0;
    case SL_T_NUM:
        out->u.d = a->u.d;
        return 0;
    case SL_T_BOOL:
        out->u.d = a->u.b;
        return 0;
    default:
        if (types_parse_num(a->u.s.p, a->u.s.n, '.', 0, &out->u.d) != 0) {
            return ev_fail(cx, "number(): cannot convert '%.*s' to a number", shown_len(a),
                           a->u.s.p);
        }
        return 0;
    }
}

/* Functions whose null arguments make a null result; a[] holds the non-null arguments. */
static int ev_strict(struct ev_ctx *cx, const struct enode *nd, const struct sl_value *a,
                     struct sl_value *out)
{
    enum fn_id id = (enum fn_id)nd->aux;
    switch (id) {
    case FN_ABS:
        *out = a[0];
        if (a[0].type == SL_T_NUM) {
            out->u.d = fabs(a[0].u.d);
        } else if (a[0].u.i == INT64_MIN) {
            return ev_fail(cx, "integer overflow");
        } else {
            out->u.i = a[0].u.i < 0 ? -a[0].u.i : a[0].u.i;
        }
        return 0;
    case FN_ROUND: {
        int64_t nd_ = nd->nkids == 2 ? a[1].u.i : 0;
        *out = a[0];
        if (a[0].type == SL_T_INT) {
            return round_int(cx, a[0].u.i, nd_, &out->u.i);
        }
        out->u.d = round_num(a[0].u.d, nd_);
        return 0;
    }
    case FN_FLOOR:
    case FN_CEIL:
        out->type = SL_T_INT;
        if (a[0].type == SL_T_INT) {
            out->u.i = a[0].u.i;
            return 0;
        }
        return to_int(cx, id == FN_FLOOR ? "floor" : "ceil",
                      id == FN_FLOOR ? floor(a[0].u.d) : ceil(a[0].u.d), &out->u.i);
    case FN_YEAR:
    case FN_MONTH:
    case FN_DAY:
    case FN_HOUR:
    case FN_MINUTE:
    case FN_SECOND:
    case FN_QUARTER:
    case FN_DAYOFWEEK:
        out->type = SL_T_INT;
        out->u.i = expr_date_part(&a[0], id);
        return 0;
    case FN_DATE:
        return to_date(cx, &a[0], out);
    case FN_DATETIME:
        return to_datetime(cx, &a[0], out);
    case FN_STRFTIME:
        return ev_strftime(cx, a, out);
    case FN_INT:
    case FN_NUMBER:
        return ev_convert(cx, id, &a[0], out);
    case FN_STRING:
        return ev_string(cx, &a[0], out);
    case FN_LENGTH: {
        int64_t c = 0;
        for (size_t i = 0; i < a[0].u.s.n; i++) {
            c += ((unsigned char)a[0].u.s.p[i] & 0xC0) != 0x80;
        }
        out->type = SL_T_INT;
        out->u.i = c;
        return 0;
    }
    case FN_LOWER:
    case FN_UPPER:
        return ev_case(cx, &a[0], id == FN_UPPER, out);
    case FN_TRIM: {
        const char *p = a[0].u.s.p;
        size_t n = a[0].u.s.n;
        while (n > 0 && is_space(p[0])) {
            p++;
            n--;
        }
        while (n > 0 && is_space(p[n - 1])) {
            n--;
        }
        set_str(out, p, n);
        return 0;
    }
    case FN_SUBSTR:
        ev_substr(a, nd->nkids, out);
        return 0;
    case FN_STARTS_WITH:
    case FN_ENDS_WITH:
    case FN_CONTAINS: {
        const char *s = a[0].u.s.p, *q = a[1].u.s.p;
        size_t sn = a[0].u.s.n, qn = a[1].u.s.n;
        int r = 0;
        if (qn == 0) {
            r = 1;
        } else if (qn <= sn) {
            r = id == FN_STARTS_WITH ? memcmp(s, q, qn) == 0
                : id == FN_ENDS_WITH ? memcmp(s + sn - qn, q, qn) == 0
                                     : memmem(s, sn, q, qn) != NULL;
        }
        out->type = SL_T_BOOL;
        out->u.b = r;
        return 0;
    }
    default:
        return sl_error_set(cx->err, SL_EBUG, "function %d cannot be evaluated", (int)id);
    }
}

int ev_call(struct ev_ctx *cx, const struct enode *nd, struct sl_value *out)
{
    const uint16_t *k = cx->e->kids + nd->kid;
    enum fn_id id = (enum fn_id)nd->aux;
    enum sl_type type = (enum sl_type)nd->type;
    struct sl_value a[3];
    int rc;
    memset(a, 0, sizeof(a)); /* gcc cannot see that ev_strict reads only nkids slots */
    switch (id) {
    case FN_MIN:
    case FN_MAX: {
        enum cmp_dom dom = expr_dom_of(type);
        int want = id == FN_MIN ? -1 : 1;
        for (size_t i = 0; i < nd->nkids; i++) {
            rc = ev_node(cx, k[i], &a[0]);
            if (rc != 0 || a[0].type == SL_T_NULL) {
                out->type = SL_T_NULL;
                return rc;
            }
            ev_coerce(&a[0], type);
            if (i == 0 || expr_compare(dom, &a[0], out) == want) {
                *out = a[0];
            }
        }
        return 0;
    }
    case FN_COALESCE:
        for (size_t i = 0; i < nd->nkids; i++) {
            rc = ev_node(cx, k[i], out);
            if (rc != 0 || out->type != SL_T_NULL) {
                ev_coerce(out, type);
                return rc;
            }
        }
        return 0;
    case FN_IF:
        rc = ev_node(cx, k[0], &a[0]);
        if (rc != 0) {
            return rc;
        }
        rc = ev_node(cx, (a[0].type == SL_T_BOOL && a[0].u.b) ? k[1] : k[2], out);
        ev_coerce(out, type);
        return rc;
    case FN_NULLIF: {
        enum sl_type u = SL_T_NULL;
        rc = ev_node(cx, k[0], out);
        if (rc != 0 || out->type == SL_T_NULL) {
            return rc;
        }
        rc = ev_node(cx, k[1], &a[1]);
        if (rc != 0 || a[1].type == SL_T_NULL) {
            return rc;
        }
        expr_unify((enum sl_type)cx->e->nodes[k[0]].type, (enum sl_type)cx->e->nodes[k[1]].type,
                   &u);
        if (expr_compare(expr_dom_of(u), out, &a[1]) == 0) {
            out->type = SL_T_NULL;
        }
        return 0;
    }
    case FN_CONCAT:
        return ev_concat(cx, nd, k, out);
    default:
        break;
    }
    for (size_t i = 0; i < nd->nkids; i++) {
        rc = ev_kid(cx, k[i], &a[i]);
        if (rc != 0 || a[i].type == SL_T_NULL) {
            out->type = SL_T_NULL;
            return rc;
        }
    }
    return ev_strict(cx, nd, a, out);
}
