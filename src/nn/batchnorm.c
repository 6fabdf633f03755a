/* batchnorm.c — BatchNorm2d on channels-last (N,C) activations (see batchnorm.h).
 *
 * Design. Every reduction runs over the N rows of a channel. Threads split the channels into
 * blocks of BN_CB = 16 (one 64-byte cache line of a row) and each thread does everything for
 * its block: the statistics pass over all N rows, then the pass that writes Y (or dX) for the
 * same channels. So the per-channel sums live in small stack arrays (no allocation, no C-sized
 * scratch), each thread writes only its own columns, and each channel's sum is added in row
 * order whatever the thread count: results are bit-identical for 1, 2 or 16 threads.
 *
 * Statistics are one pass in double over shifted values d = x − x[0,c] (Σd and Σd²): the shift
 * by a sample of the channel keeps the variance free of the cancellation that Σx² − (Σx)²/N
 * suffers when |mean| >> std, and double keeps N = 442,400 rows (B=32, T=25, J=553) exact
 * enough. The backward sums Σg and Σg·x̂ are double too.
 *
 * Formulas are PyTorch's (aten/src/ATen/native/Normalization.cpp, batch_norm_cpu and
 * batch_norm_backward_cpu): biased variance to normalise, unbiased for running_var, eps inside
 * the square root, running statistics updated with momentum m as (1−m)·old + m·new.
 */
#include "nn/batchnorm.h"

#include <math.h>

#include "core/error.h"

enum { BN_CB = 16 };

static size_t min_sz(size_t a, size_t b) { return a < b ? a : b; }

void batchnorm_forward_train(float *Y, float *mean, float *invstd, float *running_mean,
                             float *running_var, const float *X, const float *gamma,
                             const float *beta, size_t N, size_t C, float momentum, float eps)
{
    CHECK(N >= 2);
    const size_t nblk = (C + BN_CB - 1) / BN_CB;
#pragma omp parallel for schedule(static)
    for (size_t blk = 0; blk < nblk; blk++) {
        const size_t c0 = blk * BN_CB, w = min_sz(BN_CB, C - c0);
        double shift[BN_CB], s1[BN_CB] = {0}, s2[BN_CB] = {0};
        for (size_t c = 0; c < w; c++) shift[c] = (double)X[c0 + c];
        for (size_t n = 0; n < N; n++) {
            const float *x = X + n * C + c0;
            for (size_t c = 0; c < w; c++) {
                double dv = (double)x[c] - shift[c];
                s1[c] += dv;
                s2[c] += dv * dv;
            }
        }
        float a[BN_CB], b[BN_CB];
        for (size_t c = 0; c < w; c++) {
            double m1 = s1[c] / (double)N;
            double var = s2[c] / (double)N - m1 * m1;
            if (var < 0.0) var = 0.0;
            double mu = shift[c] + m1;
            double is = 1.0 / sqrt(var + (double)eps);
            mean[c0 + c] = (float)mu;
            invstd[c0 + c] = (float)is;
            a[c] = (float)is * gamma[c0 + c];
            b[c] = beta[c0 + c] - (float)mu * a[c];
            /* in double, as PyTorch's batch_norm_cpu_update_stats_template */
            if (running_mean)
                running_mean[c0 + c] = (float)((double)momentum * mu +
                                               (1.0 - (double)momentum) *
                                                   (double)running_mean[c0 + c]);
            if (running_var)
                running_var[c0 + c] = (float)((double)momentum * var * (double)N /
                                                  (double)(N - 1) +
                                              (1.0 - (double)momentum) *
                                                  (double)running_var[c0 + c]);
        }
        for (size_t n = 0; n < N; n++) {
            const float *x = X + n * C + c0;
            float *y = Y + n * C + c0;
            for (size_t c = 0; c < w; c++) y[c] = x[c] * a[c] + b[c];
        }
    }
}

void batchnorm_backward_train(float *dX, float *dgamma, float *dbeta, const float *dY,
                              const float *X, const float *gamma, const float *mean,
                              const float *invstd, size_t N, size_t C)
{
    if (N == 0) return;
    const size_t nblk = (C + BN_CB - 1) / BN_CB;
#pragma omp parallel for schedule(static)
    for (size_t blk = 0; blk < nblk; blk++) {
        const size_t c0 = blk * BN_CB, w = min_sz(BN_CB, C - c0);
        double sg[BN_CB] = {0}, sgx[BN_CB] = {0};
        float mu[BN_CB], is[BN_CB];
        for (size_t c = 0; c < w; c++) {
            mu[c] = mean[c0 + c];
            is[c] = invstd[c0 + c];
        }
        for (size_t n = 0; n < N; n++) {
            const float *x = X + n * C + c0, *g = dY + n * C + c0;
            for (size_t c = 0; c < w; c++) {
                float xh = (x[c] - mu[c]) * is[c];
                sg[c] += (double)g[c];
                sgx[c] += (double)g[c] * (double)xh;
            }
        }
        for (size_t c = 0; c < w; c++) {
            if (dbeta) dbeta[c0 + c] += (float)sg[c];
            if (dgamma) dgamma[c0 + c] += (float)sgx[c];
        }
        if (!dX) continue;
        float k[BN_CB], mg[BN_CB], mgx[BN_CB];
        for (size_t c = 0; c < w; c++) {
            k[c] = gamma[c0 + c] * is[c];
            mg[c] = (float)(sg[c] / (double)N);
            mgx[c] = (float)(sgx[c] / (double)N);
        }
        for (size_t n = 0; n < N; n++) {
            const float *x = X + n * C + c0, *g = dY + n * C + c0;
            float *dx = dX + n * C + c0;
            for (size_t c = 0; c < w; c++) {
                float xh = (x[c] - mu[c]) * is[c];
                dx[c] += k[c] * (g[c] - mg[c] - xh * mgx[c]);
            }
        }
    }
}

