/* cmd_eval.c — `signstgcn eval`: a trained checkpoint measured on a split of a dataset.
 *
 *   signstgcn eval --ckpt FILE --data DIR [--splits-json FILE --split test|val|train]
 *                  [--signers FILE] [--groundtruth FILE] [--out-dir DIR] [--json FILE]
 *                  [--batch 64] [--threads N]
 *
 * The work is train/evaluate.h; this file prints the table (metrics, confusion matrix,
 * accuracy per video and per signer, the signer probe beside its chance level) and writes
 * confusion_matrix.csv and confusion_matrix.png into --out-dir (default: the checkpoint's
 * folder) and, with --json, everything as one JSON object. All files are written atomically.
 * Exit codes: 2 for flags (unknown --split, --split without --splits-json), 1 for data,
 * checkpoints and files.
 */
#include <cjson/cJSON.h>
#include <errno.h>
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
#include "train/infer.h"
#include "io/csv.h"
#include "io/json_utf8.h"
#include "train/evaluate.h"
#include "train/logreg.h"
#include "viz/plot.h"

#define CMD "eval"

enum {
    OPT_CKPT = 0x300, OPT_DATA, OPT_SPLITS, OPT_SPLIT, OPT_SIGNERS, OPT_GT, OPT_OUT_DIR,
    OPT_JSON, OPT_BATCH, OPT_THREADS, OPT_FRAMES, OPT_FPS, OPT_BACKGROUND
};

static void print_help(void)
{
    printf("usage: signstgcn eval --ckpt FILE --data DIR [--splits-json FILE --split test|val|train]\n"
           "                      [--signers FILE] [--groundtruth FILE] [--out-dir DIR]\n"
           "                      [--json FILE] [--batch 64] [--threads N]\n"
           "                      [--frames [--fps 25] [--background CLASS,...]]\n\n"
           "Evaluates a checkpoint on the labelled windows of a split's videos (every video\n"
           "without --splits-json; --split defaults to test) with the checkpoint's data options\n"
           "and classes: loss, accuracy, balanced accuracy, F1, PR-AUC, the confusion matrix,\n"
           "accuracy per video and per signer (the signers file, --signers or DIR/signers.txt,\n"
           "else the checkpoint's pseudo-signers), and a signer probe: 5-fold cross-validated\n"
           "logistic regression (L2, C=1) from the embeddings Z to the signer, beside the\n"
           "majority-signer chance level. Writes confusion_matrix.csv and confusion_matrix.png\n"
           "into --out-dir (default: the checkpoint's folder), and with --json all results.\n"
           "--frames adds detect's per-frame and segment scores on the same recordings\n"
           "(--fps 25, --background CLASS,... for multi-class checkpoints).\n");
}

static double ratio(size_t a, size_t b) { return b ? (double)a / (double)b : (double)NAN; }

static int write_cm_csv(const char *path, const struct eval_result *r, struct error *err)
{
    struct atomic_file af;
    if (atomic_file_open(&af, path, err)) return -1;
    const size_t NC = r->num_classes;
    fprintf(af.fp, "true\\predicted");
    for (size_t k = 0; k < NC; k++) {
        csv_sep(af.fp);
        csv_write_field(af.fp, r->classes[k]);
    }
    fprintf(af.fp, "\n");
    for (size_t t = 0; t < NC; t++) {
        csv_write_field(af.fp, r->classes[t]);
        for (size_t p = 0; p < NC; p++) fprintf(af.fp, ",%zu", r->cm[t * NC + p]);
        fprintf(af.fp, "\n");
    }
    return atomic_file_commit(&af, err);
}

static int write_cm_png(const char *path, const struct eval_result *r, const char *what,
                        struct error *err)
{
    const size_t NC = r->num_classes;
    double *v = sg_malloc(NC * NC, sizeof(double), "confusion matrix", err);
    if (!v) return -1;
    for (size_t i = 0; i < NC * NC; i++) v[i] = (double)r->cm[i];
    char title[160];
    snprintf(title, sizeof title, "Confusion matrix: %s, %zu windows, acc %.3f", what,
             r->windows, r->m.acc);
    struct plot_heatmap_spec spec = {
        .title = title, .xlabel = "predicted", .ylabel = "true", .values = v, .rows = NC,
        .cols = NC, .row_labels = (const char *const *)r->classes,
        .col_labels = (const char *const *)r->classes, .decimals = 0};
    int rc = plot_heatmap(path, &spec, err);
    free(v);
    return rc;
}

