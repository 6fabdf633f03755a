/* outputs.h — checking every path a command reads and writes before any work starts.
 *
 * Each command with an output flag (synth, splits, train, predict, embed, eval, variations,
 * and later detect) lists its paths once — what it reads, what it writes — and calls
 * cli_check_paths() right after parsing its flags, before loading anything:
 *
 *   1. No output may be an input or another output of the same command (exit 2). Two paths
 *      are the same when they name the same file (st_dev and st_ino) or, where one does not
 *      exist yet, the same canonical path (realpath of the folder + the name). A folder input
 *      stands for the files the command reads in it: CLI_IN_DATA_DIR for DIR/<id>.npz and DIR's
 *      groundtruth.txt, groundtruth and signers.txt; CLI_IN_META_DIR for those three only
 *      (the folder of --input files). A folder output stands for itself and for the names it
 *      writes inside (`files`).
 *   2. Every output location can be written (exit 1): a file output's folder exists (or is
 *      a folder output of the same command, created first) and takes a new file (probed by creating and removing one), an existing file output is a
 *      regular file; a folder output is a folder or can be created under its nearest existing
 *      parent, which takes a new file.
 *
 * Each problem is one line on stderr naming the flag, the path and what to do. Nothing is
 * created or changed by the check itself.
 */
#ifndef SG_CLI_OUTPUTS_H
#define SG_CLI_OUTPUTS_H

#include <stddef.h>

enum cli_path_kind {
    CLI_IN_FILE,     /* a file the command reads */
    CLI_IN_DATA_DIR, /* a dataset folder: DIR/<id>.npz and its groundtruth and signers files */
    CLI_IN_META_DIR, /* a folder whose groundtruth and signers files are read (not its .npz) */
    CLI_OUT_FILE,    /* a file the command writes (its folder must exist) */
    CLI_OUT_DIR,     /* a folder the command creates when needed and writes into */
};

struct cli_path {
    const char *flag;            /* "--out"; a default path names its flag too */
    const char *path;            /* NULL or "": not given, skipped */
    enum cli_path_kind kind;
    const char *const *files;    /* CLI_OUT_DIR: names written inside, NULL-terminated */
};

/* CLI_OK, or CLI_USAGE / CLI_FAIL with one line printed ("signstgcn <cmd>: error: ..."). */
int cli_check_paths(const char *cmd, const struct cli_path *paths, size_t n);

#endif
