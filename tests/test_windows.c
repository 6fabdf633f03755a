/* test_windows.c — window starts, window labels and the binary / multi-class mappings
 * (SPEC §1.4), checked two ways: hand-made cases for each rule, and the fixture datasets of
 * tests/fixtures/windows/ against the rows written by tools/windows_reference.py (an
 * independent Python reading of the SPEC) for every case in cases.tsv. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "data/splits.h"
#include "data/windows.h"
#include "io/groundtruth.h"
#include "testutil.h"

static void test_starts(void **state)
{
    (void)state;
    assert_int_equal(windows_count(30, 8, 1), 23);
    assert_int_equal(windows_count(30, 8, 3), 8); /* 0,3,...,21 */
    assert_int_equal(windows_start(7, 3), 21);
    assert_true(windows_start(7, 3) + 8 <= 30 && windows_start(8, 3) + 8 > 30);
    assert_int_equal(windows_count(25, 25, 1), 1);
    assert_int_equal(windows_count(6, 25, 1), 1);
    assert_int_equal(windows_count(1, 25, 7), 1);
    assert_int_equal(windows_real_frames(6, 0, 25), 6);
    assert_int_equal(windows_real_frames(30, 21, 8), 8);
}

static void test_label_rules(void **state)
{
    (void)state;
    uint32_t counts[4] = {0};
    const int32_t f[] = {-1, 2, 1, 1, 2, -1, 3, 3, 3, -1};
    /* tie 2:2 between labels 2 and 1 → 2 appears first */
    assert_int_equal(windows_label(f, 10, 0, 5, counts), 2);
    /* tie starting one later: 1 appears first */
    assert_int_equal(windows_label(f, 10, 2, 3, counts), 1);
    /* majority beats first appearance */
    assert_int_equal(windows_label(f, 10, 1, 9, counts), 3);
    /* unlabelled windows, and a window past the end */
    assert_int_equal(windows_label(f, 10, 9, 1, counts), -1);
    assert_int_equal(windows_label(f, 10, 0, 1, counts), -1);
    /* a short video: the window covers only the real frames */
    assert_int_equal(windows_label(f, 3, 0, 25, counts), 2);
    for (int i = 0; i < 4; i++) assert_int_equal(counts[i], 0);
    int32_t all[10];
    struct error err;
    assert_int_equal(windows_label_all(f, 10, 4, 2, 4, all, &err), 0);
    const int32_t want[4] = {1, 1, 3, 3}; /* starts 0,2,4,6 */
    assert_memory_equal(all, want, sizeof want);
    const bool mask[4] = {false, false, false, true};
    assert_true(windows_any_label(f, 10, 5, 2, mask));
    assert_false(windows_any_label(f, 10, 0, 6, mask));
}

static void test_name_lists(void **state)
{
    (void)state;
    struct name_list l;
    struct error err;
    assert_int_equal(name_list_parse(&l, " s ,\tSign,, ,gesture\t", "--signing-labels", false,
                                     &err), 0);
    assert_int_equal(l.n, 3);
    assert_string_equal(l.names[0], "s");
    assert_string_equal(l.names[1], "Sign");
    assert_string_equal(l.names[2], "gesture");
    assert_true(name_list_contains_ci(&l, "SIGN"));
    assert_true(name_list_contains_ci(&l, "S"));
    assert_false(name_list_contains_ci(&l, "signs"));
    assert_int_equal(name_list_find(&l, "sign"), -1);
    const char *labels[] = {"S", "walk", "GESTURE", "sign "};
    int32_t cls[4];
    windows_binary_map(&l, labels, 4, cls);
    assert_int_equal(cls[0], 1);
    assert_int_equal(cls[1], 0);
    assert_int_equal(cls[2], 1);
    assert_int_equal(cls[3], 0);
    name_list_free(&l);
    assert_int_equal(name_list_parse(&l, " , ", "--signing-labels", false, &err), -1);
    assert_non_null(strstr(err.msg, "--signing-labels: no name in ' , '"));
    assert_int_equal(name_list_parse(&l, "a,b,a", "--classes", true, &err), -1);
    assert_non_null(strstr(err.msg, "--classes: 'a' is listed twice"));
    /* ASCII folding only: bytes >= 0x80 are compared as they are */
    assert_true(ascii_equal_ci("Ab\xc3\x89", "aB\xc3\x89"));
    assert_false(ascii_equal_ci("\xc3\x89", "\xc3\xa9"));
    assert_false(ascii_equal_ci("ab", "abc"));
}

static void collect(void *ctx, const char *msg)
{
    snprintf(ctx, 256, "%s", msg);
}

