/* test_video.c — one video's assembly, missing joints, normalisation and signer statistics
 * (SPEC §1.1–1.2) on in-memory arrays, values worked out by hand. The same rules on files,
 * against the numpy reference, are tests/test_dataset.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "data/config.h"
#include "data/video.h"
#include "graph/layout.h"
#include "testutil.h"

/* A raw part of T frames, joints × channels, every value `fill`. */
static float *part_alloc(size_t T, size_t joints, size_t channels, float fill)
{
    float *p = malloc(T * joints * channels * sizeof *p);
    for (size_t i = 0; i < T * joints * channels; i++) p[i] = fill;
    return p;
}

static float *at(float *p, size_t joints, size_t channels, size_t t, size_t j)
{
    return p + (t * joints + j) * channels;
}

static void set_xy(float *p, size_t joints, size_t channels, size_t t, size_t j, float x,
                   float y)
{
    float *v = at(p, joints, channels, t, j);
    v[0] = x;
    v[1] = y;
}

static void test_layout_combinations(void **state)
{
    (void)state;
    struct data_config cfg;
    struct data_layout lay;
    data_config_default(&cfg);
    data_layout_init(&lay, &cfg, 478);
    assert_int_equal(lay.joints, 33);
    assert_int_equal(lay.part_joints[DATA_PART_FACE], 0);

    cfg.include_hands = true;
    data_layout_init(&lay, &cfg, 478);
    assert_int_equal(lay.joints, 75);
    assert_int_equal(lay.part_offset[DATA_PART_LEFT_HAND], 33);
    assert_int_equal(lay.part_offset[DATA_PART_RIGHT_HAND], 54);

    cfg.include_face = true;
    data_layout_init(&lay, &cfg, 478);
    assert_int_equal(lay.joints, 553);
    assert_int_equal(lay.part_offset[DATA_PART_FACE], 75);
    assert_null(lay.face_index);
    data_layout_init(&lay, &cfg, 468);
    assert_int_equal(lay.joints, 543);

    cfg.face_points = FACE_POINTS_CONTOURS;
    data_layout_init(&lay, &cfg, 478);
    assert_int_equal(lay.joints, 75 + 128);
    assert_non_null(lay.face_index);
    for (size_t k = 1; k < 128; k++) assert_true(lay.face_index[k - 1] < lay.face_index[k]);

    cfg.face_points = FACE_POINTS_LIPS;
    cfg.include_pose = false;
    data_layout_init(&lay, &cfg, 468);
    assert_int_equal(lay.joints, 42 + 40);
    assert_int_equal(lay.part_offset[DATA_PART_LEFT_HAND], 0);
    assert_int_equal(lay.part_offset[DATA_PART_FACE], 42);
    assert_int_equal(lay.part_joints[DATA_PART_POSE], 0);

    cfg.include_hands = false;
    data_layout_init(&lay, &cfg, 468);
    assert_int_equal(lay.joints, 40);
    assert_int_equal(lay.part_offset[DATA_PART_FACE], 0);
}

/* The loader's layout and the graph's (graph/layout.h, which the graph builder and the model
 * use) place every joint identically for every part and face-points combination. */
static void test_layout_agrees_with_graph(void **state)
{
    (void)state;
    for (int mask = 1; mask < 8; mask++)
        for (int fp = 0; fp < 3; fp++)
            for (size_t F = 468; F <= 478; F += 10) {
                struct data_config cfg;
                data_config_default(&cfg);
                cfg.include_pose = mask & 1;
                cfg.include_hands = mask & 2;
                cfg.include_face = mask & 4;
                cfg.face_points = (enum face_points)fp;
                struct data_layout lay;
                struct joint_layout jl;
                struct error err;
                data_layout_init(&lay, &cfg, F);
                assert_int_equal(joint_layout_init(&jl, cfg.include_pose, cfg.include_hands,
                                                   cfg.include_face, cfg.face_points, F, &err),
                                 0);
                assert_int_equal(lay.joints, jl.num_joints);
                for (int p = 0; p < DATA_PART_COUNT; p++) {
                    assert_int_equal(lay.part_joints[p], jl.count[p]);
                    if (jl.count[p]) assert_int_equal(lay.part_offset[p], jl.offset[p]);
                    assert_string_equal(data_part_name((enum data_part)p),
                                        joint_part_name((enum joint_part)p));
                }
                for (size_t k = 0; k < lay.part_joints[DATA_PART_FACE]; k++) {
                    int want = joint_layout_face_point(&jl, k);
                    int got = lay.face_index ? lay.face_index[k] : (int)k;
                    assert_int_equal(got, want);
                }
            }
}

