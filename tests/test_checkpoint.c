/* test_checkpoint.c — safetensors checkpoints of the model (SPEC §6):
 *  - save + load gives the same weights, BatchNorm counters, optimiser moments, generators
 *    and outputs; the metadata holds exactly SPEC's five entries;
 *  - a checkpoint saved by the PyTorch reference (tools/make_checkpoint_fixture.py) loads and
 *    gives the reference's outputs;
 *  - loading is strict: a missing, mis-shaped or unknown tensor is an error naming it;
 *  - with SG_EXPORT_DIR set, a C checkpoint and its outputs are written there for
 *    tools/check_c_checkpoint.py, which loads them into the reference with strict names. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "graph/graph.h"
#include "io/safetensors.h"
#include "model/checkpoint.h"
#include "model/model.h"
#include "model_fixture.h"
#include "testutil.h"
#include "model/adam.h"

struct ref {
    struct safetensors io;
    struct graph g;
    struct model_config cfg;
    float *x, *stats;
    size_t B, T;
};

static float *get(const struct safetensors *st, const char *name, size_t *n)
{
    struct error err;
    const struct st_tensor *t = safetensors_find(st, name);
    if (!t) fail_msg("fixture has no %s", name);
    float *v = malloc(t->numel * sizeof(float));
    if (safetensors_get_f32(st, name, v, t->numel, &err)) fail_msg("%s", err.msg);
    if (n) *n = t->numel;
    return v;
}

static void ref_open(struct ref *r)
{
    struct error err;
    if (safetensors_open(&r->io, fixture_path("model/ref_checkpoint_io.safetensors"), &err))
        fail_msg("%s", err.msg);
    fixture_model_config(&r->cfg, safetensors_meta_get(&r->io, "options"));
    const struct st_tensor *A = safetensors_find(&r->io, "graph.A");
    float *Ad = get(&r->io, "graph.A", NULL);
    fixture_graph_from_dense(&r->g, Ad, A->shape[0], A->shape[1]);
    free(Ad);
    const struct st_tensor *x = safetensors_find(&r->io, "input.x");
    r->B = x->shape[0];
    r->T = x->shape[1];
    r->x = get(&r->io, "input.x", NULL);
    r->stats = get(&r->io, "input.stats", NULL);
}

static void ref_close(struct ref *r)
{
    safetensors_free(&r->io);
    graph_free(&r->g);
    free(r->x);
    free(r->stats);
}

static void model_new(struct model *m, struct ref *r)
{
    struct error err;
    if (model_init(m, &r->cfg, &r->g, &err)) fail_msg("%s", err.msg);
    assert_int_equal(model_reserve(m, r->B, r->T, &err), 0);
}

static void eval(struct model *m, struct ref *r)
{
    struct model_inputs in = {.B = r->B, .T = r->T, .x = r->x, .stats = r->stats};
    model_forward(m, &in, false, NULL);
}

static void test_reference_checkpoint_loads(void **state)
{
    (void)state;
    struct ref r;
    ref_open(&r);
    struct model m;
    model_new(&m, &r);
    struct error err;
    if (checkpoint_load(&m, fixture_path("model/ref_checkpoint.safetensors"), NULL, NULL, &err))
        fail_msg("%s", err.msg);
    for (int l = 0; l < MODEL_LAYERS; l++) assert_int_equal(m.bn_batches[l], 1);
    eval(&m, &r);
    size_t n;
    float *want = get(&r.io, "eval.logits", &n);
    assert_close_f32(m.act.logits, want, n, 1e-4, 1e-6, "eval.logits");
    free(want);
    want = get(&r.io, "eval.Z", &n);
    assert_close_f32(m.act.Z, want, n, 1e-4, 1e-6, "eval.Z");
    free(want);
    want = get(&r.io, "eval.signer_logits", &n);
    assert_close_f32(m.act.signer_logits, want, n, 1e-4, 1e-6, "eval.signer_logits");
    free(want);
    model_free(&m);
    ref_close(&r);
}

/* One training step so that weights, moments and BatchNorm state are all non-trivial. */
static void train_once(struct model *m, struct ref *r, struct rng *g)
{
    int y[16], signer[16];
    for (size_t b = 0; b < r->B; b++) {
        y[b] = (int)(b % r->cfg.num_classes);
        signer[b] = (int)(b % r->cfg.num_signers);
    }
    struct model_inputs in = {.B = r->B, .T = r->T, .x = r->x, .stats = r->stats, .y = y,
                              .signer = signer};
    struct adam_config opt;
    adam_config_default(&opt);
    struct model_loss_config lc = {.signer_loss_weight = 0.5f, .lambda_grl = 0.5f,
                                   .mi_adam = &opt, .mi_step = 1};
    model_forward(m, &in, true, g);
    struct model_losses L;
    model_backward(m, &in, &lc, &L);
    adam_step(m->pt.data, m->pt.grad, m->pt.m, m->pt.v, 0, m->pt.kind_end[PARAM_TRAINED], &opt, 1);
}