static cJSON *groups_json(const struct eval_group *g, size_t n, const char *key)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; a && i < n; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, key, g[i].name);
        cJSON_AddNumberToObject(o, "windows", (double)g[i].windows);
        cJSON_AddNumberToObject(o, "correct", (double)g[i].correct);
        cJSON_AddNumberToObject(o, "acc", ratio(g[i].correct, g[i].windows));
        cJSON_AddItemToArray(a, o);
    }
    return a;
}

static const char *signer_kind_name(enum eval_signer_kind k)
{
    return k == EVAL_SIGNERS_REAL ? "real" : k == EVAL_SIGNERS_PSEUDO ? "pseudo" : "none";
}

static int write_json(const char *path, const struct eval_options *o, const struct eval_result *r,
                      cJSON *frames, struct error *err)
{
    const size_t NC = r->num_classes;
    cJSON *root = cJSON_CreateObject();
    if (!root) return error_set(err, "out of memory (JSON)");
    cJSON_AddStringToObject(root, "checkpoint", o->ckpt);
    cJSON_AddStringToObject(root, "data", o->data);
    if (o->splits_json) cJSON_AddStringToObject(root, "splits_json", o->splits_json);
    else cJSON_AddNullToObject(root, "splits_json");
    cJSON_AddStringToObject(root, "split", o->splits_json ? split_name(o->split) : "all");
    cJSON_AddNumberToObject(root, "videos", (double)r->videos_selected);
    cJSON_AddNumberToObject(root, "videos_missing", (double)r->videos_missing);
    cJSON_AddNumberToObject(root, "windows", (double)r->windows);
    cJSON_AddNumberToObject(root, "unlabelled_windows", (double)r->unlabelled);
    cJSON_AddNumberToObject(root, "not_class_windows", (double)r->not_class);
    cJSON_AddBoolToObject(root, "binary", r->binary);
    cJSON *cls = cJSON_AddArrayToObject(root, "classes");
    for (size_t k = 0; cls && k < NC; k++)
        cJSON_AddItemToArray(cls, cJSON_CreateString(r->classes[k]));
    cJSON *mt = cJSON_AddObjectToObject(root, "metrics");
    if (mt) {
        cJSON_AddNumberToObject(mt, "loss", r->loss);
        cJSON_AddNumberToObject(mt, "acc", r->m.acc);
        cJSON_AddNumberToObject(mt, "balanced_acc", r->m.balanced_acc);
        cJSON_AddNumberToObject(mt, "f1", r->m.f1);
        cJSON_AddNumberToObject(mt, "pr_auc", r->m.pr_auc);
    }
    cJSON *cw = cJSON_AddObjectToObject(root, "class_weights");
    if (cw) {
        cJSON_AddBoolToObject(cw, "used", r->weighted);
        if (r->weighted) {
            double w[2] = {1.0, r->class_w1};
            cJSON_AddItemToObject(cw, "weights", cJSON_CreateDoubleArray(w, 2));
        } else {
            cJSON_AddNullToObject(cw, "weights");
        }
        cJSON_AddStringToObject(cw, "note", r->weights_note);
    }
    cJSON *cm = cJSON_AddArrayToObject(root, "confusion_matrix");
    for (size_t t = 0; cm && t < NC; t++) {
        cJSON *row = cJSON_CreateArray();
        for (size_t p = 0; row && p < NC; p++)
            cJSON_AddItemToArray(row, cJSON_CreateNumber((double)r->cm[t * NC + p]));
        cJSON_AddItemToArray(cm, row);
    }
    cJSON_AddItemToObject(root, "per_video", groups_json(r->videos, r->n_videos, "video"));
    cJSON *sg = cJSON_AddObjectToObject(root, "signers");
    if (sg) {
        cJSON_AddStringToObject(sg, "source", signer_kind_name(r->signer_kind));
        if (r->signers_path) cJSON_AddStringToObject(sg, "file", r->signers_path);
        else cJSON_AddNullToObject(sg, "file");
        cJSON_AddNumberToObject(sg, "unknown_windows", (double)r->signer_unknown);
        cJSON_AddItemToObject(sg, "per_signer", groups_json(r->signers, r->n_signers, "signer"));
    }
    cJSON *pr = cJSON_AddObjectToObject(root, "signer_probe");
    if (pr) {
        struct logreg_config lc;
        logreg_config_default(&lc);
        cJSON_AddBoolToObject(pr, "done", r->probe_done);
        cJSON_AddStringToObject(pr, "note", r->probe_note);
        cJSON_AddStringToObject(pr, "features", "Z");
        cJSON_AddNumberToObject(pr, "folds", EVAL_PROBE_FOLDS);
        cJSON_AddNumberToObject(pr, "seed", EVAL_PROBE_SEED);
        cJSON_AddNumberToObject(pr, "C", lc.C);
        cJSON_AddNumberToObject(pr, "windows", (double)r->probe_windows);
        cJSON_AddNumberToObject(pr, "signers", (double)r->probe_classes);
        if (r->probe_done) {
            cJSON_AddNumberToObject(pr, "accuracy", r->probe_acc);
            cJSON_AddItemToObject(pr, "fold_accuracy",
                                  cJSON_CreateDoubleArray(r->probe_fold_acc, EVAL_PROBE_FOLDS));
        } else {
            cJSON_AddNullToObject(pr, "accuracy");
            cJSON_AddNullToObject(pr, "fold_accuracy");
        }
        cJSON_AddNumberToObject(pr, "chance", r->probe_chance);
    }
    if (frames) cJSON_AddItemReferenceToObject(root, "frames", frames);
    if (json_check_utf8(root, "eval --json", err)) {
        cJSON_Delete(root);
        return -1;
    }
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    if (!text) return error_set(err, "out of memory (JSON)");
    size_t len = strlen(text);
    text[len] = '\n';
    int rc = atomic_file_write_all(path, text, len + 1, err);
    free(text);
    return rc;
}

