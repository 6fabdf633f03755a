/* test_groundtruth.c — the groundtruth and signers parsers (SPEC §1.3): accepted syntax,
 * every rejected line with its file:line message, overrides, per-frame labels with both fill
 * modes, path resolution, and error paths under failing allocations. */
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "io/groundtruth.h"
#include "testutil.h"

static void parse_ok(struct groundtruth *gt, const char *text)
{
    struct error err = {{0}};
    int rc = groundtruth_parse(gt, text, strlen(text), "gt.txt", &err);
    if (rc != 0) fail_msg("unexpected error: %s", err.msg);
}

static void parse_fails(const char *text, size_t len, const char *expect)
{
    struct groundtruth gt;
    struct error err = {{0}};
    assert_int_equal(groundtruth_parse(&gt, text, len, "data/groundtruth.txt", &err), -1);
    if (!strstr(err.msg, expect)) fail_msg("message '%s' lacks '%s'", err.msg, expect);
    assert_int_equal(gt.n_videos, 0);
    groundtruth_free(&gt);
}

static void test_parse_basic(void **state)
{
    (void)state;
    struct groundtruth gt;
    parse_ok(&gt, "# header\n\n  \t\nv2 0 s\nv1 25 n extra tokens\r\nv1 0 s\n   # indented\n"
                  "v2 50 gesture\n");
    assert_int_equal(groundtruth_num_labels(&gt), 3);
    assert_string_equal(groundtruth_label_name(&gt, 0), "s");
    assert_string_equal(groundtruth_label_name(&gt, 1), "n");
    assert_string_equal(groundtruth_label_name(&gt, 2), "gesture");
    assert_null(groundtruth_label_name(&gt, 3));
    assert_null(groundtruth_label_name(&gt, -1));
    assert_int_equal(groundtruth_label_id(&gt, "gesture"), 2);
    assert_int_equal(groundtruth_label_id(&gt, "S"), -1);
    assert_int_equal(groundtruth_num_videos(&gt), 2);
    assert_string_equal(groundtruth_video_id(&gt, 0), "v1");
    assert_string_equal(groundtruth_video_id(&gt, 1), "v2");
    const struct gt_video *v1 = groundtruth_find_video(&gt, "v1");
    assert_non_null(v1);
    assert_int_equal(v1->n_annotations, 2);
    assert_int_equal(v1->annotations[0].frame, 0);
    assert_int_equal(v1->annotations[1].frame, 25);
    assert_int_equal(v1->annotations[1].label, 1);
    assert_null(groundtruth_find_video(&gt, "v3"));
    groundtruth_free(&gt);
}

static void test_duplicate_overrides(void **state)
{
    (void)state;
    struct groundtruth gt;
    parse_ok(&gt, "v 5 a\nv 3 b\nv 5 c\nv 5 d\nw 5 a");
    const struct gt_video *v = groundtruth_find_video(&gt, "v");
    assert_int_equal(v->n_annotations, 2);
    assert_int_equal(v->annotations[0].frame, 3);
    assert_int_equal(v->annotations[1].frame, 5);
    assert_string_equal(groundtruth_label_name(&gt, v->annotations[1].label), "d");
    groundtruth_free(&gt);
}

static void test_frame_labels(void **state)
{
    (void)state;
    struct groundtruth gt;
    parse_ok(&gt, "v 2 a\nv 5 b\nv 9 a\nv 100 b\n");
    int32_t out[8];
    assert_int_equal(groundtruth_frame_labels(&gt, "v", 8, LABEL_FILL_NONE, out), 2);
    const int32_t none[8] = {-1, -1, 0, -1, -1, 1, -1, -1};
    assert_memory_equal(out, none, sizeof none);
    assert_int_equal(groundtruth_frame_labels(&gt, "v", 8, LABEL_FILL_PREVIOUS, out), 2);
    const int32_t prev[8] = {-1, -1, 0, 0, 0, 1, 1, 1};
    assert_memory_equal(out, prev, sizeof prev);
    assert_int_equal(groundtruth_frame_labels(&gt, "absent", 8, LABEL_FILL_PREVIOUS, out), 0);
    for (int i = 0; i < 8; i++) assert_int_equal(out[i], -1);
    int32_t big[12];
    groundtruth_frame_labels(&gt, "v", 12, LABEL_FILL_PREVIOUS, big);
    assert_int_equal(big[8], 1);
    assert_int_equal(big[9], 0);
    assert_int_equal(big[11], 0);
    groundtruth_free(&gt);
}

