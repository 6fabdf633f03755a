/* evaluate.h — `signstgcn eval` as a library: a checkpoint measured on a dataset's split.
 *
 * eval_run() loads the checkpoint and its stored configuration (as predict does), the
 * dataset with the checkpoint's data options, keeps the videos of the chosen split (all
 * videos without a splits file), takes their labelled windows whose label maps to a class
 * (binary: --signing-labels of the checkpoint; multi-class: the stored class names), runs
 * the model in evaluation mode and fills a struct eval_result: SPEC §6's validation metrics
 * (loss with the training class weights, accuracy, balanced accuracy, F1, PR-AUC), the
 * confusion matrix, accuracy per video and per signer (real signers from a signers file,
 * else the checkpoint's pseudo-signers), and the signer probe: a multinomial logistic
 * regression (train/logreg.h) on the frozen embeddings Z, cross-validated over windows, next
 * to the majority-signer chance level. The library never prints; notes go to `warn`.
 */
#ifndef SG_TRAIN_EVALUATE_H
#define SG_TRAIN_EVALUATE_H

#include <stdbool.h>
#include <stddef.h>

#include "train/metrics.h"

struct error;
struct warn_sink;

#define EVAL_PROBE_FOLDS 5
#define EVAL_PROBE_SEED 0

struct eval_options {
    const char *ckpt;
    const char *data;
    const char *splits_json;  /* NULL: every video */
    int split;                /* SPLIT_TRAIN|VAL|TEST (data/splits.h) with splits_json */
    const char *signers;      /* --signers, NULL: <data>/signers.txt when it exists */
    const char *groundtruth;  /* --groundtruth, NULL: <data>/groundtruth(.txt) */
    size_t batch;             /* windows per forward pass (64) */
};

/* A row of the per-video or per-signer table. */
struct eval_group {
    char *name;
    size_t windows;
    size_t correct;
};

enum eval_signer_kind { EVAL_SIGNERS_NONE = 0, EVAL_SIGNERS_REAL, EVAL_SIGNERS_PSEUDO };

struct eval_result {
    /* what was evaluated */
    bool binary;
    size_t num_classes;       /* NC */
    char **classes;           /* NC names */
    size_t videos_selected;   /* videos of the split found in the data folder */
    size_t videos_missing;    /* split videos without an npz */
    size_t windows;           /* evaluated windows (labelled, with a class) */
    size_t unlabelled;        /* windows of the selected videos without a label */
    size_t not_class;         /* labelled windows whose label is not a class */
    /* metrics */
    double loss;              /* mean (weighted) cross-entropy */
    bool weighted;            /* class weights [1, class_w1] were used */
    double class_w1;
    char weights_note[256];   /* where the weights come from, or why there are none */
    struct metrics m;
    size_t *cm;               /* (NC, NC), rows true, columns predicted */
    /* tables */
    size_t n_videos;
    struct eval_group *videos;   /* byte order */
    enum eval_signer_kind signer_kind;
    char *signers_path;          /* the signers file read (real), else NULL */
    size_t n_signers;
    struct eval_group *signers;  /* real: byte order of id; pseudo: "pseudo_<k>" by k */
    size_t signer_unknown;       /* evaluated windows of videos without a signer line */
    /* the signer probe */
    bool probe_done;
    char probe_note[256];        /* why the probe did not run */
    size_t probe_windows;        /* rows: evaluated windows with a signer */
    size_t probe_classes;        /* signers among them */
    double probe_acc;
    double probe_fold_acc[EVAL_PROBE_FOLDS];
    double probe_chance;         /* share of the most frequent signer */
};

int eval_run(const struct eval_options *o, const struct warn_sink *warn, struct eval_result *r,
             struct error *err);
void eval_result_free(struct eval_result *r);

#endif
