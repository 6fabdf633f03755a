/* test_inspect.c — `signstgcn inspect` end to end: the report on a fixture dataset, labels
 * from a groundtruth, and every documented bad input with its exit code and one-line message
 * naming the file (and member). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#include "core/error.h"
#include "io/npz.h"
#include "testutil.h"

static void write_f32(struct npz_writer *w, const char *name, size_t T, size_t joints,
                      size_t channels, float value)
{
    struct error err;
    size_t n = T * joints * channels, shape[3] = {T, joints, channels};
    float *p = malloc((n ? n : 1) * sizeof *p);
    for (size_t i = 0; i < n; i++) p[i] = value + 0.01f * (float)(i % 97);
    if (npz_writer_add_f32(w, name, 3, shape, p, &err)) fail_msg("%s", err.msg);
    free(p);
}

/* pose (T,33,4) and, when hand_T > 0, left_hand (hand_T,21,hand_C). */
static void write_video(const char *dir, const char *name, size_t T, size_t hand_T,
                        size_t hand_C)
{
    char *path = path_join(dir, name);
    struct npz_writer w;
    struct error err;
    if (npz_writer_open(&w, path, false, &err)) fail_msg("%s", err.msg);
    write_f32(&w, "pose", T, 33, 4, 0.25f);
    if (hand_T) write_f32(&w, "left_hand", hand_T, 21, hand_C, 0.5f);
    if (npz_writer_close(&w, &err)) fail_msg("%s", err.msg);
    free(path);
}

/* Runs inspect and checks: exit code, and for a failure exactly one stderr line that starts
 * with the error prefix and contains each `needle`. */
static void expect_failure(int code, const char *const *argv, const char *n1, const char *n2)
{
    struct cli_result r = run_cliv(argv);
    if (r.exit_code != code)
        fail_msg("exit %d (expected %d); stderr: %s", r.exit_code, code, r.err);
    if (code == 1) {
        if (strncmp(r.err, "signstgcn inspect: error: ", 26) != 0)
            fail_msg("stderr: %s", r.err);
        const char *nl = strchr(r.err, '\n');
        if (!nl || nl[1] != '\0') fail_msg("not one line: %s", r.err);
    }
    if (n1 && !strstr(r.err, n1)) fail_msg("'%s' not in: %s", n1, r.err);
    if (n2 && !strstr(r.err, n2)) fail_msg("'%s' not in: %s", n2, r.err);
    assert_string_equal(r.out, "");
    cli_result_free(&r);
}

static void test_report_on_fixture(void **state)
{
    (void)state;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", fixture_path("dataset/main"));
    struct cli_result r = run_cli("inspect", "--data", dir, "--include-hands", "--window", "8",
                                  "--stride", "3", NULL);
    assert_int_equal(r.exit_code, 0);
    assert_non_null(strstr(r.out, "a.npz: 9 frames, 1 window\n"));
    assert_non_null(strstr(r.out, "c.npz: 7 frames, 1 window, not normalised\n"));
    assert_non_null(strstr(r.out, "    pose           (6, 33, 4)         >f8, Fortran order\n"));
    assert_non_null(strstr(r.out, "    face           (10, 478, 3)       <f2\n"));
    assert_non_null(strstr(r.out, "    frame_ids      (10,)              <i8\n"));
    assert_non_null(strstr(r.out, "  files                4\n"
                                  "  frames               32\n"
                                  "  windows              4\n"
                                  "  joints J             75\n"
                                  "  channels C           2\n"));
    assert_null(strstr(r.out, "labelled")); /* no groundtruth: no label columns */
    assert_non_null(strstr(r.err, "warning: '"));
    assert_non_null(strstr(r.err, "c.npz': no frame with both shoulders; left unnormalised"));
    cli_result_free(&r);

    r = run_cli("inspect", "--data", dir, "--include-face", "--face-points", "lips",
                "--coords", "3", NULL);
    assert_int_equal(r.exit_code, 0);
    assert_non_null(strstr(r.out, "  joints J             73\n  channels C           3\n"));
    cli_result_free(&r);
}

