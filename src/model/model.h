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
struct dist;

enum attn_variant { ATTN_BIAS_AWARE = 0, ATTN_FILM = 1 };

#define MODEL_LAYERS 3

/* Layer widths. SPEC §3 fixes them (model_dims_spec); they are a configuration so that
 * parity fixtures can be small (tools/make_model_fixtures.py uses 8/16/16 ... widths with the
 * same names and structure). E = channels[2] is the model width; Z = 2·gru. */
struct model_dims {
    size_t channels[MODEL_LAYERS]; /* 64, 128, 128 */
    size_t dilations[MODEL_LAYERS];/* 1, 2, 3 */
    size_t heads;                  /* 4 */
    size_t signer_hidden;          /* 128: signer_enc.net.1 output */
    size_t signer_dim;             /* 64: the signer embedding s */
    size_t gru;                    /* 256: GRU hidden per direction */
    size_t cls_hidden;             /* 512: cls_head.net.1 output */
    size_t signer_head_hidden;     /* 256: signer_head.net.1 output */
};

void model_dims_spec(struct model_dims *d);

struct model_config {
    size_t num_joints;          /* J */
    size_t coords;              /* C: the data's channels (the signer statistics are 2C) */
    size_t in_channels;         /* the backbone's input channels: C × the input streams
                                   (data/features.h); 0 means C */
    size_t num_classes;         /* NC */
    size_t num_signers;         /* NS; 0 = no signer source */
    bool signer_head;           /* adversarial head (needs NS > 0, not with MI) */
    bool use_mi;                /* CLUB estimator (needs NS > 0) */
    size_t mi_hidden;           /* 128 */
    enum attn_variant attn;
    float dropout;              /* 0.1; 0 for parity runs */
    struct model_dims dims;     /* model_dims_spec() unless a test shrinks them */
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

/* The activation arena: everything the forward keeps for the backward, and the backward's
 * scratch, carved out of one allocation planned for the batch shape (model_reserve). */
struct model_layer_acts {
    float *H;        /* (N, K·out) gc.lin output: one buffer shared by the layers (dead once
                      * aggregated; the backward's dH scratch in training) */
    float *G;        /* (N, out) graph aggregation (kept: tconv's weight gradient reads it) */
    float *TC;       /* (N, out) temporal conv (kept: BatchNorm's backward reads it) */
    float *R;        /* (N, out) projected residual (NULL when in == out), in the shared H */
    float *Y;        /* (N, out) Dropout(ReLU(BN(TC)+R)); kept where the next layer reads it,
                      * in the shared H for the last layer */
    uint64_t *bits;  /* (N·out bits) where Y > 0: the backward of ReLU and Dropout (training) */
    float *bn_mean, *bn_invstd; /* (out) batch statistics */
    float *bn_a, *bn_b;         /* (out) BatchNorm folded to y = x·a + b */
};

struct model_acts {
    size_t B, T;
    struct model_layer_acts layer[MODEL_LAYERS];
    float *Hm;            /* (B,T,E) mean over joints */
    float *senc_ln, *senc_mean, *senc_rstd, *senc_h; /* (B,S), (B), (B), (B,signer_hidden) */
    float *s;             /* (B,signer_dim) signer embedding */
    float *Hatt;          /* (B,T,E) */
    float *attn_ws, *gru_ws, *tconv_ws, *supcon_ws;
    float *Z;             /* (B,Z) */
    float *cls_ln, *cls_mean, *cls_rstd, *cls_u, *cls_v; /* (B,Z), (B), (B), (B,CH), (B,CH) */
    uint8_t *cls_mask;    /* (B·CH) */
    float *logits;        /* (B,NC) */
    float *sh_ln, *sh_mean, *sh_rstd, *sh_h;  /* signer head */
    uint8_t *sh_mask;     /* (B·signer_head_hidden) */
    float *signer_logits; /* (B,NS) */
    float *mi_a0, *mi_a1, *mi_q; /* (B,H), (B,H), (B,NS) */
    /* backward scratch */
    float *dA, *dB, *dC, *dH;          /* (N,Cmax) ×3 and (N, K·Cmax) (= the shared H) */
    float *dHm, *dHatt, *dZ, *dZs, *ds; /* (B,T,E), (B,T,E), (B,Z), (B,Z), (B,signer_dim) */
    float *dh1, *dh2, *dh3, *dlogits, *dsig; /* head scratch (B,max width)×3, (B,NC), (B,NS) */
    float *dln_s, *dsenc_h, *dsenc_h2;  /* (B,S), (B,signer_hidden) ×2 */
    /* data-parallel shard only (model_reserve_shard): the whole batch's Z and its gradient
     * (B_all,Z), and 4·Cmax doubles for synchronised BatchNorm's sums */
    size_t B_all;
    float *Z_all, *dZ_all;
    double *bn_sums;
    const float *x;       /* the input given to the forward (kept for the backward) */
    bool train;           /* mode of the last forward */
    bool inference;       /* planned by model_reserve_inference: evaluation forward only */
};

/* Where a step's time goes, by layer kind (bench_model --profile): model_forward and
 * model_backward add the wall-clock and process CPU seconds of each kind when m->prof is set;
 * NULL (the default) costs one test per kind. The zeroing of a kind's backward scratch counts
 * as that kind's. */
enum model_prof_kind {
    MPROF_GCN,        /* graph convolution: gc.lin's per-joint Linear and the aggregation */
    MPROF_TCONV,      /* temporal convolution */
    MPROF_BN,         /* BatchNorm */
    MPROF_RES_PROJ,   /* residual projection (in != out) */
    MPROF_ELTWISE,    /* residual add, ReLU, dropout (masks included) */
    MPROF_JOINT_MEAN, /* mean over joints */
    MPROF_SIGNER_ENC, /* signer encoder */
    MPROF_ATTENTION,  /* self-attention */
    MPROF_GRU,        /* bidirectional GRU */
    MPROF_HEADS,      /* heads and losses */
    MPROF_COUNT
};

struct model_profile {
    double wall[2][MPROF_COUNT]; /* [0] forward, [1] backward; seconds, summed over calls */
    double cpu[2][MPROF_COUNT];  /* process CPU seconds (all threads) */
};

extern const char *const model_prof_names[MPROF_COUNT];

struct model {
    struct model_config cfg;
    struct model_profile *prof; /* NULL unless profiling; not owned */
    const struct graph *graph;  /* not owned */
    struct param_table pt;
    struct model_idx idx;
    int64_t bn_batches[MODEL_LAYERS]; /* BatchNorm num_batches_tracked */
    struct model_acts act;
    void *arena;                /* one aligned block behind act's pointers */
    size_t arena_bytes;
};

/* Data-parallel training (core/dist.h): this process holds windows [first, first + B) of a
 * batch of B_all windows split over the processes. What couples the windows of a batch is
 * then computed over the whole batch: BatchNorm's statistics and gradient sums (summed over
 * the processes: synchronised BatchNorm), the dropout masks (each process draws its part of
 * the whole batch's masks), the losses' means (over the whole batch's count or class-weight
 * sum, from y_all), the supervised contrastive loss (the batch's Z gathered on every
 * process), the CLUB bound (the batch's signer counts) and the MI estimator's gradient
 * (summed before its Adam step). The model's trained gradients are this process's part:
 * the caller sums them over the processes (one all-reduce) before the optimiser step.
 * Every process must call model_forward and model_backward for every batch, with B = 0 if
 * its shard is empty. */
struct model_shard {
    struct dist *dist;
    size_t B_all;          /* windows in the whole batch */
    size_t first;          /* this process's first window in it */
    const int *y_all;      /* (B_all) class ids of the whole batch (losses only) */
    const int *signer_all; /* (B_all) signer ids (signer head / MI only), or NULL */
};

struct model_inputs {
    size_t B, T;
    const float *x;      /* (B,T,J,C) */
    const float *stats;  /* (B,S) */
    const int *y;        /* (B) class ids (losses only) */
    const int *signer;   /* (B) signer ids (signer head / MI only) */
    const struct model_shard *shard; /* NULL: the batch is whole here */
};

struct adam_config;

struct model_loss_config {
    const float *class_weights;  /* (NC) or NULL */
    float signer_loss_weight;    /* w of the adversarial term (0.5) */
    float lambda_grl;            /* λ for this step, schedule already applied */
    bool supcon;
    float supcon_weight, supcon_temp;
    float mi_weight;
    double label_smoothing;      /* eps of the classification targets (0: plain CE) */
    const struct adam_config *mi_adam; /* the estimator's optimiser (MI only) */
    long mi_step;                      /* its 1-based step number for this update */
};

struct model_losses {
    double total;        /* what training minimises */
    double cls;          /* classification cross-entropy */
    double adv;          /* signer_loss_weight × signer CE (0 without a signer head) */
    double supcon;       /* supcon_weight × supervised contrastive loss */
    double mi;           /* mi_weight × CLUB bound */
    double mi_estimator; /* the estimator's own loss before its step */
};

/* Checks the configuration and declares every tensor with its SPEC §3 name and shape.
 * The graph must outlive the model and have num_joints joints. */
int model_init(struct model *m, const struct model_config *cfg, const struct graph *g,
               struct error *err);
void model_free(struct model *m);
/* PyTorch's default initialisation (SPEC §3, last paragraph) from the generator. */
void model_init_weights(struct model *m, struct rng *r);
/* Plans and (re)allocates the activation arena for batches of B windows of T frames.
 * Nothing is allocated again while later batches are no larger. */
int model_reserve(struct model *m, size_t B, size_t T, struct error *err);
/* The same for a process's shard of B windows (B may be 0) of a data-parallel batch of B_all
 * windows (struct model_shard): the arena adds the whole batch's Z for the supervised
 * contrastive loss and the synchronised BatchNorm's per-channel sums. */
int model_reserve_shard(struct model *m, size_t B, size_t B_all, size_t T, struct error *err);

/* The same for evaluation-mode forwards only (predict, embed, eval, detect): the three
 * backbone layers share their buffers and nothing is kept for a backward, so the arena holds
 * 4·max channels floats per (window, frame, joint) instead of every layer's activations.
 * A training forward on such an arena is a programmer error. */
int model_reserve_inference(struct model *m, size_t B, size_t T, struct error *err);
/* Bytes the arena needs for B windows of T frames, for training or inference (measures only;
 * nothing is allocated or changed). */
size_t model_arena_bytes(struct model *m, size_t B, size_t T, bool inference);
/* Forward pass. train: batch-statistics BatchNorm (running statistics updated,
 * num_batches_tracked counted) and dropout masks drawn from r; else evaluation mode (r unused).
 * Outputs in m->act: logits (B,NC), Z (B,2·gru), s (B,signer_dim), signer_logits (B,NS) when the signer
 * head exists. in->x must stay valid until model_backward. */
void model_forward(struct model *m, const struct model_inputs *in, bool train, struct rng *r);

/* Losses of SPEC §4 and the backward pass after a training-mode forward: zeroes the trained
 * gradients, accumulates every gradient into m->pt.grad, and (with MI) takes the estimator's
 * own Adam step in between as SPEC §4 orders it. Fills *out. */
void model_backward(struct model *m, const struct model_inputs *in,
                    const struct model_loss_config *lc, struct model_losses *out);

/* Classification loss only (validation): weighted CE of the last forward's logits. */
double model_class_loss(const struct model *m, const int *y, const float *class_weights);

/* Signer statistics size S = 2C. */
static inline size_t model_stats_size(const struct model_config *c) { return 2 * c->coords; }

#endif