/* A pose of T frames with shoulders 11 at (0.4, 0.5) and 12 at (0.6, 0.5) in every frame:
 * m = (0.5, 0.5), d = 0.2. */
static float *pose_with_shoulders(size_t T, size_t C)
{
    float *p = part_alloc(T, 33, C, 0.25f);
    for (size_t t = 0; t < T; t++) {
        set_xy(p, 33, C, t, 11, 0.4f, 0.5f);
        set_xy(p, 33, C, t, 12, 0.6f, 0.5f);
    }
    return p;
}

static void test_missing_joint_rules(void **state)
{
    (void)state;
    struct data_config cfg;
    data_config_default(&cfg);
    cfg.include_hands = true;
    cfg.normalize = DATA_NORMALIZE_NONE;
    struct data_layout lay;
    data_layout_init(&lay, &cfg, 0);
    const size_t T = 2, C = 2, J = lay.joints;
    float *pose = part_alloc(T, 33, 3, 0.5f);
    float *rh = part_alloc(T, 21, 3, 0.75f);
    at(pose, 33, 3, 0, 1)[1] = NAN;       /* kept channel NaN: missing */
    at(pose, 33, 3, 0, 2)[0] = INFINITY;  /* kept channel inf: missing */
    at(pose, 33, 3, 0, 3)[2] = NAN;       /* channel 2 is not kept: present */
    memset(at(pose, 33, 3, 0, 4), 0, 2 * sizeof(float)); /* kept channels 0: missing */
    at(pose, 33, 3, 0, 4)[2] = 7.0f;
    at(rh, 21, 3, 1, 5)[0] = -INFINITY;
    struct data_raw_video raw = {.frames = T};
    raw.part[DATA_PART_POSE] = (struct data_raw_part){pose, 33, 3};
    raw.part[DATA_PART_RIGHT_HAND] = (struct data_raw_part){rh, 21, 3};
    struct error err;
    assert_int_equal(data_raw_check(&cfg, &lay, &raw, "mem", &err), 0);

    float *x = malloc(T * J * C * sizeof *x);
    double fs[2 * 5], ref[DATA_COORDS_MAX];
    bool normalized;
    data_video_build(&cfg, &lay, &raw, x, fs, ref, &normalized);
    assert_true(normalized); /* --normalize none: nothing to warn about */
    for (size_t t = 0; t < T; t++)
        for (size_t j = 0; j < J; j++)
            for (size_t c = 0; c < C; c++) {
                float got = x[(t * J + j) * C + c], want;
                if (j < 33) want = (t == 0 && j >= 1 && j <= 4 && j != 3) ? 0.0f : 0.5f;
                else if (j < 54) want = 0.0f; /* left hand absent */
                else want = (t == 1 && j == 54 + 5) ? 0.0f : 0.75f;
                if (got != want)
                    fail_msg("x[%zu,%zu,%zu] = %g, want %g", t, j, c, (double)got, (double)want);
            }
    /* Statistics count the present pose joints: 30 in frame 0, 33 in frame 1. */
    assert_true(fs[0] == 30.0);
    assert_true(fs[5] == 33.0);

    /* --no-zero-is-missing: the zero joint is present (its zeros count in the statistics). */
    cfg.zero_is_missing = false;
    data_video_build(&cfg, &lay, &raw, x, fs, ref, &normalized);
    assert_true(fs[0] == 31.0);
    free(x);
    free(pose);
    free(rh);
}

