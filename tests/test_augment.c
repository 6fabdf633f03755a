/* test_augment.c — augmentation of training windows (data/augment.h) and its use by
 * `signstgcn train`:
 *  - the mirror twice is the identity, and it exchanges the named joints (pose 11/12, 15/16,
 *    the two hands) and negates x;
 *  - rotation by 0 and scale 1 change nothing, bit for bit;
 *  - resampling at 1x is the identity (padding included) and keeps the missing mask; between
 *    frames a joint missing on either side stays missing;
 *  - every step keeps missing joints missing (the whole standard pipeline on a window with
 *    holes);
 *  - draws are a pure function of (key, index): the same in any thread count, different for
 *    other indices or keys;
 *  - train with --augment standard stores every resolved knob, an --aug-* flag overrides the
 *    preset, and an interrupted augmented run resumed is bit-identical to an uninterrupted
 *    one. */
#include <cjson/cJSON.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "data/augment.h"
#include "data/dataset.h"
#include "io/safetensors.h"
#include "testutil.h"

enum { J = 75, C = 3, W = 8 };
static const size_t part_off[4] = {0, 33, 54, 75}, part_n[4] = {33, 21, 21, 0};

static void make_parts(struct augment_parts *p)
{
    struct error err;
    if (augment_parts_init(p, SKELETON_MEDIAPIPE, C, part_off, part_n, &err))
        fail_msg("%s", err.msg);
}

/* A window of T frames with distinct nonzero values and some missing joints. */
static void make_window(float *x, size_t T, unsigned seed)
{
    struct rng r;
    rng_seed(&r, seed);
    for (size_t i = 0; i < T * J * C; i++) x[i] = (float)(rng_uniform(&r) * 2.0 - 1.0);
    for (size_t t = 0; t < T; t++) {
        memset(x + (t * J + 40) * C, 0, C * sizeof(float));      /* a left-hand joint */
        memset(x + (t * J + 12) * C, 0, C * sizeof(float));      /* the right shoulder */
        if (t % 3 == 0) memset(x + (t * J + 60) * C, 0, C * sizeof(float));
    }
}

static bool is_missing(const float *v)
{
    return v[0] == 0.0f && v[1] == 0.0f && v[2] == 0.0f;
}

static void test_mirror(void **state)
{
    (void)state;
    struct augment_parts p;
    make_parts(&p);
    float x[W * J * C], y[W * J * C];
    make_window(x, W, 1);
    memcpy(y, x, sizeof x);
    augment_mirror(y, W, &p);
    /* named exchanges: shoulders 11/12, wrists 15/16, left hand k <-> right hand k; x negated */
    const int pairs[][2] = {{11, 12}, {15, 16}, {23, 24}, {1, 4}, {33, 54}, {40, 61}, {53, 74}};
    for (size_t t = 0; t < W; t++)
        for (size_t k = 0; k < sizeof pairs / sizeof pairs[0]; k++)
            for (int s = 0; s < 2; s++) {
                const float *a = x + (t * J + (size_t)pairs[k][s]) * C;
                const float *b = y + (t * J + (size_t)pairs[k][1 - s]) * C;
                assert_true(b[0] == -a[0] || (a[0] == 0.0f && b[0] == 0.0f));
                assert_true(b[1] == a[1] && b[2] == a[2]);
            }
    /* the nose stays, x negated; a missing joint moves and stays missing */
    assert_true(y[0] == -x[0] && y[1] == x[1]);
    assert_true(is_missing(y + (0 * J + 11) * C)); /* 12 was missing */
    assert_true(is_missing(y + (0 * J + 61) * C)); /* left-hand 7 (joint 40) was missing */
    augment_mirror(y, W, &p);
    assert_memory_equal(x, y, sizeof x);
    augment_parts_free(&p);
}

static void test_identity_transforms(void **state)
{
    (void)state;
    float x[W * J * C], y[W * J * C];
    make_window(x, W, 2);
    memcpy(y, x, sizeof x);
    /* rotation 0 and scale 1 (and no shear, no shift) from the draw itself */
    struct augment_config a;
    augment_preset_values(AUGMENT_STANDARD, &a);
    a.rotate = 0;
    a.scale = 0;
    a.shear = 0;
    a.translate = 0;
    struct augment_draw d;
    augment_draw_make(&a, 7, 3, &d);
    assert_true(d.A[0] == 1.0f && d.A[1] == 0.0f && d.A[2] == 0.0f && d.A[3] == 1.0f);
    assert_true(d.zscale == 1.0f && d.tx == 0.0f && d.ty == 0.0f);
    augment_affine(y, W, J, C, d.A, d.zscale, d.tx, d.ty);
    assert_memory_equal(x, y, sizeof x);
    augment_jitter(y, W, J, C, 0.0, &d.rng);
    augment_frame_drop(y, W, W, J, C, 0.0, &d.rng);
    assert_memory_equal(x, y, sizeof x);
    /* a real rotation moves present joints and keeps the distance to the origin */
    a.rotate = 30;
    augment_draw_make(&a, 7, 3, &d);
    augment_affine(y, W, J, C, d.A, d.zscale, d.tx, d.ty);
    const float *p0 = x + 5 * C, *p1 = y + 5 * C;
    assert_true(p0[0] != p1[0]);
    assert_float_equal(hypotf(p0[0], p0[1]), hypotf(p1[0], p1[1]), 1e-5);
    assert_true(is_missing(y + 12 * C));
}

