/* cli.h — what every command shares: exit codes, messages, number parsing.
 *
 * src/cli is the only place that prints usage, prints errors and chooses exit codes:
 * 0 ok, 1 failure (bad data, I/O), 2 usage (unknown flag, missing value, bad number).
 * Each command is `int cmd_<name>(int argc, char **argv)` with argv[0] = "<name>", parses its
 * flags with getopt_long (opterr = 0; cli_getopt_error() reports), and returns the exit code.
 */
#ifndef SG_CLI_CLI_H
#define SG_CLI_CLI_H

#include <stdbool.h>
#include <stdint.h>

struct error;

enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

/* "signstgcn <cmd>: <message>\nTry 'signstgcn <cmd> --help'." on stderr; returns CLI_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Reports getopt_long's '?' or ':' result for argv[optind-1] as a usage error. */
int cli_getopt_error(const char *cmd, int c, char **argv);
/* "signstgcn <cmd>: error: <err->msg>" on stderr; returns CLI_FAIL. */
int cli_fail(const char *cmd, const struct error *err);
/* Warning sink callback: ctx is the command name. Prints "signstgcn <cmd>: warning: <msg>". */
void cli_warn(void *ctx, const char *msg);

/* Strict number parsing: the whole string must be a number within [min, max]; otherwise a
 * usage error naming the flag is printed and false returned. */
bool cli_parse_long(const char *cmd, const char *flag, const char *s, long min, long max,
                    long *out);
bool cli_parse_u64(const char *cmd, const char *flag, const char *s, uint64_t *out);
bool cli_parse_double(const char *cmd, const char *flag, const char *s, double min, double max,
                      double *out);

/* --threads N: the OpenMP team size and OpenBLAS's (which runs on the same OpenMP pool);
 * n <= 0 leaves the defaults. */
void cli_set_threads(int n);

/* mkdir -p: creates `path` and its missing parents; an error when it is not a folder. */
int cli_make_dirs(const char *path, struct error *err);
/* "<dir>/<name>", malloc'ed. */
char *cli_join(const char *dir, const char *name, struct error *err);

/* The commands. */
int cmd_version(int argc, char **argv);
int cmd_synth(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_splits(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_predict(int argc, char **argv);
int cmd_variations(int argc, char **argv);
int cmd_embed(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_detect(int argc, char **argv);
int cmd_convert(int argc, char **argv);
int cmd_extract(int argc, char **argv);

#endif
