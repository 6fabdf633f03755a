/* test_synth.c — the demo dataset generator (src/data/synth.c) and `signstgcn synth`.
 *
 * Files: the same seed gives byte-identical files (every file compared, library and CLI
 * alike, and whatever the thread count), another seed gives different data; members,
 * shapes and dtypes as MediaPipe Holistic writes them; the groundtruth every 5th frame with
 * every class and the rest label; every signer has videos.
 * Data (in memory): left-handed signers, undetected (NaN) hands, finite and mostly in-frame
 * coordinates, MediaPipe's sides, sign paths that differ between classes more than within
 * a class while the classes share one signing space, signers that differ in scale and
 * position. CLI: usage errors exit 2, a folder holding another dataset exits 1.
 */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "data/synth.h"
#include "io/npz.h"
#include "testutil.h"

static void small_config(struct synth_config *c, uint64_t seed)
{
    synth_config_default(c);
    c->videos = 6;
    c->signers = 3;
    c->classes = 4;
    c->frames = 160;
    c->seed = seed;
}

/* Every regular file of a, compared byte for byte with the same name in b; both folders
 * hold the same number of files. Returns the number of files compared. */
static size_t assert_same_files(const char *a, const char *b)
{
    size_t n = 0, nb = 0;
    DIR *d = opendir(a);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char *pa = path_join(a, e->d_name), *pb = path_join(b, e->d_name);
        size_t la, lb;
        char *ca = read_text_file(pa, &la), *cb = read_text_file(pb, &lb);
        assert_non_null(ca);
        if (!cb) fail_msg("%s is missing from %s", e->d_name, b);
        assert_int_equal(la, lb);
        if (memcmp(ca, cb, la)) fail_msg("%s differs between %s and %s", e->d_name, a, b);
        free(ca);
        free(cb);
        free(pa);
        free(pb);
        n++;
    }
    closedir(d);
    d = opendir(b);
    assert_non_null(d);
    while ((e = readdir(d)))
        if (e->d_name[0] != '.') nb++;
    closedir(d);
    assert_int_equal(n, nb);
    return n;
}

static void test_same_seed_same_bytes(void **state)
{
    (void)state;
    struct synth_config c;
    small_config(&c, 7);
    char *root = tmpdir_make();
    char *a = path_join(root, "a"), *b = path_join(root, "b"), *cl = path_join(root, "cli");
    struct error err;
    assert_int_equal(synth_write_dataset(&c, a, NULL, &err), 0);
    assert_int_equal(synth_write_dataset(&c, b, NULL, &err), 0);
    assert_int_equal(assert_same_files(a, b), c.videos + 2);
    /* the CLI writes the same bytes as the library, on one thread instead of two */
    setenv("OMP_NUM_THREADS", "1", 1);
    struct cli_result r = run_cli("synth", "--out", cl, "--videos", "6", "--signers", "3",
                                  "--classes", "4", "--frames", "160", "--seed", "7", NULL);
    setenv("OMP_NUM_THREADS", "2", 1);
    assert_int_equal(r.exit_code, 0);
    assert_non_null(strstr(r.out, "--signing-labels s1,s2,s3,s4"));
    cli_result_free(&r);
    assert_same_files(a, cl);
    /* writing again into the same folder replaces the files with identical ones */
    assert_int_equal(synth_write_dataset(&c, b, NULL, &err), 0);
    assert_same_files(a, b);
    tmpdir_remove(root);
    free(a);
    free(b);
    free(cl);
    free(root);
}

static void test_other_seed_other_data(void **state)
{
    (void)state;
    struct synth_config c;
    small_config(&c, 7);
    struct synth_world w1, w2;
    struct error err;
    assert_int_equal(synth_world_init(&w1, &c, &err), 0);
    c.seed = 8;
    assert_int_equal(synth_world_init(&w2, &c, &err), 0);
    struct synth_video v1, v2;
    size_t differ = 0;
    for (size_t i = 0; i < c.videos; i++) {
        assert_int_equal(synth_video_generate(&w1, i, &v1, &err), 0);
        assert_int_equal(synth_video_generate(&w2, i, &v2, &err), 0);
        size_t n = c.frames * SYNTH_POSE_J * SYNTH_POSE_C;
        size_t same = 0;
        for (size_t k = 0; k < n; k++) same += v1.pose[k] == v2.pose[k];
        differ += same < n / 100;
        synth_video_free(&v1);
        synth_video_free(&v2);
    }
    assert_int_equal(differ, c.videos);
    synth_world_free(&w1);
    synth_world_free(&w2);
}

