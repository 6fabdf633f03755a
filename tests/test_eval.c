/* test_eval.c — `signstgcn eval` end to end on a small synthetic dataset (`signstgcn synth`,
 * 8 videos of 4 signers, 90 frames, windows of 10 frames every 5) and 1-epoch models:
 *  - the table and the files (confusion_matrix.csv/.png, --json) exist; the confusion matrix
 *    sums to the evaluated windows and its diagonal gives the accuracy; the JSON has every
 *    field; the PNG is a real image;
 *  - on the validation split eval reproduces the loss and metrics training logged for the
 *    same checkpoint (metrics.csv), with the class weights training printed, recomputed;
 *  - --split selects the split's videos, and no --splits-json means every video;
 *  - real signers from the signers file, else the checkpoint's pseudo-signers, and the probe
 *    beside its chance level;
 *  - bad input: a missing checkpoint, an unknown --split, --split without a splits file, a
 *    split file without a test split, a split without labelled windows. */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pngutil.h"
#include "testutil.h"

static char *root, *data, *splits, *bin_run, *multi_run, *bin_train_out;

static void must(struct cli_result *r, const char *what)
{
    if (r->exit_code != 0) fail_msg("%s failed (%d): %s", what, r->exit_code, r->err);
}

static int setup(void **state)
{
    (void)state;
    root = tmpdir_make();
    data = path_join(root, "data");
    struct cli_result r = run_cli("synth", "--out", data, "--videos", "8", "--signers", "4",
                                  "--frames", "90", "--seed", "1", NULL);
    must(&r, "synth");
    cli_result_free(&r);
    /* train v000-v003, val v004 v005, test v006 v007 (signers: two videos each) */
    splits = path_join(root, "splits.json");
    write_text_file(splits, "{\"splits\": {"
                            "\"train\": {\"videos\": [\"v000\", \"v001\", \"v002\", \"v003\"]},"
                            "\"val\": {\"videos\": [\"v004\", \"v005\"]},"
                            "\"test\": {\"videos\": [\"v006\", \"v007\"]}}}");
    bin_run = path_join(root, "bin");
    r = run_cli("train", "--data", data, "--splits-json", splits, "--window", "10", "--stride",
                "5", "--epochs", "1", "--batch", "8", "--binary", "--signing-labels", "s1,s2,s3,s4",
                "--signer-source", "real", "--log-csv", "--out", bin_run, "--threads", "2", NULL);
    must(&r, "binary train");
    bin_train_out = r.out;
    r.out = NULL;
    cli_result_free(&r);
    multi_run = path_join(root, "multi");
    r = run_cli("train", "--data", data, "--window", "10", "--stride", "5", "--epochs", "1",
                "--batch", "8",
                "--use-pseudo-signers", "--num-pseudo-signers", "2", "--out", multi_run,
                "--threads", "2", NULL);
    must(&r, "multi-class train");
    cli_result_free(&r);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tmpdir_remove(root);
    free(root);
    free(data);
    free(splits);
    free(bin_run);
    free(multi_run);
    free(bin_train_out);
    return 0;
}

static cJSON *read_json(const char *path)
{
    char *t = read_text_file(path, NULL);
    if (!t) fail_msg("no file %s", path);
    cJSON *j = cJSON_Parse(t);
    free(t);
    if (!j) fail_msg("%s is not JSON", path);
    return j;
}

static const cJSON *get(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    if (!v) fail_msg("JSON has no field '%s'", k);
    return v;
}

static double num(const cJSON *o, const char *k)
{
    const cJSON *v = get(o, k);
    if (!cJSON_IsNumber(v)) fail_msg("JSON field '%s' is not a number", k);
    return v->valuedouble;
}

/* Runs eval with the checkpoint of `run`, extra arguments, --json and --out-dir in `out`. */
static cJSON *eval_json(const char *run, const char *out, const char *a1, const char *a2,
                        const char *a3, const char *a4, char **stdout_text)
{
    char *ckpt = path_join(run, "last.safetensors"), *json = path_join(out, "eval.json");
    const char *argv[20] = {"eval", "--ckpt", ckpt, "--data", data, "--out-dir", out,
                            "--json", json, "--batch", "8", "--threads", "2"};
    int n = 13;
    const char *extra[4] = {a1, a2, a3, a4};
    for (int i = 0; i < 4 && extra[i]; i++) argv[n++] = extra[i];
    argv[n] = NULL;
    struct cli_result r = run_cliv(argv);
    must(&r, "eval");
    cJSON *j = read_json(json);
    if (stdout_text) {
        *stdout_text = r.out;
        r.out = NULL;
    }
    cli_result_free(&r);
    free(ckpt);
    free(json);
    return j;
}