static void print_groups(const char *title, const struct eval_group *g, size_t n)
{
    size_t w = strlen(title);
    for (size_t i = 0; i < n; i++)
        if (strlen(g[i].name) > w) w = strlen(g[i].name);
    printf("\n%-*s  %8s  %8s  %7s\n", (int)w, title, "windows", "correct", "acc");
    for (size_t i = 0; i < n; i++)
        printf("%-*s  %8zu  %8zu  %7.4f\n", (int)w, g[i].name, g[i].windows, g[i].correct,
               ratio(g[i].correct, g[i].windows));
}

static void print_result(const struct eval_options *o, const struct eval_result *r,
                         const char *what)
{
    const size_t NC = r->num_classes;
    printf("eval: %s on %s, %s videos: %zu (%zu missing), %zu windows evaluated "
           "(%zu unlabelled, %zu whose label is not a class)\n", o->ckpt, o->data, what,
           r->videos_selected, r->videos_missing, r->windows, r->unlabelled, r->not_class);
    printf("loss: %s\n\n", r->weights_note);
    printf("%-13s %s\n", "metric", "value");
    printf("%-13s %.6f\n", "loss", r->loss);
    printf("%-13s %.4f\n", "acc", r->m.acc);
    printf("%-13s %.4f\n", "balanced_acc", r->m.balanced_acc);
    printf("%-13s %.4f\n", "f1", r->m.f1);
    printf("%-13s %.4f\n", "pr_auc", r->m.pr_auc);
    size_t w = strlen("true \\ predicted"), cw = 6;
    for (size_t k = 0; k < NC; k++) {
        if (strlen(r->classes[k]) > w) w = strlen(r->classes[k]);
        if (strlen(r->classes[k]) > cw) cw = strlen(r->classes[k]);
    }
    printf("\nconfusion matrix (rows true, columns predicted)\n%-*s", (int)w, "true \\ predicted");
    for (size_t k = 0; k < NC; k++) printf("  %*s", (int)cw, r->classes[k]);
    printf("\n");
    for (size_t t = 0; t < NC; t++) {
        printf("%-*s", (int)w, r->classes[t]);
        for (size_t p = 0; p < NC; p++) printf("  %*zu", (int)cw, r->cm[t * NC + p]);
        printf("\n");
    }
    print_groups("video", r->videos, r->n_videos);
    if (r->signer_kind == EVAL_SIGNERS_REAL) {
        printf("\nsigners: real, from %s", r->signers_path);
        if (r->signer_unknown) printf(" (%zu windows of videos without a signer line)", r->signer_unknown);
        printf("\n");
        print_groups("signer", r->signers, r->n_signers);
    } else if (r->signer_kind == EVAL_SIGNERS_PSEUDO) {
        printf("\nsigners: the checkpoint's %zu pseudo-signers (K-means centroids)\n", r->n_signers);
        print_groups("pseudo-signer", r->signers, r->n_signers);
    }
    printf("\nsigner probe (logistic regression, L2 C=1, on Z; %d-fold CV over windows, seed %d):\n",
           EVAL_PROBE_FOLDS, EVAL_PROBE_SEED);
    if (r->probe_done) {
        printf("  accuracy %.4f  vs chance (majority signer) %.4f  [%zu windows, %zu signers; folds",
               r->probe_acc, r->probe_chance, r->probe_windows, r->probe_classes);
        for (int f = 0; f < EVAL_PROBE_FOLDS; f++) printf(" %.3f", r->probe_fold_acc[f]);
        printf("]\n");
    } else {
        printf("  not run: %s\n", r->probe_note);
    }
}

