/* test_dataset.c — loading landmark folders (SPEC §1.1–1.2, windows of §1.4).
 *
 * The committed fixture datasets (tests/fixtures/dataset, written by
 * tools/dataset_reference.py together with the expected arrays of its independent numpy
 * implementation) are loaded under each case of cases.txt and compared video by video and
 * window by window. Assembly order, face handling, batches, labels, warnings and the memory
 * held are checked on folders written here with the npz writer.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <omp.h>

#include "core/alloc.h"
#include "core/error.h"
#include "data/config.h"
#include "data/dataset.h"
#include "graph/topology.h"
#include "io/npz.h"
#include "testutil.h"

/* ---- helpers ------------------------------------------------------------------------------ */

struct warnings {
    size_t n;
    char msg[8][512];
};

static void collect(void *ctx, const char *msg)
{
    struct warnings *w = ctx;
    if (w->n < 8) snprintf(w->msg[w->n], sizeof w->msg[0], "%s", msg);
    w->n++;
}

/* Applies the data flags a case line uses (the CLI's parser lives in src/cli). */
static void apply_flags(struct data_config *cfg, char **tok, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *f = tok[i];
        if (!strcmp(f, "--coords")) cfg->coords = (size_t)atoi(tok[++i]);
        else if (!strcmp(f, "--include-hands")) cfg->include_hands = true;
        else if (!strcmp(f, "--include-face")) cfg->include_face = true;
        else if (!strcmp(f, "--no-include-pose")) cfg->include_pose = false;
        else if (!strcmp(f, "--face-points")) cfg->face_points = face_points_parse(tok[++i]);
        else if (!strcmp(f, "--normalize")) cfg->normalize = data_normalize_parse(tok[++i]);
        else if (!strcmp(f, "--no-zero-is-missing")) cfg->zero_is_missing = false;
        else fail_msg("cases.txt: unknown flag %s", f);
    }
}

static float *read_member(struct npz *z, const char *name, size_t *count, int *ndim,
                          size_t *shape)
{
    struct error err;
    int i = npz_find(z, name);
    if (i < 0) fail_msg("expected member '%s' missing", name);
    const struct npz_member *m = &z->members[i];
    float *buf = malloc((m->count ? m->count : 1) * sizeof *buf);
    if (npz_read_f32(z, (size_t)i, buf, m->count, &err)) fail_msg("%s", err.msg);
    *count = m->count;
    *ndim = m->ndim;
    memcpy(shape, m->shape, sizeof m->shape);
    return buf;
}

static void write_part(struct npz_writer *w, const char *name, size_t T, size_t joints,
                       size_t channels, const float *data)
{
    struct error err;
    size_t shape[3] = {T, joints, channels};
    if (npz_writer_add_f32(w, name, 3, shape, data, &err)) fail_msg("%s", err.msg);
}

/* A part whose value encodes where it came from: base + 10*joint + channel (+ 0.001*t),
 * never 0, so the assembly order can be read back. */
static float *coded_part(float base, size_t T, size_t joints, size_t channels)
{
    float *p = malloc(T * joints * channels * sizeof *p);
    for (size_t t = 0; t < T; t++)
        for (size_t j = 0; j < joints; j++)
            for (size_t c = 0; c < channels; c++)
                p[(t * joints + j) * channels + c] =
                    base + 10.0f * (float)j + (float)c + 0.001f * (float)t;
    return p;
}

struct parts_spec {
    size_t T;
    bool pose, left, right;
    size_t face; /* 0: none */
};

static void write_coded_file(const char *dir, const char *name, struct parts_spec s)
{
    char *path = path_join(dir, name);
    struct npz_writer w;
    struct error err;
    if (npz_writer_open(&w, path, false, &err)) fail_msg("%s", err.msg);
    float *p;
    if (s.pose) {
        write_part(&w, "pose", s.T, 33, 4, p = coded_part(1.0f, s.T, 33, 4));
        free(p);
    }
    if (s.left) {
        write_part(&w, "left_hand", s.T, 21, 3, p = coded_part(10000.0f, s.T, 21, 3));
        free(p);
    }
    if (s.right) {
        write_part(&w, "right_hand", s.T, 21, 3, p = coded_part(20000.0f, s.T, 21, 3));
        free(p);
    }
    if (s.face) {
        write_part(&w, "face", s.T, s.face, 3, p = coded_part(30000.0f, s.T, s.face, 3));
        free(p);
    }
    if (npz_writer_close(&w, &err)) fail_msg("%s", err.msg);
    free(path);
}

