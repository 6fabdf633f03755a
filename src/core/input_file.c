/* input_file.c — bounded whole-file reads with one set of rules (see input_file.h). */
#include "core/input_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/error.h"

const char *format_bytes(size_t n, char *buf, size_t cap)
{
    static const char *const unit[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    if (n < 1024) {
        snprintf(buf, cap, "%zu bytes", n);
        return buf;
    }
    double v = (double)n / 1024.0;
    int u = 0;
    while (v >= 1024.0 && u < 5) {
        v /= 1024.0;
        u++;
    }
    snprintf(buf, cap, v < 10.0 ? "%.1f %s" : "%.0f %s", v, unit[u]);
    return buf;
}

/* "'path'" or "'path' (--flag)" for messages. */
static void name_of(const char *path, const char *flag, char *buf, size_t cap)
{
    if (flag) snprintf(buf, cap, "'%s' (%s)", path, flag);
    else snprintf(buf, cap, "'%s'", path);
}

int input_file_check(const char *path, const char *what, const char *flag, struct error *err)
{
    char name[1200];
    name_of(path, flag, name, sizeof name);
    struct stat st;
    if (stat(path, &st) != 0)
        return error_set(err, "%s: cannot open %s: %s", what, name, strerror(errno));
    if (S_ISDIR(st.st_mode))
        return error_set(err, "%s: %s is a folder; give the file itself", what, name);
    return 0;
}

int input_file_read(const char *path, const char *what, const char *flag, size_t max,
                    bool streams, char **buf, size_t *len, struct error *err)
{
    *buf = NULL;
    *len = 0;
    char name[1200], lim[32], sz[32];
    name_of(path, flag, name, sizeof name);
    format_bytes(max, lim, sizeof lim);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return error_set(err, "%s: cannot open %s: %s", what, name, strerror(errno));
    struct stat st;
    int rc = -1;
    char *b = NULL;
    if (fstat(fd, &st) != 0) {
        error_set(err, "%s: %s cannot be read: %s", what, name, strerror(errno));
        goto out;
    }
    if (S_ISDIR(st.st_mode)) {
        error_set(err, "%s: %s is a folder; give the file itself", what, name);
        goto out;
    }
    bool regular = S_ISREG(st.st_mode);
    if (!regular && !streams) {
        error_set(err, "%s: %s is not a regular file (a pipe or device); save it to a file "
                  "first", what, name);
        goto out;
    }
    if (regular && (unsigned long long)st.st_size > (unsigned long long)max) {
        error_set(err, "%s: %s is %s, over the limit of %s for this kind of file; check that "
                  "it is the right file", what, name,
                  format_bytes((size_t)st.st_size, sz, sizeof sz), lim);
        goto out;
    }
    /* Regular files: their size (re-checked while reading, a file may grow); streams: chunks
     * doubling up to the cap, plus one byte to tell "exactly max" from "more than max". */
    size_t cap = regular ? (size_t)st.st_size + 1 : 65536;
    if (cap > max + 1) cap = max + 1;
    b = sg_malloc(cap + 1, 1, what, err);
    if (!b) goto out;
    size_t n = 0;
    for (;;) {
        if (n == cap) {
            if (cap >= max + 1) break;
            size_t nc = cap * 2 > max + 1 ? max + 1 : cap * 2;
            if (sg_realloc((void **)&b, nc + 1, 1, what, err)) goto out;
            cap = nc;
        }
        ssize_t got = read(fd, b + n, cap - n);
        if (got < 0) {
            if (errno == EINTR) continue;
            error_set(err, "%s: %s cannot be read: %s", what, name, strerror(errno));
            goto out;
        }
        if (got == 0) break;
        n += (size_t)got;
    }
    if (n > max) {
        error_set(err, "%s: %s holds more than %s, the limit for this kind of file; check "
                  "that it is the right file", what, name, lim);
        goto out;
    }
    b[n] = '\0';
    *buf = b;
    *len = n;
    b = NULL;
    rc = 0;
out:
    free(b);
    close(fd);
    return rc;
}

void text_skip_bom(const char **text, size_t *len)
{
    const unsigned char *t = (const unsigned char *)*text;
    if (*len >= 3 && t[0] == 0xEF && t[1] == 0xBB && t[2] == 0xBF) {
        *text += 3;
        *len -= 3;
    }
}
