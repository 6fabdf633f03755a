/* forward.c — SignSTGCN's forward and backward passes (SPEC §3–§4) over the layer kernels of
 * src/nn and the losses of src/nn/losses.c.
 *
 * Data flow for one batch (N = B·T·J rows, channels last):
 *   x (B,T,J,C) → 3 × [gc.lin → graph aggregation → temporal conv → BatchNorm → + residual
 *   → ReLU → Dropout] → mean over joints (B,T,128) → attention with the signer embedding
 *   s = signer_enc(stats) → bidirectional GRU → Z (B,512) → cls_head → logits;
 *   Z → gradient reversal → signer_head → signer logits;  Z (detached) → mi.net → q(y|Z).
 *
 * Memory: every activation the backward needs lives in the arena planned by model_reserve()
 * for the batch shape, so a training step allocates nothing. The graph convolution runs one
 * partition at a time (H_k = X·W_kᵀ + b_k, then G += Â_k·H_k; backward dH_k = Â_kᵀ·dG, then
 * gc.lin's part k), so H never takes more than (N, out) — a third of (N, K·out) — and it runs
 * fused per piece of (b,t) slices (gconv_linear_forward/backward_part), so a piece's rows of
 * H_k are aggregated while they are still in cache. The end of a
 * block (BatchNorm's affine, residual, ReLU, Dropout) is one fused pass each way
 * (block_tail_forward/backward) that keeps one bit per element for the backward. The
 * backward walks the same path in reverse with two gradient buffers that swap roles layer
 * after layer — dY, turned in place into dS = d(pre-ReLU sum), and a spare that takes dTC and
 * then dX (the next layer's dY) — plus dG and dH_k in the shared buffer that held H, R and the
 * last Y in the forward. Most backward kernels ADD into their outputs, so their scratch is
 * zeroed right before use; the backbone's big buffers are written whole instead, which saves
 * a pass over memory each (block_tail_backward in place, BatchNorm's and the temporal
 * convolution's _set variants, the fused graph convolution's dH_k and its first partition's
 * dX).
 */
#include <omp.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/input_file.h"
#include "core/mem.h"
#include "core/dist.h"
#include "model/model.h"
#include "nn/activation.h"
#include "nn/attention.h"
#include "nn/batchnorm.h"
#include "nn/gconv.h"
#include "nn/gelu.h"
#include "nn/grad_reverse.h"
#include "nn/gru.h"
#include "nn/joint_mean.h"
#include "nn/layernorm.h"
#include "nn/linear.h"
#include "nn/tconv.h"
#include "model/adam.h"
#include "nn/losses.h"

#define LN_EPS 1e-5f

/* The widths every function below needs, read once from the configuration. */
struct widths {
    size_t E, SD, SH, G, Z, CH, HH, Cmax;
};

static struct widths widths_of(const struct model *m)
{
    const struct model_dims *d = &m->cfg.dims;
    struct widths w = {.E = d->channels[2], .SD = d->signer_dim, .SH = d->signer_hidden,
                       .G = d->gru, .Z = 2 * d->gru, .CH = d->cls_hidden,
                       .HH = d->signer_head_hidden, .Cmax = 0};
    for (int l = 0; l < MODEL_LAYERS; l++)
        if (d->channels[l] > w.Cmax) w.Cmax = d->channels[l];
    return w;
}

static struct attention_shape attn_shape(const struct model *m, size_t B, size_t T)
{
    struct attention_shape sh = {.B = B, .T = T, .E = m->cfg.dims.channels[2],
                                 .heads = m->cfg.dims.heads, .S = m->cfg.dims.signer_dim,
                                 .film = m->cfg.attn == ATTN_FILM};
    return sh;
}

static struct gru_shape gru_shape_of(const struct model *m, size_t B, size_t T)
{
    struct gru_shape sh = {.B = B, .T = T, .E = m->cfg.dims.channels[2], .G = m->cfg.dims.gru};
    return sh;
}

/* ---- arena planning ------------------------------------------------------------------ */

struct planner {
    unsigned char *base; /* NULL while measuring */
    size_t off;
};

static void *take(struct planner *p, size_t count, size_t elem)
{
    size_t bytes;
    if (!size_mul(count, elem, &bytes) || !size_add(bytes, 63, &bytes) ||
        !size_add(p->off, bytes & ~(size_t)63, &p->off)) {
        p->off = SIZE_MAX; /* measured only: model_reserve refuses it before allocating */
        return NULL;
    }
    return p->base ? p->base + p->off - (bytes & ~(size_t)63) : NULL;
}

#define TAKE_F(p, n) ((float *)take((p), (n), sizeof(float)))
#define TAKE_U8(p, n) ((uint8_t *)take((p), (n), 1))
#define TAKE_U64(p, n) ((uint64_t *)take((p), (n), sizeof(uint64_t)))