static void test_report_with_labels(void **state)
{
    (void)state;
    char *dir = tmpdir_make();
    write_video(dir, "v1.npz", 10, 0, 0);
    write_video(dir, "v2.npz", 4, 0, 0);
    char *gt = path_join(dir, "groundtruth.txt");
    write_text_file(gt, "v1 0 sign\nv1 1 sign\nv1 5 rest\nv1 9 sign\nv2 3 rest\n");
    struct cli_result r =
        run_cli("inspect", "--data", dir, "--window", "5", "--stride", "5", NULL);
    assert_int_equal(r.exit_code, 0);
    /* v1: [0,5) sign, [5,10) rest+sign tie -> rest (first in the window); v2: one padded
     * window, rest. */
    assert_non_null(strstr(r.out, "v1.npz: 10 frames, 2 windows (2 labelled, 0 unlabelled; "
                                  "4 annotations)\n"));
    assert_non_null(strstr(r.out, "v2.npz: 4 frames, 1 window (1 labelled, 0 unlabelled; "
                                  "1 annotation)\n"));
    assert_non_null(strstr(r.out, "  labelled windows     3\n  unlabelled windows   0\n"));
    assert_non_null(strstr(r.out, "  windows per label:\n"
                                  "    rest                     2\n"
                                  "    sign                     1\n"));
    cli_result_free(&r);

    /* --binary: signing when the label is in --signing-labels (ASCII case-insensitive). */
    r = run_cli("inspect", "--data", dir, "--window", "5", "--stride", "5", "--binary",
                "--signing-labels", " SIGN , ", NULL);
    assert_int_equal(r.exit_code, 0);
    assert_non_null(strstr(r.out, "  windows per class (--binary):\n"
                                  "    not_signing              2\n"
                                  "    signing                  1\n"));
    cli_result_free(&r);

    /* An explicit --groundtruth, with a frame beyond T and an unknown video. */
    char *gt2 = path_join(dir, "other.txt");
    write_text_file(gt2, "v1 3 wave\nv1 40 wave\nnobody 0 wave\n");
    r = run_cli("inspect", "--data", dir, "--window", "5", "--stride", "5", "--groundtruth",
                gt2, NULL);
    assert_int_equal(r.exit_code, 0);
    assert_non_null(strstr(r.out, "  labelled windows     1\n  unlabelled windows   2\n"));
    assert_non_null(strstr(r.out, "    wave                     1\n"));
    assert_non_null(strstr(r.err, "'nobody'"));
    cli_result_free(&r);
    free(gt);
    free(gt2);
    tmpdir_remove(dir);
    free(dir);
}

