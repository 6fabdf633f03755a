/* test_train_cli.c — `signstgcn train` and `signstgcn predict` end to end on a small
 * synthetic dataset written by `signstgcn synth`:
 *  - a run writes last/best checkpoints, metrics.csv and training_curves.png, and its loss falls;
 *  - every flag reaches the configuration stored in the checkpoint;
 *  - an interrupted run (SIGINT through the real handler, mid-epoch) resumed with --resume ends
 *    with tensors bit-identical to an uninterrupted run;
 *  - predict writes one row per window with probabilities that sum to 1, from --data or
 *    --input files, and the embeddings;
 *  - usage errors exit 2, contradictions with the data exit 1 with a clear message. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/error.h"
#include "io/npz.h"
#include "io/safetensors.h"
#include "pngutil.h"
#include "testutil.h"

static char *root, *data;

static int setup(void **state)
{
    (void)state;
    synth_dataset_make(&root, &data, 8, 4, 90, 1);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    synth_dataset_remove(&root, &data);
    return 0;
}

static bool exists(const char *dir, const char *name)
{
    char *p = path_join(dir, name);
    struct stat st;
    bool ok = stat(p, &st) == 0 && st.st_size > 0;
    free(p);
    return ok;
}

/* The checkpoint's config JSON. */
static cJSON *stored_config(const char *dir, const char *file)
{
    char *p = path_join(dir, file);
    struct safetensors st;
    struct error err;
    if (safetensors_open(&st, p, &err)) fail_msg("%s", err.msg);
    cJSON *c = cJSON_Parse(safetensors_meta_get(&st, "config"));
    assert_non_null(c);
    safetensors_free(&st);
    free(p);
    return c;
}

static double jnum(const cJSON *c, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(c, k);
    if (!cJSON_IsNumber(v)) fail_msg("config has no number '%s'", k);
    return v->valuedouble;
}
static bool jbool(const cJSON *c, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(c, k);
    if (!cJSON_IsBool(v)) fail_msg("config has no boolean '%s'", k);
    return cJSON_IsTrue(v);
}
static const char *jstr(const cJSON *c, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(c, k);
    if (!cJSON_IsString(v)) fail_msg("config has no string '%s'", k);
    return v->valuestring;
}

static void test_run_outputs_and_loss_falls(void **state)
{
    (void)state;
    char *out = path_join(root, "run_basic");
    struct cli_result r = run_cli("train", "--data", data, "--stride", "5", "--epochs", "4",
                                  "--batch", "8", "--out", out, "--log-csv", "--save-best",
                                  "--threads", "2", NULL);
    if (r.exit_code != 0) fail_msg("train failed (%d): %s", r.exit_code, r.err);
    assert_non_null(strstr(r.out, "config: {"));
    assert_non_null(strstr(r.out, "epoch 4/4"));
    cli_result_free(&r);
    assert_true(exists(out, "last.safetensors"));
    assert_true(exists(out, "best.safetensors"));
    char *csvp = path_join(out, "metrics.csv");
    char *csv = read_text_file(csvp, NULL);
    assert_non_null(csv);
    assert_memory_equal(csv, "epoch,train_loss,train_acc,val_loss,val_acc,val_pr_auc,val_f1",
                        strlen("epoch,train_loss,train_acc,val_loss,val_acc,val_pr_auc,val_f1"));
    /* the training loss of the last epoch is below the first's */
    double first = -1, last = -1;
    int ep;
    for (char *line = strchr(csv, '\n'); line && line[1]; line = strchr(line + 1, '\n')) {
        double tl;
        if (sscanf(line + 1, "%d,%lf", &ep, &tl) == 2) {
            if (first < 0) first = tl;
            last = tl;
        }
    }
    assert_int_equal(ep, 4);
    assert_true(last < first);
    free(csv);
    free(csvp);
    char *png = path_join(out, "training_curves.png");
    struct png_rgb img;
    char msg[256];
    assert_int_equal(png_rgb_read(png, &img, msg, sizeof msg), 0);
    assert_int_equal(img.width, 1000);
    assert_true(png_rgb_distinct(&img) > 20);
    png_rgb_free(&img);
    free(png);
    /* best.safetensors has SPEC §6's metadata */
    cJSON *c = stored_config(out, "best.safetensors");
    assert_int_equal((int)jnum(c, "num_joints"), 33);
    assert_string_equal(jstr(c, "signer_source"), "none");
    cJSON_Delete(c);
    free(out);
}

