/* dist.h — the processes of a data-parallel run, behind one small interface.
 *
 * `mpirun -np N signstgcn train …` starts N processes (ranks). Everything the training needs
 * from MPI is here: sums over all ranks (gradients, BatchNorm's per-channel sums, loss
 * terms), gathering rows of a batch (the supervised contrastive loss sees the whole batch),
 * a broadcast from rank 0 (K-means centroids, validation results) and an abort that takes
 * the whole job down. Built without MPI (-DSIGNSTGCN_MPI=OFF, or no MPI found), or run
 * without mpirun, there is one rank and every call is the identity: the program is then
 * exactly the single-process one.
 *
 * A batch of Bg windows is split into contiguous shards, rank r taking
 * [r·Bg/N, (r+1)·Bg/N) (dist_shard): shards differ by at most one window, and a rank may get
 * none when Bg < N (the last batch of an epoch); it still joins every collective.
 *
 * Errors: MPI's default handler aborts the whole job on a failed collective, which is what a
 * data-parallel run needs (a rank that cannot take part cannot be waited for); the calls
 * therefore return nothing. Collectives are called from the main thread only, outside
 * OpenMP regions (MPI_THREAD_FUNNELED). No call allocates after dist_init.
 */
#ifndef SG_CORE_DIST_H
#define SG_CORE_DIST_H

#include <stdbool.h>
#include <stddef.h>

struct error;

struct dist {
    int rank, size;
    bool mpi;            /* MPI was initialised (and must be finalised) */
    int *counts, *displs;/* (size) scratch of dist_gather_rows */
    double comm_s;       /* seconds spent in dist_sum_f32 (the gradient all-reduce) */
    double comm_bytes;   /* bytes given to dist_sum_f32 */
};

/* True when this build has MPI. */
bool dist_available(void);
/* True when the process was started by an MPI launcher (mpirun/mpiexec/srun environment). */
bool dist_launched(void);
/* Initialises MPI when the process was launched by mpirun (else one rank, no MPI). */
int dist_init(struct dist *d, int *argc, char ***argv, struct error *err);
/* Finalises MPI (after a normal end on every rank). */
void dist_finish(struct dist *d);
/* Ends the whole job now with `code` (MPI_Abort): for a rank that failed, so that the others
 * do not wait for it in their next collective. Returns only without MPI. */
void dist_abort(const struct dist *d, int code);

/* Rank r's shard of a batch of n windows: [*first, *first + *count). */
void dist_shard(size_t n, int r, int size, size_t *first, size_t *count);

/* In-place sums over all ranks (every rank gets the result). */
void dist_sum_f64(struct dist *d, double *buf, size_t n);
void dist_sum_f32(struct dist *d, float *buf, size_t n);
/* The rows of a batch of n rows of `width` floats, each rank holding its dist_shard of them
 * in `mine`: every rank gets all n rows in `all` (n × width). */
void dist_gather_rows(struct dist *d, float *all, const float *mine, size_t n, size_t width);
/* Returns on every rank once all ranks have called it. */
void dist_barrier(struct dist *d);
/* Rank 0's buffer to every rank. */
void dist_bcast_f64(struct dist *d, double *buf, size_t n);
void dist_bcast_bytes(struct dist *d, void *buf, size_t n);

#endif
