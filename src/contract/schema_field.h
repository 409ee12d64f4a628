/* schema_field.h - internal to the contract loader (schema.c): one field of a Table Schema.
 *
 * Split from schema.c to keep both files small; nothing outside src/contract uses it.
 */
#ifndef SL_SCHEMA_FIELD_H
#define SL_SCHEMA_FIELD_H

#include <stddef.h>

#include "contract/schema.h"
#include "core/error.h"

#define SCHEMA_MAX_NAME 256 /* bytes of a field name */

struct fy_node;

/* Fills f (zeroed by the caller, with type string, decimal_char '.', min_len and max_len -1)
 * from the idx-th item of 'fields'.  On error f may hold partial allocations: the caller
 * frees them with the contract.  Returns 0, SL_ECONFIG or SL_ENOMEM. */
int schema_parse_field(const char *source, struct fy_node *item, size_t idx,
                       struct field_def *f, struct sl_error *err);

#endif
