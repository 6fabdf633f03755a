/* batchnorm.c — BatchNorm2d on channels-last (N,C) activations (see batchnorm.h).
 *
 * Design. Every reduction runs over the N rows of a channel. The rows are cut into BN_CHUNKS
 * fixed chunks (row N·i/BN_CHUNKS onwards), which threads take dynamically; each chunk sums
 * its rows in order into its own per-channel partial sums, and the partials are then added in
 * chunk order. The cut depends only on N, so results are bit-identical for 1, 2 or 16 threads,
 * and a thread reads whole rows, contiguous memory. (Splitting the channels between threads
 * instead, each reading its half of every row, made two threads slower than one here: each
 * pulled in the other's cache lines through the prefetchers, and the passes are
 * memory-bound.) Channels go in slabs of at most BN_SLAB, so the partials live on the calling
 * thread's stack (2 · BN_CHUNKS · BN_SLAB doubles, 128 KB): no allocation. The passes that
 * write Y or dX are element-wise and cut the same way.
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
#include <stdbool.h>

#include "core/error.h"

enum { BN_CHUNKS = 32, BN_SLAB = 256 };
/* below this many elements a pass runs on the calling thread (the same chunks, so the same bits) */
#define BN_PAR_MIN ((size_t)1 << 15)

/* Rows [*r0, *r1) of chunk i. */
static void chunk_rows(size_t N, size_t i, size_t *r0, size_t *r1)
{
    *r0 = N * i / BN_CHUNKS;
    *r1 = N * (i + 1) / BN_CHUNKS;
}

/* s1 = Σ_ch p1[ch], s2 = Σ_ch p2[ch] over w channels, in chunk order. */
static void add_partials(double *s1, double *s2, double (*p1)[BN_SLAB], double (*p2)[BN_SLAB],
                         size_t w)
{
    for (size_t c = 0; c < w; c++) s1[c] = 0.0, s2[c] = 0.0;
    for (size_t ch = 0; ch < BN_CHUNKS; ch++)
        for (size_t c = 0; c < w; c++) s1[c] += p1[ch][c], s2[c] += p2[ch][c];
}

/* s1, s2 (w) = Σ (x − shift) and Σ (x − shift)² over the N rows of channels c0..c0+w (shift
 * indexed from c0): chunk partials, then added in chunk order. */
static void stats_rows(double *s1, double *s2, const double *shift, const float *X, size_t N,
                       size_t C, size_t c0, size_t w)
{
    double p1[BN_CHUNKS][BN_SLAB], p2[BN_CHUNKS][BN_SLAB];
#pragma omp parallel for schedule(dynamic, 1) if (N * w >= BN_PAR_MIN)
    for (size_t ch = 0; ch < BN_CHUNKS; ch++) {
        size_t r0, r1;
        chunk_rows(N, ch, &r0, &r1);
        double *a = p1[ch], *b = p2[ch];
        for (size_t c = 0; c < w; c++) a[c] = 0.0, b[c] = 0.0;
        for (size_t n = r0; n < r1; n++) {
            const float *x = X + n * C + c0;
            #pragma omp simd
            for (size_t c = 0; c < w; c++) {
                double dv = (double)x[c] - shift[c];
                a[c] += dv;
                b[c] += dv * dv;
            }
        }
    }
    add_partials(s1, s2, p1, p2, w);
}

/* sg, sgx (w) = Σ g and Σ g·x̂, x̂ = (x − mu)·is, over the N rows of channels c0..c0+w (mu, is
 * indexed from c0), as stats_rows. */
static void grad_sums_rows(double *sg, double *sgx, const float *dY, const float *X,
                           const float *mu, const float *is, size_t N, size_t C, size_t c0,
                           size_t w)
{
    double p1[BN_CHUNKS][BN_SLAB], p2[BN_CHUNKS][BN_SLAB];
#pragma omp parallel for schedule(dynamic, 1) if (N * w >= BN_PAR_MIN)
    for (size_t ch = 0; ch < BN_CHUNKS; ch++) {
        size_t r0, r1;
        chunk_rows(N, ch, &r0, &r1);
        double *a = p1[ch], *b = p2[ch];
        for (size_t c = 0; c < w; c++) a[c] = 0.0, b[c] = 0.0;
        for (size_t n = r0; n < r1; n++) {
            const float *x = X + n * C + c0, *g = dY + n * C + c0;
            #pragma omp simd
            for (size_t c = 0; c < w; c++) {
                float xh = (x[c] - mu[c]) * is[c];
                a[c] += (double)g[c];
                b[c] += (double)g[c] * (double)xh;
            }
        }
    }
    add_partials(sg, sgx, p1, p2, w);
}

