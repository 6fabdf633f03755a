/* gconv.c — sparse graph aggregation over channels-last activations (see gconv.h).
 *
 * Design. The adjacency of a MediaPipe skeleton is very sparse (about three non-zeros per row
 * per partition, for J = 75 as for J = 553 with the face), so the kernel walks the CSR rows of
 * each Â_k and adds val·H[j, k-block] into the output row: a dense J×J product would do two
 * orders of magnitude more work at J = 553 and still more than the sparse walk at J = 75. Each
 * non-zero moves a contiguous run of `out` floats, which the compiler vectorises.
 *
 * Threads split the B·T slices. In forward each thread writes whole rows of its own slices;
 * in backward the transposed aggregation is a scatter (row i of dG feeds row j of dH), but the
 * scatter stays inside one (b,t) slice, so a thread that owns the slice owns every row it
 * writes: no transposed CSR, no atomics, no allocation. The order of the additions into an
 * element is fixed by the CSR order (k, then i, then the non-zeros of row i) and does not
 * depend on the thread count, so results are bit-identical for any number of threads.
 *
 * The fused kernels (what the model runs) take the Linear in too: per piece of (b,t) slices,
 * H_k's rows of the piece = X·W_kᵀ + b_k (one single-threaded SGEMM) and then the piece's
 * aggregation, while those rows are still in the core's cache — H_k no longer goes out to
 * memory between the bias, the product and the aggregation. The backward likewise scatters
 * dG into dH_k's rows of a piece and at once adds their product with W_k into dX. Pieces are handed out dynamically; nothing is
 * summed across pieces, so any schedule gives the same bits, and a thread slowed by another
 * process takes fewer pieces. The weight gradient dW_k = dH_kᵀ·X is a sum over every row and
 * stays with linear.c's fixed pieces.
 *
 * Not here: building Â (graph.c).
 */
#include "nn/gconv.h"

#include <omp.h>
#include <stdbool.h>
#include <string.h>

#include "core/error.h"
#include "graph/graph.h"
#include "nn/gemm.h"

void gconv_forward(float *G, const float *H, const struct graph *g, size_t BT, size_t out)
{
    const size_t J = g->num_joints, K = g->K, ldh = K * out;
    CHECK(K >= 1 && K <= GRAPH_MAX_K);
#pragma omp parallel for schedule(static)
    for (size_t s = 0; s < BT; s++) {
        const float *Hs = H + s * J * ldh;
        float *Gs = G + s * J * out;
        for (size_t i = 0; i < J; i++) {
            float *restrict gi = Gs + i * out;
            memset(gi, 0, out * sizeof *gi);
            for (size_t k = 0; k < K; k++) {
                const struct sparse_adj *A = &g->A[k];
                for (size_t p = A->row_ptr[i]; p < A->row_ptr[i + 1]; p++) {
                    const float v = A->val[p];
                    const float *restrict hj = Hs + (size_t)A->col[p] * ldh + k * out;
#pragma omp simd
                    for (size_t c = 0; c < out; c++) gi[c] += v * hj[c];
                }
            }
        }
    }
}

void gconv_backward(float *dH, const float *dG, const struct graph *g, size_t BT, size_t out)
{
    const size_t J = g->num_joints, K = g->K, ldh = K * out;
    CHECK(K >= 1 && K <= GRAPH_MAX_K);
#pragma omp parallel for schedule(static)
    for (size_t s = 0; s < BT; s++) {
        const float *dGs = dG + s * J * out;
        float *dHs = dH + s * J * ldh;
        for (size_t k = 0; k < K; k++) {
            const struct sparse_adj *A = &g->A[k];
            for (size_t i = 0; i < J; i++) {
                const float *restrict gi = dGs + i * out;
                for (size_t p = A->row_ptr[i]; p < A->row_ptr[i + 1]; p++) {
                    const float v = A->val[p];
                    float *restrict hj = dHs + (size_t)A->col[p] * ldh + k * out;
#pragma omp simd
                    for (size_t c = 0; c < out; c++) hj[c] += v * gi[c];
                }
            }
        }
    }
}

/* Slices per piece of the fused kernels: a piece's rows of H_k take about 512 KB, so they are
 * still in the core's cache when the aggregation reads them (J = 75: 27 slices at out = 64,
 * 6 at out = 256; J = 553: 1 to 3). Depends only on the shapes, never on the thread count. */
static size_t fused_slices(size_t J, size_t out)
{
    const size_t s = ((size_t)1 << 17) / (out * J);
    return s ? s : 1;
}

/* G's rows of ns slices (=, first; +=, otherwise) Â_k · H_k over the same rows. */
static void aggregate(float *G, const float *Hk, const struct sparse_adj *A, bool first,
                      size_t ns, size_t J, size_t out)
{
    for (size_t s = 0; s < ns; s++) {
        const float *Hs = Hk + s * J * out;
        float *Gs = G + s * J * out;
        for (size_t i = 0; i < J; i++) {
            float *restrict gi = Gs + i * out;
            if (first) memset(gi, 0, out * sizeof *gi);
            for (size_t p = A->row_ptr[i]; p < A->row_ptr[i + 1]; p++) {
                const float v = A->val[p];
                const float *restrict hj = Hs + (size_t)A->col[p] * out;
#pragma omp simd
                for (size_t c = 0; c < out; c++) gi[c] += v * hj[c];
            }
        }
    }
}

