/* cmd_train.c — `signstgcn train`: the PyTorch original's train_landmarks, same flags.
 *
 * Parses the flags into a struct train_config (strict numbers, usage errors exit 2), prints
 * the resolved configuration, installs SIGINT/SIGTERM handlers that ask the trainer to stop
 * after its current step (last.safetensors is written, exit 130), shows a live progress bar
 * on a terminal (stderr) and one summary line per epoch (stdout), and draws
 * training_curves.png at the end.
 *
 * Under mpirun (core/dist.h) every rank runs this command: rank 0 alone prints and writes;
 * the other ranks keep quiet unless they fail, when they print their error with their rank
 * and end the whole job (MPI_Abort) rather than leave the others waiting for them. SIGUSR1,
 * which mpirun forwards to every rank without killing them, stops like SIGINT; SIGINT and
 * SIGTERM sent to mpirun reach the ranks too, but mpirun kills them after
 * odls_base_sigkill_timeout seconds (README, "Data-parallel training with MPI").
 */
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


#include "cli/cli.h"
#include "cli/data_opts.h"
#include "cli/outputs.h"
#include "core/dist.h"
#include "core/error.h"
#include "core/input_file.h"
#include "io/safetensors.h"
#include "train/trainer.h"

#define CMD "train"

enum {
    OPT_DATA = DATA_OPT_END, OPT_BATCH, OPT_EPOCHS, OPT_LR, OPT_WEIGHT_DECAY, OPT_CLIP_GRAD,
    OPT_NUM_CLASSES, OPT_CLASSES, OPT_SPLITS_JSON, OPT_MAX_FILES, OPT_MAX_SAMPLES, OPT_GRAPH,
    OPT_PARTITION, OPT_USE_PSEUDO, OPT_NUM_PSEUDO, OPT_PSEUDO_SEED, OPT_PSEUDO_BY,
    OPT_SIGNER_SOURCE, OPT_SIGNER_LOSS_WEIGHT, OPT_LAMBDA_GRL, OPT_GRL_SCHEDULE, OPT_USE_SUPCON,
    OPT_SUPCON_WEIGHT, OPT_SUPCON_TEMP, OPT_USE_FILM, OPT_USE_MI, OPT_MI_WEIGHT, OPT_MI_HIDDEN,
    OPT_NO_CLASS_WEIGHTS, OPT_SAVE_BEST, OPT_BEST_METRIC, OPT_LOG_CSV, OPT_OUT, OPT_RESUME,
    OPT_SEED, OPT_THREADS, OPT_FIXED_THREADS, OPT_AUGMENT, OPT_AUG_ROTATE, OPT_AUG_SCALE, OPT_AUG_SHEAR,
    OPT_AUG_TRANSLATE, OPT_AUG_JITTER, OPT_AUG_MIRROR, OPT_AUG_SPEED, OPT_AUG_FRAME_DROP,
    OPT_AUG_HAND_DROP, OPT_AUG_FACE_DROP, OPT_FEATURES, OPT_LR_SCHEDULE, OPT_WARMUP,
    OPT_LABEL_SMOOTHING, OPT_PATIENCE, OPT_CONFIG, OPT_CONFIG_FROM
};