/* Y = X·a + b over channels c0..c0+w (a, b indexed from c0). */
static void affine_rows(float *Y, const float *X, const float *a, const float *b, size_t N,
                        size_t C, size_t c0, size_t w)
{
#pragma omp parallel for schedule(dynamic, 1) if (N * w >= BN_PAR_MIN)
    for (size_t ch = 0; ch < BN_CHUNKS; ch++) {
        size_t r0, r1;
        chunk_rows(N, ch, &r0, &r1);
        for (size_t n = r0; n < r1; n++) {
            const float *x = X + n * C + c0;
            float *y = Y + n * C + c0;
            #pragma omp simd
            for (size_t c = 0; c < w; c++) y[c] = x[c] * a[c] + b[c];
        }
    }
}

/* dX (+)= k·(g − mg − x̂·mgx) over channels c0..c0+w (= when set). */
static void grad_input_rows(bool set, float *dX, const float *dY, const float *X,
                            const float *mu, const float *is, const float *k, const float *mg,
                            const float *mgx, size_t N, size_t C, size_t c0, size_t w)
{
#pragma omp parallel for schedule(dynamic, 1) if (N * w >= BN_PAR_MIN)
    for (size_t ch = 0; ch < BN_CHUNKS; ch++) {
        size_t r0, r1;
        chunk_rows(N, ch, &r0, &r1);
        for (size_t n = r0; n < r1; n++) {
            const float *x = X + n * C + c0, *g = dY + n * C + c0;
            float *dx = dX + n * C + c0;
            if (set) {
                #pragma omp simd
                for (size_t c = 0; c < w; c++) {
                    float xh = (x[c] - mu[c]) * is[c];
                    dx[c] = k[c] * (g[c] - mg[c] - xh * mgx[c]);
                }
            } else {
                #pragma omp simd
                for (size_t c = 0; c < w; c++) {
                    float xh = (x[c] - mu[c]) * is[c];
                    dx[c] += k[c] * (g[c] - mg[c] - xh * mgx[c]);
                }
            }
        }
    }
}

/* dX += g·k over channels c0..c0+w. */
static void scale_add_rows(float *dX, const float *dY, const float *k, size_t N, size_t C,
                           size_t c0, size_t w)
{
#pragma omp parallel for schedule(dynamic, 1) if (N * w >= BN_PAR_MIN)
    for (size_t ch = 0; ch < BN_CHUNKS; ch++) {
        size_t r0, r1;
        chunk_rows(N, ch, &r0, &r1);
        for (size_t n = r0; n < r1; n++) {
            const float *g = dY + n * C + c0;
            float *dx = dX + n * C + c0;
            #pragma omp simd
            for (size_t c = 0; c < w; c++) dx[c] += g[c] * k[c];
        }
    }
}

void batchnorm_forward_train(float *Y, float *mean, float *invstd, float *running_mean,
                             float *running_var, const float *X, const float *gamma,
                             const float *beta, size_t N, size_t C, float momentum, float eps)
{
    CHECK(N >= 2);
    for (size_t c0 = 0; c0 < C; c0 += BN_SLAB) {
        const size_t w = C - c0 < BN_SLAB ? C - c0 : BN_SLAB;
        double shift[BN_SLAB], s1[BN_SLAB], s2[BN_SLAB];
        batchnorm_stats_shift(shift, X + c0, N, w);
        stats_rows(s1, s2, shift, X, N, C, c0, w);
        batchnorm_stats_finish(mean + c0, invstd + c0, running_mean ? running_mean + c0 : NULL,
                               running_var ? running_var + c0 : NULL, shift, s1, s2, w, N,
                               momentum, eps);
        if (Y) {
            float a[BN_SLAB], b[BN_SLAB];
            batchnorm_fold(a, b, gamma + c0, beta + c0, mean + c0, invstd + c0, w);
            affine_rows(Y, X, a, b, N, C, c0, w);
        }
    }
}

