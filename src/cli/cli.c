/* cli.c — shared command-line helpers: messages, exit codes, strict number parsing. */
#include "cli/cli.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/alloc.h"
#include "core/error.h"

#include <omp.h>

void openblas_set_num_threads(int n);

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "signstgcn %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'signstgcn %s --help'.\n", cmd);
    return CLI_USAGE;
}

int cli_getopt_error(const char *cmd, int c, char **argv)
{
    const char *arg = argv[optind - 1];
    if (c == ':') return cli_usage_error(cmd, "option '%s' needs a value", arg);
    if (optopt) return cli_usage_error(cmd, "unknown option '-%c'", optopt);
    return cli_usage_error(cmd, "unknown option '%s'", arg);
}

int cli_fail(const char *cmd, const struct error *err)
{
    fprintf(stderr, "signstgcn %s: error: %s\n", cmd, err->msg);
    return CLI_FAIL;
}

void cli_warn(void *ctx, const char *msg)
{
    fprintf(stderr, "signstgcn %s: warning: %s\n", ctx ? (const char *)ctx : "", msg);
}

bool cli_parse_long(const char *cmd, const char *flag, const char *s, long min, long max,
                    long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || errno == ERANGE) {
        cli_usage_error(cmd, "%s expects an integer, got '%s'", flag, s);
        return false;
    }
    if (v < min || v > max) {
        cli_usage_error(cmd, "%s must be between %ld and %ld, got %ld", flag, min, max, v);
        return false;
    }
    *out = v;
    return true;
}

bool cli_parse_u64(const char *cmd, const char *flag, const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (*s == '\0' || *s == '-' || *end != '\0' || errno == ERANGE) {
        cli_usage_error(cmd, "%s expects a non-negative integer, got '%s'", flag, s);
        return false;
    }
    *out = (uint64_t)v;
    return true;
}

bool cli_parse_double(const char *cmd, const char *flag, const char *s, double min, double max,
                      double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (*s == '\0' || *end != '\0' || errno == ERANGE || !isfinite(v)) {
        cli_usage_error(cmd, "%s expects a number, got '%s'", flag, s);
        return false;
    }
    if (v < min || v > max) {
        cli_usage_error(cmd, "%s must be between %g and %g, got '%s'", flag, min, max, s);
        return false;
    }
    *out = v;
    return true;
}

void cli_set_threads(int n)
{
    if (n <= 0) return;
    omp_set_num_threads(n);
    openblas_set_num_threads(n);
}

int cli_make_dirs(const char *path, struct error *err)
{
    char buf[4096];
    size_t len = strlen(path);
    if (len >= sizeof buf) return error_set(err, "'%s': path too long", path);
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

char *cli_join(const char *dir, const char *name, struct error *err)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = sg_malloc(n, 1, "path", err);
    if (p) snprintf(p, n, "%s/%s", dir, name);
    return p;
}
