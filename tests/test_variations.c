/* test_variations.c — `signstgcn variations` trains the eight variants into their own folders
 * and summarises them; each --skip-* flag removes exactly its variant(s); --seeds N trains
 * each variant N times and the summary gives mean and standard deviation over the seeds,
 * signer probe included. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "testutil.h"

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

/* The variants listed in summary.csv, comma-joined, with every status "ok". */
static char *summary_variants(const char *base)
{
    char *p = path_join(base, "summary.csv");
    char *text = read_text_file(p, NULL);
    free(p);
    assert_non_null(text);
    assert_memory_equal(text, "variant,status,best_epoch,val_loss,val_acc,val_f1,val_pr_auc",
                        strlen("variant,status,best_epoch,val_loss,val_acc,val_f1,val_pr_auc"));
    char *out = calloc(1, strlen(text) + 1);
    for (char *line = strchr(text, '\n'); line && line[1]; line = strchr(line + 1, '\n')) {
        char name[64], status[16];
        assert_int_equal(sscanf(line + 1, "%63[^,],%15[^,]", name, status), 2);
        assert_string_equal(status, "ok");
        if (*out) strcat(out, ",");
        strcat(out, name);
    }
    free(text);
    return out;
}

static void test_all_eight_variants(void **state)
{
    (void)state;
    char *base = path_join(root, "all");
    struct cli_result r = run_cli("variations", "--data", data, "--max-files", "3", "--epochs",
                                  "1", "--batch", "8", "--stride", "10", "--base-out", base,
                                  "--threads", "2", NULL);
    if (r.exit_code != 0) fail_msg("variations failed (%d): %s", r.exit_code, r.err);
    assert_non_null(strstr(r.out, "| supcon_film |"));
    cli_result_free(&r);
    char *v = summary_variants(base);
    assert_string_equal(v, "basic,binary,pseudo,supcon,film,mi,film_pseudo,supcon_film");
    free(v);
    const char *names[] = {"basic", "binary", "pseudo", "supcon", "film", "mi", "film_pseudo",
                           "supcon_film"};
    for (int i = 0; i < 8; i++) {
        char rel[128];
        snprintf(rel, sizeof rel, "%s/last.safetensors", names[i]);
        char *p = path_join(base, rel);
        struct stat st;
        assert_int_equal(stat(p, &st), 0);
        free(p);
    }
    char *md = path_join(base, "summary.md");
    char *text = read_text_file(md, NULL);
    assert_non_null(strstr(text, "| variant | best epoch |"));
    free(text);
    free(md);
    free(base);
}

static void test_skip_flags(void **state)
{
    (void)state;
    char *base = path_join(root, "skip1");
    struct cli_result r = run_cli("variations", "--data", data, "--max-files", "3", "--epochs",
                                  "1", "--stride", "10", "--base-out", base, "--skip-basic",
                                  "--skip-binary", "--skip-pseudo", "--skip-supcon", "--skip-mi",
                                  "--threads", "2", NULL);
    if (r.exit_code != 0) fail_msg("variations failed: %s", r.err);
    cli_result_free(&r);
    char *v = summary_variants(base);
    assert_string_equal(v, "film,film_pseudo,supcon_film");
    free(v);
    free(base);
    base = path_join(root, "skip2");
    r = run_cli("variations", "--data", data, "--max-files", "3", "--epochs", "1", "--stride",
                "10", "--base-out", base, "--skip-film", "--skip-combined", "--skip-basic",
                "--skip-pseudo", "--skip-supcon", "--skip-mi", "--threads", "2", NULL);
    if (r.exit_code != 0) fail_msg("variations failed: %s", r.err);
    cli_result_free(&r);
    v = summary_variants(base);
    assert_string_equal(v, "binary");
    free(v);
    free(base);
    r = run_cli("variations", "--data", data, "--skip-basic", "--skip-binary", "--skip-pseudo",
                "--skip-supcon", "--skip-film", "--skip-mi", "--skip-combined", NULL);
    assert_int_equal(r.exit_code, 2);
    assert_non_null(strstr(r.err, "every variant is skipped"));
    cli_result_free(&r);
    r = run_cli("variations", "--data", data, "--skip-everything", NULL);
    assert_int_equal(r.exit_code, 2);
    cli_result_free(&r);
}

static void test_seeds(void **state)
{
    (void)state;
    char *base = path_join(root, "seeds");
    struct cli_result r = run_cli("variations", "--data", data, "--max-files", "6", "--epochs",
                                  "1", "--batch", "8", "--window", "10", "--stride", "10",
                                  "--base-out", base, "--threads", "2", "--seeds", "2",
                                  "--seed", "5", "--skip-binary", "--skip-pseudo",
                                  "--skip-supcon", "--skip-film", "--skip-mi", "--skip-combined",
                                  NULL);
    if (r.exit_code != 0) fail_msg("variations failed: %s\n%s", r.err, r.out);
    assert_non_null(strstr(r.out, "(seed 5)"));
    assert_non_null(strstr(r.out, "(seed 6)"));
    assert_non_null(strstr(r.out, "signer probe: accuracy"));
    cli_result_free(&r);
    for (int k = 0; k < 2; k++) {
        char sub[64];
        snprintf(sub, sizeof sub, "basic/seed%d/best.safetensors", k);
        char *p = path_join(base, sub);
        struct stat st;
        assert_int_equal(stat(p, &st), 0);
        free(p);
    }
    char *p = path_join(base, "summary.csv");
    char *text = read_text_file(p, NULL);
    assert_non_null(text);
    const char *head = "variant,runs,ok,best_epoch_mean,best_epoch_std,val_loss_mean,val_loss_std,"
                       "val_acc_mean,val_acc_std,val_balanced_acc_mean,val_balanced_acc_std,"
                       "val_f1_mean,val_f1_std,val_pr_auc_mean,val_pr_auc_std,"
                       "signer_probe_acc_mean,signer_probe_acc_std,seconds_mean,seconds_std\n";
    assert_memory_equal(text, head, strlen(head));
    /* one row: basic, 2 runs, 2 ok, every mean and std filled */
    const char *row = text + strlen(head);
    assert_memory_equal(row, "basic,2,2,", 10);
    int fields = 1;
    for (const char *q = row; *q && *q != '\n'; q++) {
        if (*q == ',') {
            fields++;
            assert_true(q[1] != ',' && q[1] != '\n'); /* no empty field */
        }
    }
    assert_int_equal(fields, 19);
    free(text);
    free(p);
    free(base);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_eight_variants),
        cmocka_unit_test(test_skip_flags),
        cmocka_unit_test(test_seeds),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