static float coded(float base, size_t j, size_t c, size_t t)
{
    return base + 10.0f * (float)j + (float)c + 0.001f * (float)t;
}

/* ---- the reference fixtures ----------------------------------------------------------------- */

static void check_case(const char *name, const char *folder, char **flags, size_t n_flags)
{
    struct data_config cfg;
    data_config_default(&cfg);
    cfg.window = 8;
    cfg.stride = 3;
    apply_flags(&cfg, flags, n_flags);
    char dir[2048], exp_path[4096];
    snprintf(dir, sizeof dir, "%s", fixture_path("dataset"));
    snprintf(exp_path, sizeof exp_path, "%s/expected/%s.npz", dir, name);
    size_t dlen = strlen(dir);
    snprintf(dir + dlen, sizeof dir - dlen, "/%s", folder);

    struct dataset ds;
    struct error err;
    struct warnings warns = {0};
    struct warn_sink sink = {collect, &warns};
    if (dataset_load(&ds, dir, &cfg, false, &sink, &err)) fail_msg("%s: %s", name, err.msg);
    struct npz z;
    if (npz_open(&z, exp_path, &err)) fail_msg("%s", err.msg);
    const size_t J = ds.layout.joints, C = ds.layout.coords, S = 2 * C;
    size_t unnormalised = 0;
    for (size_t i = 0; i < ds.n_videos; i++) {
        const struct data_video *v = &ds.videos[i];
        char key[256], what[512];
        size_t count, shape[NPY_MAX_DIMS];
        int ndim;
        snprintf(key, sizeof key, "%s.x", v->id);
        float *x = read_member(&z, key, &count, &ndim, shape);
        if (ndim != 3 || shape[0] != v->frames || shape[1] != J || shape[2] != C)
            fail_msg("%s: %s: shape (%zu,%zu,%zu), expected (%zu,%zu,%zu)", name, v->id,
                     v->frames, J, C, shape[0], shape[1], shape[2]);
        snprintf(what, sizeof what, "%s: %s.x", name, v->id);
        assert_close_f32(v->x, x, count, 1e-6, 1e-7, what);
        free(x);

        snprintf(key, sizeof key, "%s.stats", v->id);
        float *st = read_member(&z, key, &count, &ndim, shape);
        assert_int_equal(shape[0], v->n_windows);
        float *got = malloc(v->n_windows * S * sizeof *got);
        size_t *idx = malloc(v->n_windows * sizeof *idx);
        for (size_t k = 0; k < v->n_windows; k++) idx[k] = v->first_window + k;
        dataset_fill_batch(&ds, idx, v->n_windows, NULL, got, NULL, NULL);
        snprintf(what, sizeof what, "%s: %s.stats", name, v->id);
        /* float32 rounding of values near 1 plus the difference between one-pass shifted and
         * two-pass sums (double): well inside 1e-6 relative. */
        assert_close_f32(got, st, count, 1e-6, 1e-7, what);
        free(got);
        free(idx);
        free(st);

        snprintf(key, sizeof key, "%s.normalized", v->id);
        float *nf = read_member(&z, key, &count, &ndim, shape);
        if ((nf[0] != 0.0f) != v->normalized)
            fail_msg("%s: %s: normalized %d, expected %d", name, v->id, v->normalized,
                     nf[0] != 0.0f);
        unnormalised += !v->normalized;
        free(nf);
    }
    assert_int_equal(warns.n, unnormalised);
    npz_close(&z);
    dataset_free(&ds);
}

static void test_reference_cases(void **state)
{
    (void)state;
    size_t len;
    char *text = read_text_file(fixture_path("dataset/cases.txt"), &len);
    assert_non_null(text);
    size_t n_cases = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        if (line[0] == '#') continue;
        char copy[1024];
        snprintf(copy, sizeof copy, "%s", line);
        char *tok[32];
        size_t n = 0;
        char *save;
        for (char *t = strtok_r(copy, " ", &save); t && n < 32; t = strtok_r(NULL, " ", &save))
            tok[n++] = t;
        assert_true(n >= 2);
        check_case(tok[0], tok[1], tok + 2, n - 2);
        n_cases++;
    }
    assert_int_equal(n_cases, 10);
    free(text);
}

/* ---- assembly order ------------------------------------------------------------------------ */

