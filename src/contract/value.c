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
