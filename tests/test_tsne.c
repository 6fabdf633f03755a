/* test_tsne.c — viz/tsne against scikit-learn's own TSNE on a committed fixture
 * (tools/make_embed_fixtures.py): 1,000 points in 64-d around 10 clusters. The quality
 * measure is the trustworthiness (n_neighbors 5), computed here as
 * sklearn.manifold.trustworthiness does; the C embedding must come within 0.02 of
 * scikit-learn's, exactly on the first 300 points and with Barnes-Hut on all 1,000.
 * Also: the same result for any thread count and for a seed, a different one for another
 * seed (random initialisation), and the documented errors.
 *
 * SG_TSNE_OUT=<file> writes the Barnes-Hut embedding there (one "x y" line per point) for
 * tools/check_tsne.py, which recomputes the trustworthiness with scikit-learn.
 */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/error.h"
#include "testutil.h"
#include "viz/tsne.h"

#define TRUST_K 5

static float *g_x;
static size_t g_n, g_d, g_exact_n;
static double g_trust_bh, g_trust_exact;

static double ref_value(const char *text, const char *key)
{
    char pat[32];
    snprintf(pat, sizeof pat, "\n%s ", key);
    const char *p = strstr(text, pat);
    assert_non_null(p);
    return strtod(p + strlen(pat), NULL);
}

static int setup(void **state)
{
    (void)state;
    char *text = read_text_file(fixture_path("embed/tsne_ref.txt"), NULL);
    if (!text) return -1;
    g_n = (size_t)ref_value(text, "n");
    g_d = (size_t)ref_value(text, "d");
    g_exact_n = (size_t)ref_value(text, "exact_n");
    g_trust_bh = ref_value(text, "trust_bh");
    g_trust_exact = ref_value(text, "trust_exact");
    free(text);
    size_t len = 0;
    char *raw = read_text_file(fixture_path("embed/points.f32"), &len);
    if (!raw || len != g_n * g_d * sizeof(float)) return -1;
    g_x = malloc(len);
    memcpy(g_x, raw, len); /* little-endian float32, as the tests' hosts */
    free(raw);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(g_x);
    return 0;
}

/* sklearn.manifold.trustworthiness(X, Y, n_neighbors=k), Euclidean: for each point, the
 * k nearest neighbours in Y (ties to the lower index); each that is not among its k nearest
 * in X adds (its rank in X) − k; T = 1 − 2/(n k (2n − 3k − 1)) · Σ. */
static double trustworthiness(const float *x, size_t n, size_t d, const double *y, size_t k)
{
    double *dx = malloc(n * sizeof *dx);
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        size_t nb[TRUST_K];
        double nbd[TRUST_K];
        for (size_t t = 0; t < k; t++) {
            nbd[t] = INFINITY;
            nb[t] = n;
        }
        for (size_t j = 0; j < n; j++) {
            if (j == i) continue;
            double a = y[2 * i] - y[2 * j], b = y[2 * i + 1] - y[2 * j + 1], v = a * a + b * b;
            if (!(v < nbd[k - 1])) continue;
            size_t t = k - 1;
            while (t > 0 && v < nbd[t - 1]) {
                nbd[t] = nbd[t - 1];
                nb[t] = nb[t - 1];
                t--;
            }
            nbd[t] = v;
            nb[t] = j;
        }
        for (size_t j = 0; j < n; j++) {
            double s = 0.0;
            for (size_t t = 0; t < d; t++) {
                double a = (double)x[i * d + t] - (double)x[j * d + t];
                s += a * a;
            }
            dx[j] = s;
        }
        for (size_t t = 0; t < k; t++) {
            size_t j = nb[t], rank = 1;
            for (size_t m = 0; m < n; m++)
                if (m != i && (dx[m] < dx[j] || (dx[m] == dx[j] && m < j))) rank++;
            if (rank > k) sum += (double)(rank - k);
        }
    }
    free(dx);
    double dn = (double)n, dk = (double)k;
    return 1.0 - sum * (2.0 / (dn * dk * (2.0 * dn - 3.0 * dk - 1.0)));
}

