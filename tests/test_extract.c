/* test_extract.c — `signstgcn extract` without the extractor itself (no Node, chromium or
 * ffmpeg needed; tests/extract/ runs the real one under the ctest label `extract`):
 *  - the extractor's records (data/extract_records.c): good records parse; every kind of bad
 *    record (not JSON, unknown type, a landmark array of the wrong length, a string among the
 *    numbers, a visibility above 1, a width of 0, an over-long line) is one error naming the
 *    line and what was expected;
 *  - frames gather into a recording with NaN for missing parts, in order only, with the face
 *    size the options asked for; the npz written has the `fps` member and reads back exactly;
 *  - the command with a stand-in extractor (SIGNSTGCN_NODE, a shell script that prints
 *    canned records): outputs written, an input the extractor failed named and exit 1 while
 *    the others are written, a refused request fails the run, an extractor that dies is
 *    reported, existing outputs are skipped without starting anything;
 *  - a missing extractor or a folder without its npm packages: one error line and the hint
 *    naming scripts/install-extract.sh; usage errors exit 2.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"
#include "data/extract_records.h"
#include "data/landmarks.h"
#include "testutil.h"

/* A frame record: pose/hands/face present as asked, values from `seed`. */
static char *frame_line(size_t index, size_t t, bool pose, bool lh, bool rh, size_t face,
                        double seed)
{
    size_t cap = 64 * 1024, k = 0;
    char *s = malloc(cap);
    assert_non_null(s);
    k += (size_t)snprintf(s + k, cap - k, "{\"type\":\"frame\",\"index\":%zu,\"t\":%zu", index, t);
    static const char *const names[4] = {"pose", "left_hand", "right_hand", "face"};
    size_t counts[4] = {pose ? 33 * 4 : 0, lh ? 21 * 3 : 0, rh ? 21 * 3 : 0, face * 3};
    for (int p = 0; p < 4; p++) {
        k += (size_t)snprintf(s + k, cap - k, ",\"%s\":", names[p]);
        if (!counts[p]) {
            k += (size_t)snprintf(s + k, cap - k, "null");
            continue;
        }
        s[k++] = '[';
        for (size_t i = 0; i < counts[p]; i++) {
            double v = p == 0 && i % 4 == 3 ? 0.5 : seed + 0.001 * (double)i + 0.1 * p;
            k += (size_t)snprintf(s + k, cap - k, "%s%.6f", i ? "," : "", v);
        }
        s[k++] = ']';
    }
    snprintf(s + k, cap - k, "}");
    return s;
}

static void expect_parse_error(const char *line, const char *needle)
{
    struct extract_rec r;
    struct error err = {{0}};
    assert_int_equal(extract_rec_parse(&r, line, strlen(line), "out line 7", &err), -1);
    if (!strstr(err.msg, needle) || !strstr(err.msg, "out line 7"))
        fail_msg("for %.80s: message '%s' lacks '%s'", line, err.msg, needle);
    assert_null(strchr(err.msg, '\n'));
}

