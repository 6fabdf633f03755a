/* cmd_detect.c — `signstgcn detect`: where, in whole recordings, someone is signing.
 *
 *   signstgcn detect --ckpt FILE (--data DIR | --input FILE ...) --out-dir DIR
 *                    [--mode centred|causal] [--stride 1] [--on 0.5] [--off 0.4]
 *                    [--min-sign-ms 120] [--merge-gap-ms 120] [--fps F]
 *                    [--groundtruth FILE] [--splits-json FILE --split val|test|train]
 *                    [--background CLASS,...] [--media FILE|DIR [--media-ext mp4]]
 *                    [--batch 64] [--threads N]
 *   signstgcn detect --stream --ckpt FILE [--stride 1] [--on ...] [--fps 25] [--strict]
 *
 * Files: every recording goes through detect/recording.h (the shared inference path, then
 * frames, segments and scores) and gets <name>.frames.csv, <name>.segments.csv, <name>.eaf and
 * <name>.png in --out-dir; the run gets summary.json and a table on stdout. Every file is
 * written atomically, and only after every recording has been read, so an unreadable input
 * stops the run with one line naming it before any output is touched.
 *
 * Stream: JSON lines on stdin (detect/stream.h), one JSON line out per frame
 * ({"frame", "time_s", "p", "signing"}) and one per segment event, flushed at once. A bad
 * line is reported on stderr with its number and skipped (--strict: exit 1); EOF closes an
 * open segment and exits 0.
 */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cli/detect_report.h"
#include "cli/outputs.h"
#include "core/alloc.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "data/dataset.h"
#include "data/splits.h"
#include "detect/recording.h"
#include "detect/stream.h"
#include "io/csv.h"
#include "io/eaf.h"
#include "train/infer.h"
#include "viz/plot.h"

#define CMD "detect"

enum {
    OPT_CKPT = 0x300, OPT_DATA, OPT_INPUT, OPT_OUT_DIR, OPT_MODE, OPT_STRIDE, OPT_ON, OPT_OFF,
    OPT_MIN_MS, OPT_GAP_MS, OPT_FPS, OPT_GT, OPT_SPLITS, OPT_SPLIT, OPT_BACKGROUND, OPT_MEDIA,
    OPT_MEDIA_EXT, OPT_BATCH, OPT_THREADS, OPT_STREAM, OPT_STRICT
};

static void print_help(void)
{
    printf("usage: signstgcn detect --ckpt FILE (--data DIR | --input FILE ...) --out-dir DIR\n"
           "                        [--mode centred|causal] [--stride 1] [--on 0.5] [--off 0.4]\n"
           "                        [--min-sign-ms 120] [--merge-gap-ms 120] [--fps F]\n"
           "                        [--groundtruth FILE] [--splits-json FILE --split val]\n"
           "                        [--background CLASS,...] [--media FILE|DIR --media-ext mp4]\n"
           "                        [--batch 64] [--threads N]\n"
           "       signstgcn detect --stream --ckpt FILE [--stride 1] [--on 0.5] [--off 0.4]\n"
           "                        [--min-sign-ms 120] [--merge-gap-ms 120] [--fps 25] [--strict]\n\n"
           "Per-frame probability of signing in whole recordings (centred: mean of the windows\n"
           "containing the frame; causal: the window ending at it), segments by hysteresis\n"
           "(open at p >= --on, close below --off, join gaps <= --merge-gap-ms, drop segments\n"
           "shorter than --min-sign-ms; time from --fps, else the recording's own frame rate\n"
           "(.pose), else 25), and per recording <name>.frames.csv, .segments.csv,\n"
           "an ELAN .eaf and a .png in --out-dir, with summary.json. With a groundtruth: frame\n"
           "accuracy, F1, PR-AUC, mean IoU of matched segments and segment F1 at IoU >= 0.5.\n"
           "--stream reads MediaPipe frames as JSON lines on stdin and answers each at once.\n");
}

struct run {
    struct infer inf;
    struct detect_options o;
    double fps;
    bool *is_background;
    const char *out_dir;
    const char *media;
    const char *media_ext;
    bool media_is_dir;
};