static void test_resample(void **state)
{
    (void)state;
    enum { F = 20 };
    static float video[F * J * C], out[W * J * C], ref[W * J * C];
    make_window(video, F, 3);
    /* 1x: the window itself, for a full window and for one running past the end */
    augment_resample(video, F, J, C, 5, W, 1.0, out);
    assert_memory_equal(out, video + 5 * J * C, sizeof out);
    augment_resample(video, F, J, C, 15, W, 1.0, out);
    memset(ref, 0, sizeof ref);
    memcpy(ref, video + 15 * J * C, 5 * J * C * sizeof(float));
    assert_memory_equal(out, ref, sizeof out);
    /* other speeds: every output joint is missing when a source frame it mixes has it
     * missing, and present joints lie between their two source values */
    for (int s = 0; s < 2; s++) {
        double speed = s ? 1.25 : 0.8;
        augment_resample(video, F, J, C, 6, W, speed, out);
        for (size_t t = 0; t < W; t++) {
            double p = 6 + 3.5 + ((double)t - 3.5) * speed;
            size_t i0 = (size_t)floor(p);
            for (size_t j = 0; j < J; j++) {
                const float *a = video + (i0 * J + j) * C, *b = a + J * C;
                const float *o = out + (t * J + j) * C;
                bool miss = is_missing(a) || (p > (double)i0 && is_missing(b));
                assert_int_equal(is_missing(o), miss);
                if (!miss)
                    for (int c = 0; c < C; c++)
                        assert_true(o[c] >= fminf(a[c], b[c]) - 1e-6f &&
                                    o[c] <= fmaxf(a[c], b[c]) + 1e-6f);
            }
        }
    }
}

/* A one-video dataset around a T × J × C array (what augment_fill_window reads). */
static void fake_dataset(struct dataset *ds, struct data_video *v, float *x, size_t frames)
{
    memset(ds, 0, sizeof *ds);
    memset(v, 0, sizeof *v);
    ds->cfg.window = W;
    ds->layout.joints = J;
    ds->layout.coords = C;
    ds->n_videos = 1;
    ds->videos = v;
    v->frames = frames;
    v->x = x;
}

static void test_pipeline_keeps_missing(void **state)
{
    (void)state;
    enum { F = 30 };
    static float video[F * J * C], out[W * J * C];
    make_window(video, F, 4);
    struct dataset ds;
    struct data_video v;
    fake_dataset(&ds, &v, video, F);
    struct augment_parts p;
    make_parts(&p);
    struct augment_config a;
    augment_preset_values(AUGMENT_STANDARD, &a);
    a.speed_lo = a.speed_hi = 1.0; /* the mask stays the window's own */
    for (uint64_t idx = 0; idx < 50; idx++) {
        struct augment_draw d;
        augment_draw_make(&a, 11, idx, &d);
        augment_fill_window(&ds, 0, 10, &a, &p, &d, out);
        for (size_t t = 0; t < W; t++)
            for (size_t j = 0; j < J; j++)
                if (is_missing(video + ((10 + t) * J + j) * C))
                    assert_true(is_missing(out + (t * J + j) * C));
    }
    augment_parts_free(&p);
}

static void test_draws_deterministic(void **state)
{
    (void)state;
    enum { F = 40, N = 64 };
    static float video[F * J * C], one[N][W * J * C], many[N][W * J * C];
    make_window(video, F, 5);
    struct dataset ds;
    struct data_video v;
    fake_dataset(&ds, &v, video, F);
    struct augment_parts p;
    make_parts(&p);
    struct augment_config a;
    augment_preset_values(AUGMENT_STANDARD, &a);
    a.mirror = 0.5;
    for (int pass = 0; pass < 2; pass++) {
        float(*dst)[W * J * C] = pass ? many : one;
#pragma omp parallel for num_threads(pass ? 4 : 1) schedule(dynamic)
        for (int i = 0; i < N; i++) {
            struct augment_draw d;
            augment_draw_make(&a, 99, 1000 + (uint64_t)i, &d);
            augment_fill_window(&ds, 0, (size_t)(i % 30), &a, &p, &d, dst[i]);
        }
    }
    assert_memory_equal(one, many, sizeof one);
    struct augment_draw d1, d2, d3;
    augment_draw_make(&a, 99, 5, &d1);
    augment_draw_make(&a, 99, 5, &d2);
    assert_memory_equal(&d1, &d2, sizeof d1);
    augment_draw_make(&a, 99, 6, &d3);
    assert_true(memcmp(&d1, &d3, sizeof d1) != 0);
    augment_draw_make(&a, 98, 5, &d3);
    assert_true(memcmp(&d1, &d3, sizeof d1) != 0);
    augment_parts_free(&p);
}

