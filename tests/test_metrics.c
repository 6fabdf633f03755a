/* test_metrics.c — accuracy, balanced accuracy, F1, average precision and the confusion
 * matrix against scikit-learn 1.2 on every case of tests/fixtures/metrics/cases.txt (written by
 * tools/make_metrics_fixtures.py: random and hand-made cases, ties in scores, classes missing
 * from y_pred or y_true, one class only, perfect and inverted predictions, N = 0), and the
 * errors for bad input. */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "testutil.h"
#include "train/metrics.h"

struct mcase {
    char name[64];
    bool binary;
    size_t n, nc;
    int *y_true, *y_pred;
    float *probs;
    size_t *cm;
    double expect[4]; /* acc, balanced_acc, f1, pr_auc */
};

/* Next line of the fixture starting with `key`: returns a pointer after the key, advances *p. */
static const char *line_after(const char **p, const char *key)
{
    const char *s = *p;
    size_t len = strlen(key);
    assert_true(strncmp(s, key, len) == 0);
    const char *nl = strchr(s, '\n');
    assert_non_null(nl);
    *p = nl + 1;
    return s + len;
}

static void parse_ints(const char *s, int *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char *end;
        long v = strtol(s, &end, 10);
        assert_true(end != s);
        out[i] = (int)v;
        s = end;
    }
}

/* Parses the block starting at *p; returns false at the end of the file. */
static bool parse_case(const char **p, struct mcase *c)
{
    while (**p == '#') *p = strchr(*p, '\n') + 1;
    if (**p == '\0') return false;
    const char *s = line_after(p, "case ");
    char mode[16];
    assert_int_equal(sscanf(s, "%63s %15s %zu %zu", c->name, mode, &c->n, &c->nc), 4);
    c->binary = strcmp(mode, "binary") == 0;
    c->y_true = calloc(c->n + 1, sizeof(int));
    c->y_pred = calloc(c->n + 1, sizeof(int));
    c->probs = calloc(c->n * c->nc + 1, sizeof(float));
    c->cm = calloc(c->nc * c->nc, sizeof(size_t));
    parse_ints(line_after(p, "y_true"), c->y_true, c->n);
    parse_ints(line_after(p, "y_pred"), c->y_pred, c->n);
    s = line_after(p, "probs");
    for (size_t i = 0; i < c->n * c->nc; i++) {
        char *end;
        c->probs[i] = strtof(s, &end);
        assert_true(end != s);
        s = end;
    }
    s = line_after(p, "cm");
    for (size_t i = 0; i < c->nc * c->nc; i++) {
        char *end;
        c->cm[i] = (size_t)strtoul(s, &end, 10);
        assert_true(end != s);
        s = end;
    }
    s = line_after(p, "expect");
    for (int k = 0; k < 4; k++) {
        char *end;
        c->expect[k] = strtod(s, &end); /* strtod reads "nan" */
        assert_true(end != s);
        s = end;
    }
    line_after(p, "end");
    return true;
}

static void case_free(struct mcase *c)
{
    free(c->y_true);
    free(c->y_pred);
    free(c->probs);
    free(c->cm);
}

/* Equal within 1e-9 relative (plus 1e-15 absolute for zeros); NaN only equals NaN. */
static void check_value(const char *cname, const char *what, double got, double want)
{
    bool ok = isnan(want) ? isnan(got) : fabs(got - want) <= 1e-9 * fabs(want) + 1e-15;
    if (!ok) fail_msg("%s: %s = %.17g, sklearn %.17g", cname, what, got, want);
}

static void test_metrics_match_sklearn(void **state)
{
    (void)state;
    char *text = read_text_file(fixture_path("metrics/cases.txt"), NULL);
    assert_non_null(text);
    const char *p = text;
    struct mcase c;
    int cases = 0, with_ties = 0;
    while (parse_case(&p, &c)) {
        struct error err;
        struct metrics m;
        assert_int_equal(metrics_compute(c.y_true, c.y_pred, c.probs, c.n, c.nc, c.binary, &m,
                                         &err), 0);
        check_value(c.name, "acc", m.acc, c.expect[0]);
        check_value(c.name, "balanced_acc", m.balanced_acc, c.expect[1]);
        check_value(c.name, "f1", m.f1, c.expect[2]);
        check_value(c.name, "pr_auc", m.pr_auc, c.expect[3]);

        /* the individual functions agree with metrics_compute */
        double v;
        assert_int_equal(metrics_accuracy(c.y_true, c.y_pred, c.n, c.nc, &v, &err), 0);
        check_value(c.name, "metrics_accuracy", v, c.expect[0]);
        assert_int_equal(metrics_balanced_accuracy(c.y_true, c.y_pred, c.n, c.nc, &v, &err), 0);
        check_value(c.name, "metrics_balanced_accuracy", v, c.expect[1]);
        assert_int_equal(metrics_f1(c.y_true, c.y_pred, c.n, c.nc, c.binary, &v, &err), 0);
        check_value(c.name, "metrics_f1", v, c.expect[2]);
        assert_int_equal(metrics_pr_auc(c.y_true, c.probs, c.n, c.nc, c.binary, &v, &err), 0);
        check_value(c.name, "metrics_pr_auc", v, c.expect[3]);

        size_t *cm = calloc(c.nc * c.nc, sizeof(size_t));
        assert_int_equal(metrics_confusion(c.y_true, c.y_pred, c.n, c.nc, cm, &err), 0);
        for (size_t i = 0; i < c.nc * c.nc; i++)
            if (cm[i] != c.cm[i])
                fail_msg("%s: cm[%zu][%zu] = %zu, sklearn %zu", c.name, i / c.nc, i % c.nc, cm[i],
                         c.cm[i]);
        free(cm);

        /* the fixture does exercise tied scores */
        for (size_t i = 1; i < c.n; i++)
            if (c.probs[i * c.nc] == c.probs[(i - 1) * c.nc]) {
                with_ties++;
                break;
            }
        case_free(&c);
        cases++;
    }
    assert_true(cases >= 20);
    assert_true(with_ties >= 3);
    free(text);
}

