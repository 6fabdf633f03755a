/* cmd_embed.c — `signstgcn embed`: the original's visualize_signer_embeddings.
 *
 *   signstgcn embed --data DIR --ckpt FILE [--which s|features] [--reduce tsne|pca]
 *                   [--perplexity 30] [--color-by label|signer|pseudo] [--out PNG]
 *                   [--save-csv CSV] [--batch 64] [--threads N] [data flags]
 *
 * Embeds every window of the dataset with the checkpoint's own data configuration — a data
 * flag given here that disagrees with the checkpoint is an error, never a silent reload — as
 * the signer embedding s (default) or the features Z, reduces the embeddings to 2-d with PCA or
 * t-SNE, and draws a scatter plot coloured by window label, real signer (signers file) or
 * pseudo-signer (the checkpoint's centroids, each video assigned by the mean statistics of its
 * windows). --save-csv writes `video,start,label,e0,…` with the full embedding of each window.
 * Outputs are written atomically.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/data_opts.h"
#include "cli/outputs.h"
#include "core/alloc.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "data/dataset.h"
#include "io/csv.h"
#include "train/kmeans.h"
#include "train/infer.h"
#include "viz/pca.h"
#include "viz/plot.h"
#include "viz/tsne.h"

#define CMD "embed"

enum {
    OPT_DATA = DATA_OPT_END, OPT_CKPT, OPT_WHICH, OPT_REDUCE, OPT_PERPLEXITY, OPT_COLOR_BY,
    OPT_OUT, OPT_CSV, OPT_BATCH, OPT_THREADS
};

/* Which data flags were given, to compare them with the checkpoint's. */
struct given {
    bool seen[DATA_OPT_END - DATA_OPT_FIRST];
};

static int check_flags(const struct given *g, const struct data_config *mine,
                       const struct data_config *ckpt, const char *path)
{
#define DIFF(opt, cond, name)                                                                  \
    if (g->seen[(opt) - DATA_OPT_FIRST] && (cond)) {                                           \
        fprintf(stderr, "signstgcn " CMD ": error: %s disagrees with the checkpoint '%s'\n"     \
                        "hint: embed uses the checkpoint's own data configuration; drop the "  \
                        "flag or pass the value the model was trained with\n",                 \
                name, path);                                                                   \
        return -1;                                                                             \
    }
    DIFF(DATA_OPT_WINDOW, mine->window != ckpt->window, "--window");
    DIFF(DATA_OPT_STRIDE, mine->stride != ckpt->stride, "--stride");
    DIFF(DATA_OPT_COORDS, mine->coords != ckpt->coords, "--coords");
    DIFF(DATA_OPT_INCLUDE_POSE, !ckpt->include_pose, "--include-pose");
    DIFF(DATA_OPT_NO_INCLUDE_POSE, ckpt->include_pose, "--no-include-pose");
    DIFF(DATA_OPT_INCLUDE_HANDS, !ckpt->include_hands, "--include-hands");
    DIFF(DATA_OPT_INCLUDE_FACE, !ckpt->include_face, "--include-face");
    DIFF(DATA_OPT_FACE_POINTS, mine->face_points != ckpt->face_points, "--face-points");
    DIFF(DATA_OPT_NORMALIZE, mine->normalize != ckpt->normalize, "--normalize");
    DIFF(DATA_OPT_ZERO_IS_MISSING, !ckpt->zero_is_missing, "--zero-is-missing");
    DIFF(DATA_OPT_NO_ZERO_IS_MISSING, ckpt->zero_is_missing, "--no-zero-is-missing");
    DIFF(DATA_OPT_LABEL_FILL, mine->label_fill != ckpt->label_fill, "--label-fill");
    DIFF(DATA_OPT_BINARY, !ckpt->binary, "--binary");
#undef DIFF
    return 0;
}

