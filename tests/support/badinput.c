/* badinput.c — folder digests and the one-line refusal check (see badinput.h). */
#include "badinput.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct buf {
    char *s;
    size_t n, cap;
};

static void append(struct buf *b, const char *s)
{
    size_t k = strlen(s);
    if (b->n + k + 1 > b->cap) {
        b->cap = (b->n + k + 1) * 2;
        b->s = realloc(b->s, b->cap);
        assert_non_null(b->s);
    }
    memcpy(b->s + b->n, s, k + 1);
    b->n += k;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void walk(const char *dir, struct buf *b)
{
    DIR *d = opendir(dir);
    if (!d) return;
    char **names = NULL;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        names = realloc(names, (n + 1) * sizeof *names);
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    if (n) qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 0; i < n; i++) {
        char *p = path_join(dir, names[i]);
        struct stat st;
        char line[256];
        if (lstat(p, &st) != 0) {
            free(p);
            continue;
        }
        append(b, p);
        if (S_ISDIR(st.st_mode)) {
            snprintf(line, sizeof line, " dir %o\n", (unsigned)st.st_mode);
            append(b, line);
            walk(p, b);
        } else {
            uint64_t h = 1469598103934665603ULL;
            FILE *f = fopen(p, "rb");
            if (f) {
                int c;
                while ((c = fgetc(f)) != EOF) {
                    h ^= (unsigned char)c;
                    h *= 1099511628211ULL;
                }
                fclose(f);
            }
            snprintf(line, sizeof line, " %lld %o %016llx\n", (long long)st.st_size,
                     (unsigned)st.st_mode, (unsigned long long)h);
            append(b, line);
        }
        free(p);
        free(names[i]);
    }
    free(names);
}

char *tree_digest(const char *root)
{
    struct buf b = {0};
    append(&b, "");
    walk(root, &b);
    return b.s;
}

size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; s && *s; s++) n += *s == '\n';
    return n;
}

struct cli_result expect_refused(const char *root, int code, const char *const *needles,
                                 const char *const *argv)
{
    char *before = tree_digest(root);
    struct cli_result r = run_cliv(argv);
    char *after = tree_digest(root);
    char cmd[512] = "";
    for (size_t i = 0; argv[i] && strlen(cmd) < 400; i++) {
        strcat(cmd, argv[i]);
        strcat(cmd, " ");
    }
    if (r.exit_code != code)
        fail_msg("'%s': exit %d, expected %d; stderr: %s", cmd, r.exit_code, code, r.err);
    if (count_lines(r.err) != 1)
        fail_msg("'%s': %zu lines on stderr, expected one: %s", cmd, count_lines(r.err), r.err);
    for (size_t i = 0; needles && needles[i]; i++)
        if (!strstr(r.err, needles[i]))
            fail_msg("'%s': stderr lacks '%s': %s", cmd, needles[i], r.err);
    if (strcmp(before, after))
        fail_msg("'%s' was refused but changed the files under '%s':\nbefore:\n%s\nafter:\n%s",
                 cmd, root, before, after);
    free(before);
    free(after);
    return r;
}
