/* badinput.h — what the hostile-input CLI tests share: a digest of a whole folder
 * tree to prove that a refused command changed and created nothing, and the check that a bad
 * case gives exactly one line on stderr, its exit code and a message naming the flag or file. */
#ifndef SG_BADINPUT_H
#define SG_BADINPUT_H

#include <stddef.h>

#include "testutil.h"

/* Every file and folder under root (sorted names, sizes, FNV-1a of the bytes, file modes) in a
 * malloc'ed string: equal digests mean nothing was created, removed or changed. */
char *tree_digest(const char *root);

/* Runs argv (NULL-terminated) and fails the test unless it exits with `code`, prints exactly
 * one line on stderr containing every string of `needles` (NULL-terminated), and leaves the
 * tree under `root` as it was. Returns the result (free it). */
struct cli_result expect_refused(const char *root, int code, const char *const *needles,
                                 const char *const *argv);

/* The number of lines (newline characters) in s. */
size_t count_lines(const char *s);

#endif
