/* backoff.c - see backoff.h. */
#include "core/backoff.h"

static uint64_t next_rand(uint64_t *s)
{
    uint64_t x = *s ? *s : 0x9e3779b97f4a7c15ULL;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *s = x;
    return x;
}

int64_t backoff_delay_ms(const struct config *cfg, unsigned attempt, uint64_t *rng)
{
    double d = (double)cfg->retry_base_ms;
    for (unsigned i = 1; i < attempt && d < (double)cfg->retry_max_ms; i++) {
        d *= cfg->retry_factor;
    }
    if (d > (double)cfg->retry_max_ms) {
        d = (double)cfg->retry_max_ms;
    }
    int64_t cap = (int64_t)d;
    switch (cfg->retry_jitter) {
    case 0: /* full */
        return (int64_t)(next_rand(rng) % (uint64_t)(cap + 1));
    case 1: /* equal */
        return cap / 2 + (int64_t)(next_rand(rng) % (uint64_t)(cap - cap / 2 + 1));
    default:
        return cap;
    }
}
