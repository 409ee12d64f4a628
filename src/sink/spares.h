/* spares.h - files made ahead of need: unnamed (O_TMPFILE) inodes opened in a folder while
 * the daemon is idle, given a name (linkat) when a Parquet temporary is created.  On ext4
 * an inode allocation can cost 0.3-0.7 ms right after many files were deleted nearby (it
 * skips recently freed inodes one by one); made ahead, that cost leaves a file's latency.
 * Unnamed inodes vanish with the process: nothing to clean up after a crash. */
#ifndef SL_SPARES_H
#define SL_SPARES_H

/* Opens spare inodes in dir until `want` are held, stopping early when busy(ctx) says work
 * is waiting.  A folder that cannot hold them (no O_TMPFILE: NFS, old kernels) is noted and
 * not tried again.  Spares of another folder are dropped first. */
void spares_fill(const char *dir, int want, int (*busy)(void *), void *ctx);
/* Creates path (O_WRONLY, new: fails with EEXIST when it exists) from a spare when one is
 * held and can be linked there, else with open(O_CREAT|O_EXCL).  An fd, or -1 and errno. */
int spares_create(const char *path, int mode);
/* Closes every spare (their inodes are freed). */
void spares_drop(void);
/* Spares held now (tests). */
int spares_held(void);

#endif