static void test_records_parse(void **state)
{
    (void)state;
    struct extract_rec r;
    struct error err;
    const char *v = "{\"type\":\"video\",\"index\":1,\"path\":\"a.mp4\",\"width\":640,"
                    "\"height\":480,\"fps\":25,\"frames\":10,\"image\":false}";
    assert_int_equal(extract_rec_parse(&r, v, strlen(v), "l", &err), 0);
    assert_int_equal(r.type, EXTRACT_VIDEO);
    assert_int_equal(r.index, 1);
    assert_int_equal(r.width, 640);
    assert_int_equal(r.height, 480);
    assert_true(r.fps == 25);
    assert_int_equal(r.frames, 10);
    extract_rec_free(&r);

    char *f = frame_line(0, 3, true, false, true, 478, 0.25);
    assert_int_equal(extract_rec_parse(&r, f, strlen(f), "l", &err), 0);
    assert_int_equal(r.type, EXTRACT_FRAME);
    assert_int_equal(r.t, 3);
    assert_int_equal(r.joints[DATA_PART_POSE], 33);
    assert_null(r.part[DATA_PART_LEFT_HAND]);
    assert_int_equal(r.joints[DATA_PART_RIGHT_HAND], 21);
    assert_int_equal(r.joints[DATA_PART_FACE], 478);
    assert_true(fabsf(r.part[DATA_PART_POSE][3] - 0.5f) < 1e-7f);
    assert_true(fabsf(r.part[DATA_PART_RIGHT_HAND][1] - 0.451f) < 1e-6f);
    extract_rec_free(&r);
    free(f);

    const char *d = "{\"type\":\"done\",\"served\":14,\"refused\":2,"
                    "\"refused_urls\":[\"http://a/x\",\"https://b/y\"]}";
    assert_int_equal(extract_rec_parse(&r, d, strlen(d), "l", &err), 0);
    assert_int_equal(r.refused, 2);
    assert_string_equal(r.message, "http://a/x, https://b/y");
    extract_rec_free(&r);

    expect_parse_error("not json", "not a JSON object");
    expect_parse_error("{\"type\":\"frames\",\"index\":0}", "field 'type' is frames");
    expect_parse_error("{\"type\":\"video\",\"index\":0,\"width\":0,\"height\":4,\"fps\":1,"
                       "\"frames\":1}",
                       "field 'width' is 0 (expected 1..65535)");
    expect_parse_error("{\"type\":\"end\",\"index\":-1,\"frames\":1}", "field 'index' is -1");
    expect_parse_error("{\"type\":\"frame\",\"index\":0,\"t\":0,\"pose\":[1,2,3],"
                       "\"left_hand\":null,\"right_hand\":null,\"face\":null}",
                       "'pose' has 3 numbers (expected 33 × 4)");
    expect_parse_error("{\"type\":\"frame\",\"index\":0,\"t\":0,\"pose\":null,"
                       "\"right_hand\":null,\"face\":null}",
                       "field 'left_hand' is missing");
    /* a string among the numbers, a visibility above 1 */
    f = frame_line(0, 0, false, true, false, 0, 0.1);
    char *p = strstr(f, "\"left_hand\":[0.200000");
    assert_non_null(p);
    memcpy(p + strlen("\"left_hand\":["), "\"x\"     ", 8);
    expect_parse_error(f, "'left_hand' value 0 (joint 0, channel 0) is not a number");
    free(f);
    f = frame_line(0, 0, true, false, false, 0, 0.1);
    p = strstr(f, "0.500000");
    assert_non_null(p);
    memcpy(p, "1.500000", 8);
    expect_parse_error(f, "'pose' value 3 (joint 0, channel 3) is out of range (expected a "
                          "visibility in [0, 1])");
    free(f);
    /* a line past the limit is refused before parsing */
    char *big = malloc(EXTRACT_MAX_LINE + 2);
    assert_non_null(big);
    memset(big, ' ', EXTRACT_MAX_LINE + 1);
    big[EXTRACT_MAX_LINE + 1] = '\0';
    expect_parse_error(big, "expected at most");
    free(big);
}

