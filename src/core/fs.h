/* fs.h - the filesystem operations sluice's commit protocol relies on: create folders,
 * fsync files and folders, move without ever replacing, list a folder's regular files.
 * All return 0 or a negative SL_E* with err naming the path and strerror.
 */
#ifndef SL_FS_H
#define SL_FS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/error.h"

int fs_mkdir_p(const char *path, struct sl_error *err);       /* mode 0750, umask applies */
/* The same; *created is 1 when it created at least one folder. */
int fs_mkdir_p_created(const char *path, int *created, struct sl_error *err);
int fs_mkdir_parent(const char *path, struct sl_error *err);  /* the folder holding path */
int fs_fsync_path(const char *path, struct sl_error *err);    /* a file or a folder */
int fs_write_all(int fd, const void *p, size_t n);            /* 0 or -1 (errno set) */

/* Creates path as an empty file with mode 0640 (umask applies) and its folders (0750) when it
 * does not exist; an existing file is left as it is.  Never follows a symlink at path.  Used
 * for the SQLite database, which SQLite itself would create 0644 (its -wal and -shm files
 * copy the database's mode). */
int fs_ensure_private_file(const char *path, struct sl_error *err);

/* Writes data to path (created 0640, must not exist), fsyncs it. */
int fs_write_new_file(const char *path, const void *data, size_t n, struct sl_error *err);

/* Moves src to the folder dst_dir under want (or, if taken, under want with ".N" inserted
 * before the extension, N = 1, 2, ...; kept within NAME_MAX), never replacing anything
 * (renameat2 RENAME_NOREPLACE; link+unlink where the filesystem lacks it).  The final name
 * is written to final (cap bytes).  fsyncs dst_dir. */
int fs_move_unique(const char *src, const char *dst_dir, const char *want, char *final,
                   size_t cap, struct sl_error *err);

/* The same without the fsync of dst_dir: the caller fsyncs it (dirset) before relying on
 * the move, e.g. once for a whole group of files. */
int fs_move_unique_nosync(const char *src, const char *dst_dir, const char *want, char *final,
                          size_t cap, struct sl_error *err);

/* A set of folders to fsync once each, however many entries changed in them. */
struct dirset {
    char **v;
    size_t n, cap;
    int failed; /* out of memory: dirset_fsync reports it */
};
void dirset_add(struct dirset *s, const char *dir);
void dirset_add_parent(struct dirset *s, const char *path); /* the folder holding path */
int dirset_fsync(struct dirset *s, struct sl_error *err);  /* fsyncs each, then empties */
void dirset_free(struct dirset *s);

/* A name with ".N" inserted before its extension (or appended when it has none), truncated
 * so the result fits NAME_MAX.  n == 0 returns the name unchanged (truncated if needed). */
void fs_name_variant(const char *name, unsigned n, char *out, size_t cap);

struct fs_entry {
    char *name;
    int64_t mtime_ns;
    uint64_t size;
};
/* Regular (non-symlink) files of dir whose names pass accept (NULL = all), oldest first
 * (mtime, then name).  *out is a new array (free with fs_entries_free).  Accepted names that
 * are not regular files (symlinks, FIFOs, folders, devices) are passed to skipped, if not
 * NULL, with the reason. */
int fs_list(const char *dir, int (*accept)(const char *name),
            void (*skipped)(const char *name, const char *why), struct fs_entry **out, size_t *n,
            struct sl_error *err);
void fs_entries_free(struct fs_entry *e, size_t n);

/* path_join into buf; returns -1 when it does not fit. */
int fs_join(char *buf, size_t cap, const char *dir, const char *name);
int fs_exists(const char *path);

#endif
