/* linear.c — torch.nn.Linear forward/backward through cblas (OpenBLAS), plus plain loops kept
 * beside it as the test oracle (see linear.h for the conventions).
 *
 * Forward:  out = in·Wᵀ + b                      (one SGEMM, bias broadcast first)
 * The SGEMMs go through gemm.h, which shares large ones out between threads in fixed pieces.
 * Backward: din += dout·W, dW += doutᵀ·in, db += column sums of dout (accumulated in double
 *           over fixed chunks of rows, so results do not depend on the thread count).
 */
#include "nn/linear.h"

#include "nn/gemm.h"


enum { LIN_CHUNKS = 32, LIN_SLAB = 256 };
#define LIN_PAR_MIN ((size_t)1 << 15)

/* db[o] += Σ_n dout[n,o], summed in double. Walking one column at a time reads one float per
 * 64-byte line (at Dout = 384 and N = 60000 that was 4x the cost of the SGEMM for dW); giving
 * each thread a range of columns made every thread stream (through the prefetchers) the
 * other's lines too, and two threads ran slower than one. So the rows are cut into LIN_CHUNKS
 * fixed chunks that threads take dynamically, each adding its whole rows, in order, into its
 * own partial sums for a slab of up to LIN_SLAB columns (on the caller's stack), and the
 * partials are added in chunk order: the cut depends on N alone, so the bits are the same for
 * any number of threads. */
static void column_sums_add(float *db, const float *dout, size_t N, size_t D)
{
    for (size_t c0 = 0; c0 < D; c0 += LIN_SLAB) {
        const size_t w = D - c0 < LIN_SLAB ? D - c0 : LIN_SLAB;
        double part[LIN_CHUNKS][LIN_SLAB];
#pragma omp parallel for schedule(dynamic, 1) if (N * w >= LIN_PAR_MIN)
        for (size_t ch = 0; ch < LIN_CHUNKS; ch++) {
            const size_t r0 = N * ch / LIN_CHUNKS, r1 = N * (ch + 1) / LIN_CHUNKS;
            double *acc = part[ch];
            for (size_t c = 0; c < w; c++) acc[c] = 0.0;
            for (size_t n = r0; n < r1; n++) {
                const float *row = dout + n * D + c0;
#pragma omp simd
                for (size_t c = 0; c < w; c++) acc[c] += (double)row[c];
            }
        }
        for (size_t c = 0; c < w; c++) {
            double sum = 0.0;
            for (size_t ch = 0; ch < LIN_CHUNKS; ch++) sum += part[ch][c];
            db[c0 + c] += (float)sum;
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
