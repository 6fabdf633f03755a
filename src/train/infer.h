/* infer.h — the one inference path: checkpoint → model → batches of windows → probabilities.
 *
 * predict, embed, eval and detect all run a trained model the same way: the configuration
 * stored in the checkpoint rebuilds the graph and the model (trainer_build_model), the tensors
 * are loaded, the dataset is read with the checkpoint's own data options, and windows go
 * through the model in evaluation mode in batches of at most `batch`. What differs between
 * the commands is only which windows they ask for and which outputs they keep.
 *
 * A window is a span of a video: `real` frames from `start`, followed by window − real
 * frames of exact zeros (SPEC §1.4's padding), with the signer statistics over the real frames.
 * The dataset's own windows are spans with real = min(window, frames − start); detect adds
 * the partial windows that end early in a recording (what a live system sees first).
 *
 * Probabilities are softmax(logits) accumulated in double and rounded to float, the same
 * numbers in every command. Memory: the model runs on an inference arena (model.h:
 * model_reserve_inference) in chunks of `chunk` windows, so any --batch fits in a bounded
 * amount of memory.
 */
#ifndef SG_TRAIN_INFER_H
#define SG_TRAIN_INFER_H
#include <stddef.h>
#include <stdint.h>

#include "data/dataset.h"
#include "graph/graph.h"
#include "model/model.h"
#include "train/train_config.h"

struct error;
struct warn_sink;

/* The most the activation arena of one forward pass may take. A batch that would need more
 * runs as several forward passes (evaluation mode treats windows independently, so the
 * results are the same); at J=553 one window needs about 57 MB, at J=75 about 8 MB. */
#define INFER_ARENA_BUDGET ((size_t)512 << 20)

struct infer {
    const char *ckpt;            /* the checkpoint's path (messages) */
    struct train_config tc;      /* its stored configuration */
    struct train_derived d;      /* classes, joints, signers, centroids */
    struct graph g;
    struct model m;
    size_t batch;                /* windows per batch asked for (the input buffers) */
    size_t chunk;                /* windows per forward pass: at most batch, and few enough
                                    that the inference arena stays within INFER_ARENA_BUDGET */
    float *x, *stats;            /* one batch of input: (k, window, J, C), (k, 2C), allocated
                                    for k = min(batch, windows asked for) on first use */
    size_t buf_windows;          /* k */
    int32_t *parent;             /* the skeleton tree for a bone stream, else NULL */
    float *xf;                   /* (chunk, window, J, C·streams) with bone or motion streams
                                    (data/features.h), else NULL */
};

/* What a run keeps, per window, row-major; any may be NULL.
 *   probs (n, NC)  logits (n, NC)  Z (n, 2·gru)  s (n, signer_dim)  stats (n, 2C) */
struct infer_out {
    float *probs, *logits, *Z, *s, *stats;
};

/* A window as a span of video `video`: frames [start, start + real), real in [1, window]. */
struct infer_span {
    uint32_t video;
    uint32_t start;
    uint32_t real;
};

/* Reads the checkpoint's configuration, builds its model and loads its tensors. batch >= 1. */
int infer_open(struct infer *inf, const char *ckpt, size_t batch, struct error *err);
void infer_close(struct infer *inf);

/* The checkpoint's data options for reading new data: its window, stride, parts and
 * normalisation, with the groundtruth `groundtruth` (NULL or "": the data folder's own, if
 * any) and no signers file. */
void infer_data_config(const struct infer *inf, const char *groundtruth, struct data_config *dc);

/* Loads a dataset with dc (from infer_data_config, possibly adjusted): the folder `dir`, or
 * the n files `files` when dir is NULL. The joints per frame must be the model's. */
int infer_load(const struct infer *inf, struct dataset *ds, const char *dir,
               const char *const *files, size_t n, const struct data_config *dc,
               const struct warn_sink *warn, struct error *err);

/* Runs the dataset windows ds->windows[idx[i]], i < n; output row i is window idx[i]. */
int infer_windows(struct infer *inf, const struct dataset *ds, const size_t *idx, size_t n,
                  const struct infer_out *out, struct error *err);
/* Runs n spans of ds's videos; output row i is span i. */
int infer_spans(struct infer *inf, const struct dataset *ds, const struct infer_span *sp,
                size_t n, const struct infer_out *out, struct error *err);
/* Runs B prepared windows x (B, window, J, C), stats (B, 2C); outputs from row 0. */
int infer_forward(struct infer *inf, const float *x, const float *stats, size_t B,
                  const struct infer_out *out, struct error *err);

/* probs[q] = softmax(logits)[q] over nc classes, accumulated in double; returns the argmax
 * (first of ties). */
size_t infer_softmax(const float *logits, size_t nc, float *probs);

#endif