int cmd_embed(int argc, char **argv)
{
    static const struct option own[] = {
        {"data", required_argument, NULL, OPT_DATA},
        {"ckpt", required_argument, NULL, OPT_CKPT},
        {"which", required_argument, NULL, OPT_WHICH},
        {"reduce", required_argument, NULL, OPT_REDUCE},
        {"perplexity", required_argument, NULL, OPT_PERPLEXITY},
        {"color-by", required_argument, NULL, OPT_COLOR_BY},
        {"out", required_argument, NULL, OPT_OUT},
        {"save-csv", required_argument, NULL, OPT_CSV},
        {"batch", required_argument, NULL, OPT_BATCH},
        {"threads", required_argument, NULL, OPT_THREADS},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct option opts[64];
    data_opts_build(opts, sizeof opts / sizeof opts[0], own);
    struct data_config mine;
    data_config_default(&mine);
    struct given given;
    memset(&given, 0, sizeof given);
    const char *data = NULL, *ckpt = NULL, *out = "embeddings.png", *csv = NULL;
    bool features = false, use_pca = false;
    int color_by = 0; /* 0 label, 1 signer, 2 pseudo */
    double perplexity = 30;
    long batch = 64, threads = 0;
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        int h = data_opts_handle(CMD, c, optarg, &mine);
        if (h < 0) return CLI_USAGE;
        if (h > 0) {
            given.seen[c - DATA_OPT_FIRST] = true;
            continue;
        }
        switch (c) {
        case OPT_DATA: data = optarg; break;
        case OPT_CKPT: ckpt = optarg; break;
        case OPT_OUT: out = optarg; break;
        case OPT_CSV: csv = optarg; break;
        case OPT_WHICH:
            if (!strcmp(optarg, "features")) features = true;
            else if (strcmp(optarg, "s")) return cli_usage_error(CMD, "--which takes s or features");
            break;
        case OPT_REDUCE:
            if (!strcmp(optarg, "pca")) use_pca = true;
            else if (strcmp(optarg, "tsne")) return cli_usage_error(CMD, "--reduce takes tsne or pca");
            break;
        case OPT_COLOR_BY:
            if (!strcmp(optarg, "label")) color_by = 0;
            else if (!strcmp(optarg, "signer")) color_by = 1;
            else if (!strcmp(optarg, "pseudo")) color_by = 2;
            else return cli_usage_error(CMD, "--color-by takes label, signer or pseudo");
            break;
        case OPT_PERPLEXITY:
            if (!cli_parse_double(CMD, "--perplexity", optarg, 1e-3, 1e6, &perplexity))
                return CLI_USAGE;
            break;
        case OPT_BATCH:
            if (!cli_parse_long(CMD, "--batch", optarg, 1, 1 << 20, &batch)) return CLI_USAGE;
            break;
        case OPT_THREADS:
            if (!cli_parse_long(CMD, "--threads", optarg, 1, 4096, &threads)) return CLI_USAGE;
            break;
        case 'h':
            printf("usage: signstgcn embed --data DIR --ckpt FILE [--which s|features]\n"
                   "       [--reduce tsne|pca] [--perplexity 30] [--color-by label|signer|pseudo]\n"
                   "       [--out embeddings.png] [--save-csv FILE.csv] [--batch 64] [--threads N]\n"
                   "       [data flags: must agree with the checkpoint]\n");
            return CLI_OK;
        default: return cli_getopt_error(CMD, c, argv);
        }
    }
    if (optind < argc) return cli_usage_error(CMD, "unexpected argument '%s'", argv[optind]);
    if (!data || !ckpt) return cli_usage_error(CMD, "--data DIR and --ckpt FILE are required");
    const struct cli_path paths[] = {
        {"--data", data, CLI_IN_DATA_DIR, NULL},
        {"--ckpt", ckpt, CLI_IN_FILE, NULL},
        {"--groundtruth", mine.groundtruth, CLI_IN_FILE, NULL},
        {"--signers", mine.signers, CLI_IN_FILE, NULL},
        {"--out", out, CLI_OUT_FILE, NULL},
        {"--save-csv", csv, CLI_OUT_FILE, NULL},
    };
    int pc = cli_check_paths(CMD, paths, sizeof paths / sizeof paths[0]);
    if (pc != CLI_OK) return pc;
    cli_set_threads((int)threads);
    struct error err;
    struct warn_sink warn = {cli_warn, (void *)CMD};
    struct infer inf;
    if (infer_open(&inf, ckpt, (size_t)batch, &err)) return cli_fail(CMD, &err);
    const struct train_derived *dd = &inf.d;
    if (check_flags(&given, &mine, &inf.tc.data, ckpt)) {
        infer_close(&inf);
        return CLI_FAIL;
    }
    if (color_by == 2 && !dd->pseudo_centroids) {
        infer_close(&inf);
        return cli_usage_error(CMD, "--color-by pseudo needs a model trained with pseudo-signers");
    }
    int rc = CLI_FAIL;
    struct dataset ds;
    memset(&ds, 0, sizeof ds);
    struct signers sg;
    memset(&sg, 0, sizeof sg);
    float *emb = NULL, *allstats = NULL;
    double *xy = NULL;
    size_t *cat = NULL, n_cat = 0;
    char **cat_names = NULL;
    size_t *idx = NULL;
    struct data_config dc;
    infer_data_config(&inf, mine.groundtruth, &dc);
    if (infer_load(&inf, &ds, data, NULL, 0, &dc, &warn, &err)) goto fail;
    const size_t n = ds.n_windows, S = 2 * dc.coords;
    const size_t D = features ? 2 * inf.m.cfg.dims.gru : inf.m.cfg.dims.signer_dim;
    if (n < 2) {
        error_set(&err, "'%s' has %zu window(s); embedding needs at least 2", data, n);
        goto fail;
    }
    allstats = sg_malloc(n, S * sizeof(float), CMD, &err);
    emb = sg_malloc(n, D * sizeof(float), CMD, &err);
    xy = sg_malloc(n, 2 * sizeof(double), CMD, &err);
    cat = sg_calloc(n, sizeof(size_t), CMD, &err);
    idx = sg_malloc(n, sizeof(size_t), CMD, &err);
    if (!allstats || !emb || !xy || !cat || !idx) goto fail;
    for (size_t i = 0; i < n; i++) idx[i] = i;
    struct infer_out io = {.stats = allstats};
    if (features) io.Z = emb;
    else io.s = emb;
    if (infer_windows(&inf, &ds, idx, n, &io, &err)) goto fail;
    /* categories */
    if (color_by == 0) {
        size_t nl = ds.has_groundtruth ? groundtruth_num_labels(&ds.gt) : 0;
        n_cat = nl + 1;
        cat_names = sg_calloc(n_cat, sizeof(char *), CMD, &err);
        if (!cat_names) goto fail;
        for (size_t l = 0; l < nl; l++) cat_names[l] = (char *)groundtruth_label_name(&ds.gt, (int32_t)l);
        cat_names[nl] = (char *)"unlabelled";
        for (size_t i = 0; i < n; i++)
            cat[i] = ds.windows[i].label >= 0 ? (size_t)ds.windows[i].label : nl;
    } else if (color_by == 1) {
        char *path = NULL;
        if (signers_find(data, mine.signers[0] ? mine.signers : NULL, &path, &err)) goto fail;
        if (!path) {
            error_set(&err, "--color-by signer needs a signers file: '%s/signers.txt' does not "
                      "exist", data);
            goto fail;
        }
        int r2 = signers_read(&sg, path, &err);
        free(path);
        if (r2) goto fail;
        cat_names = sg_calloc(ds.n_videos + 1, sizeof(char *), CMD, &err);
        if (!cat_names) goto fail;
        for (size_t v = 0; v < ds.n_videos; v++) {
            const char *s = signers_lookup(&sg, ds.videos[v].id);
            if (!s) s = "unknown";
            size_t k = 0;
            while (k < n_cat && strcmp(cat_names[k], s)) k++;
            if (k == n_cat) cat_names[n_cat++] = (char *)s;
            for (size_t w = 0; w < ds.videos[v].n_windows; w++)
                cat[ds.videos[v].first_window + w] = k;
        }
    } else {
        n_cat = dd->num_signers;
        cat_names = sg_calloc(n_cat, sizeof(char *), CMD, &err);
        if (!cat_names) goto fail;
        static char names[64][16];
        for (size_t k = 0; k < n_cat && k < 64; k++) {
            snprintf(names[k], sizeof names[k], "pseudo %zu", k);
            cat_names[k] = names[k];
        }
        for (size_t v = 0; v < ds.n_videos; v++) {
            const struct data_video *dv = &ds.videos[v];
            double mean[2 * DATA_COORDS_MAX] = {0};
            for (size_t w = 0; w < dv->n_windows; w++)
                for (size_t q = 0; q < S; q++)
                    mean[q] += (double)allstats[(dv->first_window + w) * S + q];
            for (size_t q = 0; q < S; q++) mean[q] /= (double)(dv->n_windows ? dv->n_windows : 1);
            size_t k = kmeans_assign(dd->pseudo_centroids, dd->num_signers, S, mean);
            for (size_t w = 0; w < dv->n_windows; w++) cat[dv->first_window + w] = k;
        }
    }
    /* reduce to 2-d */
    if (use_pca) {
        if (pca_project(emb, n, D, 2, xy, NULL, NULL, &err)) goto fail;
    } else {
        struct tsne_config tcfg;
        tsne_config_default(&tcfg);
        tcfg.perplexity = perplexity;
        if (perplexity >= (double)n) {
            error_set(&err, "--perplexity %g needs more than %g windows (the data has %zu)",
                      perplexity, perplexity, n);
            goto fail;
        }
        if (tsne_embed(emb, n, D, &tcfg, xy, NULL, &err)) goto fail;
    }
    double *px = malloc(n * sizeof(double)), *py = malloc(n * sizeof(double));
    if (!px || !py) {
        free(px);
        free(py);
        error_set(&err, "embed: out of memory");
        goto fail;
    }
    for (size_t i = 0; i < n; i++) {
        px[i] = xy[2 * i];
        py[i] = xy[2 * i + 1];
    }
    char title[512];
    snprintf(title, sizeof title, "%s of %s (%zu windows, %s)", features ? "features Z" : "signer embedding s",
             data, n, use_pca ? "PCA" : "t-SNE");
    struct plot_scatter_spec spec = {.title = title,
                                     .xlabel = use_pca ? "PC 1" : "t-SNE 1",
                                     .ylabel = use_pca ? "PC 2" : "t-SNE 2",
                                     .x = px, .y = py, .category = cat, .n = n,
                                     .category_names = (const char *const *)cat_names,
                                     .n_categories = n_cat};
    int pr = plot_scatter(out, &spec, &err);
    free(px);
    free(py);
    if (pr) goto fail;
    if (csv) {
        struct atomic_file af;
        if (atomic_file_open(&af, csv, &err)) goto fail;
        fprintf(af.fp, "video,start,label");
        for (size_t q = 0; q < D; q++) fprintf(af.fp, ",e%zu", q);
        fputc('\n', af.fp);
        for (size_t i = 0; i < n; i++) {
            const struct data_window *w = &ds.windows[i];
            csv_write_field(af.fp, ds.videos[w->video].id);
            fprintf(af.fp, ",%u,", (unsigned)w->start);
            csv_write_field(af.fp, w->label >= 0 ? groundtruth_label_name(&ds.gt, w->label) : "");
            for (size_t q = 0; q < D; q++) fprintf(af.fp, ",%.9g", (double)emb[i * D + q]);
            fputc('\n', af.fp);
        }
        if (atomic_file_commit(&af, &err)) goto fail;
    }
    printf("%zu windows embedded (%s, %zu-d) and reduced with %s: %s%s%s\n", n,
           features ? "Z" : "s", D, use_pca ? "PCA" : "t-SNE", out, csv ? ", " : "",
           csv ? csv : "");
    rc = CLI_OK;
    goto clean;
fail:
    rc = cli_fail(CMD, &err);
clean:
    free(allstats);
    free(emb);
    free(xy);
    free(cat);
    free(cat_names);
    free(idx);
    signers_free(&sg);
    dataset_free(&ds);
    infer_close(&inf);
    return rc;
}
