/* test_losses.c — cross-entropy (weighted and plain), supervised contrastive loss and the
 * CLUB pieces: values against hand computations, finite-difference gradient checks,
 * scale-and-add semantics, the edge cases of SPEC §4 (no anchor, singletons), repeatability,
 * and parity with PyTorch (tests/fixtures/heads/losses.npz, tools/make_heads_fixtures.py). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture_npz.h"
#include "gradcheck.h"
#include "testutil.h"
#include "nn/losses.h"

enum { CB = 6, CK = 4, SD = 5 };

struct ce_ctx {
    float logits[CB * CK];
    int y[CB];
    const float *w;
};

static double ce_fn(void *p)
{
    struct ce_ctx *c = p;
    return cross_entropy_loss(NULL, c->logits, c->y, c->w, CB, CK, 1.0f);
}

static void test_cross_entropy_values(void **state)
{
    (void)state;
    /* Two samples, two classes: logits (0,0) -> CE log 2; (log 3, 0) with y=0 -> log(4/3). */
    float l[4] = {0.0f, 0.0f, (float)log(3.0), 0.0f};
    int y[2] = {1, 0};
    double want = (log(2.0) + log(4.0 / 3.0)) / 2;
    assert_true(fabs(cross_entropy_loss(NULL, l, y, NULL, 2, 2, 1.0f) - want) < 1e-7);
    float w[2] = {1.0f, 3.0f}; /* sample 0 (class 1) weight 3, sample 1 weight 1 */
    double wantw = (3 * log(2.0) + log(4.0 / 3.0)) / 4;
    assert_true(fabs(cross_entropy_loss(NULL, l, y, w, 2, 2, 1.0f) - wantw) < 1e-7);
    /* All weights of the batch zero: 0 and no gradient. */
    float w0[2] = {0.0f, 0.0f}, d[4] = {0};
    assert_true(cross_entropy_loss(d, l, y, w0, 2, 2, 1.0f) == 0.0);
    for (int i = 0; i < 4; i++) assert_true(d[i] == 0.0f);
}

static void test_cross_entropy_gradcheck(void **state)
{
    (void)state;
    static const float wts[CK] = {0.5f, 2.0f, 1.0f, 3.0f};
    for (int weighted = 0; weighted < 2; weighted++) {
        struct ce_ctx c;
        gc_fill_uniform(c.logits, CB * CK, -3, 3, 41);
        int ys[CB] = {0, 3, 1, 1, 2, 3};
        memcpy(c.y, ys, sizeof ys);
        c.w = weighted ? wts : NULL;
        float d[CB * CK] = {0};
        cross_entropy_loss(d, c.logits, c.y, c.w, CB, CK, 1.0f);
        struct gc_tensor ts[] = {{"logits", c.logits, d, CB * CK}};
        gradcheck(ce_fn, &c, ts, 1, NULL);
        /* scale-and-add: a second call with scale 2 adds twice the gradient. */
        float d2[CB * CK];
        for (int i = 0; i < CB * CK; i++) d2[i] = 1.0f;
        cross_entropy_loss(d2, c.logits, c.y, c.w, CB, CK, 2.0f);
        for (int i = 0; i < CB * CK; i++) assert_true(fabsf(d2[i] - (1.0f + 2.0f * d[i])) < 1e-6f);
    }
}

/* ---- supervised contrastive ------------------------------------------------------------ */

struct sc_ctx {
    float Z[CB * SD];
    int y[CB];
    float ws[CB * SD + CB * CB + CB];
    float tau;
};

static double sc_fn(void *p)
{
    struct sc_ctx *c = p;
    return supcon_loss(NULL, c->Z, c->y, CB, SD, c->tau, 1.0f, c->ws);
}

/* Direct transcription of SPEC §4 in double, for the value. */
static double supcon_plain(const float *Z, const int *y, size_t B, size_t D, double tau)
{
    double z[CB][SD];
    for (size_t i = 0; i < B; i++) {
        double n = 0;
        for (size_t d = 0; d < D; d++) n += (double)Z[i * D + d] * (double)Z[i * D + d];
        n = fmax(sqrt(n), 1e-12);
        for (size_t d = 0; d < D; d++) z[i][d] = (double)Z[i * D + d] / n;
    }
    double tot = 0;
    size_t na = 0;
    for (size_t i = 0; i < B; i++) {
        double den = 0, acc = 0;
        size_t np = 0;
        for (size_t a = 0; a < B; a++) {
            if (a == i) continue;
            double s = 0;
            for (size_t d = 0; d < D; d++) s += z[i][d] * z[a][d];
            den += exp(s / tau);
        }
        for (size_t p = 0; p < B; p++) {
            if (p == i || y[p] != y[i]) continue;
            double s = 0;
            for (size_t d = 0; d < D; d++) s += z[i][d] * z[p][d];
            acc += log(exp(s / tau) / den);
            np++;
        }
        if (np) {
            tot += -acc / (double)np;
            na++;
        }
    }
    return na ? tot / (double)na : 0.0;
}

