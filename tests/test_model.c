/* test_model.c — the whole model: finite-difference check of every parameter's gradient
 * through forward + losses + backward, for the variants; two runs bit-identical; and no
 * allocation inside a training step once the arena is reserved. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "gradcheck.h"
#include "graph/graph.h"
#include "model/model.h"
#include "testutil.h"
#include "model/adam.h"

enum { TB = 4, TT = 5, TJ = 6, TC = 2 };

struct fixture {
    struct graph g;
    struct model m;
    float x[TB * TT * TJ * TC];
    float stats[TB * 2 * TC];
    int y[TB];
    int signer[TB];
    struct model_loss_config lc;
    struct adam_config mi_adam;
    struct model_inputs in;
    uint64_t dropout_seed;
};

static void fixture_init(struct fixture *f, enum attn_variant attn, bool signer_head,
                         bool supcon, float dropout)
{
    memset(f, 0, sizeof *f);
    struct error err;
    assert_int_equal(graph_build_chain(&f->g, TJ, PARTITION_SPATIAL, &err), 0);
    struct model_config c = {.num_joints = TJ, .coords = TC, .num_classes = 3,
                             .num_signers = signer_head ? 3 : 0, .signer_head = signer_head,
                             .attn = attn, .dropout = dropout};
    /* small widths keep the finite differences fast; the structure is SPEC §3's */
    const struct model_dims d = {.channels = {8, 16, 16}, .dilations = {1, 2, 3}, .heads = 4,
                                 .signer_hidden = 12, .signer_dim = 8, .gru = 12,
                                 .cls_hidden = 20, .signer_head_hidden = 10};
    c.dims = d;
    assert_int_equal(model_init(&f->m, &c, &f->g, &err), 0);
    struct rng r;
    rng_seed(&r, 5);
    model_init_weights(&f->m, &r);
    gc_fill_uniform(f->x, sizeof f->x / sizeof f->x[0], -1, 1, 21);
    gc_fill_uniform(f->stats, sizeof f->stats / sizeof f->stats[0], -1, 1, 22);
    const int ys[TB] = {0, 1, 0, 2}, ss[TB] = {2, 0, 1, 1};
    memcpy(f->y, ys, sizeof ys);
    memcpy(f->signer, ss, sizeof ss);
    f->lc.signer_loss_weight = 0.5f;
    /* λ = −1 turns the reversal into the identity, so the backward computes the gradient of
     * the total loss and finite differences can check it; test_grl_is_linear_in_lambda
     * checks the reversal itself. */
    f->lc.lambda_grl = -1.0f;
    f->lc.supcon = supcon;
    f->lc.supcon_weight = 0.1f;
    f->lc.supcon_temp = 0.5f;
    adam_config_default(&f->mi_adam);
    f->lc.mi_adam = &f->mi_adam;
    struct model_inputs in = {.B = TB, .T = TT, .x = f->x, .stats = f->stats, .y = f->y,
                              .signer = f->signer};
    f->in = in;
    f->dropout_seed = 99;
    assert_int_equal(model_reserve(&f->m, TB, TT, &err), 0);
}

static void fixture_free(struct fixture *f)
{
    model_free(&f->m);
    graph_free(&f->g);
}

/* One training-mode forward + losses + backward with the same dropout masks every time. */
static double step(struct fixture *f)
{
    struct rng r;
    rng_seed(&r, f->dropout_seed);
    model_forward(&f->m, &f->in, true, &r);
    struct model_losses L;
    model_backward(&f->m, &f->in, &f->lc, &L);
    return L.total;
}

static double fd_loss(void *ctx) { return step(ctx); }

static void check_variant(enum attn_variant attn, bool signer_head, bool supcon, float dropout)
{
    struct fixture *f = malloc(sizeof *f);
    fixture_init(f, attn, signer_head, supcon, dropout);
    step(f);
    struct param_table *pt = &f->m.pt;
    float *analytic = malloc(pt->total * sizeof(float));
    memcpy(analytic, pt->grad, pt->total * sizeof(float));
    struct gc_tensor *ts = calloc(pt->n, sizeof *ts);
    size_t nt = 0;
    for (size_t i = 0; i < pt->n; i++) {
        if (pt->e[i].kind != PARAM_TRAINED) continue;
        ts[nt].name = pt->e[i].name;
        ts[nt].data = pt->data + pt->e[i].offset;
        ts[nt].grad = analytic + pt->e[i].offset;
        ts[nt].n = pt->e[i].numel;
        nt++;
    }
    /* float32 forward through ~12 layers: a central difference with eps 5e-4 on a loss of
     * order 1 is accurate to a few 1e-4; gradients of that size are compared absolutely.
     * At these small widths, steps of 2e-3 and more already cross ReLU kinks (the numeric
     * value jumps with eps), hence the small step. */
    struct gc_options opt = {.eps = 5e-4, .rtol = 5e-2, .atol = 5e-4, .max_elems = 8};
    gradcheck(fd_loss, f, ts, nt, &opt);
    free(ts);
    free(analytic);
    fixture_free(f);
    free(f);
}