static void print_help(void)
{
    printf("usage: signstgcn train --data DIR [flags]\n\n"
           "Trains SignSTGCN on a folder of landmark .npz files and its groundtruth; writes\n"
           "last.safetensors every epoch (and best.safetensors, metrics.csv,\n"
           "training_curves.png) into --out. Ctrl-C stops after the current step, saves\n"
           "last.safetensors and exits 130; --resume continues exactly.\n\n"
           "--config FILE.json takes the options from a JSON object with the keys of a\n"
           "checkpoint's stored configuration (any subset); --config-from CKPT takes every\n"
           "option of the run that wrote CKPT (retrains it exactly; --out is required).\n"
           "Flags given beside either override them.\n\n"
           "data:\n");
    data_opts_print_help(stdout);
    printf("\ntraining:\n"
           "  --out DIR               output folder (runs/train)\n"
           "  --batch N               windows per batch (32)\n"
           "  --epochs N              epochs (10)\n"
           "  --lr X                  Adam learning rate (1e-3)\n"
           "  --weight-decay X        decoupled weight decay, AdamW (0)\n"
           "  --clip-grad X           global gradient-norm clipping, 0 = off (0)\n"
           "  --lr-schedule constant|cosine  per-step learning rate (constant)\n"
           "  --warmup-epochs X       linear warm-up of the learning rate from 0 (0)\n"
           "  --label-smoothing X     classification targets (1-X)·one-hot + X/NC (0)\n"
           "  --patience N            stop after N epochs without a better --best-metric\n"
           "                          value, 0 = never (0)\n"
           "  --seed N                seed of every random choice (0)\n"
           "  --threads N             threads (OpenMP default)\n"
           "  --fixed-threads         keep N threads even when one measures faster (a\n"
           "                          busy core); results are the same either way\n"
           "  --splits-json FILE      train/val videos from `signstgcn splits` (else 90/10)\n"
           "  --max-files N           use the first N files (all)\n"
           "  --max-samples N         use N random training windows (all)\n"
           "  --resume                continue from --out/last.safetensors\n"
           "labels:\n"
           "  --num-classes N         model outputs, >= the classes found (the classes found)\n"
           "  --classes a,b,c         class names and order (the labels of training windows)\n"
           "  --no-class-weights      binary mode: no [1, n_neg/n_pos] class weights\n"
           "model:\n"
           "  --graph auto|mediapipe|openpose|chain --partition spatial|uniform (auto: the\n"
           "                        data's skeleton; spatial)\n"
           "  --use-film-attention    FiLM attention instead of bias-aware attention\n"
           "  --features joints[,bones][,motion]  input streams as channels (joints): bones =\n"
           "                          joint minus its skeleton parent, motion = minus the\n"
           "                          previous frame; predict/detect/embed apply them too\n"
           "signers:\n"
           "  --use-pseudo-signers    K-means pseudo-signers as the signer source\n"
           "  --num-pseudo-signers K  (8)   --pseudo-seed N (0)   --pseudo-by video|window\n"
           "  --signer-source none|pseudo|real   (real: signers file, --signers FILE)\n"
           "  --signer-loss-weight X  adversarial signer head weight (0.5)\n"
           "  --lambda-grl X          gradient reversal strength (0.5)\n"
           "  --grl-schedule constant|dann\n"
           "  --use-supcon            supervised contrastive loss; --supcon-weight X (0.1),\n"
           "                          --supcon-temp X (0.07)\n"
           "  --use-mi-minimization   CLUB MI minimisation; --mi-weight X (0.1),\n"
           "                          --mi-hidden-dim N (128)\n"
           "augmentation of training windows (docs/decisions.md; validation never):\n"
           "  --augment none|standard  preset (none); standard = --aug-rotate 15 --aug-scale\n"
           "                          0.15 --aug-shear 0.1 --aug-translate 0.1 --aug-jitter 0.01\n"
           "                          --aug-frame-drop 0.05 --aug-hand-drop 0.05 (mirror and\n"
           "                          speed off). Each flag below\n"
           "                          overrides the preset's value:\n"
           "  --aug-rotate DEG        rotation about the shoulder midpoint, U(-DEG, DEG)\n"
           "  --aug-scale F           scale U(1-F, 1+F)\n"
           "  --aug-shear F           shear factors U(-F, F)\n"
           "  --aug-translate F       x, y shift U(-F, F) shoulder widths\n"
           "  --aug-jitter F          Gaussian noise σ per joint and frame\n"
           "  --aug-mirror P          left/right mirror with probability P (not with the face)\n"
           "  --aug-speed LO,HI       resample around the window at a speed U(LO, HI)\n"
           "  --aug-frame-drop P      each frame missing with probability P\n"
           "  --aug-hand-drop P       each hand missing for the window with probability P\n"
           "  --aug-face-drop P       the face missing for the window with probability P\n"
           "outputs:\n"
           "  --save-best             keep best.safetensors\n"
           "  --best-metric acc|loss|pr_auc|f1   (acc)\n"
           "  --log-csv               write metrics.csv\n");
}