static void check_order(const char *dir, bool pose, bool hands, bool face, enum face_points fp,
                        size_t face_n, size_t C)
{
    struct data_config cfg;
    data_config_default(&cfg);
    cfg.include_pose = pose;
    cfg.include_hands = hands;
    cfg.include_face = face;
    cfg.face_points = fp;
    cfg.coords = C;
    cfg.normalize = DATA_NORMALIZE_NONE;
    cfg.window = 2;
    struct dataset ds;
    struct error err;
    if (dataset_load(&ds, dir, &cfg, false, NULL, &err)) fail_msg("%s", err.msg);
    const int *sub = NULL;
    size_t nsub = topology_face_subset(fp, &sub);
    size_t F = face ? (sub ? nsub : face_n) : 0;
    size_t J = 33 * pose + 42 * hands + F;
    assert_int_equal(ds.layout.joints, J);
    assert_int_equal(ds.layout.coords, C);
    const struct data_video *v = &ds.videos[0];
    for (size_t t = 0; t < v->frames; t++) {
        size_t j = 0;
        for (int p = 0; p < 4; p++) {
            bool inc = p == 0 ? pose : p == 3 ? face : hands;
            if (!inc) continue;
            size_t n = p == 0 ? 33 : p == 3 ? F : 21;
            float base = p == 0 ? 1.0f : p == 1 ? 10000.0f : p == 2 ? 20000.0f : 30000.0f;
            for (size_t k = 0; k < n; k++, j++) {
                size_t src = (p == 3 && sub) ? (size_t)sub[k] : k;
                for (size_t c = 0; c < C; c++) {
                    float got = v->x[(t * J + j) * C + c], want = coded(base, src, c, t);
                    if (got != want)
                        fail_msg("pose %d hands %d face %d fp %d: x[%zu,%zu,%zu] = %g, want %g",
                                 pose, hands, face, fp, t, j, c, (double)got, (double)want);
                }
            }
        }
        assert_int_equal(j, J);
    }
    dataset_free(&ds);
}

static void test_assembly_order(void **state)
{
    (void)state;
    for (size_t fn = 468; fn <= 478; fn += 10) {
        char *dir = tmpdir_make();
        write_coded_file(dir, "v.npz", (struct parts_spec){3, true, true, true, fn});
        for (int mask = 1; mask < 8; mask++)
            for (int fp = 0; fp < 3; fp++) {
                bool pose = mask & 1, hands = mask & 2, face = mask & 4;
                if (!face && fp) continue;
                check_order(dir, pose, hands, face, (enum face_points)fp, fn, 2);
                check_order(dir, pose, hands, face, (enum face_points)fp, fn, 3);
            }
        check_order(dir, true, false, false, FACE_POINTS_ALL, fn, 4);
        check_order(dir, true, false, false, FACE_POINTS_ALL, fn, 1);
        tmpdir_remove(dir);
        free(dir);
    }
}

/* ---- faces across files ---------------------------------------------------------------------- */

static void test_face_across_files(void **state)
{
    (void)state;
    char *dir = tmpdir_make();
    write_coded_file(dir, "a.npz", (struct parts_spec){2, true, false, false, 478});
    write_coded_file(dir, "b.npz", (struct parts_spec){3, true, true, false, 0});
    struct data_config cfg;
    data_config_default(&cfg);
    cfg.include_face = true;
    cfg.normalize = DATA_NORMALIZE_NONE;
    struct dataset ds;
    struct error err;
    /* b has no face: its face joints are absent (zero) after a's count decided J. */
    assert_int_equal(dataset_load(&ds, dir, &cfg, false, NULL, &err), 0);
    assert_int_equal(ds.layout.joints, 33 + 478);
    const struct data_video *b = &ds.videos[1];
    for (size_t t = 0; t < 3; t++)
        for (size_t j = 0; j < 33 + 478; j++)
            for (size_t c = 0; c < 2; c++) {
                float got = b->x[(t * 511 + j) * 2 + c];
                float want = j < 33 ? coded(1.0f, j, c, t) : 0.0f;
                if (got != want) fail_msg("b.x[%zu,%zu,%zu] = %g", t, j, c, (double)got);
            }
    dataset_free(&ds);

    /* Files that disagree on the face count: an error with --face-points all, naming both. */
    write_coded_file(dir, "c.npz", (struct parts_spec){2, true, false, false, 468});
    assert_int_equal(dataset_load(&ds, dir, &cfg, false, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "c.npz' has 468 face points but"));
    assert_non_null(strstr(err.msg, "a.npz' has 478"));
    /* ... and fine with a subset. */
    cfg.face_points = FACE_POINTS_LIPS;
    assert_int_equal(dataset_load(&ds, dir, &cfg, false, NULL, &err), 0);
    assert_int_equal(ds.layout.joints, 33 + 40);
    dataset_free(&ds);
    /* Without --include-face nobody cares. */
    cfg.include_face = false;
    assert_int_equal(dataset_load(&ds, dir, &cfg, false, NULL, &err), 0);
    dataset_free(&ds);
    tmpdir_remove(dir);
    free(dir);

    /* --include-face where no file has a face. */
    dir = tmpdir_make();
    write_coded_file(dir, "a.npz", (struct parts_spec){2, true, false, false, 0});
    cfg.include_face = true;
    assert_int_equal(dataset_load(&ds, dir, &cfg, false, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "--include-face but no file has a face member"));
    tmpdir_remove(dir);
    free(dir);
}