/* Training keeps what the backward reads, per layer: G (tconv's weight gradient), TC
 * (BatchNorm's backward), Y where the next layer reads it, and one bit per element for ReLU
 * and Dropout; everything else lives in one shared buffer of 2·Cmax floats per row that
 * holds, in turn, each layer's gc.lin output H (dead once aggregated), its projected residual
 * R and the last layer's Y (read only by the mean over joints), and in the backward dG and dH_k.
 * With two (N, Cmax) gradient buffers that is, per (window, frame, joint), at SPEC's widths
 * 842 + 256 + 256 = 1354 floats (3088 before: every layer kept H (N, K·out), R, Y and a byte
 * mask, and the backward had four gradient buffers and a (N, K·Cmax) dH).
 * Inference keeps only what the next layer needs: one partition's H and one G shared by the
 * three layers — the temporal convolution writes into H (dead once aggregated) and the
 * residual projection into G (dead once convolved) — and two outputs Y used in turn (a layer reads the previous Y for its residual
 * while it writes its own); no dropout masks, no BatchNorm batch statistics, no backward
 * scratch: 4·max channels floats per (window, frame, joint). */
static void plan(struct model *m, struct planner *p, size_t B, size_t T, bool inference,
                 size_t B_all)
{
    struct model_acts *a = &m->act;
    const size_t J = m->cfg.num_joints, N = B * T * J, S = 2 * m->cfg.coords;
    const size_t NC = m->cfg.num_classes, NS = m->cfg.num_signers;
    const struct widths w = widths_of(m);
    size_t tconv_ws = 0;
    if (inference) {
        float *H = TAKE_F(p, N * w.Cmax), *G = TAKE_F(p, N * w.Cmax);
        float *Y[2] = {TAKE_F(p, N * w.Cmax), TAKE_F(p, N * w.Cmax)};
        for (int l = 0; l < MODEL_LAYERS; l++) {
            const struct model_layer_idx *L = &m->idx.layer[l];
            struct model_layer_acts *la = &a->layer[l];
            *la = (struct model_layer_acts){.H = H, .G = G, .TC = H,
                                            .R = L->res_w >= 0 ? G : NULL, .Y = Y[l % 2]};
            la->bn_a = TAKE_F(p, L->out);
            la->bn_b = TAKE_F(p, L->out);
            size_t tw = tconv_workspace_floats(L->out, L->out);
            if (tw > tconv_ws) tconv_ws = tw;
        }
    }
    float *shared = inference ? NULL : TAKE_F(p, N * 2 * w.Cmax);
    for (int l = 0; !inference && l < MODEL_LAYERS; l++) {
        const struct model_layer_idx *L = &m->idx.layer[l];
        struct model_layer_acts *la = &a->layer[l];
        const bool last = l == MODEL_LAYERS - 1;
        la->H = shared;
        la->G = TAKE_F(p, N * L->out);
        la->TC = TAKE_F(p, N * L->out);
        la->R = L->res_w >= 0 ? shared : NULL;
        la->Y = last ? (shared ? shared + N * w.Cmax : NULL) : TAKE_F(p, N * L->out);
        la->bits = TAKE_U64(p, block_tail_words(N * L->out));
        la->bn_mean = TAKE_F(p, L->out);
        la->bn_invstd = TAKE_F(p, L->out);
        la->bn_a = TAKE_F(p, L->out);
        la->bn_b = TAKE_F(p, L->out);
        size_t tw = tconv_workspace_floats(L->out, L->out);
        if (tw > tconv_ws) tconv_ws = tw;
    }
    struct attention_shape ash = attn_shape(m, B, T);
    struct gru_shape gsh = gru_shape_of(m, B, T);
    a->Hm = TAKE_F(p, B * T * w.E);
    a->senc_ln = TAKE_F(p, B * S);
    a->senc_mean = TAKE_F(p, B);
    a->senc_rstd = TAKE_F(p, B);
    a->senc_h = TAKE_F(p, B * w.SH);
    a->s = TAKE_F(p, B * w.SD);
    a->Hatt = TAKE_F(p, B * T * w.E);
    a->attn_ws = TAKE_F(p, attention_workspace_size(&ash));
    a->gru_ws = TAKE_F(p, gru_workspace_size(&gsh));
    a->tconv_ws = TAKE_F(p, tconv_ws);
    /* a shard's supervised contrastive loss runs on the whole batch (B_all > 0: sharded) */
    a->supcon_ws = inference ? NULL
                             : TAKE_F(p, supcon_workspace_size(B_all ? B_all : B, w.Z));
    a->B_all = B_all;
    a->Z_all = a->dZ_all = NULL;
    a->bn_sums = NULL;
    if (B_all && !inference) {
        a->Z_all = TAKE_F(p, B_all * w.Z);
        a->dZ_all = TAKE_F(p, B_all * w.Z);
        a->bn_sums = (double *)take(p, 4 * w.Cmax, sizeof(double));
    }
    a->Z = TAKE_F(p, B * w.Z);
    a->cls_ln = TAKE_F(p, B * w.Z);
    a->cls_mean = TAKE_F(p, B);
    a->cls_rstd = TAKE_F(p, B);
    a->cls_u = TAKE_F(p, B * w.CH);
    a->cls_v = TAKE_F(p, B * w.CH);
    a->cls_mask = inference ? NULL : TAKE_U8(p, B * w.CH);
    a->logits = TAKE_F(p, B * NC);
    a->sh_ln = TAKE_F(p, B * w.Z);
    a->sh_mean = TAKE_F(p, B);
    a->sh_rstd = TAKE_F(p, B);
    a->sh_h = TAKE_F(p, B * w.HH);
    a->sh_mask = inference ? NULL : TAKE_U8(p, B * w.HH);
    a->signer_logits = TAKE_F(p, B * (NS ? NS : 1));
    size_t H = m->cfg.use_mi ? m->cfg.mi_hidden : 1;
    a->mi_a0 = TAKE_F(p, B * H);
    a->mi_a1 = TAKE_F(p, B * H);
    a->mi_q = TAKE_F(p, B * (NS ? NS : 1));
    a->B = B;
    a->T = T;
    a->inference = inference;
    if (inference) {
        a->supcon_ws = NULL;
        a->cls_mask = a->sh_mask = NULL;
        a->dA = a->dB = a->dC = a->dH = NULL;
        a->dHm = a->dHatt = a->dZ = a->dZs = a->ds = NULL;
        a->dh1 = a->dh2 = a->dh3 = a->dlogits = a->dsig = NULL;
        a->dln_s = a->dsenc_h = a->dsenc_h2 = NULL;
        return;
    }
    a->dA = TAKE_F(p, N * w.Cmax);
    a->dB = TAKE_F(p, N * w.Cmax);
    /* the forward's H, R and last Y are dead by now: dG and dH_k take their place */
    a->dC = shared;
    a->dH = shared + N * w.Cmax;
    a->dHm = TAKE_F(p, B * T * w.E);
    a->dHatt = TAKE_F(p, B * T * w.E);
    a->dZ = TAKE_F(p, B * w.Z);
    a->dZs = TAKE_F(p, B * w.Z);
    a->ds = TAKE_F(p, B * w.SD);
    size_t hmax = w.Z; /* head scratch: every head width and mi.net's */
    if (w.CH > hmax) hmax = w.CH;
    if (w.HH > hmax) hmax = w.HH;
    if (H > hmax) hmax = H;
    a->dh1 = TAKE_F(p, B * hmax);
    a->dh2 = TAKE_F(p, B * hmax);
    a->dh3 = TAKE_F(p, B * hmax);
    a->dlogits = TAKE_F(p, B * NC);
    a->dsig = TAKE_F(p, B * (NS ? NS : 1));
    a->dln_s = TAKE_F(p, B * S);
    a->dsenc_h = TAKE_F(p, B * w.SH);
    a->dsenc_h2 = TAKE_F(p, B * w.SH);
}