/* ---- progress ------------------------------------------------------------------------------ */

struct ui {
    bool tty;
    bool bar_shown;
    long steps;
    long interrupt_after; /* SIGNSTGCN_INTERRUPT_AFTER_STEPS: the tests' way to send a
                             SIGINT at an exact step through the real handler */
};

static void ui_info(void *ctx, const char *line)
{
    struct ui *u = ctx;
    if (u->bar_shown) {
        fputc('\n', stderr);
        u->bar_shown = false;
    }
    printf("%s\n", line);
    fflush(stdout);
}

static void ui_progress(void *ctx, size_t epoch, size_t epochs, size_t batch, size_t n_batches,
                        double wps, double loss, double elapsed)
{
    struct ui *u = ctx;
    if (++u->steps == u->interrupt_after) raise(SIGINT);
    if (!u->tty) return;
    const int width = 28;
    int filled = (int)((double)width * (double)batch / (double)n_batches);
    char bar[64];
    for (int i = 0; i < width; i++) bar[i] = i < filled ? '=' : (i == filled ? '>' : ' ');
    bar[width] = '\0';
    long eta = (long)(elapsed / (double)batch * (double)(n_batches - batch) + 0.5);
    fprintf(stderr, "\repoch %zu/%zu [%s] %zu/%zu  %.0f win/s  loss %.4f  ETA %ld:%02ld ", epoch,
            epochs, bar, batch, n_batches, wps, loss, eta / 60, eta % 60);
    fflush(stderr);
    u->bar_shown = true;
}

static void ui_epoch(void *ctx, const struct epoch_result *r)
{
    struct ui *u = ctx;
    if (u->bar_shown) {
        fputc('\n', stderr);
        u->bar_shown = false;
    }
    printf("epoch %zu/%zu  train_loss %.4f  train_acc %.4f  val_loss %.4f  val_acc %.4f  "
           "val_bal_acc %.4f  val_f1 %.4f  val_pr_auc %.4f  %.1fs%s\n",
           r->epoch, r->epochs, r->v[HIST_TRAIN_LOSS], r->v[HIST_TRAIN_ACC], r->v[HIST_VAL_LOSS],
           r->v[HIST_VAL_ACC], r->v[HIST_VAL_BALANCED_ACC], r->v[HIST_VAL_F1],
           r->v[HIST_VAL_PR_AUC], r->v[HIST_SECONDS], r->best ? "  *best" : "");
    fflush(stdout);
}

static void on_signal(int sig)
{
    (void)sig;
    trainer_request_stop();
}

/* ---- flags ----------------------------------------------------------------------------------- */

static bool copy_str(const char *flag, const char *v, char *dst, size_t cap)
{
    if (strlen(v) >= cap) {
        cli_usage_error(CMD, "%s value is too long", flag);
        return false;
    }
    strcpy(dst, v);
    return true;
}

#define SIZE_ARG(flag, lo, hi, dst)                                                            \
    do {                                                                                       \
        long v_;                                                                               \
        if (!cli_parse_long(CMD, flag, optarg, lo, hi, &v_)) return CLI_USAGE;                 \
        dst = (size_t)v_;                                                                      \
    } while (0)
#define NUM_ARG(flag, lo, hi, dst)                                                             \
    do {                                                                                       \
        double v_;                                                                             \
        if (!cli_parse_double(CMD, flag, optarg, lo, hi, &v_)) return CLI_USAGE;               \
        dst = v_;                                                                              \
    } while (0)
#define NAME_ARG(flag, parse, dst, type)                                                       \
    do {                                                                                       \
        int v_ = parse(optarg);                                                                \
        if (v_ < 0) return cli_usage_error(CMD, "%s: unknown value '%s'", flag, optarg);      \
        dst = (type)v_;                                                                        \
    } while (0)