/* ---- batches, labels, warnings --------------------------------------------------------------- */

static void test_batch_padding_and_labels(void **state)
{
    (void)state;
    char *dir = tmpdir_make();
    write_coded_file(dir, "long.npz", (struct parts_spec){7, true, false, false, 0});
    write_coded_file(dir, "short.npz", (struct parts_spec){3, true, false, false, 0});
    char *gt = path_join(dir, "groundtruth.txt");
    write_text_file(gt, "# video frame label\n"
                        "long 0 rest\nlong 2 sign\nlong 3 sign\nlong 6 rest\n"
                        "short 1 sign\nghost 0 sign\n");
    struct data_config cfg;
    data_config_default(&cfg);
    cfg.window = 4;
    cfg.stride = 2;
    cfg.normalize = DATA_NORMALIZE_NONE;
    struct dataset ds;
    struct error err;
    struct warnings warns = {0};
    struct warn_sink sink = {collect, &warns};
    assert_int_equal(dataset_load(&ds, dir, &cfg, true, &sink, &err), 0);
    /* Windows: long (T=7) starts 0, 2; short (T=3 < 4) one window at 0. */
    assert_int_equal(ds.n_windows, 3);
    assert_int_equal(ds.windows[0].start, 0);
    assert_int_equal(ds.windows[1].start, 2);
    assert_int_equal(ds.windows[2].video, 1);
    int32_t rest = groundtruth_label_id(&ds.gt, "rest");
    int32_t sign = groundtruth_label_id(&ds.gt, "sign");
    /* [0,4): rest, sign, sign -> sign; [2,6): sign, sign -> sign; short: sign. */
    assert_int_equal(ds.windows[0].label, sign);
    assert_int_equal(ds.windows[1].label, sign);
    assert_int_equal(ds.windows[2].label, sign);
    assert_int_equal(warns.n, 1);
    assert_non_null(strstr(warns.msg[0], "'ghost'"));

    size_t idx[3] = {2, 0, 1};
    const size_t J = 33, C = 2, W = 4;
    float *x = malloc(3 * W * J * C * sizeof *x), st[3 * 4];
    int32_t labels[3];
    int32_t map[2];
    map[rest] = 0;
    map[sign] = 1;
    dataset_fill_batch(&ds, idx, 3, x, st, labels, map);
    for (size_t t = 0; t < W; t++)
        for (size_t j = 0; j < J; j++)
            for (size_t c = 0; c < C; c++) {
                float want = t < 3 ? coded(1.0f, j, c, t) : 0.0f; /* frame 3 is padding */
                assert_true(x[(t * J + j) * C + c] == want);
                assert_true(x[((W + t) * J + j) * C + c] == coded(1.0f, j, c, t));
                assert_true(x[((2 * W + t) * J + j) * C + c] == coded(1.0f, j, c, t + 2));
            }
    /* Statistics of the padded window are those of its 3 real frames. */
    float st3[4];
    data_window_stats(ds.videos[1].frame_stats, ds.videos[1].stat_ref, C, 0, 3, st3);
    assert_close_f32(st, st3, 4, 0, 0, "padded window stats");
    /* The pose x channel of joint j in frame t is 1 + 10j + 0.001t: mean over 33 joints and
     * 3 frames is 161 + 0.001. */
    assert_close_f32(&st[0], (const float[]){161.001f}, 1, 1e-6, 0, "mean x");
    assert_int_equal(labels[0], 1);
    dataset_free(&ds);

    /* --label-fill previous, windows of 2 every 2 frames. */
    cfg.label_fill = LABEL_FILL_PREVIOUS;
    cfg.window = 2;
    assert_int_equal(dataset_load(&ds, dir, &cfg, true, NULL, &err), 0);
    /* long: starts 0,2,4 -> [rest, ?]=rest (frame 1 filled rest), [sign,sign], [sign,sign] */
    assert_int_equal(ds.windows[0].label, rest);
    assert_int_equal(ds.windows[1].label, sign);
    assert_int_equal(ds.windows[2].label, sign);
    /* short: frame 0 unlabelled, frame 1 sign -> sign. */
    assert_int_equal(ds.windows[3].label, sign);
    dataset_free(&ds);

    /* Without a groundtruth: every window unlabelled; required: an error. */
    remove(gt);
    assert_int_equal(dataset_load(&ds, dir, &cfg, false, NULL, &err), 0);
    assert_false(ds.has_groundtruth);
    for (size_t i = 0; i < ds.n_windows; i++) assert_int_equal(ds.windows[i].label, -1);
    dataset_free(&ds);
    assert_int_equal(dataset_load(&ds, dir, &cfg, true, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "groundtruth"));
    free(x);
    free(gt);
    tmpdir_remove(dir);
    free(dir);
}