/* The per_video names joined by spaces. */
static void videos_of(const cJSON *j, char *buf, size_t cap)
{
    buf[0] = '\0';
    const cJSON *v;
    cJSON_ArrayForEach(v, get(j, "per_video")) {
        if (buf[0]) strncat(buf, " ", cap - strlen(buf) - 1);
        strncat(buf, get(v, "video")->valuestring, cap - strlen(buf) - 1);
    }
}

static void test_table_files_and_json(void **state)
{
    (void)state;
    char *out = path_join(root, "eval_test");
    char *text = NULL;
    cJSON *j = eval_json(bin_run, out, "--splits-json", splits, "--split", "test", &text);
    /* the table */
    const char *want[] = {"metric", "balanced_acc", "pr_auc", "confusion matrix",
                          "not_signing", "signing", "v006", "v007", "signers: real",
                          "signer probe", "vs chance (majority signer)"};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (!strstr(text, want[i])) fail_msg("the table lacks '%s':\n%s", want[i], text);
    free(text);
    /* the JSON's fields */
    assert_string_equal(get(j, "split")->valuestring, "test");
    const cJSON *m = get(j, "metrics");
    const char *keys[] = {"loss", "acc", "balanced_acc", "f1", "pr_auc"};
    for (size_t i = 0; i < 5; i++) assert_true(isfinite(num(m, keys[i])));
    double windows = num(j, "windows");
    assert_true(windows > 0);
    /* the confusion matrix: sums to the windows, diagonal / windows = accuracy */
    const cJSON *cm = get(j, "confusion_matrix"), *row;
    assert_int_equal(cJSON_GetArraySize(cm), 2);
    double sum = 0, diag = 0;
    int t = 0;
    cJSON_ArrayForEach(row, cm) {
        assert_int_equal(cJSON_GetArraySize(row), 2);
        for (int p = 0; p < 2; p++) {
            double v = cJSON_GetArrayItem(row, p)->valuedouble;
            sum += v;
            if (p == t) diag += v;
        }
        t++;
    }
    assert_true(sum == windows);
    assert_true(fabs(diag / windows - num(m, "acc")) < 1e-12);
    /* the CSV holds the same matrix */
    char *csvp = path_join(out, "confusion_matrix.csv");
    char *csv = read_text_file(csvp, NULL);
    assert_non_null(csv);
    unsigned long c00, c01, c10, c11;
    assert_int_equal(sscanf(csv, "true\\predicted,not_signing,signing\nnot_signing,%lu,%lu\n"
                                 "signing,%lu,%lu", &c00, &c01, &c10, &c11), 4);
    assert_true((double)(c00 + c01 + c10 + c11) == windows);
    assert_true((double)c00 == cJSON_GetArrayItem(cJSON_GetArrayItem(cm, 0), 0)->valuedouble);
    assert_true((double)c11 == cJSON_GetArrayItem(cJSON_GetArrayItem(cm, 1), 1)->valuedouble);
    free(csv);
    free(csvp);
    /* the PNG is a real heat map */
    char *png = path_join(out, "confusion_matrix.png");
    struct png_rgb img;
    char msg[256];
    if (png_rgb_read(png, &img, msg, sizeof msg)) fail_msg("%s", msg);
    assert_int_equal(img.width, 800);
    assert_int_equal(img.height, 700);
    assert_true(png_rgb_distinct(&img) > 20);
    png_rgb_free(&img);
    free(png);
    /* per video, per signer, the probe */
    char vids[256];
    videos_of(j, vids, sizeof vids);
    assert_string_equal(vids, "v006 v007");
    const cJSON *sg = get(j, "signers");
    assert_string_equal(get(sg, "source")->valuestring, "real");
    double signer_windows = 0;
    const cJSON *s;
    cJSON_ArrayForEach(s, get(sg, "per_signer")) signer_windows += num(s, "windows");
    assert_true(signer_windows == windows);
    const cJSON *pr = get(j, "signer_probe");
    assert_true(cJSON_IsTrue(get(pr, "done")));
    double acc = num(pr, "accuracy"), chance = num(pr, "chance");
    assert_true(acc >= 0 && acc <= 1);
    assert_true(chance >= 0.5 - 1e-12 && chance < 1); /* two signers */
    assert_int_equal(cJSON_GetArraySize(get(pr, "fold_accuracy")), 5);
    cJSON_Delete(j);
    free(out);
}