static int parse_graph(const char *s) { return graph_kind_parse(s); }
static int parse_partition(const char *s) { return partition_parse(s); }

int cmd_train(int argc, char **argv)
{
    static const struct option own[] = {
        {"data", required_argument, NULL, OPT_DATA},
        {"batch", required_argument, NULL, OPT_BATCH},
        {"epochs", required_argument, NULL, OPT_EPOCHS},
        {"lr", required_argument, NULL, OPT_LR},
        {"weight-decay", required_argument, NULL, OPT_WEIGHT_DECAY},
        {"clip-grad", required_argument, NULL, OPT_CLIP_GRAD},
        {"num-classes", required_argument, NULL, OPT_NUM_CLASSES},
        {"classes", required_argument, NULL, OPT_CLASSES},
        {"splits-json", required_argument, NULL, OPT_SPLITS_JSON},
        {"max-files", required_argument, NULL, OPT_MAX_FILES},
        {"max-samples", required_argument, NULL, OPT_MAX_SAMPLES},
        {"graph", required_argument, NULL, OPT_GRAPH},
        {"partition", required_argument, NULL, OPT_PARTITION},
        {"use-pseudo-signers", no_argument, NULL, OPT_USE_PSEUDO},
        {"num-pseudo-signers", required_argument, NULL, OPT_NUM_PSEUDO},
        {"pseudo-seed", required_argument, NULL, OPT_PSEUDO_SEED},
        {"pseudo-by", required_argument, NULL, OPT_PSEUDO_BY},
        {"signer-source", required_argument, NULL, OPT_SIGNER_SOURCE},
        {"signer-loss-weight", required_argument, NULL, OPT_SIGNER_LOSS_WEIGHT},
        {"lambda-grl", required_argument, NULL, OPT_LAMBDA_GRL},
        {"grl-schedule", required_argument, NULL, OPT_GRL_SCHEDULE},
        {"use-supcon", no_argument, NULL, OPT_USE_SUPCON},
        {"supcon-weight", required_argument, NULL, OPT_SUPCON_WEIGHT},
        {"supcon-temp", required_argument, NULL, OPT_SUPCON_TEMP},
        {"use-film-attention", no_argument, NULL, OPT_USE_FILM},
        {"use-mi-minimization", no_argument, NULL, OPT_USE_MI},
        {"mi-weight", required_argument, NULL, OPT_MI_WEIGHT},
        {"mi-hidden-dim", required_argument, NULL, OPT_MI_HIDDEN},
        {"no-class-weights", no_argument, NULL, OPT_NO_CLASS_WEIGHTS},
        {"save-best", no_argument, NULL, OPT_SAVE_BEST},
        {"best-metric", required_argument, NULL, OPT_BEST_METRIC},
        {"log-csv", no_argument, NULL, OPT_LOG_CSV},
        {"out", required_argument, NULL, OPT_OUT},
        {"resume", no_argument, NULL, OPT_RESUME},
        {"seed", required_argument, NULL, OPT_SEED},
        {"threads", required_argument, NULL, OPT_THREADS},
        {"fixed-threads", no_argument, NULL, OPT_FIXED_THREADS},
        {"augment", required_argument, NULL, OPT_AUGMENT},
        {"aug-rotate", required_argument, NULL, OPT_AUG_ROTATE},
        {"aug-scale", required_argument, NULL, OPT_AUG_SCALE},
        {"aug-shear", required_argument, NULL, OPT_AUG_SHEAR},
        {"aug-translate", required_argument, NULL, OPT_AUG_TRANSLATE},
        {"aug-jitter", required_argument, NULL, OPT_AUG_JITTER},
        {"aug-mirror", required_argument, NULL, OPT_AUG_MIRROR},
        {"aug-speed", required_argument, NULL, OPT_AUG_SPEED},
        {"aug-frame-drop", required_argument, NULL, OPT_AUG_FRAME_DROP},
        {"aug-hand-drop", required_argument, NULL, OPT_AUG_HAND_DROP},
        {"aug-face-drop", required_argument, NULL, OPT_AUG_FACE_DROP},
        {"features", required_argument, NULL, OPT_FEATURES},
        {"lr-schedule", required_argument, NULL, OPT_LR_SCHEDULE},
        {"warmup-epochs", required_argument, NULL, OPT_WARMUP},
        {"label-smoothing", required_argument, NULL, OPT_LABEL_SMOOTHING},
        {"patience", required_argument, NULL, OPT_PATIENCE},
        {"config", required_argument, NULL, OPT_CONFIG},
        {"config-from", required_argument, NULL, OPT_CONFIG_FROM},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct option opts[128];
    data_opts_build(opts, sizeof opts / sizeof opts[0], own);
    struct train_config cfg;
    train_config_default(&cfg);
    bool have_data = false, pseudo_flag = false, source_flag = false, out_flag = false;
    bool augment_flag = false;
    /* --config / --config-from first: the flags then override what they set */
    const char *config_file = NULL, *config_ckpt = NULL;
    for (int i = 1; i < argc; i++) {
        const char **dst = !strncmp(argv[i], "--config-from", 13) ? &config_ckpt
                           : !strncmp(argv[i], "--config", 8)     ? &config_file
                                                                  : NULL;
        if (!dst) continue;
        const char *name = dst == &config_ckpt ? "--config-from" : "--config";
        size_t n = strlen(name);
        if (argv[i][n] == '=') *dst = argv[i] + n + 1;
        else if (argv[i][n] == '\0' && i + 1 < argc) *dst = argv[++i];
    }
    if (config_file && config_ckpt)
        return cli_usage_error(CMD, "--config and --config-from: give one of them");
    if (config_file || config_ckpt) {
        struct error err;
        char *text = NULL;
        size_t len = 0;
        int lrc;
        if (config_file) {
            lrc = input_file_read(config_file, "--config", "--config", INPUT_JSON_MAX, true,
                                  &text, &len, &err) ||
                  train_config_apply_json(text, config_file, true, &cfg, &err);
        } else {
            struct safetensors st;
            lrc = safetensors_open(&st, config_ckpt, &err);
            if (lrc == 0) {
                const char *meta = safetensors_meta_get(&st, "config");
                lrc = meta ? train_config_apply_json(meta, config_ckpt, false, &cfg, &err)
                           : error_set(&err, "--config-from: '%s' has no stored configuration",
                                       config_ckpt);
                safetensors_free(&st);
            }
        }
        free(text);
        if (lrc) return cli_fail(CMD, &err);
        have_data = cfg.data_dir[0] != '\0';
    }
    /* --aug-* values given on the command line, applied over the --augment preset whatever
     * the order of the flags */
    struct augment_config knobs;
    memset(&knobs, 0, sizeof knobs);
    bool knob_set[OPT_AUG_FACE_DROP - OPT_AUG_ROTATE + 1] = {false};
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        int h = data_opts_handle(CMD, c, optarg, &cfg.data);
        if (h < 0) return CLI_USAGE;
        if (h > 0) continue;
        switch (c) {
        case OPT_DATA:
            if (!copy_str("--data", optarg, cfg.data_dir, sizeof cfg.data_dir)) return CLI_USAGE;
            have_data = true;
            break;
        case OPT_OUT:
            if (!copy_str("--out", optarg, cfg.out_dir, sizeof cfg.out_dir)) return CLI_USAGE;
            out_flag = true;
            break;
        case OPT_CONFIG:
        case OPT_CONFIG_FROM: break; /* read above */
        case OPT_SPLITS_JSON:
            if (!copy_str("--splits-json", optarg, cfg.splits_json, sizeof cfg.splits_json))
                return CLI_USAGE;
            break;
        case OPT_CLASSES:
            if (!copy_str("--classes", optarg, cfg.classes, sizeof cfg.classes)) return CLI_USAGE;
            break;
        case OPT_BATCH: SIZE_ARG("--batch", 1, 1 << 20, cfg.batch); break;
        case OPT_EPOCHS: SIZE_ARG("--epochs", 1, 1 << 24, cfg.epochs); break;
        case OPT_LR: NUM_ARG("--lr", 0, 1e6, cfg.lr); break;
        case OPT_WEIGHT_DECAY: NUM_ARG("--weight-decay", 0, 1e6, cfg.weight_decay); break;
        case OPT_CLIP_GRAD: NUM_ARG("--clip-grad", 0, 1e30, cfg.clip_grad); break;
        case OPT_NUM_CLASSES: SIZE_ARG("--num-classes", 1, 1 << 20, cfg.num_classes); break;
        case OPT_MAX_FILES: SIZE_ARG("--max-files", 1, 1L << 40, cfg.max_files); break;
        case OPT_MAX_SAMPLES: SIZE_ARG("--max-samples", 1, 1L << 40, cfg.max_samples); break;
        case OPT_GRAPH: NAME_ARG("--graph", parse_graph, cfg.graph, enum graph_kind); break;
        case OPT_PARTITION:
            NAME_ARG("--partition", parse_partition, cfg.partition, enum partition);
            break;
        case OPT_USE_PSEUDO: pseudo_flag = true; break;
        case OPT_NUM_PSEUDO: SIZE_ARG("--num-pseudo-signers", 2, 1 << 16, cfg.num_pseudo_signers); break;
        case OPT_PSEUDO_SEED: SIZE_ARG("--pseudo-seed", 0, 1L << 53, cfg.pseudo_seed); break;
        case OPT_PSEUDO_BY: NAME_ARG("--pseudo-by", pseudo_by_parse, cfg.pseudo_by, enum pseudo_by); break;
        case OPT_SIGNER_SOURCE:
            NAME_ARG("--signer-source", signer_source_parse, cfg.signer_source, enum signer_source);
            source_flag = true;
            break;
        case OPT_SIGNER_LOSS_WEIGHT: NUM_ARG("--signer-loss-weight", 0, 1e6, cfg.signer_loss_weight); break;
        case OPT_LAMBDA_GRL: NUM_ARG("--lambda-grl", 0, 1e6, cfg.lambda_grl); break;
        case OPT_GRL_SCHEDULE:
            NAME_ARG("--grl-schedule", grl_schedule_parse, cfg.grl_schedule, enum grl_schedule);
            break;
        case OPT_USE_SUPCON: cfg.use_supcon = true; break;
        case OPT_SUPCON_WEIGHT: NUM_ARG("--supcon-weight", 0, 1e6, cfg.supcon_weight); break;
        case OPT_SUPCON_TEMP: NUM_ARG("--supcon-temp", 1e-6, 1e6, cfg.supcon_temp); break;
        case OPT_USE_FILM: cfg.use_film_attention = true; break;
        case OPT_USE_MI: cfg.use_mi_minimization = true; break;
        case OPT_MI_WEIGHT: NUM_ARG("--mi-weight", 0, 1e6, cfg.mi_weight); break;
        case OPT_MI_HIDDEN: SIZE_ARG("--mi-hidden-dim", 1, 1 << 16, cfg.mi_hidden_dim); break;
        case OPT_NO_CLASS_WEIGHTS: cfg.class_weights = false; break;
        case OPT_FIXED_THREADS: cfg.fixed_threads = true; break;
        case OPT_SAVE_BEST: cfg.save_best = true; break;
        case OPT_BEST_METRIC:
            NAME_ARG("--best-metric", best_metric_parse, cfg.best_metric, enum best_metric);
            break;
        case OPT_LOG_CSV: cfg.log_csv = true; break;
        case OPT_RESUME: cfg.resume = true; break;
        case OPT_SEED: SIZE_ARG("--seed", 0, 1L << 53, cfg.seed); break;
        case OPT_THREADS: {
            long v;
            if (!cli_parse_long(CMD, "--threads", optarg, 1, 4096, &v)) return CLI_USAGE;
            cfg.threads = (int)v;
            break;
        }
        case OPT_LR_SCHEDULE:
            NAME_ARG("--lr-schedule", lr_schedule_parse, cfg.lr_schedule, enum lr_schedule);
            break;
        case OPT_WARMUP: NUM_ARG("--warmup-epochs", 0, 1e6, cfg.warmup_epochs); break;
        case OPT_LABEL_SMOOTHING:
            NUM_ARG("--label-smoothing", 0, 0.999, cfg.label_smoothing);
            break;
        case OPT_PATIENCE: SIZE_ARG("--patience", 0, 1 << 24, cfg.patience); break;
        case OPT_FEATURES: {
            int f = features_parse(optarg);
            if (f < 0)
                return cli_usage_error(CMD, "--features '%s': streams are joints, bones, motion",
                                       optarg);
            cfg.features = (unsigned)f;
            break;
        }
        case OPT_AUGMENT:
            NAME_ARG("--augment", augment_preset_parse, cfg.augment, enum augment_preset);
            augment_flag = true;
            break;
        case OPT_AUG_ROTATE: NUM_ARG("--aug-rotate", 0, 180, knobs.rotate); goto knob;
        case OPT_AUG_SCALE: NUM_ARG("--aug-scale", 0, 0.999, knobs.scale); goto knob;
        case OPT_AUG_SHEAR: NUM_ARG("--aug-shear", 0, 1, knobs.shear); goto knob;
        case OPT_AUG_TRANSLATE: NUM_ARG("--aug-translate", 0, 10, knobs.translate); goto knob;
        case OPT_AUG_JITTER: NUM_ARG("--aug-jitter", 0, 1, knobs.jitter); goto knob;
        case OPT_AUG_MIRROR: NUM_ARG("--aug-mirror", 0, 1, knobs.mirror); goto knob;
        case OPT_AUG_FRAME_DROP: NUM_ARG("--aug-frame-drop", 0, 1, knobs.frame_drop); goto knob;
        case OPT_AUG_HAND_DROP: NUM_ARG("--aug-hand-drop", 0, 1, knobs.hand_drop); goto knob;
        case OPT_AUG_FACE_DROP: NUM_ARG("--aug-face-drop", 0, 1, knobs.face_drop); goto knob;
        case OPT_AUG_SPEED: {
            char *comma = strchr(optarg, ',');
            if (!comma) return cli_usage_error(CMD, "--aug-speed wants LO,HI (e.g. 0.8,1.25)");
            *comma = '\0';
            bool ok = cli_parse_double(CMD, "--aug-speed", optarg, 0.01, 4, &knobs.speed_lo) &&
                      cli_parse_double(CMD, "--aug-speed", comma + 1, 0.01, 4, &knobs.speed_hi);
            *comma = ',';
            if (!ok) return CLI_USAGE;
            if (knobs.speed_lo > knobs.speed_hi)
                return cli_usage_error(CMD, "--aug-speed %s: LO is above HI", optarg);
            goto knob;
        }
        knob:
            knob_set[c - OPT_AUG_ROTATE] = true;
            break;
        case 'h': print_help(); return CLI_OK;
        default: return cli_getopt_error(CMD, c, argv);
        }
    }
    if (optind < argc) return cli_usage_error(CMD, "unexpected argument '%s'", argv[optind]);
    if (!have_data) return cli_usage_error(CMD, "--data DIR is required");
    if (data_opts_finish(CMD, &cfg.data)) return CLI_USAGE;
    if (config_ckpt && !out_flag)
        return cli_usage_error(CMD, "--config-from needs --out: the run's own folder would be "
                                    "overwritten");
    /* --augment sets every knob; without it the knobs keep the defaults or --config's */
    if (augment_flag) augment_preset_values(cfg.augment, &cfg.aug);
    {
        double *dst[] = {&cfg.aug.rotate, &cfg.aug.scale, &cfg.aug.shear, &cfg.aug.translate,
                         &cfg.aug.jitter, &cfg.aug.mirror, NULL, &cfg.aug.frame_drop,
                         &cfg.aug.hand_drop, &cfg.aug.face_drop};
        const double src[] = {knobs.rotate, knobs.scale, knobs.shear, knobs.translate,
                              knobs.jitter, knobs.mirror, 0, knobs.frame_drop, knobs.hand_drop,
                              knobs.face_drop};
        _Static_assert(sizeof src / sizeof src[0] == OPT_AUG_FACE_DROP - OPT_AUG_ROTATE + 1,
                       "one entry per --aug-* flag");
        for (size_t k = 0; k < sizeof src / sizeof src[0]; k++)
            if (knob_set[k] && dst[k]) *dst[k] = src[k];
        if (knob_set[OPT_AUG_SPEED - OPT_AUG_ROTATE]) {
            cfg.aug.speed_lo = knobs.speed_lo;
            cfg.aug.speed_hi = knobs.speed_hi;
        }
    }
    if (pseudo_flag) {
        if (source_flag && cfg.signer_source != SIGNER_SOURCE_PSEUDO)
            return cli_usage_error(CMD, "--use-pseudo-signers contradicts --signer-source %s",
                                   signer_source_name(cfg.signer_source));
        cfg.signer_source = SIGNER_SOURCE_PSEUDO;
    }
    if (cfg.use_mi_minimization && cfg.signer_source == SIGNER_SOURCE_NONE)
        return cli_usage_error(CMD, "--use-mi-minimization needs a signer source "
                                    "(--use-pseudo-signers or --signer-source real)");
    if (cfg.data.binary && (cfg.classes[0] || cfg.num_classes))
        fprintf(stderr, "signstgcn train: note: --binary ignores --classes and --num-classes\n");
    if (cfg.data.binary) {
        cfg.classes[0] = '\0';
        cfg.num_classes = 0;
    }
    /* every path before any work: no output over an input, --out writable */
    const struct cli_path paths[] = {
        {"--data", cfg.data_dir, CLI_IN_DATA_DIR, NULL},
        {"--splits-json", cfg.splits_json, CLI_IN_FILE, NULL},
        {"--groundtruth", cfg.data.groundtruth, CLI_IN_FILE, NULL},
        {"--signers", cfg.data.signers, CLI_IN_FILE, NULL},
        {"--out", cfg.out_dir, CLI_OUT_DIR, trainer_output_files},
    };
    int pc = cli_check_paths(CMD, paths, sizeof paths / sizeof paths[0]);
    if (pc != CLI_OK) return pc;
    cli_set_threads((int)cfg.threads);

    struct error err;
    struct dist dist;
    if (dist_init(&dist, &argc, &argv, &err)) {
        dist_finish(&dist);
        return cli_fail(CMD, &err);
    }
    const bool root = dist.rank == 0;
    struct ui u = {.tty = root && isatty(2) != 0};
    const char *ia = getenv("SIGNSTGCN_INTERRUPT_AFTER_STEPS");
    u.interrupt_after = ia ? atol(ia) : 0;
    struct warn_sink warn = {cli_warn, (void *)CMD};
    struct trainer_hooks hooks = {.ctx = &u, .info = ui_info, .progress = ui_progress,
                                  .epoch_done = ui_epoch, .warn = &warn, .dist = &dist};
    if (!root) /* rank 0 speaks for the run */
        hooks = (struct trainer_hooks){.ctx = &u, .dist = &dist};
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    if (dist.mpi) sigaction(SIGUSR1, &sa, NULL);
    int rc = trainer_run(&cfg, &hooks, &err);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    if (rc == TRAINER_FAILED) {
        if (dist.size > 1) {
            error_prefix(&err, "rank %d of %d", dist.rank, dist.size);
            cli_fail(CMD, &err);
            fflush(NULL);
            dist_abort(&dist, 1); /* the others would wait for this rank forever */
        }
        dist_finish(&dist);
        return cli_fail(CMD, &err);
    }
    dist_finish(&dist);
    if (rc == TRAINER_INTERRUPTED) return 130;
    if (root) printf("checkpoints in %s\n", cfg.out_dir);
    return CLI_OK;
}
