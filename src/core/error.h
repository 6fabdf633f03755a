/* error.h — how library code reports failure and warnings.
 *
 * Every function that can fail returns an int status (0 ok, -1 failed) and fills a
 * caller-owned `struct error` with one line of the form
 *     npz_open: 'data/v1.npz': member 'pose.npy' has dtype '<c8' (expected float16/32/64)
 * optionally followed by "\nhint: ...". Library code never prints and never exits; the CLI
 * (src/cli) prints the message and chooses the exit code.
 *
 * Warnings (a video left unnormalised, a groundtruth id without an npz) go to a
 * `struct warn_sink` the caller provides; the CLI prints them on stderr, tests collect them.
 */
#ifndef SG_CORE_ERROR_H
#define SG_CORE_ERROR_H

#include <stddef.h>

#define ERROR_MSG_MAX 1024

struct error {
    char msg[ERROR_MSG_MAX];
};

/* Sets err->msg (printf-style) and returns -1, so `return error_set(err, ...)` reads well.
 * err may be NULL (the message is dropped). */
int error_set(struct error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Appends "\nhint: <text>" to an already-set message. Returns -1. */
int error_hint(struct error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Prepends "<prefix>: " to the current message (used when a caller adds context). Returns -1. */
int error_prefix(struct error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

struct warn_sink {
    void (*fn)(void *ctx, const char *msg);
    void *ctx;
};

/* Formats one warning and hands it to the sink; a NULL sink or fn drops it. */
void warn_emit(const struct warn_sink *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Always-on check for programmer errors (not for bad input): prints and aborts. */
#define CHECK(cond)                                                                        \
    do {                                                                                   \
        if (!(cond)) check_failed(__FILE__, __LINE__, #cond);                             \
    } while (0)
_Noreturn void check_failed(const char *file, int line, const char *cond);

#endif
