/* rng.h — the project's own random generator.
 *
 * xoshiro256** (Blackman & Vigna, 2018) seeded through splitmix64, so a 64-bit seed gives the
 * same stream on every machine and compiler. Everything random in signstgcn — splits,
 * synthetic data, parameter initialisation, dropout masks, batch order, k-means++ — draws from
 * an explicit `struct rng` owned by the caller; there is no global generator. The state is four
 * 64-bit words, so it can be saved in a checkpoint (`rng.*` tensors) and restored exactly.
 */
#ifndef SG_CORE_RNG_H
#define SG_CORE_RNG_H

#include <stddef.h>
#include <stdint.h>

struct rng {
    uint64_t s[4];
};

void rng_seed(struct rng *r, uint64_t seed);
uint64_t rng_u64(struct rng *r);

/* rng_u64's step, inline for loops that draw per element (dropout: one call per two elements
 * cost more than the rest of the fused block tail together). The same stream as rng_u64. */
static inline uint64_t rng_u64_inline(struct rng *r)
{
    uint64_t *s = r->s;
    const uint64_t x = s[1] * 5;
    const uint64_t result = ((x << 7) | (x >> 57)) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = (s[3] << 45) | (s[3] >> 19);
    return result;
}
/* Uniform integer in [0, n), unbiased (Lemire's method); n must be > 0. */
uint64_t rng_below(struct rng *r, uint64_t n);
/* Uniform double in [0, 1) with 53 random bits. */
double rng_uniform(struct rng *r);
/* Uniform float in [lo, hi). */
float rng_uniform_f(struct rng *r, float lo, float hi);
/* Standard normal (Box–Muller, no cached second value so the state alone is the stream). */
double rng_normal(struct rng *r);
/* Fisher–Yates shuffle of n elements of `size` bytes. */
void rng_shuffle(struct rng *r, void *base, size_t n, size_t size);
/* An independent generator derived from this one (advances r by one draw). */
void rng_split(struct rng *r, struct rng *child);

#endif
