#define _DEFAULT_SOURCE /* strsep */
/* test_detect.c — `signstgcn detect` and its library (detect/detect.h, detect/stream.h,
 * io/eaf.h): window-to-frame rules against `predict`, hysteresis and matching on hand-made
 * arrays, the EAF document read back with libxml2, the live stream against the causal file
 * mode and its bad lines, multi-class segments, and an unreadable input.
 *
 * The CLI tests share one small synthetic dataset (`signstgcn synth`, 6 recordings of 90
 * frames) and two one-epoch checkpoints with a 10-frame window: a binary detector trained
 * at stride 3 and a recogniser (n, s1..s4) at stride 5.
 */
#include <cjson/cJSON.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "detect/detect.h"
#include "io/eaf.h"
#include "io/npz.h"
#include "train/infer.h"
#include "testutil.h"

#define T_WIN 10

static char *root, *data, *shortdata, *bin_run, *bin_ckpt, *multi_ckpt;

static void must(struct cli_result *r, const char *what)
{
    if (r->exit_code != 0) fail_msg("%s failed (%d): %s", what, r->exit_code, r->err);
}

/* <dir>/<id>.npz: the first 7 frames (shorter than the window) of the dataset's <id>.npz */
static void make_short(const char *dir, const char *id)
{
    char name[64];
    snprintf(name, sizeof name, "mkdir -p '%s'", dir);
    if (system(name) != 0) fail_msg("cannot create '%s'", dir);
    snprintf(name, sizeof name, "%s.npz", id);
    char *src = path_join(data, name), *dst = path_join(dir, name);
    struct npz z;
    struct npz_writer w;
    struct error err;
    if (npz_open(&z, src, &err) || npz_writer_open(&w, dst, false, &err)) fail_msg("%s", err.msg);
    for (size_t i = 0; i < z.n_members; i++) {
        const struct npz_member *m = &z.members[i];
        float *a = malloc(m->count * sizeof *a);
        if (npz_read_f32(&z, i, a, m->count, &err)) fail_msg("%s", err.msg);
        size_t shape[NPY_MAX_DIMS];
        memcpy(shape, m->shape, sizeof shape);
        shape[0] = 7;
        if (npz_writer_add_f32(&w, m->name, m->ndim, shape, a, &err)) fail_msg("%s", err.msg);
        free(a);
    }
    if (npz_writer_close(&w, &err)) fail_msg("%s", err.msg);
    npz_close(&z);
    free(src);
    free(dst);
}

static int setup(void **state)
{
    (void)state;
    root = tmpdir_make();
    data = path_join(root, "data");
    struct cli_result r = run_cli("synth", "--out", data, "--videos", "6", "--signers", "3",
                                  "--frames", "90", "--seed", "1", NULL);
    must(&r, "synth");
    cli_result_free(&r);
    shortdata = path_join(root, "short");
    make_short(shortdata, "v000");
    make_short(shortdata, "v001");
    bin_run = path_join(root, "bin");
    r = run_cli("train", "--data", data, "--window", "10", "--stride", "3", "--epochs", "1",
                "--batch", "8", "--binary", "--signing-labels", "s1,s2,s3,s4", "--out", bin_run,
                "--threads", "2", NULL);
    must(&r, "binary train");
    cli_result_free(&r);
    bin_ckpt = path_join(bin_run, "last.safetensors");
    char *multi = path_join(root, "multi");
    r = run_cli("train", "--data", data, "--window", "10", "--stride", "5", "--epochs", "1",
                "--batch", "8", "--out", multi, "--threads", "2", NULL);
    must(&r, "multi-class train");
    cli_result_free(&r);
    multi_ckpt = path_join(multi, "last.safetensors");
    free(multi);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tmpdir_remove(root);
    free(root);
    free(data);
    free(shortdata);
    free(bin_run);
    free(bin_ckpt);
    free(multi_ckpt);
    return 0;
}

/* ---- CSV reading (the files here hold numbers and plain names) ------------------------- */

struct table {
    size_t rows, cols;
    char **cell; /* rows × cols, header excluded */
    char **head;
};

static struct table read_csv(const char *path)
{
    size_t len;
    char *text = read_text_file(path, &len);
    if (!text) fail_msg("cannot read '%s'", path);
    struct table t = {0};
    char *save = NULL;
    size_t cap = 0;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        size_t n = 1;
        for (char *c = line; *c; c++) n += *c == ',';
        char **fields = calloc(n, sizeof *fields);
        size_t k = 0;
        for (char *rest = line, *f; (f = strsep(&rest, ",")) != NULL;) fields[k++] = strdup(f);
        if (!t.head) {
            t.head = fields;
            t.cols = k;
            continue;
        }
        assert_int_equal(k, t.cols);
        if (t.rows * t.cols + k > cap) {
            cap = 2 * (cap + k);
            t.cell = realloc(t.cell, cap * sizeof *t.cell);
        }
        memcpy(t.cell + t.rows * t.cols, fields, k * sizeof *fields);
        free(fields);
        t.rows++;
    }
    free(text);
    return t;
}

static long col(const struct table *t, const char *name)
{
    for (size_t c = 0; c < t->cols; c++)
        if (!strcmp(t->head[c], name)) return (long)c;
    char all[1024] = "";
    for (size_t c = 0; c < t->cols; c++) {
        strncat(all, t->head[c], sizeof all - strlen(all) - 2);
        strcat(all, " ");
    }
    fail_msg("no column '%s' in: %s", name, all);
    return -1;
}