static void check_member(struct npz *z, const char *name, size_t T, size_t J, size_t C)
{
    int i = npz_find(z, name);
    if (i < 0) fail_msg("member %s missing", name);
    const struct npz_member *m = &z->members[i];
    assert_true(m->ok);
    assert_string_equal(m->descr, "<f4");
    assert_false(m->fortran_order);
    assert_int_equal(m->ndim, 3);
    assert_int_equal(m->shape[0], T);
    assert_int_equal(m->shape[1], J);
    assert_int_equal(m->shape[2], C);
}

/* Reads groundtruth.txt / signers.txt lines that are not comments. */
static char **read_lines(const char *path, size_t *n)
{
    char *txt = read_text_file(path, NULL);
    assert_non_null(txt);
    char **lines = NULL;
    *n = 0;
    for (char *s = strtok(txt, "\n"); s; s = strtok(NULL, "\n")) {
        if (s[0] == '#') continue;
        lines = realloc(lines, (*n + 1) * sizeof *lines);
        lines[(*n)++] = strdup(s);
    }
    free(txt);
    return lines;
}

static void test_files_layout_and_annotations(void **state)
{
    (void)state;
    struct synth_config c;
    small_config(&c, 11);
    c.frames = 303; /* not a multiple of 5: the last annotation is frame 300 */
    char *dir = tmpdir_make();
    struct error err;
    struct synth_summary sum;
    assert_int_equal(synth_write_dataset(&c, dir, &sum, &err), 0);
    assert_int_equal(sum.videos, c.videos);
    assert_true(sum.sign_instances >= c.videos * 3);

    struct synth_world w;
    assert_int_equal(synth_world_init(&w, &c, &err), 0);
    for (size_t i = 0; i < c.videos; i++) {
        char id[32], name[48];
        synth_video_id(&w, i, id, sizeof id);
        snprintf(name, sizeof name, "%s.npz", id);
        char *p = path_join(dir, name);
        struct npz z;
        if (npz_open(&z, p, &err)) fail_msg("%s", err.msg);
        assert_int_equal(z.n_members, 4);
        check_member(&z, "pose", c.frames, 33, 4);
        check_member(&z, "left_hand", c.frames, 21, 3);
        check_member(&z, "right_hand", c.frames, 21, 3);
        check_member(&z, "face", c.frames, 478, 3);
        /* the file holds what the in-memory generator makes */
        struct synth_video v;
        assert_int_equal(synth_video_generate(&w, i, &v, &err), 0);
        float *buf = malloc(c.frames * 478 * 3 * sizeof(float));
        size_t fi = (size_t)npz_find(&z, "face");
        assert_int_equal(npz_read_f32(&z, fi, buf, c.frames * 478 * 3, &err), 0);
        assert_int_equal(memcmp(buf, v.face, c.frames * 478 * 3 * sizeof(float)), 0);
        free(buf);
        synth_video_free(&v);
        npz_close(&z);
        free(p);
    }
    assert_string_equal(w.signers[0].id, "p01");

    /* groundtruth: frames 0, 5, ..., 300 of every video, in order */
    char *gt = path_join(dir, "groundtruth.txt");
    size_t n;
    char **lines = read_lines(gt, &n);
    size_t per = (c.frames + SYNTH_GT_STEP - 1) / SYNTH_GT_STEP;
    assert_int_equal(n, c.videos * per);
    size_t used[SYNTH_MAX_CLASSES] = {0}, rest = 0;
    for (size_t k = 0; k < n; k++) {
        char vid[32], lab[32], want[32];
        size_t frame;
        assert_int_equal(sscanf(lines[k], "%31s %zu %31s", vid, &frame, lab), 3);
        synth_video_id(&w, k / per, want, sizeof want);
        assert_string_equal(vid, want);
        assert_int_equal(frame, (k % per) * SYNTH_GT_STEP);
        if (!strcmp(lab, SYNTH_REST_LABEL)) {
            rest++;
        } else {
            assert_int_equal(lab[0], 's');
            long cls = strtol(lab + 1, NULL, 10);
            assert_in_range(cls, 1, (long)c.classes);
            used[cls - 1]++;
        }
        free(lines[k]);
    }
    free(lines);
    assert_true(rest > 0);
    for (size_t k = 0; k < c.classes; k++) assert_true(used[k] > 0);

    /* signers.txt: one line per video; every signer has videos */
    char *sp = path_join(dir, "signers.txt");
    lines = read_lines(sp, &n);
    assert_int_equal(n, c.videos);
    size_t per_signer[8] = {0};
    for (size_t k = 0; k < n; k++) {
        char vid[32], sid[32], want[32];
        assert_int_equal(sscanf(lines[k], "%31s %31s", vid, sid), 2);
        synth_video_id(&w, k, want, sizeof want);
        assert_string_equal(vid, want);
        size_t s = 0;
        while (s < c.signers && strcmp(sid, w.signers[s].id)) s++;
        assert_true(s < c.signers);
        per_signer[s]++;
        free(lines[k]);
    }
    free(lines);
    for (size_t s = 0; s < c.signers; s++) assert_int_equal(per_signer[s], c.videos / c.signers);
    free(gt);
    free(sp);
    synth_world_free(&w);
    tmpdir_remove(dir);
    free(dir);
}

