/* cmd_variations.c — `signstgcn variations`: the original's train_all_variations.
 *
 *   signstgcn variations --data DIR [--max-files 3] [--epochs 2] [--batch 8]
 *                        [--base-out runs/test_variations] [--num-pseudo-signers 2]
 *                        [--seed 0] [--threads N] [data flags]
 *                        [--skip-basic --skip-binary --skip-pseudo --skip-supcon --skip-film
 *                         --skip-mi --skip-combined]
 *
 * Trains eight variants, each in its own sub-folder of --base-out — basic, binary,
 * pseudo (K-means pseudo-signers with the adversarial head), supcon, film, mi (MI minimisation
 * with pseudo-signers as its signer source), film_pseudo and supcon_film (the two combined
 * ones) — and writes summary.csv and summary.md with each variant's best epoch and its
 * validation loss, accuracy, F1, PR-AUC and wall time. Every --skip-* flag removes exactly its
 * variant(s) (--skip-combined the two combined ones). A failing variant is reported in the
 * summary and the others still run; the exit code is then 1.
 *
 * --seeds N (on small sign data, single runs mislead) trains each variant N times,
 * with seeds --seed … --seed+N−1, into <variant>/seed<k>/, runs the signer probe of `eval` on
 * each run's best checkpoint (the validation videos of --splits-json, else every video) and
 * writes, per variant, the mean and the sample standard deviation (n − 1) of every metric and
 * of the probe's accuracy over the runs that succeeded. --seeds 1 (the default) trains and
 * writes exactly what it did before.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/data_opts.h"
#include "cli/outputs.h"
#include "core/atomic_file.h"
#include "core/dir_lock.h"
#include "core/error.h"
#include "io/csv.h"
#include "data/splits.h"
#include "train/evaluate.h"
#include "train/trainer.h"

#define CMD "variations"

enum variant { V_BASIC, V_BINARY, V_PSEUDO, V_SUPCON, V_FILM, V_MI, V_FILM_PSEUDO, V_SUPCON_FILM,
               V_COUNT };
static const char *const variant_names[V_COUNT] = {
    "basic", "binary", "pseudo", "supcon", "film", "mi", "film_pseudo", "supcon_film"};

enum {
    OPT_DATA = DATA_OPT_END, OPT_MAX_FILES, OPT_EPOCHS, OPT_BATCH, OPT_BASE_OUT, OPT_K,
    OPT_SEED, OPT_THREADS, OPT_SEEDS, OPT_SPLITS_JSON, OPT_SKIP_FIRST
    /* OPT_SKIP_FIRST + 0..6: basic, binary, pseudo, supcon, film, mi, combined */
};

struct result {
    bool ran, ok;
    size_t best_epoch;
    double v[HIST_COLS];
    double seconds;
    double probe;            /* signer probe accuracy (--seeds > 1), NaN when it did not run */
    char error[ERROR_MSG_MAX];
};

struct collect {
    struct result *r;
    enum best_metric metric;
    bool have;
};

static void on_epoch(void *ctx, const struct epoch_result *e)
{
    struct collect *c = ctx;
    if (e->best || !c->have) {
        c->r->best_epoch = e->epoch;
        memcpy(c->r->v, e->v, sizeof c->r->v);
        c->have = true;
    }
    printf("  epoch %zu/%zu  val_loss %.4f  val_acc %.4f  val_f1 %.4f  val_pr_auc %.4f\n",
           e->epoch, e->epochs, e->v[HIST_VAL_LOSS], e->v[HIST_VAL_ACC], e->v[HIST_VAL_F1],
           e->v[HIST_VAL_PR_AUC]);
    fflush(stdout);
}

