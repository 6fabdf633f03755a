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
 * The _part kernels do one partition k over an (N, out) slice of H and share their (b,t)
 * slices out dynamically: nothing is summed across slices, so any schedule gives the same
 * bits, and a thread slowed by another process takes fewer slices.
 *
 * Not here: the Linear that produces H (linear.c) and its bias (added before aggregation, as
 * SPEC §3.1 says), and building Â (graph.c).
 */
#include "nn/gconv.h"

#include <string.h>

#include "core/error.h"
#include "graph/graph.h"

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

void gconv_forward_part(float *G, const float *Hk, const struct graph *g, size_t k, size_t BT,
                        size_t out)
{
    const size_t J = g->num_joints;
    CHECK(k < g->K);
    const struct sparse_adj *A = &g->A[k];
#pragma omp parallel for schedule(dynamic, 16)
    for (size_t s = 0; s < BT; s++) {
        const float *Hs = Hk + s * J * out;
        float *Gs = G + s * J * out;
        for (size_t i = 0; i < J; i++) {
            float *restrict gi = Gs + i * out;
            if (k == 0) memset(gi, 0, out * sizeof *gi);
            for (size_t p = A->row_ptr[i]; p < A->row_ptr[i + 1]; p++) {
                const float v = A->val[p];
                const float *restrict hj = Hs + (size_t)A->col[p] * out;
#pragma omp simd
                for (size_t c = 0; c < out; c++) gi[c] += v * hj[c];
            }
        }
    }
}

void gconv_backward_part(float *dHk, const float *dG, const struct graph *g, size_t k,
                         size_t BT, size_t out)
{
    const size_t J = g->num_joints;
    CHECK(k < g->K);
    const struct sparse_adj *A = &g->A[k];
#pragma omp parallel for schedule(dynamic, 16)
    for (size_t s = 0; s < BT; s++) {
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