/* --frames: detection over the same recordings with detect's defaults (detect/recording.h),
 * the table printed and its JSON in *out. */
static int frame_report(const struct eval_options *o, double fps, const char *background,
                        const struct warn_sink *warn, cJSON **out, struct error *err)
{
    struct infer inf;
    if (infer_open(&inf, o->ckpt, o->batch, err)) return -1;
    struct dataset ds;
    memset(&ds, 0, sizeof ds);
    struct detect_run run;
    memset(&run, 0, sizeof run);
    struct detect_options dop;
    detect_options_default(&dop);
    int rc = -1;
    bool *bg = sg_calloc(inf.d.num_classes, sizeof(bool), "classes", err);
    struct data_config dc;
    infer_data_config(&inf, o->groundtruth, &dc);
    dc.label_fill = LABEL_FILL_PREVIOUS;
    dc.stride = dc.window;
    if (!bg || detect_background(&inf, background, bg, err) ||
        dataset_load(&ds, o->data, &dc, true, warn, err) ||
        detect_run_dataset(&inf, &ds, o->splits_json, o->split, &dop, fps, bg, warn, &run, err))
        goto out;
    char rate[64];
    if (fps > 0) snprintf(rate, sizeof rate, "%g fps", fps);
    else snprintf(rate, sizeof rate, "each recording's fps, else %g", DETECT_DEFAULT_FPS);
    printf("\nframes and segments (detect's defaults: %s windows at stride %zu, on %g, off %g, "
           "min sign %g ms, merge gap %g ms, %s; groundtruth filled forward):\n",
           detect_mode_name(dop.mode), dop.stride, dop.on, dop.off, dop.min_sign_ms,
           dop.merge_gap_ms, rate);
    detect_report_table(&ds, &run);
    *out = detect_report_json(&inf, &dop, fps, bg, &ds, &run);
    rc = 0;
out:
    detect_run_free(&run);
    dataset_free(&ds);
    free(bg);
    infer_close(&inf);
    return rc;
}