static void test_save_load_roundtrip(void **state)
{
    (void)state;
    struct ref r;
    ref_open(&r);
    struct model a, b;
    model_new(&a, &r);
    model_new(&b, &r);
    struct rng g;
    rng_seed(&g, 4);
    model_init_weights(&a, &g);
    train_once(&a, &r, &g);
    char *dir = tmpdir_make();
    char *path = path_join(dir, "last.safetensors");
    struct checkpoint_state st = {.optim_step = 1, .mi_optim_step = 0, .n_rngs = 1,
                                  .rng_names = {"train"}};
    st.rngs[0] = g;
    struct checkpoint_meta meta = {.config = "{\"window\":25}", .epoch = 3, .metric = "acc",
                                   .metric_value = 0.8125};
    struct error err;
    if (checkpoint_save(&a, path, &meta, &st, &err)) fail_msg("%s", err.msg);

    struct checkpoint_state back = {.n_rngs = 1, .rng_names = {"train"}};
    char *config = NULL;
    if (checkpoint_load(&b, path, &back, &config, &err)) fail_msg("%s", err.msg);
    assert_string_equal(config, "{\"window\":25}");
    free(config);
    assert_memory_equal(a.pt.data, b.pt.data, a.pt.total * sizeof(float));
    assert_memory_equal(a.pt.m, b.pt.m, a.pt.total * sizeof(float));
    assert_memory_equal(a.pt.v, b.pt.v, a.pt.total * sizeof(float));
    assert_memory_equal(a.bn_batches, b.bn_batches, sizeof a.bn_batches);
    assert_memory_equal(&back.rngs[0], &g, sizeof g);
    assert_int_equal(back.optim_step, 1);
    eval(&a, &r);
    float logits[64];
    memcpy(logits, a.act.logits, r.B * r.cfg.num_classes * sizeof(float));
    eval(&b, &r);
    assert_memory_equal(logits, b.act.logits, r.B * r.cfg.num_classes * sizeof(float));

    /* exactly SPEC §6's five metadata entries, with their values */
    struct safetensors f;
    if (safetensors_open(&f, path, &err)) fail_msg("%s", err.msg);
    assert_int_equal(f.num_meta, 5);
    assert_string_equal(safetensors_meta_get(&f, "format"), "signstgcn/1");
    assert_string_equal(safetensors_meta_get(&f, "epoch"), "3");
    assert_string_equal(safetensors_meta_get(&f, "metric"), "acc");
    assert_string_equal(safetensors_meta_get(&f, "metric_value"), "0.8125");
    const struct st_tensor *nb = safetensors_find(&f, "backbone.layers.0.bn.num_batches_tracked");
    assert_non_null(nb);
    assert_int_equal(nb->dtype, ST_I64);
    assert_int_equal(nb->ndim, 0);
    assert_non_null(safetensors_find(&f, "optim.exp_avg_sq.attn.k_scale_net.0.weight"));
    assert_non_null(safetensors_find(&f, "rng.train"));
    safetensors_free(&f);

    const char *exp = getenv("SG_EXPORT_DIR");
    if (exp && *exp) {
        /* for tools/check_c_checkpoint.py: the checkpoint, inputs, graph and C outputs */
        char *cp = path_join(exp, "c_checkpoint.safetensors");
        if (checkpoint_save(&a, cp, &meta, &st, &err)) fail_msg("%s", err.msg);
        free(cp);
        struct safetensors_writer w;
        safetensors_writer_init(&w);
        const struct st_tensor *tx = safetensors_find(&r.io, "input.x");
        const struct st_tensor *ts = safetensors_find(&r.io, "input.stats");
        const struct st_tensor *tA = safetensors_find(&r.io, "graph.A");
        float *Ad = get(&r.io, "graph.A", NULL);
        size_t shz[2] = {r.B, 2 * r.cfg.dims.gru}, shl[2] = {r.B, r.cfg.num_classes};
        size_t shs[2] = {r.B, r.cfg.dims.signer_dim}, shg[2] = {r.B, r.cfg.num_signers};
        eval(&a, &r);
        assert_int_equal(safetensors_writer_add_f32(&w, "input.x", tx->ndim, tx->shape, r.x, &err), 0);
        assert_int_equal(safetensors_writer_add_f32(&w, "input.stats", ts->ndim, ts->shape, r.stats, &err), 0);
        assert_int_equal(safetensors_writer_add_f32(&w, "graph.A", tA->ndim, tA->shape, Ad, &err), 0);
        assert_int_equal(safetensors_writer_add_f32(&w, "eval.logits", 2, shl, a.act.logits, &err), 0);
        assert_int_equal(safetensors_writer_add_f32(&w, "eval.Z", 2, shz, a.act.Z, &err), 0);
        assert_int_equal(safetensors_writer_add_f32(&w, "eval.s", 2, shs, a.act.s, &err), 0);
        assert_int_equal(safetensors_writer_add_f32(&w, "eval.signer_logits", 2, shg, a.act.signer_logits, &err), 0);
        safetensors_writer_set_meta(&w, "options", safetensors_meta_get(&r.io, "options"), &err);
        char *iop = path_join(exp, "c_io.safetensors");
        if (safetensors_writer_save(&w, iop, &err)) fail_msg("%s", err.msg);
        free(iop);
        free(Ad);
        safetensors_writer_free(&w);
    }
    free(path);
    tmpdir_remove(dir);
    free(dir);
    model_free(&a);
    model_free(&b);
    ref_close(&r);
}