static void test_flags_reach_the_configuration(void **state)
{
    (void)state;
    char *out = path_join(root, "run_flags");
    struct cli_result r = run_cli(
        "train", "--data", data, "--stride", "5", "--epochs", "1", "--batch", "6", "--out", out,
        "--binary", "--signing-labels", "s1,s2,s3,s4", "--no-class-weights", "--clip-grad", "1",
        "--weight-decay", "0.01", "--lr", "0.002", "--graph", "chain", "--partition", "uniform",
        "--use-film-attention", "--use-supcon", "--supcon-weight", "0.2", "--supcon-temp", "0.1",
        "--use-pseudo-signers", "--num-pseudo-signers", "2", "--pseudo-seed", "3", "--pseudo-by",
        "window", "--signer-loss-weight", "0.3", "--lambda-grl", "0.7", "--grl-schedule", "dann",
        "--max-files", "7", "--max-samples", "40", "--best-metric", "f1", "--seed", "5",
        "--threads", "1", "--fixed-threads", NULL);
    if (r.exit_code != 0) fail_msg("train failed (%d): %s", r.exit_code, r.err);
    assert_non_null(strstr(r.out, "pseudo-signers: K-means with K=2"));
    assert_non_null(strstr(r.out, "40 train"));
    cli_result_free(&r);
    cJSON *c = stored_config(out, "last.safetensors");
    assert_true(jbool(c, "binary"));
    assert_false(jbool(c, "class_weights"));
    assert_true(jnum(c, "clip_grad") == 1.0);
    assert_true(jnum(c, "weight_decay") == 0.01);
    assert_true(jnum(c, "lr") == 0.002);
    assert_string_equal(jstr(c, "graph"), "chain");
    assert_string_equal(jstr(c, "partition"), "uniform");
    assert_true(jbool(c, "use_film_attention"));
    assert_true(jbool(c, "use_supcon"));
    assert_true(jnum(c, "supcon_weight") == 0.2 && jnum(c, "supcon_temp") == 0.1);
    assert_true(jbool(c, "use_pseudo_signers"));
    assert_string_equal(jstr(c, "signer_source"), "pseudo");
    assert_true(jnum(c, "num_pseudo_signers") == 2 && jnum(c, "pseudo_seed") == 3);
    assert_string_equal(jstr(c, "pseudo_by"), "window");
    assert_true(jnum(c, "signer_loss_weight") == 0.3 && jnum(c, "lambda_grl") == 0.7);
    assert_string_equal(jstr(c, "grl_schedule"), "dann");
    assert_true(jnum(c, "max_files") == 7 && jnum(c, "max_samples") == 40);
    assert_string_equal(jstr(c, "best_metric"), "f1");
    assert_true(jnum(c, "seed") == 5 && jnum(c, "threads") == 1);
    assert_true(jbool(c, "fixed_threads"));
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(c, "pseudo_centroids")), 2);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(c, "classes")), 2);
    cJSON_Delete(c);
    free(out);

    /* the other half: real signers with MI, explicit classes and outputs, a splits file,
     * and the data flags */
    char *splits = path_join(root, "splits.json");
    r = run_cli("splits", "--data", data, "--s-label", "s1", "--stride", "4", "--window", "20",
                "--train", "0.75", "--val", "0.25", "--test", "0", "--out", splits, NULL);
    if (r.exit_code != 0) fail_msg("splits failed: %s", r.err);
    cli_result_free(&r);
    char *gt = path_join(data, "groundtruth.txt"), *sg = path_join(data, "signers.txt");
    out = path_join(root, "run_flags2");
    r = run_cli("train", "--data", data, "--groundtruth", gt, "--signers", sg, "--window", "20",
                "--stride", "4", "--coords", "3", "--include-hands", "--label-fill", "previous",
                "--normalize", "none", "--no-zero-is-missing", "--signer-source", "real",
                "--use-mi-minimization", "--mi-weight", "0.2", "--mi-hidden-dim", "16",
                "--classes", "n,s1,s2", "--num-classes", "4", "--splits-json", splits,
                "--epochs", "1", "--batch", "8", "--out", out, "--threads", "2", NULL);
    if (r.exit_code != 0) fail_msg("train failed (%d): %s", r.exit_code, r.err);
    assert_non_null(strstr(r.err, "unused")); /* --num-classes above the classes warns */
    cli_result_free(&r);
    c = stored_config(out, "last.safetensors");
    assert_string_equal(jstr(c, "groundtruth"), gt);
    assert_string_equal(jstr(c, "signers_file"), sg);
    assert_true(jnum(c, "window") == 20 && jnum(c, "stride") == 4 && jnum(c, "coords") == 3);
    assert_true(jbool(c, "include_hands"));
    assert_string_equal(jstr(c, "label_fill"), "previous");
    assert_string_equal(jstr(c, "normalize"), "none");
    assert_false(jbool(c, "zero_is_missing"));
    assert_string_equal(jstr(c, "signer_source"), "real");
    assert_true(jbool(c, "use_mi_minimization"));
    assert_true(jnum(c, "mi_weight") == 0.2 && jnum(c, "mi_hidden_dim") == 16);
    assert_true(jnum(c, "num_classes") == 4 && jnum(c, "num_joints") == 75);
    assert_string_equal(jstr(c, "splits_json"), splits);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(c, "signers")), (int)jnum(c, "num_signers"));
    cJSON *cls = cJSON_GetObjectItem(c, "classes");
    assert_string_equal(cJSON_GetArrayItem(cls, 2)->valuestring, "s2");
    assert_string_equal(cJSON_GetArrayItem(cls, 3)->valuestring, "3");
    cJSON_Delete(c);
    free(out);

    /* the part flags: no pose, hands and the lips of the face */
    out = path_join(root, "run_flags3");
    r = run_cli("train", "--data", data, "--no-include-pose", "--include-hands", "--include-face",
                "--face-points", "lips", "--stride", "10", "--epochs", "1", "--batch", "8",
                "--out", out, "--threads", "2", NULL);
    if (r.exit_code != 0) fail_msg("train failed (%d): %s", r.exit_code, r.err);
    cli_result_free(&r);
    c = stored_config(out, "last.safetensors");
    assert_false(jbool(c, "include_pose"));
    assert_true(jbool(c, "include_hands") && jbool(c, "include_face"));
    assert_string_equal(jstr(c, "face_points"), "lips");
    assert_true(jnum(c, "num_joints") == 42 + 40);
    cJSON_Delete(c);
    free(out);
    out = path_join(root, "run_flags4");
    r = run_cli("train", "--data", data, "--include-pose", "--stride", "10", "--epochs", "1",
                "--out", out, "--threads", "2", NULL);
    if (r.exit_code != 0) fail_msg("train failed (%d): %s", r.exit_code, r.err);
    cli_result_free(&r);
    c = stored_config(out, "last.safetensors");
    assert_true(jbool(c, "include_pose") && !jbool(c, "include_hands"));
    cJSON_Delete(c);
    free(out);
    free(gt);
    free(sg);
    free(splits);
}