void batchnorm_forward_eval(float *Y, const float *X, const float *gamma, const float *beta,
                            const float *running_mean, const float *running_var, size_t N,
                            size_t C, float eps)
{
    const size_t nblk = (C + BN_CB - 1) / BN_CB;
#pragma omp parallel for schedule(static)
    for (size_t blk = 0; blk < nblk; blk++) {
        const size_t c0 = blk * BN_CB, w = min_sz(BN_CB, C - c0);
        float a[BN_CB], b[BN_CB];
        for (size_t c = 0; c < w; c++) {
            float is = (float)(1.0 / sqrt((double)running_var[c0 + c] + (double)eps));
            a[c] = is * gamma[c0 + c];
            b[c] = beta[c0 + c] - running_mean[c0 + c] * a[c];
        }
        for (size_t n = 0; n < N; n++) {
            const float *x = X + n * C + c0;
            float *y = Y + n * C + c0;
            for (size_t c = 0; c < w; c++) y[c] = x[c] * a[c] + b[c];
        }
    }
}

void batchnorm_backward_eval(float *dX, float *dgamma, float *dbeta, const float *dY,
                             const float *X, const float *gamma, const float *running_mean,
                             const float *running_var, size_t N, size_t C, float eps)
{
    const size_t nblk = (C + BN_CB - 1) / BN_CB;
#pragma omp parallel for schedule(static)
    for (size_t blk = 0; blk < nblk; blk++) {
        const size_t c0 = blk * BN_CB, w = min_sz(BN_CB, C - c0);
        float mu[BN_CB], is[BN_CB], k[BN_CB];
        double sg[BN_CB] = {0}, sgx[BN_CB] = {0};
        for (size_t c = 0; c < w; c++) {
            mu[c] = running_mean[c0 + c];
            is[c] = (float)(1.0 / sqrt((double)running_var[c0 + c] + (double)eps));
            k[c] = gamma[c0 + c] * is[c];
        }
        for (size_t n = 0; n < N; n++) {
            const float *x = X + n * C + c0, *g = dY + n * C + c0;
            float *dx = dX ? dX + n * C + c0 : NULL;
            for (size_t c = 0; c < w; c++) {
                float xh = (x[c] - mu[c]) * is[c];
                sg[c] += (double)g[c];
                sgx[c] += (double)g[c] * (double)xh;
                if (dx) dx[c] += g[c] * k[c];
            }
        }
        for (size_t c = 0; c < w; c++) {
            if (dbeta) dbeta[c0 + c] += (float)sg[c];
            if (dgamma) dgamma[c0 + c] += (float)sgx[c];
        }
    }
}

void batchnorm_forward_train_ref(float *Y, float *mean, float *invstd, float *running_mean,
                                 float *running_var, const float *X, const float *gamma,
                                 const float *beta, size_t N, size_t C, float momentum,
                                 float eps)
{
    CHECK(N >= 2);
    for (size_t c = 0; c < C; c++) {
        double s = 0.0;
        for (size_t n = 0; n < N; n++) s += (double)X[n * C + c];
        double mu = s / (double)N, q = 0.0;
        for (size_t n = 0; n < N; n++) {
            double dv = (double)X[n * C + c] - mu;
            q += dv * dv;
        }
        double var = q / (double)N, is = 1.0 / sqrt(var + (double)eps);
        mean[c] = (float)mu;
        invstd[c] = (float)is;
        for (size_t n = 0; n < N; n++)
            Y[n * C + c] =
                (float)(((double)X[n * C + c] - mu) * is * (double)gamma[c] + (double)beta[c]);
        if (running_mean)
            running_mean[c] = (float)((1.0 - (double)momentum) * (double)running_mean[c] +
                                      (double)momentum * mu);
        if (running_var)
            running_var[c] = (float)((1.0 - (double)momentum) * (double)running_var[c] +
                                     (double)momentum * var * (double)N / (double)(N - 1));
    }
}

void batchnorm_backward_train_ref(float *dX, float *dgamma, float *dbeta, const float *dY,
                                  const float *X, const float *gamma, const float *mean,
                                  const float *invstd, size_t N, size_t C)
{
    for (size_t c = 0; c < C; c++) {
        double sg = 0.0, sgx = 0.0;
        for (size_t n = 0; n < N; n++) {
            double xh = ((double)X[n * C + c] - (double)mean[c]) * (double)invstd[c];
            sg += (double)dY[n * C + c];
            sgx += (double)dY[n * C + c] * xh;
        }
        if (dbeta) dbeta[c] += (float)sg;
        if (dgamma) dgamma[c] += (float)sgx;
        if (!dX) continue;
        for (size_t n = 0; n < N; n++) {
            double xh = ((double)X[n * C + c] - (double)mean[c]) * (double)invstd[c];
            dX[n * C + c] += (float)((double)gamma[c] * (double)invstd[c] *
                                     ((double)dY[n * C + c] - sg / (double)N -
                                      xh * sgx / (double)N));
        }
    }
}
