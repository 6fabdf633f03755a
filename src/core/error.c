/* error.c — error messages and warnings for library code (see error.h). */
#include "core/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int error_set(struct error *err, const char *fmt, ...)
{
    if (!err) return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return -1;
}

int error_hint(struct error *err, const char *fmt, ...)
{
    if (!err) return -1;
    size_t len = strnlen(err->msg, sizeof err->msg);
    if (len + 8 >= sizeof err->msg) return -1;
    memcpy(err->msg + len, "\nhint: ", 8);
    len += 7;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg + len, sizeof err->msg - len, fmt, ap);
    va_end(ap);
    return -1;
}

int error_prefix(struct error *err, const char *fmt, ...)
{
    if (!err) return -1;
    char prefix[ERROR_MSG_MAX];
    char old[ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    old[sizeof old - 1] = '\0';
    size_t plen = strlen(prefix), olen = strlen(old);
    if (plen > sizeof err->msg - 3) plen = sizeof err->msg - 3;
    memcpy(err->msg, prefix, plen);
    memcpy(err->msg + plen, ": ", 2);
    if (olen > sizeof err->msg - plen - 3) olen = sizeof err->msg - plen - 3;
    memcpy(err->msg + plen + 2, old, olen);
    err->msg[plen + 2 + olen] = '\0';
    return -1;
}

void warn_emit(const struct warn_sink *w, const char *fmt, ...)
{
    if (!w || !w->fn) return;
    char buf[ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    w->fn(w->ctx, buf);
}

void check_failed(const char *file, int line, const char *cond)
{
    fprintf(stderr, "signstgcn: internal error at %s:%d: CHECK(%s) failed\n", file, line, cond);
    abort();
}
