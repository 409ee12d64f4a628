/* secret.c - secrets come from an environment variable or a file, never from the config.
 * A file holds the secret on its first line (a trailing CR/LF is dropped); it must be a
 * regular file of at most 4 KiB.  Messages name the variable or the file, never the value.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "notify/internal.h"

#define SECRET_MAX 4096

static int from_file(const char *file, const char *what, char **out, struct sl_error *err)
{
    char buf[SECRET_MAX + 1];
    struct stat st;
    size_t len = 0;
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return sl_error_set(err, SL_ECONFIG, "%s: cannot open %s: %s", what, file,
                            strerror(errno));
    }
    errno = 0;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > SECRET_MAX) {
        int e = errno;
        close(fd);
        return sl_error_set(err, SL_ECONFIG, "%s: %s must be a regular file of at most %d "
                            "bytes%s%s", what, file, SECRET_MAX, e != 0 ? ": " : "",
                            e != 0 ? strerror(e) : "");
    }
    while (len < SECRET_MAX) {
        ssize_t r = read(fd, buf + len, SECRET_MAX - len);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r < 0) {
            int e = errno;
            close(fd);
            return sl_error_set(err, SL_ECONFIG, "%s: cannot read %s: %s", what, file,
                                strerror(e));
        }
        if (r == 0) {
            break;
        }
        len += (size_t)r;
    }
    close(fd);
    buf[len] = '\0';
    buf[strcspn(buf, "\r\n")] = '\0';
    if (buf[0] == '\0') {
        return sl_error_set(err, SL_ECONFIG, "%s: %s is empty", what, file);
    }
    *out = strdup(buf);
    explicit_bzero(buf, sizeof(buf));
    return *out != NULL ? 0 : sl_error_set(err, SL_ENOMEM, "out of memory");
}

int secret_load(const char *env, const char *file, const char *what, char **out,
                struct sl_error *err)
{
    *out = NULL;
    if (file != NULL) {
        return from_file(file, what, out, err);
    }
    const char *v = env != NULL ? getenv(env) : NULL;
    if (v == NULL || v[0] == '\0') {
        return sl_error_set(err, SL_ECONFIG, "%s: the environment variable %s is not set",
                            what, env != NULL ? env : "?");
    }
    *out = strdup(v);
    return *out != NULL ? 0 : sl_error_set(err, SL_ENOMEM, "out of memory");
}
