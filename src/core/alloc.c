/* alloc.c — overflow-checked allocation with failure injection for tests (see alloc.h). */
#include "core/alloc.h"

#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/mem.h"

static long fail_countdown = -1; /* test hook only; -1 = off */

void alloc_fail_after(long n) { fail_countdown = n; }

static bool injected_failure(void)
{
    if (fail_countdown < 0) return false;
    if (fail_countdown == 0) return true;
    fail_countdown--;
    return false;
}

static int too_big(size_t n, size_t size, const char *what, struct error *err)
{
    return error_set(err, "%s: cannot allocate %zu x %zu bytes", what ? what : "alloc", n,
                     size);
}

/* A large request is compared with the memory there is before malloc sees it (mem.h). */
static bool fits(size_t bytes, const char *what, struct error *err)
{
    return bytes < MEM_CHECK_MIN || mem_check(bytes, what ? what : "alloc", err) == 0;
}

void *sg_malloc(size_t n, size_t size, const char *what, struct error *err)
{
    size_t bytes;
    if (!size_mul(n, size, &bytes) || injected_failure()) {
        too_big(n, size, what, err);
        return NULL;
    }
    if (!fits(bytes, what, err)) return NULL;
    void *p = malloc(bytes ? bytes : 1);
    if (!p) too_big(n, size, what, err);
    return p;
}

void *sg_calloc(size_t n, size_t size, const char *what, struct error *err)
{
    size_t bytes;
    if (!size_mul(n, size, &bytes) || injected_failure()) {
        too_big(n, size, what, err);
        return NULL;
    }
    if (!fits(bytes, what, err)) return NULL;
    void *p = calloc(bytes ? n : 1, bytes ? size : 1);
    if (!p) too_big(n, size, what, err);
    return p;
}

int sg_realloc(void **p, size_t n, size_t size, const char *what, struct error *err)
{
    size_t bytes;
    if (!size_mul(n, size, &bytes) || injected_failure()) return too_big(n, size, what, err);
    if (!fits(bytes, what, err)) return -1;
    void *q = realloc(*p, bytes ? bytes : 1);
    if (!q) return too_big(n, size, what, err);
    *p = q;
    return 0;
}

void *sg_aligned_calloc(size_t n, size_t size, const char *what, struct error *err)
{
    size_t bytes;
    if (!size_mul(n, size, &bytes) || !size_add(bytes, 63, &bytes) || injected_failure()) {
        too_big(n, size, what, err);
        return NULL;
    }
    bytes &= ~(size_t)63;
    if (!fits(bytes, what, err)) return NULL;
    void *p = aligned_alloc(64, bytes ? bytes : 64);
    if (!p) {
        too_big(n, size, what, err);
        return NULL;
    }
    memset(p, 0, bytes ? bytes : 64);
    return p;
}

void sg_free(void *p) { free(p); }

char *sg_strdup(const char *s, struct error *err)
{
    size_t n = strlen(s) + 1;
    char *d = sg_malloc(n, 1, "strdup", err);
    if (d) memcpy(d, s, n);
    return d;
}