void batchnorm_fold(float *a, float *b, const float *gamma, const float *beta, const float *mean,
                    const float *invstd, size_t C)
{
    for (size_t c = 0; c < C; c++) {
        a[c] = invstd[c] * gamma[c];
        b[c] = beta[c] - mean[c] * a[c];
    }
}

void batchnorm_fold_eval(float *a, float *b, const float *gamma, const float *beta,
                         const float *running_mean, const float *running_var, size_t C,
                         float eps)
{
    for (size_t c = 0; c < C; c++) {
        float is = (float)(1.0 / sqrt((double)running_var[c] + (double)eps));
        a[c] = is * gamma[c];
        b[c] = beta[c] - running_mean[c] * a[c];
    }
}

static void backward_train(bool set, float *dX, float *dgamma, float *dbeta, const float *dY,
                           const float *X, const float *gamma, const float *mean,
                           const float *invstd, size_t N, size_t C)
{
    if (N == 0) return;
    for (size_t c0 = 0; c0 < C; c0 += BN_SLAB) {
        const size_t w = C - c0 < BN_SLAB ? C - c0 : BN_SLAB;
        double sg[BN_SLAB], sgx[BN_SLAB];
        float k[BN_SLAB], mg[BN_SLAB], mgx[BN_SLAB];
        grad_sums_rows(sg, sgx, dY, X, mean + c0, invstd + c0, N, C, c0, w);
        for (size_t c = 0; c < w; c++) {
            if (dbeta) dbeta[c0 + c] += (float)sg[c];
            if (dgamma) dgamma[c0 + c] += (float)sgx[c];
            k[c] = gamma[c0 + c] * invstd[c0 + c];
            mg[c] = (float)(sg[c] / (double)N);
            mgx[c] = (float)(sgx[c] / (double)N);
        }
        if (dX)
            grad_input_rows(set, dX, dY, X, mean + c0, invstd + c0, k, mg, mgx, N, C, c0, w);
    }
}

void batchnorm_backward_train(float *dX, float *dgamma, float *dbeta, const float *dY,
                              const float *X, const float *gamma, const float *mean,
                              const float *invstd, size_t N, size_t C)
{
    backward_train(false, dX, dgamma, dbeta, dY, X, gamma, mean, invstd, N, C);
}

void batchnorm_backward_train_set(float *dX, float *dgamma, float *dbeta, const float *dY,
                                  const float *X, const float *gamma, const float *mean,
                                  const float *invstd, size_t N, size_t C)
{
    backward_train(true, dX, dgamma, dbeta, dY, X, gamma, mean, invstd, N, C);
}

void batchnorm_stats_shift(double *shift, const float *X, size_t N, size_t C)
{
    for (size_t c = 0; c < C; c++) shift[c] = N ? (double)X[c] : 0.0;
}

void batchnorm_stats_partial(double *s1, double *s2, const double *shift, const float *X,
                             size_t N, size_t C)
{
    for (size_t c0 = 0; c0 < C; c0 += BN_SLAB) {
        const size_t w = C - c0 < BN_SLAB ? C - c0 : BN_SLAB;
        stats_rows(s1 + c0, s2 + c0, shift + c0, X, N, C, c0, w);
    }
}

void batchnorm_stats_finish(float *mean, float *invstd, float *running_mean, float *running_var,
                            const double *shift, const double *s1, const double *s2, size_t C,
                            size_t N, float momentum, float eps)
{
    CHECK(N >= 2);
    /* batchnorm_forward_train's arithmetic, on the whole batch's sums */
    for (size_t c = 0; c < C; c++) {
        double m1 = s1[c] / (double)N;
        double var = s2[c] / (double)N - m1 * m1;
        if (var < 0.0) var = 0.0;
        double mu = shift[c] + m1;
        double is = 1.0 / sqrt(var + (double)eps);
        mean[c] = (float)mu;
        invstd[c] = (float)is;
        if (running_mean)
            running_mean[c] = (float)((double)momentum * mu +
                                      (1.0 - (double)momentum) * (double)running_mean[c]);
        if (running_var)
            running_var[c] = (float)((double)momentum * var * (double)N / (double)(N - 1) +
                                     (1.0 - (double)momentum) * (double)running_var[c]);
    }
}