int cmd_eval(int argc, char **argv)
{
    static const struct option opts[] = {
        {"ckpt", required_argument, NULL, OPT_CKPT},
        {"data", required_argument, NULL, OPT_DATA},
        {"splits-json", required_argument, NULL, OPT_SPLITS},
        {"split", required_argument, NULL, OPT_SPLIT},
        {"signers", required_argument, NULL, OPT_SIGNERS},
        {"groundtruth", required_argument, NULL, OPT_GT},
        {"out-dir", required_argument, NULL, OPT_OUT_DIR},
        {"json", required_argument, NULL, OPT_JSON},
        {"batch", required_argument, NULL, OPT_BATCH},
        {"threads", required_argument, NULL, OPT_THREADS},
        {"frames", no_argument, NULL, OPT_FRAMES},
        {"fps", required_argument, NULL, OPT_FPS},
        {"background", required_argument, NULL, OPT_BACKGROUND},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct eval_options o = {.split = SPLIT_TEST, .batch = 64};
    const char *split = NULL, *out_dir = NULL, *json = NULL, *background = NULL;
    long batch = 64, threads = 0;
    bool frames = false;
    double fps = 0;
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case OPT_CKPT: o.ckpt = optarg; break;
        case OPT_DATA: o.data = optarg; break;
        case OPT_SPLITS: o.splits_json = optarg; break;
        case OPT_SPLIT: split = optarg; break;
        case OPT_SIGNERS: o.signers = optarg; break;
        case OPT_GT: o.groundtruth = optarg; break;
        case OPT_OUT_DIR: out_dir = optarg; break;
        case OPT_JSON: json = optarg; break;
        case OPT_FRAMES: frames = true; break;
        case OPT_FPS:
            if (!cli_parse_double(CMD, "--fps", optarg, 1e-3, 1e6, &fps)) return CLI_USAGE;
            break;
        case OPT_BACKGROUND: background = optarg; break;
        case OPT_BATCH:
            if (!cli_parse_long(CMD, "--batch", optarg, 1, 1 << 20, &batch)) return CLI_USAGE;
            break;
        case OPT_THREADS:
            if (!cli_parse_long(CMD, "--threads", optarg, 1, 4096, &threads)) return CLI_USAGE;
            break;
        case 'h': print_help(); return CLI_OK;
        default: return cli_getopt_error(CMD, c, argv);
        }
    }
    if (optind < argc) return cli_usage_error(CMD, "unexpected argument '%s'", argv[optind]);
    if (!o.ckpt) return cli_usage_error(CMD, "--ckpt FILE is required");
    if (!o.data) return cli_usage_error(CMD, "--data DIR is required");
    if (split) {
        if (!strcmp(split, "train")) o.split = SPLIT_TRAIN;
        else if (!strcmp(split, "val")) o.split = SPLIT_VAL;
        else if (!strcmp(split, "test")) o.split = SPLIT_TEST;
        else return cli_usage_error(CMD, "--split must be test, val or train (got '%s')", split);
        if (!o.splits_json)
            return cli_usage_error(CMD, "--split needs --splits-json FILE (without it every "
                                   "video is evaluated)");
    }
    o.batch = (size_t)batch;
    cli_set_threads((int)threads);
    struct error err;
    struct warn_sink warn = {cli_warn, (void *)CMD};
    /* the output folder: --out-dir, else the checkpoint's */
    char *dir = NULL, *csv = NULL, *png = NULL;
    if (out_dir) {
        dir = sg_strdup(out_dir, &err);
    } else {
        const char *slash = strrchr(o.ckpt, '/');
        dir = slash ? sg_strdup(o.ckpt, &err) : sg_strdup(".", &err);
        if (dir && slash) dir[slash == o.ckpt ? 1 : slash - o.ckpt] = '\0';
    }
    if (!dir) return cli_fail(CMD, &err);
    static const char *const files[] = {"confusion_matrix.csv", "confusion_matrix.png", NULL};
    const struct cli_path paths[] = {
        {"--ckpt", o.ckpt, CLI_IN_FILE, NULL},
        {"--data", o.data, CLI_IN_DATA_DIR, NULL},
        {"--splits-json", o.splits_json, CLI_IN_FILE, NULL},
        {"--signers", o.signers, CLI_IN_FILE, NULL},
        {"--groundtruth", o.groundtruth, CLI_IN_FILE, NULL},
        {"--out-dir", dir, CLI_OUT_DIR, files},
        {"--json", json, CLI_OUT_FILE, NULL},
    };
    int pc = cli_check_paths(CMD, paths, sizeof paths / sizeof paths[0]);
    if (pc != CLI_OK) {
        free(dir);
        return pc;
    }
    struct eval_result r;
    memset(&r, 0, sizeof r);
    cJSON *frames_json = NULL;
    int rc = CLI_FAIL;
    if (eval_run(&o, &warn, &r, &err)) goto fail;
    const char *what = o.splits_json ? split_name(o.split) : "all";
    print_result(&o, &r, what);
    if (cli_make_dirs(dir, &err) || !(csv = cli_join(dir, "confusion_matrix.csv", &err)) ||
        !(png = cli_join(dir, "confusion_matrix.png", &err)) || write_cm_csv(csv, &r, &err) ||
        write_cm_png(png, &r, what, &err))
        goto fail;
    if (frames && frame_report(&o, fps, background, &warn, &frames_json, &err)) goto fail;
    if (json && write_json(json, &o, &r, frames_json, &err)) goto fail;
    printf("\nwrote %s, %s%s%s\n", csv, png, json ? ", " : "", json ? json : "");
    rc = CLI_OK;
    goto clean;
fail:
    rc = cli_fail(CMD, &err);
clean:
    cJSON_Delete(frames_json);
    eval_result_free(&r);
    free(dir);
    free(csv);
    free(png);
    return rc;
}
