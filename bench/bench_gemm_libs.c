/* bench_gemm_libs.c — the backbone's SGEMM shapes on OpenBLAS, oneDNN and libxsmm, one thread.
 *
 * nn/gemm.c cuts every large product into pieces and computes each piece with one
 * single-threaded SGEMM, so what decides the library is its single-thread speed on exactly
 * those pieces. For each shape this times (process CPU time, the best of --reps runs, so
 * time spent descheduled on a shared machine does not count) OpenBLAS's cblas_sgemm (what
 * gemm.c calls), oneDNN's dnnl_sgemm (its JIT'd AVX-512 kernels; the same row-major interface)
 * and libxsmm's JIT'd small-GEMM kernels tiled over the piece (libxsmm hands products above
 * LIBXSMM_MAX_MNK to a BLAS, so a large product is a loop of dispatched tiles; the weights
 * are transposed once beforehand where the shape needs it, not timed). Every result is
 * compared with a plain double-precision loop (the oracle) on a sample of elements.
 *
 *   bench_gemm_libs [--reps N]
 *
 * Built only when libdnnl-dev and libxsmm-dev are installed (bench/, never run by ctest).
 */
#include <cblas.h>
#include <libxsmm.h>
#include <math.h>
#include <oneapi/dnnl/dnnl.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Row-major C (M,N) = op(A) · op(B): op(A) = Aᵀ (A is (K,M)) when ta; op(B) = Bᵀ (B is (N,K))
 * when tb. lda/ldb are the row lengths of A and B as stored. */
struct shape {
    const char *what;
    char ta, tb;
    int M, N, K, lda, ldb;
};

static float at_a(const struct shape *s, const float *A, int i, int k)
{
    return s->ta == 'T' ? A[(size_t)k * (size_t)s->lda + (size_t)i]
                        : A[(size_t)i * (size_t)s->lda + (size_t)k];
}

static float at_b(const struct shape *s, const float *B, int k, int j)
{
    return s->tb == 'T' ? B[(size_t)j * (size_t)s->ldb + (size_t)k]
                        : B[(size_t)k * (size_t)s->ldb + (size_t)j];
}

/* Largest relative difference from the oracle over a sample of elements. */
static double check(const struct shape *s, const float *A, const float *B, const float *C)
{
    double worst = 0.0;
    for (int t = 0; t < 64; t++) {
        const int i = (int)(((unsigned)t * 2654435761u) % (unsigned)s->M);
        const int j = (int)(((unsigned)t * 40503u + 7u) % (unsigned)s->N);
        double ref = 0.0, mag = 0.0;
        for (int k = 0; k < s->K; k++) {
            const double p = (double)at_a(s, A, i, k) * (double)at_b(s, B, k, j);
            ref += p;
            mag += fabs(p);
        }
        const double d = fabs((double)C[(size_t)i * (size_t)s->N + (size_t)j] - ref) / (mag + 1e-30);
        if (d > worst) worst = d;
    }
    return worst;
}

static void run_openblas(const struct shape *s, const float *A, const float *B, float *C)
{
    cblas_sgemm(CblasRowMajor, s->ta == 'T' ? CblasTrans : CblasNoTrans,
                s->tb == 'T' ? CblasTrans : CblasNoTrans, s->M, s->N, s->K, 1.0f, A, s->lda, B,
                s->ldb, 0.0f, C, s->N);
}

static void run_dnnl(const struct shape *s, const float *A, const float *B, float *C)
{
    if (dnnl_sgemm(s->ta, s->tb, s->M, s->N, s->K, 1.0f, A, s->lda, B, s->ldb, 0.0f, C, s->N) !=
        dnnl_success) {
        fprintf(stderr, "dnnl_sgemm failed on %s\n", s->what);
        exit(1);
    }
}

