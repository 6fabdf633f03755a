/* test_splits.c — `signstgcn splits` (SPEC §7): S/nonS counting under both rules, the
 * assignment (reproducible, seed-dependent, disjoint, complete, signer-disjoint, positive
 * guarantee), the JSON writer and reader, and the command end to end on npz datasets built
 * in a temporary folder (exit codes and messages for every documented bad input). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "core/alloc.h"
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


/* Every allocation of ours failing in turn: clean failures, nothing leaked (ASan). */
static void test_alloc_failures(void **state)
{
    (void)state;
    const char *json = "{\"splits\": {\"train\": {\"videos\": [\"a\", \"b\"]}, \"val\": "
                       "{\"videos\": [\"c\"]}, \"test\": {\"videos\": [\"d\"]}}}";
    size_t n = 8;
    int ok_json = 0, ok_assign = 0;
    for (long k = 0; k < 30; k++) {
        struct splits_lists l;
        struct error err;
        alloc_fail_after(k);
        if (splits_json_parse(json, strlen(json), "s.json", &l, &err) == 0) ok_json++;
        splits_lists_free(&l);
        struct split_video *v = make_videos(n, 3);
        alloc_fail_after(k);
        if (splits_assign(v, n, DEFAULT_RATIOS, 1, &err) == 0) ok_assign++;
        alloc_fail_after(-1);
        free_videos(v, n);
    }
    assert_true(ok_json > 0 && ok_json < 30);
    assert_true(ok_assign > 0 && ok_assign < 30);
}

/* ---- the command end to end -------------------------------------------------------------- */

static void write_video(const char *dir, const char *id, size_t T, size_t hand_T)
{
    char *name = malloc(strlen(id) + 5);
    sprintf(name, "%s.npz", id);
    char *path = path_join(dir, name);
    struct npz_writer w;
    struct error err;
    if (npz_writer_open(&w, path, false, &err) != 0) fail_msg("%s", err.msg);
    size_t n = (T > hand_T ? T : hand_T) * 33 * 2;
    float *data = calloc(n, sizeof *data);
    const size_t pose_shape[3] = {T, 33, 2}, hand_shape[3] = {hand_T, 21, 2};
    if (npz_writer_add_f32(&w, "pose", 3, pose_shape, data, &err) != 0) fail_msg("%s", err.msg);
    if (hand_T && npz_writer_add_f32(&w, "left_hand", 3, hand_shape, data, &err) != 0)
        fail_msg("%s", err.msg);
    if (npz_writer_close(&w, &err) != 0) fail_msg("%s", err.msg);
    free(data);
    free(path);
    free(name);
}

/* n videos "v00".."v{n-1}" of 40 frames; the first npos have S annotations, the others only
 * "n"; optionally a signers.txt with `nsigners` signers. */
static char *make_dataset(size_t n, size_t npos, size_t nsigners)
{
    char *dir = tmpdir_make();
    size_t cap = 64 * n + 64, len = 0;
    char *gt = malloc(cap), *sg = malloc(cap);
    size_t slen = 0;
    gt[0] = sg[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        char id[32];
        snprintf(id, sizeof id, "v%02zu", i);
        write_video(dir, id, 40, i % 3 == 0 ? 40 : 0);
        len += (size_t)snprintf(gt + len, cap - len, "%s 0 n\n%s 20 %s\n%s 30 n\n", id, id,
                                i < npos ? "S" : "n", id);
        if (nsigners)
            slen += (size_t)snprintf(sg + slen, cap - slen, "%s signer%zu\n", id, i % nsigners);
    }
    char *p = path_join(dir, "groundtruth.txt");
    write_text_file(p, gt);
    free(p);
    if (nsigners) {
        p = path_join(dir, "signers.txt");
        write_text_file(p, sg);
        free(p);
    }
    free(gt);
    free(sg);
    return dir;
}

static void remove_dataset(char *dir)
{
    tmpdir_remove(dir);
    free(dir);
}

static struct cli_result splits_cli(const char *dir, const char *out, const char *seed,
                                    const char *extra1, const char *extra2)
{
    return run_cli("splits", "--data", dir, "--window", "10", "--stride", "5", "--out", out,
                   "--seed", seed, extra1, extra2, (const char *)NULL);
}

static const cJSON *get(const cJSON *o, const char *k)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, k);
    if (!x) fail_msg("JSON key '%s' missing", k);
    return x;
}

