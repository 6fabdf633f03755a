/* adam.c — AdamW and gradient clipping (see adam.h).
 *
 * The update is elementwise, so an OpenMP split over elements gives the same bits for every
 * thread count. The norm is a sum: it is accumulated in double over a fixed number of chunks
 * (not one per thread) whose partial sums are added in order, so it too is independent of the
 * thread count.
 */
#include "model/adam.h"

#include <math.h>

void adam_config_default(struct adam_config *c)
{
    c->lr = 1e-3;
    c->beta1 = 0.9;
    c->beta2 = 0.999;
    c->eps = 1e-8;
    c->weight_decay = 0.0;
}

void adam_step(float *p, const float *g, float *m, float *v, size_t begin, size_t end,
               const struct adam_config *c, long step)
{
    const float b1 = (float)c->beta1, b2 = (float)c->beta2;
    const float omb1 = (float)(1.0 - c->beta1), omb2 = (float)(1.0 - c->beta2);
    const float decay = (float)(1.0 - c->lr * c->weight_decay);
    const double bc1 = 1.0 - pow(c->beta1, (double)step);
    const double bc2 = 1.0 - pow(c->beta2, (double)step);
    const float step_size = (float)(c->lr / bc1);
    const float bc2_sqrt = (float)sqrt(bc2);
    const float eps = (float)c->eps;
    const int decayed = c->weight_decay != 0.0;
#pragma omp parallel for schedule(static)
    for (size_t i = begin; i < end; i++) {
        float gi = g[i];
        float pi = p[i];
        if (decayed) pi *= decay;
        float mi = m[i] * b1 + gi * omb1;
        float vi = v[i] * b2 + gi * gi * omb2;
        float denom = sqrtf(vi) / bc2_sqrt + eps;
        p[i] = pi - step_size * (mi / denom);
        m[i] = mi;
        v[i] = vi;
    }
}

#define NORM_CHUNKS 64

double grad_norm(const float *g, size_t begin, size_t end)
{
    double part[NORM_CHUNKS] = {0};
    size_t n = end - begin;
    size_t chunk = (n + NORM_CHUNKS - 1) / NORM_CHUNKS;
    if (chunk == 0) return 0.0;
#pragma omp parallel for schedule(static)
    for (int c = 0; c < NORM_CHUNKS; c++) {
        size_t lo = begin + (size_t)c * chunk;
        size_t hi = lo + chunk < end ? lo + chunk : end;
        double s = 0.0;
        for (size_t i = lo; i < hi; i++) s += (double)g[i] * (double)g[i];
        part[c] = s;
    }
    double total = 0.0;
    for (int c = 0; c < NORM_CHUNKS; c++) total += part[c];
    return sqrt(total);
}

double grad_clip(float *g, size_t begin, size_t end, double max_norm)
{
    double norm = grad_norm(g, begin, end);
    if (max_norm <= 0.0) return norm;
    double coef = max_norm / (norm + 1e-6);
    if (coef < 1.0) {
        float cf = (float)coef;
#pragma omp parallel for schedule(static)
        for (size_t i = begin; i < end; i++) g[i] *= cf;
    }
    return norm;
}