static void test_normalisation_by_hand(void **state)
{
    (void)state;
    struct data_config cfg;
    data_config_default(&cfg);
    cfg.coords = 4;
    struct data_layout lay;
    data_layout_init(&lay, &cfg, 0);
    const size_t T = 6, C = 4, J = 33;
    float *pose = pose_with_shoulders(T, C);
    for (size_t t = 0; t < T; t++) {
        float *v = at(pose, 33, C, t, 0);
        v[0] = 0.5f;
        v[1] = 0.3f;
        v[2] = 0.1f;
        v[3] = 0.9f;
        at(pose, 33, C, t, 11)[2] = 0.2f; /* mz = (0.2 + 0.25) / 2 */
    }
    /* Shoulders only in frames 1 and 3 (frame 3 scaled twice as large): frames 0,1 use 1;
     * frame 2 is equidistant and takes the earlier, 1; frames 3..5 use 3. */
    for (size_t t = 0; t < T; t++) {
        if (t == 1 || t == 3) continue;
        at(pose, 33, C, t, 11)[0] = NAN;
    }
    set_xy(pose, 33, C, 3, 11, 0.3f, 0.5f);
    set_xy(pose, 33, C, 3, 12, 0.7f, 0.5f);
    /* Frame 4: both shoulders present but at the same point (d = 0): not a shoulder frame. */
    set_xy(pose, 33, C, 4, 11, 0.6f, 0.5f);
    set_xy(pose, 33, C, 4, 12, 0.6f, 0.5f);
    struct data_raw_video raw = {.frames = T};
    raw.part[DATA_PART_POSE] = (struct data_raw_part){pose, 33, C};
    float *x = malloc(T * J * C * sizeof *x);
    double fs[6 * 9], ref[DATA_COORDS_MAX];
    bool normalized;
    data_video_build(&cfg, &lay, &raw, x, fs, ref, &normalized);
    assert_true(normalized);
    for (size_t t = 0; t < T; t++) {
        const float *v = x + (t * J + 0) * C;
        /* In double from the stored floats, as the SPEC's arithmetic on the file's values. */
        double a = t < 3 ? (double)0.4f : (double)0.3f, b = t < 3 ? (double)0.6f : (double)0.7f;
        double d = fabs(a - b), mx = 0.5 * (a + b);
        double mz = 0.5 * ((double)0.2f + (double)0.25f);
        float want[4] = {(float)(((double)0.5f - mx) / d), (float)(((double)0.3f - 0.5) / d),
                         (float)(((double)0.1f - mz) / d), 0.9f};
        assert_close_f32(v, want, 4, 0, 0, "normalised nose");
    }
    /* Frame 0's 11 is NaN: zeros after normalisation. */
    for (size_t c = 0; c < C; c++) assert_true(x[(0 * J + 11) * C + c] == 0.0f);

    /* No shoulder frame at all: raw values, not normalised. */
    for (size_t t = 0; t < T; t++) at(pose, 33, C, t, 12)[1] = NAN;
    data_video_build(&cfg, &lay, &raw, x, fs, ref, &normalized);
    assert_false(normalized);
    assert_true(x[0] == 0.5f && x[1] == 0.3f && x[2] == 0.1f && x[3] == 0.9f);

    /* A video without pose is not normalised either. */
    cfg.include_pose = false;
    cfg.include_hands = true;
    cfg.coords = 2;
    data_layout_init(&lay, &cfg, 0);
    float *lh = part_alloc(2, 21, 3, 0.125f);
    struct data_raw_video raw2 = {.frames = 2};
    raw2.part[DATA_PART_LEFT_HAND] = (struct data_raw_part){lh, 21, 3};
    data_video_build(&cfg, &lay, &raw2, x, fs, ref, &normalized);
    assert_false(normalized);
    assert_true(x[0] == 0.125f);
    free(lh);
    free(x);
    free(pose);
}

