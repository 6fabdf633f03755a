/* test_output_paths.c — for every command with an output flag,
 * passing any of its input paths as that output is refused before anything is written.
 *
 * For each command (splits, train, predict with --data and with --input, embed, eval,
 * variations, detect with --data and with --input, convert) a table gives a complete command line with every input flag it takes and every
 * output flag; the test substitutes, in turn, each input path — the files given to input flags,
 * the dataset folder, a video inside it and the groundtruth and signers files read from it by
 * default — for each output flag, runs the command, and requires a non-zero exit (2 when the
 * output is the input, 1 when an input file stands where a folder is to be written), one line
 * on stderr naming the output flag, and the test folder unchanged, byte for byte (tree digest).
 * synth has an output flag but no input: tests/test_bad_input.c covers its --out being a file.
 * A control run of each command line with fresh outputs must succeed, so the table cannot
 * pass by being wrong. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "badinput.h"
#include "testutil.h"

static char *root, *data, *model, *detector, *splits, *gt, *sg, *npz, *gt_default, *sg_default;

static void must(struct cli_result *r, const char *what)
{
    if (r->exit_code != 0) fail_msg("%s failed (%d): %s", what, r->exit_code, r->err);
}

static int setup(void **state)
{
    (void)state;
    root = tmpdir_make();
    data = path_join(root, "data");
    struct cli_result r = run_cli("synth", "--out", data, "--videos", "6", "--signers", "3",
                                  "--frames", "60", "--seed", "2", NULL);
    must(&r, "synth");
    cli_result_free(&r);
    splits = path_join(root, "splits.json");
    write_text_file(splits, "{\"splits\": {"
                            "\"train\": {\"videos\": [\"v000\", \"v001\", \"v002\", \"v003\"]},"
                            "\"val\": {\"videos\": [\"v004\"]},"
                            "\"test\": {\"videos\": [\"v005\"]}}}");
    gt_default = path_join(data, "groundtruth.txt");
    sg_default = path_join(data, "signers.txt");
    npz = path_join(data, "v001.npz");
    /* explicit copies, so that --groundtruth and --signers are inputs of their own */
    gt = path_join(root, "gt.txt");
    sg = path_join(root, "signers.txt");
    char *t = read_text_file(gt_default, NULL);
    write_text_file(gt, t);
    free(t);
    t = read_text_file(sg_default, NULL);
    write_text_file(sg, t);
    free(t);
    char *run = path_join(root, "run");
    r = run_cli("train", "--data", data, "--splits-json", splits, "--window", "10", "--stride",
                "5", "--epochs", "1", "--batch", "8", "--use-pseudo-signers",
                "--num-pseudo-signers", "2", "--out", run, "--threads", "2", NULL);
    must(&r, "train");
    cli_result_free(&r);
    model = path_join(run, "last.safetensors");
    free(run);
    /* a binary detector for detect (a multi-class model would need --background) */
    run = path_join(root, "det");
    r = run_cli("train", "--data", data, "--splits-json", splits, "--window", "10", "--stride",
                "5", "--epochs", "1", "--batch", "8", "--binary", "--signing-labels",
                "s1,s2,s3,s4", "--max-samples", "16", "--out", run, "--threads", "2", NULL);
    must(&r, "train detector");
    cli_result_free(&r);
    detector = path_join(run, "last.safetensors");
    free(run);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tmpdir_remove(root);
    free(root);
    free(data);
    free(model);
    free(detector);
    free(splits);
    free(gt);
    free(sg);
    free(npz);
    free(gt_default);
    free(sg_default);
    return 0;
}

#define MAX_ARGS 48

/* A command line in which "@OUT1", "@OUT2" stand for the output paths. */
struct command {
    const char *name;
    const char *args[MAX_ARGS];
    const char *out_flags[3]; /* the flags whose values are @OUT1, @OUT2 */
    const char *inputs[12];   /* the input paths of this command line */
};

static size_t fill(const struct command *c, const char *const outs[2], const char **argv)
{
    size_t n = 0;
    argv[n++] = c->name;
    for (size_t i = 0; c->args[i]; i++) {
        const char *a = c->args[i];
        if (!strcmp(a, "@OUT1")) a = outs[0];
        else if (!strcmp(a, "@OUT2")) a = outs[1];
        argv[n++] = a;
    }
    argv[n] = NULL;
    return n;
}

static void run_property(const struct command *c)
{
    /* control: fresh outputs, the command line itself is right */
    char name[64];
    snprintf(name, sizeof name, "control_%s_1", c->name);
    char *o1 = path_join(root, name);
    snprintf(name, sizeof name, "control_%s_2", c->name);
    char *o2 = path_join(root, name);
    const char *outs[2] = {o1, o2};
    const char *argv[MAX_ARGS + 2];
    fill(c, outs, argv);
    struct cli_result r = run_cliv(argv);
    if (r.exit_code != 0)
        fail_msg("control run of %s failed (%d): %s", c->name, r.exit_code, r.err);
    cli_result_free(&r);
    /* every input path as every output */
    size_t cases = 0;
    for (int k = 0; k < 3 && c->out_flags[k]; k++)
        for (size_t i = 0; c->inputs[i]; i++) {
            char f1[64], f2[64];
            snprintf(f1, sizeof f1, "fresh_%s_1", c->name);
            snprintf(f2, sizeof f2, "fresh_%s_2", c->name);
            char *p1 = path_join(root, f1), *p2 = path_join(root, f2);
            const char *o[2] = {k == 0 ? c->inputs[i] : p1, k == 1 ? c->inputs[i] : p2};
            fill(c, o, argv);
            char *b = tree_digest(root);
            struct cli_result res = run_cliv(argv);
            char *a = tree_digest(root);
            /* refused: 2 (the output is an input) or 1 (a file where a folder goes) */
            if (res.exit_code != 1 && res.exit_code != 2)
                fail_msg("%s %s '%s' (an input): exit %d, expected a refusal; stderr: %s",
                         c->name, c->out_flags[k], c->inputs[i], res.exit_code, res.err);
            if (strcmp(a, b))
                fail_msg("%s %s '%s' changed files before refusing:\nbefore:\n%s\nafter:\n%s",
                         c->name, c->out_flags[k], c->inputs[i], b, a);
            if (count_lines(res.err) != 1 || !strstr(res.err, c->out_flags[k]))
                fail_msg("%s %s '%s': expected one line naming %s, got: %s", c->name,
                         c->out_flags[k], c->inputs[i], c->out_flags[k], res.err);
            free(a);
            free(b);
            cli_result_free(&res);
            free(p1);
            free(p2);
            cases++;
        }
    assert_true(cases >= 1); /* the table is not empty (convert has one input) */
    free(o1);
    free(o2);
}

