/* test_model_parity.c — the C model against the PyTorch reference (tools/reference.py), on
 * the fixtures of tools/make_model_fixtures.py: every variant's training-mode outputs, loss
 * terms and every parameter gradient, the BatchNorm statistics after that forward, the
 * evaluation-mode outputs, and 5 optimisation steps (losses and final parameters); plus one
 * full-width evaluation forward on the MediaPipe pose+hands graph (J=75, T=25).
 *
 * Tolerances (STYLE.md starts model parity at 1e-4): outputs and losses 1e-4 relative;
 * gradients 1e-3 relative as the issue asks, with an absolute floor of 1e-5·max|grad| because
 * a float32 run cannot reproduce the float64 reference's tiny gradients to 1e-3 relative.
 * The s-columns of attn.k_proj and FiLM's k_shift_net get rounding-noise gradients (softmax
 * shift invariance, SPEC §3.4); after Adam steps those tensors differ by up to steps·lr, so the
 * final-parameter comparison gives them an absolute tolerance of 5.5·lr.
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "graph/graph.h"
#include "io/safetensors.h"
#include "model/model.h"
#include "model_fixture.h"
#include "testutil.h"
#include "model/adam.h"

struct parity {
    struct safetensors st;
    struct graph g;
    struct model m;
    size_t B, T, J, C, NC, NS;
    float *x, *stats;
    int *y, *signer;
    struct model_loss_config lc;
    struct adam_config opt, mi_opt;
    double clip;
    int steps;
};

static double jnum(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    if (!cJSON_IsNumber(v) && !cJSON_IsBool(v)) fail_msg("fixture option '%s' missing", k);
    return cJSON_IsBool(v) ? (cJSON_IsTrue(v) ? 1.0 : 0.0) : v->valuedouble;
}

static float *get_f32(struct parity *p, const char *name, size_t n)
{
    struct error err;
    float *v = malloc(n * sizeof(float));
    if (safetensors_get_f32(&p->st, name, v, n, &err) != 0) fail_msg("%s", err.msg);
    return v;
}

static int *get_ints(struct parity *p, const char *name, size_t n)
{
    struct error err;
    int64_t *v = malloc(n * sizeof(int64_t));
    if (safetensors_get_i64(&p->st, name, v, n, &err) != 0) fail_msg("%s", err.msg);
    int *r = malloc(n * sizeof(int));
    for (size_t i = 0; i < n; i++) r[i] = (int)v[i];
    free(v);
    return r;
}

/* Loads parameters and buffers of the model from tensors "<prefix><name>". */
static void load_params(struct parity *p, const char *prefix)
{
    char name[256];
    struct error err;
    for (size_t i = 0; i < p->m.pt.n; i++) {
        const struct param_entry *e = &p->m.pt.e[i];
        snprintf(name, sizeof name, "%s%s", prefix, e->name);
        if (safetensors_get_f32(&p->st, name, p->m.pt.data + e->offset, e->numel, &err) != 0)
            fail_msg("%s", err.msg);
    }
    for (int l = 0; l < MODEL_LAYERS; l++) {
        snprintf(name, sizeof name, "%sbackbone.layers.%d.bn.num_batches_tracked", prefix, l);
        int64_t v;
        if (safetensors_get_i64(&p->st, name, &v, 1, &err) != 0) fail_msg("%s", err.msg);
        p->m.bn_batches[l] = v;
    }
}