/* Hand-checked values that do not depend on the fixture. */
static void test_metrics_by_hand(void **state)
{
    (void)state;
    struct error err;
    /* sklearn's precision_recall_curve example: y (0,0,1,1), scores (.1,.4,.35,.8):
     * AP = 0.5·1 + 0.5·(2/3) = 0.8333… */
    unsigned char pos[4] = {0, 0, 1, 1};
    float sc[4] = {0.1f, 0.4f, 0.35f, 0.8f};
    double ap;
    assert_int_equal(metrics_average_precision(pos, sc, 1, 4, &ap, &err), 0);
    assert_true(fabs(ap - (0.5 + 0.5 * 2.0 / 3.0)) < 1e-15);
    /* a positive and a negative tied at the top form one threshold (precision 1/2 there, not
     * 1 as a ranking that put the positive first would give): 0.5·0.5 + 0.5·(2/3) */
    float tie[3] = {0.5f, 0.5f, 0.1f};
    unsigned char pos2[3] = {1, 0, 1};
    assert_int_equal(metrics_average_precision(pos2, tie, 1, 3, &ap, &err), 0);
    assert_true(fabs(ap - (0.25 + 0.5 * (2.0 / 3.0))) < 1e-15);
    /* balanced accuracy ignores a predicted class absent from y_true: recalls 1/2 and 0 */
    int yt[3] = {0, 0, 1}, yp[3] = {0, 2, 2};
    double v;
    assert_int_equal(metrics_balanced_accuracy(yt, yp, 3, 3, &v, &err), 0);
    assert_true(fabs(v - 0.25) < 1e-15);
    /* macro F1 counts class 2 (predicted only): (2/3 + 0 + 0)/3 */
    assert_int_equal(metrics_f1(yt, yp, 3, 3, false, &v, &err), 0);
    assert_true(fabs(v - 2.0 / 9.0) < 1e-15);
    /* a class in neither y_true nor y_pred does not count in the macro mean */
    assert_int_equal(metrics_f1(yt, yp, 3, 7, false, &v, &err), 0);
    assert_true(fabs(v - 2.0 / 9.0) < 1e-15);
}

static void test_metrics_bad_input(void **state)
{
    (void)state;
    struct error err;
    struct metrics m;
    int yt[3] = {0, 1, 1}, yp[3] = {0, 2, 1}, neg[3] = {0, -1, 1};
    float probs[6] = {0.9f, 0.1f, 0.4f, 0.6f, 0.2f, 0.8f};
    assert_int_equal(metrics_compute(yt, yp, probs, 3, 2, true, &m, &err), -1);
    assert_non_null(strstr(err.msg, "y_pred[1] = 2 is not a class"));
    assert_int_equal(metrics_compute(neg, yt, probs, 3, 2, true, &m, &err), -1);
    assert_non_null(strstr(err.msg, "y_true[1] = -1"));
    assert_int_equal(metrics_compute(yt, yt, probs, 2, 3, true, &m, &err), -1);
    assert_non_null(strstr(err.msg, "binary mode needs 2 classes"));
    assert_int_equal(metrics_compute(yt, yt, probs, 3, 0, false, &m, &err), -1);
    assert_non_null(strstr(err.msg, "no classes"));
    probs[3] = NAN;
    assert_int_equal(metrics_compute(yt, yt, probs, 3, 2, true, &m, &err), -1);
    assert_non_null(strstr(err.msg, "score[1] = nan is not finite"));
    size_t cm[4];
    assert_int_equal(metrics_confusion(yt, yp, 3, 2, cm, &err), -1);
    assert_non_null(strstr(err.msg, "metrics_confusion: y_pred[1] = 2"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_metrics_match_sklearn),
        cmocka_unit_test(test_metrics_by_hand),
        cmocka_unit_test(test_metrics_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