static void test_video_gather_and_write(void **state)
{
    (void)state;
    struct extract_rec vr = {0}, fr;
    struct error err;
    vr.type = EXTRACT_VIDEO;
    vr.width = 640;
    vr.height = 480;
    vr.fps = 12.5;
    struct extract_video v;
    extract_video_init(&v, &vr, 468);
    for (size_t t = 0; t < 70; t++) { /* past the first capacity (64) */
        char *f = frame_line(0, t, true, t % 2 == 0, true, t == 5 ? 0 : 468, 0.01 * (double)t);
        assert_int_equal(extract_rec_parse(&fr, f, strlen(f), "l", &err), 0);
        assert_int_equal(extract_video_add(&v, &fr, "l", &err), 0);
        extract_rec_free(&fr);
        free(f);
    }
    /* out of order, and a refined face when 468 was asked for */
    char *f = frame_line(0, 72, true, true, true, 468, 0);
    assert_int_equal(extract_rec_parse(&fr, f, strlen(f), "l", &err), 0);
    assert_int_equal(extract_video_add(&v, &fr, "out line 9", &err), -1);
    assert_non_null(strstr(err.msg, "frame 72 arrived after frame 69 (expected frame 70)"));
    extract_rec_free(&fr);
    free(f);
    f = frame_line(0, 70, true, true, true, 478, 0);
    assert_int_equal(extract_rec_parse(&fr, f, strlen(f), "l", &err), 0);
    assert_int_equal(extract_video_add(&v, &fr, "l", &err), -1);
    assert_non_null(strstr(err.msg, "a face of 478 landmarks (expected 468 without --refine-face)"));
    extract_rec_free(&fr);
    free(f);
    assert_int_equal(v.detected[DATA_PART_POSE], 70);
    assert_int_equal(v.detected[DATA_PART_LEFT_HAND], 35);
    assert_int_equal(v.detected[DATA_PART_FACE], 69);

    struct landmarks lm;
    assert_int_equal(extract_video_finish(&v, &lm, &err), 0);
    extract_video_free(&v);
    assert_int_equal(lm.frames, 70);
    assert_int_equal(lm.skeleton, SKELETON_MEDIAPIPE);
    assert_int_equal(lm.part[DATA_PART_POSE].channels, 4);
    assert_int_equal(lm.part[DATA_PART_FACE].joints, 468);
    /* frame 1 has no left hand, frame 5 no face: NaN */
    assert_true(isnan(lm.part[DATA_PART_LEFT_HAND].data[1 * 63]));
    assert_false(isnan(lm.part[DATA_PART_LEFT_HAND].data[2 * 63]));
    assert_true(isnan(lm.part[DATA_PART_FACE].data[5 * 468 * 3 + 7]));
    assert_true(fabsf(lm.part[DATA_PART_RIGHT_HAND].data[3 * 63 + 2] - 0.232f) < 1e-6f);

    char *dir = tmpdir_make();
    char *npz = path_join(dir, "v.npz");
    assert_int_equal(landmarks_write_npz(&lm, npz, &err), 0);
    struct landmarks back;
    assert_int_equal(landmarks_read_npz(&back, npz, &err), 0);
    assert_true(back.fps == 12.5);
    assert_int_equal(back.frames, 70);
    for (int p = 0; p < DATA_PART_COUNT; p++) {
        size_t n = 70 * lm.part[p].joints * lm.part[p].channels;
        assert_int_equal(back.part[p].joints, lm.part[p].joints);
        for (size_t i = 0; i < n; i++)
            if (!(isnan(back.part[p].data[i]) && isnan(lm.part[p].data[i])))
                assert_memory_equal(&back.part[p].data[i], &lm.part[p].data[i], sizeof(float));
    }
    landmarks_free(&back);
    landmarks_free(&lm);
    free(npz);
    tmpdir_remove(dir);
    free(dir);
}

/* ---- the command with a stand-in extractor ---------------------------------------------- */

struct fake {
    char *dir;        /* temporary folder */
    char *ext;        /* the "extractor" folder: extract.js + node_modules marker files */
    char *node;       /* the stand-in for node: prints $FAKE_RECORDS, exits $FAKE_STATUS */
    char *records;
    char *out;
};

static void fake_setup(struct fake *f)
{
    f->dir = tmpdir_make();
    f->ext = path_join(f->dir, "ext");
    assert_int_equal(mkdir(f->ext, 0777), 0);
    char *p = path_join(f->ext, "extract.js");
    write_text_file(p, "// stand-in\n");
    free(p);
    const char *dirs[] = {"node_modules", "node_modules/puppeteer-core", "node_modules/@mediapipe",
                          "node_modules/@mediapipe/holistic"};
    for (size_t i = 0; i < 4; i++) {
        p = path_join(f->ext, dirs[i]);
        assert_int_equal(mkdir(p, 0777), 0);
        free(p);
    }
    p = path_join(f->ext, "node_modules/puppeteer-core/package.json");
    write_text_file(p, "{}\n");
    free(p);
    p = path_join(f->ext, "node_modules/@mediapipe/holistic/holistic.js");
    write_text_file(p, "\n");
    free(p);
    f->records = path_join(f->dir, "records.jsonl");
    f->node = path_join(f->dir, "node.sh");
    char script[2048];
    snprintf(script, sizeof script, "#!/bin/sh\ncat '%s'\nexit ${FAKE_STATUS:-0}\n", f->records);
    write_text_file(f->node, script);
    assert_int_equal(chmod(f->node, 0755), 0);
    f->out = path_join(f->dir, "out");
    setenv("SIGNSTGCN_NODE", f->node, 1);
    setenv("SIGNSTGCN_EXTRACTOR", f->ext, 1);
}

static void fake_teardown(struct fake *f)
{
    unsetenv("SIGNSTGCN_NODE");
    unsetenv("SIGNSTGCN_EXTRACTOR");
    unsetenv("FAKE_STATUS");
    tmpdir_remove(f->dir);
    free(f->dir);
    free(f->ext);
    free(f->node);
    free(f->records);
    free(f->out);
}

