/* attention.c — the signer-aware temporal self-attention of SPEC §3.4 (`attn`).
 *
 * Forward, with N = B·T rows and dh = E/heads:
 *   bias-aware:  X = [H ‖ s] (N, E+S);  q = X·Wqᵀ,  k = X·Wkᵀ,  v = H·Wvᵀ
 *   FiLM:        q = H·Wqᵀ,  k0 = H·Wkᵀ,  v0 = H·Wvᵀ,
 *                γk = tanh(s·Wksᵀ + bks), βk = s·Wkbᵀ + bkb (and γv, βv), per sample,
 *                k = k0 ⊙ (1 + γk) + βk,  v = v0 ⊙ (1 + γv) + βv  (broadcast over T)
 *   per (b, head): P = softmax_j(q_i·k_j / √dh),  ctx_i = Σ_j P_ij v_j
 *   out = H + ctx·Woᵀ
 * Backward (per (b, head), with dctx = dout·Wo):
 *   dP_ij = dctx_i·v_j,  dv_j = Σ_i P_ij dctx_i,  dS_ij = P_ij (dP_ij − Σ_j' P_ij' dP_ij') / √dh,
 *   dq_i = Σ_j dS_ij k_j,  dk_j = Σ_i dS_ij q_i
 * then back through the projections (and FiLM: dk0 = dk ⊙ (1+γk), dγk = Σ_t dk ⊙ k0,
 * dβk = Σ_t dk, through tanh to the nets' pre-activations, then to s).
 *
 * A softmax row is invariant to adding a constant to its scores; s enters k identically for
 * every frame j, so s·Wk[:, E:]ᵀ (and FiLM's βk) add a per-row constant to q_i·k_j: their
 * gradients are zero up to rounding. They are still computed, as PyTorch does.
 *
 * Optimised path: the projections are cblas GEMMs over all N rows (nn/linear.c), the per-(b,
 * head) attention core runs under OpenMP with one (b, head) per iteration, each owning its
 * slice of P, ctx, dq, dk, dv. The plain path (_ref) uses the plain-loop Linear and runs the
 * same core serially: the test compares the two. Scores, softmax denominators and all core
 * dot products accumulate in double; sums over T for the FiLM and s gradients are in double
 * in frame order, so results are bit-identical for a given thread count.
 */
#include "nn/attention.h"

#include <math.h>
#include <string.h>

#include "core/error.h"
#include "nn/linear.h"

/* Workspace layout (offsets in floats). Saved by the forward: X (bias-aware only), q, k, v,
 * k0, v0, gk, gv, bk, bv (FiLM only), P, ctx. Scratch for the backward: dctx, dq, dk, dv,
 * dP, dX (bias-aware), dak, dav, dbk, dbv (FiLM). */
struct attn_ws {
    float *X, *q, *k, *v, *k0, *v0, *gk, *gv, *bk, *bv, *P, *ctx;
    float *dctx, *dq, *dk, *dv, *dP, *dX, *dak, *dav, *dbk, *dbv;
};

static size_t attn_layout(const struct attention_shape *sh, float *base, struct attn_ws *w)
{
    size_t N = sh->B * sh->T, E = sh->E, BE = sh->B * E, NE = N * E;
    size_t PP = sh->B * sh->heads * sh->T * sh->T;
    size_t nX = sh->film ? 0 : N * (E + sh->S), nF = sh->film ? 1 : 0;
    size_t sizes[22] = {nX,       NE,      NE,      NE,      nF * NE, nF * NE, nF * BE, nF * BE,
                        nF * BE,  nF * BE, PP,      NE,      NE,      NE,      NE,      NE,
                        PP,       nX,      nF * BE, nF * BE, nF * BE, nF * BE};
    float **slots[22] = {&w->X,    &w->q,  &w->k,   &w->v,   &w->k0,  &w->v0,  &w->gk, &w->gv,
                         &w->bk,   &w->bv, &w->P,   &w->ctx, &w->dctx, &w->dq, &w->dk, &w->dv,
                         &w->dP,   &w->dX, &w->dak, &w->dav, &w->dbk, &w->dbv};
    size_t off = 0;
    for (size_t i = 0; i < 22; i++) {
        if (base) *slots[i] = sizes[i] ? base + off : NULL;
        off += sizes[i];
    }
    return off;
}

size_t attention_workspace_size(const struct attention_shape *sh)
{
    struct attn_ws w;
    return attn_layout(sh, NULL, &w);
}

