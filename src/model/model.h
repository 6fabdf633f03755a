/* model.h — the SignSTGCN model of SPEC §3: configuration, parameters, forward and backward.
 *
 * The model owns its parameter table (params.h: state_dict names, one flat buffer each for
 * parameters, gradients and Adam moments), BatchNorm's num_batches_tracked counters, and an
 * activation arena sized once per batch shape (model_reserve): a training step does no malloc.
 */
#ifndef SG_MODEL_MODEL_H
#define SG_MODEL_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/rng.h"
#include "graph/graph.h"
#include "model/params.h"

struct error;

enum attn_variant { ATTN_BIAS_AWARE = 0, ATTN_FILM = 1 };

#define MODEL_LAYERS 3
#define MODEL_E 128     /* model width */
#define MODEL_HEADS 4
#define MODEL_SIGNER 64 /* signer embedding size */
#define MODEL_G 256     /* GRU hidden per direction */
#define MODEL_Z 512     /* 2·G */

struct model_config {
    size_t num_joints;          /* J */
    size_t coords;              /* C */
    size_t num_classes;         /* NC */
    size_t num_signers;         /* NS; 0 = no signer source */
    bool signer_head;           /* adversarial head (needs NS > 0, not with MI) */
    bool use_mi;                /* CLUB estimator (needs NS > 0) */
    size_t mi_hidden;           /* 128 */
    enum attn_variant attn;
    float dropout;              /* 0.1; 0 for parity runs */
};

/* Parameter indices into the table, by role. -1 where the variant has no such tensor. */
struct model_layer_idx {
    int gc_w, gc_b, tconv_w, bn_w, bn_b, bn_mean, bn_var, res_w, res_b;
    size_t in, out, dilation;
};

struct model_idx {
    struct model_layer_idx layer[MODEL_LAYERS];
    int senc_ln_w, senc_ln_b, senc_l1_w, senc_l1_b, senc_l2_w, senc_l2_b;
    int q_w, k_w, v_w, o_w;
    int ks_w, ks_b, kb_w, kb_b, vs_w, vs_b, vb_w, vb_b; /* FiLM */
    int gru_wih[2], gru_whh[2], gru_bih[2], gru_bhh[2]; /* [0] forward, [1] reverse */
    int cls_ln_w, cls_ln_b, cls_l1_w, cls_l1_b, cls_l2_w, cls_l2_b;
    int sh_ln_w, sh_ln_b, sh_l1_w, sh_l1_b, sh_l2_w, sh_l2_b;
    int mi_l0_w, mi_l0_b, mi_l1_w, mi_l1_b, mi_l2_w, mi_l2_b;
};

struct model {
    struct model_config cfg;
    const struct graph *graph;  /* not owned */
    struct param_table pt;
    struct model_idx idx;
    int64_t bn_batches[MODEL_LAYERS]; /* BatchNorm num_batches_tracked */
};

/* Checks the configuration and declares every tensor with its SPEC §3 name and shape.
 * The graph must outlive the model and have num_joints joints. */
int model_init(struct model *m, const struct model_config *cfg, const struct graph *g,
               struct error *err);
void model_free(struct model *m);
/* PyTorch's default initialisation (SPEC §3, last paragraph) from the generator. */
void model_init_weights(struct model *m, struct rng *r);
/* Signer statistics size S = 2C. */
static inline size_t model_stats_size(const struct model_config *c) { return 2 * c->coords; }

#endif