static void test_trustworthiness_extremes(void **state)
{
    (void)state;
    /* the identity embedding of 2-d data is perfectly trustworthy; a shuffled one is not */
    size_t n = 60;
    float *x = malloc(n * 2 * sizeof *x);
    double *y = malloc(n * 2 * sizeof *y);
    for (size_t i = 0; i < n; i++) {
        x[2 * i] = (float)cos(0.37 * (double)i) * (float)(i + 1);
        x[2 * i + 1] = (float)sin(0.37 * (double)i) * (float)(i + 1);
    }
    for (size_t t = 0; t < 2 * n; t++) y[t] = (double)x[t];
    assert_true(fabs(trustworthiness(x, n, 2, y, TRUST_K) - 1.0) < 1e-12);
    for (size_t i = 0; i < n; i++) {
        size_t j = (i * 37 + 11) % n;
        y[2 * i] = (double)x[2 * j];
        y[2 * i + 1] = (double)x[2 * j + 1];
    }
    assert_true(trustworthiness(x, n, 2, y, TRUST_K) < 0.8);
    free(x);
    free(y);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double g_seconds;

/* The comparisons with scikit-learn run on one thread: the result does not depend on it
 * (test_tsne_deterministic), and the tests share two busy cores, where OpenMP barriers
 * made the 1,000-point run six times slower. */
static void run(size_t n, enum tsne_method m, double *y, struct tsne_result *res)
{
    int threads = omp_get_max_threads();
    omp_set_num_threads(1);
    double t0 = now();
    struct tsne_config c;
    tsne_config_default(&c);
    c.method = m;
    struct error err;
    int rc = tsne_embed(g_x, n, g_d, &c, y, res, &err);
    if (rc) fail_msg("%s", err.msg);
    g_seconds = now() - t0;
    omp_set_num_threads(threads);
    for (size_t t = 0; t < 2 * n; t++) assert_true(isfinite(y[t]));
}

static void test_tsne_exact_vs_sklearn(void **state)
{
    (void)state;
    size_t n = g_exact_n;
    double *y = malloc(n * 2 * sizeof *y);
    struct tsne_result res;
    run(n, TSNE_EXACT, y, &res);
    assert_int_equal(res.barnes_hut, 0);
    double t = trustworthiness(g_x, n, g_d, y, TRUST_K);
    print_message("exact, %zu points: trustworthiness %.6f (scikit-learn %.6f), KL %.4f, "
                  "%zu iterations, %.2f s\n", n, t, g_trust_exact, res.kl, res.iterations, g_seconds);
    assert_true(fabs(t - g_trust_exact) <= 0.02);
    free(y);
}

static void test_tsne_barnes_hut_vs_sklearn(void **state)
{
    (void)state;
    size_t n = g_n;
    double *y = malloc(n * 2 * sizeof *y);
    struct tsne_result res;
    run(n, TSNE_BARNES_HUT, y, &res);
    assert_int_equal(res.barnes_hut, 1);
    double t = trustworthiness(g_x, n, g_d, y, TRUST_K);
    print_message("Barnes-Hut, %zu points: trustworthiness %.6f (scikit-learn %.6f), KL %.4f, "
                  "%zu iterations, %.2f s\n", n, t, g_trust_bh, res.kl, res.iterations, g_seconds);
    assert_true(fabs(t - g_trust_bh) <= 0.02);
    const char *out = getenv("SG_TSNE_OUT");
    if (out) {
        FILE *f = fopen(out, "w");
        assert_non_null(f);
        for (size_t i = 0; i < n; i++) fprintf(f, "%.17g %.17g\n", y[2 * i], y[2 * i + 1]);
        fclose(f);
    }
    free(y);
}

static void test_tsne_deterministic(void **state)
{
    (void)state;
    size_t n = g_n;
    double *a = malloc(n * 2 * sizeof *a), *b = malloc(n * 2 * sizeof *b);
    struct tsne_config c;
    tsne_config_default(&c);
    c.max_iter = 100;
    c.perplexity = 20.0;
    struct error err;
    int threads = omp_get_max_threads();
    /* PCA initialisation: the same result twice for a thread count */
    c.method = TSNE_BARNES_HUT;
    assert_int_equal(tsne_embed(g_x, 200, g_d, &c, a, NULL, &err), 0);
    assert_int_equal(tsne_embed(g_x, 200, g_d, &c, b, NULL, &err), 0);
    assert_memory_equal(a, b, 200 * 2 * sizeof *a);
    /* random initialisation (no LAPACK): the same for 1 and 2+ threads, both methods, on
     * sizes that run in parallel (exact from 512 points, Barnes-Hut from 1,000) */
    c.init = TSNE_INIT_RANDOM;
    c.seed = 5;
    c.max_iter = 30;
    for (int m = 0; m < 2; m++) {
        size_t nm = m ? n : 600;
        c.method = m ? TSNE_BARNES_HUT : TSNE_EXACT;
        omp_set_num_threads(1);
        assert_int_equal(tsne_embed(g_x, nm, g_d, &c, a, NULL, &err), 0);
        omp_set_num_threads(threads > 1 ? threads : 2);
        assert_int_equal(tsne_embed(g_x, nm, g_d, &c, b, NULL, &err), 0);
        if (memcmp(a, b, nm * 2 * sizeof *a)) fail_msg("method %d differs across thread counts", m);
    }
    omp_set_num_threads(threads);
    /* another seed, another embedding */
    c.seed = 6;
    assert_int_equal(tsne_embed(g_x, n, g_d, &c, b, NULL, &err), 0);
    assert_memory_not_equal(a, b, n * 2 * sizeof *a);
    /* TSNE_AUTO: exact up to exact_max_n points */
    struct tsne_result res;
    n = 200;
    c.method = TSNE_AUTO;
    c.max_iter = 10;
    c.exact_max_n = n;
    assert_int_equal(tsne_embed(g_x, n, g_d, &c, a, &res, &err), 0);
    assert_int_equal(res.barnes_hut, 0);
    assert_int_equal(res.iterations, 10);
    c.exact_max_n = n - 1;
    assert_int_equal(tsne_embed(g_x, n, g_d, &c, a, &res, &err), 0);
    assert_int_equal(res.barnes_hut, 1);
    free(a);
    free(b);
}

static void test_tsne_errors(void **state)
{
    (void)state;
    struct tsne_config c;
    tsne_config_default(&c);
    double y[40];
    struct error err;
    assert_int_equal(tsne_embed(g_x, 20, g_d, &c, y, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "perplexity 30 must be in (0, 20)"));
    assert_non_null(strstr(err.msg, "hint: lower --perplexity"));
    assert_int_equal(tsne_embed(g_x, 1, g_d, &c, y, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "at least 2 points"));
    float bad[6] = {0, 1, 2, NAN, 4, 5};
    c.perplexity = 1.0;
    assert_int_equal(tsne_embed(bad, 3, 2, &c, y, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "(row 1, column 1) is not finite"));
    float one[3] = {0, 1, 2};
    assert_int_equal(tsne_embed(one, 3, 1, &c, y, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "PCA initialisation needs at least 2 features"));
    /* identical points: no NaN, whatever the method */
    float same[20] = {0};
    for (int m = 0; m < 2; m++) {
        c.method = m ? TSNE_BARNES_HUT : TSNE_EXACT;
        c.max_iter = 60;
        assert_int_equal(tsne_embed(same, 10, 2, &c, y, NULL, &err), 0);
        for (int t = 0; t < 20; t++) assert_true(isfinite(y[t]));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trustworthiness_extremes),
        cmocka_unit_test(test_tsne_exact_vs_sklearn),
        cmocka_unit_test(test_tsne_barnes_hut_vs_sklearn),
        cmocka_unit_test(test_tsne_deterministic),
        cmocka_unit_test(test_tsne_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
