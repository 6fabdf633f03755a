/* testutil.c — shared test helpers (see testutil.h). */
#define _GNU_SOURCE
#include "testutil.h"

#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

const char *fixture_path(const char *rel)
{
    static char buf[4096];
    const char *root = getenv("SG_FIXTURES");
    if (!root) root = "tests/fixtures";
    snprintf(buf, sizeof buf, "%s/%s", root, rel);
    return buf;
}

char *tmpdir_make(void)
{
    const char *base = getenv("TMPDIR");
    char tmpl[4096];
    snprintf(tmpl, sizeof tmpl, "%s/sgtest.XXXXXX", base ? base : "/tmp");
    char *d = mkdtemp(tmpl);
    if (!d) fail_msg("mkdtemp failed");
    return strdup(d);
}

static void remove_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0) return;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        if (d) {
            struct dirent *e;
            while ((e = readdir(d))) {
                if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
                char *p = path_join(path, e->d_name);
                remove_tree(p);
                free(p);
            }
            closedir(d);
        }
        rmdir(path);
    } else {
        unlink(path);
    }
}

void tmpdir_remove(const char *dir)
{
    if (dir) remove_tree(dir);
}

char *path_join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

void write_text_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    if (!f) fail_msg("cannot write %s", path);
    fputs(text, f);
    fclose(f);
}

char *read_text_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    size_t r;
    while ((r = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += r;
        if (cap - n - 1 == 0) {
            cap *= 2;
            buf = realloc(buf, cap);
        }
    }
    fclose(f);
    buf[n] = '\0';
    if (len) *len = n;
    return buf;
}

static char *slurp_fd(int fd)
{
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    ssize_t r;
    while ((r = read(fd, buf + n, cap - n - 1)) > 0) {
        n += (size_t)r;
        if (cap - n - 1 == 0) {
            cap *= 2;
            buf = realloc(buf, cap);
        }
    }
    buf[n] = '\0';
    return buf;
}

struct cli_result run_cliv(const char *const *args)
{
    return run_cliv_stdin(args, NULL, 0);
}

static struct cli_result run_argv(char **argv, const char *input, size_t len);

struct cli_result run_cliv_stdin(const char *const *args, const char *input, size_t len)
{
    const char *bin = getenv("SG_BIN");
    if (!bin) fail_msg("SG_BIN is not set (run the tests through ctest)");
    size_t n = 0;
    while (args[n]) n++;
    char **argv = calloc(n + 2, sizeof *argv);
    argv[0] = (char *)bin;
    for (size_t i = 0; i < n; i++) argv[i + 1] = (char *)args[i];
    struct cli_result res = run_argv(argv, input, len);
    free(argv);
    return res;
}

struct cli_result run_progv(const char *const *argv)
{
    return run_argv((char **)argv, NULL, 0);
}

static struct cli_result run_argv(char **argv, const char *input, size_t len)
{
    struct cli_result res = {0};
    const char *bin = argv[0];

    char outtmpl[] = "/tmp/sgout.XXXXXX", errtmpl[] = "/tmp/sgerr.XXXXXX";
    int ofd = mkstemp(outtmpl), efd = mkstemp(errtmpl);
    unlink(outtmpl);
    unlink(errtmpl);
    int infd = -1;
    if (input) {
        char intmpl[] = "/tmp/sgin.XXXXXX";
        infd = mkstemp(intmpl);
        unlink(intmpl);
        if (infd < 0 || write(infd, input, len) != (ssize_t)len) fail_msg("cannot stage stdin");
        lseek(infd, 0, SEEK_SET);
    }
    pid_t pid = fork();
    if (pid == 0) {
        int nullfd = infd >= 0 ? infd : open("/dev/null", O_RDONLY);
        dup2(nullfd, 0);
        dup2(ofd, 1);
        dup2(efd, 2);
        execv(bin, argv);
        _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    res.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    lseek(ofd, 0, SEEK_SET);
    lseek(efd, 0, SEEK_SET);
    res.out = slurp_fd(ofd);
    res.err = slurp_fd(efd);
    close(ofd);
    close(efd);
    if (infd >= 0) close(infd);
    return res;
}

struct cli_result run_cli(const char *arg0, ...)
{
    const char *args[128];
    size_t n = 0;
    va_list ap;
    va_start(ap, arg0);
    for (const char *a = arg0; a && n < 127; a = va_arg(ap, const char *)) args[n++] = a;
    va_end(ap);
    args[n] = NULL;
    return run_cliv(args);
}

void cli_result_free(struct cli_result *r)
{
    free(r->out);
    free(r->err);
    r->out = r->err = NULL;
}

void assert_close_f32(const float *a, const float *b, size_t n, double rtol, double atol,
                      const char *what)
{
    for (size_t i = 0; i < n; i++) {
        double x = a[i], y = b[i];
        if (isnan(x) && isnan(y)) continue;
        if (!(fabs(x - y) <= atol + rtol * fabs(y)))
            fail_msg("%s[%zu]: got %.9g, expected %.9g (rtol %g, atol %g)", what, i, x, y,
                     rtol, atol);
    }
}

void synth_dataset_make(char **root, char **data, int videos, int signers, int frames, int seed)
{
    char v[16], sg[16], f[16], sd[16];
    snprintf(v, sizeof v, "%d", videos);
    snprintf(sg, sizeof sg, "%d", signers);
    snprintf(f, sizeof f, "%d", frames);
    snprintf(sd, sizeof sd, "%d", seed);
    *root = tmpdir_make();
    *data = path_join(*root, "data");
    struct cli_result r = run_cli("synth", "--out", *data, "--videos", v, "--signers", sg,
                                  "--frames", f, "--seed", sd, NULL);
    if (r.exit_code != 0) fail_msg("synth failed: %s", r.err);
    cli_result_free(&r);
}

void synth_dataset_remove(char **root, char **data)
{
    tmpdir_remove(*root);
    free(*root);
    free(*data);
    *root = *data = NULL;
}

size_t count_lines_with(const char *text, const char *needle)
{
    size_t n = 0;
    for (const char *l = text; l && *l;) {
        const char *e = strchr(l, '\n');
        size_t len = e ? (size_t)(e - l) : strlen(l);
        char *line = strndup(l, len);
        n += strstr(line, needle) != NULL;
        free(line);
        l += len + (e ? 1 : 0);
    }
    return n;
}