static void parity_open(struct parity *p, const char *file)
{
    memset(p, 0, sizeof *p);
    struct error err;
    char rel[256];
    snprintf(rel, sizeof rel, "model/%s", file);
    if (safetensors_open(&p->st, fixture_path(rel), &err) != 0) fail_msg("%s", err.msg);
    cJSON *opt = cJSON_Parse(safetensors_meta_get(&p->st, "options"));
    cJSON *shp = cJSON_Parse(safetensors_meta_get(&p->st, "shapes"));
    assert_non_null(opt);
    assert_non_null(shp);
    p->B = (size_t)jnum(shp, "B");
    p->T = (size_t)jnum(shp, "T");
    p->J = (size_t)jnum(shp, "J");
    p->C = (size_t)jnum(shp, "C");
    p->NC = (size_t)jnum(shp, "NC");
    p->NS = (size_t)jnum(shp, "NS");
    struct model_config c;
    fixture_model_config(&c, safetensors_meta_get(&p->st, "options"));
    assert_int_equal(c.num_joints, p->J);
    assert_int_equal(c.num_classes, p->NC);

    const struct st_tensor *A = safetensors_find(&p->st, "graph.A");
    assert_non_null(A);
    float *Ad = get_f32(p, "graph.A", A->numel);
    fixture_graph_from_dense(&p->g, Ad, A->shape[0], p->J);
    free(Ad);
    if (model_init(&p->m, &c, &p->g, &err) != 0) fail_msg("%s", err.msg);
    assert_int_equal(model_reserve(&p->m, p->B, p->T, &err), 0);
    load_params(p, "param.");

    p->x = get_f32(p, "input.x", p->B * p->T * p->J * p->C);
    p->stats = get_f32(p, "input.stats", p->B * 2 * p->C);
    if (safetensors_find(&p->st, "input.y")) p->y = get_ints(p, "input.y", p->B);
    if (safetensors_find(&p->st, "input.signer")) p->signer = get_ints(p, "input.signer", p->B);

    adam_config_default(&p->opt);
    adam_config_default(&p->mi_opt);
    p->lc.signer_loss_weight = (float)jnum(opt, "signer_loss_weight");
    p->lc.lambda_grl = (float)jnum(opt, "lambda_grl");
    p->lc.supcon = jnum(opt, "use_supcon") != 0;
    p->lc.supcon_weight = (float)jnum(opt, "supcon_weight");
    p->lc.supcon_temp = (float)jnum(opt, "supcon_temp");
    p->lc.mi_weight = (float)jnum(opt, "mi_weight");
    p->lc.mi_adam = &p->mi_opt;
    p->opt.lr = p->mi_opt.lr = jnum(opt, "lr");
    p->opt.weight_decay = jnum(opt, "weight_decay");
    p->clip = jnum(opt, "clip_grad");
    const char *adam = safetensors_meta_get(&p->st, "adam");
    if (adam) {
        cJSON *aj = cJSON_Parse(adam);
        p->steps = (int)jnum(aj, "steps");
        cJSON_Delete(aj);
    }
    cJSON_Delete(opt);
    cJSON_Delete(shp);
}

static void parity_close(struct parity *p)
{
    model_free(&p->m);
    graph_free(&p->g);
    safetensors_free(&p->st);
    free(p->x);
    free(p->stats);
    free(p->y);
    free(p->signer);
}

static void expect_tensor(struct parity *p, const char *name, const float *got, size_t n,
                          double rtol, double atol_rel)
{
    float *want = get_f32(p, name, n);
    double maxabs = 0;
    for (size_t i = 0; i < n; i++)
        if (fabs((double)want[i]) > maxabs) maxabs = fabs((double)want[i]);
    assert_close_f32(got, want, n, rtol, atol_rel * maxabs + 1e-7, name);
    free(want);
}

static void expect_scalar(struct parity *p, const char *name, double got, double rtol)
{
    float want;
    struct error err;
    if (safetensors_get_f32(&p->st, name, &want, 1, &err) != 0) fail_msg("%s", err.msg);
    if (!(fabs(got - (double)want) <= rtol * fabs((double)want) + 1e-6))
        fail_msg("%s: got %.9g, expected %.9g", name, got, (double)want);
}

static struct model_inputs inputs(struct parity *p)
{
    struct model_inputs in = {.B = p->B, .T = p->T, .x = p->x, .stats = p->stats, .y = p->y,
                              .signer = p->signer};
    return in;
}