static void lin_fwd(bool ref, float *out, const float *in, const float *W, const float *b,
                    size_t N, size_t Din, size_t Dout)
{
    if (ref)
        linear_forward_ref(out, in, W, b, N, Din, Dout);
    else
        linear_forward(out, in, W, b, N, Din, Dout);
}

static void lin_bwd(bool ref, float *din, float *dW, float *db, const float *dout,
                    const float *in, const float *W, size_t N, size_t Din, size_t Dout)
{
    if (ref)
        linear_backward_ref(din, dW, db, dout, in, W, N, Din, Dout);
    else
        linear_backward(din, dW, db, dout, in, W, N, Din, Dout);
}

/* Softmax attention for one (b, head): P (T,T) and ctx rows; q, k, v, ctx point at the
 * head's first channel of sample b, rows E apart. */
static void core_forward(float *P, float *ctx, const float *q, const float *k, const float *v,
                         size_t T, size_t E, size_t dh, double scale)
{
    for (size_t i = 0; i < T; i++) {
        float *Pi = P + i * T;
        double mx = -INFINITY;
        for (size_t j = 0; j < T; j++) {
            double sc = 0.0;
            for (size_t c = 0; c < dh; c++) sc += (double)q[i * E + c] * (double)k[j * E + c];
            sc *= scale;
            Pi[j] = (float)sc;
            if (sc > mx) mx = sc;
        }
        /* Scores were rounded to float when stored; recomputing them in double would cost a
         * second pass for no measurable gain, so the exponentials use the stored scores. */
        double den = 0.0;
        for (size_t j = 0; j < T; j++) den += exp((double)Pi[j] - (double)(float)mx);
        for (size_t j = 0; j < T; j++)
            Pi[j] = (float)(exp((double)Pi[j] - (double)(float)mx) / den);
        for (size_t c = 0; c < dh; c++) {
            double a = 0.0;
            for (size_t j = 0; j < T; j++) a += (double)Pi[j] * (double)v[j * E + c];
            ctx[i * E + c] = (float)a;
        }
    }
}

/* Backward of core_forward for one (b, head): writes (not adds) dq, dk, dv rows of the head;
 * dP (T,T) is scratch. */
static void core_backward(float *dq, float *dk, float *dv, float *dP, const float *dctx,
                          const float *P, const float *q, const float *k, const float *v,
                          size_t T, size_t E, size_t dh, double scale)
{
    for (size_t i = 0; i < T; i++) {
        double rowdot = 0.0;
        for (size_t j = 0; j < T; j++) {
            double a = 0.0;
            for (size_t c = 0; c < dh; c++) a += (double)dctx[i * E + c] * (double)v[j * E + c];
            dP[i * T + j] = (float)a;
            rowdot += a * (double)P[i * T + j];
        }
        for (size_t j = 0; j < T; j++)
            dP[i * T + j] =
                (float)((double)P[i * T + j] * ((double)dP[i * T + j] - rowdot) * scale);
    }
    /* dP now holds dS. */
    for (size_t j = 0; j < T; j++)
        for (size_t c = 0; c < dh; c++) {
            double a = 0.0, b = 0.0;
            for (size_t i = 0; i < T; i++) {
                a += (double)P[i * T + j] * (double)dctx[i * E + c];
                b += (double)dP[i * T + j] * (double)q[i * E + c];
            }
            dv[j * E + c] = (float)a;
            dk[j * E + c] = (float)b;
        }
    for (size_t i = 0; i < T; i++)
        for (size_t c = 0; c < dh; c++) {
            double a = 0.0;
            for (size_t j = 0; j < T; j++) a += (double)dP[i * T + j] * (double)k[j * E + c];
            dq[i * E + c] = (float)a;
        }
}

static void check_shape(const struct attention_shape *sh)
{
    CHECK(sh->heads > 0 && sh->E % sh->heads == 0);
    CHECK(sh->S > 0);
}

