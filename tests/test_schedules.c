/* test_schedules.c — learning-rate schedules, label smoothing and early stopping:
 *  - lr_at_step: constant is lr itself, the warm-up climbs linearly to lr, cosine falls from
 *    lr to 0 over the steps after the warm-up;
 *  - label smoothing 0 is plain cross-entropy bit for bit; with eps the loss is the smoothed
 *    targets' and the gradient matches central differences;
 *  - train --patience stops when the metric stops improving; a run with a cosine schedule,
 *    warm-up and label smoothing interrupted mid-epoch and resumed is bit-identical. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "io/safetensors.h"
#include "nn/losses.h"
#include "train/train_config.h"
#include "testutil.h"

/* |a − b| <= tol in double (cmocka's assert_float_equal works in float) */
#define assert_near(a, b, tol) assert_true(fabs((double)(a) - (double)(b)) <= (tol))

static void test_lr(void **state)
{
    (void)state;
    assert_true(lr_at_step(LR_CONSTANT, 1e-3, 17, 0, 100) == 1e-3);
    assert_true(lr_at_step(LR_CONSTANT, 1e-3, 0, 4, 100) == 1e-3 * 1 / 4);
    assert_true(lr_at_step(LR_CONSTANT, 1e-3, 3, 4, 100) == 1e-3);
    assert_true(lr_at_step(LR_CONSTANT, 1e-3, 50, 4, 100) == 1e-3);
    assert_true(lr_at_step(LR_COSINE, 1e-3, 4, 4, 104) == 1e-3);
    assert_near(lr_at_step(LR_COSINE, 1e-3, 54, 4, 104), 0.5e-3, 1e-12);
    assert_near(lr_at_step(LR_COSINE, 1e-3, 104, 4, 104), 0.0, 1e-15);
    for (int s = 5; s < 104; s++)
        assert_true(lr_at_step(LR_COSINE, 1e-3, s, 4, 104) <
                    lr_at_step(LR_COSINE, 1e-3, s - 1, 4, 104));
}

static void test_label_smoothing(void **state)
{
    (void)state;
    enum { B = 3, K = 4 };
    float logits[B * K] = {0.3f, -1.2f, 2.0f, 0.1f, 1.0f, 1.0f, -0.5f, 0.2f,
                           -2.0f, 0.4f, 0.9f, 1.7f};
    const int y[B] = {2, 0, 3};
    const float w[K] = {1.0f, 2.0f, 0.5f, 1.5f};
    float g0[B * K] = {0}, g1[B * K] = {0};
    double a = cross_entropy_loss(g0, logits, y, w, B, K, 1.0f);
    double b = cross_entropy_smooth_loss(g1, logits, y, w, B, K, 1.0f, 0.0);
    assert_true(a == b);
    assert_memory_equal(g0, g1, sizeof g0);
    const double eps = 0.2;
    float g[B * K] = {0};
    double l = cross_entropy_smooth_loss(g, logits, y, w, B, K, 1.0f, eps);
    /* direct: Σ_b w_b Σ_c −q_c log p_c / Σ_b w_b */
    double num = 0, den = 0;
    for (int i = 0; i < B; i++) {
        double lse = 0;
        for (int c = 0; c < K; c++) lse += exp((double)logits[i * K + c]);
        lse = log(lse);
        double ce = 0;
        for (int c = 0; c < K; c++)
            ce += ((c == y[i] ? 1 - eps : 0) + eps / K) * (lse - (double)logits[i * K + c]);
        num += (double)w[y[i]] * ce;
        den += (double)w[y[i]];
    }
    assert_near(l, num / den, 1e-12);
    for (int k = 0; k < B * K; k++) {
        float keep = logits[k];
        const float h = 1e-2f;
        logits[k] = keep + h;
        double up = cross_entropy_smooth_loss(NULL, logits, y, w, B, K, 1.0f, eps);
        logits[k] = keep - h;
        double down = cross_entropy_smooth_loss(NULL, logits, y, w, B, K, 1.0f, eps);
        logits[k] = keep;
        assert_near((double)g[k], (up - down) / (2.0 * (double)h), 1e-4);
    }
}