/* libxsmm works column-major: row-major C (M,N) = A'·B' is column-major Cᵀ (N×M) = B'ᵀ·A'ᵀ.
 * With A' (M,K) row-major (= A'ᵀ column-major, ld K) and B' (K,N) row-major (= B'ᵀ
 * column-major, ld N) no transpose is needed. The kernel is dispatched for an (N × nt × kt)
 * tile with nt rows of C and kt of the inner dimension (N·nt·kt ≤ LIBXSMM_MAX_MNK) and looped
 * over the rows and the inner dimension (beta 1 after the first kt). Ap and Bp are the
 * operands already brought to that form (transposed beforehand when the shape says so). */
struct xsmm_plan {
    libxsmm_smmfunction first, rest, first_tail, rest_tail;
    int nt, kt;
};

static int xsmm_plan_make(const struct shape *s, struct xsmm_plan *p)
{
    const float one = 1.0f, zero = 0.0f;
    const libxsmm_blasint m = s->N, lda = s->N, ldb = s->K, ldc = s->N;
    int kt = s->K < 256 ? s->K : 256;
    while (kt > 1 && (long)m * 8 * kt > LIBXSMM_MAX_MNK) kt /= 2;
    int nt = (int)(LIBXSMM_MAX_MNK / ((long)m * kt));
    if (nt > s->M) nt = s->M;
    if (nt < 1) return -1;
    p->nt = nt;
    p->kt = kt;
    const int ktail = s->K % kt ? s->K % kt : kt;
    p->first = libxsmm_smmdispatch(m, nt, kt, &lda, &ldb, &ldc, &one, &zero, NULL, NULL);
    p->rest = libxsmm_smmdispatch(m, nt, kt, &lda, &ldb, &ldc, &one, &one, NULL, NULL);
    p->first_tail = libxsmm_smmdispatch(m, nt, ktail, &lda, &ldb, &ldc, &one, &zero, NULL, NULL);
    p->rest_tail = libxsmm_smmdispatch(m, nt, ktail, &lda, &ldb, &ldc, &one, &one, NULL, NULL);
    return p->first && p->rest && p->first_tail && p->rest_tail ? 0 : -1;
}

/* Ap: (M,K) row-major; Bp: (K,N) row-major; rows of C beyond a multiple of nt use a
 * kernel dispatched for the remainder. */
static void run_xsmm(const struct shape *s, const struct xsmm_plan *p, const float *Ap,
                     const float *Bp, float *C)
{
    const float one = 1.0f, zero = 0.0f;
    const libxsmm_blasint m = s->N, lda = s->N, ldb = s->K, ldc = s->N;
    for (int r0 = 0; r0 < s->M; r0 += p->nt) {
        const int rows = s->M - r0 < p->nt ? s->M - r0 : p->nt;
        for (int k0 = 0; k0 < s->K; k0 += p->kt) {
            const int kk = s->K - k0 < p->kt ? s->K - k0 : p->kt;
            libxsmm_smmfunction f;
            if (rows == p->nt)
                f = kk == p->kt ? (k0 ? p->rest : p->first) : (k0 ? p->rest_tail : p->first_tail);
            else
                f = libxsmm_smmdispatch(m, rows, kk, &lda, &ldb, &ldc, &one, k0 ? &one : &zero,
                                        NULL, NULL);
            f(Bp + (size_t)k0 * (size_t)s->N, Ap + (size_t)r0 * (size_t)s->K + (size_t)k0,
              C + (size_t)r0 * (size_t)s->N);
        }
    }
}

static float *randoms(size_t n, unsigned seed)
{
    float *v = malloc(n * sizeof *v);
    if (!v) exit(1);
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1664525u + 1013904223u;
        v[i] = (float)(seed >> 8) / 16777216.0f - 0.5f;
    }
    return v;
}