static void test_gradcheck_default(void **s) { (void)s; check_variant(ATTN_BIAS_AWARE, false, false, 0.0f); }
static void test_gradcheck_film_signer(void **s) { (void)s; check_variant(ATTN_FILM, true, false, 0.0f); }
static void test_gradcheck_supcon_dropout(void **s) { (void)s; check_variant(ATTN_BIAS_AWARE, true, true, 0.1f); }
static void test_gradcheck_supcon(void **s) { (void)s; check_variant(ATTN_BIAS_AWARE, false, true, 0.0f); }
static void test_gradcheck_dropout(void **s) { (void)s; check_variant(ATTN_BIAS_AWARE, false, false, 0.1f); }

static void test_bit_identical(void **state)
{
    (void)state;
    struct fixture *a = malloc(sizeof *a), *b = malloc(sizeof *b);
    fixture_init(a, ATTN_BIAS_AWARE, true, true, 0.1f);
    fixture_init(b, ATTN_BIAS_AWARE, true, true, 0.1f);
    double la = step(a), lb = step(b);
    assert_true(la == lb);
    assert_memory_equal(a->m.pt.grad, b->m.pt.grad, a->m.pt.total * sizeof(float));
    assert_memory_equal(a->m.act.logits, b->m.act.logits, TB * 3 * sizeof(float));
    fixture_free(a);
    fixture_free(b);
    free(a);
    free(b);
}

static void test_grl_is_linear_in_lambda(void **state)
{
    /* The trunk's gradient is g0 − λ·g_adv (SPEC §4): linear in λ, and the signer head's own
     * gradient does not depend on λ. */
    (void)state;
    struct fixture *f = malloc(sizeof *f);
    fixture_init(f, ATTN_BIAS_AWARE, true, false, 0.0f);
    size_t n = f->m.pt.total;
    float *g[3];
    const float lambdas[3] = {0.0f, 1.0f, 0.5f};
    for (int i = 0; i < 3; i++) {
        f->lc.lambda_grl = lambdas[i];
        step(f);
        g[i] = malloc(n * sizeof(float));
        memcpy(g[i], f->m.pt.grad, n * sizeof(float));
    }
    int head = params_find(&f->m.pt, "signer_head.net.1.weight");
    int trunk = params_find(&f->m.pt, "backbone.layers.1.gc.lin.weight");
    size_t ho = f->m.pt.e[head].offset, to = f->m.pt.e[trunk].offset;
    assert_memory_equal(g[0] + ho, g[1] + ho, f->m.pt.e[head].numel * sizeof(float));
    double moved = 0;
    for (size_t k = 0; k < f->m.pt.e[trunk].numel; k++) {
        double mid = 0.5 * ((double)g[0][to + k] + (double)g[1][to + k]);
        assert_true(fabs(mid - (double)g[2][to + k]) <= 1e-6 + 1e-4 * fabs(mid));
        moved += fabs((double)g[0][to + k] - (double)g[1][to + k]);
    }
    assert_true(moved > 0); /* the adversarial term does reach the trunk */
    for (int i = 0; i < 3; i++) free(g[i]);
    fixture_free(f);
    free(f);
}

static void test_signer_stats_change_output(void **state)
{
    /* SPEC §3.4: the signer embedding must change the attention's output (both variants). */
    (void)state;
    for (int v = 0; v < 2; v++) {
        struct fixture *f = malloc(sizeof *f);
        fixture_init(f, v ? ATTN_FILM : ATTN_BIAS_AWARE, false, false, 0.0f);
        struct rng r;
        rng_seed(&r, 1);
        model_forward(&f->m, &f->in, false, &r);
        float before[TB * TT * 16];
        memcpy(before, f->m.act.Hatt, sizeof before);
        f->stats[0] += 0.5f;
        f->stats[1] -= 0.7f;
        model_forward(&f->m, &f->in, false, &r);
        double diff = 0;
        for (size_t i = 0; i < TT * 16; i++) diff += fabs((double)(before[i] - f->m.act.Hatt[i]));
        assert_true(diff > 1e-4);
        /* the other windows are unchanged */
        assert_memory_equal(before + TT * 16, f->m.act.Hatt + TT * 16,
                            (TB - 1) * TT * 16 * sizeof(float));
        fixture_free(f);
        free(f);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gradcheck_default),
        cmocka_unit_test(test_gradcheck_film_signer),
        cmocka_unit_test(test_gradcheck_supcon_dropout),
        cmocka_unit_test(test_gradcheck_supcon),
        cmocka_unit_test(test_gradcheck_dropout),
        cmocka_unit_test(test_bit_identical),
        cmocka_unit_test(test_grl_is_linear_in_lambda),
        cmocka_unit_test(test_signer_stats_change_output),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