size_t model_arena_bytes(struct model *m, size_t B, size_t T, bool inference)
{
    struct model_acts keep = m->act;
    struct planner p = {NULL, 0};
    plan(m, &p, B, T, inference, 0);
    m->act = keep; /* measuring only: the live plan stays */
    return p.off;
}

static int reserve(struct model *m, size_t B, size_t T, bool inference, size_t B_all,
                   struct error *err)
{
    if ((B == 0 && B_all == 0) || T == 0)
        return error_set(err, "model_reserve: empty batch (B=%zu, T=%zu)", B, T);
    struct planner p = {NULL, 0};
    plan(m, &p, B, T, inference, B_all);
    if (p.off > m->arena_bytes && p.off >= MEM_CHECK_MIN) {
        /* the size follows the batch and the window (linearly in both): refuse what the
         * machine cannot hold, saying which flags to change and what one window costs */
        size_t avail = mem_available();
        if (p.off > avail) {
            char need[32], have[32], one[32];
            return error_set(err, "activation arena: a batch of %zu windows of %zu frames needs "
                             "%s, more than the %s of memory available; lower --batch (one "
                             "window costs %s) or --window", B, T,
                             p.off == SIZE_MAX ? "more than the address space"
                                               : format_bytes(p.off, need, sizeof need),
                             format_bytes(avail, have, sizeof have),
                             format_bytes(p.off / B, one, sizeof one));
        }
    }
    if (p.off > m->arena_bytes) {
        sg_free(m->arena);
        m->arena = sg_aligned_calloc(p.off, 1, "activation arena", err);
        if (!m->arena) {
            m->arena_bytes = 0;
            return -1;
        }
        m->arena_bytes = p.off;
    }
    p.base = m->arena;
    p.off = 0;
    plan(m, &p, B, T, inference, B_all);
    return 0;
}

int model_reserve(struct model *m, size_t B, size_t T, struct error *err)
{
    return reserve(m, B, T, false, 0, err);
}

int model_reserve_shard(struct model *m, size_t B, size_t B_all, size_t T, struct error *err)
{
    if (B_all == 0 || B > B_all)
        return error_set(err, "model_reserve_shard: a shard of %zu windows of a batch of %zu",
                         B, B_all);
    return reserve(m, B, T, false, B_all, err);
}

int model_reserve_inference(struct model *m, size_t B, size_t T, struct error *err)
{
    return reserve(m, B, T, true, 0, err);
}

/* ---- profile ---------------------------------------------------------------------------- */

const char *const model_prof_names[MPROF_COUNT] = {
    "gc.lin+gconv", "tconv", "batchnorm", "res_proj", "add+relu+dropout", "joint_mean",
    "signer_enc", "attention", "gru", "heads+losses"};
