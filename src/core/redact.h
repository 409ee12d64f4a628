/* redact.h - keeps secrets (webhook URLs, HMAC keys, SMTP passwords) out of logs, status
 * pages and error messages.  Every message that may quote a notifier's endpoint or a
 * library's error text goes through these before it is written anywhere.
 */
#ifndef SL_REDACT_H
#define SL_REDACT_H

#include <stddef.h>

#define REDACTED "***"

/* A URL reduced to what identifies the endpoint without revealing a token: the URL
 * https://hooks.slack.com/services/T0/B0/XYZ becomes https://hooks.slack.com/ followed by
 * ***.  The scheme, host and port stay; user info, path, query and fragment become ***.  Text that is
 * not a URL becomes "***".  Always NUL-terminates out (cap > 0); returns out. */
const char *redact_url(const char *url, char *out, size_t cap);

/* Copies in to out (cap > 0, always NUL-terminated, truncated to fit) with every occurrence
 * of each of the n secrets (NULL or empty ones are skipped) replaced by ***.  Returns out. */
const char *redact_text(const char *in, char *out, size_t cap, const char *const *secrets,
                        size_t n);

#endif