static const char *segment_label(const struct run *r, const struct detect_segment *sg)
{
    return sg->cls >= 0 ? r->inf.d.classes[sg->cls] : "SIGNING";
}

static int write_frames(const struct run *r, const char *path, const struct detect_result *d,
                        struct error *err)
{
    struct atomic_file af;
    if (atomic_file_open(&af, path, err)) return -1;
    const bool multi = !r->inf.tc.data.binary;
    const size_t NC = d->nc;
    fprintf(af.fp, "frame,time_s,p_signing,signing");
    if (multi) {
        for (size_t q = 0; q < NC; q++) {
            fputc(',', af.fp);
            csv_write_prefixed(af.fp, "p_", r->inf.d.classes[q]);
        }
        fprintf(af.fp, ",class");
    }
    fputc('\n', af.fp);
    for (size_t f = 0; f < d->frames; f++) {
        fprintf(af.fp, "%zu,%.6f,%.9g,%d", f, (double)f / d->fps, (double)d->p[f], d->signing[f]);
        if (multi) {
            size_t best = 0;
            for (size_t q = 0; q < NC; q++) {
                fprintf(af.fp, ",%.9g", (double)d->fp[f * NC + q]);
                if (d->fp[f * NC + q] > d->fp[f * NC + best]) best = q;
            }
            fputc(',', af.fp);
            csv_write_field(af.fp, r->inf.d.classes[best]);
        }
        fputc('\n', af.fp);
    }
    return atomic_file_commit(&af, err);
}

static int write_segments(const struct run *r, const char *path, const struct detect_result *d,
                          struct error *err)
{
    struct atomic_file af;
    if (atomic_file_open(&af, path, err)) return -1;
    fprintf(af.fp, "start_frame,end_frame,start_s,end_s,mean_p,label\n");
    for (size_t i = 0; i < d->n_seg; i++) {
        const struct detect_segment *sg = &d->seg[i];
        fprintf(af.fp, "%zu,%zu,%.6f,%.6f,%.9g,", sg->start, sg->end, (double)sg->start / d->fps,
                (double)(sg->end + 1) / d->fps, sg->mean_p);
        csv_write_field(af.fp, segment_label(r, sg));
        fputc('\n', af.fp);
    }
    return atomic_file_commit(&af, err);
}

static int64_t ms_of_frame(size_t f, double fps)
{
    return (int64_t)llround((double)f * 1000.0 / fps);
}

static int write_eaf(const struct run *r, const char *path, const char *name,
                     const struct detect_result *d, struct error *err)
{
    struct eaf_annotation *ann = sg_calloc(d->n_seg ? d->n_seg : 1, sizeof *ann, "eaf", err);
    char *media = NULL;
    if (!ann) return -1;
    if (r->media && r->media_is_dir) {
        size_t n = strlen(r->media) + strlen(name) + strlen(r->media_ext) + 3;
        if (!(media = sg_malloc(n, 1, "path", err))) {
            free(ann);
            return -1;
        }
        snprintf(media, n, "%s/%s.%s", r->media, name, r->media_ext);
    }
    for (size_t i = 0; i < d->n_seg; i++)
        ann[i] = (struct eaf_annotation){ms_of_frame(d->seg[i].start, d->fps),
                                         ms_of_frame(d->seg[i].end + 1, d->fps),
                                         segment_label(r, &d->seg[i])};
    struct eaf_doc doc = {.tier = "SIGNING", .media = media ? media : r->media,
                          .author = "signstgcn detect", .ann = ann, .n = d->n_seg};
    int rc = eaf_write(path, &doc, err);
    free(ann);
    free(media);
    return rc;
}

