/* failpoint.h - named crash points for the crash-point sweep test (tests/e2e/t_crashpoints.sh).
 *
 * SLUICE_FAILPOINT=NAME[@N] makes the N-th pass (default the first) through the point NAME
 * kill the process with SIGKILL: a real crash, at an exact step of the commit protocol.
 * Unset (always, outside the tests) a point costs one load and one branch.
 *
 * A build with -DSL_PROTOCOL_BUG=1 (never the normal one) also reads SLUICE_PROTOCOL_BUG:
 * "archive_before_commit" or "skip_dup_lookup" break the protocol on purpose, so that the
 * test proves the sweep detects lost or duplicated rows.
 */
#ifndef SL_FAILPOINT_H
#define SL_FAILPOINT_H

extern const char *fp_name; /* NULL when no failpoint is set */
void fp_init(void);          /* reads the environment; call once at start */
void fp_check(const char *name);

#define FAILPOINT(name)                                                                        \
    do {                                                                                       \
        if (fp_name != NULL) {                                                                 \
            fp_check(name);                                                                    \
        }                                                                                      \
    } while (0)

/* Injected errors: SLUICE_FAULT=NAME:ERRNO[:COUNT] makes the point NAME fail with ERRNO for
 * its first COUNT passes (default 1).  FAULT(name) is 0, or the errno to fail with. */
extern const char *fault_name;
int fp_fault(const char *name);
#define FAULT(name) (fault_name != NULL ? fp_fault(name) : 0)

/* 1 when the protocol bug named is switched on (only in a -DSL_PROTOCOL_BUG build). */
int fp_bug(const char *name);

#endif