static void on_info(void *ctx, const char *line)
{
    (void)ctx;
    if (!strncmp(line, "data:", 5)) printf("  %s\n", line);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int write_summary(const char *base, const struct result *res, struct error *err)
{
    char path[TRAIN_PATH_MAX + 32];
    struct atomic_file af;
    snprintf(path, sizeof path, "%s/summary.csv", base);
    if (atomic_file_open(&af, path, err)) return -1;
    fprintf(af.fp, "variant,status,best_epoch,val_loss,val_acc,val_f1,val_pr_auc,seconds\n");
    for (int v = 0; v < V_COUNT; v++) {
        const struct result *r = &res[v];
        if (!r->ran) continue;
        csv_write_field(af.fp, variant_names[v]);
        if (!r->ok) {
            fprintf(af.fp, ",failed,,,,,,%.3f\n", r->seconds);
            continue;
        }
        fprintf(af.fp, ",ok,%zu,%.9g,%.9g,%.9g,%.9g,%.3f\n", r->best_epoch,
                r->v[HIST_VAL_LOSS], r->v[HIST_VAL_ACC], r->v[HIST_VAL_F1], r->v[HIST_VAL_PR_AUC],
                r->seconds);
    }
    if (atomic_file_commit(&af, err)) return -1;
    snprintf(path, sizeof path, "%s/summary.md", base);
    if (atomic_file_open(&af, path, err)) return -1;
    fprintf(af.fp, "| variant | best epoch | val loss | val acc | val F1 | val PR-AUC | time (s) |\n"
                   "|---|---|---|---|---|---|---|\n");
    for (int v = 0; v < V_COUNT; v++) {
        const struct result *r = &res[v];
        if (!r->ran) continue;
        if (!r->ok)
            fprintf(af.fp, "| %s | failed: %s | | | | | %.1f |\n", variant_names[v], r->error,
                    r->seconds);
        else
            fprintf(af.fp, "| %s | %zu | %.4f | %.4f | %.4f | %.4f | %.1f |\n", variant_names[v],
                    r->best_epoch, r->v[HIST_VAL_LOSS], r->v[HIST_VAL_ACC], r->v[HIST_VAL_F1],
                    r->v[HIST_VAL_PR_AUC], r->seconds);
    }
    return atomic_file_commit(&af, err);
}

/* Mean and sample standard deviation of the successful runs' value `get`. */
static void mean_std(const struct result *r, size_t n, double (*get)(const struct result *),
                     double *mean, double *sd, size_t *count)
{
    double s = 0, ss = 0;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (r[i].ok && !isnan(get(&r[i]))) {
            s += get(&r[i]);
            k++;
        }
    *mean = k ? s / (double)k : (double)NAN;
    for (size_t i = 0; i < n; i++)
        if (r[i].ok && !isnan(get(&r[i]))) ss += (get(&r[i]) - *mean) * (get(&r[i]) - *mean);
    *sd = k > 1 ? sqrt(ss / (double)(k - 1)) : (k ? 0.0 : (double)NAN);
    *count = k;
}

static double g_epoch(const struct result *r) { return (double)r->best_epoch; }
static double g_loss(const struct result *r) { return r->v[HIST_VAL_LOSS]; }
static double g_acc(const struct result *r) { return r->v[HIST_VAL_ACC]; }
static double g_bal(const struct result *r) { return r->v[HIST_VAL_BALANCED_ACC]; }
static double g_f1(const struct result *r) { return r->v[HIST_VAL_F1]; }
static double g_pr(const struct result *r) { return r->v[HIST_VAL_PR_AUC]; }
static double g_probe(const struct result *r) { return r->probe; }
static double g_sec(const struct result *r) { return r->seconds; }

/* summary.csv / summary.md over seeds: one row per variant, mean and std of each column. */
static int write_seed_summary(const char *base, const struct result *res, size_t seeds,
                              struct error *err)
{
    static const char *const cols[] = {"best_epoch", "val_loss", "val_acc", "val_balanced_acc",
                                       "val_f1", "val_pr_auc", "signer_probe_acc", "seconds"};
    double (*const get[])(const struct result *) = {g_epoch, g_loss, g_acc, g_bal,
                                                     g_f1, g_pr, g_probe, g_sec};
    enum { NCOL = sizeof cols / sizeof cols[0] };
    char path[TRAIN_PATH_MAX + 32];
    struct atomic_file af;
    snprintf(path, sizeof path, "%s/summary.csv", base);
    if (atomic_file_open(&af, path, err)) return -1;
    fprintf(af.fp, "variant,runs,ok");
    for (int c = 0; c < NCOL; c++) fprintf(af.fp, ",%s_mean,%s_std", cols[c], cols[c]);
    fprintf(af.fp, "\n");
    for (int v = 0; v < V_COUNT; v++) {
        const struct result *r = res + (size_t)v * seeds;
        if (!r->ran) continue;
        size_t ok = 0, k;
        for (size_t i = 0; i < seeds; i++) ok += r[i].ok;
        csv_write_field(af.fp, variant_names[v]);
        fprintf(af.fp, ",%zu,%zu", seeds, ok);
        for (int c = 0; c < NCOL; c++) {
            double m, sd;
            mean_std(r, seeds, get[c], &m, &sd, &k);
            if (k) fprintf(af.fp, ",%.9g,%.9g", m, sd);
            else fprintf(af.fp, ",,");
        }
        fprintf(af.fp, "\n");
    }
    if (atomic_file_commit(&af, err)) return -1;
    snprintf(path, sizeof path, "%s/summary.md", base);
    if (atomic_file_open(&af, path, err)) return -1;
    fprintf(af.fp, "Mean ± sample standard deviation over %zu seeds (runs that succeeded).\n\n"
                   "| variant | ok | best epoch | val loss | val acc | val balanced acc | val F1 "
                   "| val PR-AUC | signer probe acc | time (s) |\n"
                   "|---|---|---|---|---|---|---|---|---|---|\n", seeds);
    for (int v = 0; v < V_COUNT; v++) {
        const struct result *r = res + (size_t)v * seeds;
        if (!r->ran) continue;
        size_t ok = 0, k;
        for (size_t i = 0; i < seeds; i++) ok += r[i].ok;
        fprintf(af.fp, "| %s | %zu/%zu |", variant_names[v], ok, seeds);
        for (int c = 0; c < NCOL; c++) {
            double m, sd;
            mean_std(r, seeds, get[c], &m, &sd, &k);
            if (k) fprintf(af.fp, c == 0 || c == NCOL - 1 ? " %.1f ± %.1f |" : " %.4f ± %.4f |",
                           m, sd);
            else fprintf(af.fp, " – |");
        }
        fprintf(af.fp, "\n");
    }
    return atomic_file_commit(&af, err);
}

/* The signer probe of `eval` on a run's best checkpoint: NaN when it cannot run (no signers,
 * one signer, too few windows). */
static double signer_probe(const struct train_config *cfg, char *why, size_t cap)
{
    struct error e;
    struct error *err = &e;
    char ckpt[TRAIN_PATH_MAX + 32];
    snprintf(ckpt, sizeof ckpt, "%s/best.safetensors", cfg->out_dir);
    struct eval_options o = {.ckpt = ckpt, .data = cfg->data_dir,
                             .splits_json = cfg->splits_json[0] ? cfg->splits_json : NULL,
                             .split = SPLIT_VAL,
                             .signers = cfg->data.signers[0] ? cfg->data.signers : NULL,
                             .groundtruth = cfg->data.groundtruth[0] ? cfg->data.groundtruth
                                                                      : NULL,
                             .batch = 64};
    struct eval_result r;
    if (eval_run(&o, NULL, &r, err)) {
        snprintf(why, cap, "%s", e.msg);
        return (double)NAN;
    }
    double acc = r.probe_done ? r.probe_acc : (double)NAN;
    snprintf(why, cap, "%s", r.probe_done ? "" : r.probe_note);
    eval_result_free(&r);
    return acc;
}

int cmd_variations(int argc, char **argv)
{
    static const struct option own[] = {
        {"data", required_argument, NULL, OPT_DATA},
        {"max-files", required_argument, NULL, OPT_MAX_FILES},
        {"epochs", required_argument, NULL, OPT_EPOCHS},
        {"batch", required_argument, NULL, OPT_BATCH},
        {"base-out", required_argument, NULL, OPT_BASE_OUT},
        {"num-pseudo-signers", required_argument, NULL, OPT_K},
        {"seed", required_argument, NULL, OPT_SEED},
        {"threads", required_argument, NULL, OPT_THREADS},
        {"seeds", required_argument, NULL, OPT_SEEDS},
        {"splits-json", required_argument, NULL, OPT_SPLITS_JSON},
        {"skip-basic", no_argument, NULL, OPT_SKIP_FIRST + 0},
        {"skip-binary", no_argument, NULL, OPT_SKIP_FIRST + 1},
        {"skip-pseudo", no_argument, NULL, OPT_SKIP_FIRST + 2},
        {"skip-supcon", no_argument, NULL, OPT_SKIP_FIRST + 3},
        {"skip-film", no_argument, NULL, OPT_SKIP_FIRST + 4},
        {"skip-mi", no_argument, NULL, OPT_SKIP_FIRST + 5},
        {"skip-combined", no_argument, NULL, OPT_SKIP_FIRST + 6},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct option opts[64];
    data_opts_build(opts, sizeof opts / sizeof opts[0], own);
    struct train_config base;
    train_config_default(&base);
    base.max_files = 3;
    base.epochs = 2;
    base.batch = 8;
    base.num_pseudo_signers = 2;
    base.save_best = true;
    base.log_csv = true;
    char base_out[TRAIN_PATH_MAX] = "runs/test_variations";
    bool skip[V_COUNT] = {false};
    bool have_data = false;
    size_t seeds = 1;
    long v;
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        int h = data_opts_handle(CMD, c, optarg, &base.data);
        if (h < 0) return CLI_USAGE;
        if (h > 0) continue;
        if (c >= OPT_SKIP_FIRST && c < OPT_SKIP_FIRST + 7) {
            int k = c - OPT_SKIP_FIRST;
            if (k < 6) skip[k] = true;
            else skip[V_FILM_PSEUDO] = skip[V_SUPCON_FILM] = true;
            continue;
        }
        switch (c) {
        case OPT_DATA:
            if (strlen(optarg) >= sizeof base.data_dir)
                return cli_usage_error(CMD, "--data path is too long");
            strcpy(base.data_dir, optarg);
            have_data = true;
            break;
        case OPT_BASE_OUT:
            if (strlen(optarg) + 16 >= sizeof base_out)
                return cli_usage_error(CMD, "--base-out path is too long");
            strcpy(base_out, optarg);
            break;
        case OPT_MAX_FILES:
            if (!cli_parse_long(CMD, "--max-files", optarg, 1, 1L << 40, &v)) return CLI_USAGE;
            base.max_files = (size_t)v;
            break;
        case OPT_EPOCHS:
            if (!cli_parse_long(CMD, "--epochs", optarg, 1, 1 << 24, &v)) return CLI_USAGE;
            base.epochs = (size_t)v;
            break;
        case OPT_BATCH:
            if (!cli_parse_long(CMD, "--batch", optarg, 1, 1 << 20, &v)) return CLI_USAGE;
            base.batch = (size_t)v;
            break;
        case OPT_K:
            if (!cli_parse_long(CMD, "--num-pseudo-signers", optarg, 2, 1 << 16, &v))
                return CLI_USAGE;
            base.num_pseudo_signers = (size_t)v;
            break;
        case OPT_SEED:
            if (!cli_parse_long(CMD, "--seed", optarg, 0, 1L << 53, &v)) return CLI_USAGE;
            base.seed = (uint64_t)v;
            break;
        case OPT_THREADS:
            if (!cli_parse_long(CMD, "--threads", optarg, 1, 4096, &v)) return CLI_USAGE;
            base.threads = (int)v;
            break;
        case OPT_SEEDS:
            if (!cli_parse_long(CMD, "--seeds", optarg, 1, 1000, &v)) return CLI_USAGE;
            seeds = (size_t)v;
            break;
        case OPT_SPLITS_JSON:
            if (strlen(optarg) >= sizeof base.splits_json)
                return cli_usage_error(CMD, "--splits-json path is too long");
            strcpy(base.splits_json, optarg);
            break;
        case 'h':
            printf("usage: signstgcn variations --data DIR [--max-files 3] [--epochs 2] "
                   "[--batch 8]\n"
                   "       [--base-out runs/test_variations] [--num-pseudo-signers 2] "
                   "[--seed 0] [--threads N]\n"
                   "       [--seeds 1] [--splits-json FILE]\n"
                   "       [--skip-basic|binary|pseudo|supcon|film|mi|combined] [data flags]\n\n"
                   "Trains the variants basic, binary, pseudo, supcon, film, mi, film_pseudo and\n"
                   "supcon_film into --base-out/<variant>/ and writes summary.csv and summary.md.\n"
                   "--seeds N trains each variant with N seeds (<variant>/seed<k>/), runs the\n"
                   "signer probe on each, and the summary gives mean ± std over the seeds.\n");
            return CLI_OK;
        default: return cli_getopt_error(CMD, c, argv);
        }
    }
    if (optind < argc) return cli_usage_error(CMD, "unexpected argument '%s'", argv[optind]);
    if (!have_data) return cli_usage_error(CMD, "--data DIR is required");
    if (data_opts_finish(CMD, &base.data)) return CLI_USAGE;
    cli_set_threads((int)base.threads);
    bool any = false;
    for (int k = 0; k < V_COUNT; k++) any |= !skip[k];
    if (!any) return cli_usage_error(CMD, "every variant is skipped");
    /* every path before the first variant trains: --base-out is a folder that can be
     * written and no input; the folder is then locked for the whole run (each variant also
     * locks its own sub-folder) */
    static const char *const files[] = {"summary.csv", "summary.md", "basic", "binary",
                                        "pseudo", "supcon", "film", "mi", "film_pseudo",
                                        "supcon_film", DIR_LOCK_NAME, NULL};
    const struct cli_path paths[] = {
        {"--data", base.data_dir, CLI_IN_DATA_DIR, NULL},
        {"--groundtruth", base.data.groundtruth, CLI_IN_FILE, NULL},
        {"--signers", base.data.signers, CLI_IN_FILE, NULL},
        {"--splits-json", base.splits_json, CLI_IN_FILE, NULL},
        {"--base-out", base_out, CLI_OUT_DIR, files},
    };
    int pc = cli_check_paths(CMD, paths, sizeof paths / sizeof paths[0]);
    if (pc != CLI_OK) return pc;
    struct error err;
    struct dir_lock lock;
    if (dir_make_all(base_out, &err) || dir_lock_acquire(&lock, base_out, "--base-out", &err))
        return cli_fail(CMD, &err);
    struct result *all = calloc((size_t)V_COUNT * seeds, sizeof *all);
    if (!all) {
        dir_lock_release(&lock);
        error_set(&err, "variations: out of memory for %zu results", (size_t)V_COUNT * seeds);
        return cli_fail(CMD, &err);
    }
    struct warn_sink warn = {cli_warn, (void *)CMD};
    int failures = 0;
    for (int k = 0; k < V_COUNT; k++) {
        if (skip[k]) continue;
        for (size_t si = 0; si < seeds; si++) {
            struct result *res_k = &all[(size_t)k * seeds + si];
            struct train_config cfg = base;
            cfg.seed = base.seed + si;
            if (seeds > 1)
                snprintf(cfg.out_dir, sizeof cfg.out_dir, "%s/%s/seed%zu", base_out,
                         variant_names[k], si);
            else
                snprintf(cfg.out_dir, sizeof cfg.out_dir, "%s/%s", base_out, variant_names[k]);
            switch ((enum variant)k) {
            case V_BINARY: cfg.data.binary = true; break;
            case V_PSEUDO: cfg.signer_source = SIGNER_SOURCE_PSEUDO; break;
            case V_SUPCON: cfg.use_supcon = true; break;
            case V_FILM: cfg.use_film_attention = true; break;
            case V_MI:
                cfg.signer_source = SIGNER_SOURCE_PSEUDO;
                cfg.use_mi_minimization = true;
                break;
            case V_FILM_PSEUDO:
                cfg.use_film_attention = true;
                cfg.signer_source = SIGNER_SOURCE_PSEUDO;
                break;
            case V_SUPCON_FILM:
                cfg.use_supcon = true;
                cfg.use_film_attention = true;
                break;
            case V_BASIC: case V_COUNT: break;
            }
            if (seeds > 1)
                printf("== variant %s (seed %llu) -> %s ==\n", variant_names[k],
                       (unsigned long long)cfg.seed, cfg.out_dir);
            else
                printf("== variant %s -> %s ==\n", variant_names[k], cfg.out_dir);
            fflush(stdout);
            struct collect col = {res_k, cfg.best_metric, false};
            struct trainer_hooks hooks = {.ctx = &col, .info = on_info, .epoch_done = on_epoch,
                                          .warn = &warn};
            double t0 = now_s();
            res_k->ran = true;
            int rc = trainer_run(&cfg, &hooks, &err);
            res_k->seconds = now_s() - t0;
            res_k->ok = rc == TRAINER_OK;
            if (rc == TRAINER_INTERRUPTED) {
                dir_lock_release(&lock);
                free(all);
                return 130;
            }
            if (rc != TRAINER_OK) {
                snprintf(res_k->error, sizeof res_k->error, "%s", err.msg);
                for (char *p = res_k->error; *p; p++)
                    if (*p == '\n' || *p == '|') *p = ' ';
                fprintf(stderr, "signstgcn %s: variant %s failed: %s\n", CMD, variant_names[k],
                        err.msg);
                failures++;
            }
            res_k->probe = (double)NAN;
            if (seeds > 1 && res_k->ok) {
                char why[ERROR_MSG_MAX];
                res_k->probe = signer_probe(&cfg, why, sizeof why);
                if (isnan(res_k->probe))
                    printf("  signer probe: not run (%s)\n", why);
                else
                    printf("  signer probe: accuracy %.4f\n", res_k->probe);
            }
        }
    }
    struct result res[V_COUNT];
    for (int k = 0; k < V_COUNT; k++) res[k] = all[(size_t)k * seeds];
    int wr = seeds > 1 ? write_seed_summary(base_out, all, seeds, &err)
                       : write_summary(base_out, res, &err);
    free(all);
    dir_lock_release(&lock);
    if (wr) return cli_fail(CMD, &err);
    char path[TRAIN_PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/summary.md", base_out);
    FILE *f = fopen(path, "rb");
    if (f) {
        char line[2048];
        while (fgets(line, sizeof line, f)) fputs(line, stdout);
        fclose(f);
    }
    printf("summary in %s/summary.csv and %s/summary.md\n", base_out, base_out);
    return failures ? CLI_FAIL : CLI_OK;
}