static int write_png(const struct run *r, const char *path, const char *name,
                     const struct detect_result *d, const struct detect_scores *sc,
                     struct error *err)
{
    const size_t L = d->frames;
    double *t = sg_malloc(L, sizeof(double), "plot", err);
    double *p = sg_malloc(L, sizeof(double), "plot", err);
    struct plot_band *bands = sg_malloc(d->n_seg + d->n_gt + 1, sizeof *bands, "plot", err);
    int rc = -1;
    if (!t || !p || !bands) goto out;
    for (size_t f = 0; f < L; f++) {
        t[f] = (double)f / d->fps;
        p[f] = (double)d->p[f];
    }
    size_t nb = 0;
    for (size_t i = 0; i < d->n_seg; i++)
        bands[nb++] = (struct plot_band){(double)d->seg[i].start / d->fps,
                                         (double)(d->seg[i].end + 1) / d->fps, -INFINITY,
                                         INFINITY, plot_palette_color(0), 0.18};
    for (size_t i = 0; i < d->n_gt; i++)
        bands[nb++] = (struct plot_band){(double)d->gt[i].start / d->fps,
                                         (double)(d->gt[i].end + 1) / d->fps, 1.04, 1.10,
                                         plot_palette_color(1), 0.9};
    double hl[2] = {r->o.on, r->o.off};
    struct plot_series s = {NULL, t, p, L}; /* no legend: the titles say what is drawn */
    char title[512], ptitle[256];
    if (d->has_truth)
        snprintf(ptitle, sizeof ptitle, "frame F1 %.3f, mean IoU %.3f, segment F1 %.3f; "
                 "shaded: detected, top strip: groundtruth", sc->frame_f1, sc->mean_iou,
                 sc->seg_f1);
    else
        snprintf(ptitle, sizeof ptitle, "shaded: %zu detected segment(s); dashed: on/off "
                 "thresholds", d->n_seg);
    snprintf(title, sizeof title, "%s: p(signing) per frame (%s, stride %zu)", name,
             detect_mode_name(r->o.mode), r->o.stride);
    struct plot_panel pn = {.title = ptitle, .xlabel = "time (s)", .ylabel = "p(signing)",
                            .series = &s, .n_series = 1, .bands = bands, .n_bands = nb,
                            .hlines = hl, .n_hlines = 2, .ymin = -0.02, .ymax = 1.12};
    struct plot_lines_spec spec = {.title = title, .panels = &pn, .n_panels = 1,
                                   .width = 1400, .height = 450};
    rc = plot_lines(path, &spec, err);
out:
    free(t);
    free(p);
    free(bands);
    return rc;
}

