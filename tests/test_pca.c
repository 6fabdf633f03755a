/* test_pca.c — viz/pca against numpy's SVD-based PCA projection (fixture from
 * tools/make_embed_fixtures.py), up to the sign of each component; the sign convention
 * itself; bad arguments. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "testutil.h"
#include "viz/pca.h"

/* Finds "<name> R C\n" in text and reads R*C numbers after it. Returns a malloc'ed array. */
static double *read_matrix(const char *text, const char *name, size_t *rows, size_t *cols)
{
    char pat[32];
    snprintf(pat, sizeof pat, "%s ", name);
    const char *p = text;
    while ((p = strstr(p, pat)) && p != text && p[-1] != '\n') p++;
    assert_non_null(p);
    p += strlen(pat);
    char *end;
    *rows = strtoul(p, &end, 10);
    *cols = strtoul(end, &end, 10);
    double *m = malloc(*rows * *cols * sizeof *m);
    assert_non_null(m);
    p = end;
    for (size_t i = 0; i < *rows * *cols; i++) {
        m[i] = strtod(p, &end);
        assert_true(end != p);
        p = end;
    }
    return m;
}

static void test_pca_matches_numpy(void **state)
{
    (void)state;
    char *text = read_text_file(fixture_path("embed/pca.txt"), NULL);
    assert_non_null(text);
    for (int c = 0; c < 2; c++) {
        char name[8];
        size_t n, d, n2, k;
        snprintf(name, sizeof name, "x%d", c);
        double *xd = read_matrix(text, name, &n, &d);
        snprintf(name, sizeof name, "y%d", c);
        double *expect = read_matrix(text, name, &n2, &k);
        assert_int_equal(n, n2);
        float *x = malloc(n * d * sizeof *x);
        double *y = malloc(n * k * sizeof *y), *comp = malloc(k * d * sizeof *comp);
        double *var = malloc(k * sizeof *var);
        for (size_t i = 0; i < n * d; i++) x[i] = (float)xd[i];
        struct error err;
        assert_int_equal(pca_project(x, n, d, k, y, comp, var, &err), 0);
        for (size_t j = 0; j < k; j++) {
            /* up to sign: align on the largest entry of numpy's column */
            size_t best = 0;
            for (size_t i = 1; i < n; i++)
                if (fabs(expect[i * k + j]) > fabs(expect[best * k + j])) best = i;
            double sign = (y[best * k + j] < 0) == (expect[best * k + j] < 0) ? 1.0 : -1.0;
            double ss = 0.0, cmax = 0.0;
            for (size_t i = 0; i < n; i++) {
                double diff = fabs(sign * y[i * k + j] - expect[i * k + j]);
                if (diff > 1e-6 * fmax(1.0, fabs(expect[i * k + j])))
                    fail_msg("case %d component %zu row %zu: %.12g vs numpy %.12g", c, j, i,
                             sign * y[i * k + j], expect[i * k + j]);
                ss += y[i * k + j] * y[i * k + j];
            }
            /* variance along the axis, and the sign rule: largest |entry| of the axis > 0 */
            assert_true(fabs(var[j] - ss / (double)(n - 1)) <= 1e-9 * fmax(1.0, var[j]));
            for (size_t t = 0; t < d; t++)
                if (fabs(comp[j * d + t]) > fabs(comp[j * d + (size_t)cmax])) cmax = (double)t;
            assert_true(comp[j * d + (size_t)cmax] > 0.0);
            if (j > 0) assert_true(var[j] <= var[j - 1]);
        }
        free(xd);
        free(expect);
        free(x);
        free(y);
        free(comp);
        free(var);
    }
    free(text);
}

static void test_pca_errors(void **state)
{
    (void)state;
    float x[6] = {1, 2, 3, 4, 5, 6};
    double y[6];
    struct error err;
    assert_int_equal(pca_project(x, 3, 2, 3, y, NULL, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "3 components asked of a 3 x 2 matrix"));
    assert_int_equal(pca_project(x, 3, 2, 0, y, NULL, NULL, &err), -1);
    x[3] = NAN;
    assert_int_equal(pca_project(x, 3, 2, 1, y, NULL, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "row 1, column 1) is not finite"));
    /* constant data: zero projection, no failure */
    float z[6] = {2, 2, 2, 2, 2, 2};
    assert_int_equal(pca_project(z, 3, 2, 1, y, NULL, NULL, &err), 0);
    for (int i = 0; i < 3; i++) assert_true(y[i] == 0.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pca_matches_numpy),
        cmocka_unit_test(test_pca_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
