/* cmd_predict.c — `signstgcn predict`: class probabilities for every window of new videos.
 *
 *   signstgcn predict --ckpt FILE (--data DIR | --input FILE.npz ...) --out FILE.csv
 *                     [--groundtruth FILE] [--save-embeddings FILE.npz] [--batch 64]
 *                     [--threads N]
 *
 * The data configuration (window, stride, parts, coordinates, normalisation, ...) and the
 * classes come from the checkpoint's stored configuration, so predictions see the windows the
 * model was trained on. One CSV row per window, unlabelled ones too, in video byte order then
 * start (SPEC §6): video,start,end,label,p_<class>...,pred. Outputs are written atomically.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/outputs.h"
#include "core/alloc.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "data/dataset.h"
#include "io/csv.h"
#include "io/npz.h"
#include "train/infer.h"

#define CMD "predict"

enum { OPT_CKPT = 0x300, OPT_DATA, OPT_INPUT, OPT_OUT, OPT_GT, OPT_EMB, OPT_BATCH, OPT_THREADS };

static void print_help(void)
{
    printf("usage: signstgcn predict --ckpt FILE (--data DIR | --input FILE.npz ...) --out FILE.csv\n"
           "                         [--groundtruth FILE] [--save-embeddings FILE.npz]\n"
           "                         [--batch 64] [--threads N]\n\n"
           "Runs a trained model on every window of the videos (the data options are the\n"
           "checkpoint's) and writes one CSV row per window: video,start,end,label,\n"
           "p_<class>...,pred. --save-embeddings also writes Z (N,512), s (N,64), start and\n"
           "video_index per window and the video ids.\n");
}

/* No output over an input or the other output, both outputs writable (cli/outputs.h). The
 * folder of the first --input is where its groundtruth and signers files are looked for. */