/* ---- train end to end ---------------------------------------------------------------------- */

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

static cJSON *stored_config(const char *path)
{
    struct safetensors st;
    struct error err;
    if (safetensors_open(&st, path, &err)) fail_msg("%s", err.msg);
    cJSON *c = cJSON_Parse(safetensors_meta_get(&st, "config"));
    safetensors_free(&st);
    assert_non_null(c);
    return c;
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

static void test_train_augmented_resume(void **state)
{
    (void)state;
    char *a = path_join(root, "aug_whole"), *b = path_join(root, "aug_cut"),
         *n = path_join(root, "aug_none");
    /* speed is off in the preset: the flag turns it on, so resampling is in the resume test */
    const char *args[28] = {"train", "--data", data, "--window", "10", "--stride", "5",
                            "--epochs", "2", "--batch", "8", "--threads", "2", "--augment",
                            "standard", "--aug-mirror", "0.5", "--aug-rotate", "5",
                            "--aug-speed", "0.9,1.2", "--out", a};
    struct cli_result r = run_cliv(args);
    if (r.exit_code != 0) fail_msg("train failed: %s", r.err);
    cli_result_free(&r);
    char *la = path_join(a, "last.safetensors"), *lb = path_join(b, "last.safetensors"),
         *ln = path_join(n, "last.safetensors");
    cJSON *c = stored_config(la);
    assert_string_equal(cJSON_GetObjectItem(c, "augment")->valuestring, "standard");
    assert_true(cJSON_GetObjectItem(c, "aug_rotate")->valuedouble == 5.0);   /* the flag */
    assert_true(cJSON_GetObjectItem(c, "aug_mirror")->valuedouble == 0.5);
    assert_true(cJSON_GetObjectItem(c, "aug_scale")->valuedouble == 0.15);   /* the preset */
    assert_true(cJSON_GetArrayItem(cJSON_GetObjectItem(c, "aug_speed"), 0)->valuedouble == 0.9);
    assert_true(cJSON_GetObjectItem(c, "aug_hand_drop")->valuedouble == 0.05); /* the preset */
    cJSON_Delete(c);
    /* interrupted mid-epoch and resumed: the same tensors */
    args[22] = b;
    setenv("SIGNSTGCN_INTERRUPT_AFTER_STEPS", "3", 1);
    r = run_cliv(args);
    unsetenv("SIGNSTGCN_INTERRUPT_AFTER_STEPS");
    assert_int_equal(r.exit_code, 130);
    cli_result_free(&r);
    args[23] = "--resume";
    r = run_cliv(args);
    if (r.exit_code != 0) fail_msg("resume failed: %s", r.err);
    cli_result_free(&r);
    assert_true(same_tensors(la, lb));
    /* without augmentation the run is another one */
    const char *plain[] = {"train", "--data", data, "--window", "10", "--stride", "5",
                           "--epochs", "2", "--batch", "8", "--threads", "2", "--out", n, NULL};
    r = run_cliv(plain);
    if (r.exit_code != 0) fail_msg("train failed: %s", r.err);
    cli_result_free(&r);
    assert_false(same_tensors(la, ln));
    c = stored_config(ln);
    assert_string_equal(cJSON_GetObjectItem(c, "augment")->valuestring, "none");
    assert_true(cJSON_GetObjectItem(c, "aug_rotate")->valuedouble == 0.0);
    cJSON_Delete(c);
    /* bad values */
    const char *bad[] = {"train", "--data", data, "--aug-speed", "1.2,0.9", "--out", n, NULL};
    r = run_cliv(bad);
    assert_int_equal(r.exit_code, 2);
    cli_result_free(&r);
    const char *face[] = {"train", "--data", data, "--include-face", "--aug-mirror", "0.5",
                          "--out", n, NULL};
    r = run_cliv(face);
    assert_int_equal(r.exit_code, 1);
    assert_non_null(strstr(r.err, "cannot mirror the face"));
    cli_result_free(&r);
    free(la);
    free(lb);
    free(ln);
    free(a);
    free(b);
    free(n);
}

int main(void)
{
    const struct CMUnitTest unit[] = {
        cmocka_unit_test(test_mirror),
        cmocka_unit_test(test_identity_transforms),
        cmocka_unit_test(test_resample),
        cmocka_unit_test(test_pipeline_keeps_missing),
        cmocka_unit_test(test_draws_deterministic),
    };
    const struct CMUnitTest cli[] = {
        cmocka_unit_test(test_train_augmented_resume),
    };
    int fails = cmocka_run_group_tests_name("augment", unit, NULL, NULL);
    return fails + cmocka_run_group_tests_name("augment_cli", cli, setup, teardown);
}
