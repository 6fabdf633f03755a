/* bench_backbone.c — forward+backward time of one ST-GCN backbone block (SPEC §3.1) built from
 * the src/nn kernels, per layer, at the training shape B=32, T=25 for J=75 (pose + hands) and
 * J=553 (pose + hands + full face). Not a test: it prints figures and never gates anything.
 *
 * One block in training mode:
 *   H = X·Wᵀ+b (linear) → G = Σ_k Â_k H_k (gconv) → T = TConv_d(G) (tconv) → BN (batch stats)
 *   → Z = BN + R, R = X or X·res_projᵀ+b (residual) → ReLU → Dropout(0.1)
 * then the whole backward (gradients zeroed first, as the model does once per step).
 *
 * The graph is SPEC's `--graph chain` with the spatial partition (about three non-zeros per row
 * over the three Â_k, as sparse as the MediaPipe skeleton). Threads: argument 1 (default 2),
 * applied to OpenMP and to OpenBLAS.
 *
 * Build (after `make build`, from the repository root), linked like the project against
 * OpenBLAS's OpenMP build:
 *   OB=/usr/lib/x86_64-linux-gnu/openblas-openmp
 *   gcc -O2 -std=c11 -fopenmp -Isrc bench/bench_backbone.c build/libsignstgcn_core.a \
 *       $(PKG_CONFIG_PATH=$OB/pkgconfig pkg-config --libs openblas libzip libcjson) \
 *       -Wl,-rpath,$OB -Wl,--disable-new-dtags -lm -o build/bench_backbone
 *   build/bench_backbone [threads] [iterations] [J: 75 or 553, default both]
 * The PyTorch reference on the same work: /usr/bin/python3 bench/bench_backbone_ref.py [threads]
 */
#define _POSIX_C_SOURCE 200809L
#include <cblas.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/rng.h"
#include "graph/graph.h"
#include "nn/activation.h"
#include "nn/batchnorm.h"
#include "nn/gconv.h"
#include "nn/linear.h"
#include "nn/tconv.h"

enum { NB_B = 32, NB_T = 25, NB_K = 3 };

/* Chain graph 0-1-2-…-(J−1), spatial partition rooted at 0 (hop distance = index). */
static void chain_graph(struct graph *g, size_t J)
{
    g->num_joints = J;
    g->K = NB_K;
    for (size_t k = 0; k < NB_K; k++) {
        struct sparse_adj *A = &g->A[k];
        A->n = J;
        A->row_ptr = calloc(J + 1, sizeof *A->row_ptr);
        A->col = calloc(J, sizeof *A->col);
        A->val = calloc(J, sizeof *A->val);
        size_t p = 0;
        for (size_t i = 0; i < J; i++) {
            A->row_ptr[i] = p;
            float deg = 1.0f + (i > 0) + (i + 1 < J);
            long j = k == 0 ? (long)i : k == 1 ? (long)i - 1 : (long)i + 1;
            if (j >= 0 && j < (long)J) {
                A->col[p] = (int32_t)j;
                A->val[p++] = 1.0f / deg;
            }
        }
        A->row_ptr[J] = p;
        A->nnz = p;
    }
}

static void chain_graph_free(struct graph *g)
{
    for (size_t k = 0; k < g->K; k++) free(g->A[k].row_ptr), free(g->A[k].col), free(g->A[k].val);
}

static float *alloc_f(size_t n, struct rng *r, float scale)
{
    float *x = aligned_alloc(64, ((n * sizeof(float) + 63) / 64) * 64);
    if (!x) {
        fprintf(stderr, "bench_backbone: out of memory (%zu floats)\n", n);
        exit(1);
    }
    if (r)
        for (size_t i = 0; i < n; i++) x[i] = rng_uniform_f(r, -scale, scale);
    else
        memset(x, 0, n * sizeof(float));
    return x;
}

/* Wall-clock seconds, and CPU seconds of the whole process (all threads): on a shared machine
 * the first depends on the neighbours, the second on the work (OpenBLAS's waiting threads
 * spin, so with more than one thread it also counts some waiting). */
static double now(void) { return omp_get_wtime(); }
static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

enum { L_LIN, L_GCONV, L_TCONV, L_BN, L_RES, L_ACT, L_N };
static const char *const layer_names[L_N] = {"linear", "gconv", "tconv", "batchnorm",
                                             "residual", "relu+dropout"};

