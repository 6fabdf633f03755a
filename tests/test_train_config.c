/* test_train_config.c — `train --config FILE.json` and `train --config-from CKPT`:
 *  - --config-from retrains a checkpoint's run (augmentation, streams and schedule included)
 *    into another folder with every tensor bit-identical;
 *  - --config takes any subset of the stored keys, flags given beside it override them, and
 *    the stored configuration shows both;
 *  - a key that is not a configuration key is an error naming it (exit 1); --config-from
 *    without --out is a usage error (exit 2). */
#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "io/safetensors.h"
#include "testutil.h"

static char *root, *data;

static int setup(void **state)
{
    (void)state;
    synth_dataset_make(&root, &data, 6, 3, 60, 4);
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

static void test_config_from(void **state)
{
    (void)state;
    char *a = path_join(root, "orig"), *b = path_join(root, "again");
    struct cli_result r = run_cli("train", "--data", data, "--include-hands", "--window", "10",
                                  "--stride", "5", "--epochs", "2", "--batch", "8", "--threads",
                                  "2", "--classes", "n,s1,s2,s3,s4", "--num-classes", "7",
                                  "--augment", "standard", "--aug-mirror", "0.3", "--features",
                                  "joints,motion", "--lr-schedule", "cosine", "--warmup-epochs",
                                  "1", "--label-smoothing", "0.05", "--seed", "3", "--out", a,
                                  NULL);
    if (r.exit_code != 0) fail_msg("train failed: %s", r.err);
    cli_result_free(&r);
    char *ca = path_join(a, "last.safetensors"), *cb = path_join(b, "last.safetensors");
    r = run_cli("train", "--config-from", ca, NULL);
    assert_int_equal(r.exit_code, 2);
    assert_non_null(strstr(r.err, "--config-from needs --out"));
    cli_result_free(&r);
    r = run_cli("train", "--config-from", ca, "--out", b, NULL);
    if (r.exit_code != 0) fail_msg("train --config-from failed: %s", r.err);
    cli_result_free(&r);
    assert_true(same_tensors(ca, cb));
    cJSON *c = stored_config(cb);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(c, "classes")), 7);
    assert_true(cJSON_GetObjectItem(c, "aug_mirror")->valuedouble == 0.3);
    cJSON_Delete(c);
    free(ca);
    free(cb);
    free(a);
    free(b);
}

static void test_config_file(void **state)
{
    (void)state;
    char *out = path_join(root, "fromfile"), *file = path_join(root, "run.json");
    static char text[16384];
    snprintf(text, sizeof text,
             "{\"data\": \"%s\", \"window\": 10, \"stride\": 5, \"epochs\": 3, \"batch\": 8, "
             "\"threads\": 2, \"augment\": \"standard\", \"aug_rotate\": 7, "
             "\"aug_speed\": [0.9, 1.1], \"features\": [\"joints\", \"bones\"], \"out\": \"%s\"}",
             data, out);
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    struct cli_result r = run_cli("train", "--config", file, "--epochs", "1", NULL);
    if (r.exit_code != 0) fail_msg("train --config failed: %s", r.err);
    assert_non_null(strstr(r.out, "epoch 1/1"));
    cli_result_free(&r);
    char *last = path_join(out, "last.safetensors");
    cJSON *c = stored_config(last);
    assert_int_equal((int)cJSON_GetObjectItem(c, "epochs")->valuedouble, 1);   /* the flag */
    assert_int_equal((int)cJSON_GetObjectItem(c, "window")->valuedouble, 10);  /* the file */
    assert_true(cJSON_GetObjectItem(c, "aug_rotate")->valuedouble == 7.0);
    /* the file names the preset but only --augment on the command line fills its values */
    assert_true(cJSON_GetObjectItem(c, "aug_scale")->valuedouble == 0.0);
    assert_true(cJSON_GetArrayItem(cJSON_GetObjectItem(c, "aug_speed"), 1)->valuedouble == 1.1);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(c, "features")), 2);
    cJSON_Delete(c);
    /* a typo is refused */
    f = fopen(file, "w");
    fputs("{\"epochz\": 3}", f);
    fclose(f);
    r = run_cli("train", "--config", file, "--data", data, NULL);
    assert_int_equal(r.exit_code, 1);
    assert_non_null(strstr(r.err, "'epochz' is not a configuration key"));
    cli_result_free(&r);
    free(last);
    free(out);
    free(file);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_from),
        cmocka_unit_test(test_config_file),
    };
    return cmocka_run_group_tests_name("train_config", tests, setup, teardown);
}