static void test_supcon(void **state)
{
    (void)state;
    /* Labels: a normal batch; one with singletons next to one pair; one with no anchor. */
    static const int labels[3][CB] = {{0, 1, 0, 1, 1, 2}, {0, 1, 2, 3, 4, 0}, {0, 1, 2, 3, 4, 5}};
    for (int k = 0; k < 3; k++) {
        struct sc_ctx c;
        gc_fill_uniform(c.Z, CB * SD, -1, 1, 51 + (unsigned long long)k);
        memcpy(c.y, labels[k], sizeof c.y);
        c.tau = 0.5f; /* 0.07 makes exp() so steep that eps=1e-3 differences are not linear */
        float d[CB * SD] = {0};
        double L = supcon_loss(d, c.Z, c.y, CB, SD, c.tau, 1.0f, c.ws);
        assert_true(fabs(L - supcon_plain(c.Z, c.y, CB, SD, c.tau)) < 1e-6);
        if (k == 2) {
            assert_true(L == 0.0);
            for (int i = 0; i < CB * SD; i++) assert_true(d[i] == 0.0f);
            continue;
        }
        assert_true(L > 0.0);
        struct gc_tensor ts[] = {{"Z", c.Z, d, CB * SD}};
        gradcheck(sc_fn, &c, ts, 1, NULL);
        /* The model's temperature: value against the transcription, gradient at a smaller
         * step. */
        c.tau = 0.07f;
        float d7[CB * SD] = {0};
        L = supcon_loss(d7, c.Z, c.y, CB, SD, c.tau, 1.0f, c.ws);
        assert_true(fabs(L - supcon_plain(c.Z, c.y, CB, SD, c.tau)) < 1e-5 * fmax(1, L));
        struct gc_options o = {.eps = 1e-4, .rtol = 2e-2, .atol = 2e-3};
        struct gc_tensor ts7[] = {{"Z", c.Z, d7, CB * SD}};
        gradcheck(sc_fn, &c, ts7, 1, &o);
        /* Repeatable bit for bit. */
        float d8[CB * SD] = {0};
        double L8 = supcon_loss(d8, c.Z, c.y, CB, SD, c.tau, 1.0f, c.ws);
        assert_memory_equal(&L, &L8, sizeof L);
        assert_memory_equal(d7, d8, sizeof d7);
    }
}

/* ---- CLUB ------------------------------------------------------------------------------- */

struct club_ctx {
    float logits[CB * CK];
    int y[CB];
};

static double club_fn(void *p)
{
    struct club_ctx *c = p;
    return club_bound(NULL, c->logits, c->y, CB, CK, 1.0f);
}

static void test_club(void **state)
{
    (void)state;
    struct club_ctx c;
    gc_fill_uniform(c.logits, CB * CK, -2, 2, 61);
    int ys[CB] = {0, 0, 1, 3, 3, 3};
    memcpy(c.y, ys, sizeof ys);
    /* Value from the definition with log-softmax. */
    double lq[CB][CK];
    for (int i = 0; i < CB; i++) {
        double mx = -INFINITY, den = 0;
        for (int k = 0; k < CK; k++) mx = fmax(mx, (double)c.logits[i * CK + k]);
        for (int k = 0; k < CK; k++) den += exp((double)c.logits[i * CK + k] - mx);
        for (int k = 0; k < CK; k++) lq[i][k] = (double)c.logits[i * CK + k] - mx - log(den);
    }
    double pos = 0, neg = 0;
    for (int i = 0; i < CB; i++) {
        pos += lq[i][c.y[i]];
        for (int j = 0; j < CB; j++) neg += lq[i][c.y[j]];
    }
    double want = pos / CB - neg / (CB * CB);
    float d[CB * CK] = {0};
    double got = club_bound(d, c.logits, c.y, CB, CK, 1.0f);
    assert_true(fabs(got - want) < 1e-9);
    struct gc_tensor ts[] = {{"logits", c.logits, d, CB * CK}};
    gradcheck(club_fn, &c, ts, 1, NULL);
    /* The estimator loss is −mean log q(y|Z): −pos/B. */
    float de[CB * CK] = {0};
    assert_true(fabs(club_estimator_loss(de, c.logits, c.y, CB, CK, 1.0f) + pos / CB) < 1e-9);
}