_Static_assert(sizeof model_prof_names / sizeof *model_prof_names == MPROF_COUNT,
               "one name per profile kind");

/* A lap timer: lap() charges the time since the last mark to a kind and moves the mark. */
struct lap {
    double wall, cpu;
};

static void lap_now(struct lap *t)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    t->cpu = (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
    t->wall = omp_get_wtime();
}

static void lap_start(const struct model *m, struct lap *t)
{
    if (m->prof) lap_now(t);
}

static void lap(struct model *m, struct lap *t, int dir, enum model_prof_kind k)
{
    if (!m->prof) return;
    struct lap n;
    lap_now(&n);
    m->prof->wall[dir][k] += n.wall - t->wall;
    m->prof->cpu[dir][k] += n.cpu - t->cpu;
    *t = n;
}

/* ---- forward -------------------------------------------------------------------------- */

#define P(idx) ((idx) >= 0 ? params_data(&m->pt, (idx)) : NULL)
#define D(idx) ((idx) >= 0 ? params_grad(&m->pt, (idx)) : NULL)

static struct attention_params attn_params(struct model *m)
{
    const struct model_idx *x = &m->idx;
    struct attention_params ap = {P(x->q_w), P(x->k_w), P(x->v_w), P(x->o_w),
                                  P(x->ks_w), P(x->ks_b), P(x->vs_w), P(x->vs_b),
                                  P(x->kb_w), P(x->kb_b), P(x->vb_w), P(x->vb_b)};
    return ap;
}

static struct gru_params gru_params_of(struct model *m)
{
    struct gru_params gp;
    for (int d = 0; d < 2; d++) {
        gp.dir[d].w_ih = P(m->idx.gru_wih[d]);
        gp.dir[d].w_hh = P(m->idx.gru_whh[d]);
        gp.dir[d].b_ih = P(m->idx.gru_bih[d]);
        gp.dir[d].b_hh = P(m->idx.gru_bhh[d]);
    }
    return gp;
}

/* The MI estimator q(y|Z): Linear → ReLU → Linear → ReLU → Linear, on Z (B,2·gru). */
static void mi_forward(struct model *m, size_t B)
{
    struct model_acts *a = &m->act;
    const struct model_idx *x = &m->idx;
    const size_t H = m->cfg.mi_hidden, NS = m->cfg.num_signers, Z = 2 * m->cfg.dims.gru;
    linear_forward(a->mi_a0, a->Z, P(x->mi_l0_w), P(x->mi_l0_b), B, Z, H);
    relu_forward(a->mi_a0, a->mi_a0, B * H);
    linear_forward(a->mi_a1, a->mi_a0, P(x->mi_l1_w), P(x->mi_l1_b), B, H, H);
    relu_forward(a->mi_a1, a->mi_a1, B * H);
    linear_forward(a->mi_q, a->mi_a1, P(x->mi_l2_w), P(x->mi_l2_b), B, H, NS);
}

/* Backward of the estimator from dq (B,NS). with_params: accumulate the estimator's own
 * gradients; dZ (B,Z) may be NULL. Scratch: dh1, dh2 (B,H). */
static void mi_backward(struct model *m, size_t B, const float *dq, float *dZ, bool with_params)
{
    struct model_acts *a = &m->act;
    const struct model_idx *x = &m->idx;
    const size_t H = m->cfg.mi_hidden, NS = m->cfg.num_signers, Z = 2 * m->cfg.dims.gru;
    float *d1 = a->dh1, *d0 = a->dh2;
    memset(d1, 0, B * H * sizeof(float));
    linear_backward(d1, with_params ? D(x->mi_l2_w) : NULL, with_params ? D(x->mi_l2_b) : NULL,
                    dq, a->mi_a1, P(x->mi_l2_w), B, H, NS);
    memset(d0, 0, B * H * sizeof(float));
    relu_backward(d0, d1, a->mi_a1, B * H);
    memset(d1, 0, B * H * sizeof(float));
    linear_backward(d1, with_params ? D(x->mi_l1_w) : NULL, with_params ? D(x->mi_l1_b) : NULL,
                    d0, a->mi_a0, P(x->mi_l1_w), B, H, H);
    memset(d0, 0, B * H * sizeof(float));
    relu_backward(d0, d1, a->mi_a0, B * H);
    linear_backward(dZ, with_params ? D(x->mi_l0_w) : NULL, with_params ? D(x->mi_l0_b) : NULL,
                    d0, a->Z, P(x->mi_l0_w), B, Z, H);
}