static void bench_block(size_t J, size_t Cin, size_t Cout, size_t d, int iters)
{
    const size_t N = (size_t)NB_B * NB_T * J, BT = (size_t)NB_B * NB_T, KO = NB_K * Cout;
    const int proj = Cin != Cout;
    struct rng r;
    rng_seed(&r, 1);
    struct graph g;
    chain_graph(&g, J);
    /* parameters and their gradients */
    float *lw = alloc_f(KO * Cin, &r, 0.1f), *lb = alloc_f(KO, &r, 0.1f);
    float *tw = alloc_f(Cout * Cout * 3, &r, 0.05f), *gm = alloc_f(Cout, &r, 1.0f);
    float *bt = alloc_f(Cout, &r, 0.1f), *rw = alloc_f(Cout * Cin, &r, 0.1f);
    float *rb = alloc_f(Cout, &r, 0.1f), *rm = alloc_f(Cout, NULL, 0), *rv = alloc_f(Cout, NULL, 0);
    float *dlw = alloc_f(KO * Cin, NULL, 0), *dlb = alloc_f(KO, NULL, 0);
    float *dtw = alloc_f(Cout * Cout * 3, NULL, 0), *dgm = alloc_f(Cout, NULL, 0);
    float *dbt = alloc_f(Cout, NULL, 0), *drw = alloc_f(Cout * Cin, NULL, 0);
    float *drb = alloc_f(Cout, NULL, 0), *mean = alloc_f(Cout, NULL, 0);
    float *invstd = alloc_f(Cout, NULL, 0), *ws = alloc_f(tconv_workspace_floats(Cout, Cout), NULL, 0);
    /* activations: X, H, G, Tt, Z (BN out, then + R), R (projection), Y; and the gradients */
    float *X = alloc_f(N * Cin, &r, 1.0f), *H = alloc_f(N * KO, NULL, 0);
    float *G = alloc_f(N * Cout, NULL, 0), *Tt = alloc_f(N * Cout, NULL, 0);
    float *Z = alloc_f(N * Cout, NULL, 0), *R = proj ? alloc_f(N * Cout, NULL, 0) : X;
    float *Y = alloc_f(N * Cout, NULL, 0), *dY = alloc_f(N * Cout, &r, 1.0f);
    uint8_t *mask = malloc(N * Cout);
    float *dZ = alloc_f(N * Cout, NULL, 0), *dT = alloc_f(N * Cout, NULL, 0);
    float *dH = alloc_f(N * KO, NULL, 0), *dX = alloc_f(N * Cin, NULL, 0);
    float *dG = dZ; /* dZ is dead once BN and the residual have consumed it */
    for (size_t c = 0; c < Cout; c++) gm[c] = 1.0f, rv[c] = 1.0f;

    double tf[L_N] = {0}, tb[L_N] = {0}, cf[L_N] = {0}, cb[L_N] = {0}, total = 0, ctotal = 0;
    for (int it = -1; it < iters; it++) { /* it = −1: warm-up, not counted */
        double t0 = now(), t1, f[L_N], b[L_N], u0 = cpu_now(), u1, fu[L_N], bu[L_N];
#define MARK(arr, uarr, l) (t1 = now(), u1 = cpu_now(), arr[l] = t1 - t0, uarr[l] = u1 - u0, t0 = t1, u0 = u1)
        /* forward */
        linear_forward(H, X, lw, lb, N, Cin, KO);
        MARK(f, fu, L_LIN);
        gconv_forward(G, H, &g, BT, Cout);
        MARK(f, fu, L_GCONV);
        tconv_forward(Tt, G, tw, ws, NB_B, NB_T, J, Cout, Cout, d);
        MARK(f, fu, L_TCONV);
        batchnorm_forward_train(Z, mean, invstd, rm, rv, Tt, gm, bt, N, Cout, BATCHNORM_MOMENTUM,
                                BATCHNORM_EPS);
        MARK(f, fu, L_BN);
        if (proj) linear_forward(R, X, rw, rb, N, Cin, Cout);
        residual_forward(Z, Z, R, N * Cout);
        MARK(f, fu, L_RES);
        relu_forward(Y, Z, N * Cout);
        dropout_draw_mask(mask, N * Cout, 0.1f, &r);
        dropout_forward(Y, Y, mask, N * Cout, 0.1f);
        MARK(f, fu, L_ACT);
        /* backward (gradients zeroed as the model does once per step; not timed) */
        memset(dZ, 0, N * Cout * sizeof(float));
        memset(dT, 0, N * Cout * sizeof(float));
        memset(dH, 0, N * KO * sizeof(float));
        memset(dX, 0, N * Cin * sizeof(float));
        t0 = now(), u0 = cpu_now();
        /* dZ = relu'(Z)·dropout'(dY): ReLU's mask read from its output Z>0 */
        dropout_backward(dT, dY, mask, N * Cout, 0.1f);
        relu_backward(dZ, dT, Z, N * Cout);
        MARK(b, bu, L_ACT);
        if (proj)
            linear_backward(dX, drw, drb, dZ, X, rw, N, Cin, Cout);
        else
            residual_backward(NULL, dX, dZ, N * Cout);
        MARK(b, bu, L_RES);
        memset(dT, 0, N * Cout * sizeof(float)); /* (reused as scratch above) */
        t0 = now(), u0 = cpu_now();
        batchnorm_backward_train(dT, dgm, dbt, dZ, Tt, gm, mean, invstd, N, Cout);
        MARK(b, bu, L_BN);
        memset(dG, 0, N * Cout * sizeof(float));
        t0 = now(), u0 = cpu_now();
        tconv_backward(dG, dtw, dT, G, tw, ws, NB_B, NB_T, J, Cout, Cout, d);
        MARK(b, bu, L_TCONV);
        gconv_backward(dH, dG, &g, BT, Cout);
        MARK(b, bu, L_GCONV);
        linear_backward(dX, dlw, dlb, dH, X, lw, N, Cin, KO);
        MARK(b, bu, L_LIN);
        if (it >= 0)
            for (int l = 0; l < L_N; l++) {
                tf[l] += f[l], tb[l] += b[l], total += f[l] + b[l];
                cf[l] += fu[l], cb[l] += bu[l], ctotal += fu[l] + bu[l];
            }
#undef MARK
    }
    printf("block %zu->%zu d=%zu  B=%d T=%d J=%zu (N=%zu rows)\n", Cin, Cout, d, NB_B, NB_T, J, N);
    for (int l = 0; l < L_N; l++)
        printf("  %-13s fwd %8.1f ms   bwd %8.1f ms   (cpu %8.1f + %8.1f ms)\n", layer_names[l],
               1e3 * tf[l] / iters, 1e3 * tb[l] / iters, 1e3 * cf[l] / iters,
               1e3 * cb[l] / iters);
    printf("  %-13s fwd+bwd %8.1f ms per step (cpu %.1f ms)\n", "total", 1e3 * total / iters,
           1e3 * ctotal / iters);
    fflush(stdout);

    float *all[] = {lw, lb, tw, gm, bt, rw, rb, rm, rv, dlw, dlb, dtw, dgm, dbt, drw, drb, mean,
                    invstd, ws, X, H, G, Tt, Z, Y, dY, dZ, dT, dH, dX};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) free(all[i]);
    if (proj) free(R);
    free(mask);
    chain_graph_free(&g);
}

int main(int argc, char **argv)
{
    int threads = argc > 1 ? atoi(argv[1]) : 2, iters = argc > 2 ? atoi(argv[2]) : 3;
    long only_j = argc > 3 ? atol(argv[3]) : 0;
    if (threads < 1 || iters < 1 || only_j < 0) {
        fprintf(stderr, "usage: bench_backbone [threads >= 1] [iterations >= 1] [J (0: 75 and 553)]\n");
        return 2;
    }
    omp_set_num_threads(threads);
    openblas_set_num_threads(threads);
    printf("signstgcn backbone block, %d thread(s), mean of %d step(s) after one warm-up\n",
           threads, iters);
    const size_t joints[2] = {75, 553};
    for (int q = 0; q < 2; q++) {
        if (only_j && (size_t)only_j != joints[q]) continue;
        bench_block(joints[q], 64, 128, 2, iters);  /* backbone.layers.1 */
        bench_block(joints[q], 128, 128, 3, iters); /* backbone.layers.2 */
    }
    return 0;
}