/* Checks the schema and every count; returns split index per video (v00.. order). */
static void check_json(const char *path, size_t n, size_t npos, int *split_of)
{
    char *text = read_text_file(path, NULL);
    assert_non_null(text);
    cJSON *root = cJSON_Parse(text);
    assert_non_null(root);
    const cJSON *meta = get(root, "meta");
    assert_int_equal(cJSON_GetArraySize(meta), 8);
    static const char *const mk[] = {"data", "groundtruth", "window", "stride", "s_label",
                                     "rule", "ratios", "seed"};
    for (size_t i = 0; i < 8; i++) get(meta, mk[i]);
    assert_int_equal(get(meta, "window")->valueint, 10);
    assert_string_equal(get(meta, "rule")->valuestring, "any");
    assert_true(get(get(meta, "ratios"), "train")->valuedouble == 0.8);
    const cJSON *pv = get(root, "per_video");
    assert_int_equal(cJSON_GetArraySize(pv), (int)n);
    for (size_t i = 0; i < n; i++) split_of[i] = -1;
    const cJSON *splits = get(root, "splits");
    assert_int_equal(cJSON_GetArraySize(splits), 3);
    static const char *const names[] = {"train", "val", "test"};
    for (int k = 0; k < 3; k++) {
        const cJSON *s = get(splits, names[k]);
        double S = 0, nonS = 0;
        size_t pos = 0;
        const cJSON *e;
        cJSON_ArrayForEach(e, get(s, "videos"))
        {
            size_t i = (size_t)atoi(e->valuestring + 1);
            assert_true(i < n);
            assert_int_equal(split_of[i], -1); /* no video twice */
            split_of[i] = k;
            const cJSON *x = get(pv, e->valuestring);
            assert_int_equal(get(x, "frames")->valueint, 40);
            assert_int_equal(get(x, "windows")->valueint, 7);
            assert_int_equal(get(x, "S_windows")->valueint + get(x, "nonS_windows")->valueint, 7);
            /* S at frame 20 only: windows starting 15 and 20 (window 10, stride 5) */
            assert_int_equal(get(x, "S_windows")->valueint, i < npos ? 2 : 0);
            S += get(x, "S_windows")->valuedouble;
            nonS += get(x, "nonS_windows")->valuedouble;
            pos += i < npos;
        }
        assert_true(get(get(s, "counts"), "S")->valuedouble == S);
        assert_true(get(get(s, "counts"), "nonS")->valuedouble == nonS);
        if (npos >= 3) assert_true(pos >= 1);
    }
    for (size_t i = 0; i < n; i++) assert_in_range(split_of[i], 0, 2);
    cJSON_Delete(root);
    free(text);
}

static void test_cli_reproducible_and_schema(void **state)
{
    (void)state;
    size_t n = 30, npos = 9;
    char *dir = make_dataset(n, npos, 0);
    char *a = path_join(dir, "a.json"), *b = path_join(dir, "b.json"), *c = path_join(dir, "c.json");
    struct cli_result r = splits_cli(dir, a, "5", NULL, NULL);
    if (r.exit_code != 0) fail_msg("exit %d: %s", r.exit_code, r.err);
    assert_non_null(strstr(r.out, "30 videos (9 with an S window), 210 windows: S 18, nonS 192"));
    cli_result_free(&r);
    r = splits_cli(dir, b, "5", NULL, NULL);
    assert_int_equal(r.exit_code, 0);
    cli_result_free(&r);
    r = splits_cli(dir, c, "6", NULL, NULL);
    assert_int_equal(r.exit_code, 0);
    cli_result_free(&r);
    size_t la, lb, lc;
    char *ta = read_text_file(a, &la), *tb = read_text_file(b, &lb), *tc = read_text_file(c, &lc);
    assert_int_equal(la, lb);
    assert_memory_equal(ta, tb, la);
    int sa[30], sc[30];
    check_json(a, n, npos, sa);
    check_json(c, n, npos, sc);
    size_t differ = 0;
    for (size_t i = 0; i < n; i++) differ += sa[i] != sc[i];
    assert_true(differ > 0);
    /* the default output is <data>/splits.json */
    r = run_cli("splits", "--data", dir, "--window", "10", "--stride", "5", "--seed", "5",
                (const char *)NULL);
    assert_int_equal(r.exit_code, 0);
    cli_result_free(&r);
    char *def = path_join(dir, "splits.json");
    size_t ld;
    char *td = read_text_file(def, &ld);
    assert_non_null(td);
    assert_int_equal(ld, la);
    free(td);
    free(def);
    free(ta);
    free(tb);
    free(tc);
    free(a);
    free(b);
    free(c);
    remove_dataset(dir);
}

