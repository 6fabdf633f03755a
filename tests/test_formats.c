/* test_formats.c — pose-format `.pose` and OpenPose JSON recordings, the OpenPose skeleton
 * graph, and `signstgcn convert`:
 *  - the committed fixtures of tools/make_pose_fixtures.py (v0.2 MediaPipe XYZC and v0.1
 *    OpenPose XYC, two people, a missing hand; an OpenPose JSON recording with two people,
 *    an empty frame, a missing hand) load with the values numpy computed, for --person 0 and 1;
 *  - a dataset of .pose files or OpenPose folders loads through dataset_load with the
 *    skeleton's layout, and `inspect` reports components, fps and frames;
 *  - the OpenPose graph: its edges, and a short `signstgcn train` on OpenPose JSON data that
 *    picks it by itself;
 *  - npz → pose → npz and OpenPose → pose → npz are exact;
 *  - each bad input (truncated .pose, unknown version, a component count past the end, a
 *    JSON frame without `people`, a keypoint array of the wrong length, a folder mixing
 *    skeletons) exits 1 with one line naming the file and what was expected. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"
#include "data/dataset.h"
#include "data/landmarks.h"
#include "fixture_npz.h"
#include "graph/graph.h"
#include "io/npz.h"
#include "io/safetensors.h"
#include "testutil.h"

/* Equal floats, NaN equal to NaN (a missing joint). */
static void assert_same_f32(const float *a, const float *b, size_t n, const char *what)
{
    for (size_t i = 0; i < n; i++) {
        if (isnan(a[i]) && isnan(b[i])) continue;
        if (memcmp(&a[i], &b[i], sizeof(float)) != 0)
            fail_msg("%s[%zu]: %.9g != %.9g", what, i, (double)a[i], (double)b[i]);
    }
}

/* Compares every part of lm with the expected npz's members <part><suffix>. */
static void check_parts(const struct landmarks *lm, const char *expected, const char *suffix,
                        int n_parts_expected)
{
    struct npz z;
    fx_open(&z, expected);
    int found = 0;
    for (int p = 0; p < DATA_PART_COUNT; p++) {
        char name[64];
        snprintf(name, sizeof name, "%s%s", data_part_name((enum data_part)p), suffix);
        int idx = npz_find(&z, name);
        if (idx < 0) {
            assert_null(lm->part[p].data);
            continue;
        }
        found++;
        const struct npz_member *m = &z.members[idx];
        assert_non_null(lm->part[p].data);
        assert_int_equal(m->shape[0], lm->frames);
        assert_int_equal(m->shape[1], lm->part[p].joints);
        assert_int_equal(m->shape[2], lm->part[p].channels);
        float *want = fx_read(&z, name, m->count);
        assert_same_f32(lm->part[p].data, want, m->count, name);
        free(want);
    }
    assert_int_equal(found, n_parts_expected);
    npz_close(&z);
}

static size_t count_nan_joints(const struct landmark_part *p, size_t frames)
{
    size_t n = 0;
    for (size_t i = 0; i < frames * p->joints; i++) n += isnan(p->data[i * p->channels]);
    return n;
}

