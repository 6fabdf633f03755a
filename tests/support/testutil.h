/* testutil.h — what the cmocka tests share: fixture paths, temporary folders, running the
 * CLI binary and capturing its output, float comparisons.
 *
 * ctest sets SG_FIXTURES (tests/fixtures), SG_BIN (the signstgcn binary) and SG_SOURCE_DIR.
 */
#ifndef SG_TESTUTIL_H
#define SG_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

/* Path of a committed fixture: $SG_FIXTURES/<rel>. Returns a static buffer (one per call
 * site is not needed: copy it if you need two at once). */
const char *fixture_path(const char *rel);
/* A fresh empty temporary folder (removed by tmpdir_remove). Returns a malloc'ed path. */
char *tmpdir_make(void);
void tmpdir_remove(const char *dir);
/* Joins folder and name into a malloc'ed path. */
char *path_join(const char *dir, const char *name);
/* Writes text to a file (test set-up). */
void write_text_file(const char *path, const char *text);
/* Reads a whole file into a malloc'ed NUL-terminated buffer (NULL if missing). */
char *read_text_file(const char *path, size_t *len);

struct cli_result {
    int exit_code;   /* the process's exit status; 128+sig if killed */
    char *out;       /* captured stdout (malloc'ed) */
    char *err;       /* captured stderr (malloc'ed) */
};
/* Runs $SG_BIN with the given arguments (NULL-terminated), no shell involved. */
struct cli_result run_cli(const char *arg0, ...);
struct cli_result run_cliv(const char *const *argv);
/* The same with `input` (len bytes) as the program's stdin (NULL: /dev/null). */
struct cli_result run_cliv_stdin(const char *const *argv, const char *input, size_t len);
/* Runs any program: argv[0] is its path (NULL-terminated arguments), no shell involved. */
struct cli_result run_progv(const char *const *argv);
void cli_result_free(struct cli_result *r);
/* How many lines of text contain needle (a message said exactly once, say). */
size_t count_lines_with(const char *text, const char *needle);
/* The CLI tests' common set-up: a fresh temporary folder *root holding *data = <root>/data,
 * a dataset written by `signstgcn synth --videos V --signers S --frames F --seed N`; fails
 * the test when synth does. synth_dataset_remove deletes the folder and frees both paths. */
void synth_dataset_make(char **root, char **data, int videos, int signers, int frames, int seed);
void synth_dataset_remove(char **root, char **data);

/* Max |a-b| / max(1, |b|) style comparison: fails with the index and both values when
 * |a-b| > atol + rtol*|b| for some element. */
void assert_close_f32(const float *a, const float *b, size_t n, double rtol, double atol,
                      const char *what);

#endif
