/* dir_lock.h — an advisory lock on an output folder, so two runs never write one folder.
 *
 * `train` (and each variant of `variations`) writes last.safetensors, best.safetensors and
 * metrics.csv into its --out folder over hours; a second run into the same folder used to
 * replace the first's files silently. dir_lock_acquire() takes flock(LOCK_EX|LOCK_NB) on
 * "<dir>/.signstgcn.lock" and writes the holder's process id into it; a second run fails at
 * once with a message naming that process. The lock goes with the process (close, exit, kill
 * -9), so a crashed run never leaves a stale lock; the file itself stays (removing it would
 * race with a run taking it). flock is advisory and local: it does not protect a folder on
 * NFS against another machine.
 */
#ifndef SG_CORE_DIR_LOCK_H
#define SG_CORE_DIR_LOCK_H

struct error;

#define DIR_LOCK_NAME ".signstgcn.lock"

struct dir_lock {
    int fd; /* -1 when not held */
};

/* mkdir -p: creates `path` and its missing parents. 0, or -1 naming the folder that failed
 * and, when one is a file, saying so. */
int dir_make_all(const char *path, struct error *err);

/* Locks `dir` (which must exist). `flag` names the flag that chose the folder, for the
 * message. 0, or -1 with "'runs/x' (--out) is in use by process 1234 ..." */
int dir_lock_acquire(struct dir_lock *l, const char *dir, const char *flag, struct error *err);
/* Releases a held lock; safe on a zeroed-then-failed or released one (fd -1). */
void dir_lock_release(struct dir_lock *l);

#endif