static void test_cli_signers(void **state)
{
    (void)state;
    size_t n = 24, npos = 8;
    char *dir = make_dataset(n, npos, 6); /* signer of v_i is i % 6 */
    char *out = path_join(dir, "s.json");
    for (int seed = 0; seed < 4; seed++) {
        char sd[8];
        snprintf(sd, sizeof sd, "%d", seed);
        struct cli_result r = splits_cli(dir, out, sd, NULL, NULL);
        if (r.exit_code != 0) fail_msg("exit %d: %s", r.exit_code, r.err);
        assert_non_null(strstr(r.out, "(signer-disjoint)"));
        cli_result_free(&r);
        int sp[24];
        check_json(out, n, npos, sp);
        for (size_t i = 0; i < n; i++) assert_int_equal(sp[i], sp[i % 6]);
    }
    /* --signers elsewhere, missing a video: exit 1 naming it */
    char *sg = path_join(dir, "other_signers.txt");
    write_text_file(sg, "v00 a\nv01 b\n");
    struct cli_result r = splits_cli(dir, out, "0", "--signers", sg);
    assert_int_equal(r.exit_code, 1);
    assert_non_null(strstr(r.err, "has no line for video 'v02'"));
    assert_non_null(strstr(r.err, "22 videos have no signer line"));
    cli_result_free(&r);
    free(sg);
    free(out);
    remove_dataset(dir);
}

static void test_cli_bad_inputs(void **state)
{
    (void)state;
    char *dir = make_dataset(6, 3, 0);
    char *out = path_join(dir, "s.json");
    /* ratios */
    struct cli_result r = run_cli("splits", "--data", dir, "--train", ".5", (const char *)NULL);
    assert_int_equal(r.exit_code, 2);
    assert_non_null(strstr(r.err, "must sum to 1"));
    cli_result_free(&r);
    r = run_cli("splits", "--data", dir, "--train", "1.1", "--val", "-0.1", "--test", "0",
                (const char *)NULL);
    assert_int_equal(r.exit_code, 2);
    cli_result_free(&r);
    r = run_cli("splits", "--data", dir, "--rule", "most", (const char *)NULL);
    assert_int_equal(r.exit_code, 2);
    assert_non_null(strstr(r.err, "--rule must be 'any' or 'majority'"));
    cli_result_free(&r);
    r = run_cli("splits", (const char *)NULL);
    assert_int_equal(r.exit_code, 2);
    cli_result_free(&r);
    /* a groundtruth id without an npz: a warning, still 0 */
    char *gtp = path_join(dir, "groundtruth.txt");
    char *gt = read_text_file(gtp, NULL);
    char *gt2 = malloc(strlen(gt) + 32);
    sprintf(gt2, "%sghost 3 S\n", gt);
    write_text_file(gtp, gt2);
    r = splits_cli(dir, out, "0", NULL, NULL);
    assert_int_equal(r.exit_code, 0);
    assert_non_null(strstr(r.err, "warning: groundtruth"));
    assert_non_null(strstr(r.err, "names video 'ghost', which has no 'ghost.npz'"));
    cli_result_free(&r);
    /* a non-integer frame: exit 1 naming file:line */
    sprintf(gt2, "%sv01 x12 S\n", gt);
    write_text_file(gtp, gt2);
    r = splits_cli(dir, out, "0", NULL, NULL);
    assert_int_equal(r.exit_code, 1);
    assert_non_null(strstr(r.err, "groundtruth.txt':19: frame index 'x12' is not a non-negative "
                                  "integer (line: \"v01 x12 S\")"));
    cli_result_free(&r);
    /* majority rule: window [15,25) has frame 20 S only → S; [20,30) too */
    write_text_file(gtp, gt);
    r = splits_cli(dir, out, "0", "--rule", "majority");
    assert_int_equal(r.exit_code, 0);
    assert_non_null(strstr(r.out, "42 windows: S 6, nonS 36"));
    cli_result_free(&r);
    /* frame counts that disagree */
    write_video(dir, "v99", 10, 12);
    r = splits_cli(dir, out, "0", NULL, NULL);
    assert_int_equal(r.exit_code, 1);
    assert_non_null(strstr(r.err, "v99.npz': 'pose' has 10 frames but 'left_hand' has 12"));
    cli_result_free(&r);
    /* a folder that does not exist, and one without npz files */
    r = splits_cli("/nonexistent-sg-folder", out, "0", NULL, NULL);
    assert_int_equal(r.exit_code, 1);
    assert_non_null(strstr(r.err, "cannot open folder '/nonexistent-sg-folder'"));
    cli_result_free(&r);
    char *empty = tmpdir_make();
    r = splits_cli(empty, out, "0", NULL, NULL);
    assert_int_equal(r.exit_code, 1);
    assert_non_null(strstr(r.err, "no .npz file in"));
    cli_result_free(&r);
    tmpdir_remove(empty);
    free(empty);
    /* no groundtruth */
    unlink(gtp);
    r = splits_cli(dir, out, "0", NULL, NULL);
    assert_int_equal(r.exit_code, 1);
    assert_non_null(strstr(r.err, "error: groundtruth: no groundtruth file in"));
    cli_result_free(&r);
    free(gt);
    free(gt2);
    free(gtp);
    free(out);
    remove_dataset(dir);
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
        cmocka_unit_test(test_alloc_failures),
        cmocka_unit_test(test_cli_reproducible_and_schema),
        cmocka_unit_test(test_cli_signers),
        cmocka_unit_test(test_cli_bad_inputs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