/* ---- data properties, in memory ------------------------------------------------------- */

#define NRES 16 /* trajectory resampling points */

struct instance {
    int cls;
    float traj[NRES][2];
};

/* The dominant wrist in shoulder-normalised coordinates (as the loader normalises), with x
 * mirrored for left-handed signers so that every instance is in the right-handed frame. */
static void dominant_wrist(const struct synth_video *v, bool left, size_t t, float out[2])
{
    const float *p = v->pose + t * 33 * 4;
    float mx = 0.5f * (p[11 * 4] + p[12 * 4]), my = 0.5f * (p[11 * 4 + 1] + p[12 * 4 + 1]);
    float d = hypotf(p[11 * 4] - p[12 * 4], p[11 * 4 + 1] - p[12 * 4 + 1]);
    int j = left ? 15 : 16;
    out[0] = (p[j * 4] - mx) / d * (left ? -1.0f : 1.0f);
    out[1] = (p[j * 4 + 1] - my) / d;
}

static bool in_frame(const float *xy)
{
    return xy[0] >= 0.0f && xy[0] <= 1.0f && xy[1] >= 0.0f && xy[1] <= 1.0f;
}

static float traj_dist(const struct instance *a, const struct instance *b)
{
    float s = 0.0f;
    for (int k = 0; k < NRES; k++)
        s += hypotf(a->traj[k][0] - b->traj[k][0], a->traj[k][1] - b->traj[k][1]);
    return s / NRES;
}