/* The records of a run: video 0 (2 frames, both parts), video 1 failed, video 2 no person. */
static void write_records(struct fake *f, size_t refused, bool finish)
{
    FILE *fp = fopen(f->records, "w");
    assert_non_null(fp);
    fprintf(fp, "{\"type\":\"ready\",\"startup_s\":1.5,\"browser\":\"x\"}\n");
    fprintf(fp, "{\"type\":\"video\",\"index\":0,\"width\":320,\"height\":240,\"fps\":10,"
                "\"frames\":2,\"image\":false}\n");
    for (size_t t = 0; t < 2; t++) {
        char *l = frame_line(0, t, true, true, true, 468, 0.2);
        fprintf(fp, "%s\n", l);
        free(l);
    }
    fprintf(fp, "{\"type\":\"end\",\"index\":0,\"frames\":2}\n");
    if (finish) {
        fprintf(fp, "{\"type\":\"error\",\"index\":1,\"message\":\"not a video or image ffmpeg "
                    "can decode (ffprobe: Invalid data found when processing input)\"}\n");
        fprintf(fp, "{\"type\":\"video\",\"index\":2,\"width\":32,\"height\":24,\"fps\":0,"
                    "\"frames\":1,\"image\":true}\n");
        char *l = frame_line(2, 0, false, false, false, 0, 0);
        fprintf(fp, "%s\n", l);
        free(l);
        fprintf(fp, "{\"type\":\"end\",\"index\":2,\"frames\":1}\n");
        fprintf(fp, "{\"type\":\"done\",\"served\":20,\"refused\":%zu,\"refused_urls\":[%s]}\n",
                refused, refused ? "\"https://example.com/x.js\"" : "");
    }
    fclose(fp);
}

static void test_cli_fake_extractor(void **state)
{
    (void)state;
    struct fake f;
    fake_setup(&f);
    write_records(&f, 0, true);
    char *in[3] = {path_join(f.dir, "a.mp4"), path_join(f.dir, "b.txt"), path_join(f.dir, "c.png")};
    for (size_t i = 0; i < 3; i++) write_text_file(in[i], "x");
    struct cli_result r = run_cli("extract", in[0], in[1], in[2], "--out", f.out, NULL);
    assert_int_equal(r.exit_code, 1);
    char *a_npz = path_join(f.out, "a.npz"), *c_npz = path_join(f.out, "c.npz"),
         *b_npz = path_join(f.out, "b.npz");
    struct stat st;
    assert_int_equal(stat(a_npz, &st), 0);
    assert_int_equal(stat(c_npz, &st), 0);
    assert_int_not_equal(stat(b_npz, &st), 0);
    assert_non_null(strstr(r.out, "a.npz (2 frames at 10 fps; pose 2, left hand 2, right hand 2, "
                                  "face 2)"));
    /* the failed input: one line with its reason, and named in the last line */
    assert_int_equal(count_lines_with(r.err, "not a video or image ffmpeg can decode"), 1);
    assert_non_null(strstr(r.err, "b.txt': not a video"));
    assert_non_null(strstr(r.err, "3 inputs: 2 written, 0 skipped, 1 failed ("));
    assert_non_null(strstr(r.err, "20 page requests to 127.0.0.1, 0 refused"));
    assert_int_equal(count_lines_with(r.err, "no person found in its 1 frame"), 1);
    cli_result_free(&r);
    struct landmarks lm;
    struct error err;
    assert_int_equal(landmarks_read_npz(&lm, a_npz, &err), 0);
    assert_true(lm.fps == 10);
    assert_int_equal(lm.frames, 2);
    landmarks_free(&lm);
    assert_int_equal(landmarks_read_npz(&lm, c_npz, &err), 0);
    assert_true(lm.fps == 0);
    assert_true(isnan(lm.part[DATA_PART_POSE].data[0]));
    landmarks_free(&lm);
    /* inspect reads the folder and shows the frame rate where there is one */
    r = run_cli("inspect", "--data", f.out, NULL);
    assert_int_equal(r.exit_code, 0);
    assert_non_null(strstr(r.out, "a.npz: 2 frames, fps 10, "));
    assert_non_null(strstr(r.out, "c.npz: 1 frames, 1 window"));
    cli_result_free(&r);

    /* a rerun skips what exists and starts nothing (the stand-in would fail the run) */
    setenv("FAKE_STATUS", "3", 1);
    r = run_cli("extract", in[0], in[2], "--out", f.out, NULL);
    assert_int_equal(r.exit_code, 0);
    assert_int_equal(count_lines_with(r.err, "exists, skipped"), 2);
    assert_non_null(strstr(r.err, "2 inputs: 0 written, 2 skipped, 0 failed"));
    cli_result_free(&r);

    /* a refused request fails the run and is named */
    unsetenv("FAKE_STATUS");
    write_records(&f, 1, true);
    r = run_cli("extract", in[0], in[1], in[2], "--out", f.out, "--overwrite", NULL);
    assert_int_equal(r.exit_code, 1);
    assert_non_null(strstr(r.err, "asked for 1 address outside 127.0.0.1, refused: "
                                  "https://example.com/x.js"));
    assert_non_null(strstr(r.err, ", 1 refused"));
    cli_result_free(&r);

    /* an extractor that dies after the first video: the rest are failed, exit 1 */
    write_records(&f, 0, false);
    setenv("FAKE_STATUS", "7", 1);
    r = run_cli("extract", in[0], in[1], in[2], "--out", f.out, "--overwrite", NULL);
    assert_int_equal(r.exit_code, 1);
    assert_non_null(strstr(r.err, "the extractor stopped (exit status 7) before it finished"));
    assert_non_null(strstr(r.err, "1 written, 0 skipped, 2 failed"));
    cli_result_free(&r);
    unsetenv("FAKE_STATUS");

    /* a broken record stops the run with the line named */
    write_text_file(f.records, "{\"type\":\"ready\"}\n{\"type\":\"video\",\"index\":0}\n");
    r = run_cli("extract", in[0], "--out", f.out, "--overwrite", NULL);
    assert_int_equal(r.exit_code, 1);
    assert_non_null(strstr(r.err, "extractor output line 2: field 'width' is missing"));
    cli_result_free(&r);

    for (size_t i = 0; i < 3; i++) free(in[i]);
    free(a_npz);
    free(b_npz);
    free(c_npz);
    fake_teardown(&f);
}

