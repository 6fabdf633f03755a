/* test_logreg.c — the signer probe's logistic regression (src/train/logreg.c):
 *  - probabilities equal scikit-learn's LogisticRegression(C=1.0) (multinomial, after
 *    StandardScaler) fitted to its optimum (newton-cg, tol 1e-10), on committed fixtures
 *    written by tools/make_logreg_fixture.py (three, two and four classes; one with more
 *    features than a class has rows and a constant feature). Tolerance 1e-6 absolute on every
 *    probability: both sides stop at a gradient tolerance (ours max|g|/n <= 1e-8), not at the
 *    exact optimum. (sklearn's default lbfgs stops 1e-5..3e-5 away from it; the generator
 *    prints that distance.) Predictions must equal sklearn's;
 *  - cross-validation: deterministic for a seed, perfect on separable classes, and a label
 *    missing from a training fold gets probability 0;
 *  - bad input is an error with a message. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "train/logreg.h"
#include "testutil.h"

struct fixture {
    size_t n, d, k;
    float *x;
    int *y;
    double *p;
};

static void fixture_read(const char *name, struct fixture *f)
{
    char rel[64];
    snprintf(rel, sizeof rel, "logreg/%s", name);
    FILE *fp = fopen(fixture_path(rel), "r");
    if (!fp) fail_msg("cannot open fixture %s", rel);
    assert_int_equal(fscanf(fp, "%zu %zu %zu", &f->n, &f->d, &f->k), 3);
    f->x = malloc(f->n * f->d * sizeof(float));
    f->y = malloc(f->n * sizeof(int));
    f->p = malloc(f->n * f->k * sizeof(double));
    assert_non_null(f->x);
    assert_non_null(f->y);
    assert_non_null(f->p);
    for (size_t i = 0; i < f->n; i++) {
        for (size_t j = 0; j < f->d; j++) assert_int_equal(fscanf(fp, "%f", &f->x[i * f->d + j]), 1);
        assert_int_equal(fscanf(fp, "%d", &f->y[i]), 1);
    }
    for (size_t i = 0; i < f->n * f->k; i++) assert_int_equal(fscanf(fp, "%lf", &f->p[i]), 1);
    fclose(fp);
}

static void fixture_free(struct fixture *f)
{
    free(f->x);
    free(f->y);
    free(f->p);
}

static void check_against_sklearn(const char *name)
{
    struct fixture f;
    fixture_read(name, &f);
    struct logreg_config cfg;
    logreg_config_default(&cfg);
    struct logreg m;
    struct error err;
    if (logreg_fit(&m, f.x, f.n, f.d, f.y, f.k, &cfg, &err)) fail_msg("%s", err.msg);
    assert_true(m.converged);
    assert_int_equal(m.k, f.k);
    double *p = malloc(f.n * f.k * sizeof(double));
    assert_non_null(p);
    logreg_predict_proba(&m, f.x, f.n, p);
    double worst = 0;
    for (size_t i = 0; i < f.n * f.k; i++) {
        double e = fabs(p[i] - f.p[i]);
        if (e > worst) worst = e;
        if (e > 1e-6)
            fail_msg("%s: probability %zu of row %zu is %.9g, sklearn %.9g", name, i % f.k,
                     i / f.k, p[i], f.p[i]);
    }
    /* predictions agree with sklearn's argmax */
    int *pred = malloc(f.n * sizeof(int));
    assert_non_null(pred);
    logreg_predict(&m, f.x, f.n, pred);
    for (size_t i = 0; i < f.n; i++) {
        size_t best = 0;
        for (size_t c = 1; c < f.k; c++)
            if (f.p[i * f.k + c] > f.p[i * f.k + best]) best = c;
        assert_int_equal(pred[i], (int)best);
    }
    free(pred);
    free(p);
    logreg_free(&m);
    fixture_free(&f);
}

static void test_matches_sklearn_three_classes(void **state)
{
    (void)state;
    check_against_sklearn("blobs3.txt");
}

static void test_matches_sklearn_wide_constant_feature(void **state)
{
    (void)state;
    check_against_sklearn("wide4.txt");
}

