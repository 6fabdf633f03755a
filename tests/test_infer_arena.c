/* test_infer_arena.c — the inference arena (model_reserve_inference): the same outputs as an
 * evaluation forward on the training arena, bit for bit, and a size that does not hold every
 * layer's activations (a stated bound, independent of the number of layers); and the training
 * arena's bound at J=553, batch 32.
 */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/rng.h"
#include "graph/graph.h"
#include "model/model.h"
#include "testutil.h"
#include "train/infer.h"

static void spec_model(struct model *m, struct graph *g, size_t J, size_t C)
{
    struct error err;
    assert_int_equal(graph_build_chain(g, J, PARTITION_SPATIAL, &err), 0);
    struct model_config c = {.num_joints = J, .coords = C, .num_classes = 5, .num_signers = 3,
                             .signer_head = true, .attn = ATTN_BIAS_AWARE, .dropout = 0.1f};
    model_dims_spec(&c.dims);
    assert_int_equal(model_init(m, &c, g, &err), 0);
    struct rng r;
    rng_seed(&r, 3);
    model_init_weights(m, &r);
    /* running statistics away from (0, 1), so BatchNorm's evaluation path does something */
    for (int l = 0; l < MODEL_LAYERS; l++) {
        float *mean = params_data(&m->pt, m->idx.layer[l].bn_mean);
        float *var = params_data(&m->pt, m->idx.layer[l].bn_var);
        for (size_t k = 0; k < m->idx.layer[l].out; k++) {
            mean[k] = 0.1f * (float)(k % 7) - 0.3f;
            var[k] = 0.5f + 0.05f * (float)(k % 5);
        }
    }
}

static void test_same_outputs(void **state)
{
    (void)state;
    enum { B = 3, T = 25, J = 75, C = 2 };
    struct graph g;
    struct model m;
    spec_model(&m, &g, J, C);
    struct error err;
    float *x = malloc(sizeof(float) * B * T * J * C), stats[B * 2 * C];
    for (size_t i = 0; i < (size_t)B * T * J * C; i++) x[i] = (float)((i * 37) % 23) / 11.0f - 1;
    for (size_t i = 0; i < sizeof stats / sizeof stats[0]; i++) stats[i] = (float)i / 7.0f + 0.1f;
    struct model_inputs in = {.B = B, .T = T, .x = x, .stats = stats};
    assert_int_equal(model_reserve(&m, B, T, &err), 0);
    model_forward(&m, &in, false, NULL);
    const size_t NC = 5, ZD = 2 * m.cfg.dims.gru, SD = m.cfg.dims.signer_dim;
    float logits[B * 5], Z[B * 512], s[B * 64];
    memcpy(logits, m.act.logits, sizeof logits);
    memcpy(Z, m.act.Z, B * ZD * sizeof(float));
    memcpy(s, m.act.s, B * SD * sizeof(float));
    assert_int_equal(model_reserve_inference(&m, B, T, &err), 0);
    assert_true(m.act.inference);
    assert_null(m.act.dA);
    model_forward(&m, &in, false, NULL);
    assert_memory_equal(logits, m.act.logits, B * NC * sizeof(float));
    assert_memory_equal(Z, m.act.Z, B * ZD * sizeof(float));
    assert_memory_equal(s, m.act.s, B * SD * sizeof(float));
    /* and back: a training arena again serves a training forward */
    assert_int_equal(model_reserve(&m, B, T, &err), 0);
    assert_false(m.act.inference);
    free(x);
    model_free(&m);
    graph_free(&g);
}

static void test_size_bound(void **state)
{
    (void)state;
    enum { B = 256, T = 25, J = 553, C = 2 };
    struct graph g;
    struct model m;
    spec_model(&m, &g, J, C);
    const size_t N = (size_t)B * T * J, Cmax = 128;
    size_t inf = model_arena_bytes(&m, B, T, true), train = model_arena_bytes(&m, B, T, false);
    /* the backbone: one partition's H, G and two outputs (Cmax each) per row, shared by the
     * layers; what follows the joint mean (attention, GRU, heads and their workspaces) is per
     * window and frame, not per joint: at most 48 KiB per (window, frame), 2.8% here */
    double bound = (double)(4 * Cmax * N * sizeof(float)) + 48.0 * 1024 * B * T;
    if ((double)inf > bound)
        fail_msg("inference arena %zu bytes, bound %.0f", inf, bound);
    /* training keeps what the backward needs: more than twice as much */
    assert_true(train > 2.0 * (double)inf);
    /* measuring changed nothing */
    assert_null(m.arena);
    /* infer's chunk for this model: the most windows whose arena fits the budget */
    size_t one = model_arena_bytes(&m, 1, T, true);
    size_t chunk = INFER_ARENA_BUDGET / one;
    assert_true(chunk >= 8 && chunk < 40);
    assert_true(model_arena_bytes(&m, chunk, T, true) <= INFER_ARENA_BUDGET + 64 * 1024);
    model_free(&m);
    graph_free(&g);
}

/* The training arena keeps, per (window, frame, joint), what the backward reads — each layer's
 * G and TC (out floats each), Y for the layers another layer reads, one bit per element for
 * ReLU and Dropout — plus a shared 2·Cmax (H, R, the last Y; dG and dH_k in the backward) and
 * two Cmax gradient buffers: at SPEC's widths 842 + 256 + 256 = 1354 floats (it was 3088).
 * At J=553, batch 32, window 25 that is 2.23 GiB, within the 2.5 GiB goal for
 * the whole training process. */
static void test_train_size_bound(void **state)
{
    (void)state;
    enum { B = 32, T = 25, J = 553, C = 2 };
    struct graph g;
    struct model m;
    spec_model(&m, &g, J, C);
    const size_t N = (size_t)B * T * J;
    size_t kept = 0, Cmax = 0;
    for (int l = 0; l < MODEL_LAYERS; l++) {
        const size_t out = m.idx.layer[l].out;
        kept += 2 * out + out / 32 + (l < MODEL_LAYERS - 1 ? out : 0);
        if (out > Cmax) Cmax = out;
    }
    assert_int_equal(kept, 842);
    const double per_row = (double)(kept + 4 * Cmax) * sizeof(float);
    const double bound = per_row * (double)N + 48.0 * 1024 * B * T;
    size_t train = model_arena_bytes(&m, B, T, false);
    if ((double)train > bound) fail_msg("training arena %zu bytes, bound %.0f", train, bound);
    assert_true((double)train < 2.3 * 1024.0 * 1024.0 * 1024.0);
    assert_null(m.arena);
    model_free(&m);
    graph_free(&g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_outputs),
        cmocka_unit_test(test_size_bound),
        cmocka_unit_test(test_train_size_bound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
