/* fs.c - folder creation, fsync, no-replace moves and folder listing for the commit
 * protocol.  Moves never overwrite: a name collision gets a ".N" variant instead. */
#include "core/fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int fs_join(char *buf, size_t cap, const char *dir, const char *name)
{
    int n = snprintf(buf, cap, "%s/%s", dir, name);
    return (n < 0 || (size_t)n >= cap) ? -1 : 0;
}

int fs_exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

int fs_mkdir_p(const char *path, struct sl_error *err)
{
    int created;
    return fs_mkdir_p_created(path, &created, err);
}

int fs_mkdir_p_created(const char *path, int *created, struct sl_error *err)
{
    char buf[PATH_MAX];
    *created = 0;
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof(buf)) {
        return sl_error_set(err, SL_EIO, "bad folder path '%s'", path);
    }
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != '\0') {
            continue;
        }
        char saved = buf[i];
        buf[i] = '\0';
        if (mkdir(buf, 0750) == 0) {
            *created = 1;
        } else if (errno != EEXIST) {
            return sl_error_set(err, SL_EIO, "cannot create folder %s: %s", buf, strerror(errno));
        }
        buf[i] = saved;
    }
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
        return sl_error_set(err, SL_EIO, "%s is not a folder", path);
    }
    return 0;
}

int fs_mkdir_parent(const char *path, struct sl_error *err)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL || slash == path) {
        return 0;
    }
    char buf[PATH_MAX];
    size_t n = (size_t)(slash - path);
    if (n >= sizeof(buf)) {
        return sl_error_set(err, SL_EIO, "path too long: %s", path);
    }
    memcpy(buf, path, n);
    buf[n] = '\0';
    return fs_mkdir_p(buf, err);
}

int fs_fsync_path(const char *path, struct sl_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return sl_error_set(err, SL_EIO, "cannot open %s to fsync: %s", path, strerror(errno));
    }
    int rc = 0;
    if (fsync(fd) != 0) {
        rc = sl_error_set(err, SL_EIO, "fsync %s: %s", path, strerror(errno));
    }
    close(fd);
    return rc;
}

int fs_write_all(int fd, const void *p, size_t n)
{
    const char *s = p;
    while (n > 0) {
        ssize_t w = write(fd, s, n);
        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -1;
        }
        s += w;
        n -= (size_t)w;
    }
    return 0;
}

int fs_ensure_private_file(const char *path, struct sl_error *err)
{
    int rc = fs_mkdir_parent(path, err);
    if (rc != 0) {
        return rc;
    }
    /* O_EXCL: an existing file (or symlink, or anything else) is never opened here */
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
    if (fd < 0) {
        if (errno == EEXIST) {
            return 0;
        }
        return sl_error_set(err, SL_EIO, "cannot create %s: %s", path, strerror(errno));
    }
    close(fd);
    return 0;
}

int fs_write_new_file(const char *path, const void *data, size_t n, struct sl_error *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    if (fd < 0) {
        return sl_error_set(err, SL_EIO, "cannot create %s: %s", path, strerror(errno));
    }
    int rc = 0;
    if (fs_write_all(fd, data, n) != 0 || fsync(fd) != 0) {
        rc = sl_error_set(err, SL_EIO, "cannot write %s: %s", path, strerror(errno));
    }
    if (close(fd) != 0 && rc == 0) {
        rc = sl_error_set(err, SL_EIO, "cannot close %s: %s", path, strerror(errno));
    }
    if (rc != 0) {
        unlink(path);
    }
    return rc;
}

void fs_name_variant(const char *name, unsigned n, char *out, size_t cap)
{
    char suffix[16] = "";
    if (n > 0) {
        snprintf(suffix, sizeof(suffix), ".%u", n);
    }
    size_t len = strlen(name);
    const char *dot = strrchr(name, '.');
    if (dot == NULL || dot == name) {
        dot = name + len;
    }
    size_t stem = (size_t)(dot - name);
    size_t ext = len - stem;
    size_t max = NAME_MAX < cap - 1 ? NAME_MAX : cap - 1;
    size_t slen = strlen(suffix);
    if (ext + slen > max) {
        ext = 0; /* an absurd extension: drop it rather than the whole stem */
    }
    if (stem + slen + ext > max) {
        stem = max - slen - ext;
    }
    snprintf(out, cap, "%.*s%s%.*s", (int)stem, name, suffix, (int)ext, dot);
}

static int rename_noreplace(const char *src, const char *dst)
{
    if (renameat2(AT_FDCWD, src, AT_FDCWD, dst, RENAME_NOREPLACE) == 0) {
        return 0;
    }
    if (errno != EINVAL && errno != ENOSYS) {
        return -1;
    }
    /* Filesystems without RENAME_NOREPLACE: link() refuses to replace, then drop the source. */
    if (link(src, dst) != 0) {
        return -1;
    }
    return unlink(src);
}

