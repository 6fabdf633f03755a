/* test_shard.c — the pieces data-parallel training (core/dist.h, model_shard) builds on,
 * checked in one process by cutting a batch into shards by hand:
 *  - dist_shard: contiguous shards that cover the batch, sizes differing by at most one,
 *    empty shards when the batch is smaller than the number of ranks;
 *  - dropout_draw_mask_at and block_tail_forward_at: a shard's mask and output are exactly
 *    its slice of the whole batch's, for offsets inside and across DROPOUT_BLOCK blocks;
 *  - synchronised BatchNorm: statistics, running statistics and input gradients from the
 *    sums of 1, 2 or 3 shards (one of them empty) equal batchnorm_forward_train's and
 *    batchnorm_backward_train's within a few float ulps;
 *  - the losses' parts (cross-entropy, weighted and smoothed, and the CLUB bound) over shards
 *    sum to the whole batch's loss, and each shard's gradient rows are the whole batch's.
 * Without MPI, or with one rank, the collectives are the identity (dist_init here). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/dist.h"
#include "core/error.h"
#include "core/rng.h"
#include "gradcheck.h"
#include "nn/activation.h"
#include "nn/batchnorm.h"
#include "nn/losses.h"
#include "testutil.h"

static void test_dist_shard(void **state)
{
    (void)state;
    for (size_t n = 0; n <= 20; n++)
        for (int size = 1; size <= 5; size++) {
            size_t next = 0, lo = SIZE_MAX, hi = 0;
            for (int r = 0; r < size; r++) {
                size_t f, c;
                dist_shard(n, r, size, &f, &c);
                assert_int_equal(f, next);
                next = f + c;
                if (c < lo) lo = c;
                if (c > hi) hi = c;
            }
            assert_int_equal(next, n);
            assert_true(hi - lo <= 1);
        }
    struct dist d;
    struct error err;
    int argc = 0;
    char **argv = NULL;
    unsetenv("OMPI_COMM_WORLD_SIZE");
    assert_int_equal(dist_init(&d, &argc, &argv, &err), 0);
    assert_int_equal(d.size, 1);
    double v[2] = {1.5, -2.0};
    dist_sum_f64(&d, v, 2);
    assert_true(v[0] == 1.5 && v[1] == -2.0);
    float rows[6] = {1, 2, 3, 4, 5, 6}, all[6] = {0};
    dist_gather_rows(&d, all, rows, 3, 2);
    assert_memory_equal(all, rows, sizeof rows);
    dist_finish(&d);
}

static void test_dropout_shards(void **state)
{
    (void)state;
    const size_t n = 3 * DROPOUT_BLOCK + 777;
    uint8_t *whole = malloc(n), *part = malloc(n);
    struct rng r0, r1;
    rng_seed(&r0, 42);
    dropout_draw_mask(whole, n, 0.3f, &r0);
    const size_t offs[] = {0, 1, 2, 63, 4095, 4096, 4097, 6000, 8191, 3 * DROPOUT_BLOCK + 1};
    for (size_t k = 0; k < sizeof offs / sizeof offs[0]; k++) {
        const size_t off = offs[k], len = n - off;
        rng_seed(&r1, 42);
        dropout_draw_mask_at(part, len, 0.3f, &r1, off);
        assert_memory_equal(part, whole + off, len);
        assert_memory_equal(&r0, &r1, sizeof r0); /* one draw either way */
    }
    free(whole);
    free(part);

    /* the fused block tail: (N, C) rows split at any row (17.6 blocks: the whole and a shard
     * that starts on a block boundary draw whole groups of blocks side by side, the other
     * shards block by block, and all must agree) */
    const size_t N = 3000, C = 24, E = N * C;
    float *x = malloc(E * sizeof(float)), *res = malloc(E * sizeof(float));
    float *y = malloc(E * sizeof(float)), *ys = malloc(E * sizeof(float));
    float a[24], b[24];
    gc_fill_uniform(x, E, -1.0f, 1.0f, 1);
    gc_fill_uniform(res, E, -1.0f, 1.0f, 2);
    gc_fill_uniform(a, C, 0.5f, 1.5f, 3);
    gc_fill_uniform(b, C, -0.2f, 0.2f, 4);
    uint64_t *bits = calloc(block_tail_words(E), sizeof(uint64_t));
    uint64_t *bs = calloc(block_tail_words(E), sizeof(uint64_t));
    rng_seed(&r0, 7);
    block_tail_forward(y, bits, x, a, b, res, N, C, 0.1f, &r0);
    const size_t cuts[] = {0, 1, 171, 350, 512, 1500, 2999};
    for (size_t k = 0; k < sizeof cuts / sizeof cuts[0]; k++) {
        const size_t f = cuts[k], rows = N - f;
        rng_seed(&r1, 7);
        block_tail_forward_at(ys, bs, x + f * C, a, b, res + f * C, rows, C, 0.1f, &r1,
                              (uint64_t)f * C);
        assert_memory_equal(ys, y + f * C, rows * C * sizeof(float));
    }
    free(x);
    free(res);
    free(y);
    free(ys);
    free(bits);
    free(bs);
}

/* float a and b within k ulps */
static void assert_ulps(const float *a, const float *b, size_t n, int k, const char *what)
{
    for (size_t i = 0; i < n; i++) {
        float tol = (float)k * fmaxf(fabsf(nextafterf(b[i], INFINITY) - b[i]), 1e-30f);
        if (!(fabsf(a[i] - b[i]) <= tol))
            fail_msg("%s[%zu]: %.9g vs %.9g", what, i, (double)a[i], (double)b[i]);
    }
}