static const char *cell(const struct table *t, size_t r, long c)
{
    return t->cell[r * t->cols + (size_t)c];
}

static void free_table(struct table *t)
{
    for (size_t i = 0; i < t->rows * t->cols; i++) free(t->cell[i]);
    for (size_t c = 0; c < t->cols; c++) free(t->head[c]);
    free(t->cell);
    free(t->head);
    memset(t, 0, sizeof *t);
}

/* ---- library: windows to frames ------------------------------------------------------- */

static void test_spans_and_frames(void **state)
{
    (void)state;
    struct error err;
    /* centred, L=12, T=5, stride 2: starts 0,2,4,6; frame 11 lies past the last window */
    struct infer_span sp[16];
    size_t n = detect_spans(12, 5, 2, DETECT_CENTRED, 0, sp);
    assert_int_equal(n, 4);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(sp[i].start, 2 * i);
        assert_int_equal(sp[i].real, 5);
    }
    float wp[4] = {1, 2, 3, 4}, fp[12];
    assert_int_equal(detect_frames(12, DETECT_CENTRED, sp, n, wp, 1, fp, &err), 0);
    const float want[12] = {1, 1, 1.5f, 1.5f, 2, 2.5f, 3, 3.5f, 3.5f, 4, 4, 4};
    assert_close_f32(fp, want, 12, 0, 1e-7, "centred");
    /* causal, L=7, T=3, stride 1: partial windows at frames 0 and 1, then full ones */
    n = detect_spans(7, 3, 1, DETECT_CAUSAL, 5, sp);
    assert_int_equal(n, 7);
    assert_int_equal(sp[0].real, 1);
    assert_int_equal(sp[1].real, 2);
    assert_int_equal(sp[2].start, 0);
    assert_int_equal(sp[2].real, 3);
    assert_int_equal(sp[6].start, 4);
    assert_int_equal(sp[6].video, 5);
    /* causal, stride 2: decisions at 0 (warm-up), then 2, 4, 6 */
    n = detect_spans(7, 3, 2, DETECT_CAUSAL, 0, sp);
    assert_int_equal(n, 4);
    float wc[4] = {10, 20, 30, 40}, fc[7];
    assert_int_equal(detect_frames(7, DETECT_CAUSAL, sp, n, wc, 1, fc, &err), 0);
    const float wantc[7] = {10, 10, 20, 20, 30, 30, 40};
    assert_close_f32(fc, wantc, 7, 0, 0, "causal stride 2");
    /* a recording shorter than the window: one padded window (centred) */
    n = detect_spans(3, 5, 1, DETECT_CENTRED, 0, sp);
    assert_int_equal(n, 1);
    assert_int_equal(sp[0].real, 3);
}

static void test_segments(void **state)
{
    (void)state;
    struct error err;
    /*                0    1    2     3     4    5    6    7    8    9    10   11 */
    const float p[] = {0.1f, 0.6f, 0.45f, 0.45f, 0.3f, 0.55f, 0.2f, 0.2f, 0.2f, 0.7f, 0.8f, 0.1f};
    const size_t L = sizeof p / sizeof p[0];
    struct detect_seg_options o = {0.5, 0.4, 0, 0};
    struct detect_segment *s = NULL;
    size_t n = detect_segments(p, L, &o, &s, &err);
    /* hysteresis keeps 2 and 3 (above off) in the first segment */
    assert_int_equal(n, 3);
    assert_int_equal(s[0].start, 1);
    assert_int_equal(s[0].end, 3);
    assert_int_equal(s[1].start, 5);
    assert_int_equal(s[1].end, 5);
    assert_int_equal(s[2].start, 9);
    assert_int_equal(s[2].end, 10);
    assert_true(fabs(s[2].mean_p - 0.75) < 1e-6);
    free(s);
    /* a gap of one frame (4) joins the first two; the minimum length then drops nothing */
    o.merge_gap = 1;
    n = detect_segments(p, L, &o, &s, &err);
    assert_int_equal(n, 2);
    assert_int_equal(s[0].start, 1);
    assert_int_equal(s[0].end, 5);
    free(s);
    /* minimum length 3 frames drops the two-frame segment 9-10 */
    o.min_frames = 3;
    n = detect_segments(p, L, &o, &s, &err);
    assert_int_equal(n, 1);
    assert_int_equal(s[0].end, 5);
    free(s);
    /* nothing above on */
    const float low[3] = {0.1f, 0.2f, 0.49f};
    n = detect_segments(low, 3, &o, &s, &err);
    assert_int_equal(n, 0);
    assert_null(s);
    /* a segment open at the end closes there */
    const float high[3] = {0.1f, 0.9f, 0.9f};
    o.min_frames = 0;
    n = detect_segments(high, 3, &o, &s, &err);
    assert_int_equal(n, 1);
    assert_int_equal(s[0].end, 2);
    free(s);
}