void model_forward(struct model *m, const struct model_inputs *in, bool train, struct rng *r)
{
    struct model_acts *a = &m->act;
    const struct model_idx *x = &m->idx;
    const size_t B = in->B, T = in->T, J = m->cfg.num_joints, N = B * T * J;
    const size_t S = 2 * m->cfg.coords;
    const float p = train ? m->cfg.dropout : 0.0f;
    const struct widths w = widths_of(m);
    CHECK(a->B == B && a->T == T);
    CHECK(!(train && a->inference)); /* an inference arena keeps nothing for the backward */
    const struct model_shard *sh = train ? in->shard : NULL;
    CHECK(!sh || (a->B_all == sh->B_all && sh->first + B <= sh->B_all));
    const size_t first = sh ? sh->first : 0; /* the shard's place in the batch's masks */
    a->x = in->x;
    a->train = train;
    struct lap t;
    lap_start(m, &t);

    const float *X = in->x;
    for (int l = 0; l < MODEL_LAYERS; l++) {
        const struct model_layer_idx *L = &x->layer[l];
        struct model_layer_acts *la = &a->layer[l];
        const size_t cin = L->in, out = L->out;
        /* one partition at a time, per piece of slices: H_k = X·W_kᵀ + b_k, G (+)= Â_k·H_k */
        gconv_linear_forward(la->G, la->H, X, P(L->gc_w), P(L->gc_b), m->graph, B * T, cin, out);
        lap(m, &t, 0, MPROF_GCN);
        tconv_forward(la->TC, la->G, P(L->tconv_w), a->tconv_ws, B, T, J, out, out, L->dilation);
        lap(m, &t, 0, MPROF_TCONV);
        if (train && sh) {
            /* synchronised BatchNorm: the whole batch's sums about its first row */
            const size_t N_all = sh->B_all * T * J;
            double *shift = a->bn_sums, *s1 = shift + out, *s2 = s1 + out;
            if (sh->first == 0 && B > 0) batchnorm_stats_shift(shift, la->TC, N, out);
            else memset(shift, 0, out * sizeof(double));
            dist_sum_f64(sh->dist, shift, out);
            batchnorm_stats_partial(s1, s2, shift, la->TC, N, out);
            dist_sum_f64(sh->dist, s1, 2 * out);
            batchnorm_stats_finish(la->bn_mean, la->bn_invstd, P(L->bn_mean), P(L->bn_var),
                                   shift, s1, s2, out, N_all, BATCHNORM_MOMENTUM,
                                   BATCHNORM_EPS);
            batchnorm_fold(la->bn_a, la->bn_b, P(L->bn_w), P(L->bn_b), la->bn_mean,
                           la->bn_invstd, out);
            m->bn_batches[l]++;
        } else if (train) {
            batchnorm_forward_train(NULL, la->bn_mean, la->bn_invstd, P(L->bn_mean),
                                    P(L->bn_var), la->TC, NULL, NULL, N, out,
                                    BATCHNORM_MOMENTUM, BATCHNORM_EPS);
            batchnorm_fold(la->bn_a, la->bn_b, P(L->bn_w), P(L->bn_b), la->bn_mean,
                           la->bn_invstd, out);
            m->bn_batches[l]++;
        } else {
            batchnorm_fold_eval(la->bn_a, la->bn_b, P(L->bn_w), P(L->bn_b), P(L->bn_mean),
                                P(L->bn_var), out, BATCHNORM_EPS);
        }
        lap(m, &t, 0, MPROF_BN);
        const float *R = X;
        if (la->R) {
            linear_forward(la->R, X, P(L->res_w), P(L->res_b), N, cin, out);
            lap(m, &t, 0, MPROF_RES_PROJ);
            R = la->R;
        }
        /* BatchNorm's affine, + residual, ReLU, Dropout: one pass (the same bits as four) */
        block_tail_forward_at(la->Y, la->bits, la->TC, la->bn_a, la->bn_b, R, N, out, p, r,
                              (uint64_t)first * T * J * out);
        lap(m, &t, 0, MPROF_ELTWISE);
        X = la->Y;
    }
    joint_mean_forward(a->Hm, X, B * T, J, w.E);
    lap(m, &t, 0, MPROF_JOINT_MEAN);

    layernorm_forward(a->senc_ln, a->senc_mean, a->senc_rstd, in->stats, P(x->senc_ln_w),
                      P(x->senc_ln_b), B, S, LN_EPS);
    linear_forward(a->senc_h, a->senc_ln, P(x->senc_l1_w), P(x->senc_l1_b), B, S, w.SH);
    relu_forward(a->senc_h, a->senc_h, B * w.SH);
    linear_forward(a->s, a->senc_h, P(x->senc_l2_w), P(x->senc_l2_b), B, w.SH, w.SD);
    lap(m, &t, 0, MPROF_SIGNER_ENC);

    struct attention_shape ash = attn_shape(m, B, T);
    struct attention_params ap = attn_params(m);
    attention_forward(a->Hatt, a->Hm, a->s, &ap, &ash, a->attn_ws);
    lap(m, &t, 0, MPROF_ATTENTION);
    struct gru_shape gsh = gru_shape_of(m, B, T);
    struct gru_params gp = gru_params_of(m);
    gru_forward(a->Z, a->Hatt, &gp, &gsh, a->gru_ws);
    lap(m, &t, 0, MPROF_GRU);

    layernorm_forward(a->cls_ln, a->cls_mean, a->cls_rstd, a->Z, P(x->cls_ln_w), P(x->cls_ln_b),
                      B, w.Z, LN_EPS);
    linear_forward(a->cls_u, a->cls_ln, P(x->cls_l1_w), P(x->cls_l1_b), B, w.Z, w.CH);
    gelu_forward(a->cls_v, a->cls_u, B * w.CH);
    if (p > 0.0f) {
        dropout_draw_mask_at(a->cls_mask, B * w.CH, p, r, (uint64_t)first * w.CH);
        dropout_forward(a->cls_v, a->cls_v, a->cls_mask, B * w.CH, p);
    }
    linear_forward(a->logits, a->cls_v, P(x->cls_l2_w), P(x->cls_l2_b), B, w.CH,
                   m->cfg.num_classes);

    if (m->cfg.signer_head) {
        /* gradient reversal is the identity going forward */
        layernorm_forward(a->sh_ln, a->sh_mean, a->sh_rstd, a->Z, P(x->sh_ln_w), P(x->sh_ln_b),
                          B, w.Z, LN_EPS);
        linear_forward(a->sh_h, a->sh_ln, P(x->sh_l1_w), P(x->sh_l1_b), B, w.Z, w.HH);
        relu_forward(a->sh_h, a->sh_h, B * w.HH);
        if (p > 0.0f) {
            dropout_draw_mask_at(a->sh_mask, B * w.HH, p, r, (uint64_t)first * w.HH);
            dropout_forward(a->sh_h, a->sh_h, a->sh_mask, B * w.HH, p);
        }
        linear_forward(a->signer_logits, a->sh_h, P(x->sh_l2_w), P(x->sh_l2_b), B, w.HH,
                       m->cfg.num_signers);
    }
    lap(m, &t, 0, MPROF_HEADS);
}