static void test_pose_v02_mediapipe(void **state)
{
    (void)state;
    struct error err;
    for (size_t person = 0; person < 2; person++) {
        struct landmarks lm;
        if (landmarks_read_pose(&lm, fixture_path("formats/mp_v02.pose"), person, &err))
            fail_msg("%s", err.msg);
        assert_int_equal(lm.skeleton, SKELETON_MEDIAPIPE);
        assert_int_equal(lm.frames, 2);
        assert_int_equal(lm.people, 2);
        assert_true(fabs(lm.fps - 29.97) < 1e-5);
        assert_true(lm.pixels);
        assert_int_equal(lm.width, 640);
        assert_int_equal(lm.height, 480);
        assert_int_equal(lm.n_components, 5);
        assert_string_equal(lm.components[4].name, "POSE_WORLD_LANDMARKS");
        assert_false(lm.components[4].used);
        assert_string_equal(lm.components[0].format, "XYZC");
        assert_int_equal(lm.part[DATA_PART_POSE].channels, 4); /* x, y, z, visibility */
        assert_int_equal(lm.part[DATA_PART_LEFT_HAND].channels, 3);
        assert_int_equal(lm.part[DATA_PART_FACE].joints, 468);
        /* person 0's right hand was not detected */
        size_t rh = count_nan_joints(&lm.part[DATA_PART_RIGHT_HAND], lm.frames);
        assert_int_equal(rh, person == 0 ? 42 : 0);
        landmarks_normalize(&lm);
        check_parts(&lm, "formats/mp_v02.expected.npz", person ? "_p1" : "", 4);
        landmarks_free(&lm);
    }
    struct landmarks lm;
    assert_int_equal(landmarks_read_pose(&lm, fixture_path("formats/mp_v02.pose"), 2, &err), -1);
    assert_non_null(strstr(err.msg, "--person 2, but the file has 2 people"));
}

static void test_pose_v01_openpose(void **state)
{
    (void)state;
    struct error err;
    for (size_t person = 0; person < 2; person++) {
        struct landmarks lm;
        if (landmarks_read_pose(&lm, fixture_path("formats/op_v01.pose"), person, &err))
            fail_msg("%s", err.msg);
        assert_int_equal(lm.skeleton, SKELETON_OPENPOSE);
        assert_int_equal(lm.frames, 3);
        assert_true(lm.fps == 25.0);
        assert_int_equal(lm.part[DATA_PART_POSE].joints, 25);
        assert_int_equal(lm.part[DATA_PART_POSE].channels, 2);
        assert_int_equal(lm.part[DATA_PART_FACE].joints, 70);
        size_t lh = count_nan_joints(&lm.part[DATA_PART_LEFT_HAND], lm.frames);
        assert_int_equal(lh, person == 0 ? 63 : 0);
        landmarks_normalize(&lm);
        check_parts(&lm, "formats/op_v01.expected.npz", person ? "_p1" : "", 4);
        landmarks_free(&lm);
    }
}