static void test_matching(void **state)
{
    (void)state;
    struct error err;
    /* truth: 0 0 1 1 1 1 0 0 1 1 -1 1 ; frames 10 unlabelled */
    const int8_t truth[12] = {0, 0, 1, 1, 1, 1, 0, 0, 1, 1, -1, 1};
    struct detect_segment *gt = NULL;
    size_t ng = detect_truth_segments(truth, 12, &gt, &err);
    assert_int_equal(ng, 3);
    assert_int_equal(gt[0].start, 2);
    assert_int_equal(gt[0].end, 5);
    assert_int_equal(gt[1].start, 8);
    assert_int_equal(gt[1].end, 9);
    assert_int_equal(gt[2].start, 11);
    /* predicted: [3,5] (IoU 3/4 with gt0), [7,11] (IoU 2/5 with gt1, 1/5 with gt2) */
    struct detect_segment pred[2] = {{3, 5, 0, -1}, {7, 11, 0, -1}};
    uint8_t signing[12];
    detect_segment_mask(pred, 2, 12, signing);
    struct detect_counts c = {0};
    assert_int_equal(detect_count(truth, signing, 12, pred, 2, gt, ng, &c, &err), 0);
    assert_int_equal(c.frames, 11);
    assert_int_equal(c.tp, 6);  /* 3,4,5,8,9,11 */
    assert_int_equal(c.fp, 1);  /* 7 */
    assert_int_equal(c.fn, 1);  /* 2 */
    assert_int_equal(c.tn, 3);  /* 0,1,6 */
    assert_int_equal(c.matched, 2);
    assert_int_equal(c.hits, 1);
    assert_true(fabs(c.iou_sum - (0.75 + 0.4)) < 1e-12);
    float p[12] = {0.1f, 0.2f, 0.3f, 0.9f, 0.9f, 0.9f, 0.3f, 0.6f, 0.8f, 0.8f, 0.5f, 0.7f};
    struct detect_scores s;
    assert_int_equal(detect_scores(&c, p, truth, 12, &s, &err), 0);
    assert_true(fabs(s.frame_acc - 9.0 / 11) < 1e-12);
    assert_true(fabs(s.frame_f1 - 12.0 / 14) < 1e-12);
    assert_true(fabs(s.mean_iou - 0.575) < 1e-12);
    assert_true(fabs(s.seg_precision - 0.5) < 1e-12);
    assert_true(fabs(s.seg_recall - 1.0 / 3) < 1e-12);
    assert_true(fabs(s.seg_f1 - 0.4) < 1e-12);
    assert_true(s.frame_pr_auc > 0.5 && s.frame_pr_auc <= 1);
    free(gt);
}

/* ---- EAF ------------------------------------------------------------------------------- */

static xmlNode *child(xmlNode *n, const char *name)
{
    for (xmlNode *c = n->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && !strcmp((const char *)c->name, name)) return c;
    return NULL;
}

static char *attr(xmlNode *n, const char *name)
{
    return (char *)xmlGetProp(n, (const xmlChar *)name);
}

/* Checks an EAF file as EAF 3.0 with one tier; returns its annotation values in order
 * (caller frees) and their number in *n. */
static char **check_eaf(const char *path, size_t *n, bool want_media)
{
    xmlDoc *doc = xmlReadFile(path, NULL, XML_PARSE_NONET);
    if (!doc) fail_msg("'%s' is not well-formed XML", path);
    xmlNode *rootn = xmlDocGetRootElement(doc);
    assert_string_equal((const char *)rootn->name, "ANNOTATION_DOCUMENT");
    char *v = attr(rootn, "VERSION"), *f = attr(rootn, "FORMAT"), *d = attr(rootn, "DATE");
    assert_string_equal(v, "3.0");
    assert_string_equal(f, "3.0");
    assert_non_null(d);
    xmlFree(v);
    xmlFree(f);
    xmlFree(d);
    xmlNode *head = child(rootn, "HEADER");
    assert_non_null(head);
    char *tu = attr(head, "TIME_UNITS");
    assert_string_equal(tu, "milliseconds");
    xmlFree(tu);
    xmlNode *md = child(head, "MEDIA_DESCRIPTOR");
    assert_int_equal(md != NULL, want_media);
    if (md) {
        char *url = attr(md, "MEDIA_URL"), *mime = attr(md, "MIME_TYPE");
        assert_true(!strncmp(url, "file:///", 8));
        assert_string_equal(mime, "video/mp4");
        xmlFree(url);
        xmlFree(mime);
    }
    /* time slots: ids and increasing values */
    xmlNode *to = child(rootn, "TIME_ORDER");
    assert_non_null(to);
    size_t ns = 0;
    long long last = -1;
    char ids[4096][16];
    long long vals[4096];
    for (xmlNode *c = to->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE) continue;
        assert_string_equal((const char *)c->name, "TIME_SLOT");
        char *id = attr(c, "TIME_SLOT_ID"), *tv = attr(c, "TIME_VALUE");
        long long t = atoll(tv);
        if (t < last) fail_msg("time slot %s = %lld goes back (after %lld)", id, t, last);
        last = t;
        snprintf(ids[ns], sizeof ids[ns], "%s", id);
        vals[ns++] = t;
        xmlFree(id);
        xmlFree(tv);
    }
    /* the tier, its linguistic type and its annotations */
    xmlNode *tier = child(rootn, "TIER");
    xmlNode *lt = child(rootn, "LINGUISTIC_TYPE");
    assert_non_null(tier);
    assert_non_null(lt);
    char *ref = attr(tier, "LINGUISTIC_TYPE_REF"), *ltid = attr(lt, "LINGUISTIC_TYPE_ID");
    char *tid = attr(tier, "TIER_ID");
    assert_string_equal(ref, ltid);
    assert_string_equal(tid, "SIGNING");
    xmlFree(ref);
    xmlFree(ltid);
    xmlFree(tid);
    char **values = calloc(ns / 2 + 1, sizeof *values);
    *n = 0;
    for (xmlNode *a = tier->children; a; a = a->next) {
        if (a->type != XML_ELEMENT_NODE) continue;
        xmlNode *al = child(a, "ALIGNABLE_ANNOTATION");
        assert_non_null(al);
        char *r1 = attr(al, "TIME_SLOT_REF1"), *r2 = attr(al, "TIME_SLOT_REF2");
        long long t1 = -1, t2 = -1;
        for (size_t i = 0; i < ns; i++) {
            if (!strcmp(ids[i], r1)) t1 = vals[i];
            if (!strcmp(ids[i], r2)) t2 = vals[i];
        }
        assert_true(t1 >= 0 && t2 > t1);
        xmlFree(r1);
        xmlFree(r2);
        xmlChar *val = xmlNodeGetContent(child(al, "ANNOTATION_VALUE"));
        values[(*n)++] = strdup((const char *)val);
        xmlFree(val);
    }
    assert_int_equal(2 * *n, ns);
    xmlFreeDoc(doc);
    return values;
}