/* ---- train ------------------------------------------------------------------------------ */

static char *root, *data;

static int setup(void **state)
{
    (void)state;
    synth_dataset_make(&root, &data, 6, 3, 60, 2);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    synth_dataset_remove(&root, &data);
    return 0;
}

static bool same_tensors(const char *a_path, const char *b_path)
{
    struct safetensors a, b;
    struct error err;
    if (safetensors_open(&a, a_path, &err) || safetensors_open(&b, b_path, &err))
        fail_msg("%s", err.msg);
    bool same = a.num_tensors == b.num_tensors;
    for (size_t i = 0; same && i < a.num_tensors; i++) {
        const struct st_tensor *ta = &a.tensors[i], *tb = &b.tensors[i];
        if (!strcmp(ta->name, "optim.loop.history")) continue; /* seconds per epoch */
        same = !strcmp(ta->name, tb->name) && ta->end - ta->begin == tb->end - tb->begin &&
               !memcmp(a.data + ta->begin, b.data + tb->begin, ta->end - ta->begin);
    }
    safetensors_free(&a);
    safetensors_free(&b);
    return same;
}

static void test_patience(void **state)
{
    (void)state;
    /* on this data the validation accuracy is 1 from the first epoch: no later epoch beats it */
    char *out = path_join(root, "patience");
    struct cli_result r = run_cli("train", "--data", data, "--window", "10", "--stride", "5",
                                  "--epochs", "6", "--batch", "8", "--threads", "2",
                                  "--patience", "1", "--log-csv", "--out", out, NULL);
    if (r.exit_code != 0) fail_msg("train failed: %s", r.err);
    assert_non_null(strstr(r.out, "early stop"));
    assert_non_null(strstr(r.out, "epoch 2/6"));
    assert_null(strstr(r.out, "epoch 3/6"));
    cli_result_free(&r);
    free(out);
}

static void test_schedule_resume(void **state)
{
    (void)state;
    char *a = path_join(root, "sched_whole"), *b = path_join(root, "sched_cut");
    const char *args[24] = {"train", "--data", data, "--window", "10", "--stride", "5",
                            "--epochs", "2", "--batch", "8", "--threads", "2",
                            "--lr-schedule", "cosine", "--warmup-epochs", "0.5",
                            "--label-smoothing", "0.1", "--out", a};
    struct cli_result r = run_cliv(args);
    if (r.exit_code != 0) fail_msg("train failed: %s", r.err);
    assert_non_null(strstr(r.out, "\"lr_schedule\":\"cosine\""));
    assert_non_null(strstr(r.out, "\"label_smoothing\":0.1"));
    cli_result_free(&r);
    args[20] = b;
    setenv("SIGNSTGCN_INTERRUPT_AFTER_STEPS", "3", 1);
    r = run_cliv(args);
    unsetenv("SIGNSTGCN_INTERRUPT_AFTER_STEPS");
    assert_int_equal(r.exit_code, 130);
    cli_result_free(&r);
    args[21] = "--resume";
    r = run_cliv(args);
    if (r.exit_code != 0) fail_msg("resume failed: %s", r.err);
    cli_result_free(&r);
    char *la = path_join(a, "last.safetensors"), *lb = path_join(b, "last.safetensors");
    assert_true(same_tensors(la, lb));
    free(la);
    free(lb);
    free(a);
    free(b);
}

int main(void)
{
    const struct CMUnitTest unit[] = {
        cmocka_unit_test(test_lr),
        cmocka_unit_test(test_label_smoothing),
    };
    const struct CMUnitTest cli[] = {
        cmocka_unit_test(test_patience),
        cmocka_unit_test(test_schedule_resume),
    };
    int fails = cmocka_run_group_tests_name("schedules", unit, NULL, NULL);
    return fails + cmocka_run_group_tests_name("schedules_cli", cli, setup, teardown);
}
