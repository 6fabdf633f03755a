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
 * block_tail_forward/backward fuse the end of an ST-GCN block (BatchNorm's affine, residual,
 * ReLU, Dropout) into one pass each way: the unfused layers walked the (N,C) activation about
 * ten times per layer and direction, and kept a byte mask and the output for the backward.
 * They work per group of DROPOUT_LANES blocks of DROPOUT_BLOCK elements (a whole number of
 * 64-bit mask words), so the dropout draws, the bit words and the elements a thread writes
 * all follow the blocks; groups go to threads dynamically — nothing is summed, so any schedule gives the same bits, and a thread
 * that shares its core with another process takes fewer blocks instead of holding the other
 * thread up at the barrier.
 *
 * The element-wise loops carry `omp simd`: at -O2 GCC's cheap cost model leaves loops whose
 * trip count is not a multiple of the vector width scalar, and the pragma asks for the vector
 * loop plus its remainder. Element-wise operations give the same bits either way.
 */
#include "nn/activation.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "core/clones.h"
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

/* The keep decisions of elements [lo, hi) of a mask whose element 0 sits at index `off` of
 * the whole mask: element i is decided by global index g = off + i, the half (g % 2) of the
 * draw (g % DROPOUT_BLOCK) / 2 of the generator of block g / DROPOUT_BLOCK. With off = 0 and
 * [lo, hi) one block this is the plain per-block loop. keep(i, k) is called per element. */
#define DROPOUT_RANGE(off, lo, hi, base, thr, KEEP)                                          \
    do {                                                                                     \
        size_t i_ = (lo);                                                                    \
        while (i_ < (hi)) {                                                                  \
            const uint64_t g_ = (uint64_t)(off) + (uint64_t)i_;                              \
            const uint64_t q_ = g_ % DROPOUT_BLOCK;                                          \
            const size_t left_ = (size_t)(DROPOUT_BLOCK - q_);                               \
            const size_t end_ = (hi) - i_ < left_ ? (hi) : i_ + left_;                       \
            struct rng local_;                                                               \
            rng_seed(&local_, (base) + g_ / DROPOUT_BLOCK);                                  \
            for (uint64_t s_ = 0; s_ < q_ / 2; s_++) (void)rng_u64_inline(&local_);         \
            if (q_ & 1u) {                                                                   \
                const uint64_t u_ = rng_u64_inline(&local_);                                 \
                KEEP(i_, (u_ >> 32) >= (thr));                                               \
                i_++;                                                                        \
            }                                                                                \
            for (; i_ < end_; i_ += 2) {                                                     \
                const uint64_t u_ = rng_u64_inline(&local_);                                 \
                KEEP(i_, (u_ & 0xffffffffu) >= (thr));                                       \
                if (i_ + 1 < end_) KEEP(i_ + 1, (u_ >> 32) >= (thr));                        \
            }                                                                                \
        }                                                                                    \
    } while (0)

void dropout_draw_mask(uint8_t *mask, size_t n, float p, struct rng *r)
{
    dropout_draw_mask_at(mask, n, p, r, 0);
}