/* Every tensor of two checkpoints equal, but the loop history's wall-clock column. */
static void assert_same_tensors(const char *a_path, const char *b_path)
{
    struct safetensors a, b;
    struct error err;
    if (safetensors_open(&a, a_path, &err) || safetensors_open(&b, b_path, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(a.num_tensors, b.num_tensors);
    for (size_t i = 0; i < a.num_tensors; i++) {
        const struct st_tensor *ta = &a.tensors[i], *tb = &b.tensors[i];
        assert_string_equal(ta->name, tb->name);
        if (!strcmp(ta->name, "optim.loop.history")) continue; /* holds seconds per epoch */
        assert_int_equal(ta->end - ta->begin, tb->end - tb->begin);
        if (memcmp(a.data + ta->begin, b.data + tb->begin, ta->end - ta->begin))
            fail_msg("tensor %s differs after resume", ta->name);
    }
    safetensors_free(&a);
    safetensors_free(&b);
}

static void test_interrupt_and_resume_bit_identical(void **state)
{
    (void)state;
    char *a = path_join(root, "run_whole"), *b = path_join(root, "run_cut");
    const char *common[] = {"train", "--data", data, "--stride", "5", "--epochs", "2",
                            "--batch", "8", "--threads", "2", "--use-pseudo-signers",
                            "--num-pseudo-signers", "2", "--out", NULL, NULL, NULL};
    const char *args[20];
    memcpy(args, common, sizeof common);
    args[15] = a;
    struct cli_result r = run_cliv(args);
    if (r.exit_code != 0) fail_msg("train failed: %s", r.err);
    cli_result_free(&r);
    args[15] = b;
    setenv("SIGNSTGCN_INTERRUPT_AFTER_STEPS", "7", 1); /* mid-epoch: 13 batches an epoch */
    r = run_cliv(args);
    unsetenv("SIGNSTGCN_INTERRUPT_AFTER_STEPS");
    assert_int_equal(r.exit_code, 130);
    assert_non_null(strstr(r.out, "interrupted in epoch 1 after batch 7"));
    cli_result_free(&r);
    args[16] = "--resume";
    r = run_cliv(args);
    if (r.exit_code != 0) fail_msg("resume failed: %s", r.err);
    assert_non_null(strstr(r.out, "mid-epoch"));
    cli_result_free(&r);
    char *la = path_join(a, "last.safetensors"), *lb = path_join(b, "last.safetensors");
    assert_same_tensors(la, lb);
    free(la);
    free(lb);
    /* resuming with other options is refused */
    args[4] = "4";
    r = run_cliv(args);
    assert_int_equal(r.exit_code, 1);
    assert_non_null(strstr(r.err, "other options"));
    cli_result_free(&r);
    free(a);
    free(b);
}

static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++) n += *s == '\n';
    return n;
}