static void check_training_variant(const char *file)
{
    struct parity *p = calloc(1, sizeof *p);
    parity_open(p, file);
    struct model_inputs in = inputs(p);
    struct rng r;
    rng_seed(&r, 0);
    model_forward(&p->m, &in, true, &r);
    const size_t Z = 2 * p->m.cfg.dims.gru;
    expect_tensor(p, "out.logits", p->m.act.logits, p->B * p->NC, 1e-4, 1e-5);
    expect_tensor(p, "out.Z", p->m.act.Z, p->B * Z, 1e-4, 1e-5);
    expect_tensor(p, "out.s", p->m.act.s, p->B * p->m.cfg.dims.signer_dim, 1e-4, 1e-5);
    if (p->m.cfg.signer_head)
        expect_tensor(p, "out.signer_logits", p->m.act.signer_logits, p->B * p->NS, 1e-4, 1e-5);
    p->lc.mi_step = 1;
    struct model_losses L;
    model_backward(&p->m, &in, &p->lc, &L);
    expect_scalar(p, "loss.total", L.total, 1e-4);
    expect_scalar(p, "loss.cls", L.cls, 1e-4);
    if (p->m.cfg.signer_head) expect_scalar(p, "loss.adv", L.adv / (double)p->lc.signer_loss_weight, 1e-4);
    if (p->lc.supcon) expect_scalar(p, "loss.supcon", L.supcon / (double)p->lc.supcon_weight, 1e-4);
    if (p->m.cfg.use_mi) {
        expect_scalar(p, "loss.mi", L.mi / (double)p->lc.mi_weight, 1e-4);
        expect_scalar(p, "loss.mi_estimator", L.mi_estimator, 1e-4);
    }
    char name[256];
    for (size_t i = 0; i < p->m.pt.n; i++) {
        const struct param_entry *e = &p->m.pt.e[i];
        if (e->kind == PARAM_BUFFER) {
            snprintf(name, sizeof name, "bn_after.%s", e->name);
            expect_tensor(p, name, p->m.pt.data + e->offset, e->numel, 1e-4, 1e-5);
            continue;
        }
        if (e->kind == PARAM_MI) {
            snprintf(name, sizeof name, "mi_step.param.%s", e->name);
            expect_tensor(p, name, p->m.pt.data + e->offset, e->numel, 1e-4, 1e-5);
        }
        snprintf(name, sizeof name, "grad.%s", e->name);
        expect_tensor(p, name, p->m.pt.grad + e->offset, e->numel, 1e-3, 1e-5);
    }
    /* evaluation mode after the training forward (running statistics updated) */
    model_forward(&p->m, &in, false, NULL);
    expect_tensor(p, "eval.logits", p->m.act.logits, p->B * p->NC, 1e-4, 1e-5);
    expect_tensor(p, "eval.Z", p->m.act.Z, p->B * Z, 1e-4, 1e-5);

    /* optimisation steps from the initial state */
    load_params(p, "param.");
    memset(p->m.pt.m, 0, p->m.pt.total * sizeof(float));
    memset(p->m.pt.v, 0, p->m.pt.total * sizeof(float));
    float *losses = get_f32(p, "adam.losses", (size_t)p->steps);
    for (int s = 1; s <= p->steps; s++) {
        model_forward(&p->m, &in, true, &r);
        p->lc.mi_step = s;
        model_backward(&p->m, &in, &p->lc, &L);
        grad_clip(p->m.pt.grad, p->m.pt.kind_begin[PARAM_TRAINED], p->m.pt.kind_end[PARAM_TRAINED],
                  p->clip);
        adam_step(p->m.pt.data, p->m.pt.grad, p->m.pt.m, p->m.pt.v,
                  p->m.pt.kind_begin[PARAM_TRAINED], p->m.pt.kind_end[PARAM_TRAINED], &p->opt, s);
        if (!(fabs(L.total - (double)losses[s - 1]) <= 1e-4 * fabs((double)losses[s - 1])))
            fail_msg("%s: step %d loss %.9g, reference %.9g", file, s, L.total,
                     (double)losses[s - 1]);
    }
    free(losses);
    for (size_t i = 0; i < p->m.pt.n; i++) {
        const struct param_entry *e = &p->m.pt.e[i];
        snprintf(name, sizeof name, "adam.param.%s", e->name);
        bool noisy = !strcmp(e->name, "attn.k_proj.weight") || strstr(e->name, "k_shift_net");
        float *want = get_f32(p, name, e->numel);
        assert_close_f32(p->m.pt.data + e->offset, want, e->numel, 1e-3,
                         noisy ? 5.5 * p->opt.lr : 2e-5, name);
        free(want);
    }
    parity_close(p);
    free(p);
}

static void test_parity_basic(void **s) { (void)s; check_training_variant("a_basic.safetensors"); }
static void test_parity_signer(void **s) { (void)s; check_training_variant("b_signer.safetensors"); }
static void test_parity_film(void **s) { (void)s; check_training_variant("c_film.safetensors"); }
static void test_parity_supcon(void **s) { (void)s; check_training_variant("d_supcon.safetensors"); }
static void test_parity_mi(void **s) { (void)s; check_training_variant("e_mi.safetensors"); }

static void test_parity_full_width_j75(void **state)
{
    (void)state;
    struct parity *p = calloc(1, sizeof *p);
    parity_open(p, "f_full_j75.safetensors");
    /* the fixture's graph is the MediaPipe pose+hands graph: the C builder must agree */
    struct joint_layout layout;
    struct graph g;
    struct error err;
    assert_int_equal(joint_layout_init(&layout, true, true, false, FACE_POINTS_ALL, 478, &err), 0);
    assert_int_equal(graph_build_mediapipe(&g, &layout, PARTITION_SPATIAL, &err), 0);
    for (size_t k = 0; k < g.K; k++) {
        assert_int_equal(g.A[k].nnz, p->g.A[k].nnz);
        assert_memory_equal(g.A[k].col, p->g.A[k].col, g.A[k].nnz * sizeof(int32_t));
        assert_close_f32(g.A[k].val, p->g.A[k].val, g.A[k].nnz, 1e-6, 0, "graph.A");
    }
    graph_free(&g);
    struct model_inputs in = inputs(p);
    model_forward(&p->m, &in, false, NULL);
    expect_tensor(p, "eval.logits", p->m.act.logits, p->B * p->NC, 1e-4, 1e-5);
    expect_tensor(p, "eval.Z", p->m.act.Z, p->B * 512, 1e-4, 1e-5);
    expect_tensor(p, "eval.s", p->m.act.s, p->B * 64, 1e-4, 1e-5);
    parity_close(p);
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parity_basic),
        cmocka_unit_test(test_parity_signer),
        cmocka_unit_test(test_parity_film),
        cmocka_unit_test(test_parity_supcon),
        cmocka_unit_test(test_parity_mi),
        cmocka_unit_test(test_parity_full_width_j75),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
