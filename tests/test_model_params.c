/* test_model_params.c — the model declares SPEC §3's tensors with their state_dict names and
 * shapes for every variant, and initialises them as PyTorch does (bounds, ones, zeros). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "model/model.h"
#include "testutil.h"

/* A J-joint graph with self-loops only, enough for declaring parameters. */
static void identity_graph(struct graph *g, size_t J, size_t K)
{
    memset(g, 0, sizeof *g);
    g->num_joints = J;
    g->K = K;
    for (size_t k = 0; k < K; k++) {
        struct sparse_adj *a = &g->A[k];
        a->n = J;
        a->nnz = J;
        a->row_ptr = calloc(J + 1, sizeof *a->row_ptr);
        a->col = calloc(J, sizeof *a->col);
        a->val = calloc(J, sizeof *a->val);
        for (size_t i = 0; i < J; i++) {
            a->row_ptr[i + 1] = i + 1;
            a->col[i] = (int32_t)i;
            a->val[i] = 1.0f;
        }
    }
}

static void free_graph(struct graph *g)
{
    for (size_t k = 0; k < g->K; k++) {
        free(g->A[k].row_ptr);
        free(g->A[k].col);
        free(g->A[k].val);
    }
}

static void expect_shape(const struct model *m, const char *name, int ndim, size_t d0, size_t d1)
{
    int i = params_find(&m->pt, name);
    if (i < 0) fail_msg("missing tensor %s", name);
    assert_int_equal(m->pt.e[i].ndim, ndim);
    assert_int_equal(m->pt.e[i].shape[0], d0);
    if (ndim > 1) assert_int_equal(m->pt.e[i].shape[1], d1);
}

static void test_default_variant_names(void **state)
{
    (void)state;
    struct graph g;
    identity_graph(&g, 13, 3);
    struct model_config c = {.num_joints = 13, .coords = 2, .num_classes = 4, .dropout = 0.1f,
                             .attn = ATTN_BIAS_AWARE};
    struct model m;
    struct error err;
    assert_int_equal(model_init(&m, &c, &g, &err), 0);
    expect_shape(&m, "backbone.layers.0.gc.lin.weight", 2, 3 * 64, 2);
    expect_shape(&m, "backbone.layers.0.res_proj.weight", 2, 64, 2);
    expect_shape(&m, "backbone.layers.1.res_proj.weight", 2, 128, 64);
    assert_int_equal(params_find(&m.pt, "backbone.layers.2.res_proj.weight"), -1);
    expect_shape(&m, "backbone.layers.2.temporal.weight", 4, 128, 128);
    expect_shape(&m, "backbone.layers.2.bn.running_var", 1, 128, 0);
    expect_shape(&m, "signer_enc.net.0.weight", 1, 4, 0);
    expect_shape(&m, "signer_enc.net.1.weight", 2, 128, 4);
    expect_shape(&m, "signer_enc.net.3.weight", 2, 64, 128);
    expect_shape(&m, "attn.q_proj.weight", 2, 128, 192);
    expect_shape(&m, "attn.k_proj.weight", 2, 128, 192);
    expect_shape(&m, "attn.v_proj.weight", 2, 128, 128);
    expect_shape(&m, "temporal.gru.weight_ih_l0_reverse", 2, 768, 128);
    expect_shape(&m, "temporal.gru.weight_hh_l0", 2, 768, 256);
    expect_shape(&m, "cls_head.net.4.weight", 2, 4, 512);
    assert_int_equal(params_find(&m.pt, "signer_head.net.1.weight"), -1);
    assert_int_equal(params_find(&m.pt, "attn.k_scale_net.0.weight"), -1);
    int bn = params_find(&m.pt, "backbone.layers.0.bn.running_mean");
    assert_int_equal(m.pt.e[bn].kind, PARAM_BUFFER);
    model_free(&m);
    free_graph(&g);
}

static void test_film_signer_mi_variants(void **state)
{
    (void)state;
    struct graph g;
    identity_graph(&g, 5, 1);
    struct model_config c = {.num_joints = 5, .coords = 3, .num_classes = 2, .num_signers = 6,
                             .signer_head = true, .attn = ATTN_FILM};
    struct model m;
    struct error err;
    assert_int_equal(model_init(&m, &c, &g, &err), 0);
    expect_shape(&m, "backbone.layers.0.gc.lin.weight", 2, 64, 3);
    expect_shape(&m, "attn.q_proj.weight", 2, 128, 128);
    expect_shape(&m, "attn.k_scale_net.0.weight", 2, 128, 64);
    expect_shape(&m, "attn.v_shift_net.bias", 1, 128, 0);
    expect_shape(&m, "signer_head.net.4.weight", 2, 6, 256);
    model_free(&m);

    c.signer_head = false;
    c.use_mi = true;
    c.mi_hidden = 32;
    assert_int_equal(model_init(&m, &c, &g, &err), 0);
    expect_shape(&m, "mi.net.2.weight", 2, 32, 32);
    int mi = params_find(&m.pt, "mi.net.4.bias");
    assert_int_equal(m.pt.e[mi].kind, PARAM_MI);
    assert_int_equal(params_find(&m.pt, "signer_head.net.0.weight"), -1);
    model_free(&m);

    c.signer_head = true; /* both at once is a configuration error */
    assert_int_equal(model_init(&m, &c, &g, &err), -1);
    c.signer_head = false;
    c.num_signers = 0;
    assert_int_equal(model_init(&m, &c, &g, &err), -1);
    assert_non_null(strstr(err.msg, "signers"));
    free_graph(&g);
}

static void test_init_bounds(void **state)
{
    (void)state;
    struct graph g;
    identity_graph(&g, 7, 3);
    struct model_config c = {.num_joints = 7, .coords = 2, .num_classes = 3};
    struct model m;
    struct error err;
    assert_int_equal(model_init(&m, &c, &g, &err), 0);
    struct rng r;
    rng_seed(&r, 0);
    model_init_weights(&m, &r);
    for (size_t i = 0; i < m.pt.n; i++) {
        const struct param_entry *e = &m.pt.e[i];
        const float *p = m.pt.data + e->offset;
        double bound;
        if (strstr(e->name, "bn.") || strstr(e->name, "net.0.")) {
            float expect = (strstr(e->name, "weight") || strstr(e->name, "running_var")) ? 1.f : 0.f;
            for (size_t k = 0; k < e->numel; k++) assert_true(p[k] == expect);
            continue;
        }
        if (strstr(e->name, "gru")) bound = 1 / sqrt(256.0);
        else if (strstr(e->name, "temporal.weight")) bound = 1 / sqrt(3.0 * (double)e->shape[1]);
        else if (strstr(e->name, "weight")) bound = 1 / sqrt((double)e->shape[1]);
        else bound = 1 / sqrt((double)m.pt.e[i - 1].shape[1]);
        double maxabs = 0;
        for (size_t k = 0; k < e->numel; k++) {
            assert_true(fabs((double)p[k]) <= bound);
            if (fabs((double)p[k]) > maxabs) maxabs = fabs((double)p[k]);
        }
        /* the draws fill the interval (large tensors reach near the bound) */
        if (e->numel > 100) assert_true(maxabs > 0.9 * bound);
    }
    model_free(&m);
    free_graph(&g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_variant_names),
        cmocka_unit_test(test_film_signer_mi_variants),
        cmocka_unit_test(test_init_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