/* dH_k's rows of ns slices = Â_kᵀ-aggregation of dG over the same rows (overwritten). */
static void scatter(float *dHk, const float *dG, const struct sparse_adj *A, size_t ns,
                    size_t J, size_t out)
{
    memset(dHk, 0, ns * J * out * sizeof *dHk);
    for (size_t s = 0; s < ns; s++) {
        const float *dGs = dG + s * J * out;
        float *dHs = dHk + s * J * out;
        for (size_t i = 0; i < J; i++) {
            const float *restrict gi = dGs + i * out;
            for (size_t p = A->row_ptr[i]; p < A->row_ptr[i + 1]; p++) {
                const float v = A->val[p];
                float *restrict hj = dHs + (size_t)A->col[p] * out;
#pragma omp simd
                for (size_t c = 0; c < out; c++) hj[c] += v * gi[c];
            }
        }
    }
}

void gconv_linear_forward(float *G, float *Hk, const float *X, const float *W, const float *b,
                          const struct graph *g, size_t BT, size_t cin, size_t out)
{
    const size_t J = g->num_joints, K = g->K, S = fused_slices(J, out);
    const size_t pieces = (BT + S - 1) / S;
    CHECK(K >= 1 && K <= GRAPH_MAX_K);
#pragma omp parallel for schedule(dynamic, 1) if (pieces > 1 && !omp_in_parallel())
    for (size_t p = 0; p < pieces; p++) {
        const size_t s0 = p * S, ns = BT - s0 < S ? BT - s0 : S, r0 = s0 * J, rows = ns * J;
        float *H = Hk + r0 * out;
        for (size_t k = 0; k < K; k++) {
            /* H_k's rows of the piece = X·W_kᵀ + b_k (within the pieces' parallel loop, on
             * this thread alone) */
            gemm_rows(true, rows, out, cin, X + r0 * cin, cin, W + k * out * cin, cin, 0.0f, H,
                      out, b ? b + k * out : NULL);
            aggregate(G + r0 * out, H, &g->A[k], k == 0, ns, J, out);
        }
    }
}

void gconv_linear_backward_part(float *dX, float *dHk, const float *dG, const float *Wk,
                                const struct graph *g, size_t k, size_t BT, size_t cin,
                                size_t out)
{
    const size_t J = g->num_joints, S = fused_slices(J, out);
    const size_t pieces = (BT + S - 1) / S;
    CHECK(k < g->K);
#pragma omp parallel for schedule(dynamic, 1) if (pieces > 1 && !omp_in_parallel())
    for (size_t p = 0; p < pieces; p++) {
        const size_t s0 = p * S, ns = BT - s0 < S ? BT - s0 : S, r0 = s0 * J, rows = ns * J;
        scatter(dHk + r0 * out, dG + r0 * out, &g->A[k], ns, J, out);
        if (dX) /* the first partition overwrites dX */
            gemm_one_thread(false, false, rows, cin, out, dHk + r0 * out, out, Wk, cin,
                            k == 0 ? 0.0f : 1.0f, dX + r0 * cin, cin);
    }
}

/* The value Â_k[i,j] looked up in row i (0 when absent). */
static float adj_at(const struct sparse_adj *A, size_t i, size_t j)
{
    for (size_t p = A->row_ptr[i]; p < A->row_ptr[i + 1]; p++)
        if ((size_t)A->col[p] == j) return A->val[p];
    return 0.0f;
}

void gconv_forward_ref(float *G, const float *H, const struct graph *g, size_t BT, size_t out)
{
    const size_t J = g->num_joints, K = g->K;
    for (size_t s = 0; s < BT; s++)
        for (size_t i = 0; i < J; i++)
            for (size_t c = 0; c < out; c++) {
                double acc = 0.0;
                for (size_t k = 0; k < K; k++)
                    for (size_t j = 0; j < J; j++)
                        acc += (double)adj_at(&g->A[k], i, j) *
                               (double)H[(s * J + j) * K * out + k * out + c];
                G[(s * J + i) * out + c] = (float)acc;
            }
}

void gconv_backward_ref(float *dH, const float *dG, const struct graph *g, size_t BT,
                        size_t out)
{
    const size_t J = g->num_joints, K = g->K;
    for (size_t s = 0; s < BT; s++)
        for (size_t j = 0; j < J; j++)
            for (size_t k = 0; k < K; k++)
                for (size_t c = 0; c < out; c++) {
                    double acc = 0.0;
                    for (size_t i = 0; i < J; i++)
                        acc += (double)adj_at(&g->A[k], i, j) *
                               (double)dG[(s * J + i) * out + c];
                    dH[(s * J + j) * K * out + k * out + c] += (float)acc;
                }
}
