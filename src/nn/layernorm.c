/* layernorm.c — LayerNorm over the last dimension (torch.nn.LayerNorm(D, eps)).
 *
 * Forward: per row n, μ = Σ x / D and σ² = Σ (x − μ)² / D are accumulated in double (two
 * passes, fixed order, so a row's statistics do not depend on the thread count); the forward
 * keeps μ and rstd = 1/√(σ² + eps) for the backward.
 * Backward, with x̂ = (x − μ)·rstd and g = dout ⊙ weight:
 *     dx = rstd · (g − mean(g) − x̂ · mean(g ⊙ x̂))
 * (the row means in double), dweight += Σ_n dout ⊙ x̂ and dbias += Σ_n dout, summed over rows
 * in double in row order. Rows are independent: the row loops run under OpenMP, the column
 * sums for the parameter gradients run over columns so each thread owns what it writes.
 * There is no separate plain-loop oracle: this file is itself plain loops.
 */
#include "nn/layernorm.h"

#include <math.h>

void layernorm_forward(float *out, float *mean, float *rstd, const float *in,
                       const float *weight, const float *bias, size_t N, size_t D, float eps)
{
#pragma omp parallel for schedule(static) if (N * D > 32768)
    for (size_t n = 0; n < N; n++) {
        const float *x = in + n * D;
        double s = 0.0;
        for (size_t d = 0; d < D; d++) s += (double)x[d];
        double mu = s / (double)D;
        double v = 0.0;
        for (size_t d = 0; d < D; d++) {
            double c = (double)x[d] - mu;
            v += c * c;
        }
        v /= (double)D;
        double r = 1.0 / sqrt(v + (double)eps);
        mean[n] = (float)mu;
        rstd[n] = (float)r;
        float *y = out + n * D;
        for (size_t d = 0; d < D; d++) {
            float xh = (float)(((double)x[d] - mu) * r);
            y[d] = xh * weight[d] + bias[d];
        }
    }
}

void layernorm_backward(float *din, float *dweight, float *dbias, const float *dout,
                        const float *in, const float *mean, const float *rstd,
                        const float *weight, size_t N, size_t D)
{
    if (din) {
#pragma omp parallel for schedule(static) if (N * D > 32768)
        for (size_t n = 0; n < N; n++) {
            const float *x = in + n * D, *dy = dout + n * D;
            float mu = mean[n], r = rstd[n];
            double sg = 0.0, sgx = 0.0;
            for (size_t d = 0; d < D; d++) {
                double g = (double)dy[d] * (double)weight[d];
                double xh = (double)(x[d] - mu) * (double)r;
                sg += g;
                sgx += g * xh;
            }
            sg /= (double)D;
            sgx /= (double)D;
            float *dx = din + n * D;
            for (size_t d = 0; d < D; d++) {
                double g = (double)dy[d] * (double)weight[d];
                double xh = (double)(x[d] - mu) * (double)r;
                dx[d] += (float)((double)r * (g - sg - xh * sgx));
            }
        }
    }
    if (dweight || dbias) {
#pragma omp parallel for schedule(static) if (N * D > 32768)
        for (size_t d = 0; d < D; d++) {
            double sw = 0.0, sb = 0.0;
            for (size_t n = 0; n < N; n++) {
                double dy = (double)dout[n * D + d];
                sw += dy * (double)(in[n * D + d] - mean[n]) * (double)rstd[n];
                sb += dy;
            }
            if (dweight) dweight[d] += (float)sw;
            if (dbias) dbias[d] += (float)sb;
        }
    }
}