static void free_values(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++) free(v[i]);
    free(v);
}

static void test_eaf_writer(void **state)
{
    (void)state;
    char *dir = tmpdir_make();
    char *path = path_join(dir, "a.eaf");
    struct eaf_annotation ann[3] = {{0, 400, "SIGNING"}, {1000, 1480, "s<1>&\"x\""},
                                    {1480, 2000, "SIGNING"}};
    struct eaf_doc doc = {.tier = "SIGNING", .media = "video.mp4", .ann = ann, .n = 3};
    struct error err;
    if (eaf_write(path, &doc, &err)) fail_msg("%s", err.msg);
    size_t n;
    char **v = check_eaf(path, &n, true);
    assert_int_equal(n, 3);
    assert_string_equal(v[1], "s<1>&\"x\"");
    free_values(v, n);
    /* annotations out of order are refused and the file is not replaced */
    struct eaf_annotation bad[2] = {{500, 900, "a"}, {100, 200, "b"}};
    doc.ann = bad;
    doc.n = 2;
    assert_int_equal(eaf_write(path, &doc, &err), -1);
    assert_non_null(strstr(err.msg, "annotation 2"));
    v = check_eaf(path, &n, true);
    assert_int_equal(n, 3);
    free_values(v, n);
    assert_string_equal(eaf_mime_type("x/y.MOV"), "video/quicktime");
    free(path);
    tmpdir_remove(dir);
    free(dir);
}

/* ---- detect against predict ------------------------------------------------------------- */

/* p_signing per window start of one video from predict's CSV. */
static size_t predict_windows(const struct table *t, const char *video, size_t *start,
                              size_t *end, double *p)
{
    long cv = col(t, "video"), cs = col(t, "start"), ce = col(t, "end"), cp = col(t, "p_signing");
    size_t n = 0;
    for (size_t r = 0; r < t->rows; r++) {
        if (strcmp(cell(t, r, cv), video)) continue;
        start[n] = (size_t)atol(cell(t, r, cs));
        end[n] = (size_t)atol(cell(t, r, ce));
        p[n++] = atof(cell(t, r, cp));
    }
    return n;
}

static void run_detect_and_predict(const char *dataset, const char *mode, const char *stride,
                                   const char *out, const char *csv)
{
    struct cli_result r = run_cli("predict", "--ckpt", bin_ckpt, "--data", dataset, "--out", csv,
                                  "--threads", "2", NULL);
    must(&r, "predict");
    cli_result_free(&r);
    r = run_cli("detect", "--ckpt", bin_ckpt, "--data", dataset, "--out-dir", out, "--mode", mode,
                "--stride", stride, "--threads", "2", NULL);
    must(&r, "detect");
    cli_result_free(&r);
}

static void test_centred_equals_predict(void **state)
{
    (void)state;
    char *out = path_join(root, "centred"), *csv = path_join(root, "pred.csv");
    run_detect_and_predict(data, "centred", "3", out, csv);
    struct table pt = read_csv(csv);
    const char *videos[] = {"v000", "v003", "v005"};
    for (size_t k = 0; k < 3; k++) {
        size_t start[100], end[100];
        double p[100];
        size_t nw = predict_windows(&pt, videos[k], start, end, p);
        assert_true(nw > 10);
        char name[64];
        snprintf(name, sizeof name, "%s.frames.csv", videos[k]);
        char *fpath = path_join(out, name);
        struct table ft = read_csv(fpath);
        assert_int_equal(ft.rows, 90);
        long cp = col(&ft, "p_signing");
        for (size_t f = 0; f < ft.rows; f++) {
            double s = 0;
            size_t c = 0;
            for (size_t w = 0; w < nw; w++)
                if (start[w] <= f && f < end[w]) {
                    s += p[w];
                    c++;
                }
            double want = c ? s / (double)c : p[nw - 1];
            double got = atof(cell(&ft, f, cp));
            if (fabs(got - want) > 1e-6)
                fail_msg("%s frame %zu: detect %.9g, mean of %zu predict windows %.9g", videos[k],
                         f, got, c, want);
        }
        free_table(&ft);
        free(fpath);
    }
    free_table(&pt);
    free(out);
    free(csv);
}

