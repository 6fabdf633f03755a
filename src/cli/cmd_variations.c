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
#include "train/trainer.h"

#define CMD "variations"

enum variant { V_BASIC, V_BINARY, V_PSEUDO, V_SUPCON, V_FILM, V_MI, V_FILM_PSEUDO, V_SUPCON_FILM,
               V_COUNT };
static const char *const variant_names[V_COUNT] = {
    "basic", "binary", "pseudo", "supcon", "film", "mi", "film_pseudo", "supcon_film"};

enum {
    OPT_DATA = DATA_OPT_END, OPT_MAX_FILES, OPT_EPOCHS, OPT_BATCH, OPT_BASE_OUT, OPT_K,
    OPT_SEED, OPT_THREADS, OPT_SKIP_FIRST
    /* OPT_SKIP_FIRST + 0..6: basic, binary, pseudo, supcon, film, mi, combined */
};

struct result {
    bool ran, ok;
    size_t best_epoch;
    double v[HIST_COLS];
    double seconds;
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
        case 'h':
            printf("usage: signstgcn variations --data DIR [--max-files 3] [--epochs 2] "
                   "[--batch 8]\n"
                   "       [--base-out runs/test_variations] [--num-pseudo-signers 2] "
                   "[--seed 0] [--threads N]\n"
                   "       [--skip-basic|binary|pseudo|supcon|film|mi|combined] [data flags]\n\n"
                   "Trains the variants basic, binary, pseudo, supcon, film, mi, film_pseudo and\n"
                   "supcon_film into --base-out/<variant>/ and writes summary.csv and summary.md.\n");
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
        {"--base-out", base_out, CLI_OUT_DIR, files},
    };
    int pc = cli_check_paths(CMD, paths, sizeof paths / sizeof paths[0]);
    if (pc != CLI_OK) return pc;
    struct error err;
    struct dir_lock lock;
    if (dir_make_all(base_out, &err) || dir_lock_acquire(&lock, base_out, "--base-out", &err))
        return cli_fail(CMD, &err);
    struct result res[V_COUNT];
    memset(res, 0, sizeof res);
    struct warn_sink warn = {cli_warn, (void *)CMD};
    int failures = 0;
    for (int k = 0; k < V_COUNT; k++) {
        if (skip[k]) continue;
        struct train_config cfg = base;
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
        printf("== variant %s -> %s ==\n", variant_names[k], cfg.out_dir);
        fflush(stdout);
        struct collect col = {&res[k], cfg.best_metric, false};
        struct trainer_hooks hooks = {.ctx = &col, .info = on_info, .epoch_done = on_epoch,
                                      .warn = &warn};
        double t0 = now_s();
        res[k].ran = true;
        int rc = trainer_run(&cfg, &hooks, &err);
        res[k].seconds = now_s() - t0;
        res[k].ok = rc == TRAINER_OK;
        if (rc == TRAINER_INTERRUPTED) {
            dir_lock_release(&lock);
            return 130;
        }
        if (rc != TRAINER_OK) {
            snprintf(res[k].error, sizeof res[k].error, "%s", err.msg);
            for (char *p = res[k].error; *p; p++)
                if (*p == '\n' || *p == '|') *p = ' ';
            fprintf(stderr, "signstgcn %s: variant %s failed: %s\n", CMD, variant_names[k], err.msg);
            failures++;
        }
    }
    int wr = write_summary(base_out, res, &err);
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
