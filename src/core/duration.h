/* duration.h - durations as people write them on a command line or in sluice.yaml:
 * "500ms", "5s", "2m", "1h" (an integer and one unit), or a bare integer meaning seconds
 * (the seed's `interval_sec`).  Used by `sluice run` options and the watch.* config keys.
 */
#ifndef SL_DURATION_H
#define SL_DURATION_H

#include <stddef.h>
#include <stdint.h>

#define DURATION_MAX_MS ((int64_t)7 * 24 * 3600 * 1000) /* a week: anything longer is a typo */

/* Parses the n bytes of s into milliseconds.  Returns 0, or -1 when the text is malformed
 * (no digits, unknown unit, sign, spaces, fraction) or longer than DURATION_MAX_MS. */
int duration_parse(const char *s, size_t n, int64_t *ms);

/* Formats ms compactly ("1500ms", "5s", "2m", "1h") into buf; returns buf. */
const char *duration_format(int64_t ms, char *buf, size_t cap);

#endif