static void test_bad_inputs_exit_1(void **state)
{
    (void)state;
    char *dir = tmpdir_make();
    const char *argv[] = {"inspect", "--data", dir, "--include-hands", NULL, NULL, NULL};

    /* A truncated npz. */
    write_video(dir, "t.npz", 5, 5, 3);
    char *path = path_join(dir, "t.npz");
    size_t len;
    char *bytes = read_text_file(path, &len);
    FILE *f = fopen(path, "wb");
    fwrite(bytes, 1, len / 2, f);
    fclose(f);
    free(bytes);
    expect_failure(1, argv, "t.npz'", "truncated");
    remove(path);
    free(path);

    /* A zip that is not an npz. */
    path = path_join(dir, "z.npz");
    int zerr;
    zip_t *z = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &zerr);
    assert_non_null(z);
    zip_source_t *src = zip_source_buffer(z, "hello", 5, 0);
    assert_true(zip_file_add(z, "hello.txt", src, 0) >= 0);
    assert_int_equal(zip_close(z), 0);
    expect_failure(1, argv, "z.npz'", "not an npz");
    remove(path);
    free(path);

    /* An unsupported dtype in a member that is used. */
    path = path_join(dir, "d.npz");
    struct npz_writer w;
    struct error err;
    assert_int_equal(npz_writer_open(&w, path, false, &err), 0);
    size_t shape[3] = {2, 33, 2};
    int32_t ints[2 * 33 * 2] = {0};
    assert_int_equal(
        npz_writer_add_raw(&w, "pose", "<i4", false, 3, shape, ints, sizeof ints, &err), 0);
    assert_int_equal(npz_writer_close(&w, &err), 0);
    expect_failure(1, argv, "d.npz'", "member 'pose'");
    remove(path);
    free(path);

    /* Parts with different T. */
    write_video(dir, "f.npz", 5, 4, 3);
    expect_failure(1, argv, "f.npz': member 'left_hand' has 4 frames but member 'pose' has 5",
                   NULL);
    /* Without --include-hands the hand is not used, and the file is fine. */
    const char *argv_pose[] = {"inspect", "--data", dir, NULL};
    struct cli_result r = run_cliv(argv_pose);
    assert_int_equal(r.exit_code, 0);
    cli_result_free(&r);
    path = path_join(dir, "f.npz");
    remove(path);
    free(path);

    /* A part with fewer channels than --coords. */
    write_video(dir, "c.npz", 5, 5, 2);
    argv[4] = "--coords";
    argv[5] = "3";
    expect_failure(1, argv, "c.npz': part 'left_hand' has 2 channels but --coords 3 needs 3",
                   NULL);
    path = path_join(dir, "c.npz");
    remove(path);
    free(path);

    /* An empty folder, a folder that does not exist. */
    expect_failure(1, argv, dir, "no .npz files");
    char *missing = path_join(dir, "nope");
    const char *argv_missing[] = {"inspect", "--data", missing, NULL};
    expect_failure(1, argv_missing, "nope'", "No such file or directory");
    free(missing);
    tmpdir_remove(dir);
    free(dir);
}

static void test_usage_errors_exit_2(void **state)
{
    (void)state;
    const char *dir = fixture_path("dataset/main");
    char d[4096];
    snprintf(d, sizeof d, "%s", dir);
    const char *cases[][7] = {
        {"inspect", "--data", d, "--window", "abc", NULL},
        {"inspect", "--data", d, "--window", "0", NULL},
        {"inspect", "--data", d, "--stride", "2x", NULL},
        {"inspect", "--data", d, "--coords", "5", NULL},
        {"inspect", "--data", d, "--face-points", "eyes", NULL},
        {"inspect", "--data", d, "--normalize", "scale", NULL},
        {"inspect", "--data", d, "--label-fill", "next", NULL},
        {"inspect", "--data", d, "--bogus", NULL, NULL},
        {"inspect", "--data", d, "--window", NULL, NULL},
        {"inspect", "--window", "5", NULL, NULL, NULL},
        {"inspect", "--data", d, "extra", NULL, NULL},
        {"inspect", "--data", d, "--binary", "--signing-labels", " , "},
        {"inspect", "--data", d, "--no-include-pose", NULL},
    };
    const char *needles[] = {"--window", "--window", "--stride", "--coords", "--face-points",
                             "--normalize", "--label-fill", "--bogus", "--window", "--data",
                             "extra", "--signing-labels", "no part"};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_failure(2, cases[i], needles[i], "Try 'signstgcn inspect --help'");
    struct cli_result r = run_cli("inspect", "--help", NULL);
    assert_int_equal(r.exit_code, 0);
    assert_non_null(strstr(r.out, "--include-hands"));
    cli_result_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_report_on_fixture),
        cmocka_unit_test(test_report_with_labels),
        cmocka_unit_test(test_bad_inputs_exit_1),
        cmocka_unit_test(test_usage_errors_exit_2),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