void dropout_draw_mask_at(uint8_t *mask, size_t n, float p, struct rng *r, uint64_t off)
{
    CHECK(p >= 0.0f && p < 1.0f);
    const uint64_t base = rng_u64(r);
    const size_t nblk = (n + DROPOUT_BLOCK - 1) / DROPOUT_BLOCK;
    /* each 64-bit draw gives two 32-bit uniforms u; keep when u >= ceil(p·2^32), so
     * P(keep) = 1 − p to within 2^-32 */
    const uint64_t thr = (uint64_t)ceil((double)p * 4294967296.0);
#define MASK_KEEP(i, k) (mask[(i)] = (uint8_t)(k))
#pragma omp parallel for schedule(static)
    for (size_t blk = 0; blk < nblk; blk++) {
        const size_t lo = blk * DROPOUT_BLOCK;
        const size_t hi = n - lo < DROPOUT_BLOCK ? n : lo + DROPOUT_BLOCK;
        DROPOUT_RANGE(off, lo, hi, base, thr, MASK_KEEP);
    }
#undef MASK_KEEP
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

/* Bit i of the result: x[i] > 0, for e <= 64 elements. The comparisons vectorise into bytes;
 * eight 0/1 bytes read as a little-endian word b become eight bits with one multiply:
 * b·0x0102040810204080 puts byte k's bit at position 56 + k, and no two partial products
 * share a position, so nothing carries. */
static uint64_t pack_positive(const float *x, size_t e)
{
    uint8_t on[64] = {0};
#pragma omp simd
    for (size_t i = 0; i < e; i++) on[i] = x[i] > 0.0f;
    uint64_t word = 0;
    for (size_t j = 0; j < 8; j++) {
        uint64_t b;
        memcpy(&b, on + 8 * j, 8);
        word |= ((b * 0x0102040810204080ull) >> 56) << (8 * j);
    }
    return word;
}

/* keep[i] = all ones where bit i of word is set, else 0. */
static void unpack_bits(uint32_t keep[64], uint64_t word)
{
#pragma omp simd
    for (size_t i = 0; i < 64; i++) keep[i] = 0u - (uint32_t)((word >> i) & 1u);
}

/* Dropout over DROPOUT_LANES whole blocks at once, y (DROPOUT_LANES · DROPOUT_BLOCK floats)
 * starting at block `blk` of the mask: the same draws and the same products as DROPOUT_RANGE
 * block by block. Each block has its own xoshiro256** generator (rng_seed(base + block)), so
 * the lanes' generators step side by side — one vector step gives DROPOUT_LANES draws, where
 * one block's generator is a serial chain — into a short buffer, whose 64-bit draws read as
 * 32-bit halves are the blocks' uniforms in element order (low half first, little-endian). */
enum { DROPOUT_LANES = 8, DROPOUT_CHUNK = 64 };
SG_CLONES
static void dropout_lanes(float *y, uint64_t base, uint64_t blk, uint64_t thr, float s)
{
    uint64_t s0[DROPOUT_LANES], s1[DROPOUT_LANES], s2[DROPOUT_LANES], s3[DROPOUT_LANES];
    for (size_t l = 0; l < DROPOUT_LANES; l++) {
        struct rng g;
        rng_seed(&g, base + blk + l);
        s0[l] = g.s[0], s1[l] = g.s[1], s2[l] = g.s[2], s3[l] = g.s[3];
    }
    uint64_t u[DROPOUT_LANES][DROPOUT_CHUNK];
    for (size_t j0 = 0; j0 < DROPOUT_BLOCK / 2; j0 += DROPOUT_CHUNK) {
        for (size_t j = 0; j < DROPOUT_CHUNK; j++) {
#pragma omp simd
            for (size_t l = 0; l < DROPOUT_LANES; l++) { /* rng_u64_inline, lane by lane */
                const uint64_t x5 = s1[l] + (s1[l] << 2);
                const uint64_t rot = (x5 << 7) | (x5 >> 57);
                u[l][j] = rot + (rot << 3);
                const uint64_t t = s1[l] << 17;
                s2[l] ^= s0[l];
                s3[l] ^= s1[l];
                s1[l] ^= s2[l];
                s0[l] ^= s3[l];
                s2[l] ^= t;
                s3[l] = (s3[l] << 45) | (s3[l] >> 19);
            }
        }
        for (size_t l = 0; l < DROPOUT_LANES; l++) {
            uint32_t h[2 * DROPOUT_CHUNK];
            memcpy(h, u[l], sizeof h);
            float *yl = y + l * DROPOUT_BLOCK + 2 * j0;
#pragma omp simd
            for (size_t e = 0; e < 2 * DROPOUT_CHUNK; e++)
                yl[e] = yl[e] * ((float)(h[e] >= thr) * s);
        }
    }
}

void block_tail_forward(float *y, uint64_t *bits, const float *x, const float *a,
                        const float *b, const float *r, size_t N, size_t C, float p,
                        struct rng *rg)
{
    block_tail_forward_at(y, bits, x, a, b, r, N, C, p, rg, 0);
}

/* y[lo, hi) = ReLU(x·a + b + r), a and b per channel of C, one row segment at a time. */
static void tail_affine(float *y, const float *x, const float *a, const float *b,
                        const float *r, size_t lo, size_t hi, size_t C)
{
    for (size_t i = lo; i < hi;) {
        const size_t c0 = i % C, w = C - c0 < hi - i ? C - c0 : hi - i;
        const float *xi = x + i, *ri = r + i, *ac = a + c0, *bc = b + c0;
        float *yi = y + i;
#pragma omp simd
        for (size_t c = 0; c < w; c++) {
            float v = xi[c] * ac[c] + bc[c];
            v = v + ri[c];
            yi[c] = v > 0.0f ? v : 0.0f;
        }
        i += w;
    }
}

void block_tail_forward_at(float *y, uint64_t *bits, const float *x, const float *a,
                           const float *b, const float *r, size_t N, size_t C, float p,
                           struct rng *rg, uint64_t off)
{
    CHECK(p >= 0.0f && p < 1.0f && C > 0);
    const size_t n = N * C, nblk = (n + DROPOUT_BLOCK - 1) / DROPOUT_BLOCK;
    const bool drop = p > 0.0f;
    const uint64_t base = drop ? rng_u64(rg) : 0;
    const uint64_t thr = (uint64_t)ceil((double)p * 4294967296.0); /* as dropout_draw_mask */
    const float s = dropout_scale(p);
    const size_t ngrp = (nblk + DROPOUT_LANES - 1) / DROPOUT_LANES;
    const bool aligned = off % DROPOUT_BLOCK == 0;
#pragma omp parallel for schedule(dynamic, 1)
    for (size_t grp = 0; grp < ngrp; grp++) {
        const size_t b0 = grp * DROPOUT_LANES;
        const size_t b1 = nblk - b0 < DROPOUT_LANES ? nblk : b0 + DROPOUT_LANES;
        const size_t lo = b0 * DROPOUT_BLOCK, hi = n < b1 * DROPOUT_BLOCK ? n : b1 * DROPOUT_BLOCK;
        tail_affine(y, x, a, b, r, lo, hi, C);
        if (drop && aligned && hi - lo == DROPOUT_LANES * DROPOUT_BLOCK) {
            /* whole blocks from a block boundary of the mask: their draws side by side */
            dropout_lanes(y + lo, base, off / DROPOUT_BLOCK + b0, thr, s);
        } else if (drop) {
#define TAIL_KEEP(i, k) (y[(i)] = y[(i)] * ((float)(k) * s))
            DROPOUT_RANGE(off, lo, hi, base, thr, TAIL_KEEP);
#undef TAIL_KEEP
        }
        if (bits)
            for (size_t wd = lo / 64; wd * 64 < hi; wd++) {
                const size_t i0 = wd * 64, e = hi - i0 < 64 ? hi - i0 : 64;
                bits[wd] = pack_positive(y + i0, e);
            }
    }
}

/* Built for AVX-512 and AVX2 besides the baseline, chosen at load time by the CPU (GCC's
 * target_clones): unpacking a bit per element and masking is where baseline SSE2 code is
 * slowest (23 ms of a J=75 training step's backward, 5 ms with AVX-512). Element-wise, so
 * every clone gives the same bits. */
SG_CLONES
void block_tail_backward(float *dx, const float *dy, const uint64_t *bits, size_t n, float p)
{
    const size_t nw = block_tail_words(n);
    const bool drop = p > 0.0f;
    const float s = dropout_scale(p);
#pragma omp parallel for schedule(dynamic, 512)
    for (size_t wd = 0; wd < nw; wd++) {
        const size_t lo = wd * 64, e = n - lo < 64 ? n - lo : 64;
        uint32_t keep[64];
        unpack_bits(keep, bits[wd]);
        float *d = dx + lo;
        const float *g = dy + lo;
        /* g·s (or g) where the bit is set, +0 elsewhere: an AND on the float's bits */
#pragma omp simd
        for (size_t i = 0; i < e; i++) {
            const float v = drop ? g[i] * s : g[i];
            uint32_t u;
            memcpy(&u, &v, sizeof u);
            u &= keep[i];
            memcpy(&d[i], &u, sizeof u);
        }
    }
}

void block_tail_forward_ref(float *y, uint64_t *bits, uint8_t *mask, const float *x,
                            const float *a, const float *b, const float *r, size_t N, size_t C,
                            float p, struct rng *rg)
{
    const size_t n = N * C;
    for (size_t i = 0; i < n; i++) y[i] = x[i] * a[i % C] + b[i % C];
    residual_forward(y, y, r, n);
    relu_forward(y, y, n);
    if (p > 0.0f) {
        dropout_draw_mask(mask, n, p, rg);
        dropout_forward(y, y, mask, n, p);
    }
    if (bits) {
        for (size_t wd = 0; wd < block_tail_words(n); wd++) bits[wd] = 0;
        for (size_t i = 0; i < n; i++)
            if (y[i] > 0.0f) bits[i / 64] |= (uint64_t)1 << (i % 64);
    }
}

void block_tail_backward_ref(float *dx, const float *dy, const uint64_t *bits, size_t n,
                             float p)
{
    /* the unfused backward: dropout (the mask is where the output is non-zero), then ReLU */
    for (size_t i = 0; i < n; i++) {
        const bool on = (bits[i / 64] >> (i % 64)) & 1u;
        const float dd = p > 0.0f ? dy[i] * ((float)on * dropout_scale(p)) : dy[i];
        dx[i] = on ? dd : 0.0f;
    }
}