static void test_predict(void **state)
{
    (void)state;
    char *out = path_join(root, "run_predict");
    struct cli_result r = run_cli("train", "--data", data, "--stride", "5", "--epochs", "1",
                                  "--batch", "8", "--out", out, "--save-best", "--threads", "2",
                                  "--binary", "--signing-labels", "s1,s2,s3,s4", NULL);
    if (r.exit_code != 0) fail_msg("train failed: %s", r.err);
    cli_result_free(&r);
    char *ckpt = path_join(out, "best.safetensors"), *csv = path_join(root, "pred.csv");
    char *emb = path_join(root, "emb.npz");
    r = run_cli("predict", "--ckpt", ckpt, "--data", data, "--out", csv, "--save-embeddings",
                emb, NULL);
    if (r.exit_code != 0) fail_msg("predict failed: %s", r.err);
    cli_result_free(&r);
    char *text = read_text_file(csv, NULL);
    assert_non_null(text);
    assert_memory_equal(text, "video,start,end,label,p_not_signing,p_signing,pred\n", 51);
    /* 8 videos of 90 frames, window 25, stride 5: 14 windows each */
    assert_int_equal(count_lines(text), 1 + 8 * 14);
    char *line = strchr(text, '\n') + 1;
    char video[64], label[64], pred[64];
    unsigned start, end;
    double p0, p1;
    assert_int_equal(sscanf(line, "%63[^,],%u,%u,%63[^,],%lf,%lf,%63s", video, &start, &end,
                            label, &p0, &p1, pred), 7);
    assert_true(start == 0 && end == 25);
    assert_true(fabs(p0 + p1 - 1.0) < 1e-6);
    assert_string_equal(pred, p1 > p0 ? "signing" : "not_signing");
    struct npz z;
    struct error err;
    if (npz_open(&z, emb, &err)) fail_msg("%s", err.msg);
    int iz = npz_find(&z, "Z"), is = npz_find(&z, "s");
    assert_true(iz >= 0 && is >= 0);
    assert_int_equal(z.members[iz].shape[0], 8 * 14);
    assert_int_equal(z.members[iz].shape[1], 512);
    assert_int_equal(z.members[is].shape[1], 64);
    npz_close(&z);
    /* --input files give the same rows for those videos */
    char *v0 = path_join(data, "v000.npz"), *csv2 = path_join(root, "pred2.csv");
    r = run_cli("predict", "--ckpt", ckpt, "--input", v0, "--out", csv2, NULL);
    if (r.exit_code != 0) fail_msg("predict --input failed: %s", r.err);
    cli_result_free(&r);
    char *text2 = read_text_file(csv2, NULL);
    assert_int_equal(count_lines(text2), 1 + 14);
    /* same rows; probabilities equal up to the GEMM's blocking for another batch size */
    const char *p = strchr(text, '\n') + 1, *q = strchr(text2, '\n') + 1;
    for (int row = 0; row < 14; row++) {
        char v1[64], v2[64], l1[64], l2[64];
        unsigned s1, s2, e1, e2;
        double a0, a1, b0, b1;
        assert_int_equal(sscanf(p, "%63[^,],%u,%u,%63[^,],%lf,%lf", v1, &s1, &e1, l1, &a0, &a1), 6);
        assert_int_equal(sscanf(q, "%63[^,],%u,%u,%63[^,],%lf,%lf", v2, &s2, &e2, l2, &b0, &b1), 6);
        assert_string_equal(v1, v2);
        assert_true(s1 == s2 && e1 == e2);
        assert_string_equal(l1, l2);
        assert_true(fabs(a0 - b0) < 1e-5 && fabs(a1 - b1) < 1e-5);
        p = strchr(p, '\n') + 1;
        q = strchr(q, '\n') + 1;
    }
    /* a missing checkpoint is a clear failure */
    r = run_cli("predict", "--ckpt", "/nonexistent/best.safetensors", "--data", data, "--out",
                csv2, NULL);
    assert_int_equal(r.exit_code, 1);
    assert_non_null(strstr(r.err, "/nonexistent/best.safetensors"));
    cli_result_free(&r);
    free(text);
    free(text2);
    free(v0);
    free(csv2);
    free(ckpt);
    free(csv);
    free(emb);
    free(out);
}