static void test_class_lists(void **state)
{
    (void)state;
    const char *labels[] = {"walk", "S", "n", "b", "unused"};
    const int32_t win[] = {0, -1, 1, 2, 0, 3, 1};
    bool used[5] = {0};
    windows_mark_labels(win, 7, used);
    assert_false(used[4]);
    struct class_list cl;
    struct error err;
    assert_int_equal(class_list_from_labels(&cl, labels, 5, used, &err), 0);
    assert_int_equal(cl.n_classes, 4);
    assert_string_equal(cl.names[0], "S"); /* byte order: uppercase first */
    assert_string_equal(cl.names[1], "b");
    assert_string_equal(cl.names[2], "n");
    assert_string_equal(cl.names[3], "walk");
    int32_t map[5];
    class_list_map(&cl, labels, 5, map);
    const int32_t want[5] = {3, 0, 2, 1, -1};
    assert_memory_equal(map, want, sizeof want);
    char msg[256] = "", buf[32];
    struct warn_sink w = {collect, msg};
    assert_int_equal(class_list_set_outputs(&cl, 3, &w, &err), -1);
    assert_non_null(strstr(err.msg, "--num-classes 3 is smaller than the number of classes (4)"));
    assert_int_equal(class_list_set_outputs(&cl, 4, &w, &err), 0);
    assert_string_equal(msg, "");
    assert_int_equal(class_list_set_outputs(&cl, 6, &w, &err), 0);
    assert_int_equal(cl.num_outputs, 6);
    assert_non_null(strstr(msg, "leaves 2 of the model's outputs unused"));
    assert_string_equal(class_list_output_name(&cl, 1, buf, sizeof buf), "b");
    assert_string_equal(class_list_output_name(&cl, 5, buf, sizeof buf), "5");
    class_list_free(&cl);
    assert_int_equal(class_list_from_names(&cl, "walk, n ,zzz", &err), 0);
    class_list_map(&cl, labels, 5, map);
    const int32_t want2[5] = {0, -1, 1, -1, -1};
    assert_memory_equal(map, want2, sizeof want2);
    class_list_free(&cl);
}

/* ---- the Python reference on the fixture datasets ---------------------------------------- */

/* Renders the windows of a dataset as the reference does: video\tstart\tlabel\tbinary. */
static char *render_dataset(const char *dir, size_t window, size_t stride,
                            enum label_fill fill, const char *signing)
{
    struct error err;
    char *gt_path;
    if (groundtruth_find(dir, NULL, true, &gt_path, &err) != 0) fail_msg("%s", err.msg);
    struct groundtruth gt;
    if (groundtruth_read(&gt, gt_path, &err) != 0) fail_msg("%s", err.msg);
    free(gt_path);
    struct name_list sl;
    if (name_list_parse(&sl, signing, "--signing-labels", false, &err) != 0)
        fail_msg("%s", err.msg);
    size_t nl = groundtruth_num_labels(&gt);
    int32_t *binary = calloc(nl + 1, sizeof *binary);
    windows_binary_map(&sl, (const char *const *)gt.labels, nl, binary);
    char **ids;
    size_t n;
    if (splits_list_videos(dir, &ids, &n, &err) != 0) fail_msg("%s", err.msg);
    size_t cap = 1 << 16, len = 0;
    char *out = malloc(cap);
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        char name[512];
        snprintf(name, sizeof name, "%s/%s.npz", dir, ids[i]);
        size_t T;
        if (splits_video_frames(name, &T, &err) != 0) fail_msg("%s", err.msg);
        int32_t *frames = malloc(T * sizeof *frames);
        groundtruth_frame_labels(&gt, ids[i], T, fill, frames);
        size_t nw = windows_count(T, window, stride);
        int32_t *wl = malloc(nw * sizeof *wl);
        assert_int_equal(windows_label_all(frames, T, window, stride, nl, wl, &err), 0);
        for (size_t w = 0; w < nw; w++) {
            const char *lab = wl[w] >= 0 ? groundtruth_label_name(&gt, wl[w]) : "";
            char bin[4] = "";
            if (wl[w] >= 0) snprintf(bin, sizeof bin, "%d", binary[wl[w]]);
            size_t need = strlen(ids[i]) + strlen(lab) + 64;
            if (len + need >= cap) out = realloc(out, cap *= 2);
            len += (size_t)snprintf(out + len, cap - len, "%s\t%zu\t%s\t%s\n", ids[i],
                                    windows_start(w, stride), lab, bin);
        }
        free(wl);
        free(frames);
    }
    splits_free_ids(ids, n);
    name_list_free(&sl);
    free(binary);
    groundtruth_free(&gt);
    return out;
}

static void test_reference_fixtures(void **state)
{
    (void)state;
    char *cases = read_text_file(fixture_path("windows/cases.tsv"), NULL);
    assert_non_null(cases);
    size_t ran = 0;
    for (char *line = strtok(cases, "\n"); line; line = strtok(NULL, "\n")) {
        if (line[0] == '#') continue;
        char *f[6];
        char *p = line;
        for (int i = 0; i < 6; i++) {
            f[i] = p;
            p = i < 5 ? strchr(p, '\t') : NULL;
            if (i < 5) {
                assert_non_null(p);
                *p++ = '\0';
            }
        }
        enum label_fill fill;
        struct error err;
        assert_int_equal(label_fill_parse(f[4], &fill, &err), 0);
        char dir[1024], exp_name[256];
        snprintf(dir, sizeof dir, "%s", fixture_path("windows"));
        strncat(dir, "/", sizeof dir - strlen(dir) - 1);
        strncat(dir, f[1], sizeof dir - strlen(dir) - 1);
        snprintf(exp_name, sizeof exp_name, "windows/expected_%s.tsv", f[0]);
        char *expected = read_text_file(fixture_path(exp_name), NULL);
        assert_non_null(expected);
        char *got = render_dataset(dir, (size_t)atol(f[2]), (size_t)atol(f[3]), fill, f[5]);
        if (strcmp(got, expected) != 0)
            fail_msg("case %s: C windows differ from the Python reference\n--- C\n%s--- Python\n%s",
                     f[0], got, expected);
        free(got);
        free(expected);
        ran++;
    }
    assert_true(ran >= 6);
    free(cases);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_starts),        cmocka_unit_test(test_label_rules),
        cmocka_unit_test(test_name_lists),    cmocka_unit_test(test_class_lists),
        cmocka_unit_test(test_reference_fixtures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
