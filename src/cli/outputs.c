/* outputs.c — the checks of outputs.h: no output destroys an input, every output location is
 * writable, before any work. */
#define _XOPEN_SOURCE 700 /* realpath */
#include "cli/outputs.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"

#define PATH_CAP 4200

/* snprintf into a PATH_CAP buffer; a longer path is cut (and then compares unequal). */
static void put(char *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(char *out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out, PATH_CAP, fmt, ap);
    va_end(ap);
}

static bool given(const struct cli_path *p) { return p->path && p->path[0]; }
static bool is_input(const struct cli_path *p) { return p->kind <= CLI_IN_META_DIR; }

/* The folder part of path ("." when none) and the last name. */
static void split_path(const char *path, char *dir, char *name)
{
    char buf[PATH_CAP];
    put(buf, "%s", path);
    size_t n = strlen(buf);
    while (n > 1 && buf[n - 1] == '/') buf[--n] = '\0';
    char *slash = strrchr(buf, '/');
    if (!slash) {
        strcpy(dir, ".");
        put(name, "%s", buf);
    } else if (slash == buf) {
        strcpy(dir, "/");
        put(name, "%s", slash + 1);
    } else {
        *slash = '\0';
        put(dir, "%s", buf);
        put(name, "%s", slash + 1);
    }
}

/* A path that names the same thing as `path` whenever two do: realpath of the whole path when
 * it exists, else realpath of its folder + its name, else the path made absolute. */
static void canonical(const char *path, char *out)
{
    char rp[PATH_MAX];
    if (realpath(path, rp)) {
        put(out, "%s", rp);
        return;
    }
    char dir[PATH_CAP], name[PATH_CAP];
    split_path(path, dir, name);
    if (realpath(dir, rp)) {
        put(out, "%s/%s", strcmp(rp, "/") ? rp : "", name);
        return;
    }
    char cwd[PATH_MAX];
    if (path[0] != '/' && getcwd(cwd, sizeof cwd)) put(out, "%s/%s", cwd, path);
    else put(out, "%s", path);
}

static bool same_path(const char *a, const char *b)
{
    struct stat sa, sb;
    if (stat(a, &sa) == 0 && stat(b, &sb) == 0)
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
    char ca[PATH_CAP], cb[PATH_CAP];
    canonical(a, ca);
    canonical(b, cb);
    return strcmp(ca, cb) == 0;
}

static void join(const char *dir, const char *name, char *out)
{
    size_t n = strlen(dir);
    put(out, "%s%s%s", dir, n && dir[n - 1] == '/' ? "" : "/", name);
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && !strcmp(s + a - b, suffix);
}

/* Whether writing the file `out` would overwrite something the input `in` stands for. */
static bool overwrites(const char *out, const struct cli_path *in)
{
    if (in->kind == CLI_IN_FILE) return same_path(out, in->path);
    if (same_path(out, in->path)) return true; /* the folder itself */
    char dir[PATH_CAP], name[PATH_CAP];
    split_path(out, dir, name);
    if (!same_path(dir, in->path)) return false;
    if (!strcmp(name, "groundtruth.txt") || !strcmp(name, "groundtruth") ||
        !strcmp(name, "signers.txt"))
        return true;
    return in->kind == CLI_IN_DATA_DIR && ends_with(name, ".npz");
}

static int conflict(const char *cmd, const struct cli_path *out, const char *target,
                    const struct cli_path *other, bool other_is_input)
{
    char what[PATH_CAP + 64];
    if (!other_is_input)
        put(what, "also written through %s '%s'", other->flag, other->path);
    else if (other->kind == CLI_IN_FILE)
        put(what, "the %s file", other->flag);
    else if (same_path(target, other->path))
        put(what, "the %s folder", other->flag);
    else
        put(what, "read from the %s folder '%s'", other->flag, other->path);
    const char *harm = !other_is_input ? "lose one of the two outputs"
                       : other->kind != CLI_IN_FILE && same_path(target, other->path)
                           ? "mix outputs into an input folder"
                           : "destroy an input";
    if (!strcmp(target, out->path))
        fprintf(stderr, "signstgcn %s: error: %s '%s' is %s; writing it would %s, choose "
                "another path for %s\n", cmd, out->flag, out->path, what, harm, out->flag);
    else
        fprintf(stderr, "signstgcn %s: error: %s '%s' would write '%s', which is %s; choose "
                "another path for %s\n", cmd, out->flag, out->path, target, what, out->flag);
    return CLI_USAGE;
}

/* Every file an output writes: itself (a file output) or its folder and the names inside. */
static size_t targets(const struct cli_path *o, char (*t)[PATH_CAP], size_t cap)
{
    size_t n = 0;
    snprintf(t[n++], PATH_CAP, "%s", o->path);
    if (o->kind == CLI_OUT_DIR && o->files)
        for (size_t k = 0; o->files[k] && n < cap; k++) join(o->path, o->files[k], t[n++]);
    return n;
}

/* Can a new file be made in the folder `dir`? Creating and removing a probe file answers it
 * for permissions, read-only mounts and ACLs alike (access() would answer "yes" for root). */