static void expect_exit(int code, const char *needle, const char *const *args)
{
    struct cli_result r = run_cliv(args);
    if (r.exit_code != code)
        fail_msg("%s %s: exit %d (expected %d): %s", args[0], args[1], r.exit_code, code, r.err);
    if (needle && !strstr(r.err, needle)) fail_msg("stderr lacks '%s': %s", needle, r.err);
    cli_result_free(&r);
}

static void test_usage_and_data_errors(void **state)
{
    (void)state;
    char *out = path_join(root, "run_err");
    const char *unknown[] = {"train", "--data", data, "--bogus", NULL};
    expect_exit(2, "unknown option", unknown);
    const char *missing[] = {"train", "--data", data, "--epochs", NULL};
    expect_exit(2, "needs a value", missing);
    const char *badnum[] = {"train", "--data", data, "--epochs", "x", NULL};
    expect_exit(2, "--epochs", badnum);
    const char *neglr[] = {"train", "--data", data, "--lr", "-1", NULL};
    expect_exit(2, "--lr", neglr);
    const char *graph[] = {"train", "--data", data, "--graph", "star", NULL};
    expect_exit(2, "--graph", graph);
    const char *mi[] = {"train", "--data", data, "--use-mi-minimization", NULL};
    expect_exit(2, "signer source", mi);
    const char *nodata[] = {"train", "--epochs", "1", NULL};
    expect_exit(2, "--data", nodata);
    /* contradictions with the data */
    const char *coords[] = {"train", "--data", data, "--include-hands", "--coords", "4",
                            "--out", out, NULL};
    expect_exit(1, "channels", coords);
    const char *nc[] = {"train", "--data", data, "--num-classes", "2", "--out", out, NULL};
    expect_exit(1, "--num-classes", nc);
    const char *resume[] = {"train", "--data", data, "--out", out, "--resume", NULL};
    expect_exit(1, "last.safetensors", resume);
    const char *splits[] = {"train", "--data", data, "--splits-json", "/nonexistent.json",
                            "--out", out, NULL};
    expect_exit(1, "/nonexistent.json", splits);
    const char *k[] = {"train", "--data", data, "--use-pseudo-signers", "--num-pseudo-signers",
                       "50", "--out", out, NULL};
    expect_exit(1, "--num-pseudo-signers", k);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_run_outputs_and_loss_falls),
        cmocka_unit_test(test_flags_reach_the_configuration),
        cmocka_unit_test(test_interrupt_and_resume_bit_identical),
        cmocka_unit_test(test_predict),
        cmocka_unit_test(test_usage_and_data_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
