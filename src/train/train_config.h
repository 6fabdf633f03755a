/* train_config.h — every option of `signstgcn train`, resolved, and its JSON form.
 *
 * The configuration is one plain struct: the data options of SPEC §1 (data/config.h) plus
 * the model, loss and optimiser options. The checkpoint stores it as one flat JSON object
 * (SPEC §6): the long option names without dashes, '-' → '_', flag pairs under the positive
 * name as booleans, --signers as `signers_file`, plus what training derived from the data —
 * classes, num_joints, face_points_in_file, signer_source, num_signers, signers,
 * pseudo_centroids. `predict`, `embed` and `--resume` rebuild everything from that object.
 */
#ifndef SG_TRAIN_TRAIN_CONFIG_H
#define SG_TRAIN_TRAIN_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "data/augment.h"
#include "data/config.h"
#include "data/features.h"
#include "graph/graph.h"

struct error;

enum signer_source { SIGNER_SOURCE_NONE = 0, SIGNER_SOURCE_PSEUDO, SIGNER_SOURCE_REAL };
enum pseudo_by { PSEUDO_BY_VIDEO = 0, PSEUDO_BY_WINDOW };
enum grl_schedule { GRL_CONSTANT = 0, GRL_DANN };
enum best_metric { BEST_ACC = 0, BEST_LOSS, BEST_PR_AUC, BEST_F1 };
enum lr_schedule { LR_CONSTANT = 0, LR_COSINE };

#define TRAIN_PATH_MAX 4096
#define TRAIN_CLASSES_MAX 4096

struct train_config {
    struct data_config data;
    char data_dir[TRAIN_PATH_MAX];      /* --data */
    char out_dir[TRAIN_PATH_MAX];       /* --out (runs/train) */
    char splits_json[TRAIN_PATH_MAX];   /* --splits-json ("" = 90/10 by video) */
    /* model */
    enum graph_kind graph;              /* --graph auto|mediapipe|openpose|chain (auto: the
                                           data's skeleton; stored resolved) */
    enum partition partition;           /* --partition spatial|uniform */
    bool use_film_attention;
    bool use_mi_minimization;
    size_t mi_hidden_dim;               /* 128 */
    double mi_weight;                    /* 0.1 */
    /* labels */
    size_t num_classes;                 /* --num-classes; 0 = the number of classes found */
    char classes[TRAIN_CLASSES_MAX];    /* --classes a,b,c ("" = from the data) */
    bool class_weights;                 /* --no-class-weights turns off */
    /* signers */
    enum signer_source signer_source;   /* none | pseudo (--use-pseudo-signers) | real */
    size_t num_pseudo_signers;          /* 8 */
    uint64_t pseudo_seed;               /* 0 */
    enum pseudo_by pseudo_by;           /* video */
    double signer_loss_weight;           /* 0.5 */
    double lambda_grl;                   /* 0.5 */
    enum grl_schedule grl_schedule;     /* constant */
    /* contrastive */
    bool use_supcon;
    double supcon_weight;                /* 0.1 */
    double supcon_temp;                  /* 0.07 */
    /* optimisation */
    size_t batch;                       /* 32 */
    size_t epochs;                      /* 10 */
    double lr;                          /* 1e-3 */
    double weight_decay;                /* 0 */
    double clip_grad;                   /* 0 = off */
    size_t max_files;                   /* 0 = all */
    size_t max_samples;                 /* 0 = all training windows */
    uint64_t seed;                      /* 0 */
    int threads;                        /* 0 = OpenMP's default */
    bool fixed_threads;                 /* --fixed-threads: never fall back to one thread
                                           when that measures faster (train/thread_gov.h) */
    /* augmentation of training windows (data/augment.h): --augment sets every knob, an
     * --aug-* flag then sets its own; stored resolved, both the preset and every value */
    enum augment_preset augment;        /* none */
    struct augment_config aug;          /* all off (speed 1..1) */
    unsigned features;                  /* --features: FEATURE_* mask (joints) */
    /* schedules */
    enum lr_schedule lr_schedule;       /* --lr-schedule constant|cosine (constant) */
    double warmup_epochs;               /* linear warm-up from 0 over this many epochs (0) */
    double label_smoothing;             /* eps (0) */
    size_t patience;                    /* stop after this many epochs without a new best
                                           --best-metric value; 0 = never (0) */
    /* outputs */
    bool save_best;
    enum best_metric best_metric;       /* acc */
    bool log_csv;
    bool resume;
};

void train_config_default(struct train_config *c);

const char *signer_source_name(enum signer_source s);
int signer_source_parse(const char *s);
const char *pseudo_by_name(enum pseudo_by p);
int pseudo_by_parse(const char *s);
const char *grl_schedule_name(enum grl_schedule g);
int grl_schedule_parse(const char *s);
const char *best_metric_name(enum best_metric b);
int best_metric_parse(const char *s);
const char *lr_schedule_name(enum lr_schedule s);
int lr_schedule_parse(const char *s);
/* The learning rate of 0-based optimisation step `step` of a run of `total` steps with
 * `warmup` warm-up steps: lr·(step+1)/warmup during the warm-up, then lr (constant) or
 * lr·½(1 + cos(π·(step − warmup)/(total − warmup))) (cosine). */
double lr_at_step(enum lr_schedule s, double lr, double step, double warmup, double total);

/* What training derived from the data, stored beside the options. */
struct train_derived {
    size_t num_classes;          /* model outputs NC */
    char **classes;              /* NC names (classes, then unused outputs' indices) */
    size_t num_joints;
    enum skeleton skeleton;      /* the data's: MediaPipe or OpenPose ("skeleton"; a checkpoint
                                    without the key is MediaPipe's) */
    size_t face_points_in_file;  /* 468 | 478 (478 without --include-face); OpenPose 70 */
    size_t num_signers;          /* NS, 0 without a source */
    char **signers;              /* real signer ids in id order (NS), else NULL */
    size_t stats_size;           /* S, the centroid width */
    double *pseudo_centroids;    /* NS × S with pseudo-signers, else NULL (doubles, written
                                    with 17 digits, so windows get the training clusters) */
};

void train_derived_free(struct train_derived *d);

/* The flat JSON object of SPEC §6 (malloc'ed string). */
char *train_config_to_json(const struct train_config *c, const struct train_derived *d,
                           struct error *err);
/* Parses a checkpoint's config back. Unknown keys are ignored; a missing or mistyped key
 * is an error naming it (`what` names the checkpoint in messages). */
int train_config_from_json(const char *json, const char *what, struct train_config *c,
                           struct train_derived *d, struct error *err);

/* `train --config FILE.json` / `--config-from CKPT`: sets the options of *c from a flat JSON
 * object with the keys of the stored configuration (any subset; the others keep *c's
 * values). What training derives from the data (num_joints, skeleton, face_points_in_file,
 * num_signers, signers, pseudo_centroids, use_pseudo_signers) is ignored; `classes` with
 * `num_classes` of a multi-class run become --classes (unused outputs' index names dropped)
 * and --num-classes, so the run maps labels as the stored one did. `resume` is not taken.
 * With `strict`, a key that is not a configuration key is an error (a typo in a file). */
int train_config_apply_json(const char *json, const char *what, bool strict,
                            struct train_config *c, struct error *err);

/* The configuration stored in a checkpoint file's `config` metadata (predict, embed, eval). */
int train_config_from_checkpoint(const char *path, struct train_config *c,
                                 struct train_derived *d, struct error *err);

#endif