/* The memory a dataset holds beside its landmarks: statistic sums, labels, windows. A dataset
 * of 300-frame pose videos (the smallest J the default options give) stays within 1.5x its
 * float32 landmark size. */
static void test_memory_held(void **state)
{
    (void)state;
    char *dir = tmpdir_make();
    char name[32];
    for (int i = 0; i < 4; i++) {
        snprintf(name, sizeof name, "v%d.npz", i);
        write_coded_file(dir, name, (struct parts_spec){300, true, false, false, 0});
    }
    char *gt = path_join(dir, "groundtruth.txt");
    write_text_file(gt, "v0 0 sign\nv1 25 rest\n");
    struct data_config cfg;
    data_config_default(&cfg);
    struct dataset ds;
    struct error err;
    assert_int_equal(dataset_load(&ds, dir, &cfg, false, NULL, &err), 0);
    size_t land = dataset_landmark_bytes(&ds), held = dataset_held_bytes(&ds);
    assert_int_equal(land, 4 * 300 * 33 * 2 * sizeof(float));
    if ((double)held > 1.5 * (double)land)
        fail_msg("held %zu bytes for %zu bytes of landmarks", held, land);
    dataset_free(&ds);
    free(gt);
    tmpdir_remove(dir);
    free(dir);
}

/* Every allocation of a load failing in turn: a clean error each time, nothing leaked (the
 * sanitizer build checks the leaks). One thread: the failure counter is not atomic. */
static void test_failing_allocations(void **state)
{
    (void)state;
    char *dir = tmpdir_make();
    write_coded_file(dir, "a.npz", (struct parts_spec){4, true, true, false, 478});
    write_coded_file(dir, "b.npz", (struct parts_spec){3, true, false, false, 0});
    char *gt = path_join(dir, "groundtruth.txt");
    write_text_file(gt, "a 0 sign\nb 1 rest\nzzz 0 rest\n");
    struct data_config cfg;
    data_config_default(&cfg);
    cfg.include_hands = true;
    cfg.include_face = true;
    cfg.window = 2;
    omp_set_num_threads(1);
    struct dataset ds;
    struct error err;
    long n;
    for (n = 0; n < 10000; n++) {
        err.msg[0] = '\0';
        alloc_fail_after(n);
        int rc = dataset_load(&ds, dir, &cfg, true, NULL, &err);
        alloc_fail_after(-1);
        if (rc == 0) break;
        if (err.msg[0] == '\0') fail_msg("allocation %ld: failed without a message", n);
    }
    assert_true(n > 10);
    assert_int_equal(ds.n_videos, 2);
    assert_int_equal(ds.layout.joints, 33 + 42 + 478);
    dataset_free(&ds);
    omp_set_num_threads(2);
    free(gt);
    tmpdir_remove(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference_cases),
        cmocka_unit_test(test_assembly_order),
        cmocka_unit_test(test_face_across_files),
        cmocka_unit_test(test_batch_padding_and_labels),
        cmocka_unit_test(test_memory_held),
        cmocka_unit_test(test_failing_allocations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
