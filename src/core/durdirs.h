/* durdirs.h - folders whose own names are known durable in this process: every folder
 * above them, up to a root, was fsynced after they came to exist.  A new file in such a
 * folder needs only that folder's fsync to survive a crash, not the whole chain's. */
#ifndef SL_DURDIRS_H
#define SL_DURDIRS_H

int durdirs_known(const char *dir);
void durdirs_add(const char *dir);
/* Forgets everything: a folder was (re)created, or the root changed. */
void durdirs_reset(void);

#endif