static void test_batchnorm_sync(void **state)
{
    (void)state;
    const size_t N = 301, C = 20;
    float *X = malloc(N * C * sizeof(float)), *dY = malloc(N * C * sizeof(float));
    gc_fill_uniform(X, N * C, 2.0f, 3.0f, 11); /* |mean| >> std, as after a shift */
    gc_fill_uniform(dY, N * C, -1.0f, 1.0f, 12);
    float g[20], be[20];
    gc_fill_uniform(g, C, 0.5f, 1.5f, 13);
    gc_fill_uniform(be, C, -0.5f, 0.5f, 14);
    float mean[20], is[20], rm[20], rv[20];
    for (size_t c = 0; c < C; c++) rm[c] = 0.1f, rv[c] = 0.9f;
    batchnorm_forward_train(NULL, mean, is, rm, rv, X, NULL, NULL, N, C, 0.1f, 1e-5f);
    float *dX = calloc(N * C, sizeof(float)), dg[20] = {0}, db[20] = {0};
    batchnorm_backward_train(dX, dg, db, dY, X, g, mean, is, N, C);

    for (int parts = 1; parts <= 3; parts++) {
        /* shards of rows [f, f + c), one of them empty when parts == 3 */
        size_t first[3], count[3];
        for (int p = 0; p < parts; p++) dist_shard(N, p, parts, &first[p], &count[p]);
        if (parts == 3) first[2] = first[1], count[2] += count[1], count[1] = 0;
        double shift[20] = {0}, s12[40] = {0}, part1[40], sh[20];
        for (int p = 0; p < parts; p++) {
            if (first[p] == 0 && count[p] > 0) {
                batchnorm_stats_shift(sh, X, count[p], C);
                for (size_t c = 0; c < C; c++) shift[c] += sh[c];
            }
        }
        for (int p = 0; p < parts; p++) {
            batchnorm_stats_partial(part1, part1 + C, shift, X + first[p] * C, count[p], C);
            for (size_t c = 0; c < 2 * C; c++) s12[c] += part1[c];
        }
        float m2[20], is2[20], rm2[20], rv2[20];
        for (size_t c = 0; c < C; c++) rm2[c] = 0.1f, rv2[c] = 0.9f;
        batchnorm_stats_finish(m2, is2, rm2, rv2, shift, s12, s12 + C, C, N, 0.1f, 1e-5f);
        assert_ulps(m2, mean, C, 2, "mean");
        assert_ulps(is2, is, C, 2, "invstd");
        assert_ulps(rm2, rm, C, 2, "running_mean");
        assert_ulps(rv2, rv, C, 2, "running_var");
        double sums[40] = {0};
        for (int p = 0; p < parts; p++) {
            batchnorm_grad_sums(part1, part1 + C, dY + first[p] * C, X + first[p] * C, mean, is,
                                count[p], C);
            for (size_t c = 0; c < 2 * C; c++) sums[c] += part1[c];
        }
        float *dX2 = calloc(N * C, sizeof(float));
        for (int p = 0; p < parts; p++)
            batchnorm_backward_input(dX2 + first[p] * C, dY + first[p] * C, X + first[p] * C, g,
                                     mean, is, sums, sums + C, count[p], C, N);
        assert_close_f32(dX2, dX, N * C, 1e-6, 1e-7, "dX from shards");
        float dg2[20], db2[20];
        for (size_t c = 0; c < C; c++) dg2[c] = (float)sums[C + c], db2[c] = (float)sums[c];
        assert_ulps(dg2, dg, C, 2, "dgamma");
        assert_ulps(db2, db, C, 2, "dbeta");
        free(dX2);
    }
    free(X);
    free(dY);
    free(dX);
}

static void test_loss_parts(void **state)
{
    (void)state;
    enum { B = 11, K = 3 };
    float logits[B * K];
    gc_fill_uniform(logits, B * K, -2.0f, 2.0f, 21);
    int y[B] = {0, 1, 2, 1, 1, 0, 2, 2, 1, 0, 1};
    const float w[K] = {1.0f, 2.5f, 0.5f};
    const double eps[2] = {0.0, 0.1};
    for (int e = 0; e < 2; e++)
        for (int weighted = 0; weighted < 2; weighted++) {
            const float *wp = weighted ? w : NULL;
            float d[B * K] = {0}, d2[B * K] = {0};
            double whole = cross_entropy_smooth_loss(d, logits, y, wp, B, K, 0.7f, eps[e]);
            const double W = cross_entropy_weight_sum(y, wp, B, K);
            double sum = 0.0;
            const size_t cut[] = {0, 4, 4, 11}; /* shards [0,4), [4,4) (empty), [4,11) */
            for (int p = 0; p < 3; p++)
                sum += cross_entropy_smooth_part(d2 + cut[p] * K, logits + cut[p] * K, y + cut[p],
                                                 wp, cut[p + 1] - cut[p], K, 0.7f, eps[e], W);
            assert_true(fabs(sum - whole) <= 1e-12 * fabs(whole));
            assert_memory_equal(d, d2, sizeof d); /* the rows' gradients are the same floats */
        }
    float q[B * K];
    gc_fill_uniform(q, B * K, -2.0f, 2.0f, 22);
    float d[B * K] = {0}, d2[B * K] = {0};
    double whole = club_bound(d, q, y, B, K, 0.3f), sum = 0.0;
    sum += club_bound_part(d2, q, y, 5, K, 0.3f, y, B);
    sum += club_bound_part(d2 + 5 * K, q + 5 * K, y + 5, B - 5, K, 0.3f, y, B);
    assert_true(fabs(sum - whole) <= 1e-12 * fmax(1.0, fabs(whole)));
    assert_memory_equal(d, d2, sizeof d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dist_shard),
        cmocka_unit_test(test_dropout_shards),
        cmocka_unit_test(test_batchnorm_sync),
        cmocka_unit_test(test_loss_parts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
