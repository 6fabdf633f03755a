/* test_extract_e2e.c — `signstgcn extract` with the real extractor (extract/: Node,
 * puppeteer-core, chromium, MediaPipe Holistic's WASM build, ffmpeg). Registered only when
 * CMake runs with -DSIGNSTGCN_EXTRACT_TESTS=ON (ctest label `extract`), after
 * `bash scripts/install-extract.sh --with-test-data`; a missing piece fails the test, it is
 * never skipped. Inputs are made with ffmpeg at test time from a real photo
 * ($SG_EXTRACT_PHOTO, default Debian opencv-doc's messi5.jpg: one person, 548 × 342, the
 * right hand raised at the left of the picture, the left hand at the right, both visible):
 *  1. a 3-frame video of the photo: every frame has pose, both hands and face (468), the
 *     recording's fps is 10, and the wrists lie in the hands' boxes — both the boxes drawn by
 *     hand around the hands in the picture (below; tools/draw_landmarks.py draws them over the
 *     landmarks) and the boxes of each hand's own 21 landmarks, grown by a quarter;
 *  2. in the same run, a 2-frame video of a grey picture (no person: all missing, a warning),
 *     a text file named .mp4 (one error line naming it), and the photo itself as a one-frame
 *     video; exit 1 for the text file, the other outputs written; no page request refused;
 *  3. a rerun skips the existing outputs; `--to pose --refine-face --overwrite` on the photo
 *     gives a `.pose` with a 478-point face, the picture's size, the same wrists, and on a
 *     white picture alone beside it a `.pose` with every point missing, a warning, exit 0;
 *  4. a page that asks for an address outside 127.0.0.1 (SIGNSTGCN_EXTRACT_PROBE_URL, a hook
 *     of extract/page.js) has the request refused, counted and named, and exit 1.
 * About three extractor starts and eight frames: ~1–2 minutes on two busy cores.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"
#include "data/landmarks.h"
#include "testutil.h"

#define PHOTO_W 548
#define PHOTO_H 342

/* Boxes around the hands in the photo, in pixels (x0, y0, x1, y1), drawn by looking at it:
 * the person's right hand is the raised one at the picture's left. */
static const double BOX_RIGHT_HAND[4] = {55, 80, 115, 115};
static const double BOX_LEFT_HAND[4] = {330, 140, 390, 190};

static char *g_dir;
static char *g_photo;

static void sh(const char *cmd)
{
    int rc = system(cmd);
    if (rc != 0) fail_msg("'%s' failed (status %d)", cmd, rc);
}

static bool in_box(double x, double y, const double b[4])
{
    return x >= b[0] && x <= b[2] && y >= b[1] && y <= b[3];
}

/* Every frame: all parts found, and the wrists where the hands are. */
static void check_person(const struct landmarks *lm, size_t face_joints, const char *what)
{
    const struct landmark_part *pose = &lm->part[DATA_PART_POSE];
    assert_int_equal(pose->joints, 33);
    assert_int_equal(pose->channels, 4);
    assert_int_equal(lm->part[DATA_PART_FACE].joints, face_joints);
    for (size_t t = 0; t < lm->frames; t++) {
        for (int p = 0; p < DATA_PART_COUNT; p++) {
            const struct landmark_part *lp = &lm->part[p];
            size_t n = lp->joints * lp->channels;
            for (size_t i = 0; i < n; i++)
                if (isnan(lp->data[t * n + i]))
                    fail_msg("%s frame %zu: %s value %zu missing", what, t,
                             data_part_name((enum data_part)p), i);
        }
        static const struct {
            int part, pose_wrist;
            const double *box;
        } hands[2] = {{DATA_PART_LEFT_HAND, 15, BOX_LEFT_HAND},
                      {DATA_PART_RIGHT_HAND, 16, BOX_RIGHT_HAND}};
        for (int h = 0; h < 2; h++) {
            const float *hp = lm->part[hands[h].part].data + t * 21 * 3;
            const float *pw = pose->data + t * 33 * 4 + (size_t)hands[h].pose_wrist * 4;
            double wx = pw[0] * PHOTO_W, wy = pw[1] * PHOTO_H;
            double x0 = 1e9, y0 = 1e9, x1 = -1e9, y1 = -1e9;
            for (size_t j = 0; j < 21; j++) {
                double x = hp[j * 3] * PHOTO_W, y = hp[j * 3 + 1] * PHOTO_H;
                if (!in_box(x, y, hands[h].box))
                    fail_msg("%s frame %zu: %s landmark %zu at (%.1f, %.1f) is outside the hand's "
                             "box in the picture (%.0f..%.0f, %.0f..%.0f)",
                             what, t, data_part_name((enum data_part)hands[h].part), j, x, y,
                             hands[h].box[0], hands[h].box[2], hands[h].box[1], hands[h].box[3]);
                x0 = fmin(x0, x);
                y0 = fmin(y0, y);
                x1 = fmax(x1, x);
                y1 = fmax(y1, y);
            }
            if (!in_box(wx, wy, hands[h].box))
                fail_msg("%s frame %zu: pose wrist %d at (%.1f, %.1f) is outside the %s box in the "
                         "picture",
                         what, t, hands[h].pose_wrist, wx, wy,
                         data_part_name((enum data_part)hands[h].part));
            double gx = 0.25 * (x1 - x0), gy = 0.25 * (y1 - y0);
            double grown[4] = {x0 - gx, y0 - gy, x1 + gx, y1 + gy};
            if (!in_box(wx, wy, grown))
                fail_msg("%s frame %zu: pose wrist %d at (%.1f, %.1f) is outside its hand's own "
                         "landmark box grown by a quarter (%.1f..%.1f, %.1f..%.1f)",
                         what, t, hands[h].pose_wrist, wx, wy, grown[0], grown[2], grown[1],
                         grown[3]);
        }
    }
}

