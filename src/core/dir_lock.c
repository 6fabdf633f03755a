/* dir_lock.c — flock on <dir>/.signstgcn.lock (see dir_lock.h). */
#include "core/dir_lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"

int dir_lock_acquire(struct dir_lock *l, const char *dir, const char *flag, struct error *err)
{
    l->fd = -1;
    char path[4200];
    size_t n = strlen(dir);
    snprintf(path, sizeof path, "%s%s%s", dir, n && dir[n - 1] == '/' ? "" : "/", DIR_LOCK_NAME);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return error_set(err, "cannot lock the folder '%s' (%s): cannot create '%s': %s", dir,
                         flag, path, strerror(errno));
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        char buf[32] = "";
        ssize_t got = pread(fd, buf, sizeof buf - 1, 0);
        close(fd);
        long pid = got > 0 ? strtol(buf, NULL, 10) : 0;
        if (e == EWOULDBLOCK) {
            if (pid > 0)
                return error_set(err, "'%s' (%s) is in use by process %ld, another run writing "
                                 "there; wait for it to finish or choose another %s", dir, flag,
                                 pid, flag);
            return error_set(err, "'%s' (%s) is in use by another run writing there; wait for "
                             "it to finish or choose another %s", dir, flag, flag);
        }
        return error_set(err, "cannot lock the folder '%s' (%s): %s", dir, flag, strerror(e));
    }
    char pid[32];
    int len = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)len, 0) != len) {
        int e = errno;
        close(fd);
        return error_set(err, "cannot lock the folder '%s' (%s): cannot write '%s': %s", dir,
                         flag, path, strerror(e));
    }
    l->fd = fd;
    return 0;
}

void dir_lock_release(struct dir_lock *l)
{
    if (l->fd >= 0) close(l->fd);
    l->fd = -1;
}

int dir_make_all(const char *path, struct error *err)
{
    char buf[4200];
    size_t len = strlen(path);
    if (len == 0 || len >= sizeof buf) return error_set(err, "'%s': not a usable folder path", path);
    memcpy(buf, path, len + 1);
    for (size_t i = 1; i <= len; i++) {
        if (buf[i] != '/' && buf[i] != '\0') continue;
        char c = buf[i];
        buf[i] = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return error_set(err, "cannot create folder '%s': %s", buf, strerror(errno));
        buf[i] = c;
    }
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return error_set(err, "'%s' is not a folder", path);
    return 0;
}
