/* data_opts.h — the data flags shared by inspect, train, predict and embed (SPEC §1).
 *
 * One table and one handler: a command builds its getopt_long table with
 * data_opts_build(), which puts the shared entries first and the command's own after them,
 * and hands every option value to data_opts_handle() before its own switch. The shared
 * entries use option values DATA_OPT_FIRST.. (0x100 and up); a command's own options use
 * single characters or values from DATA_OPT_END on.
 */
#ifndef SG_CLI_DATA_OPTS_H
#define SG_CLI_DATA_OPTS_H

#include <getopt.h>
#include <stddef.h>
#include <stdio.h>

struct data_config;

enum {
    DATA_OPT_FIRST = 0x100,
    DATA_OPT_WINDOW = DATA_OPT_FIRST,
    DATA_OPT_STRIDE,
    DATA_OPT_COORDS,
    DATA_OPT_INCLUDE_POSE,
    DATA_OPT_NO_INCLUDE_POSE,
    DATA_OPT_INCLUDE_HANDS,
    DATA_OPT_INCLUDE_FACE,
    DATA_OPT_FACE_POINTS,
    DATA_OPT_NORMALIZE,
    DATA_OPT_ZERO_IS_MISSING,
    DATA_OPT_NO_ZERO_IS_MISSING,
    DATA_OPT_LABEL_FILL,
    DATA_OPT_GROUNDTRUTH,
    DATA_OPT_SIGNERS,
    DATA_OPT_BINARY,
    DATA_OPT_SIGNING_LABELS,
    DATA_OPT_PERSON,
    DATA_OPT_END /* first value free for a command's own long options */
};

/* Number of shared entries (without the terminating zero entry). */
size_t data_opts_count(void);
/* Writes the shared entries, then `extra` up to its zero entry, then a zero entry into dst
 * (capacity `cap` entries). Returns the number of entries written without the zero entry;
 * CHECKs that cap is enough (the tables are the program's own, not input). */
size_t data_opts_build(struct option *dst, size_t cap, const struct option *extra);
/* If `c` is a shared option value, applies `arg` to cfg: returns 1, or -1 after printing a
 * usage error (the command then returns CLI_USAGE). Returns 0 for any other value. */
int data_opts_handle(const char *cmd, int c, const char *arg, struct data_config *cfg);
/* Checks what single flags cannot: at least one part included. Returns 0, or -1 after
 * printing a usage error. Call it once after the getopt loop. */
int data_opts_finish(const char *cmd, const struct data_config *cfg);
/* The shared flags' help lines, with their defaults. */
void data_opts_print_help(FILE *f);

#endif