static void test_window_stats_by_hand(void **state)
{
    (void)state;
    struct data_config cfg;
    data_config_default(&cfg);
    cfg.include_pose = false;
    cfg.include_hands = true;
    cfg.normalize = DATA_NORMALIZE_NONE;
    struct data_layout lay;
    data_layout_init(&lay, &cfg, 0);
    /* No pose: the statistics use the included joints. Left hand only, 3 frames; frame 2
     * has no present joint. Frame 0: every joint (1, 2); frame 1: every joint (3, 6). */
    const size_t T = 3;
    float *lh = part_alloc(T, 21, 2, 0.0f);
    for (size_t j = 0; j < 21; j++) {
        set_xy(lh, 21, 2, 0, j, 1.0f, 2.0f);
        set_xy(lh, 21, 2, 1, j, 3.0f, 6.0f);
    }
    struct data_raw_video raw = {.frames = T};
    raw.part[DATA_PART_LEFT_HAND] = (struct data_raw_part){lh, 21, 2};
    float *x = malloc(T * lay.joints * 2 * sizeof *x);
    double fs[3 * 5], ref[DATA_COORDS_MAX];
    bool normalized;
    data_video_build(&cfg, &lay, &raw, x, fs, ref, &normalized);
    float s[4];
    data_window_stats(fs, ref, 2, 0, 3, s);
    const float want[4] = {2.0f, 4.0f, 1.0f + 1e-6f, 2.0f + 1e-6f};
    assert_close_f32(s, want, 4, 1e-7, 0, "stats frames 0..2");
    data_window_stats(fs, ref, 2, 1, 1, s);
    const float want1[4] = {3.0f, 6.0f, 1e-6f, 1e-6f};
    assert_close_f32(s, want1, 4, 1e-6, 1e-12, "stats frame 1");
    data_window_stats(fs, ref, 2, 2, 1, s);
    for (int i = 0; i < 4; i++) assert_true(s[i] == 0.0f);

    /* With a pose, the pose decides even when it is not included (raw coordinates). */
    float *pose = pose_with_shoulders(T, 2);
    raw.part[DATA_PART_POSE] = (struct data_raw_part){pose, 33, 2};
    cfg.normalize = DATA_NORMALIZE_SHOULDERS;
    data_video_build(&cfg, &lay, &raw, x, fs, ref, &normalized);
    assert_true(normalized);
    data_window_stats(fs, ref, 2, 0, 1, s);
    /* 31 joints at 0.25 plus 0.4 and 0.6 in x; y: 31 at 0.25 and two at 0.5. */
    double mx = (31 * (double)0.25f + (double)0.4f + (double)0.6f) / 33;
    double my = (31 * (double)0.25f + 2 * (double)0.5f) / 33;
    double vx = (31 * pow((double)0.25f - mx, 2) + pow((double)0.4f - mx, 2) +
                 pow((double)0.6f - mx, 2)) / 33;
    double vy = (31 * pow((double)0.25f - my, 2) + 2 * pow((double)0.5f - my, 2)) / 33;
    const float want2[4] = {(float)mx, (float)my, (float)(sqrt(vx) + 1e-6),
                            (float)(sqrt(vy) + 1e-6)};
    assert_close_f32(s, want2, 4, 1e-6, 0, "stats from the pose");
    free(pose);
    free(lh);
    free(x);
}

static void test_raw_check_messages(void **state)
{
    (void)state;
    struct data_config cfg;
    data_config_default(&cfg);
    cfg.include_hands = true;
    cfg.coords = 3;
    struct data_layout lay;
    data_layout_init(&lay, &cfg, 0);
    float *pose = part_alloc(2, 33, 4, 0.5f), *lh = part_alloc(2, 21, 2, 0.5f);
    struct data_raw_video raw = {.frames = 2};
    raw.part[DATA_PART_POSE] = (struct data_raw_part){pose, 33, 4};
    raw.part[DATA_PART_LEFT_HAND] = (struct data_raw_part){lh, 21, 2};
    struct error err;
    assert_int_equal(data_raw_check(&cfg, &lay, &raw, "v.npz", &err), -1);
    assert_string_equal(err.msg,
                        "dataset: 'v.npz': part 'left_hand' has 2 channels but --coords 3 "
                        "needs 3");
    raw.part[DATA_PART_LEFT_HAND].joints = 20;
    assert_int_equal(data_raw_check(&cfg, &lay, &raw, "v.npz", &err), -1);
    assert_non_null(strstr(err.msg, "part 'left_hand' has 20 joints (expected 21)"));
    raw.part[DATA_PART_LEFT_HAND] = (struct data_raw_part){0};
    raw.frames = 0;
    assert_int_equal(data_raw_check(&cfg, &lay, &raw, "v.npz", &err), -1);
    assert_non_null(strstr(err.msg, "0 frames"));
    raw.frames = 2;
    assert_int_equal(data_raw_check(&cfg, &lay, &raw, "v.npz", &err), 0);
    /* A face when only pose is included: not used, not checked; no pose and no included
     * part: an error. */
    cfg.include_hands = false;
    cfg.coords = 2;
    raw.part[DATA_PART_POSE] = (struct data_raw_part){0};
    raw.part[DATA_PART_FACE] = (struct data_raw_part){pose, 5, 4};
    assert_int_equal(data_raw_check(&cfg, &lay, &raw, "v.npz", &err), -1);
    assert_non_null(strstr(err.msg, "neither an included part nor a pose"));
    free(pose);
    free(lh);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout_combinations),
        cmocka_unit_test(test_layout_agrees_with_graph),
        cmocka_unit_test(test_missing_joint_rules),
        cmocka_unit_test(test_normalisation_by_hand),
        cmocka_unit_test(test_window_stats_by_hand),
        cmocka_unit_test(test_raw_check_messages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
