/* test_params_adam.c — the parameter table's layout, and AdamW / clipping against
 * torch.optim.AdamW and clip_grad_norm_ (fixture from tools/make_adam_fixture.py). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "model/params.h"
#include "testutil.h"
#include "model/adam.h"

static int read_row(const char *text, const char *key, float *out, size_t n)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\n%s ", key);
    const char *p = strstr(text, pat);
    if (!p && !strncmp(text, key, strlen(key)) && text[strlen(key)] == ' ') p = text - 1;
    if (!p) return -1;
    p += strlen(pat);
    for (size_t i = 0; i < n; i++) {
        char *end;
        out[i] = strtof(p, &end);
        if (end == p) return -1;
        p = end;
    }
    return 0;
}

static void test_params_layout(void **state)
{
    (void)state;
    struct param_table pt;
    struct error err;
    params_init(&pt);
    size_t s1[2] = {3, 5}, s2[1] = {7}, s3[1] = {4};
    assert_int_equal(params_add(&pt, "bn.running_mean", PARAM_BUFFER, 1, s3, &err), 0);
    assert_int_equal(params_add(&pt, "lin.weight", PARAM_TRAINED, 2, s1, &err), 1);
    assert_int_equal(params_add(&pt, "mi.net.0.weight", PARAM_MI, 1, s2, &err), 2);
    assert_int_equal(params_add(&pt, "lin.weight", PARAM_TRAINED, 1, s2, &err), -1);
    assert_non_null(strstr(err.msg, "duplicate"));
    assert_int_equal(params_finalize(&pt, &err), 0);
    /* trained first, then MI, then buffers, each 16-float aligned */
    assert_int_equal(pt.e[1].offset, 0);
    assert_int_equal(pt.e[2].offset, 16);
    assert_int_equal(pt.e[0].offset, 32);
    assert_int_equal(pt.kind_end[PARAM_TRAINED], 16);
    assert_int_equal(params_count(&pt, PARAM_TRAINED), 15);
    assert_int_equal(params_find(&pt, "mi.net.0.weight"), 2);
    assert_int_equal(((size_t)params_data(&pt, 2)) % 64, 0);
    params_grad(&pt, 1)[0] = 1.0f;
    params_grad(&pt, 2)[0] = 1.0f;
    params_zero_grad(&pt, PARAM_TRAINED);
    assert_true(params_grad(&pt, 1)[0] == 0.0f && params_grad(&pt, 2)[0] == 1.0f);
    params_free(&pt);
}

static void test_adamw_matches_torch(void **state)
{
    (void)state;
    char *text = read_text_file(fixture_path("adam/adamw.txt"), NULL);
    assert_non_null(text);
    for (int wd = 0; wd <= 1; wd++) {
        float p[12], g[12], m[12] = {0}, v[12] = {0}, expect[12];
        assert_int_equal(read_row(text, "p0", p, 12), 0);
        struct adam_config c;
        adam_config_default(&c);
        c.lr = 1e-2;
        c.weight_decay = wd ? 0.05 : 0.0;
        for (int s = 1; s <= 4; s++) {
            char key[32];
            snprintf(key, sizeof key, "g%d", s);
            assert_int_equal(read_row(text, key, g, 12), 0);
            adam_step(p, g, m, v, 0, 12, &c, s);
            snprintf(key, sizeof key, "p%d_wd%d", s, wd);
            assert_int_equal(read_row(text, key, expect, 12), 0);
            assert_close_f32(p, expect, 12, 1e-6, 1e-7, key);
        }
    }
    free(text);
}

static void test_clip_matches_torch(void **state)
{
    (void)state;
    char *text = read_text_file(fixture_path("adam/adamw.txt"), NULL);
    float g[12], expect[12], norm_expect;
    assert_int_equal(read_row(text, "clip_in", g, 12), 0);
    assert_int_equal(read_row(text, "clip_out", expect, 12), 0);
    assert_int_equal(read_row(text, "clip_norm", &norm_expect, 1), 0);
    double norm = grad_clip(g, 0, 12, 0.5);
    assert_true(fabs(norm - (double)norm_expect) < 1e-5 * (double)norm_expect);
    assert_close_f32(g, expect, 12, 1e-6, 1e-7, "clipped");
    /* below the threshold nothing changes */
    float h[3] = {0.1f, 0.2f, 0.2f};
    grad_clip(h, 0, 3, 10.0);
    assert_true(h[0] == 0.1f && h[1] == 0.2f);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_params_layout),
        cmocka_unit_test(test_adamw_matches_torch),
        cmocka_unit_test(test_clip_matches_torch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