static void test_cli_missing_extractor(void **state)
{
    (void)state;
    char *dir = tmpdir_make();
    char *in = path_join(dir, "v.mp4"), *out = path_join(dir, "out");
    write_text_file(in, "x");
    struct cli_result r = run_cli("extract", in, "--out", out, "--extractor", "/nonexistent/ext",
                                  NULL);
    assert_int_equal(r.exit_code, 1);
    assert_non_null(strstr(r.err, "'/nonexistent/ext' is not the landmark extractor's folder"));
    assert_non_null(strstr(r.err, "hint: install the extractor with `bash "
                                  "scripts/install-extract.sh`"));
    cli_result_free(&r);
    /* a folder with extract.js but without its npm packages */
    char *ext = path_join(dir, "ext"), *js = NULL;
    assert_int_equal(mkdir(ext, 0777), 0);
    js = path_join(ext, "extract.js");
    write_text_file(js, "\n");
    r = run_cli("extract", in, "--out", out, "--extractor", ext, NULL);
    assert_int_equal(r.exit_code, 1);
    assert_non_null(strstr(r.err, "lacks its npm packages ('node_modules/puppeteer-core/"
                                  "package.json' not found)"));
    assert_non_null(strstr(r.err, "hint: run `npm ci` in"));
    cli_result_free(&r);
    /* usage */
    r = run_cli("extract", in, NULL);
    assert_int_equal(r.exit_code, 2);
    assert_non_null(strstr(r.err, "--out DIR is required"));
    cli_result_free(&r);
    r = run_cli("extract", in, "--out", out, "--to", "csv", NULL);
    assert_int_equal(r.exit_code, 2);
    cli_result_free(&r);
    r = run_cli("extract", in, "--out", out, "--complexity", "3", NULL);
    assert_int_equal(r.exit_code, 2);
    cli_result_free(&r);
    char *in2 = path_join(dir, "v.mkv");
    write_text_file(in2, "x");
    r = run_cli("extract", in, in2, "--out", out, NULL);
    assert_int_equal(r.exit_code, 2);
    assert_non_null(strstr(r.err, "would both be written to"));
    cli_result_free(&r);
    free(in2);
    free(js);
    free(ext);
    free(in);
    free(out);
    tmpdir_remove(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_records_parse),
        cmocka_unit_test(test_video_gather_and_write),
        cmocka_unit_test(test_cli_fake_extractor),
        cmocka_unit_test(test_cli_missing_extractor),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
