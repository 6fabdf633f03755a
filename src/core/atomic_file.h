/* atomic_file.h — write a file so that a crash never leaves a broken one.
 *
 * Output goes to "<path>.tmp.<pid>" in the same folder; atomic_file_commit() flushes, fsyncs,
 * renames over <path> and fsyncs the folder (as redis saves its database). On any failure, or
 * with atomic_file_abort(), the temporary file is removed and <path> is untouched.
 */
#ifndef SG_CORE_ATOMIC_FILE_H
#define SG_CORE_ATOMIC_FILE_H

#include <stdio.h>

struct error;

struct atomic_file {
    FILE *fp;        /* write through this */
    char *path;      /* final path */
    char *tmp_path;  /* temporary path in the same folder */
};

int atomic_file_open(struct atomic_file *af, const char *path, struct error *err);
/* Closes, fsyncs and renames. Frees af's strings whether it succeeds or not. */
int atomic_file_commit(struct atomic_file *af, struct error *err);
/* Closes and removes the temporary file. Safe on a zeroed or already-finished struct. */
void atomic_file_abort(struct atomic_file *af);
/* Writes a whole buffer atomically. */
int atomic_file_write_all(const char *path, const void *data, size_t len, struct error *err);
/* fsync()s the folder that holds `path` (after a rename into it). */
int fsync_parent_dir(const char *path, struct error *err);

#endif
