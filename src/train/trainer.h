/* trainer.h — `signstgcn train` as a library: data to checkpoints (SPEC §4–§6).
 *
 * trainer_run() loads the dataset, splits its videos, maps labels to classes, assigns
 * signers (real or K-means pseudo-signers), builds the graph and the model, and trains for
 * the configured epochs: every epoch trains on shuffled windows, evaluates on the validation
 * videos (loss, accuracy, balanced accuracy, F1, PR-AUC), writes last.safetensors (weights,
 * optimiser, generators and the loop's position) and, with --save-best, best.safetensors,
 * and with --log-csv rewrites metrics.csv. A run interrupted (trainer_request_stop, e.g. from
 * a SIGINT handler) finishes its current step, writes last.safetensors and returns
 * TRAINER_INTERRUPTED; --resume continues from it and ends bit-identical to an uninterrupted
 * run with the same seed and thread count.
 *
 * The output folder is created and locked (core/dir_lock.h) before anything else, so a
 * second run into the same --out fails at once naming the process that holds it; --batch is
 * clamped to the training windows there are (one batch of all of them is the same step).
 *
 * The library never prints: progress, per-epoch results and notes go to the hooks.
 *
 * Data-parallel (trainer_hooks.dist with several ranks): the same model as one process with
 * the same --batch and seed, within rounding (docs/decisions.md); a stop asked of any rank
 * (trainer_request_stop) stops every rank after the same step.
 */
#ifndef SG_TRAIN_TRAINER_H
#define SG_TRAIN_TRAINER_H

#include <stdbool.h>
#include <stddef.h>

#include "train/train_config.h"

struct error;
struct warn_sink;
struct graph;
struct model;

enum { TRAINER_OK = 0, TRAINER_FAILED = -1, TRAINER_INTERRUPTED = 1 };

/* Columns of metrics.csv after `epoch` (SPEC §6's first seven, then further ones). */
enum {
    HIST_TRAIN_LOSS = 0, HIST_TRAIN_ACC, HIST_VAL_LOSS, HIST_VAL_ACC, HIST_VAL_PR_AUC,
    HIST_VAL_F1, HIST_VAL_BALANCED_ACC, HIST_LAMBDA, HIST_SECONDS, HIST_COLS
};

struct epoch_result {
    size_t epoch;          /* 1-based */
    size_t epochs;
    double v[HIST_COLS];
    bool best;             /* the best epoch so far by --best-metric */
};

struct trainer_hooks {
    void *ctx;
    /* A line of information (the resolved configuration, the data summary). */
    void (*info)(void *ctx, const char *line);
    /* After every step: batches done of n in this epoch, windows/s, running mean loss,
     * seconds since the epoch (or its resumed part) began. */
    void (*progress)(void *ctx, size_t epoch, size_t epochs, size_t batch, size_t n_batches,
                     double windows_per_s, double running_loss, double elapsed);
    void (*epoch_done)(void *ctx, const struct epoch_result *r);
    const struct warn_sink *warn;
    /* The processes of a data-parallel run (core/dist.h); NULL or one rank: this process
     * trains alone. With several ranks every rank calls trainer_run with the same
     * configuration: each global --batch is split over the ranks, gradients are summed
     * (one all-reduce per step), BatchNorm is synchronised, and rank 0 alone evaluates and
     * writes files (K-means pseudo-signers too: rank 0 fits, the others receive the
     * centroids). The hooks are called on every rank: give them to rank 0 alone. */
    struct dist *dist;
};

/* The files a run writes into cfg->out_dir (NULL-terminated), for the CLI's path checks. */
extern const char *const trainer_output_files[];

/* Requests a stop after the current step (async-signal-safe: sets a flag). */
void trainer_request_stop(void);

/* Runs a whole training. Returns TRAINER_OK, TRAINER_INTERRUPTED (last.safetensors written),
 * or TRAINER_FAILED with err set. */
int trainer_run(const struct train_config *cfg, const struct trainer_hooks *hooks,
                struct error *err);

/* The graph and the model a configuration describes (train, predict, embed share it). */
int trainer_build_model(const struct train_config *cfg, const struct train_derived *d,
                        struct graph *g, struct model *m, struct error *err);
/* With bone or motion streams (cfg->features), the skeleton tree of the configuration's
 * graph (graph_parents) in *parent (malloc'ed, num_joints entries); NULL for joints alone. */
int trainer_feature_parents(const struct train_config *cfg, const struct train_derived *d,
                            int32_t **parent, struct error *err);

#endif