static int move_unique(const char *src, const char *dst_dir, const char *want, char *final,
                       size_t cap, int sync, struct sl_error *err)
{
    char name[NAME_MAX + 1];
    char dst[PATH_MAX];
    for (unsigned n = 0; n < 10000; n++) {
        fs_name_variant(want, n, name, sizeof(name));
        if (fs_join(dst, sizeof(dst), dst_dir, name) != 0) {
            return sl_error_set(err, SL_EIO, "path too long under %s", dst_dir);
        }
        if (rename_noreplace(src, dst) == 0) {
            snprintf(final, cap, "%s", name);
            return sync ? fs_fsync_path(dst_dir, err) : 0;
        }
        if (errno != EEXIST) {
            return sl_error_set(err, SL_EIO, "cannot move %s to %s: %s", src, dst,
                                strerror(errno));
        }
    }
    return sl_error_set(err, SL_EIO, "no free name for %s in %s", want, dst_dir);
}

int fs_move_unique(const char *src, const char *dst_dir, const char *want, char *final,
                   size_t cap, struct sl_error *err)
{
    return move_unique(src, dst_dir, want, final, cap, 1, err);
}

int fs_move_unique_nosync(const char *src, const char *dst_dir, const char *want, char *final,
                          size_t cap, struct sl_error *err)
{
    return move_unique(src, dst_dir, want, final, cap, 0, err);
}

void dirset_add(struct dirset *s, const char *dir)
{
    for (size_t i = 0; i < s->n; i++) {
        if (strcmp(s->v[i], dir) == 0) {
            return;
        }
    }
    if (s->n == s->cap) {
        size_t ncap = s->cap ? s->cap * 2 : 8;
        char **nv = realloc(s->v, ncap * sizeof(*nv));
        if (nv == NULL) {
            s->failed = 1;
            return;
        }
        s->v = nv;
        s->cap = ncap;
    }
    if ((s->v[s->n] = strdup(dir)) == NULL) {
        s->failed = 1;
        return;
    }
    s->n++;
}

void dirset_add_parent(struct dirset *s, const char *path)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash == NULL) {
        dirset_add(s, ".");
        return;
    }
    *slash = '\0';
    dirset_add(s, slash == dir ? "/" : dir);
}

int dirset_fsync(struct dirset *s, struct sl_error *err)
{
    int rc = s->failed ? sl_error_set(err, SL_ENOMEM, "out of memory listing folders to fsync")
                       : 0;
    for (size_t i = 0; i < s->n; i++) {
        if (rc == 0) {
            rc = fs_fsync_path(s->v[i], err);
        }
        free(s->v[i]);
    }
    s->n = 0;
    s->failed = 0;
    return rc;
}

void dirset_free(struct dirset *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->v[i]);
    }
    free(s->v);
    memset(s, 0, sizeof(*s));
}

static int entry_cmp(const void *a, const void *b)
{
    const struct fs_entry *x = a;
    const struct fs_entry *y = b;
    if (x->mtime_ns != y->mtime_ns) {
        return x->mtime_ns < y->mtime_ns ? -1 : 1;
    }
    return strcmp(x->name, y->name);
}

void fs_entries_free(struct fs_entry *e, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(e[i].name);
    }
    free(e);
}

static const char *kind_of(mode_t m)
{
    return S_ISLNK(m) ? "a symbolic link" : S_ISFIFO(m) ? "a FIFO" : S_ISDIR(m) ? "a folder"
           : S_ISSOCK(m) ? "a socket" : "a device or special file";
}

int fs_list(const char *dir, int (*accept)(const char *name),
            void (*skipped)(const char *name, const char *why), struct fs_entry **out, size_t *n,
            struct sl_error *err)
{
    int rc = SL_ENOMEM;
    struct fs_entry *v = NULL;
    size_t len = 0;
    size_t cap = 0;
    DIR *d = opendir(dir);
    if (d == NULL) {
        return sl_error_set(err, SL_EIO, "cannot open folder %s: %s", dir, strerror(errno));
    }
    struct dirent *de;
    while ((errno = 0, de = readdir(d)) != NULL) {
        if (accept != NULL && !accept(de->d_name)) {
            continue;
        }
        struct stat st;
        if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
            continue; /* vanished */
        }
        if (!S_ISREG(st.st_mode)) {
            if (skipped != NULL) {
                skipped(de->d_name, kind_of(st.st_mode)); /* never followed, opened or moved */
            }
            continue;
        }
        if (len == cap) {
            size_t ncap = cap ? cap * 2 : 64;
            struct fs_entry *nv = realloc(v, ncap * sizeof(*nv));
            if (nv == NULL) {
                goto out;
            }
            v = nv;
            cap = ncap;
        }
        v[len].name = strdup(de->d_name);
        if (v[len].name == NULL) {
            goto out;
        }
        v[len].mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
        v[len].size = (uint64_t)st.st_size;
        len++;
    }
    if (errno != 0) {
        rc = sl_error_set(err, SL_EIO, "cannot list %s: %s", dir, strerror(errno));
        goto out;
    }
    if (len > 1) {
        qsort(v, len, sizeof(*v), entry_cmp);
    }
    *out = v;
    *n = len;
    v = NULL;
    len = 0;
    rc = 0;
out:
    if (rc == SL_ENOMEM) {
        sl_error_set(err, SL_ENOMEM, "out of memory listing %s", dir);
    }
    fs_entries_free(v, len);
    closedir(d);
    return rc;
}
