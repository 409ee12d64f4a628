/* backoff.h - the retry schedule of a transient failure: exponential with a cap and jitter
 * (retry.base_delay, retry.factor, retry.max_delay, retry.jitter). */
#ifndef SL_BACKOFF_H
#define SL_BACKOFF_H

#include <stdint.h>

#include "core/config.h"

/* The wait before attempt + 1, after `attempt` failed attempts (1 = the first one):
 * d = min(max_delay, base_delay * factor^(attempt - 1)); full jitter draws from [0, d],
 * equal jitter from [d/2, d], none gives d.  *rng is the caller's xorshift state (nonzero). */
int64_t backoff_delay_ms(const struct config *cfg, unsigned attempt, uint64_t *rng);

#endif