static int check_paths(const char *ckpt, const char *data, const char *const *inputs,
                       size_t n_inputs, const char *gt, const char *out, const char *emb)
{
    struct cli_path *p = calloc(n_inputs + 6, sizeof *p);
    char *dir = n_inputs ? strdup(inputs[0]) : NULL;
    if (!p || (n_inputs && !dir)) {
        free(p);
        free(dir);
        return CLI_FAIL;
    }
    size_t n = 0;
    p[n++] = (struct cli_path){"--ckpt", ckpt, CLI_IN_FILE, NULL};
    p[n++] = (struct cli_path){"--data", data, CLI_IN_DATA_DIR, NULL};
    p[n++] = (struct cli_path){"--groundtruth", gt, CLI_IN_FILE, NULL};
    for (size_t i = 0; i < n_inputs; i++)
        p[n++] = (struct cli_path){"--input", inputs[i], CLI_IN_FILE, NULL};
    if (dir) {
        char *slash = strrchr(dir, '/');
        if (slash) slash[slash == dir] = '\0';
        p[n++] = (struct cli_path){"--input", slash ? dir : ".", CLI_IN_META_DIR, NULL};
    }
    p[n++] = (struct cli_path){"--out", out, CLI_OUT_FILE, NULL};
    p[n++] = (struct cli_path){"--save-embeddings", emb, CLI_OUT_FILE, NULL};
    int rc = cli_check_paths(CMD, p, n);
    free(p);
    free(dir);
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int write_embeddings(const char *path, const struct dataset *ds, const float *Z,
                            size_t zdim, const float *s, size_t sdim, const size_t *order,
                            size_t n, struct error *err)
{
    struct npz_writer w;
    if (npz_writer_open(&w, path, true, err)) return -1;
    int64_t *start = sg_malloc(n ? n : 1, sizeof(int64_t), "embeddings", err);
    int64_t *vid = sg_malloc(n ? n : 1, sizeof(int64_t), "embeddings", err);
    size_t maxlen = 1;
    for (size_t v = 0; v < ds->n_videos; v++)
        if (strlen(ds->videos[v].id) > maxlen) maxlen = strlen(ds->videos[v].id);
    char *ids = sg_calloc(ds->n_videos ? ds->n_videos : 1, maxlen, "embeddings", err);
    int rc = -1;
    if (!start || !vid || !ids) goto out;
    for (size_t i = 0; i < n; i++) {
        start[i] = ds->windows[order[i]].start;
        vid[i] = ds->windows[order[i]].video;
    }
    for (size_t v = 0; v < ds->n_videos; v++)
        memcpy(ids + v * maxlen, ds->videos[v].id, strlen(ds->videos[v].id));
    char descr[32];
    snprintf(descr, sizeof descr, "|S%zu", maxlen);
    size_t sz[2] = {n, zdim}, ss[2] = {n, sdim}, s1[1] = {n}, sv[1] = {ds->n_videos};
    if (npz_writer_add_f32(&w, "Z", 2, sz, Z, err) || npz_writer_add_f32(&w, "s", 2, ss, s, err) ||
        npz_writer_add_raw(&w, "start", "<i8", false, 1, s1, start, n * sizeof(int64_t), err) ||
        npz_writer_add_raw(&w, "video_index", "<i8", false, 1, s1, vid, n * sizeof(int64_t), err) ||
        npz_writer_add_raw(&w, "videos", descr, false, 1, sv, ids, ds->n_videos * maxlen, err))
        goto out;
    rc = npz_writer_close(&w, err);
    free(start);
    free(vid);
    free(ids);
    return rc;
out:
    npz_writer_abort(&w);
    free(start);
    free(vid);
    free(ids);
    return -1;
}

int cmd_predict(int argc, char **argv)
{
    static const struct option opts[] = {
        {"ckpt", required_argument, NULL, OPT_CKPT},
        {"data", required_argument, NULL, OPT_DATA},
        {"input", required_argument, NULL, OPT_INPUT},
        {"out", required_argument, NULL, OPT_OUT},
        {"groundtruth", required_argument, NULL, OPT_GT},
        {"save-embeddings", required_argument, NULL, OPT_EMB},
        {"batch", required_argument, NULL, OPT_BATCH},
        {"threads", required_argument, NULL, OPT_THREADS},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *ckpt = NULL, *data = NULL, *out = NULL, *gt = NULL, *emb = NULL;
    long batch = 64, threads = 0;
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
        case OPT_OUT: out = optarg; break;
        case OPT_GT: gt = optarg; break;
        case OPT_EMB: emb = optarg; break;
        case OPT_BATCH:
            if (!cli_parse_long(CMD, "--batch", optarg, 1, 1 << 20, &batch)) goto done;
            break;
        case OPT_THREADS:
            if (!cli_parse_long(CMD, "--threads", optarg, 1, 4096, &threads)) goto done;
            break;
        case 'h': print_help(); rc = CLI_OK; goto done;
        default: rc = cli_getopt_error(CMD, c, argv); goto done;
        }
    }
    /* --input takes one file per flag; further bare arguments are more input files */
    while (optind < argc) inputs[n_inputs++] = argv[optind++];
    if (!ckpt) {
        rc = cli_usage_error(CMD, "--ckpt FILE is required");
        goto done;
    }
    if (!out) {
        rc = cli_usage_error(CMD, "--out FILE.csv is required");
        goto done;
    }
    if (!data == !n_inputs) {
        rc = cli_usage_error(CMD, "give either --data DIR or --input FILE.npz ...");
        goto done;
    }
    rc = check_paths(ckpt, data, inputs, n_inputs, gt, out, emb);
    if (rc != CLI_OK) goto done;
    cli_set_threads((int)threads);
    rc = CLI_FAIL;
    struct error err;
    struct warn_sink warn = {cli_warn, (void *)CMD};

    /* the checkpoint's model and data configuration */
    struct infer inf;
    if (infer_open(&inf, ckpt, (size_t)batch, &err)) {
        cli_fail(CMD, &err);
        goto done;
    }
    struct dataset ds;
    memset(&ds, 0, sizeof ds);
    float *probs = NULL, *logits = NULL, *Zs = NULL, *Ss = NULL;
    size_t *order = NULL;
    struct atomic_file af = {0};
    struct data_config dc;
    infer_data_config(&inf, gt, &dc);
    if (!data) qsort(inputs, n_inputs, sizeof *inputs, cmp_str);
    if (infer_load(&inf, &ds, data, inputs, n_inputs, &dc, &warn, &err)) goto fail;
    const size_t n = ds.n_windows, T = dc.window, NC = inf.d.num_classes;
    const size_t ZD = 2 * inf.m.cfg.dims.gru, SD = inf.m.cfg.dims.signer_dim;
    order = sg_malloc(n ? n : 1, sizeof(size_t), "predict", &err);
    probs = sg_malloc(n ? n : 1, NC * sizeof(float), "predict", &err);
    logits = sg_malloc(n ? n : 1, NC * sizeof(float), "predict", &err);
    if (emb) {
        Zs = sg_malloc(n ? n : 1, ZD * sizeof(float), "predict", &err);
        Ss = sg_malloc(n ? n : 1, SD * sizeof(float), "predict", &err);
        if (!Zs || !Ss) goto fail;
    }
    if (!order || !probs || !logits) goto fail;
    /* video byte order, then start */
    size_t *vorder = sg_malloc(ds.n_videos ? ds.n_videos : 1, sizeof(size_t), "predict", &err);
    if (!vorder) goto fail;
    for (size_t v = 0; v < ds.n_videos; v++) vorder[v] = v;
    for (size_t i = 1; i < ds.n_videos; i++)
        for (size_t k = i; k > 0 && strcmp(ds.videos[vorder[k - 1]].id, ds.videos[vorder[k]].id) > 0; k--) {
            size_t t = vorder[k];
            vorder[k] = vorder[k - 1];
            vorder[k - 1] = t;
        }
    size_t at = 0;
    for (size_t vi = 0; vi < ds.n_videos; vi++) {
        const struct data_video *dv = &ds.videos[vorder[vi]];
        for (size_t w = 0; w < dv->n_windows; w++) order[at++] = dv->first_window + w;
    }
    free(vorder);
    struct infer_out io = {.probs = probs, .logits = logits, .Z = Zs, .s = Ss};
    if (infer_windows(&inf, &ds, order, n, &io, &err)) goto fail;
    if (atomic_file_open(&af, out, &err)) goto fail;
    fprintf(af.fp, "video,start,end,label");
    for (size_t k = 0; k < NC; k++) {
        csv_sep(af.fp);
        csv_write_prefixed(af.fp, "p_", inf.d.classes[k]);
    }
    fprintf(af.fp, ",pred\n");
    for (size_t i = 0; i < n; i++) {
        const struct data_window *win = &ds.windows[order[i]];
        const struct data_video *dv = &ds.videos[win->video];
        size_t end = win->start + T < dv->frames ? win->start + T : dv->frames;
        const char *label = win->label >= 0 ? groundtruth_label_name(&ds.gt, win->label) : "";
        csv_write_field(af.fp, dv->id);
        fprintf(af.fp, ",%u,%zu,", (unsigned)win->start, end);
        csv_write_field(af.fp, label);
        const float *p = probs + i * NC, *lg = logits + i * NC;
        size_t best = 0;
        for (size_t q = 0; q < NC; q++) {
            fprintf(af.fp, ",%.9g", (double)p[q]);
            if (lg[q] > lg[best]) best = q;
        }
        csv_sep(af.fp);
        csv_write_field(af.fp, inf.d.classes[best]);
        fputc('\n', af.fp);
    }
    if (atomic_file_commit(&af, &err)) goto fail;
    if (emb && write_embeddings(emb, &ds, Zs, ZD, Ss, SD, order, n, &err)) goto fail;
    printf("%zu windows of %zu videos: %s%s%s\n", n, ds.n_videos, out, emb ? ", " : "",
           emb ? emb : "");
    rc = CLI_OK;
    goto clean;
fail:
    atomic_file_abort(&af);
    rc = cli_fail(CMD, &err);
clean:
    free(probs);
    free(logits);
    free(order);
    free(Zs);
    free(Ss);
    dataset_free(&ds);
    infer_close(&inf);
done:
    free(inputs);
    return rc;
}