static void test_causal_equals_predict(void **state)
{
    (void)state;
    char *out = path_join(root, "causal"), *csv = path_join(root, "pred2.csv");
    run_detect_and_predict(data, "causal", "3", out, csv);
    struct table pt = read_csv(csv);
    size_t start[100], end[100];
    double p[100];
    size_t nw = predict_windows(&pt, "v002", start, end, p);
    char *fpath = path_join(out, "v002.frames.csv");
    struct table ft = read_csv(fpath);
    long cp = col(&ft, "p_signing");
    /* from frame T-1 on, a frame takes the window ending at or before it (stride 3) */
    for (size_t f = T_WIN - 1; f < ft.rows; f++) {
        size_t w = (f - (T_WIN - 1)) / 3;
        assert_true(w < nw && end[w] - 1 <= f);
        double got = atof(cell(&ft, f, cp));
        if (fabs(got - p[w]) > 1e-6)
            fail_msg("frame %zu: causal %.9g, predict window %zu (start %zu) %.9g", f, got, w,
                     start[w], p[w]);
    }
    free_table(&ft);
    free_table(&pt);
    free(fpath);
    free(out);
    free(csv);
}

static void test_short_recording(void **state)
{
    (void)state;
    char *outc = path_join(root, "short_c"), *outk = path_join(root, "short_k");
    char *csv = path_join(root, "short.csv");
    run_detect_and_predict(shortdata, "centred", "1", outc, csv);
    struct cli_result r = run_cli("detect", "--ckpt", bin_ckpt, "--data", shortdata, "--out-dir",
                                  outk, "--mode", "causal", NULL);
    must(&r, "detect causal");
    cli_result_free(&r);
    struct table pt = read_csv(csv);
    assert_int_equal(pt.rows, 2); /* one padded window per 7-frame recording */
    double want = atof(cell(&pt, 0, col(&pt, "p_signing")));
    char *fc = path_join(outc, "v000.frames.csv"), *fk = path_join(outk, "v000.frames.csv");
    struct table tc = read_csv(fc), tk = read_csv(fk);
    assert_int_equal(tc.rows, 7);
    for (size_t f = 0; f < 7; f++) assert_true(fabs(atof(cell(&tc, f, 2)) - want) < 1e-6);
    /* causal: the last frame's partial window holds all 7 frames, as predict's padded one */
    assert_true(fabs(atof(cell(&tk, 6, 2)) - want) < 1e-6);
    free_table(&pt);
    free_table(&tc);
    free_table(&tk);
    free(fc);
    free(fk);
    free(csv);
    free(outc);
    free(outk);
}

/* ---- outputs, summary, groundtruth ------------------------------------------------------ */

static void test_outputs(void **state)
{
    (void)state;
    char *out = path_join(root, "outputs");
    char *media = path_join(root, "v001.mp4");
    write_text_file(media, "not really a video");
    char *in = path_join(data, "v001.npz");
    struct cli_result r = run_cli("detect", "--ckpt", bin_ckpt, "--input", in, "--out-dir", out,
                                  "--media", media, "--stride", "2", "--min-sign-ms", "0",
                                  "--merge-gap-ms", "0", NULL);
    must(&r, "detect one input");
    /* the table has the recording and the overall row with figures (the groundtruth is the
     * input folder's) */
    assert_non_null(strstr(r.out, "v001"));
    assert_non_null(strstr(r.out, "overall"));
    cli_result_free(&r);
    char *seg = path_join(out, "v001.segments.csv"), *eaf = path_join(out, "v001.eaf");
    char *png = path_join(out, "v001.png"), *sum = path_join(out, "summary.json");
    struct table st = read_csv(seg);
    size_t n;
    char **v = check_eaf(eaf, &n, true);
    assert_int_equal(n, st.rows); /* one annotation per segment */
    for (size_t i = 0; i < n; i++) assert_string_equal(v[i], "SIGNING");
    free_values(v, n);
    /* segments are ordered, disjoint and inside the recording */
    for (size_t i = 0; i < st.rows; i++) {
        size_t a = (size_t)atol(cell(&st, i, 0)), b = (size_t)atol(cell(&st, i, 1));
        assert_true(a <= b && b < 90);
        if (i) assert_true(a > (size_t)atol(cell(&st, i - 1, 1)));
    }
    size_t len;
    char *js = read_text_file(sum, &len);
    assert_non_null(js);
    assert_non_null(strstr(js, "\"frame_f1\""));
    assert_non_null(strstr(js, "\"mean_iou\""));
    assert_non_null(strstr(js, "\"segment_f1\""));
    free(js);
    char *pngdata = read_text_file(png, &len);
    assert_non_null(pngdata);
    assert_true(len > 1000 && !memcmp(pngdata, "\x89PNG", 4));
    free(pngdata);
    free_table(&st);
    free(seg);
    free(eaf);
    free(png);
    free(sum);
    free(in);
    free(media);
    free(out);
}

static void test_multiclass(void **state)
{
    (void)state;
    char *out = path_join(root, "multi_out");
    struct cli_result r = run_cli("detect", "--ckpt", multi_ckpt, "--data", data, "--out-dir",
                                  out, NULL);
    /* no class of n, s1..s4 is among the default signing labels: a clear error */
    assert_int_equal(r.exit_code, 1);
    assert_non_null(strstr(r.err, "--background"));
    cli_result_free(&r);
    r = run_cli("detect", "--ckpt", multi_ckpt, "--data", data, "--out-dir", out, "--background",
                "nope", NULL);
    assert_int_equal(r.exit_code, 1);
    assert_non_null(strstr(r.err, "'nope' is not a class"));
    cli_result_free(&r);
    r = run_cli("detect", "--ckpt", multi_ckpt, "--data", data, "--out-dir", out, "--background",
                "n", "--min-sign-ms", "0", "--on", "0.3", "--off", "0.3", NULL);
    must(&r, "multi-class detect");
    cli_result_free(&r);
    char *seg = path_join(out, "v000.segments.csv"), *eaf = path_join(out, "v000.eaf");
    char *fr = path_join(out, "v000.frames.csv");
    struct table st = read_csv(seg), ft = read_csv(fr);
    long cl = col(&st, "label");
    col(&ft, "p_n"); /* the classes of the training windows: n and some of s1..s4 */
    col(&ft, "class");
    size_t n;
    char **v = check_eaf(eaf, &n, false);
    assert_int_equal(n, st.rows);
    assert_true(n > 0);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(v[i], cell(&st, i, cl));
        /* a sign class, never the background */
        assert_true(v[i][0] == 's' && v[i][1] >= '1' && v[i][1] <= '4' && !v[i][2]);
    }
    free_values(v, n);
    free_table(&st);
    free_table(&ft);
    free(seg);
    free(eaf);
    free(fr);
    free(out);
}