/* On the validation split eval computes what training logged for the same weights. */
static void test_val_matches_training_log(void **state)
{
    (void)state;
    char *out = path_join(root, "eval_val");
    cJSON *j = eval_json(bin_run, out, "--splits-json", splits, "--split", "val", NULL);
    char *csvp = path_join(bin_run, "metrics.csv");
    char *csv = read_text_file(csvp, NULL);
    assert_non_null(csv);
    double tl, ta, vl, va, vp, vf;
    int ep;
    const char *line = strchr(csv, '\n');
    assert_non_null(line);
    assert_int_equal(sscanf(line + 1, "%d,%lf,%lf,%lf,%lf,%lf,%lf", &ep, &tl, &ta, &vl, &va,
                            &vp, &vf), 7);
    const cJSON *m = get(j, "metrics");
    /* metrics.csv has 9 significant digits */
    assert_true(fabs(num(m, "loss") - vl) <= 1e-7 * fabs(vl) + 1e-9);
    assert_true(fabs(num(m, "acc") - va) <= 1e-8);
    assert_true(fabs(num(m, "pr_auc") - vp) <= 1e-8);
    assert_true(fabs(num(m, "f1") - vf) <= 1e-8);
    /* the recomputed weights are the ones training printed */
    const cJSON *cw = get(j, "class_weights");
    assert_true(cJSON_IsTrue(get(cw, "used")));
    double w1 = cJSON_GetArrayItem(get(cw, "weights"), 1)->valuedouble;
    char want[64];
    snprintf(want, sizeof want, "class weights: [1, %.6g]", w1);
    if (!strstr(bin_train_out, want)) fail_msg("training did not print '%s'", want);
    char vids[256];
    videos_of(j, vids, sizeof vids);
    assert_string_equal(vids, "v004 v005");
    free(csv);
    free(csvp);
    cJSON_Delete(j);
    free(out);
}

static void test_split_selects_videos(void **state)
{
    (void)state;
    char *out = path_join(root, "eval_train");
    char vids[256];
    cJSON *j = eval_json(bin_run, out, "--splits-json", splits, "--split", "train", NULL);
    videos_of(j, vids, sizeof vids);
    assert_string_equal(vids, "v000 v001 v002 v003");
    cJSON_Delete(j);
    /* no splits file: every video, and the split is "all" */
    j = eval_json(bin_run, out, NULL, NULL, NULL, NULL, NULL);
    videos_of(j, vids, sizeof vids);
    assert_string_equal(vids, "v000 v001 v002 v003 v004 v005 v006 v007");
    assert_string_equal(get(j, "split")->valuestring, "all");
    assert_true(cJSON_IsNull(get(j, "splits_json")));
    cJSON_Delete(j);
    free(out);
}

/* A copy of the data folder without signers.txt (links to the npz files and groundtruth). */
static char *data_without_signers(void)
{
    char *dir = path_join(root, "data_nosigners");
    assert_int_equal(mkdir(dir, 0777), 0);
    DIR *d = opendir(data);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || !strcmp(e->d_name, "signers.txt")) continue;
        char *src = path_join(data, e->d_name), *dst = path_join(dir, e->d_name);
        assert_int_equal(symlink(src, dst), 0);
        free(src);
        free(dst);
    }
    closedir(d);
    return dir;
}