static void test_splits(void **state)
{
    (void)state;
    struct command c = {"splits",
                        {"--data", data, "--groundtruth", gt, "--signers", sg, "--window", "10",
                         "--s-label", "s1", "--out", "@OUT1", NULL},
                        {"--out"},
                        {data, npz, gt, sg, gt_default, sg_default, NULL}};
    run_property(&c);
}

static void test_train(void **state)
{
    (void)state;
    struct command c = {"train",
                        {"--data", data, "--splits-json", splits, "--groundtruth", gt,
                         "--signers", sg, "--signer-source", "real", "--window", "10",
                         "--stride", "5", "--epochs", "1", "--out", "@OUT1", "--threads", "2",
                         NULL},
                        {"--out"},
                        {data, npz, splits, gt, sg, gt_default, sg_default, NULL}};
    run_property(&c);
}

static void test_predict(void **state)
{
    (void)state;
    struct command c = {"predict",
                        {"--ckpt", model, "--data", data, "--groundtruth", gt, "--out", "@OUT1",
                         "--save-embeddings", "@OUT2", NULL},
                        {"--out", "--save-embeddings"},
                        {model, data, npz, gt, gt_default, sg_default, NULL}};
    run_property(&c);
    struct command ci = {"predict",
                         {"--ckpt", model, "--input", npz, "--out", "@OUT1", "--save-embeddings",
                          "@OUT2", NULL},
                         {"--out", "--save-embeddings"},
                         {model, npz, gt_default, sg_default, NULL}};
    run_property(&ci);
}

static void test_embed(void **state)
{
    (void)state;
    struct command c = {"embed",
                        {"--data", data, "--ckpt", model, "--groundtruth", gt, "--signers", sg,
                         "--reduce", "pca", "--out", "@OUT1", "--save-csv", "@OUT2", "--threads",
                         "2", NULL},
                        {"--out", "--save-csv"},
                        {data, npz, model, gt, sg, gt_default, sg_default, NULL}};
    run_property(&c);
}

static void test_eval(void **state)
{
    (void)state;
    struct command c = {"eval",
                        {"--ckpt", model, "--data", data, "--splits-json", splits, "--split",
                         "val", "--signers", sg, "--groundtruth", gt, "--out-dir", "@OUT1",
                         "--json", "@OUT2", "--threads", "2", NULL},
                        {"--out-dir", "--json"},
                        {model, data, npz, splits, sg, gt, gt_default, sg_default, NULL}};
    run_property(&c);
}

static void test_detect(void **state)
{
    (void)state;
    struct command c = {"detect",
                        {"--ckpt", detector, "--data", data, "--groundtruth", gt, "--splits-json",
                         splits, "--split", "val", "--stride", "5", "--out-dir", "@OUT1",
                         "--threads", "2", NULL},
                        {"--out-dir"},
                        {detector, data, npz, splits, gt, gt_default, sg_default, NULL}};
    run_property(&c);
    struct command ci = {"detect",
                         {"--ckpt", detector, "--input", npz, "--stride", "5", "--out-dir",
                          "@OUT1", NULL},
                         {"--out-dir"},
                         {detector, npz, gt_default, sg_default, NULL}};
    run_property(&ci);
}

static void test_convert(void **state)
{
    (void)state;
    struct command c = {"convert", {npz, "--to", "pose", "--out", "@OUT1", NULL}, {"--out"},
                        {npz, NULL}};
    run_property(&c);
    /* converting DIR/v001.npz to npz into DIR itself would replace the input */
    struct command cn = {"convert", {npz, "--to", "npz", "--out", "@OUT1", NULL}, {"--out"},
                         {npz, data, NULL}};
    run_property(&cn);
}

static void test_variations(void **state)
{
    (void)state;
    struct command c = {"variations",
                        {"--data", data, "--groundtruth", gt, "--signers", sg, "--window", "10",
                         "--stride", "5", "--epochs", "1", "--max-files", "6", "--skip-binary",
                         "--skip-pseudo", "--skip-supcon", "--skip-film", "--skip-mi",
                         "--skip-combined", "--base-out", "@OUT1", "--threads", "2", NULL},
                        {"--base-out"},
                        {data, npz, gt, sg, gt_default, sg_default, NULL}};
    run_property(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_splits),  cmocka_unit_test(test_train),
        cmocka_unit_test(test_predict), cmocka_unit_test(test_embed),
        cmocka_unit_test(test_eval),    cmocka_unit_test(test_variations),
        cmocka_unit_test(test_detect),  cmocka_unit_test(test_convert),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