static void test_bad_input(void **state)
{
    (void)state;
    char *out = path_join(root, "bad_out"), *good = path_join(data, "v000.npz");
    struct cli_result r = run_cli("detect", "--ckpt", bin_ckpt, "--input", good, "--out-dir", out,
                                  NULL);
    must(&r, "detect");
    cli_result_free(&r);
    char *frames = path_join(out, "v000.frames.csv");
    size_t len0;
    char *before = read_text_file(frames, &len0);
    char *junk = path_join(root, "junk.npz");
    write_text_file(junk, "this is not a zip archive");
    r = run_cli("detect", "--ckpt", bin_ckpt, "--input", good, "--input", junk, "--out-dir", out,
                "--stride", "5", NULL);
    assert_int_equal(r.exit_code, 1);
    assert_non_null(strstr(r.err, "junk.npz"));
    /* one line */
    assert_non_null(strchr(r.err, '\n'));
    assert_null(strchr(strchr(r.err, '\n') + 1, '\n'));
    cli_result_free(&r);
    size_t len1;
    char *after = read_text_file(frames, &len1);
    assert_int_equal(len0, len1);
    assert_memory_equal(before, after, len0);
    free(before);
    free(after);
    /* usage errors */
    r = run_cli("detect", "--ckpt", bin_ckpt, "--data", data, NULL);
    assert_int_equal(r.exit_code, 2);
    cli_result_free(&r);
    r = run_cli("detect", "--ckpt", bin_ckpt, "--data", data, "--out-dir", out, "--on", "0.3",
                "--off", "0.6", NULL);
    assert_int_equal(r.exit_code, 2);
    assert_non_null(strstr(r.err, "--off"));
    cli_result_free(&r);
    r = run_cli("detect", "--ckpt", bin_ckpt, "--data", data, "--out-dir", out, "--mode", "x",
                NULL);
    assert_int_equal(r.exit_code, 2);
    cli_result_free(&r);
    free(good);
    free(junk);
    free(frames);
    free(out);
}

/* ---- the live stream -------------------------------------------------------------------- */

static void append(char **buf, size_t *len, size_t *cap, const char *s)
{
    size_t n = strlen(s);
    if (*len + n + 1 > *cap) {
        *cap = 2 * (*len + n + 1);
        *buf = realloc(*buf, *cap);
    }
    memcpy(*buf + *len, s, n + 1);
    *len += n;
}

/* One JSON line per frame of an npz in MediaPipe's layout (pose, hands, face). */
static char *npz_to_json_lines(const char *path, size_t *frames)
{
    struct npz z;
    struct error err;
    if (npz_open(&z, path, &err)) fail_msg("%s", err.msg);
    const char *parts[4] = {"pose", "left_hand", "right_hand", "face"};
    float *a[4] = {0};
    size_t J[4] = {0}, C[4] = {0}, T = 0;
    for (int p = 0; p < 4; p++) {
        int i = npz_find(&z, parts[p]);
        if (i < 0) continue;
        T = z.members[i].shape[0];
        J[p] = z.members[i].shape[1];
        C[p] = z.members[i].shape[2];
        a[p] = malloc(z.members[i].count * sizeof(float));
        if (npz_read_f32(&z, (size_t)i, a[p], z.members[i].count, &err)) fail_msg("%s", err.msg);
    }
    npz_close(&z);
    char *buf = NULL, num[64];
    size_t len = 0, cap = 0;
    for (size_t t = 0; t < T; t++) {
        append(&buf, &len, &cap, "{");
        for (int p = 0; p < 4; p++) {
            if (!a[p]) continue;
            append(&buf, &len, &cap, p ? ", \"" : "\"");
            append(&buf, &len, &cap, parts[p]);
            append(&buf, &len, &cap, "\": ");
            /* a hand that is NaN in every point was not detected: null, as MediaPipe says */
            bool any = false;
            for (size_t k = 0; k < J[p] * C[p]; k++) any = any || !isnan(a[p][t * J[p] * C[p] + k]);
            if (!any) {
                append(&buf, &len, &cap, "null");
                continue;
            }
            append(&buf, &len, &cap, "[");
            for (size_t j = 0; j < J[p]; j++) {
                append(&buf, &len, &cap, j ? ",[" : "[");
                for (size_t c = 0; c < C[p]; c++) {
                    float v = a[p][(t * J[p] + j) * C[p] + c];
                    snprintf(num, sizeof num, "%s%.9g", c ? "," : "", isnan(v) ? 0.0 : (double)v);
                    append(&buf, &len, &cap, num);
                }
                append(&buf, &len, &cap, "]");
            }
            append(&buf, &len, &cap, "]");
        }
        append(&buf, &len, &cap, "}\n");
    }
    for (int p = 0; p < 4; p++) free(a[p]);
    *frames = T;
    return buf;
}