static void attn_forward(bool ref, float *out, const float *H, const float *s,
                         const struct attention_params *p, const struct attention_shape *sh,
                         float *ws)
{
    check_shape(sh);
    struct attn_ws w;
    attn_layout(sh, ws, &w);
    size_t B = sh->B, T = sh->T, E = sh->E, S = sh->S, N = B * T, nh = sh->heads;
    size_t dh = E / nh;
    if (!sh->film) {
        size_t Din = E + S;
        for (size_t b = 0; b < B; b++)
            for (size_t t = 0; t < T; t++) {
                float *x = w.X + (b * T + t) * Din;
                memcpy(x, H + (b * T + t) * E, E * sizeof *x);
                memcpy(x + E, s + b * S, S * sizeof *x);
            }
        lin_fwd(ref, w.q, w.X, p->q_proj, NULL, N, Din, E);
        lin_fwd(ref, w.k, w.X, p->k_proj, NULL, N, Din, E);
        lin_fwd(ref, w.v, H, p->v_proj, NULL, N, E, E);
    } else {
        lin_fwd(ref, w.q, H, p->q_proj, NULL, N, E, E);
        lin_fwd(ref, w.k0, H, p->k_proj, NULL, N, E, E);
        lin_fwd(ref, w.v0, H, p->v_proj, NULL, N, E, E);
        lin_fwd(ref, w.gk, s, p->k_scale_w, p->k_scale_b, B, S, E);
        lin_fwd(ref, w.gv, s, p->v_scale_w, p->v_scale_b, B, S, E);
        lin_fwd(ref, w.bk, s, p->k_shift_w, p->k_shift_b, B, S, E);
        lin_fwd(ref, w.bv, s, p->v_shift_w, p->v_shift_b, B, S, E);
        for (size_t i = 0; i < B * E; i++) {
            w.gk[i] = tanhf(w.gk[i]);
            w.gv[i] = tanhf(w.gv[i]);
        }
        for (size_t b = 0; b < B; b++)
            for (size_t t = 0; t < T; t++)
                for (size_t e = 0; e < E; e++) {
                    size_t i = (b * T + t) * E + e, j = b * E + e;
                    w.k[i] = w.k0[i] * (1.0f + w.gk[j]) + w.bk[j];
                    w.v[i] = w.v0[i] * (1.0f + w.gv[j]) + w.bv[j];
                }
    }
    double scale = 1.0 / sqrt((double)dh);
    size_t nbh = B * nh;
    if (ref) {
        for (size_t bh = 0; bh < nbh; bh++) {
            size_t b = bh / nh, h = bh % nh, o = b * T * E + h * dh;
            core_forward(w.P + bh * T * T, w.ctx + o, w.q + o, w.k + o, w.v + o, T, E, dh, scale);
        }
    } else {
#pragma omp parallel for schedule(static)
        for (size_t bh = 0; bh < nbh; bh++) {
            size_t b = bh / nh, h = bh % nh, o = b * T * E + h * dh;
            core_forward(w.P + bh * T * T, w.ctx + o, w.q + o, w.k + o, w.v + o, T, E, dh, scale);
        }
    }
    lin_fwd(ref, out, w.ctx, p->out_proj, NULL, N, E, E);
    for (size_t i = 0; i < N * E; i++) out[i] += H[i];
}

/* Σ_t over frames of a (B,T,E) product for one (b, e), in double in frame order. */
static void film_backward(float *da, float *dbeta, float *dX, const float *gamma,
                          const float *x0, size_t B, size_t T, size_t E)
{
    /* On entry dX holds dL/d(x0 ⊙ (1+γ) + β); on exit dL/dx0. da gets dL/d(pre-tanh γ),
     * dbeta dL/dβ (both (B,E), overwritten). */
    for (size_t b = 0; b < B; b++)
        for (size_t e = 0; e < E; e++) {
            double sg = 0.0, sb = 0.0;
            float g = gamma[b * E + e];
            for (size_t t = 0; t < T; t++) {
                size_t i = (b * T + t) * E + e;
                sg += (double)dX[i] * (double)x0[i];
                sb += (double)dX[i];
                dX[i] *= 1.0f + g;
            }
            da[b * E + e] = (float)(sg * (1.0 - (double)g * (double)g));
            dbeta[b * E + e] = (float)sb;
        }
}