/* ---- parity with PyTorch ---------------------------------------------------------------- */

enum { PB = 8, PK = 5, PD = 16, PNS = 4 };

static void labels_of(struct npz *z, const char *name, int *y, size_t n)
{
    float f[PB];
    fx_read_into(z, name, f, n);
    for (size_t i = 0; i < n; i++) y[i] = (int)f[i];
}

static double scalar_of(struct npz *z, const char *name)
{
    float v;
    fx_read_into(z, name, &v, 1);
    return (double)v;
}

/* PyTorch computes the loss in float32: compare within 1e-5 relative of float rounding. */
static void expect_loss(double got, double want, const char *what)
{
    if (!(fabs(got - want) <= 1e-5 * fabs(want) + 1e-6))
        fail_msg("%s: got %.9g, expected %.9g", what, got, want);
}

static void test_losses_parity(void **state)
{
    (void)state;
    struct npz z;
    fx_open(&z, "heads/losses.npz");
    float logits[PB * PK], w[PK], want[PB * PD], d[PB * PD];
    int y[PB];
    fx_read_into(&z, "ce_logits", logits, PB * PK);
    fx_read_into(&z, "ce_w", w, PK);
    labels_of(&z, "ce_y", y, PB);
    memset(d, 0, sizeof d);
    expect_loss(cross_entropy_loss(d, logits, y, NULL, PB, PK, 1.0f), scalar_of(&z, "ce_loss"),
                "ce_loss");
    fx_read_into(&z, "d_ce_logits", want, PB * PK);
    assert_close_f32(d, want, PB * PK, 1e-5, 1e-7, "d_ce_logits");
    memset(d, 0, sizeof d);
    expect_loss(cross_entropy_loss(d, logits, y, w, PB, PK, 1.0f), scalar_of(&z, "wce_loss"),
                "wce_loss");
    fx_read_into(&z, "d_wce_logits", want, PB * PK);
    assert_close_f32(d, want, PB * PK, 1e-5, 1e-7, "d_wce_logits");

    static const char *const tags[3] = {"a", "b", "c"};
    float Z[PB * PD], ws[PB * PD + PB * PB + PB];
    char name[64];
    for (int k = 0; k < 3; k++) {
        snprintf(name, sizeof name, "sc_%s_Z", tags[k]);
        fx_read_into(&z, name, Z, PB * PD);
        snprintf(name, sizeof name, "sc_%s_y", tags[k]);
        labels_of(&z, name, y, PB);
        memset(d, 0, sizeof d);
        double L = supcon_loss(d, Z, y, PB, PD, 0.07f, 1.0f, ws);
        snprintf(name, sizeof name, "sc_%s_loss", tags[k]);
        expect_loss(L, scalar_of(&z, name), name);
        snprintf(name, sizeof name, "d_sc_%s_Z", tags[k]);
        fx_read_into(&z, name, want, PB * PD);
        /* atol 1e-6: these gradients are O(1) sums of exp(s/0.07) terms, float32 in PyTorch. */
        assert_close_f32(d, want, PB * PD, 1e-5, 1e-6, name);
    }

    float cl[PB * PNS];
    fx_read_into(&z, "club_logits", cl, PB * PNS);
    labels_of(&z, "club_y", y, PB);
    memset(d, 0, sizeof d);
    expect_loss(club_bound(d, cl, y, PB, PNS, 1.0f), scalar_of(&z, "club_bound"), "club_bound");
    fx_read_into(&z, "d_club_logits", want, PB * PNS);
    assert_close_f32(d, want, PB * PNS, 1e-5, 1e-7, "d_club_logits");
    memset(d, 0, sizeof d);
    expect_loss(club_estimator_loss(d, cl, y, PB, PNS, 1.0f), scalar_of(&z, "club_est"),
                "club_est");
    fx_read_into(&z, "d_club_est_logits", want, PB * PNS);
    assert_close_f32(d, want, PB * PNS, 1e-5, 1e-7, "d_club_est_logits");
    npz_close(&z);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cross_entropy_values),
        cmocka_unit_test(test_cross_entropy_gradcheck),
        cmocka_unit_test(test_supcon),
        cmocka_unit_test(test_club),
        cmocka_unit_test(test_losses_parity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
