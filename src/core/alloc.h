/* alloc.h — overflow-checked allocation.
 *
 * Sizes that come from input (shapes in an npy header, counts in a file) are multiplied with
 * size_mul() before anything is allocated; the allocation helpers fail with a message naming
 * what was being allocated instead of returning a short buffer. A request of MEM_CHECK_MIN
 * bytes or more is first compared with the memory available (core/mem.h) and refused with
 * both sizes in the message rather than left to overcommit and the OOM killer.
 *
 * A test build can make the n-th allocation fail on purpose (alloc_fail_after) to prove that
 * error paths free what they took; in normal runs the counter is off.
 */
#ifndef SG_CORE_ALLOC_H
#define SG_CORE_ALLOC_H

#include <stdbool.h>
#include <stddef.h>

struct error;

/* *out = a*b; returns false on overflow. */
static inline bool size_mul(size_t a, size_t b, size_t *out)
{
    return !__builtin_mul_overflow(a, b, out);
}
static inline bool size_add(size_t a, size_t b, size_t *out)
{
    return !__builtin_add_overflow(a, b, out);
}

/* n*size bytes, zeroed. NULL with err set ("<what>: cannot allocate N x M bytes") on overflow
 * or out of memory. n == 0 returns a valid 1-byte allocation. */
void *sg_calloc(size_t n, size_t size, const char *what, struct error *err);
/* n*size bytes, not zeroed. */
void *sg_malloc(size_t n, size_t size, const char *what, struct error *err);
/* Grows *p to n*size bytes (contents kept). Returns 0, or -1 with err set (the old block
 * is left intact). */
int sg_realloc(void **p, size_t n, size_t size, const char *what, struct error *err);
/* 64-byte aligned, zeroed (parameter and activation buffers). Free with sg_free. */
void *sg_aligned_calloc(size_t n, size_t size, const char *what, struct error *err);
void sg_free(void *p);
char *sg_strdup(const char *s, struct error *err);

/* Test hook: after `n` further successful allocations, every allocation fails; n < 0 turns
 * the failure injection off (the default). */
void alloc_fail_after(long n);

#endif
