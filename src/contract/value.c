/* value.c - names of the contract's scalar types. */
#include "contract/value.h"

#include <string.h>

static const char *const type_names[] = {
    [SL_T_NULL] = "null",     [SL_T_INT] = "integer", [SL_T_NUM] = "number",
    [SL_T_STR] = "string",    [SL_T_BOOL] = "boolean", [SL_T_DATE] = "date",
    [SL_T_DATETIME] = "datetime",
};

const char *sl_type_name(enum sl_type t)
{
    if ((size_t)t >= sizeof(type_names) / sizeof(type_names[0])) {
        return "unknown";
    }
    return type_names[t];
}

int sl_type_from_name(const char *name, enum sl_type *out)
{
    for (size_t i = 1; i < sizeof(type_names) / sizeof(type_names[0]); i++) {
        if (strcmp(name, type_names[i]) == 0) {
            *out = (enum sl_type)i;
            return 0;
        }
    }
    return -1;
}

int sl_value_cmp(const struct sl_value *a, const struct sl_value *b)
{
    switch (a->type) {
    case SL_T_INT:
        return (a->u.i > b->u.i) - (a->u.i < b->u.i);
    case SL_T_NUM:
        return (a->u.d > b->u.d) - (a->u.d < b->u.d);
    case SL_T_DATE:
        return (a->u.days > b->u.days) - (a->u.days < b->u.days);
    case SL_T_DATETIME:
        return (a->u.us > b->u.us) - (a->u.us < b->u.us);
    case SL_T_BOOL:
        return (a->u.b != 0) - (b->u.b != 0);
    case SL_T_STR: {
        size_t n = a->u.s.n < b->u.s.n ? a->u.s.n : b->u.s.n;
        int c = n ? memcmp(a->u.s.p, b->u.s.p, n) : 0;
        if (c != 0) {
            return c < 0 ? -1 : 1;
        }
        return (a->u.s.n > b->u.s.n) - (a->u.s.n < b->u.s.n);
    }
    case SL_T_NULL:
        break;
    }
    return 0;
}