static void test_openpose_json(void **state)
{
    (void)state;
    struct error err;
    struct landmarks lm;
    if (landmarks_read_openpose(&lm, fixture_path("formats/openpose/rec"), 0, 0, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(lm.skeleton, SKELETON_OPENPOSE);
    assert_int_equal(lm.frames, 5);
    assert_int_equal(lm.people, 3);
    assert_true(lm.fps == 0.0);
    landmarks_normalize(&lm); /* no --size: pixels stay pixels */
    check_parts(&lm, "formats/openpose_rec.expected.npz", "", 4);
    /* frame 2 has nobody: every joint missing; frame 3's person has no left hand */
    const struct landmark_part *lh = &lm.part[DATA_PART_LEFT_HAND];
    for (size_t j = 0; j < 21; j++) {
        assert_true(isnan(lh->data[(2 * 21 + j) * 2]));
        assert_true(isnan(lh->data[(3 * 21 + j) * 2]));
    }
    landmarks_free(&lm);
}

/* A folder holding links to fixtures. */
static char *dataset_of(const char *const *rel, size_t n)
{
    char *dir = tmpdir_make();
    for (size_t i = 0; i < n; i++) {
        const char *src = fixture_path(rel[i]);
        const char *base = strrchr(rel[i], '/') + 1;
        char *dst = path_join(dir, base);
        if (symlink(src, dst) != 0) fail_msg("symlink %s", dst);
        free(dst);
    }
    return dir;
}

static void test_dataset_loads_pose_and_openpose(void **state)
{
    (void)state;
    struct data_config cfg;
    data_config_default(&cfg);
    cfg.include_hands = true;
    cfg.include_face = true;
    cfg.window = 2;
    struct error err;
    struct dataset ds;
    const char *mp[] = {"formats/mp_v02.pose"};
    char *dir = dataset_of(mp, 1);
    if (dataset_load(&ds, dir, &cfg, false, NULL, &err)) fail_msg("%s", err.msg);
    assert_int_equal(ds.layout.skeleton, SKELETON_MEDIAPIPE);
    assert_int_equal(ds.layout.joints, 33 + 42 + 468);
    assert_string_equal(ds.videos[0].id, "mp_v02");
    assert_true(fabs(ds.videos[0].fps - 29.97) < 1e-5);
    assert_int_equal(ds.videos[0].format, LANDMARK_POSE);
    dataset_free(&ds);
    tmpdir_remove(dir);
    free(dir);

    const char *op[] = {"formats/op_v01.pose", "formats/openpose/rec"};
    dir = dataset_of(op, 2);
    cfg.window = 3;
    if (dataset_load(&ds, dir, &cfg, false, NULL, &err)) fail_msg("%s", err.msg);
    assert_int_equal(ds.layout.skeleton, SKELETON_OPENPOSE);
    assert_int_equal(ds.layout.joints, 25 + 42 + 70);
    assert_int_equal(ds.n_videos, 2);
    assert_string_equal(ds.videos[0].id, "op_v01");
    assert_string_equal(ds.videos[1].id, "rec");
    assert_int_equal(ds.videos[1].format, LANDMARK_OPENPOSE);
    assert_int_equal(ds.videos[1].frames, 5);
    /* normalised by BODY_25's shoulders 2 and 5: their midpoint at 0, their distance 1 */
    {
        const float *f0 = ds.videos[0].x; /* frame 0, C = 2 */
        double mx = 0.5 * ((double)f0[2 * 2] + (double)f0[5 * 2]);
        double my = 0.5 * ((double)f0[2 * 2 + 1] + (double)f0[5 * 2 + 1]);
        double d = hypot((double)f0[2 * 2] - (double)f0[5 * 2],
                         (double)f0[2 * 2 + 1] - (double)f0[5 * 2 + 1]);
        assert_true(ds.videos[0].normalized);
        assert_true(fabs(mx) < 1e-6 && fabs(my) < 1e-6 && fabs(d - 1.0) < 1e-5);
    }
    dataset_free(&ds);

    /* inspect reports components, fps and frames */
    struct cli_result r = run_cli("inspect", "--data", dir, "--include-hands", "--include-face",
                                  "--window", "3", NULL);
    if (r.exit_code != 0) fail_msg("inspect failed: %s", r.err);
    assert_non_null(strstr(r.out, "op_v01.pose: pose-format, openpose, 3 frames, fps 25"));
    assert_non_null(strstr(r.out, "rec/: OpenPose JSON, openpose, 5 frames, fps 0"));
    assert_non_null(strstr(r.out, "pose_keypoints_2d        25      XYC"));
    assert_non_null(strstr(r.out, "skeleton             openpose"));
    cli_result_free(&r);
    tmpdir_remove(dir);
    free(dir);
}

static void test_openpose_graph(void **state)
{
    (void)state;
    struct joint_layout l;
    struct error err;
    if (joint_layout_init_skeleton(&l, SKELETON_OPENPOSE, true, true, true, FACE_POINTS_ALL,
                                   70, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(l.num_joints, 137);
    int edges[GRAPH_MEDIAPIPE_MAX_EDGES][2];
    size_t n;
    if (graph_openpose_edges(&l, edges, GRAPH_MEDIAPIPE_MAX_EDGES, &n, &err))
        fail_msg("%s", err.msg);
    /* 24 body + 2×20 hands + 2 wrist links + 65 face + nose–nose tip */
    assert_int_equal(n, 24 + 40 + 2 + 65 + 1);
    bool lw = false, rw = false, nose = false;
    for (size_t e = 0; e < n; e++) {
        lw |= edges[e][0] == 7 && edges[e][1] == 25;      /* LWrist – left hand 0 */
        rw |= edges[e][0] == 4 && edges[e][1] == 25 + 21; /* RWrist – right hand 0 */
        nose |= edges[e][0] == 0 && edges[e][1] == 67 + 30;
    }
    assert_true(lw && rw && nose);
    struct graph g;
    if (graph_build(&g, GRAPH_AUTO, &l, PARTITION_SPATIAL, &err)) fail_msg("%s", err.msg);
    assert_int_equal(g.num_joints, 137);
    assert_int_equal(g.A[0].nnz + g.A[1].nnz + g.A[2].nnz, 137 + 2 * n);
    graph_free(&g);
    /* the MediaPipe builder refuses OpenPose joints */
    assert_int_equal(graph_build(&g, GRAPH_MEDIAPIPE, &l, PARTITION_SPATIAL, &err), -1);
    /* lips: 20 points, no nose tip, no link */
    if (joint_layout_init_skeleton(&l, SKELETON_OPENPOSE, true, false, true, FACE_POINTS_LIPS,
                                   70, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(l.num_joints, 45);
    if (graph_openpose_edges(&l, edges, GRAPH_MEDIAPIPE_MAX_EDGES, &n, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(n, 24 + 20);
}

/* An OpenPose JSON recording written by the test: a signer whose right hand is raised (label
 * "up") or lowered ("down") in stretches, the other joints still with a little jitter. */
static void write_op_recording(const char *root, const char *id, unsigned seed, size_t frames,
                               FILE *gt)
{
    char *dir = path_join(root, id);
    mkdir(dir, 0777);
    unsigned s = seed * 2654435761u + 1u;
    for (size_t t = 0; t < frames; t++) {
        bool up = (t / 10 + seed) % 2 == 0;
        if (t % 5 == 0) fprintf(gt, "%s %zu %s\n", id, t, up ? "up" : "down");
        size_t cap = 1 << 15, len = 0;
        char *buf = malloc(cap);
        len += (size_t)snprintf(buf + len, cap - len, "{\"version\":1.3,\"people\":[{");
        static const char *const keys[] = {"pose_keypoints_2d", "hand_left_keypoints_2d",
                                           "hand_right_keypoints_2d", "face_keypoints_2d"};
        static const size_t pts[] = {25, 21, 21, 70};
        for (int k = 0; k < 4; k++) {
            len += (size_t)snprintf(buf + len, cap - len, "%s\"%s\":[", k ? "," : "", keys[k]);
            for (size_t j = 0; j < pts[k]; j++) {
                s = s * 1103515245u + 12345u;
                double jit = (double)((s >> 16) & 1023) / 1023.0 - 0.5;
                double x = 300.0 + 10.0 * (double)j + jit, y = 200.0 + 7.0 * (double)(j % 5);
                if (k == 0 && j == 2) x = 250.0, y = 250.0;   /* RShoulder */
                if (k == 0 && j == 5) x = 350.0, y = 250.0;   /* LShoulder */
                if (k == 2) y += up ? -120.0 : 60.0;          /* the right hand */
                if (k == 0 && j == 4) y += up ? -120.0 : 60.0; /* RWrist */
                len += (size_t)snprintf(buf + len, cap - len, "%s%.3f,%.3f,%.3f", j ? "," : "",
                                        x, y, 0.9);
            }
            len += (size_t)snprintf(buf + len, cap - len, "]");
        }
        snprintf(buf + len, cap - len, "}]}");
        char name[256];
        snprintf(name, sizeof name, "%s_%012zu_keypoints.json", id, t);
        char *p = path_join(dir, name);
        write_text_file(p, buf);
        free(p);
        free(buf);
    }
    free(dir);
}

static void test_train_on_openpose_graph(void **state)
{
    (void)state;
    char *root = tmpdir_make(), *data = path_join(root, "data"), *out = path_join(root, "run");
    mkdir(data, 0777);
    char *gtp = path_join(data, "groundtruth.txt");
    FILE *gt = fopen(gtp, "w");
    assert_non_null(gt);
    for (unsigned v = 0; v < 6; v++) {
        char id[16];
        snprintf(id, sizeof id, "signer%u", v);
        write_op_recording(data, id, v, 40, gt);
    }
    fclose(gt);
    struct cli_result r = run_cli("train", "--data", data, "--include-hands", "--window", "10",
                                  "--stride", "5", "--epochs", "2", "--batch", "8", "--out", out,
                                  "--threads", "2", NULL);
    if (r.exit_code != 0) fail_msg("train failed (%d): %s", r.exit_code, r.err);
    assert_non_null(strstr(r.out, "epoch 2/2"));
    assert_non_null(strstr(r.out, "\"graph\":\"openpose\""));
    assert_non_null(strstr(r.out, "\"skeleton\":\"openpose\""));
    assert_non_null(strstr(r.out, "\"num_joints\":67"));
    cli_result_free(&r);
    /* predict with the checkpoint on the same folder: the stored skeleton rebuilds the model */
    char *ckpt = path_join(out, "last.safetensors"), *csv = path_join(root, "p.csv");
    r = run_cli("predict", "--ckpt", ckpt, "--data", data, "--out", csv, NULL);
    if (r.exit_code != 0) fail_msg("predict failed (%d): %s", r.exit_code, r.err);
    cli_result_free(&r);
    /* --graph mediapipe on OpenPose data is refused */
    r = run_cli("train", "--data", data, "--graph", "mediapipe", "--epochs", "1", "--out", out,
                NULL);
    assert_int_equal(r.exit_code, 1);
    assert_non_null(strstr(r.err, "--graph mediapipe needs MediaPipe landmarks"));
    cli_result_free(&r);
    free(ckpt);
    free(csv);
    free(gtp);
    tmpdir_remove(root);
    free(root);
    free(data);
    free(out);
}

/* Every member of two npz files: same names, shapes, and values (NaN equal to NaN). */
static void assert_npz_same(const char *a, const char *b)
{
    struct npz x, y;
    struct error err;
    if (npz_open(&x, a, &err) || npz_open(&y, b, &err)) fail_msg("%s", err.msg);
    for (int p = 0; p < DATA_PART_COUNT; p++) {
        const char *name = data_part_name((enum data_part)p);
        int i = npz_find(&x, name), j = npz_find(&y, name);
        assert_int_equal(i < 0, j < 0);
        if (i < 0) continue;
        assert_int_equal(x.members[i].count, y.members[j].count);
        for (int d = 0; d < 3; d++) assert_int_equal(x.members[i].shape[d], y.members[j].shape[d]);
        size_t n = x.members[i].count;
        float *u = malloc(n * sizeof *u), *v = malloc(n * sizeof *v);
        if (npz_read_f32(&x, (size_t)i, u, n, &err) || npz_read_f32(&y, (size_t)j, v, n, &err))
            fail_msg("%s", err.msg);
        assert_same_f32(u, v, n, name);
        free(u);
        free(v);
    }
    npz_close(&x);
    npz_close(&y);
}

static void test_round_trips(void **state)
{
    (void)state;
    char *root = tmpdir_make(), *data = path_join(root, "data");
    char *poses = path_join(root, "poses"), *back = path_join(root, "back");
    struct cli_result r = run_cli("synth", "--out", data, "--videos", "2", "--signers", "2",
                                  "--frames", "40", "--seed", "3", NULL);
    if (r.exit_code != 0) fail_msg("synth failed: %s", r.err);
    cli_result_free(&r);
    char *in0 = path_join(data, "v000.npz"), *in1 = path_join(data, "v001.npz");
    r = run_cli("convert", in0, in1, "--to", "pose", "--out", poses, "--fps", "30", NULL);
    if (r.exit_code != 0) fail_msg("convert failed: %s", r.err);
    cli_result_free(&r);
    char *p0 = path_join(poses, "v000.pose"), *p1 = path_join(poses, "v001.pose");
    r = run_cli("convert", p0, p1, "--to", "npz", "--out", back, NULL);
    if (r.exit_code != 0) fail_msg("convert back failed: %s", r.err);
    cli_result_free(&r);
    char *b0 = path_join(back, "v000.npz");
    assert_npz_same(in0, b0);
    /* the .pose is pose-format's: holistic components, fps kept */
    struct landmarks lm;
    struct error err;
    if (landmarks_read_pose(&lm, p0, 0, &err)) fail_msg("%s", err.msg);
    assert_true(lm.fps == 30.0);
    assert_int_equal(lm.width, 1024);
    assert_string_equal(lm.components[0].name, "POSE_LANDMARKS");
    landmarks_free(&lm);

    /* OpenPose → pose → npz equals OpenPose → npz, with and without --size */
    const char *rec = fixture_path("formats/openpose/rec");
    char *direct = path_join(root, "direct"), *via = path_join(root, "via"),
         *vianpz = path_join(root, "vianpz");
    const char *sizes[] = {NULL, "1920x1080"};
    for (int k = 0; k < 2; k++) {
        const char *sz = sizes[k];
        r = sz ? run_cli("convert", rec, "--to", "npz", "--out", direct, "--size", sz, NULL)
               : run_cli("convert", rec, "--to", "npz", "--out", direct, NULL);
        if (r.exit_code != 0) fail_msg("convert failed: %s", r.err);
        cli_result_free(&r);
        r = sz ? run_cli("convert", rec, "--to", "pose", "--out", via, "--size", sz, NULL)
               : run_cli("convert", rec, "--to", "pose", "--out", via, NULL);
        if (r.exit_code != 0) fail_msg("convert failed: %s", r.err);
        cli_result_free(&r);
        char *vp = path_join(via, "rec.pose");
        r = run_cli("convert", vp, "--to", "npz", "--out", vianpz, NULL);
        if (r.exit_code != 0) fail_msg("convert failed: %s", r.err);
        cli_result_free(&r);
        char *d = path_join(direct, "rec.npz"), *v = path_join(vianpz, "rec.npz");
        assert_npz_same(d, v);
        free(d);
        free(v);
        free(vp);
    }
    free(direct);
    free(via);
    free(vianpz);
    free(in0);
    free(in1);
    free(p0);
    free(p1);
    free(b0);
    tmpdir_remove(root);
    free(root);
    free(data);
    free(poses);
    free(back);
}

/* ---- bad input: one line naming the file and what was expected, exit 1 ------------------ */

static char *read_fixture(const char *rel, size_t *len)
{
    char *b = read_text_file(fixture_path(rel), len);
    assert_non_null(b);
    return b;
}

static void write_bytes(const char *path, const void *b, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(b, 1, n, f), n);
    fclose(f);
}

/* Runs inspect on dir and checks exit 1, one line on stderr, and every `want` in it. */
static void expect_failure(const char *dir, const char *want1, const char *want2)
{
    struct cli_result r = run_cli("inspect", "--data", dir, "--include-hands", NULL);
    assert_int_equal(r.exit_code, 1);
    const char *nl = strchr(r.err, '\n');
    if (!nl || nl[1] != '\0') fail_msg("expected one line, got: %s", r.err);
    if (!strstr(r.err, want1) || (want2 && !strstr(r.err, want2)))
        fail_msg("'%s' / '%s' not in: %s", want1, want2 ? want2 : "", r.err);
    cli_result_free(&r);
}

static void test_bad_truncated_pose(void **state)
{
    (void)state;
    size_t n;
    char *b = read_fixture("formats/mp_v02.pose", &n), *dir = tmpdir_make();
    char *p = path_join(dir, "cut.pose");
    write_bytes(p, b, n - 100);
    expect_failure(dir, "cut.pose': truncated body", "floats need 36864 bytes, the file has 36764");
    free(p);
    free(b);
    tmpdir_remove(dir);
    free(dir);
}

static void test_bad_unknown_version(void **state)
{
    (void)state;
    size_t n;
    char *b = read_fixture("formats/op_v01.pose", &n), *dir = tmpdir_make();
    float v = 0.3f;
    memcpy(b, &v, 4); /* little-endian machines only: the test's own shortcut */
    char *p = path_join(dir, "v03.pose");
    write_bytes(p, b, n);
    expect_failure(dir, "v03.pose': unknown version 0.3", "expected 0.1 or 0.2");
    free(p);
    free(b);
    tmpdir_remove(dir);
    free(dir);
}

static void test_bad_component_count(void **state)
{
    (void)state;
    size_t n;
    char *b = read_fixture("formats/op_v01.pose", &n), *dir = tmpdir_make();
    b[10] = (char)200; /* the component count: 200 where the file holds 4 */
    b[11] = 0;
    char *p = path_join(dir, "many.pose");
    write_bytes(p, b, n);
    expect_failure(dir, "many.pose'", " of 200");
    free(p);
    free(b);
    tmpdir_remove(dir);
    free(dir);
}

static char *one_frame_recording(const char *json)
{
    char *dir = tmpdir_make(), *rec = path_join(dir, "clip");
    mkdir(rec, 0777);
    char *f = path_join(rec, "clip_000000000000_keypoints.json");
    write_text_file(f, json);
    free(f);
    free(rec);
    return dir;
}

static void test_bad_json_without_people(void **state)
{
    (void)state;
    char *dir = one_frame_recording("{\"version\": 1.3}");
    expect_failure(dir, "clip_000000000000_keypoints.json': no 'people' list", NULL);
    tmpdir_remove(dir);
    free(dir);
}

static void test_bad_keypoint_length(void **state)
{
    (void)state;
    char json[2048];
    size_t len = (size_t)snprintf(json, sizeof json, "{\"people\":[{\"pose_keypoints_2d\":[");
    for (int i = 0; i < 74; i++) len += (size_t)snprintf(json + len, sizeof json - len, "%s1", i ? "," : "");
    snprintf(json + len, sizeof json - len, "]}]}");
    char *dir = one_frame_recording(json);
    expect_failure(dir, "clip_000000000000_keypoints.json': people[0] 'pose_keypoints_2d' has "
                        "74 numbers (expected 75",
                   NULL);
    tmpdir_remove(dir);
    free(dir);
}

static void test_bad_mixed_layouts(void **state)
{
    (void)state;
    const char *both[] = {"formats/mp_v02.pose", "formats/op_v01.pose"};
    char *dir = dataset_of(both, 2);
    expect_failure(dir, "mp_v02.pose' has the mediapipe layout",
                   "op_v01.pose' has the openpose layout");
    tmpdir_remove(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pose_v02_mediapipe),
        cmocka_unit_test(test_pose_v01_openpose),
        cmocka_unit_test(test_openpose_json),
        cmocka_unit_test(test_dataset_loads_pose_and_openpose),
        cmocka_unit_test(test_openpose_graph),
        cmocka_unit_test(test_train_on_openpose_graph),
        cmocka_unit_test(test_round_trips),
        cmocka_unit_test(test_bad_truncated_pose),
        cmocka_unit_test(test_bad_unknown_version),
        cmocka_unit_test(test_bad_component_count),
        cmocka_unit_test(test_bad_json_without_people),
        cmocka_unit_test(test_bad_keypoint_length),
        cmocka_unit_test(test_bad_mixed_layouts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
