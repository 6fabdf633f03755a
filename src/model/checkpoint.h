/* checkpoint.h — the model in safetensors files (SPEC §6).
 *
 * Tensors: the §3 state_dict by name (float32; BatchNorm's num_batches_tracked as I64 of
 * shape []). A training checkpoint (last.safetensors) adds the optimiser and generator state
 * under prefixes a PyTorch user drops before load_state_dict: `optim.step`,
 * `optim.exp_avg.<name>`, `optim.exp_avg_sq.<name>` (trained tensors), the same under
 * `mi_optim.` for the MI estimator, and `rng.<name>` (four U64 words per generator).
 * `__metadata__` holds exactly the five strings format, config, epoch, metric, metric_value.
 * Files are written atomically (temporary file, fsync, rename, fsync folder).
 */
#ifndef SG_MODEL_CHECKPOINT_H
#define SG_MODEL_CHECKPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/rng.h"

struct error;
struct model;

#define CHECKPOINT_FORMAT "signstgcn/1"
#define CHECKPOINT_MAX_RNGS 4

struct checkpoint_meta {
    const char *config;   /* one flat JSON object (the resolved configuration) */
    long epoch;           /* 1-based */
    const char *metric;   /* e.g. "acc" */
    double metric_value;  /* written with %.9g */
};

#define CHECKPOINT_MAX_EXTRA 8

/* A training-loop value kept as raw 64-bit words (counters, or doubles by their bits), saved
 * as a U64 tensor `optim.loop.<name>` so that the PyTorch rule "drop optim.*" covers it. */
struct checkpoint_extra {
    const char *name;
    uint64_t *data;  /* save: the words; load: malloc'ed by checkpoint_load (caller frees) */
    size_t n;        /* save: count; load: filled in */
};

/* Training state beyond the weights. */
struct checkpoint_state {
    int64_t optim_step;      /* Adam steps taken on the trained tensors */
    int64_t mi_optim_step;   /* and on the MI estimator */
    size_t n_rngs;
    const char *rng_names[CHECKPOINT_MAX_RNGS];
    struct rng rngs[CHECKPOINT_MAX_RNGS];
    size_t n_extra;
    struct checkpoint_extra extra[CHECKPOINT_MAX_EXTRA];
};

/* Writes the model's state_dict (and, when state is not NULL, the optimiser moments of
 * m->pt.m / m->pt.v and the generators) with the metadata. */
int checkpoint_save(const struct model *m, const char *path, const struct checkpoint_meta *meta,
                    const struct checkpoint_state *state, struct error *err);

/* Loads weights into a model built with the matching configuration: every state_dict tensor
 * must be present with its shape, and any tensor that is neither state_dict nor training
 * state is an error (strict, as load_state_dict). With state not NULL the optimiser moments
 * and the generators named in state->rng_names are restored too (all must be present).
 * meta_config, when not NULL, receives a malloc'ed copy of the `config` metadata. */
int checkpoint_load(struct model *m, const char *path, struct checkpoint_state *state,
                    char **meta_config, struct error *err);

#endif
