/* linear.c — torch.nn.Linear forward/backward through cblas (OpenBLAS), plus plain loops kept
 * beside it as the test oracle (see linear.h for the conventions).
 *
 * Forward:  out = in·Wᵀ + b                      (one SGEMM, bias broadcast first)
 * Backward: din += dout·W, dW += doutᵀ·in, db += column sums of dout (accumulated in double,
 *           in a fixed order, so results do not depend on the thread count).
 */
#include "nn/linear.h"

#include <cblas.h>

void linear_forward(float *out, const float *in, const float *W, const float *b, size_t N,
                    size_t Din, size_t Dout)
{
    float beta = 0.0f;
    if (b) {
        for (size_t n = 0; n < N; n++)
            for (size_t o = 0; o < Dout; o++) out[n * Dout + o] = b[o];
        beta = 1.0f;
    }
    if (N == 0 || Dout == 0) return;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)N, (int)Dout, (int)Din, 1.0f, in,
                (int)Din, W, (int)Din, beta, out, (int)Dout);
}

void linear_backward(float *din, float *dW, float *db, const float *dout, const float *in,
                     const float *W, size_t N, size_t Din, size_t Dout)
{
    if (N == 0) return;
    if (din)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)N, (int)Din, (int)Dout, 1.0f,
                    dout, (int)Dout, W, (int)Din, 1.0f, din, (int)Din);
    if (dW)
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)Dout, (int)Din, (int)N, 1.0f,
                    dout, (int)Dout, in, (int)Din, 1.0f, dW, (int)Din);
    if (db) {
        for (size_t o = 0; o < Dout; o++) {
            double s = 0.0;
            for (size_t n = 0; n < N; n++) s += (double)dout[n * Dout + o];
            db[o] += (float)s;
        }
    }
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
