/* activation.c — ReLU, Dropout and the residual add (see activation.h).
 *
 * These layers are memory-bound loops over the whole activation (B·T·J·C floats, 56 M at
 * J = 553 and 128 channels), so they run as OpenMP loops over the flat array; every element
 * is written by the thread that owns its index, and nothing is summed, so the thread count
 * never changes a result.
 *
 * Dropout masks are bytes (1 = keep), a quarter of the memory of a float mask; the scale
 * 1/(1−p) is applied when the mask is used. PyTorch draws Bernoulli(1−p) and divides by 1−p
 * (aten/src/ATen/native/Dropout.cpp); our mask comes from the project's generator instead of
 * PyTorch's, which is why parity tests hand the same mask to both. To draw a long mask in
 * parallel and still get the same bits for any thread count, dropout_draw_mask takes one
 * 64-bit draw from the caller's generator and seeds a private generator per fixed block of
 * DROPOUT_BLOCK elements with (that draw + block index) through rng_seed's splitmix64; each
 * 64-bit draw of a block decides two elements by its two 32-bit halves.
 *
 * The element-wise loops carry `omp simd`: at -O2 GCC's cheap cost model leaves loops whose
 * trip count is not a multiple of the vector width scalar, and the pragma asks for the vector
 * loop plus its remainder. Element-wise operations give the same bits either way.
 */
#include "nn/activation.h"

#include <math.h>

#include "core/error.h"
#include "core/rng.h"

void relu_forward(float *y, const float *x, size_t n)
{
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < n; i++) y[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

void relu_backward(float *dx, const float *dy, const float *y, size_t n)
{
    if (!dx) return;
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < n; i++) {
        const float g = dy[i]; /* loaded unconditionally: a select, not a branch */
        dx[i] += y[i] > 0.0f ? g : 0.0f;
    }
}

float dropout_scale(float p) { return 1.0f / (1.0f - p); }

void dropout_draw_mask(uint8_t *mask, size_t n, float p, struct rng *r)
{
    CHECK(p >= 0.0f && p < 1.0f);
    const uint64_t base = rng_u64(r);
    const size_t nblk = (n + DROPOUT_BLOCK - 1) / DROPOUT_BLOCK;
    /* each 64-bit draw gives two 32-bit uniforms u; keep when u >= ceil(p·2^32), so
     * P(keep) = 1 − p to within 2^-32 */
    const uint64_t thr = (uint64_t)ceil((double)p * 4294967296.0);
#pragma omp parallel for schedule(static)
    for (size_t blk = 0; blk < nblk; blk++) {
        struct rng local;
        rng_seed(&local, base + (uint64_t)blk);
        const size_t lo = blk * DROPOUT_BLOCK;
        const size_t hi = n - lo < DROPOUT_BLOCK ? n : lo + DROPOUT_BLOCK;
        for (size_t i = lo; i < hi; i += 2) {
            const uint64_t u = rng_u64(&local);
            mask[i] = (u & 0xffffffffu) >= thr;
            if (i + 1 < hi) mask[i + 1] = (u >> 32) >= thr;
        }
    }
}

void dropout_forward(float *y, const float *x, const uint8_t *mask, size_t n, float p)
{
    const float s = dropout_scale(p);
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < n; i++) {
        y[i] = x[i] * ((float)mask[i] * s); /* as PyTorch: input · (mask / (1−p)) */
    }
}

void dropout_backward(float *dx, const float *dy, const uint8_t *mask, size_t n, float p)
{
    if (!dx) return;
    const float s = dropout_scale(p);
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < n; i++) {
        dx[i] += dy[i] * ((float)mask[i] * s);
    }
}

void residual_forward(float *y, const float *a, const float *r, size_t n)
{
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < n; i++) y[i] = a[i] + r[i];
}

void residual_backward(float *da, float *dr, const float *dy, size_t n)
{
    if (da) {
#pragma omp parallel for simd schedule(static)
        for (size_t i = 0; i < n; i++) da[i] += dy[i];
    }
    if (dr) {
#pragma omp parallel for simd schedule(static)
        for (size_t i = 0; i < n; i++) dr[i] += dy[i];
    }
}