static void test_pseudo_signers(void **state)
{
    (void)state;
    char *nos = data_without_signers();
    char *out = path_join(root, "eval_pseudo"), *ckpt = path_join(multi_run, "last.safetensors");
    char *json = path_join(out, "e.json");
    struct cli_result r = run_cli("eval", "--ckpt", ckpt, "--data", nos, "--out-dir", out,
                                  "--json", json, "--threads", "2", NULL);
    must(&r, "eval (pseudo-signers)");
    assert_non_null(strstr(r.out, "pseudo-signers"));
    cli_result_free(&r);
    cJSON *j = read_json(json);
    const cJSON *sg = get(j, "signers");
    assert_string_equal(get(sg, "source")->valuestring, "pseudo");
    assert_int_equal(cJSON_GetArraySize(get(sg, "per_signer")), 2);
    assert_string_equal(get(cJSON_GetArrayItem(get(sg, "per_signer"), 0), "signer")->valuestring,
                        "pseudo_0");
    /* every window of a video has its video's pseudo-signer: the per-signer windows are sums
     * of whole videos (17 windows of 10 frames each) */
    double total = 0;
    const cJSON *s;
    cJSON_ArrayForEach(s, get(sg, "per_signer")) {
        double w = num(s, "windows");
        assert_true(fmod(w, 17.0) == 0.0);
        total += w;
    }
    assert_true(total == num(j, "windows"));
    /* multi-class: the stored classes, no weights */
    assert_false(cJSON_IsTrue(get(j, "binary")));
    assert_true(cJSON_GetArraySize(get(j, "classes")) >= 2);
    assert_false(cJSON_IsTrue(get(get(j, "class_weights"), "used")));
    const cJSON *pr = get(j, "signer_probe");
    if (cJSON_IsTrue(get(pr, "done"))) assert_true(num(pr, "chance") >= 0.5 - 1e-12);
    else assert_non_null(strstr(get(pr, "note")->valuestring, "signer"));
    cJSON_Delete(j);
    free(json);
    free(ckpt);
    free(out);
    free(nos);
}

static void expect_fail(int code, const char *msg, const char *const *argv)
{
    struct cli_result r = run_cliv(argv);
    if (r.exit_code != code || !strstr(r.err, msg))
        fail_msg("exit %d (want %d), stderr: %s (want '%s')", r.exit_code, code, r.err, msg);
    cli_result_free(&r);
}

static void test_bad_input(void **state)
{
    (void)state;
    char *ckpt = path_join(bin_run, "last.safetensors"), *missing = path_join(root, "nope.safetensors");
    char *out = path_join(root, "eval_bad");
    {
        const char *a[] = {"eval", "--ckpt", missing, "--data", data, NULL};
        expect_fail(1, "nope.safetensors", a);
    }
    {
        const char *a[] = {"eval", "--data", data, NULL};
        expect_fail(2, "--ckpt FILE is required", a);
    }
    {
        const char *a[] = {"eval", "--ckpt", ckpt, "--data", data, "--splits-json", splits,
                           "--split", "dev", NULL};
        expect_fail(2, "--split must be test, val or train (got 'dev')", a);
    }
    {
        const char *a[] = {"eval", "--ckpt", ckpt, "--data", data, "--split", "val", NULL};
        expect_fail(2, "--split needs --splits-json", a);
    }
    {
        char *two = path_join(root, "two.json");
        write_text_file(two, "{\"splits\": {\"train\": {\"videos\": [\"v000\"]},"
                             "\"val\": {\"videos\": [\"v001\"]}}}");
        const char *a[] = {"eval", "--ckpt", ckpt, "--data", data, "--splits-json", two, NULL};
        expect_fail(1, "has no test split", a);
        free(two);
    }
    {
        /* a groundtruth that labels only v000: the test split has no labelled window */
        char *gt = path_join(root, "gt_v000.txt");
        write_text_file(gt, "v000 0 n\nv000 5 s1\n");
        const char *a[] = {"eval", "--ckpt", ckpt, "--data", data, "--splits-json", splits,
                           "--groundtruth", gt, "--out-dir", out, NULL};
        expect_fail(1, "the test split's 2 video(s) have no labelled window", a);
        free(gt);
    }
    struct stat st;
    assert_true(stat(out, &st) != 0); /* nothing written on failure */
    free(out);
    free(ckpt);
    free(missing);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_files_and_json),
        cmocka_unit_test(test_val_matches_training_log),
        cmocka_unit_test(test_split_selects_videos),
        cmocka_unit_test(test_pseudo_signers),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