static void test_bad_lines(void **state)
{
    (void)state;
    const char *t1 = "v1 0 s\n\nv1 x12 s\n";
    parse_fails(t1, strlen(t1),
                "groundtruth: 'data/groundtruth.txt':3: frame index 'x12' is not a "
                "non-negative integer (line: \"v1 x12 s\")");
    parse_fails("v1 -3 s", 7, "frame index '-3' is not a non-negative integer");
    parse_fails("v1 +3 s", 7, "frame index '+3'");
    parse_fails("v1 3.0 s", 8, "frame index '3.0'");
    const char *t2 = "v1 99999999999999999999 s";
    parse_fails(t2, strlen(t2), ":1: frame index '99999999999999999999' is too large");
    parse_fails("v1 3\n", 5, ":1: expected '<video_id> <frame_idx> <label>', found 2 fields");
    parse_fails("a\n", 2, "found 1 field (line: \"a\")");
    parse_fails("v1 0 s\nv1 1\0 s\n", 15, ":2: the line holds a NUL byte");
    /* the largest uint64 is accepted */
    struct groundtruth gt;
    parse_ok(&gt, "v 18446744073709551615 s\n");
    assert_true(groundtruth_find_video(&gt, "v")->annotations[0].frame == UINT64_MAX);
    groundtruth_free(&gt);
}

static void test_long_line(void **state)
{
    (void)state;
    size_t n = 10u << 20;
    char *big = malloc(n + 16);
    memset(big, 'x', n);
    memcpy(big + n, " 1\n", 4);
    struct groundtruth gt;
    struct error err = {{0}};
    assert_int_equal(groundtruth_parse(&gt, big, n + 3, "big", &err), -1);
    assert_non_null(strstr(err.msg, "'big':1: expected"));
    assert_true(strlen(err.msg) < 400);
    /* a 10 MB label is fine */
    memcpy(big, "v 1 ", 4);
    assert_int_equal(groundtruth_parse(&gt, big, n, "big", &err), 0);
    assert_int_equal(strlen(groundtruth_label_name(&gt, 0)), n - 4);
    groundtruth_free(&gt);
    free(big);
}

static void test_read_and_find(void **state)
{
    (void)state;
    char *dir = tmpdir_make();
    struct error err = {{0}};
    char *found = NULL;
    assert_int_equal(groundtruth_find(dir, NULL, false, &found, &err), 0);
    assert_null(found);
    assert_int_equal(groundtruth_find(dir, NULL, true, &found, &err), -1);
    assert_non_null(strstr(err.msg, "no groundtruth file in"));
    assert_non_null(strstr(err.msg, "hint: pass --groundtruth FILE"));
    char *plain = path_join(dir, "groundtruth");
    write_text_file(plain, "v 0 s\n");
    assert_int_equal(groundtruth_find(dir, NULL, true, &found, &err), 0);
    assert_string_equal(found, plain);
    free(found);
    char *txt = path_join(dir, "groundtruth.txt");
    write_text_file(txt, "v 0 s\nv 1 n\n");
    assert_int_equal(groundtruth_find(dir, NULL, true, &found, &err), 0);
    assert_string_equal(found, txt);
    struct groundtruth gt;
    assert_int_equal(groundtruth_read(&gt, found, &err), 0);
    assert_int_equal(groundtruth_num_labels(&gt), 2);
    groundtruth_free(&gt);
    free(found);
    assert_int_equal(groundtruth_find(dir, plain, true, &found, &err), 0);
    assert_string_equal(found, plain);
    free(found);
    char *missing = path_join(dir, "nope.txt");
    assert_int_equal(groundtruth_find(dir, missing, false, &found, &err), -1);
    assert_non_null(strstr(err.msg, "nope.txt' (--groundtruth): No such file"));
    assert_int_equal(groundtruth_read(&gt, missing, &err), -1);
    assert_non_null(strstr(err.msg, "groundtruth: cannot open"));
    groundtruth_free(&gt);
    /* signers.txt is optional */
    assert_int_equal(signers_find(dir, NULL, &found, &err), 0);
    assert_null(found);
    char *sg = path_join(dir, "signers.txt");
    write_text_file(sg, "v alice\n");
    assert_int_equal(signers_find(dir, NULL, &found, &err), 0);
    assert_string_equal(found, sg);
    free(found);
    assert_int_equal(signers_find(dir, missing, &found, &err), -1);
    assert_non_null(strstr(err.msg, "(--signers): No such file"));
    free(sg);
    free(missing);
    free(plain);
    free(txt);
    tmpdir_remove(dir);
    free(dir);
}