void batchnorm_grad_sums(double *sg, double *sgx, const float *dY, const float *X,
                         const float *mean, const float *invstd, size_t N, size_t C)
{
    for (size_t c0 = 0; c0 < C; c0 += BN_SLAB) {
        const size_t w = C - c0 < BN_SLAB ? C - c0 : BN_SLAB;
        grad_sums_rows(sg + c0, sgx + c0, dY, X, mean + c0, invstd + c0, N, C, c0, w);
    }
}

static void backward_input(bool set, float *dX, const float *dY, const float *X,
                           const float *gamma, const float *mean, const float *invstd,
                           const double *sg_total, const double *sgx_total, size_t N, size_t C,
                           size_t N_total)
{
    if (!dX || N == 0) return;
    for (size_t c0 = 0; c0 < C; c0 += BN_SLAB) {
        const size_t w = C - c0 < BN_SLAB ? C - c0 : BN_SLAB;
        float k[BN_SLAB], mg[BN_SLAB], mgx[BN_SLAB];
        for (size_t c = 0; c < w; c++) {
            k[c] = gamma[c0 + c] * invstd[c0 + c];
            mg[c] = (float)(sg_total[c0 + c] / (double)N_total);
            mgx[c] = (float)(sgx_total[c0 + c] / (double)N_total);
        }
        grad_input_rows(set, dX, dY, X, mean + c0, invstd + c0, k, mg, mgx, N, C, c0, w);
    }
}

void batchnorm_backward_input(float *dX, const float *dY, const float *X, const float *gamma,
                              const float *mean, const float *invstd, const double *sg_total,
                              const double *sgx_total, size_t N, size_t C, size_t N_total)
{
    backward_input(false, dX, dY, X, gamma, mean, invstd, sg_total, sgx_total, N, C, N_total);
}

void batchnorm_backward_input_set(float *dX, const float *dY, const float *X,
                                  const float *gamma, const float *mean, const float *invstd,
                                  const double *sg_total, const double *sgx_total, size_t N,
                                  size_t C, size_t N_total)
{
    backward_input(true, dX, dY, X, gamma, mean, invstd, sg_total, sgx_total, N, C, N_total);
}

void batchnorm_forward_eval(float *Y, const float *X, const float *gamma, const float *beta,
                            const float *running_mean, const float *running_var, size_t N,
                            size_t C, float eps)
{
    for (size_t c0 = 0; c0 < C; c0 += BN_SLAB) {
        const size_t w = C - c0 < BN_SLAB ? C - c0 : BN_SLAB;
        float a[BN_SLAB], b[BN_SLAB];
        for (size_t c = 0; c < w; c++) {
            float is = (float)(1.0 / sqrt((double)running_var[c0 + c] + (double)eps));
            a[c] = is * gamma[c0 + c];
            b[c] = beta[c0 + c] - running_mean[c0 + c] * a[c];
        }
        affine_rows(Y, X, a, b, N, C, c0, w);
    }
}

void batchnorm_backward_eval(float *dX, float *dgamma, float *dbeta, const float *dY,
                             const float *X, const float *gamma, const float *running_mean,
                             const float *running_var, size_t N, size_t C, float eps)
{
    for (size_t c0 = 0; c0 < C; c0 += BN_SLAB) {
        const size_t w = C - c0 < BN_SLAB ? C - c0 : BN_SLAB;
        double sg[BN_SLAB], sgx[BN_SLAB];
        float mu[BN_SLAB], is[BN_SLAB], k[BN_SLAB];
        for (size_t c = 0; c < w; c++) {
            mu[c] = running_mean[c0 + c];
            is[c] = (float)(1.0 / sqrt((double)running_var[c0 + c] + (double)eps));
            k[c] = gamma[c0 + c] * is[c];
        }
        grad_sums_rows(sg, sgx, dY, X, mu, is, N, C, c0, w);
        for (size_t c = 0; c < w; c++) {
            if (dbeta) dbeta[c0 + c] += (float)sg[c];
            if (dgamma) dgamma[c0 + c] += (float)sgx[c];
        }
        if (dX) scale_add_rows(dX, dY, k, N, C, c0, w);
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
