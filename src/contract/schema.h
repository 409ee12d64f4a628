/* schema.h - the data contract: a Frictionless Table Schema (YAML or JSON).
 *
 * Supported: fields[] with name, type (integer|number|string|boolean|date|datetime), format
 * (date/datetime patterns), title/description (ignored), constraints {required, unique,
 * minimum, maximum, enum, pattern, minLength, maxLength}, and top-level primaryKey (string or
 * list) and missingValues (default [""]).  Number fields also take decimalChar/groupChar.
 * Unknown keys are errors that name the file, line and key.  primaryKey fields are
 * required and (jointly) unique.
 */
#ifndef SL_SCHEMA_H
#define SL_SCHEMA_H

#include <regex.h>
#include <stddef.h>
#include <stdint.h>

#include "contract/value.h"
#include "core/error.h"

struct field_def {
    char *name;
    enum sl_type type; /* never SL_T_NULL */
    char *format;      /* date/datetime pattern or NULL for the default */
    char decimal_char; /* number: '.' by default */
    char group_char;   /* number: 0 = none */
    int required;
    int unique;        /* single-column unique (primary key columns are handled via pk) */
    int has_min, has_max;
    struct sl_value min, max;  /* same type as the field (int/num/date/datetime) */
    size_t n_enum;
    char **enum_src;           /* enum values as written (for messages) */
    struct sl_value *enum_vals; /* typed; strings point into enum_src */
    char *pattern;             /* as written, or NULL */
    regex_t pattern_re;        /* compiled as ^(pattern)$ POSIX extended, when pattern */
    int64_t min_len, max_len;  /* -1 when absent; counted in Unicode code points */
    int line;                  /* line of the field in its file, for messages */
};

struct contract {
    char *source;  /* file path, or "<embedded default>" */
    size_t nfields;
    struct field_def *fields;
    size_t npk;
    size_t *pk;    /* indexes into fields */
    size_t nmissing;
    char **missing_values; /* cells equal to one of these are null; default {""} */
};

struct fy_node;
/* Builds a contract from a parsed YAML/JSON mapping node (borrowed).  source names the file
 * for error messages.  Returns 0 with *out new (free with contract_destroy), or SL_ECONFIG. */
int contract_from_node(struct fy_node *node, const char *source, struct contract **out,
                       struct sl_error *err);
/* Loads a Table Schema file (.yaml, .yml or .json). */
int contract_load_file(const char *path, struct contract **out, struct sl_error *err);
void contract_destroy(struct contract *c);

/* Index of the field named name, or -1. */
int contract_field_index(const struct contract *c, const char *name);

#endif
