/* dist.c — MPI behind dist.h, or one rank without it (see dist.h).
 *
 * With SIGNSTGCN_HAVE_MPI, MPI is initialised only when a launcher started the process
 * (Open MPI's OMPI_COMM_WORLD_SIZE, PMIx's PMIX_RANK, Hydra's PMI_SIZE): a plain
 * `signstgcn train` never touches MPI, so it starts as fast as before and behaves exactly
 * as the single-process program. With one rank every collective is the identity and
 * nothing is sent. Sums of floats travel as floats (the gradient all-reduce: half the bytes
 * of doubles); the per-channel sums of BatchNorm and the loss terms travel as doubles.
 * Buffers larger than INT_MAX elements go in INT_MAX pieces.
 */
#include "core/dist.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/error.h"

#ifdef SIGNSTGCN_HAVE_MPI
#include <mpi.h>
#endif

bool dist_available(void)
{
#ifdef SIGNSTGCN_HAVE_MPI
    return true;
#else
    return false;
#endif
}

bool dist_launched(void)
{
    return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMIX_RANK") || getenv("PMI_SIZE");
}

void dist_shard(size_t n, int r, int size, size_t *first, size_t *count)
{
    const size_t s = (size_t)size, k = (size_t)r;
    *first = k * n / s;
    *count = (k + 1) * n / s - *first;
}

int dist_init(struct dist *d, int *argc, char ***argv, struct error *err)
{
    memset(d, 0, sizeof *d);
    d->size = 1;
#ifdef SIGNSTGCN_HAVE_MPI
    if (dist_launched()) {
        int provided = 0;
        if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
            return error_set(err, "MPI_Init_thread failed");
        d->mpi = true;
        MPI_Comm_rank(MPI_COMM_WORLD, &d->rank);
        MPI_Comm_size(MPI_COMM_WORLD, &d->size);
        if (provided < MPI_THREAD_FUNNELED) {
            error_set(err, "MPI gives thread support level %d; signstgcn needs "
                      "MPI_THREAD_FUNNELED (OpenMP threads beside MPI calls from the main "
                      "thread)", provided);
            return -1;
        }
    }
#else
    (void)argc;
    (void)argv;
    const char *n = getenv("OMPI_COMM_WORLD_SIZE");
    if (!n) n = getenv("PMI_SIZE");
    if (n && atoi(n) > 1)
        return error_set(err, "started by mpirun with %s processes, but this signstgcn was built "
                         "without MPI: each would train alone", n),
               error_hint(err, "rebuild with Open MPI installed (Debian: libopenmpi-dev; cmake "
                          "-DSIGNSTGCN_MPI=ON), or run without mpirun");
#endif
    d->counts = sg_malloc((size_t)d->size, sizeof(int), "MPI ranks", err);
    d->displs = sg_malloc((size_t)d->size, sizeof(int), "MPI ranks", err);
    if (!d->counts || !d->displs) return -1;
    return 0;
}

void dist_finish(struct dist *d)
{
#ifdef SIGNSTGCN_HAVE_MPI
    if (d->mpi) MPI_Finalize();
#endif
    free(d->counts);
    free(d->displs);
    d->counts = d->displs = NULL;
    d->mpi = false;
}

void dist_abort(const struct dist *d, int code)
{
#ifdef SIGNSTGCN_HAVE_MPI
    if (d->mpi && d->size > 1) MPI_Abort(MPI_COMM_WORLD, code);
#else
    (void)d;
    (void)code;
#endif
}

#ifdef SIGNSTGCN_HAVE_MPI
static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void allreduce(void *buf, size_t n, MPI_Datatype t, size_t elem)
{
    for (size_t i = 0; i < n; i += INT_MAX) {
        const size_t k = n - i < INT_MAX ? n - i : INT_MAX;
        MPI_Allreduce(MPI_IN_PLACE, (char *)buf + i * elem, (int)k, t, MPI_SUM, MPI_COMM_WORLD);
    }
}

static void bcast(void *buf, size_t n, MPI_Datatype t, size_t elem)
{
    for (size_t i = 0; i < n; i += INT_MAX) {
        const size_t k = n - i < INT_MAX ? n - i : INT_MAX;
        MPI_Bcast((char *)buf + i * elem, (int)k, t, 0, MPI_COMM_WORLD);
    }
}
#endif

void dist_sum_f64(struct dist *d, double *buf, size_t n)
{
    if (d->size < 2) return;
#ifdef SIGNSTGCN_HAVE_MPI
    allreduce(buf, n, MPI_DOUBLE, sizeof(double));
#else
    (void)buf;
    (void)n;
#endif
}

void dist_sum_f32(struct dist *d, float *buf, size_t n)
{
    if (d->size < 2) return;
#ifdef SIGNSTGCN_HAVE_MPI
    const double t0 = now_s();
    allreduce(buf, n, MPI_FLOAT, sizeof(float));
    d->comm_s += now_s() - t0;
    d->comm_bytes += (double)n * (double)sizeof(float);
#else
    (void)buf;
    (void)n;
#endif
}

void dist_gather_rows(struct dist *d, float *all, const float *mine, size_t n, size_t width)
{
    size_t first, count;
    dist_shard(n, d->rank, d->size, &first, &count);
    if (d->size < 2) {
        if (all != mine) memcpy(all, mine, n * width * sizeof(float));
        return;
    }
#ifdef SIGNSTGCN_HAVE_MPI
    CHECK(n * width <= INT_MAX);
    for (int r = 0; r < d->size; r++) {
        size_t f, c;
        dist_shard(n, r, d->size, &f, &c);
        d->counts[r] = (int)(c * width);
        d->displs[r] = (int)(f * width);
    }
    MPI_Allgatherv(mine, (int)(count * width), MPI_FLOAT, all, d->counts, d->displs, MPI_FLOAT,
                   MPI_COMM_WORLD);
#endif
}

void dist_barrier(struct dist *d)
{
    if (d->size < 2) return;
#ifdef SIGNSTGCN_HAVE_MPI
    MPI_Barrier(MPI_COMM_WORLD);
#endif
}

void dist_bcast_f64(struct dist *d, double *buf, size_t n)
{
    if (d->size < 2) return;
#ifdef SIGNSTGCN_HAVE_MPI
    bcast(buf, n, MPI_DOUBLE, sizeof(double));
#else
    (void)buf;
    (void)n;
#endif
}

void dist_bcast_bytes(struct dist *d, void *buf, size_t n)
{
    if (d->size < 2) return;
#ifdef SIGNSTGCN_HAVE_MPI
    bcast(buf, n, MPI_BYTE, 1);
#else
    (void)buf;
    (void)n;
#endif
}