static void test_data_properties(void **state)
{
    (void)state;
    struct synth_config c;
    synth_config_default(&c);
    c.videos = 12;
    c.signers = 4;
    c.frames = 300;
    c.seed = 3;
    struct synth_world w;
    struct error err;
    assert_int_equal(synth_world_init(&w, &c, &err), 0);

    size_t n_left = 0;
    for (size_t s = 0; s < c.signers; s++) n_left += w.signers[s].left_handed;
    assert_true(n_left >= 1 && n_left < c.signers);

    struct instance *inst = calloc(c.videos * 40, sizeof *inst);
    size_t n_inst = 0;
    double pos_sum[SYNTH_MAX_CLASSES][2] = {{0}}, pos_sq[SYNTH_MAX_CLASSES][2] = {{0}};
    size_t pos_n[SYNTH_MAX_CLASSES] = {0};
    size_t hand_nan = 0, hand_frames = 0, sign_hand_seen = 0, sign_frames = 0;
    size_t xy = 0, xy_in = 0, pose_xy = 0, pose_in = 0, side_checks = 0;
    double sw[8] = {0}, smx[8] = {0}, smy[8] = {0};
    size_t sn[8] = {0};

    for (size_t i = 0; i < c.videos; i++) {
        struct synth_video v;
        assert_int_equal(synth_video_generate(&w, i, &v, &err), 0);
        bool left = w.signers[v.signer].left_handed;
        for (size_t t = 0; t < v.frames; t++) {
            const float *p = v.pose + t * 33 * 4;
            for (int j = 0; j < 33 * 4; j++) assert_true(isfinite(p[j]));
            for (int j = 0; j < 23; j++) {
                pose_xy++;
                pose_in += in_frame(p + j * 4);
                assert_true(p[j * 4 + 3] >= 0.0f && p[j * 4 + 3] <= 1.0f);
            }
            /* MediaPipe's sides: the signer's left shoulder is at the larger image x */
            assert_true(p[11 * 4] > p[12 * 4]);
            sw[v.signer] += (double)(p[11 * 4] - p[12 * 4]);
            smx[v.signer] += 0.5 * (double)(p[11 * 4] + p[12 * 4]);
            smy[v.signer] += 0.5 * (double)(p[11 * 4 + 1] + p[12 * 4 + 1]);
            sn[v.signer]++;
            for (int side = 0; side < 2; side++) {
                const float *h = (side ? v.left_hand : v.right_hand) + t * 21 * 3;
                hand_frames++;
                if (isnan(h[0])) {
                    hand_nan++;
                    for (int k = 0; k < 63; k++) assert_true(isnan(h[k]));
                    continue;
                }
                for (int k = 0; k < 63; k++) assert_true(isfinite(h[k]));
                for (int k = 0; k < 21; k++) {
                    xy++;
                    xy_in += in_frame(h + k * 3);
                }
                /* left_hand's wrist is the pose's left wrist (15), right_hand's is 16 */
                int pj = side ? 15 : 16;
                assert_true(hypotf(h[0] - p[pj * 4], h[1] - p[pj * 4 + 1]) < 0.03f);
                side_checks++;
            }
            const float *f = v.face + t * 478 * 3;
            bool face_nan = isnan(f[0]);
            for (int k = 0; k < 478 * 3; k++) assert_true(face_nan ? isnan(f[k]) : isfinite(f[k]));
            if (!face_nan)
                for (int k = 0; k < 478; k++) {
                    xy++;
                    xy_in += in_frame(f + k * 3);
                }
            if (v.label[t] >= 0) {
                const float *dh = (left ? v.left_hand : v.right_hand) + t * 21 * 3;
                sign_frames++;
                sign_hand_seen += !isnan(dh[0]);
                float q[2];
                dominant_wrist(&v, left, t, q);
                int k = v.label[t];
                for (int a = 0; a < 2; a++) {
                    pos_sum[k][a] += (double)q[a];
                    pos_sq[k][a] += (double)q[a] * (double)q[a];
                }
                pos_n[k]++;
            }
        }
        /* sign instances: maximal runs of one class, resampled to NRES points */
        for (size_t t = 0; t < v.frames;) {
            if (v.label[t] < 0) {
                t++;
                continue;
            }
            size_t e = t;
            while (e < v.frames && v.label[e] == v.label[t]) e++;
            struct instance *in = &inst[n_inst++];
            in->cls = v.label[t];
            for (int k = 0; k < NRES; k++) {
                float u = (float)k / (NRES - 1) * (float)(e - t - 1);
                size_t a = t + (size_t)u;
                size_t b = a + 1 < e ? a + 1 : a;
                float fa = u - floorf(u), qa[2], qb[2];
                dominant_wrist(&v, left, a, qa);
                dominant_wrist(&v, left, b, qb);
                in->traj[k][0] = qa[0] + fa * (qb[0] - qa[0]);
                in->traj[k][1] = qa[1] + fa * (qb[1] - qa[1]);
            }
            t = e;
        }
        synth_video_free(&v);
    }

    /* hands go undetected (rest below the frame, dropouts) but are seen while signing */
    assert_true(hand_nan > hand_frames / 20);
    assert_true(sign_hand_seen > sign_frames * 8 / 10);
    assert_true(side_checks > 0);
    /* detected hands and faces lie in the frame; the upper body mostly does */
    assert_true(xy_in >= xy * 99 / 100);
    assert_true(pose_in >= pose_xy * 9 / 10);

    /* paths: instances of one class are closer to each other than to other classes */
    double within = 0, between = 0;
    size_t nw = 0, nb = 0;
    for (size_t a = 0; a < n_inst; a++)
        for (size_t b = a + 1; b < n_inst; b++) {
            double d = traj_dist(&inst[a], &inst[b]);
            if (inst[a].cls == inst[b].cls) {
                within += d;
                nw++;
            } else {
                between += d;
                nb++;
            }
        }
    assert_true(nw > 0 && nb > 0);
    within /= (double)nw;
    between /= (double)nb;
    if (!(between > 2.0 * within))
        fail_msg("class paths too alike: between %.3f, within %.3f", between, within);

    /* ... while one frame's position says little: the class means of the wrist position
     * are close together compared with the spread inside each class */
    double max_mean_dist = 0, mean_sd = 0;
    for (size_t k = 0; k < c.classes; k++) {
        assert_true(pos_n[k] > 0);
        double sx = pos_sq[k][0] / (double)pos_n[k] - pow(pos_sum[k][0] / (double)pos_n[k], 2);
        double sy = pos_sq[k][1] / (double)pos_n[k] - pow(pos_sum[k][1] / (double)pos_n[k], 2);
        mean_sd += sqrt(sx + sy) / (double)c.classes;
        for (size_t l = 0; l < k; l++) {
            double dx = pos_sum[k][0] / (double)pos_n[k] - pos_sum[l][0] / (double)pos_n[l];
            double dy = pos_sum[k][1] / (double)pos_n[k] - pos_sum[l][1] / (double)pos_n[l];
            if (hypot(dx, dy) > max_mean_dist) max_mean_dist = hypot(dx, dy);
        }
    }
    if (!(max_mean_dist < 0.3 * mean_sd))
        fail_msg("classes sit apart: class means %.3f apart, spread %.3f", max_mean_dist, mean_sd);

    /* signers differ in scale (shoulder width in the image) and position */
    double wmin = 1e9, wmax = 0, pmax = 0;
    for (size_t s = 0; s < c.signers; s++) {
        assert_true(sn[s] > 0);
        double ws = sw[s] / (double)sn[s];
        if (ws < wmin) wmin = ws;
        if (ws > wmax) wmax = ws;
        for (size_t r = 0; r < s; r++)
            pmax = fmax(pmax, hypot(smx[s] / (double)sn[s] - smx[r] / (double)sn[r],
                                    smy[s] / (double)sn[s] - smy[r] / (double)sn[r]));
    }
    assert_true(wmax > 1.1 * wmin);
    assert_true(pmax > 0.03);

    free(inst);
    synth_world_free(&w);
}

