/* atomic_file.c — temporary file + fsync + rename + fsync folder (see atomic_file.h). */
#include "core/atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/error.h"

int atomic_file_open(struct atomic_file *af, const char *path, struct error *err)
{
    memset(af, 0, sizeof *af);
    size_t n = strlen(path) + 32;
    af->path = sg_strdup(path, err);
    af->tmp_path = sg_malloc(n, 1, "atomic_file_open", err);
    if (!af->path || !af->tmp_path) {
        atomic_file_abort(af);
        return -1;
    }
    snprintf(af->tmp_path, n, "%s.tmp.%ld", path, (long)getpid());
    af->fp = fopen(af->tmp_path, "wb");
    if (!af->fp) {
        error_set(err, "cannot write '%s': %s", path, strerror(errno));
        atomic_file_abort(af);
        return -1;
    }
    return 0;
}

int fsync_parent_dir(const char *path, struct error *err)
{
    char *dir = sg_strdup(path, err);
    if (!dir) return -1;
    char *slash = strrchr(dir, '/');
    if (slash == dir) slash[1] = '\0';
    else if (slash) *slash = '\0';
    else strcpy(dir, ".");
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    int rc = 0;
    if (fd < 0 || fsync(fd) != 0) {
        /* Some file systems refuse fsync on folders; the rename is still atomic. */
        if (fd < 0 || (errno != EINVAL && errno != EROFS))
            rc = error_set(err, "cannot sync folder '%s': %s", dir, strerror(errno));
    }
    if (fd >= 0) close(fd);
    free(dir);
    return rc;
}

int atomic_file_commit(struct atomic_file *af, struct error *err)
{
    int rc = 0;
    if (!af->fp) return error_set(err, "atomic_file_commit: file is not open");
    if (fflush(af->fp) != 0 || ferror(af->fp) || fsync(fileno(af->fp)) != 0) {
        rc = error_set(err, "cannot write '%s': %s", af->path, strerror(errno));
    }
    if (fclose(af->fp) != 0 && rc == 0)
        rc = error_set(err, "cannot write '%s': %s", af->path, strerror(errno));
    af->fp = NULL;
    if (rc == 0 && rename(af->tmp_path, af->path) != 0)
        rc = error_set(err, "cannot rename '%s' to '%s': %s", af->tmp_path, af->path,
                       strerror(errno));
    if (rc == 0) rc = fsync_parent_dir(af->path, err);
    if (rc != 0) remove(af->tmp_path);
    free(af->path);
    free(af->tmp_path);
    af->path = af->tmp_path = NULL;
    return rc;
}

void atomic_file_abort(struct atomic_file *af)
{
    if (af->fp) fclose(af->fp);
    if (af->tmp_path) remove(af->tmp_path);
    free(af->path);
    free(af->tmp_path);
    memset(af, 0, sizeof *af);
}

int atomic_file_write_all(const char *path, const void *data, size_t len, struct error *err)
{
    struct atomic_file af;
    if (atomic_file_open(&af, path, err) != 0) return -1;
    if (len && fwrite(data, 1, len, af.fp) != len) {
        error_set(err, "cannot write '%s': %s", path, strerror(errno));
        atomic_file_abort(&af);
        return -1;
    }
    return atomic_file_commit(&af, err);
}