static void test_matches_sklearn_binary(void **state)
{
    (void)state;
    check_against_sklearn("binary2.txt");
}

/* Two well separated blobs per label, labels 0..2 of 5 possible. */
static void separable(float *x, int *y, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        y[i] = (int)(i % 3);
        x[i * 2] = (float)(10 * y[i]) + (float)(i % 7) * 0.1f;
        x[i * 2 + 1] = (float)(i % 5) * 0.2f - (float)y[i];
    }
}

static void test_cross_validation(void **state)
{
    (void)state;
    enum { N = 60 };
    float x[N * 2];
    int y[N];
    separable(x, y, N);
    struct logreg_config cfg;
    logreg_config_default(&cfg);
    struct error err;
    double acc, acc2, folds[5], folds2[5];
    if (logreg_cross_val_accuracy(x, N, 2, y, 5, 5, 7, &cfg, &acc, folds, &err))
        fail_msg("%s", err.msg);
    assert_true(acc == 1.0);
    for (int f = 0; f < 5; f++) assert_true(folds[f] == 1.0);
    /* a label the classes never use gets probability 0, and the same seed gives the same */
    if (logreg_cross_val_accuracy(x, N, 2, y, 5, 5, 7, &cfg, &acc2, folds2, &err))
        fail_msg("%s", err.msg);
    assert_memory_equal(folds, folds2, sizeof folds);
    struct logreg m;
    if (logreg_fit(&m, x, N, 2, y, 5, &cfg, &err)) fail_msg("%s", err.msg);
    double p[5];
    logreg_predict_proba(&m, x, 1, p);
    assert_true(p[3] == 0.0 && p[4] == 0.0);
    assert_true(fabs(p[0] + p[1] + p[2] - 1.0) < 1e-12);
    logreg_free(&m);
    /* random labels on noise: accuracy near chance, not 1 */
    float xr[N * 2];
    int yr[N];
    unsigned s = 12345;
    for (size_t i = 0; i < N * 2; i++) {
        s = s * 1103515245u + 12345u;
        xr[i] = (float)((s >> 8) % 1000) / 1000.0f;
    }
    for (size_t i = 0; i < N; i++) {
        s = s * 1103515245u + 12345u;
        yr[i] = (int)((s >> 16) % 3);
    }
    if (logreg_cross_val_accuracy(xr, N, 2, yr, 3, 5, 0, &cfg, &acc, NULL, &err))
        fail_msg("%s", err.msg);
    assert_true(acc < 0.7);
}

static void test_single_class_and_errors(void **state)
{
    (void)state;
    float x[4] = {1, 2, 3, 4};
    int y[4] = {2, 2, 2, 2};
    struct logreg_config cfg;
    logreg_config_default(&cfg);
    struct logreg m;
    struct error err;
    if (logreg_fit(&m, x, 4, 1, y, 3, &cfg, &err)) fail_msg("%s", err.msg);
    int pred[4];
    logreg_predict(&m, x, 4, pred);
    for (int i = 0; i < 4; i++) assert_int_equal(pred[i], 2);
    logreg_free(&m);
    int bad[4] = {0, 1, 3, 0};
    assert_int_equal(logreg_fit(&m, x, 4, 1, bad, 3, &cfg, &err), -1);
    assert_non_null(strstr(err.msg, "label 3 of row 2 is outside [0, 3)"));
    float nanx[4] = {1, NAN, 3, 4};
    assert_int_equal(logreg_fit(&m, nanx, 4, 1, y, 3, &cfg, &err), -1);
    assert_non_null(strstr(err.msg, "not finite"));
    double acc;
    assert_int_equal(logreg_cross_val_accuracy(x, 4, 1, y, 3, 5, 0, &cfg, &acc, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "5-fold cross-validation needs at least 5 rows"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matches_sklearn_three_classes),
        cmocka_unit_test(test_matches_sklearn_wide_constant_feature),
        cmocka_unit_test(test_matches_sklearn_binary),
        cmocka_unit_test(test_cross_validation),
        cmocka_unit_test(test_single_class_and_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