/* The "p" of every frame line of the stream's output, in order. */
static size_t stream_ps(const char *out, double *p, size_t max)
{
    size_t n = 0;
    for (const char *s = strstr(out, "{\"frame\":"); s && n < max; s = strstr(s + 1, "{\"frame\":")) {
        const char *q = strstr(s, "\"p\":");
        assert_non_null(q);
        p[n++] = atof(q + 4);
    }
    return n;
}

static void test_stream(void **state)
{
    (void)state;
    char *in = path_join(data, "v004.npz");
    size_t T = 0;
    char *lines = npz_to_json_lines(in, &T);
    assert_int_equal(T, 90);
    char *out = path_join(root, "stream_file");
    struct cli_result r = run_cli("detect", "--ckpt", bin_ckpt, "--input", in, "--out-dir", out,
                                  "--mode", "causal", NULL);
    must(&r, "detect causal");
    cli_result_free(&r);
    char *fpath = path_join(out, "v004.frames.csv");
    struct table ft = read_csv(fpath);
    const char *argv[] = {"detect", "--stream", "--ckpt", bin_ckpt, "--threads", "1", NULL};
    r = run_cliv_stdin(argv, lines, strlen(lines));
    must(&r, "detect --stream");
    double p[200];
    size_t n = stream_ps(r.out, p, 200);
    assert_int_equal(n, 90);
    for (size_t f = 0; f < n; f++) {
        double want = atof(cell(&ft, f, 2));
        if (fabs(p[f] - want) > 1e-5)
            fail_msg("frame %zu: stream %.9g, detect --mode causal %.9g", f, p[f], want);
    }
    /* the stream's segments are the file's (same causal p, same segmentation) */
    char *spath = path_join(out, "v004.segments.csv");
    struct table st = read_csv(spath);
    size_t ends = 0;
    for (const char *s = strstr(r.out, "segment_end"); s; s = strstr(s + 1, "segment_end")) ends++;
    assert_int_equal(ends, st.rows);
    for (size_t i = 0; i < st.rows; i++) {
        char want[96];
        snprintf(want, sizeof want, "\"start_frame\":%s,\"end_frame\":%s", cell(&st, i, 0),
                 cell(&st, i, 1));
        if (!strstr(r.out, want)) fail_msg("segment %s..%s missing from the stream", cell(&st, i, 0), cell(&st, i, 1));
    }
    cli_result_free(&r);

    /* bad lines: each reported with its number, skipped, and the stream goes on */
    size_t first_nl = strcspn(lines, "\n") + 1;
    char *bad = NULL;
    size_t len = 0, cap = 0;
    char *head = strndup(lines, first_nl);
    append(&bad, &len, &cap, head);                           /* line 1: frame 0 */
    append(&bad, &len, &cap, "this is not json\n");           /* line 2 */
    append(&bad, &len, &cap, "{\"pose\": [[0.5, 0.5]]}\n");   /* line 3: 1 point, not 33 */
    append(&bad, &len, &cap, "{\"pose\": [[NaN, 0.5]]}\n");   /* line 4: NaN is not JSON */
    append(&bad, &len, &cap, lines + first_nl);               /* lines 5..93: frames 1..89 */
    append(&bad, &len, &cap, "{\"pose\": [[0.1, 0.2], ");     /* line 94: truncated */
    r = run_cliv_stdin(argv, bad, len);
    assert_int_equal(r.exit_code, 0);
    assert_non_null(strstr(r.err, "line 2: not valid JSON"));
    assert_non_null(strstr(r.err, "line 3: 'pose' has 1 points (expected 33)"));
    assert_non_null(strstr(r.err, "line 4: not valid JSON"));
    assert_non_null(strstr(r.err, "line 94: not valid JSON"));
    assert_non_null(strstr(r.err, "truncated"));
    n = stream_ps(r.out, p, 200);
    assert_int_equal(n, 90);
    for (size_t f = 0; f < n; f++) assert_true(fabs(p[f] - atof(cell(&ft, f, 2))) <= 1e-5);
    cli_result_free(&r);
    /* --strict stops at the first bad line */
    const char *argv2[] = {"detect", "--stream", "--strict", "--ckpt", bin_ckpt, NULL};
    r = run_cliv_stdin(argv2, bad, len);
    assert_int_equal(r.exit_code, 1);
    assert_non_null(strstr(r.err, "line 2"));
    assert_null(strstr(r.err, "line 3"));
    assert_int_equal(stream_ps(r.out, p, 200), 1);
    cli_result_free(&r);
    free(head);
    free(bad);
    free_table(&st);
    free_table(&ft);
    free(spath);
    free(fpath);
    free(out);
    free(lines);
    free(in);
}