double model_class_loss(const struct model *m, const int *y, const float *class_weights)
{
    return cross_entropy_loss(NULL, m->act.logits, y, class_weights, m->act.B,
                              m->cfg.num_classes, 1.0f);
}

/* ---- backward ------------------------------------------------------------------------- */

static void zero(float *p, size_t n) { memset(p, 0, n * sizeof(float)); }

void model_backward(struct model *m, const struct model_inputs *in,
                    const struct model_loss_config *lc, struct model_losses *out)
{
    struct model_acts *a = &m->act;
    const struct model_idx *x = &m->idx;
    const size_t B = in->B, T = in->T, J = m->cfg.num_joints, N = B * T * J;
    const size_t K = m->graph->K, S = 2 * m->cfg.coords, NC = m->cfg.num_classes;
    const size_t NS = m->cfg.num_signers;
    const float p = a->train ? m->cfg.dropout : 0.0f;
    const struct widths w = widths_of(m);
    CHECK(a->B == B && a->T == T && a->x == in->x);
    const struct model_shard *sh = in->shard;
    CHECK(!sh || (a->train && a->B_all == sh->B_all && sh->first + B <= sh->B_all));
    memset(out, 0, sizeof *out);
    struct lap t;
    lap_start(m, &t);
    params_zero_grad(&m->pt, PARAM_TRAINED);

    /* Losses on Z's heads, gradients into dZ. */
    zero(a->dZ, B * w.Z);
    zero(a->dlogits, B * NC);
    if (sh)
        out->cls = cross_entropy_smooth_part(
            a->dlogits, a->logits, in->y, lc->class_weights, B, NC, 1.0f, lc->label_smoothing,
            cross_entropy_weight_sum(sh->y_all, lc->class_weights, sh->B_all, NC));
    else
        out->cls = cross_entropy_smooth_loss(a->dlogits, a->logits, in->y, lc->class_weights, B,
                                             NC, 1.0f, lc->label_smoothing);

    /* cls_head backward */
    zero(a->dh1, B * w.CH);
    linear_backward(a->dh1, D(x->cls_l2_w), D(x->cls_l2_b), a->dlogits, a->cls_v, P(x->cls_l2_w),
                    B, w.CH, NC);
    float *dv = a->dh1;
    if (p > 0.0f) {
        zero(a->dh2, B * w.CH);
        dropout_backward(a->dh2, a->dh1, a->cls_mask, B * w.CH, p);
        dv = a->dh2;
    }
    zero(a->dh3, B * w.CH);
    gelu_backward(a->dh3, dv, a->cls_u, B * w.CH);
    zero(a->dh1, B * w.Z);
    linear_backward(a->dh1, D(x->cls_l1_w), D(x->cls_l1_b), a->dh3, a->cls_ln, P(x->cls_l1_w), B,
                    w.Z, w.CH);
    layernorm_backward(a->dZ, D(x->cls_ln_w), D(x->cls_ln_b), a->dh1, a->Z, a->cls_mean,
                       a->cls_rstd, P(x->cls_ln_w), B, w.Z);

    if (m->cfg.signer_head) {
        zero(a->dsig, B * NS);
        double ce = sh ? cross_entropy_smooth_part(a->dsig, a->signer_logits, in->signer, NULL,
                                                   B, NS, lc->signer_loss_weight, 0.0,
                                                   (double)sh->B_all)
                       : cross_entropy_loss(a->dsig, a->signer_logits, in->signer, NULL, B, NS,
                                            lc->signer_loss_weight);
        out->adv = (double)lc->signer_loss_weight * ce;
        zero(a->dh1, B * w.HH);
        linear_backward(a->dh1, D(x->sh_l2_w), D(x->sh_l2_b), a->dsig, a->sh_h, P(x->sh_l2_w), B,
                        w.HH, NS);
        float *dh = a->dh1;
        if (p > 0.0f) {
            zero(a->dh2, B * w.HH);
            dropout_backward(a->dh2, a->dh1, a->sh_mask, B * w.HH, p);
            dh = a->dh2;
        }
        zero(a->dh3, B * w.HH);
        relu_backward(a->dh3, dh, a->sh_h, B * w.HH);
        zero(a->dh1, B * w.Z);
        linear_backward(a->dh1, D(x->sh_l1_w), D(x->sh_l1_b), a->dh3, a->sh_ln, P(x->sh_l1_w), B,
                        w.Z, w.HH);
        zero(a->dZs, B * w.Z);
        layernorm_backward(a->dZs, D(x->sh_ln_w), D(x->sh_ln_b), a->dh1, a->Z, a->sh_mean,
                           a->sh_rstd, P(x->sh_ln_w), B, w.Z);
        grad_reverse_backward(a->dZ, a->dZs, B * w.Z, lc->lambda_grl);
    }

    if (lc->supcon && sh) {
        /* it couples every pair of the batch: every process computes it on the whole
         * batch's Z (gathered) and keeps its rows of the gradient */
        const size_t BA = sh->B_all;
        dist_gather_rows(sh->dist, a->Z_all, a->Z, BA, w.Z);
        zero(a->dZ_all, BA * w.Z);
        double sc = supcon_loss(a->dZ_all, a->Z_all, sh->y_all, BA, w.Z, lc->supcon_temp,
                                lc->supcon_weight, a->supcon_ws);
        const float *mine = a->dZ_all + sh->first * w.Z;
        for (size_t i = 0; i < B * w.Z; i++) a->dZ[i] += mine[i];
        out->supcon = (double)lc->supcon_weight * sc;
    } else if (lc->supcon) {
        double sc = supcon_loss(a->dZ, a->Z, in->y, B, w.Z, lc->supcon_temp,
                                lc->supcon_weight, a->supcon_ws);
        out->supcon = (double)lc->supcon_weight * sc;
    }

    if (m->cfg.use_mi) {
        /* 1. the estimator's step on −mean log q(y|Z) with Z detached */
        params_zero_grad(&m->pt, PARAM_MI);
        mi_forward(m, B);
        zero(a->dsig, B * NS);
        out->mi_estimator =
            sh ? cross_entropy_smooth_part(a->dsig, a->mi_q, in->signer, NULL, B, NS, 1.0f, 0.0,
                                           (double)sh->B_all)
               : club_estimator_loss(a->dsig, a->mi_q, in->signer, B, NS, 1.0f);
        mi_backward(m, B, a->dsig, NULL, true);
        if (sh) /* the estimator's step is on the whole batch's gradient */
            dist_sum_f32(sh->dist, m->pt.grad + m->pt.kind_begin[PARAM_MI],
                         m->pt.kind_end[PARAM_MI] - m->pt.kind_begin[PARAM_MI]);
        adam_step(m->pt.data, m->pt.grad, m->pt.m, m->pt.v, m->pt.kind_begin[PARAM_MI],
                  m->pt.kind_end[PARAM_MI], lc->mi_adam, lc->mi_step);
        /* 2. the bound with the updated, frozen estimator, into dZ */
        mi_forward(m, B);
        zero(a->dsig, B * NS);
        double bound = sh ? club_bound_part(a->dsig, a->mi_q, in->signer, B, NS, lc->mi_weight,
                                            sh->signer_all, sh->B_all)
                          : club_bound(a->dsig, a->mi_q, in->signer, B, NS, lc->mi_weight);
        out->mi = (double)lc->mi_weight * bound;
        mi_backward(m, B, a->dsig, a->dZ, false);
    }
    if (sh) {
        /* each process holds its rows' part of the batch's losses (supcon is whole already) */
        double part[4] = {out->cls, out->adv, out->mi, out->mi_estimator};
        dist_sum_f64(sh->dist, part, 4);
        out->cls = part[0];
        out->adv = part[1];
        out->mi = part[2];
        out->mi_estimator = part[3];
    }
    out->total = out->cls + out->adv + out->supcon + out->mi;

    /* GRU, attention, signer encoder */
    struct gru_shape gsh = gru_shape_of(m, B, T);
    struct gru_params gp = gru_params_of(m);
    struct gru_grads gg;
    for (int d = 0; d < 2; d++) {
        gg.dir[d].w_ih = D(x->gru_wih[d]);
        gg.dir[d].w_hh = D(x->gru_whh[d]);
        gg.dir[d].b_ih = D(x->gru_bih[d]);
        gg.dir[d].b_hh = D(x->gru_bhh[d]);
    }
    lap(m, &t, 1, MPROF_HEADS);
    zero(a->dHatt, B * T * w.E);
    gru_backward(a->dHatt, &gg, a->dZ, a->Hatt, &gp, &gsh, a->gru_ws);
    lap(m, &t, 1, MPROF_GRU);

    struct attention_shape ash = attn_shape(m, B, T);
    struct attention_params ap = attn_params(m);
    struct attention_grads ag = {D(x->q_w), D(x->k_w), D(x->v_w), D(x->o_w),
                                 D(x->ks_w), D(x->ks_b), D(x->vs_w), D(x->vs_b),
                                 D(x->kb_w), D(x->kb_b), D(x->vb_w), D(x->vb_b)};
    zero(a->dHm, B * T * w.E);
    zero(a->ds, B * w.SD);
    attention_backward(a->dHm, a->ds, &ag, a->dHatt, a->Hm, a->s, &ap, &ash, a->attn_ws);
    lap(m, &t, 1, MPROF_ATTENTION);

    zero(a->dsenc_h, B * w.SH);
    linear_backward(a->dsenc_h, D(x->senc_l2_w), D(x->senc_l2_b), a->ds, a->senc_h,
                    P(x->senc_l2_w), B, w.SH, w.SD);
    zero(a->dsenc_h2, B * w.SH);
    relu_backward(a->dsenc_h2, a->dsenc_h, a->senc_h, B * w.SH);
    zero(a->dln_s, B * S);
    linear_backward(a->dln_s, D(x->senc_l1_w), D(x->senc_l1_b), a->dsenc_h2, a->senc_ln,
                    P(x->senc_l1_w), B, S, w.SH);
    layernorm_backward(NULL, D(x->senc_ln_w), D(x->senc_ln_b), a->dln_s, in->stats, a->senc_mean,
                       a->senc_rstd, P(x->senc_ln_w), B, S);
    lap(m, &t, 1, MPROF_SIGNER_ENC);

    /* backbone, last layer first; dY of the last layer from the mean over joints. Three
     * gradient buffers: dY (turned into dS in place), a spare that takes dTC and then dX (the
     * next layer's dY), and dG; dH is the shared forward buffer. */
    float *dY = a->dA, *spare = a->dB, *dG = a->dC;
    zero(dY, N * w.E);
    joint_mean_backward(dY, a->dHm, B * T, J, w.E);
    lap(m, &t, 1, MPROF_JOINT_MEAN);
    for (int l = MODEL_LAYERS - 1; l >= 0; l--) {
        const struct model_layer_idx *L = &x->layer[l];
        struct model_layer_acts *la = &a->layer[l];
        const size_t cin = L->in, outc = L->out, n = N * outc;
        const float *X = l > 0 ? a->layer[l - 1].Y : a->x;
        float *dS = dY; /* d(pre-ReLU sum) = dY·[Y > 0]·dropout scale, in place */
        block_tail_backward(dS, dY, la->bits, n, p);
        lap(m, &t, 1, MPROF_ELTWISE);
        float *dTC = spare; /* overwritten by BatchNorm's backward */
        if (sh) {
            /* synchronised BatchNorm: Σg and Σg·x̂ of the whole batch (one sum of 2·C); the
             * shard that starts the batch adds them to dbeta and dgamma */
            double *sg = a->bn_sums, *sgx = a->bn_sums + outc;
            batchnorm_grad_sums(sg, sgx, dS, la->TC, la->bn_mean, la->bn_invstd, N, outc);
            dist_sum_f64(sh->dist, sg, 2 * outc);
            if (sh->first == 0 && B > 0) {
                float *db = D(L->bn_b), *dg = D(L->bn_w);
                for (size_t c = 0; c < outc; c++) {
                    db[c] += (float)sg[c];
                    dg[c] += (float)sgx[c];
                }
            }
            batchnorm_backward_input_set(dTC, dS, la->TC, P(L->bn_w), la->bn_mean,
                                         la->bn_invstd, sg, sgx, N, outc, sh->B_all * T * J);
        } else if (a->train)
            batchnorm_backward_train_set(dTC, D(L->bn_w), D(L->bn_b), dS, la->TC, P(L->bn_w),
                                         la->bn_mean, la->bn_invstd, N, outc);
        else {
            zero(dTC, n); /* the evaluation-mode backward adds */
            batchnorm_backward_eval(dTC, D(L->bn_w), D(L->bn_b), dS, la->TC, P(L->bn_w),
                                    P(L->bn_mean), P(L->bn_var), N, outc, BATCHNORM_EPS);
        }
        lap(m, &t, 1, MPROF_BN);
        tconv_backward_set(dG, D(L->tconv_w), dTC, la->G, P(L->tconv_w), a->tconv_ws, B, T, J,
                           outc, outc, L->dilation);
        lap(m, &t, 1, MPROF_TCONV);
        float *dX = l > 0 ? spare : NULL; /* dTC is no longer needed; partition 0 overwrites */
        for (size_t k = 0; k < K; k++) { /* dH_k = Â_kᵀ-aggregation of dG, then gc.lin's part k */
            gconv_linear_backward_part(dX, a->dH, dG, P(L->gc_w) + k * outc * cin, m->graph, k,
                                       B * T, cin, outc);
            linear_backward(NULL, D(L->gc_w) + k * outc * cin, D(L->gc_b) + k * outc, a->dH, X,
                            NULL, N, cin, outc);
            lap(m, &t, 1, MPROF_GCN);
        }
        if (la->R) {
            linear_backward(dX, D(L->res_w), D(L->res_b), dS, X, P(L->res_w), N, cin, outc);
            lap(m, &t, 1, MPROF_RES_PROJ);
        } else if (dX) {
            residual_backward(dX, NULL, dS, n);
            lap(m, &t, 1, MPROF_ELTWISE);
        }
        spare = dY;
        dY = dX;
    }
}
