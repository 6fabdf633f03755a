/* test_embed_cli.c — `signstgcn embed` on a small synthetic dataset and a 1-epoch model:
 * t-SNE and PCA plots are real pictures, the CSV has one row per window with the full
 * embedding, a data flag that disagrees with the checkpoint is an error, bad flags exit 2. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pngutil.h"
#include "testutil.h"

static char *root, *data, *ckpt;

static int setup(void **state)
{
    (void)state;
    root = tmpdir_make();
    data = path_join(root, "data");
    struct cli_result r = run_cli("synth", "--out", data, "--videos", "6", "--signers", "3",
                                  "--frames", "60", "--seed", "3", NULL);
    if (r.exit_code != 0) fail_msg("synth failed: %s", r.err);
    cli_result_free(&r);
    char *out = path_join(root, "run");
    r = run_cli("train", "--data", data, "--stride", "5", "--epochs", "1", "--batch", "8",
                "--use-pseudo-signers", "--num-pseudo-signers", "2", "--out", out, "--threads",
                "2", NULL);
    if (r.exit_code != 0) fail_msg("train failed: %s", r.err);
    cli_result_free(&r);
    ckpt = path_join(out, "last.safetensors");
    free(out);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tmpdir_remove(root);
    free(root);
    free(data);
    free(ckpt);
    return 0;
}

static void expect_picture(const char *png)
{
    struct png_rgb img;
    char msg[256];
    if (png_rgb_read(png, &img, msg, sizeof msg)) fail_msg("%s", msg);
    assert_int_equal(img.width, 800);
    assert_int_equal(img.height, 700);
    assert_true(png_rgb_distinct(&img) > 10);
    png_rgb_free(&img);
}

static void test_tsne_pseudo_and_csv(void **state)
{
    (void)state;
    char *png = path_join(root, "tsne.png"), *csv = path_join(root, "emb.csv");
    struct cli_result r = run_cli("embed", "--data", data, "--ckpt", ckpt, "--out", png,
                                  "--color-by", "pseudo", "--perplexity", "10", "--save-csv",
                                  csv, NULL);
    if (r.exit_code != 0) fail_msg("embed failed: %s", r.err);
    cli_result_free(&r);
    expect_picture(png);
    char *text = read_text_file(csv, NULL);
    assert_memory_equal(text, "video,start,label,e0,e1,", 24);
    assert_non_null(strstr(text, ",e63\n"));
    assert_null(strstr(text, ",e64"));
    size_t lines = 0;
    for (char *p = text; *p; p++) lines += *p == '\n';
    assert_int_equal(lines, 1 + 6 * 8); /* 60 frames, window 25, stride 5: 8 windows each */
    free(text);
    free(png);
    free(csv);
}

static void test_pca_features_by_label_and_signer(void **state)
{
    (void)state;
    char *png = path_join(root, "pca.png");
    struct cli_result r = run_cli("embed", "--data", data, "--ckpt", ckpt, "--out", png,
                                  "--reduce", "pca", "--which", "features", "--color-by",
                                  "signer", NULL);
    if (r.exit_code != 0) fail_msg("embed failed: %s", r.err);
    assert_non_null(strstr(r.out, "512-d"));
    cli_result_free(&r);
    expect_picture(png);
    r = run_cli("embed", "--data", data, "--ckpt", ckpt, "--out", png, "--reduce", "pca", NULL);
    assert_int_equal(r.exit_code, 0);
    cli_result_free(&r);
    free(png);
}

static void test_disagreeing_flags_and_usage(void **state)
{
    (void)state;
    char *png = path_join(root, "x.png");
    struct cli_result r = run_cli("embed", "--data", data, "--ckpt", ckpt, "--out", png,
                                  "--window", "20", NULL);
    assert_int_equal(r.exit_code, 1);
    assert_non_null(strstr(r.err, "--window disagrees with the checkpoint"));
    cli_result_free(&r);
    r = run_cli("embed", "--data", data, "--ckpt", ckpt, "--out", png, "--include-hands", NULL);
    assert_int_equal(r.exit_code, 1);
    assert_non_null(strstr(r.err, "--include-hands"));
    cli_result_free(&r);
    /* the checkpoint's own values are fine */
    r = run_cli("embed", "--data", data, "--ckpt", ckpt, "--out", png, "--window", "25",
                "--stride", "5", "--reduce", "pca", NULL);
    assert_int_equal(r.exit_code, 0);
    cli_result_free(&r);
    r = run_cli("embed", "--data", data, "--ckpt", ckpt, "--reduce", "umap", NULL);
    assert_int_equal(r.exit_code, 2);
    cli_result_free(&r);
    r = run_cli("embed", "--data", data, NULL);
    assert_int_equal(r.exit_code, 2);
    cli_result_free(&r);
    free(png);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tsne_pseudo_and_csv),
        cmocka_unit_test(test_pca_features_by_label_and_signer),
        cmocka_unit_test(test_disagreeing_flags_and_usage),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