static int probe_dir(const char *dir, int *e)
{
    char p[PATH_CAP];
    char name[64];
    snprintf(name, sizeof name, ".signstgcn-probe.%ld", (long)getpid());
    join(dir, name, p);
    int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        *e = errno;
        return -1;
    }
    close(fd);
    unlink(p);
    return 0;
}

static int check_location(const char *cmd, const struct cli_path *o,
                          const struct cli_path *all, size_t n_all)
{
    struct stat st;
    char dir[PATH_CAP], name[PATH_CAP];
    int e = 0;
    if (o->kind == CLI_OUT_FILE) {
        if (stat(o->path, &st) == 0) {
            if (S_ISDIR(st.st_mode)) {
                fprintf(stderr, "signstgcn %s: error: %s '%s' is a folder; give a file name "
                        "(e.g. '%s/out')\n", cmd, o->flag, o->path, o->path);
                return CLI_FAIL;
            }
            if (!S_ISREG(st.st_mode)) {
                fprintf(stderr, "signstgcn %s: error: %s '%s' is not a regular file (a device "
                        "or pipe); outputs are written to a new file and renamed, give a file "
                        "path\n", cmd, o->flag, o->path);
                return CLI_FAIL;
            }
        }
        split_path(o->path, dir, name);
        /* a folder another output of the command creates first (eval --json in --out-dir) */
        for (size_t i = 0; i < n_all && stat(dir, &st) != 0; i++)
            if (given(&all[i]) && all[i].kind == CLI_OUT_DIR && same_path(dir, all[i].path))
                return CLI_OK;
        if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
            fprintf(stderr, "signstgcn %s: error: the folder '%s' of %s '%s' %s; create it "
                    "first or choose another path\n", cmd, dir, o->flag, o->path,
                    stat(dir, &st) != 0 ? "does not exist" : "is not a folder");
            return CLI_FAIL;
        }
        if (probe_dir(dir, &e)) {
            fprintf(stderr, "signstgcn %s: error: cannot write %s '%s': the folder '%s' does "
                    "not take new files (%s); choose another path\n", cmd, o->flag, o->path,
                    dir, strerror(e));
            return CLI_FAIL;
        }
        return CLI_OK;
    }
    /* a folder output: the folder itself if it exists, else its nearest existing parent */
    char at[PATH_CAP];
    put(at, "%s", o->path);
    for (;;) {
        if (stat(at, &st) == 0) break;
        split_path(at, dir, name);
        if (!strcmp(dir, at)) break;
        put(at, "%s", dir);
    }
    if (stat(at, &st) != 0 || !S_ISDIR(st.st_mode)) {
        if (!strcmp(at, o->path))
            fprintf(stderr, "signstgcn %s: error: %s '%s' is a file, not a folder; give a "
                    "folder path\n", cmd, o->flag, o->path);
        else
            fprintf(stderr, "signstgcn %s: error: %s '%s' cannot be created: '%s' is a file, "
                    "not a folder; give another folder path\n", cmd, o->flag, o->path, at);
        return CLI_FAIL;
    }
    if (probe_dir(at, &e)) {
        fprintf(stderr, "signstgcn %s: error: cannot write into %s '%s': the folder '%s' does "
                "not take new files (%s); choose another path\n", cmd, o->flag, o->path, at,
                strerror(e));
        return CLI_FAIL;
    }
    /* the names it writes inside must not be folders */
    for (size_t k = 0; o->files && o->files[k] && !strcmp(at, o->path); k++) {
        char t[PATH_CAP];
        join(o->path, o->files[k], t);
        if (strchr(o->files[k], '.') && stat(t, &st) == 0 && S_ISDIR(st.st_mode)) {
            fprintf(stderr, "signstgcn %s: error: %s '%s' holds a folder '%s' where a file is "
                    "to be written; remove it or choose another path\n", cmd, o->flag, o->path,
                    t);
            return CLI_FAIL;
        }
    }
    return CLI_OK;
}

int cli_check_paths(const char *cmd, const struct cli_path *paths, size_t n)
{
    static char t[16][PATH_CAP];
    for (size_t i = 0; i < n; i++) {
        const struct cli_path *o = &paths[i];
        if (!given(o) || is_input(o)) continue;
        size_t nt = targets(o, t, 16);
        for (size_t k = 0; k < nt; k++) {
            /* against every input */
            for (size_t j = 0; j < n; j++)
                if (given(&paths[j]) && is_input(&paths[j]) && overwrites(t[k], &paths[j]))
                    return conflict(cmd, o, t[k], &paths[j], true);
            /* against the outputs listed before it (each pair once) */
            for (size_t j = 0; j < i; j++) {
                const struct cli_path *p = &paths[j];
                if (!given(p) || is_input(p)) continue;
                static char u[16][PATH_CAP];
                size_t nu = targets(p, u, 16);
                for (size_t q = 0; q < nu; q++)
                    if (same_path(t[k], u[q])) return conflict(cmd, o, t[k], p, false);
            }
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (!given(&paths[i]) || is_input(&paths[i])) continue;
        int rc = check_location(cmd, &paths[i], paths, n);
        if (rc != CLI_OK) return rc;
    }
    return CLI_OK;
}
