/* test_features.c — input streams (data/features.h, graph_parents) and their round trip
 * through a checkpoint:
 *  - names parse and print back; joints are implied; unknown names are refused;
 *  - the skeleton tree: MediaPipe pose 0 is the root, 11 and 12 hang on the nose, the arm runs
 *    shoulder → elbow → wrist, each hand hangs on its pose wrist;
 *  - bones are joint minus parent, motion joint minus the previous frame, and either is zero
 *    when a side is missing, at a root and in the first frame;
 *  - train --features joints,bones,motion stores the streams, and `eval` on the validation
 *    videos (through infer.c) gives exactly the accuracy training measured on them, so
 *    inference computes the streams as training did. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "data/features.h"
#include "graph/graph.h"
#include "graph/layout.h"
#include "io/safetensors.h"
#include "testutil.h"

static void test_names(void **state)
{
    (void)state;
    char buf[64];
    assert_int_equal(features_parse("joints"), FEATURE_JOINTS);
    assert_int_equal(features_parse("motion,bones"),
                     FEATURE_JOINTS | FEATURE_BONES | FEATURE_MOTION);
    assert_int_equal(features_parse("bones"), FEATURE_JOINTS | FEATURE_BONES);
    assert_int_equal(features_parse("joints,velocity"), -1);
    assert_int_equal(features_parse(""), -1);
    assert_string_equal(features_name(FEATURE_JOINTS | FEATURE_MOTION, buf, sizeof buf),
                        "joints,motion");
    assert_int_equal(features_count(FEATURE_JOINTS | FEATURE_BONES | FEATURE_MOTION), 3);
}

static void test_parents(void **state)
{
    (void)state;
    struct joint_layout l;
    struct error err;
    if (joint_layout_init(&l, true, true, false, FACE_POINTS_ALL, 478, &err))
        fail_msg("%s", err.msg);
    int32_t parent[75];
    if (graph_parents(GRAPH_MEDIAPIPE, &l, parent, &err)) fail_msg("%s", err.msg);
    assert_int_equal(parent[0], -1);
    assert_int_equal(parent[11], 0);
    assert_int_equal(parent[12], 0);
    assert_int_equal(parent[13], 11);
    assert_int_equal(parent[15], 13);
    assert_int_equal(parent[16], 14);
    assert_int_equal(parent[33], 15); /* left hand 0 on the left wrist */
    assert_int_equal(parent[54], 16);
    assert_int_equal(parent[34], 33); /* thumb CMC on the hand's wrist */
    for (int j = 1; j < 75; j++) assert_true(parent[j] >= 0 && parent[j] < 75);
    if (graph_parents(GRAPH_CHAIN, &l, parent, &err)) fail_msg("%s", err.msg);
    assert_int_equal(parent[0], -1);
    assert_int_equal(parent[40], 39);
}

static void test_streams(void **state)
{
    (void)state;
    enum { T = 3, J = 3, C = 2 };
    const int32_t parent[J] = {-1, 0, 1};
    float x[T * J * C] = {
        1, 2, 3, 5, 0, 0,   /* t0: joint 2 missing */
        2, 2, 4, 7, 6, 1,   /* t1 */
        0, 0, 5, 5, 7, 3,   /* t2: joint 0 missing */
    };
    float out[T * J * C * 3];
    features_apply(x, 1, T, J, C, FEATURE_JOINTS | FEATURE_BONES | FEATURE_MOTION, parent, out);
    const float want[T * J * C * 3] = {
        /* joint (2) | bone (2) | motion (2) */
        1, 2, 0, 0, 0, 0,   3, 5, 2, 3, 0, 0,   0, 0, 0, 0, 0, 0,
        2, 2, 0, 0, 1, 0,   4, 7, 2, 5, 1, 2,   6, 1, 2, -6, 0, 0,
        0, 0, 0, 0, 0, 0,   5, 5, 0, 0, 1, -2,  7, 3, 2, -2, 1, 2,
    };
    assert_memory_equal(out, want, sizeof want);
    /* motion alone: the channels are joints then motion */
    float out2[T * J * C * 2];
    features_apply(x, 1, T, J, C, FEATURE_JOINTS | FEATURE_MOTION, parent, out2);
    assert_true(out2[(1 * J + 1) * 4 + 2] == 1 && out2[(1 * J + 1) * 4 + 3] == 2);
}

/* ---- through a checkpoint ---------------------------------------------------------------- */

static char *root, *data;

static int setup(void **state)
{
    (void)state;
    synth_dataset_make(&root, &data, 6, 3, 60, 3);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    synth_dataset_remove(&root, &data);
    return 0;
}

static void test_train_and_eval(void **state)
{
    (void)state;
    char *out = path_join(root, "run"), *splits = path_join(root, "splits.json");
    char *last = path_join(out, "last.safetensors"), *json = path_join(root, "eval.json");
    struct cli_result r = run_cli("splits", "--data", data, "--window", "10", "--stride", "5",
                                  "--out", splits, NULL);
    if (r.exit_code != 0) fail_msg("splits failed: %s", r.err);
    cli_result_free(&r);
    r = run_cli("train", "--data", data, "--include-hands", "--window", "10", "--stride", "5",
                "--epochs", "1", "--batch", "8", "--threads", "2", "--splits-json", splits,
                "--features", "joints,bones,motion", "--log-csv", "--out", out, NULL);
    if (r.exit_code != 0) fail_msg("train failed: %s", r.err);
    assert_non_null(strstr(r.out, "\"features\":[\"joints\",\"bones\",\"motion\"]"));
    cli_result_free(&r);
    r = run_cli("eval", "--ckpt", last, "--data", data, "--splits-json", splits, "--split",
                "val", "--threads", "2", "--out-dir", root, "--json", json, NULL);
    if (r.exit_code != 0) fail_msg("eval failed: %s", r.err);
    cli_result_free(&r);
    char *text = read_text_file(json, NULL);
    cJSON *e = cJSON_Parse(text);
    assert_non_null(e);
    double acc = cJSON_GetObjectItem(cJSON_GetObjectItem(e, "metrics"), "acc")->valuedouble;
    char *csvp = path_join(out, "metrics.csv");
    char *csv = read_text_file(csvp, NULL);
    double v[5];
    int ep;
    const char *row = strchr(csv, '\n') + 1;
    assert_int_equal(sscanf(row, "%d,%lf,%lf,%lf,%lf", &ep, &v[0], &v[1], &v[2], &v[3]), 5);
    assert_true(acc == v[3]); /* val_acc of the epoch that wrote last.safetensors */
    cJSON_Delete(e);
    free(text);
    free(csv);
    free(csvp);
    free(out);
    free(splits);
    free(last);
    free(json);
}

int main(void)
{
    const struct CMUnitTest unit[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_parents),
        cmocka_unit_test(test_streams),
    };
    const struct CMUnitTest cli[] = {cmocka_unit_test(test_train_and_eval)};
    int fails = cmocka_run_group_tests_name("features", unit, NULL, NULL);
    return fails + cmocka_run_group_tests_name("features_cli", cli, setup, teardown);
}