int main(int argc, char **argv)
{
    int reps = 7;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--reps") && i + 1 < argc) reps = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: bench_gemm_libs [--reps N]\n");
            return 2;
        }
    }
    omp_set_num_threads(1);
    libxsmm_init();
    /* The pieces nn/gemm.c hands to one thread at SPEC's widths (64, 128, 128), J=75, batch
     * 32, window 25: 60,000 rows per layer, pieces of 2048 rows or 64 output rows. */
    const struct shape shapes[] = {
        {"linear/tconv fwd  2048x128x128 (A·Wᵀ)", 'N', 'T', 2048, 128, 128, 128, 128},
        {"linear fwd        2048x128x64  (A·Wᵀ)", 'N', 'T', 2048, 128, 64, 64, 64},
        {"linear/tconv dX   2048x128x128 (dY·W)", 'N', 'N', 2048, 128, 128, 128, 128},
        {"linear dX         2048x64x128  (dY·W)", 'N', 'N', 2048, 64, 128, 128, 64},
        {"weight grad       64x128x60000 (dYᵀ·X)", 'T', 'N', 64, 128, 60000, 128, 128},
        {"tconv side tap    1875x128x128 (per sample)", 'N', 'T', 1875, 128, 128, 128, 128},
        {"layer 0 fwd       2048x64x2", 'N', 'T', 2048, 64, 2, 2, 2},
        {"layer 0 fwd       2048x64x6", 'N', 'T', 2048, 64, 6, 6, 6},
    };
    printf("%-46s %10s %10s %10s   (GFLOP/s on process CPU time, best of %d; max rel. error)\n",
           "shape (M x N x K)", "OpenBLAS", "oneDNN", "libxsmm", reps);
    for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++) {
        const struct shape *s = &shapes[si];
        const size_t na = s->ta == 'T' ? (size_t)s->K * (size_t)s->lda : (size_t)s->M * (size_t)s->lda;
        const size_t nb = s->tb == 'T' ? (size_t)s->N * (size_t)s->ldb : (size_t)s->K * (size_t)s->ldb;
        float *A = randoms(na, 1u + (unsigned)si), *B = randoms(nb, 100u + (unsigned)si);
        float *C = calloc((size_t)s->M * (size_t)s->N, sizeof *C);
        /* libxsmm's operands: A as (M,K), B as (K,N), row-major */
        float *Ap = malloc((size_t)s->M * (size_t)s->K * sizeof *Ap);
        float *Bp = malloc((size_t)s->K * (size_t)s->N * sizeof *Bp);
        if (!C || !Ap || !Bp) return 1;
        for (int i = 0; i < s->M; i++)
            for (int k = 0; k < s->K; k++) Ap[(size_t)i * (size_t)s->K + (size_t)k] = at_a(s, A, i, k);
        for (int k = 0; k < s->K; k++)
            for (int j = 0; j < s->N; j++) Bp[(size_t)k * (size_t)s->N + (size_t)j] = at_b(s, B, k, j);
        const double flop = 2.0 * s->M * s->N * s->K;
        double best[3] = {1e30, 1e30, 1e30}, err[3] = {0, 0, 0};
        struct xsmm_plan plan = {0};
        const int have_xsmm = xsmm_plan_make(s, &plan) == 0;
        for (int r = 0; r < reps; r++) {
            for (int lib = 0; lib < 3; lib++) {
                if (lib == 2 && !have_xsmm) continue;
                memset(C, 0, (size_t)s->M * (size_t)s->N * sizeof *C);
                const double t0 = cpu_now();
                if (lib == 0) run_openblas(s, A, B, C);
                else if (lib == 1) run_dnnl(s, A, B, C);
                else run_xsmm(s, &plan, Ap, Bp, C);
                const double dt = cpu_now() - t0;
                if (dt < best[lib]) best[lib] = dt;
                if (r == 0) err[lib] = check(s, A, B, C);
            }
        }
        printf("%-46s %10.1f %10.1f ", s->what, flop / best[0] * 1e-9, flop / best[1] * 1e-9);
        if (have_xsmm) printf("%10.1f", flop / best[2] * 1e-9);
        else printf("%10s", "no kernel");
        printf("   (%.1e %.1e %.1e)\n", err[0], err[1], have_xsmm ? err[2] : 0.0);
        free(A);
        free(B);
        free(C);
        free(Ap);
        free(Bp);
    }
    libxsmm_finalize();
    return 0;
}