static void attn_backward(bool ref, float *dH, float *ds, const struct attention_grads *g,
                          const float *dout, const float *H, const float *s,
                          const struct attention_params *p, const struct attention_shape *sh,
                          float *ws)
{
    check_shape(sh);
    struct attn_ws w;
    attn_layout(sh, ws, &w);
    size_t B = sh->B, T = sh->T, E = sh->E, S = sh->S, N = B * T, nh = sh->heads;
    size_t dh = E / nh;
    double scale = 1.0 / sqrt((double)dh);

    if (dH)
        for (size_t i = 0; i < N * E; i++) dH[i] += dout[i];
    memset(w.dctx, 0, N * E * sizeof *w.dctx);
    lin_bwd(ref, w.dctx, g->out_proj, NULL, dout, w.ctx, p->out_proj, N, E, E);

    size_t nbh = B * nh;
    if (ref) {
        for (size_t bh = 0; bh < nbh; bh++) {
            size_t b = bh / nh, h = bh % nh, o = b * T * E + h * dh;
            core_backward(w.dq + o, w.dk + o, w.dv + o, w.dP + bh * T * T, w.dctx + o,
                          w.P + bh * T * T, w.q + o, w.k + o, w.v + o, T, E, dh, scale);
        }
    } else {
#pragma omp parallel for schedule(static)
        for (size_t bh = 0; bh < nbh; bh++) {
            size_t b = bh / nh, h = bh % nh, o = b * T * E + h * dh;
            core_backward(w.dq + o, w.dk + o, w.dv + o, w.dP + bh * T * T, w.dctx + o,
                          w.P + bh * T * T, w.q + o, w.k + o, w.v + o, T, E, dh, scale);
        }
    }

    if (!sh->film) {
        size_t Din = E + S;
        bool need_dX = dH || ds;
        if (need_dX) memset(w.dX, 0, N * Din * sizeof *w.dX);
        lin_bwd(ref, need_dX ? w.dX : NULL, g->q_proj, NULL, w.dq, w.X, p->q_proj, N, Din, E);
        lin_bwd(ref, need_dX ? w.dX : NULL, g->k_proj, NULL, w.dk, w.X, p->k_proj, N, Din, E);
        lin_bwd(ref, dH, g->v_proj, NULL, w.dv, H, p->v_proj, N, E, E);
        if (dH)
            for (size_t n = 0; n < N; n++)
                for (size_t e = 0; e < E; e++) dH[n * E + e] += w.dX[n * Din + e];
        if (ds)
            for (size_t b = 0; b < B; b++)
                for (size_t c = 0; c < S; c++) {
                    double a = 0.0;
                    for (size_t t = 0; t < T; t++) a += (double)w.dX[(b * T + t) * Din + E + c];
                    ds[b * S + c] += (float)a;
                }
    } else {
        film_backward(w.dak, w.dbk, w.dk, w.gk, w.k0, B, T, E);
        film_backward(w.dav, w.dbv, w.dv, w.gv, w.v0, B, T, E);
        lin_bwd(ref, ds, g->k_scale_w, g->k_scale_b, w.dak, s, p->k_scale_w, B, S, E);
        lin_bwd(ref, ds, g->v_scale_w, g->v_scale_b, w.dav, s, p->v_scale_w, B, S, E);
        lin_bwd(ref, ds, g->k_shift_w, g->k_shift_b, w.dbk, s, p->k_shift_w, B, S, E);
        lin_bwd(ref, ds, g->v_shift_w, g->v_shift_b, w.dbv, s, p->v_shift_w, B, S, E);
        lin_bwd(ref, dH, g->q_proj, NULL, w.dq, H, p->q_proj, N, E, E);
        lin_bwd(ref, dH, g->k_proj, NULL, w.dk, H, p->k_proj, N, E, E);
        lin_bwd(ref, dH, g->v_proj, NULL, w.dv, H, p->v_proj, N, E, E);
    }
}

void attention_forward(float *out, const float *H, const float *s, const struct attention_params *p,
                       const struct attention_shape *sh, float *ws)
{
    attn_forward(false, out, H, s, p, sh, ws);
}

void attention_backward(float *dH, float *ds, const struct attention_grads *g,
                        const float *dout, const float *H, const float *s,
                        const struct attention_params *p, const struct attention_shape *sh,
                        float *ws)
{
    attn_backward(false, dH, ds, g, dout, H, s, p, sh, ws);
}

void attention_forward_ref(float *out, const float *H, const float *s,
                           const struct attention_params *p, const struct attention_shape *sh,
                           float *ws)
{
    attn_forward(true, out, H, s, p, sh, ws);
}

void attention_backward_ref(float *dH, float *ds, const struct attention_grads *g,
                            const float *dout, const float *H, const float *s,
                            const struct attention_params *p, const struct attention_shape *sh,
                            float *ws)
{
    attn_backward(true, dH, ds, g, dout, H, s, p, sh, ws);
}