static int setup(void **state)
{
    (void)state;
    const char *photo = getenv("SG_EXTRACT_PHOTO");
    if (!photo || !*photo) photo = "/usr/share/doc/opencv-doc/examples/data/messi5.jpg";
    if (access(photo, R_OK) != 0) {
        fprintf(stderr, "test_extract_e2e: the photo '%s' is missing (bash "
                        "scripts/install-extract.sh --with-test-data installs opencv-doc)\n",
                photo);
        return -1;
    }
    g_dir = tmpdir_make();
    g_photo = path_join(g_dir, "photo.jpg");
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", photo, g_photo);
    sh(cmd);
    /* a 3-frame video of the photo at 10 fps, a 2-frame grey video, a text file, a tiny image */
    snprintf(cmd, sizeof cmd,
             "cd '%s' && ffmpeg -v error -y -loop 1 -i photo.jpg -r 10 -frames:v 3 "
             "-pix_fmt yuv420p person.mp4 && ffmpeg -v error -y -f lavfi "
             "-i color=c=gray:s=320x240:r=10 -frames:v 2 -pix_fmt yuv420p empty.mp4 && "
             "printf 'these are notes, not a video\\n' > notes.mp4 && ffmpeg -v error -y "
             "-f lavfi -i color=c=white:s=64x48 -frames:v 1 blank.png",
             g_dir);
    sh(cmd);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (g_dir) tmpdir_remove(g_dir);
    free(g_dir);
    free(g_photo);
    return 0;
}

static void test_batch(void **state)
{
    (void)state;
    char *person = path_join(g_dir, "person.mp4"), *empty = path_join(g_dir, "empty.mp4"),
         *notes = path_join(g_dir, "notes.mp4"), *out = path_join(g_dir, "out");
    struct cli_result r = run_cli("extract", person, empty, notes, g_photo, "--out", out, NULL);
    fprintf(stderr, "%s%s", r.out, r.err);
    assert_int_equal(r.exit_code, 1);
    assert_non_null(strstr(r.out, "person.npz (3 frames at 10 fps; pose 3, left hand 3, right "
                                  "hand 3, face 3)"));
    assert_non_null(strstr(r.out, "empty.npz (2 frames at 10 fps; pose 0, left hand 0, right "
                                  "hand 0, face 0)"));
    assert_non_null(strstr(r.out, "photo.npz (1 frame; pose 1, left hand 1, right hand 1, "
                                  "face 1)"));
    assert_int_equal(count_lines_with(r.err, "empty.mp4': no person found in its 2 frames"), 1);
    /* the text file: one line naming it with what was expected, and in the last line */
    assert_int_equal(count_lines_with(r.err, "notes.mp4': not a video or image ffmpeg can "
                                             "decode"),
                     1);
    assert_int_equal(count_lines_with(r.err, "notes.mp4"), 2);
    assert_non_null(strstr(r.err, "4 inputs: 3 written, 0 skipped, 1 failed ("));
    assert_non_null(strstr(r.err, "page requests to 127.0.0.1, 0 refused"));
    cli_result_free(&r);

    struct landmarks lm;
    struct error err;
    char *p = path_join(out, "person.npz");
    if (landmarks_read_npz(&lm, p, &err)) fail_msg("%s", err.msg);
    assert_int_equal(lm.frames, 3);
    assert_true(lm.fps == 10);
    check_person(&lm, 468, "person.npz");
    landmarks_free(&lm);
    free(p);
    p = path_join(out, "photo.npz");
    if (landmarks_read_npz(&lm, p, &err)) fail_msg("%s", err.msg);
    assert_int_equal(lm.frames, 1);
    assert_true(lm.fps == 0);
    check_person(&lm, 468, "photo.npz");
    landmarks_free(&lm);
    free(p);
    p = path_join(out, "empty.npz");
    if (landmarks_read_npz(&lm, p, &err)) fail_msg("%s", err.msg);
    assert_int_equal(lm.frames, 2);
    for (int q = 0; q < DATA_PART_COUNT; q++) {
        size_t n = lm.frames * lm.part[q].joints * lm.part[q].channels;
        assert_true(n > 0);
        for (size_t i = 0; i < n; i++) assert_true(isnan(lm.part[q].data[i]));
    }
    landmarks_free(&lm);
    free(p);

    /* a rerun skips both existing outputs without starting the extractor */
    p = path_join(out, "person.npz");
    struct stat before, after;
    assert_int_equal(stat(p, &before), 0);
    r = run_cli("extract", person, empty, "--out", out, NULL);
    assert_int_equal(r.exit_code, 0);
    assert_int_equal(count_lines_with(r.err, "exists, skipped (--overwrite redoes it)"), 2);
    assert_null(strstr(r.err, "page requests"));
    assert_int_equal(stat(p, &after), 0);
    assert_true(before.st_mtim.tv_sec == after.st_mtim.tv_sec &&
                before.st_mtim.tv_nsec == after.st_mtim.tv_nsec);
    cli_result_free(&r);
    free(p);
    free(person);
    free(empty);
    free(notes);
    free(out);
}