static char *out_path(const struct run *r, const char *name, const char *suffix,
                      struct error *err)
{
    size_t n = strlen(r->out_dir) + strlen(name) + strlen(suffix) + 2;
    char *p = sg_malloc(n, 1, "path", err);
    if (p) snprintf(p, n, "%s/%s%s", r->out_dir, name, suffix);
    return p;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* ---- files ------------------------------------------------------------------------------ */

/* Before any work: no output over an input, the output folder writable (cli/outputs.h). The
 * names written for --input recordings are known ahead (their ids); summary.json always. */
static int check_paths(const char *ckpt, const char *data, const char *const *inputs,
                       size_t n_inputs, const char *gt, const char *splits, const char *out_dir)
{
    static const char *const suffix[] = {".frames.csv", ".segments.csv", ".eaf", ".png"};
    size_t nf = 4 * n_inputs + 2, n = 0;
    char **files = calloc(nf, sizeof *files);
    struct cli_path *p = calloc(n_inputs + 6, sizeof *p);
    int rc = CLI_FAIL;
    if (!files || !p) goto out;
    size_t k = 0;
    for (size_t i = 0; i < n_inputs; i++) {
        const char *base = strrchr(inputs[i], '/');
        base = base ? base + 1 : inputs[i];
        size_t len = strlen(base);
        while (len && base[len - 1] == '/') len--; /* an OpenPose folder given as DIR/ */
        const char *dot = memchr(base, '.', len) ? strrchr(base, '.') : NULL;
        if (dot && dot < base + len) len = (size_t)(dot - base);
        for (size_t j = 0; j < 4; j++) {
            size_t m = len + strlen(suffix[j]) + 1;
            if (!(files[k] = malloc(m))) goto out;
            snprintf(files[k++], m, "%.*s%s", (int)len, base, suffix[j]);
        }
    }
    files[k] = (char *)"summary.json";
    p[n++] = (struct cli_path){"--ckpt", ckpt, CLI_IN_FILE, NULL};
    p[n++] = (struct cli_path){"--data", data, CLI_IN_DATA_DIR, NULL};
    p[n++] = (struct cli_path){"--groundtruth", gt, CLI_IN_FILE, NULL};
    p[n++] = (struct cli_path){"--splits-json", splits, CLI_IN_FILE, NULL};
    for (size_t i = 0; i < n_inputs; i++)
        p[n++] = (struct cli_path){"--input", inputs[i], CLI_IN_FILE, NULL};
    p[n++] = (struct cli_path){"--out-dir", out_dir, CLI_OUT_DIR, (const char *const *)files};
    rc = cli_check_paths(CMD, p, n);
out:
    for (size_t i = 0; files && i < 4 * n_inputs; i++) free(files[i]);
    free(files);
    free(p);
    return rc;
}

static int run_files(struct run *r, const char *data, const char **inputs, size_t n_inputs,
                     const char *gt, const char *splits_json, int split)
{
    struct error err;
    struct warn_sink warn = {cli_warn, (void *)CMD};
    struct dataset ds;
    memset(&ds, 0, sizeof ds);
    struct detect_run run;
    memset(&run, 0, sizeof run);
    cJSON *summary = NULL;
    char *text = NULL, *sp = NULL;
    int rc = CLI_FAIL;
    struct data_config dc;
    infer_data_config(&r->inf, gt, &dc);
    /* sparse annotations describe stretches: each frame takes the latest annotation */
    dc.label_fill = LABEL_FILL_PREVIOUS;
    dc.stride = dc.window; /* detect makes its own windows; keep the dataset's list short */
    if (!data) qsort(inputs, n_inputs, sizeof *inputs, cmp_str);
    if (infer_load(&r->inf, &ds, data, inputs, n_inputs, &dc, &warn, &err) ||
        detect_run_dataset(&r->inf, &ds, splits_json, split, &r->o, r->fps, r->is_background,
                           &warn, &run, &err))
        goto fail;
    if (r->media && !r->media_is_dir && run.recordings != 1) {
        error_set(&err, "--media '%s' is one file, but there are %zu recordings", r->media,
                  run.recordings);
        error_hint(&err, "give a folder with --media DIR (and --media-ext) for several");
        goto fail;
    }
    /* outputs, only now that everything was read and computed */
    if (cli_make_dirs(r->out_dir, &err)) goto fail;
    for (size_t v = 0; v < ds.n_videos; v++) {
        if (!run.selected[v]) continue;
        const char *name = ds.videos[v].id;
        char *pf = out_path(r, name, ".frames.csv", &err), *ps = NULL, *pe = NULL, *pp = NULL;
        int bad = !pf || !(ps = out_path(r, name, ".segments.csv", &err)) ||
                  !(pe = out_path(r, name, ".eaf", &err)) ||
                  !(pp = out_path(r, name, ".png", &err)) ||
                  write_frames(r, pf, &run.res[v], &err) ||
                  write_segments(r, ps, &run.res[v], &err) ||
                  write_eaf(r, pe, name, &run.res[v], &err) ||
                  write_png(r, pp, name, &run.res[v], &run.sc[v], &err);
        free(pf);
        free(ps);
        free(pe);
        free(pp);
        if (bad) goto fail;
    }
    detect_report_table(&ds, &run);
    summary = detect_report_json(&r->inf, &r->o, r->fps, r->is_background, &ds, &run);
    if (!(sp = out_path(r, "summary", ".json", &err))) goto fail;
    if (!summary || !(text = cJSON_Print(summary))) {
        error_set(&err, "%s: out of memory", sp);
        goto fail;
    }
    if (atomic_file_write_all(sp, text, strlen(text), &err)) goto fail;
    printf("%zu recording(s), %zu frames, %zu segment(s): %s/\n", run.recordings, run.frames,
           run.segments, r->out_dir);
    rc = CLI_OK;
    goto out;
fail:
    rc = cli_fail(CMD, &err);
out:
    detect_run_free(&run);
    cJSON_Delete(summary);
    free(text);
    free(sp);
    dataset_free(&ds);
    return rc;
}

/* ---- stream ----------------------------------------------------------------------------- */

static void print_event(const struct run *r, const struct detect_event *e)
{
    const char *cls = e->cls >= 0 ? r->inf.d.classes[e->cls] : NULL;
    cJSON *o = cJSON_CreateObject();
    if (e->kind == DETECT_EVENT_START) {
        cJSON_AddStringToObject(o, "event", "segment_start");
        cJSON_AddNumberToObject(o, "start_frame", (double)e->start);
        cJSON_AddNumberToObject(o, "start_s", (double)e->start / r->fps);
    } else {
        cJSON_AddStringToObject(o, "event", "segment_end");
        cJSON_AddNumberToObject(o, "start_frame", (double)e->start);
        cJSON_AddNumberToObject(o, "end_frame", (double)e->end);
        cJSON_AddNumberToObject(o, "start_s", (double)e->start / r->fps);
        cJSON_AddNumberToObject(o, "end_s", (double)(e->end + 1) / r->fps);
        cJSON_AddNumberToObject(o, "mean_p", e->mean_p);
    }
    if (cls) cJSON_AddStringToObject(o, "class", cls);
    char *s = cJSON_PrintUnformatted(o);
    if (s) printf("%s\n", s);
    free(s);
    cJSON_Delete(o);
}

static int run_stream(struct run *r, bool strict)
{
    struct error err;
    struct detect_stream st;
    struct detect_seg_options so;
    detect_seg_options_at(&r->o, r->fps, &so);
    if (detect_stream_init(&st, &r->inf, r->o.stride, &so, r->is_background, &err))
        return cli_fail(CMD, &err);
    struct detect_frame fr;
    if (detect_frame_alloc(&st.shape, &fr, &err)) {
        detect_stream_free(&st);
        return cli_fail(CMD, &err);
    }
    char *line = NULL;
    size_t cap = 0, lineno = 0, bad = 0;
    ssize_t len;
    int rc = CLI_OK;
    struct detect_event ev[2];
    size_t n_ev;
    while ((len = getline(&line, &cap, stdin)) >= 0) {
        lineno++;
        size_t n = (size_t)len;
        bool truncated = n == 0 || line[n - 1] != '\n';
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r')) n--;
        size_t k = 0;
        while (k < n && (line[k] == ' ' || line[k] == '\t')) k++;
        if (k == n) continue; /* blank line */
        if (detect_frame_parse(&st.shape, line, n, &fr, &err)) {
            bad++;
            fprintf(stderr, "signstgcn %s: stdin line %zu: %s%s%s\n", CMD, lineno, err.msg,
                    truncated ? " (the last line has no newline: truncated?)" : "",
                    strict ? "" : "; line skipped");
            if (strict) {
                rc = CLI_FAIL;
                break;
            }
            continue;
        }
        bool unnorm;
        size_t frame = st.frame;
        if (detect_stream_push(&st, &fr, ev, &n_ev, &unnorm, &err)) {
            rc = cli_fail(CMD, &err);
            break;
        }
        if (unnorm && !st.unnormalised_warned) {
            st.unnormalised_warned = true;
            fprintf(stderr, "signstgcn %s: warning: frame %zu: no frame of its window has both "
                    "shoulders; left unnormalised (as a file without shoulders would be)\n",
                    CMD, frame);
        }
        for (size_t i = 0; i < n_ev; i++)
            if (ev[i].kind == DETECT_EVENT_END) print_event(r, &ev[i]);
        printf("{\"frame\":%zu,\"time_s\":%.6f,\"p\":%.9g,\"signing\":%s}\n", frame,
               (double)frame / r->fps, (double)st.p, st.on ? "true" : "false");
        for (size_t i = 0; i < n_ev; i++)
            if (ev[i].kind == DETECT_EVENT_START) print_event(r, &ev[i]);
        fflush(stdout);
    }
    if (rc == CLI_OK) {
        detect_stream_finish(&st, ev, &n_ev);
        for (size_t i = 0; i < n_ev; i++) print_event(r, &ev[i]);
        fflush(stdout);
        if (bad) fprintf(stderr, "signstgcn %s: %zu bad line(s) skipped of %zu\n", CMD, bad, lineno);
    }
    free(line);
    detect_frame_free(&fr);
    detect_stream_free(&st);
    return rc;
}

int cmd_detect(int argc, char **argv)
{
    static const struct option opts[] = {
        {"ckpt", required_argument, NULL, OPT_CKPT},
        {"data", required_argument, NULL, OPT_DATA},
        {"input", required_argument, NULL, OPT_INPUT},
        {"out-dir", required_argument, NULL, OPT_OUT_DIR},
        {"mode", required_argument, NULL, OPT_MODE},
        {"stride", required_argument, NULL, OPT_STRIDE},
        {"on", required_argument, NULL, OPT_ON},
        {"off", required_argument, NULL, OPT_OFF},
        {"min-sign-ms", required_argument, NULL, OPT_MIN_MS},
        {"merge-gap-ms", required_argument, NULL, OPT_GAP_MS},
        {"fps", required_argument, NULL, OPT_FPS},
        {"groundtruth", required_argument, NULL, OPT_GT},
        {"splits-json", required_argument, NULL, OPT_SPLITS},
        {"split", required_argument, NULL, OPT_SPLIT},
        {"background", required_argument, NULL, OPT_BACKGROUND},
        {"media", required_argument, NULL, OPT_MEDIA},
        {"media-ext", required_argument, NULL, OPT_MEDIA_EXT},
        {"batch", required_argument, NULL, OPT_BATCH},
        {"threads", required_argument, NULL, OPT_THREADS},
        {"stream", no_argument, NULL, OPT_STREAM},
        {"strict", no_argument, NULL, OPT_STRICT},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct run r;
    memset(&r, 0, sizeof r);
    detect_options_default(&r.o);
    r.fps = 0; /* each recording's own frame rate, else 25 */
    r.media_ext = "mp4";
    const char *ckpt = NULL, *data = NULL, *gt = NULL, *splits = NULL, *background = NULL;
    const char *split_s = NULL;
    long stride = 1, batch = 64, threads = 0;
    bool stream = false, strict = false;
    const char **inputs = calloc((size_t)argc + 1, sizeof *inputs);
    size_t n_inputs = 0;
    if (!inputs) return CLI_FAIL;
    opterr = 0;
    optind = 1;
    int c, rc = CLI_USAGE;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case OPT_CKPT: ckpt = optarg; break;
        case OPT_DATA: data = optarg; break;
        case OPT_INPUT: inputs[n_inputs++] = optarg; break;
        case OPT_OUT_DIR: r.out_dir = optarg; break;
        case OPT_MODE: {
            int m = detect_mode_parse(optarg);
            if (m < 0) {
                rc = cli_usage_error(CMD, "--mode takes centred or causal, not '%s'", optarg);
                goto done;
            }
            r.o.mode = (enum detect_mode)m;
            break;
        }
        case OPT_STRIDE:
            if (!cli_parse_long(CMD, "--stride", optarg, 1, 1 << 20, &stride)) goto done;
            break;
        case OPT_ON:
            if (!cli_parse_double(CMD, "--on", optarg, 0, 1, &r.o.on)) goto done;
            break;
        case OPT_OFF:
            if (!cli_parse_double(CMD, "--off", optarg, 0, 1, &r.o.off)) goto done;
            break;
        case OPT_MIN_MS:
            if (!cli_parse_double(CMD, "--min-sign-ms", optarg, 0, 1e9, &r.o.min_sign_ms)) goto done;
            break;
        case OPT_GAP_MS:
            if (!cli_parse_double(CMD, "--merge-gap-ms", optarg, 0, 1e9, &r.o.merge_gap_ms)) goto done;
            break;
        case OPT_FPS:
            if (!cli_parse_double(CMD, "--fps", optarg, 1e-3, 1e6, &r.fps)) goto done;
            break;
        case OPT_GT: gt = optarg; break;
        case OPT_SPLITS: splits = optarg; break;
        case OPT_SPLIT: split_s = optarg; break;
        case OPT_BACKGROUND: background = optarg; break;
        case OPT_MEDIA: r.media = optarg; break;
        case OPT_MEDIA_EXT: r.media_ext = optarg[0] == '.' ? optarg + 1 : optarg; break;
        case OPT_BATCH:
            if (!cli_parse_long(CMD, "--batch", optarg, 1, 1 << 20, &batch)) goto done;
            break;
        case OPT_THREADS:
            if (!cli_parse_long(CMD, "--threads", optarg, 1, 4096, &threads)) goto done;
            break;
        case OPT_STREAM: stream = true; break;
        case OPT_STRICT: strict = true; break;
        case 'h': print_help(); rc = CLI_OK; goto done;
        default: rc = cli_getopt_error(CMD, c, argv); goto done;
        }
    }
    while (optind < argc) inputs[n_inputs++] = argv[optind++];
    r.o.stride = (size_t)stride;
    if (!ckpt) {
        rc = cli_usage_error(CMD, "--ckpt FILE is required");
        goto done;
    }
    if (r.o.off > r.o.on) {
        rc = cli_usage_error(CMD, "--off %g is above --on %g (hysteresis needs off <= on)",
                             r.o.off, r.o.on);
        goto done;
    }
    int split = SPLIT_VAL;
    if (split_s) {
        if (!splits) {
            rc = cli_usage_error(CMD, "--split needs --splits-json FILE");
            goto done;
        }
        if (!strcmp(split_s, "train")) split = SPLIT_TRAIN;
        else if (!strcmp(split_s, "val")) split = SPLIT_VAL;
        else if (!strcmp(split_s, "test")) split = SPLIT_TEST;
        else {
            rc = cli_usage_error(CMD, "--split takes train, val or test, not '%s'", split_s);
            goto done;
        }
    }
    if (stream) {
        if (data || n_inputs || r.out_dir || gt || splits || r.media) {
            rc = cli_usage_error(CMD, "--stream reads stdin and writes stdout: it takes no "
                                 "--data, --input, --out-dir, --groundtruth, --splits-json or --media");
            goto done;
        }
        r.o.mode = DETECT_CAUSAL;
    } else {
        if (strict) {
            rc = cli_usage_error(CMD, "--strict is for --stream");
            goto done;
        }
        if (!r.out_dir) {
            rc = cli_usage_error(CMD, "--out-dir DIR is required");
            goto done;
        }
        if (!data == !n_inputs) {
            rc = cli_usage_error(CMD, "give either --data DIR or --input FILE ...");
            goto done;
        }
    }
    if (r.media) {
        struct stat st;
        r.media_is_dir = stat(r.media, &st) == 0 && S_ISDIR(st.st_mode);
    }
    if (!stream) {
        rc = check_paths(ckpt, data, inputs, n_inputs, gt, splits, r.out_dir);
        if (rc != CLI_OK) goto done;
    }
    /* live: one window per decision is too little work to share between threads, and on a
     * busy machine a descheduled thread stalls every barrier (bench/bench_detect.sh measured
     * p50 10.6 ms on one thread, 104 ms on two, at J=75 under load): one thread by default */
    cli_set_threads(stream && threads == 0 ? 1 : (int)threads);
    struct error err;
    if (infer_open(&r.inf, ckpt, stream ? 1 : (size_t)batch, &err)) {
        rc = cli_fail(CMD, &err);
        goto done;
    }
    r.is_background = sg_calloc(r.inf.d.num_classes, sizeof(bool), CMD, &err);
    if (!r.is_background || detect_background(&r.inf, background, r.is_background, &err)) {
        rc = cli_fail(CMD, &err);
    } else if (stream) {
        if (r.fps <= 0) r.fps = DETECT_DEFAULT_FPS;
        rc = run_stream(&r, strict);
    } else {
        rc = run_files(&r, data, inputs, n_inputs, gt, splits, split);
    }
    free(r.is_background);
    infer_close(&r.inf);
done:
    free(inputs);
    return rc;
}