static void test_strict_loading(void **state)
{
    (void)state;
    struct ref r;
    ref_open(&r);
    struct model m;
    struct error err;
    /* a model of another configuration: the FiLM tensors are unexpected */
    r.cfg.attn = ATTN_BIAS_AWARE;
    model_new(&m, &r);
    assert_int_equal(
        checkpoint_load(&m, fixture_path("model/ref_checkpoint.safetensors"), NULL, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "ref_checkpoint.safetensors"));
    assert_non_null(strstr(err.msg, "k_scale_net"));
    model_free(&m);
    /* other widths: a shape mismatch names the tensor and both shapes */
    r.cfg.attn = ATTN_FILM;
    r.cfg.num_classes = 5;
    model_new(&m, &r);
    assert_int_equal(
        checkpoint_load(&m, fixture_path("model/ref_checkpoint.safetensors"), NULL, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "cls_head.net.4.weight"));
    assert_non_null(strstr(err.msg, "(3,20)"));
    model_free(&m);
    /* a model checkpoint without training state cannot resume */
    r.cfg.num_classes = 3;
    model_new(&m, &r);
    struct checkpoint_state st = {.n_rngs = 0};
    assert_int_equal(
        checkpoint_load(&m, fixture_path("model/ref_checkpoint.safetensors"), &st, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "optim.step"));
    model_free(&m);
    ref_close(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference_checkpoint_loads),
        cmocka_unit_test(test_save_load_roundtrip),
        cmocka_unit_test(test_strict_loading),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
