/* rng.c — xoshiro256** with splitmix64 seeding (see rng.h).
 * Reference: https://prng.di.unimi.it/ (public-domain algorithm description). */
#include "core/rng.h"

#include <math.h>
#include <string.h>

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}


void rng_seed(struct rng *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&x);
}

uint64_t rng_u64(struct rng *r) { return rng_u64_inline(r); }

uint64_t rng_below(struct rng *r, uint64_t n)
{
    /* Rejection sampling: draws in the incomplete last block of size 2^64 mod n are
     * redrawn, so every residue is equally likely. */
    uint64_t threshold = (0 - n) % n; /* = 2^64 mod n */
    uint64_t x;
    do {
        x = rng_u64(r);
    } while (x < threshold);
    return x % n;
}

double rng_uniform(struct rng *r) { return (double)(rng_u64(r) >> 11) * 0x1.0p-53; }

float rng_uniform_f(struct rng *r, float lo, float hi)
{
    return (float)((double)lo + ((double)hi - (double)lo) * rng_uniform(r));
}

double rng_normal(struct rng *r)
{
    double u1 = rng_uniform(r);
    double u2 = rng_uniform(r);
    if (u1 < 1e-300) u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586476925 * u2);
}

void rng_shuffle(struct rng *r, void *base, size_t n, size_t size)
{
    unsigned char *b = base;
    unsigned char tmp[256];
    if (n < 2) return;
    for (size_t i = n - 1; i > 0; i--) {
        size_t j = (size_t)rng_below(r, (uint64_t)i + 1);
        if (j == i) continue;
        for (size_t off = 0; off < size; off += sizeof tmp) {
            size_t chunk = size - off < sizeof tmp ? size - off : sizeof tmp;
            memcpy(tmp, b + i * size + off, chunk);
            memcpy(b + i * size + off, b + j * size + off, chunk);
            memcpy(b + j * size + off, tmp, chunk);
        }
    }
}

void rng_split(struct rng *r, struct rng *child) { rng_seed(child, rng_u64(r)); }