/* ---- CLI ------------------------------------------------------------------------------- */

static void expect_usage(const char *const *argv, const char *needle)
{
    struct cli_result r = run_cliv(argv);
    if (r.exit_code != 2)
        fail_msg("%s %s: exit %d, stderr: %s", argv[0], argv[1], r.exit_code, r.err);
    if (needle && !strstr(r.err, needle)) fail_msg("stderr lacks '%s': %s", needle, r.err);
    cli_result_free(&r);
}

static void test_cli_usage_errors(void **state)
{
    (void)state;
    char *dir = tmpdir_make();
    char *out = path_join(dir, "d");
    const char *a1[] = {"synth", "--out", out, "--videos", "12x", NULL};
    expect_usage(a1, "--videos");
    const char *a2[] = {"synth", "--out", out, "--videos", "0", NULL};
    expect_usage(a2, "--videos");
    const char *a3[] = {"synth", "--out", out, "--frames", "10", NULL};
    expect_usage(a3, "--frames");
    const char *a4[] = {"synth", "--out", out, "--classes", "13", NULL};
    expect_usage(a4, "--classes");
    const char *a5[] = {"synth", "--out", out, "--videos", "3", "--signers", "4", NULL};
    expect_usage(a5, "--signers");
    const char *a6[] = {"synth", "--out", out, "--seed", "-1", NULL};
    expect_usage(a6, "--seed");
    const char *a7[] = {"synth", "--videos", "3", NULL};
    expect_usage(a7, "--out");
    const char *a8[] = {"synth", "--out", out, "--bogus", NULL};
    expect_usage(a8, "--bogus");
    const char *a9[] = {"synth", "--out", NULL};
    expect_usage(a9, "needs a value");
    const char *a10[] = {"synth", "--out", out, "extra", NULL};
    expect_usage(a10, "extra");
    struct cli_result r = run_cli("synth", "--help", NULL);
    assert_int_equal(r.exit_code, 0);
    assert_non_null(strstr(r.out, "--signers"));
    cli_result_free(&r);
    /* a folder that holds another dataset's files is refused before anything is written */
    char *other = path_join(dir, "v999.npz");
    write_text_file(other, "not ours");
    r = run_cli("synth", "--out", dir, "--videos", "3", "--signers", "3", NULL);
    assert_int_equal(r.exit_code, 1);
    assert_non_null(strstr(r.err, "v999.npz"));
    cli_result_free(&r);
    char *gt = path_join(dir, "groundtruth.txt");
    assert_null(read_text_file(gt, NULL));
    free(gt);
    free(other);
    free(out);
    tmpdir_remove(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_seed_same_bytes),
        cmocka_unit_test(test_other_seed_other_data),
        cmocka_unit_test(test_files_layout_and_annotations),
        cmocka_unit_test(test_data_properties),
        cmocka_unit_test(test_cli_usage_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
