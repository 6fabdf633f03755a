/* linear.c — torch.nn.Linear forward/backward through cblas (OpenBLAS), plus plain loops kept
 * beside it as the test oracle (see linear.h for the conventions).
 *
 * Forward:  out = in·Wᵀ + b                      (one SGEMM, bias broadcast first)
 * The SGEMMs go through gemm.h, which shares large ones out between threads in fixed pieces.
 * Backward: din += dout·W, dW += doutᵀ·in, db += column sums of dout (accumulated in double,
 *           rows in order, threads over column ranges, so results do not depend on the thread
 *           count).
 */
#include "nn/linear.h"

#include "nn/gemm.h"

#include <omp.h>

enum { LIN_CB = 16, LIN_SLAB = 256 };

/* db[o] += Σ_n dout[n,o] in double, rows in order. Walking one column at a time reads one float
 * per 64-byte line (at Dout = 384 and N = 60000 that was 4x the cost of the SGEMM for dW);
 * instead each thread owns a contiguous range of whole 16-column blocks and streams the rows,
 * adding each row's run into up to LIN_SLAB double accumulators on its stack. Every column is
 * still summed in row order, so the bits are those of the plain column loop for any number of
 * threads. */
static void column_sums_add(float *db, const float *dout, size_t N, size_t D)
{
#pragma omp parallel
    {
        const size_t nblk = (D + LIN_CB - 1) / LIN_CB;
        const size_t nt = (size_t)omp_get_num_threads(), t = (size_t)omp_get_thread_num();
        const size_t lo = t * nblk / nt * LIN_CB, hi0 = (t + 1) * nblk / nt * LIN_CB;
        const size_t hi = hi0 < D ? hi0 : D;
        for (size_t c0 = lo; c0 < hi; c0 += LIN_SLAB) {
            const size_t w = hi - c0 < LIN_SLAB ? hi - c0 : LIN_SLAB;
            double acc[LIN_SLAB];
            for (size_t c = 0; c < w; c++) acc[c] = 0.0;
            for (size_t n = 0; n < N; n++) {
                const float *row = dout + n * D + c0;
#pragma omp simd
                for (size_t c = 0; c < w; c++) acc[c] += (double)row[c];
            }
            for (size_t c = 0; c < w; c++) db[c0 + c] += (float)acc[c];
        }
    }
}

void linear_forward(float *out, const float *in, const float *W, const float *b, size_t N,
                    size_t Din, size_t Dout)
{
    if (N == 0 || Dout == 0) return;
    gemm_rows(true, N, Dout, Din, in, Din, W, Din, 0.0f, out, Dout, b);
}

void linear_backward(float *din, float *dW, float *db, const float *dout, const float *in,
                     const float *W, size_t N, size_t Din, size_t Dout)
{
    if (N == 0) return;
    if (din) gemm_rows(false, N, Din, Dout, dout, Dout, W, Din, 1.0f, din, Din, NULL);
    if (dW) gemm_tn_rows(Dout, Din, N, dout, Dout, in, Din, 1.0f, dW, Din);
    if (db) column_sums_add(db, dout, N, Dout);
}

void linear_forward_ref(float *out, const float *in, const float *W, const float *b, size_t N,
                        size_t Din, size_t Dout)
{
    for (size_t n = 0; n < N; n++)
        for (size_t o = 0; o < Dout; o++) {
            double s = b ? (double)b[o] : 0.0;
            for (size_t i = 0; i < Din; i++) s += (double)in[n * Din + i] * (double)W[o * Din + i];
            out[n * Dout + o] = (float)s;
        }
}

void linear_backward_ref(float *din, float *dW, float *db, const float *dout, const float *in,
                         const float *W, size_t N, size_t Din, size_t Dout)
{
    for (size_t n = 0; n < N; n++)
        for (size_t o = 0; o < Dout; o++) {
            float g = dout[n * Dout + o];
            if (db) db[o] += g;
            for (size_t i = 0; i < Din; i++) {
                if (din) din[n * Din + i] += g * W[o * Din + i];
                if (dW) dW[o * Din + i] += g * in[n * Din + i];
            }
        }
}