/* infer: a batch run as several forward passes (chunks) gives the same outputs */
static void test_infer_chunks(void **state)
{
    (void)state;
    struct infer inf;
    struct error err;
    struct warn_sink warn = {NULL, NULL};
    if (infer_open(&inf, bin_ckpt, 64, &err)) fail_msg("%s", err.msg);
    assert_int_equal(inf.chunk, 64); /* J=33 windows of 10 frames: far below the budget */
    struct dataset ds;
    struct data_config dc;
    infer_data_config(&inf, NULL, &dc);
    if (infer_load(&inf, &ds, data, NULL, 0, &dc, &warn, &err)) fail_msg("%s", err.msg);
    const size_t n = ds.n_windows, NC = inf.d.num_classes, ZD = 2 * inf.m.cfg.dims.gru;
    size_t *idx = malloc(n * sizeof *idx);
    for (size_t i = 0; i < n; i++) idx[i] = i;
    float *p1 = malloc(n * NC * sizeof(float)), *p2 = malloc(n * NC * sizeof(float));
    float *z1 = malloc(n * ZD * sizeof(float)), *z2 = malloc(n * ZD * sizeof(float));
    struct infer_out o1 = {.probs = p1, .Z = z1}, o2 = {.probs = p2, .Z = z2};
    if (infer_windows(&inf, &ds, idx, n, &o1, &err)) fail_msg("%s", err.msg);
    inf.chunk = 7;
    if (infer_windows(&inf, &ds, idx, n, &o2, &err)) fail_msg("%s", err.msg);
    assert_close_f32(p2, p1, n * NC, 0, 1e-6, "probabilities in chunks of 7");
    assert_close_f32(z2, z1, n * ZD, 0, 1e-5, "Z in chunks of 7");
    free(idx);
    free(p1);
    free(p2);
    free(z1);
    free(z2);
    dataset_free(&ds);
    infer_close(&inf);
}

/* a .pose recording brings its frame rate; --fps overrides it */
static void test_pose_fps(void **state)
{
    (void)state;
    char *pdir = path_join(root, "poses"), *out = path_join(root, "pose_out");
    char *in = path_join(data, "v002.npz");
    struct cli_result r = run_cli("convert", in, "--to", "pose", "--fps", "50", "--out", pdir, NULL);
    must(&r, "convert");
    cli_result_free(&r);
    char *pose = path_join(pdir, "v002.pose");
    r = run_cli("detect", "--ckpt", bin_ckpt, "--input", pose, "--out-dir", out, "--stride", "5",
                NULL);
    must(&r, "detect .pose");
    cli_result_free(&r);
    char *fpath = path_join(out, "v002.frames.csv");
    struct table ft = read_csv(fpath);
    assert_int_equal(ft.rows, 90);
    assert_true(fabs(atof(cell(&ft, 10, col(&ft, "time_s"))) - 0.2) < 1e-9);
    free_table(&ft);
    r = run_cli("detect", "--ckpt", bin_ckpt, "--input", pose, "--out-dir", out, "--stride", "5",
                "--fps", "10", NULL);
    must(&r, "detect .pose --fps");
    cli_result_free(&r);
    ft = read_csv(fpath);
    assert_true(fabs(atof(cell(&ft, 10, col(&ft, "time_s"))) - 1.0) < 1e-9);
    free_table(&ft);
    free(fpath);
    free(pose);
    free(in);
    free(pdir);
    free(out);
}

/* eval --frames reports what detect reports for the same recordings and options */
static void test_eval_frames(void **state)
{
    (void)state;
    char *out = path_join(root, "evf"), *json = path_join(root, "evf.json");
    struct cli_result r = run_cli("detect", "--ckpt", bin_ckpt, "--data", data, "--out-dir", out,
                                  NULL);
    must(&r, "detect");
    cli_result_free(&r);
    r = run_cli("eval", "--ckpt", bin_ckpt, "--data", data, "--out-dir", out, "--frames", "--json",
                json, NULL);
    must(&r, "eval --frames");
    assert_non_null(strstr(r.out, "mean_iou"));
    cli_result_free(&r);
    char *sum = path_join(out, "summary.json");
    char *a = read_text_file(sum, NULL), *b = read_text_file(json, NULL);
    cJSON *ja = cJSON_Parse(a), *jb = cJSON_Parse(b);
    assert_non_null(ja);
    assert_non_null(jb);
    cJSON *oa = cJSON_GetObjectItem(ja, "overall");
    cJSON *ob = cJSON_GetObjectItem(cJSON_GetObjectItem(jb, "frames"), "overall");
    assert_non_null(oa);
    assert_non_null(ob);
    const char *keys[] = {"frame_accuracy", "frame_f1", "frame_pr_auc", "mean_iou", "segment_f1",
                          "labelled_frames", "predicted_segments"};
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        cJSON *x = cJSON_GetObjectItem(oa, keys[k]), *y = cJSON_GetObjectItem(ob, keys[k]);
        assert_non_null(x);
        assert_non_null(y);
        if (cJSON_IsNumber(x)) assert_true(x->valuedouble == y->valuedouble);
        else assert_true(cJSON_IsNull(x) && cJSON_IsNull(y));
    }
    assert_true(cJSON_GetObjectItem(oa, "labelled_frames")->valuedouble > 500);
    cJSON_Delete(ja);
    cJSON_Delete(jb);
    free(a);
    free(b);
    free(sum);
    free(out);
    free(json);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spans_and_frames),
        cmocka_unit_test(test_segments),
        cmocka_unit_test(test_matching),
        cmocka_unit_test(test_eaf_writer),
        cmocka_unit_test(test_centred_equals_predict),
        cmocka_unit_test(test_causal_equals_predict),
        cmocka_unit_test(test_short_recording),
        cmocka_unit_test(test_outputs),
        cmocka_unit_test(test_multiclass),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_stream),
        cmocka_unit_test(test_eval_frames),
        cmocka_unit_test(test_pose_fps),
        cmocka_unit_test(test_infer_chunks),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
