/* error.c - names and classes of the error codes, and the first-error-wins setter. */
#include "core/error.h"

#include <stdarg.h>
#include <stdio.h>

struct errinfo {
    const char *name;
    char cls;
};

static const struct errinfo errtab[] = {
    {"ok", 'P'},
#define SL_X_TAB(code, name, cls) {name, cls},
    SL_ERRORS(SL_X_TAB)
#undef SL_X_TAB
};

static const struct errinfo *lookup(int code)
{
    int idx = -code;
    if (idx < 0 || (size_t)idx >= sizeof(errtab) / sizeof(errtab[0])) {
        return NULL;
    }
    return &errtab[idx];
}

const char *sl_errname(int code)
{
    const struct errinfo *e = lookup(code);
    return e ? e->name : "unknown_error";
}

char sl_errclass(int code)
{
    const struct errinfo *e = lookup(code);
    return e ? e->cls : 'P';
}

const char *sl_errclass_name(int code)
{
    switch (sl_errclass(code)) {
    case 'T':
        return "transient";
    case 'B':
        return "bug";
    default:
        return "permanent";
    }
}

int sl_error_set(struct sl_error *err, int code, const char *fmt, ...)
{
    if (err == NULL || err->code != 0) {
        return code;
    }
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    return code;
}

void sl_error_clear(struct sl_error *err)
{
    if (err != NULL) {
        err->code = 0;
        err->msg[0] = '\0';
    }
}