static void test_pose_refined(void **state)
{
    (void)state;
    char *out = path_join(g_dir, "poses"), *blank = path_join(g_dir, "blank.png");
    struct cli_result r = run_cli("extract", g_photo, blank, "--out", out, "--to", "pose",
                                  "--refine-face", "--complexity", "2", "--overwrite", NULL);
    fprintf(stderr, "%s%s", r.out, r.err);
    /* a picture with nobody in it: written, all missing, a warning, and still exit 0 */
    assert_int_equal(r.exit_code, 0);
    assert_int_equal(count_lines_with(r.err, "blank.png': no person found in its 1 frame"), 1);
    assert_non_null(strstr(r.err, "2 inputs: 2 written, 0 skipped, 0 failed"));
    assert_non_null(strstr(r.err, ", 0 refused"));
    cli_result_free(&r);
    char *bp = path_join(out, "blank.pose");
    struct landmarks bl;
    struct error berr;
    if (landmarks_read_pose(&bl, bp, 0, &berr)) fail_msg("%s", berr.msg);
    assert_int_equal(bl.frames, 1);
    for (int q = 0; q < DATA_PART_COUNT; q++) {
        size_t n = bl.frames * bl.part[q].joints * bl.part[q].channels;
        assert_true(n > 0);
        for (size_t i = 0; i < n; i++) assert_true(isnan(bl.part[q].data[i]));
    }
    landmarks_free(&bl);
    free(bp);
    free(blank);
    char *p = path_join(out, "photo.pose");
    struct landmarks lm;
    struct error err;
    if (landmarks_read_pose(&lm, p, 0, &err)) fail_msg("%s", err.msg);
    assert_int_equal(lm.width, PHOTO_W);
    assert_int_equal(lm.height, PHOTO_H);
    assert_int_equal(lm.frames, 1);
    landmarks_normalize(&lm);
    check_person(&lm, 478, "photo.pose");
    landmarks_free(&lm);
    free(p);
    free(out);
}

static void test_request_outside_refused(void **state)
{
    (void)state;
    char *blank = path_join(g_dir, "blank.png"), *out = path_join(g_dir, "probe");
    setenv("SIGNSTGCN_EXTRACT_PROBE_URL", "http://192.0.2.1/probe.js", 1);
    struct cli_result r = run_cli("extract", blank, "--out", out, NULL);
    unsetenv("SIGNSTGCN_EXTRACT_PROBE_URL");
    fprintf(stderr, "%s%s", r.out, r.err);
    assert_int_equal(r.exit_code, 1);
    assert_non_null(strstr(r.err, "asked for 1 address outside 127.0.0.1, refused: "
                                  "http://192.0.2.1/probe.js"));
    assert_non_null(strstr(r.err, ", 1 refused"));
    cli_result_free(&r);
    free(blank);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_batch),
        cmocka_unit_test(test_pose_refined),
        cmocka_unit_test(test_request_outside_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