static void test_signers(void **state)
{
    (void)state;
    struct signers s;
    struct error err = {{0}};
    const char *text = "# video signer\nv2 bob\n\nv1 alice extra\nv3 carol\nv2 dave\n";
    assert_int_equal(signers_parse(&s, text, strlen(text), "signers.txt", &err), 0);
    assert_int_equal(s.n, 3);
    assert_string_equal(s.entries[0].video, "v1");
    assert_string_equal(signers_lookup(&s, "v1"), "alice");
    assert_string_equal(signers_lookup(&s, "v2"), "dave");
    assert_string_equal(signers_lookup(&s, "v3"), "carol");
    assert_null(signers_lookup(&s, "v4"));
    signers_free(&s);
    const char *bad = "v1 a\nv2\n";
    assert_int_equal(signers_parse(&s, bad, strlen(bad), "signers.txt", &err), -1);
    assert_string_equal(err.msg, "signers: 'signers.txt':2: expected '<video_id> <signer_id>', "
                                 "found 1 field (line: \"v2\")");
    signers_free(&s);
    assert_int_equal(signers_parse(&s, "v\0 a", 4, "s", &err), -1);
    assert_non_null(strstr(err.msg, "NUL byte"));
    signers_free(&s);
}

/* Regression (fuzz_signers): an empty or comment-only signers file passed a NULL array to
 * qsort, undefined behaviour even with zero elements. */
static void test_signers_empty_file(void **state)
{
    (void)state;
    struct signers s;
    struct error err;
    assert_int_equal(signers_parse(&s, "", 0, "empty", &err), 0);
    assert_int_equal(s.n, 0);
    assert_null(signers_lookup(&s, "v"));
    signers_free(&s);
    assert_int_equal(signers_parse(&s, "# c\n\n", 5, "comments", &err), 0);
    assert_int_equal(s.n, 0);
    signers_free(&s);
    struct groundtruth gt;
    assert_int_equal(groundtruth_parse(&gt, "", 0, "empty", &err), 0);
    assert_int_equal(groundtruth_num_videos(&gt), 0);
    int32_t out[3];
    assert_int_equal(groundtruth_frame_labels(&gt, "v", 3, LABEL_FILL_PREVIOUS, out), 0);
    assert_int_equal(out[2], -1);
    groundtruth_free(&gt);
}

static void test_label_fill_parse(void **state)
{
    (void)state;
    enum label_fill f;
    struct error err;
    assert_int_equal(label_fill_parse("previous", &f, &err), 0);
    assert_int_equal(f, LABEL_FILL_PREVIOUS);
    assert_string_equal(label_fill_name(f), "previous");
    assert_int_equal(label_fill_parse("none", &f, &err), 0);
    assert_int_equal(f, LABEL_FILL_NONE);
    assert_int_equal(label_fill_parse("Previous", &f, &err), -1);
    assert_non_null(strstr(err.msg, "'Previous'"));
}

/* Every allocation failing in turn: the parsers fail cleanly (ASan checks nothing leaks). */
static void test_alloc_failures(void **state)
{
    (void)state;
    const char *text = "a 1 x\nb 2 y\na 3 z\nc 4 x\na 1 w\n";
    const char *stext = "a 1\nb 2\na 3\n";
    int ok_gt = 0, ok_s = 0;
    for (long n = 0; n < 60; n++) {
        struct groundtruth gt;
        struct signers s;
        struct error err;
        alloc_fail_after(n);
        if (groundtruth_parse(&gt, text, strlen(text), "t", &err) == 0) ok_gt++;
        groundtruth_free(&gt);
        alloc_fail_after(n);
        if (signers_parse(&s, stext, strlen(stext), "s", &err) == 0) ok_s++;
        signers_free(&s);
        alloc_fail_after(-1);
    }
    assert_true(ok_gt > 0 && ok_gt < 60);
    assert_true(ok_s > 0 && ok_s < 60);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_basic),     cmocka_unit_test(test_duplicate_overrides),
        cmocka_unit_test(test_frame_labels),    cmocka_unit_test(test_bad_lines),
        cmocka_unit_test(test_long_line),       cmocka_unit_test(test_read_and_find),
        cmocka_unit_test(test_signers),         cmocka_unit_test(test_label_fill_parse),
        cmocka_unit_test(test_alloc_failures),
        cmocka_unit_test(test_signers_empty_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
