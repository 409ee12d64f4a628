/* failpoint.c - see failpoint.h. */
#include "core/failpoint.h"

#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *fp_name;
static char name_buf[64];
static long fp_at = 1;
static atomic_long fp_hits;

const char *fault_name;
static char fault_buf[64];
static int fault_errno;
static long fault_count = 1;
static atomic_long fault_hits;

static void fault_init(void)
{
    const char *v = getenv("SLUICE_FAULT");
    if (v == NULL || v[0] == '\0') {
        return;
    }
    size_t n = strcspn(v, ":");
    if (n >= sizeof(fault_buf) || v[n] != ':') {
        return;
    }
    memcpy(fault_buf, v, n);
    fault_buf[n] = '\0';
    char *end;
    fault_errno = (int)strtol(v + n + 1, &end, 10);
    if (*end == ':') {
        fault_count = strtol(end + 1, NULL, 10);
    }
    if (fault_errno > 0) {
        fault_name = fault_buf;
    }
}

int fp_fault(const char *name)
{
    if (strcmp(name, fault_name) == 0 && atomic_fetch_add(&fault_hits, 1) < fault_count) {
        return fault_errno;
    }
    return 0;
}

void fp_init(void)
{
    fault_init();
    const char *v = getenv("SLUICE_FAILPOINT");
    if (v == NULL || v[0] == '\0') {
        return;
    }
    size_t n = strcspn(v, "@");
    if (n >= sizeof(name_buf)) {
        return;
    }
    memcpy(name_buf, v, n);
    name_buf[n] = '\0';
    if (v[n] == '@') {
        fp_at = strtol(v + n + 1, NULL, 10);
        if (fp_at < 1) {
            fp_at = 1;
        }
    }
    fp_name = name_buf;
}

void fp_check(const char *name)
{
    if (strcmp(name, fp_name) == 0 && atomic_fetch_add(&fp_hits, 1) + 1 == fp_at) {
        static const char msg[] = "sluice: failpoint reached: SIGKILL\n";
        (void)!write(2, msg, sizeof(msg) - 1);
        raise(SIGKILL);
    }
}

int fp_bug(const char *name)
{
#if defined(SL_PROTOCOL_BUG) && SL_PROTOCOL_BUG
    const char *v = getenv("SLUICE_PROTOCOL_BUG");
    return v != NULL && strcmp(v, name) == 0;
#else
    (void)name;
    return 0;
#endif
}
