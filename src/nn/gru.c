/* gru.c — bidirectional single-layer GRU reduced to its final states (SPEC §3.5,
 * `temporal.gru`), with PyTorch's gate equations, layouts and zero initial state.
 *
 * Forward, per direction (the reverse one walks the frames T−1 … 0):
 *   1. the input projections of all frames at once, one GEMM: XP = X·W_ihᵀ + b_ih (B·T, 3G);
 *   2. for each step s: HP = h·W_hhᵀ + b_hh (one (B,G)×(G,3G) GEMM), then per element
 *      r = σ(XP_r + HP_r), z = σ(XP_z + HP_z), n = tanh(XP_n + r ⊙ HP_n),
 *      h' = (1 − z) ⊙ n + z ⊙ h.
 *   The workspace keeps every step's input state h, r, z, n and HP_n for the backward.
 * Backward through time (per step, from the last one back), with dh the gradient of the state
 * the step produced:
 *   dn = dh ⊙ (1−z), dz = dh ⊙ (h − n), da_n = dn ⊙ (1−n²), da_r = da_n ⊙ HP_n ⊙ r(1−r),
 *   da_z = dz ⊙ z(1−z); input-side gate gradients [da_r; da_z; da_n], hidden-side
 *   [da_r; da_z; da_n ⊙ r]; dh_prev = dh ⊙ z + [hidden-side]·W_hh.
 * The gate gradients of all steps are kept, so the weight gradients are one GEMM each at the
 * end: dW_ih += DGIᵀ·X, dW_hh += DGHᵀ·Hprev, dX += DGI·W_ih, bias sums in double.
 *
 * Layout: XP and DGI are batch-major (row b·T + t, like X); the states, gates and DGH are
 * step-major (row s·B + b) so that a step's B rows are contiguous for its GEMM.
 * Threading: the two directions are independent until Z, so each direction's whole recurrence
 * (T small GEMMs and gate loops, forward or backward) runs on one thread, the two directions
 * as the two iterations of one OpenMP loop: no barrier per step. A (B,G)×(G,3G) product is too
 * small to share between threads, and with a barrier per step (three per step before) one
 * descheduled thread stalled the other at every step: on two cores with one busy process
 * the GRU took 17× its single-thread time. OpenBLAS runs single-threaded inside the region.
 * The large GEMMs over all frames (input projections, weight gradients) run outside it,
 * threaded by OpenBLAS. Each direction's results come from one thread, so they do not depend
 * on the thread count. The _ref versions use the plain-loop Linear and serial loops.
 */
#include "nn/gru.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "nn/linear.h"

struct gru_ws_dir {
    float *xp;            /* (B·T, 3G) input projections, batch-major */
    float *hs;            /* (T+1, B, G) state entering step s (hs[0] = 0), then the last */
    float *r, *z, *n, *hn; /* (T, B, G) gates and HP_n per step */
    float *hp;            /* (B, 3G) scratch: the step's hidden projection */
    float *dgi;           /* (B·T, 3G) input-side gate gradients, batch-major */
    float *dgh;           /* (T·B, 3G) hidden-side gate gradients, step-major */
    float *dh, *dh2;      /* (B, G) running state gradient */
};

static size_t gru_layout(const struct gru_shape *sh, float *base, struct gru_ws_dir w[2])
{
    size_t B = sh->B, T = sh->T, G = sh->G;
    size_t sizes[11] = {B * T * 3 * G, (T + 1) * B * G, T * B * G, T * B * G, T * B * G,
                        T * B * G,     B * 3 * G,       B * T * 3 * G, T * B * 3 * G, B * G,
                        B * G};
    size_t off = 0;
    for (int d = 0; d < 2; d++) {
        float **slots[11] = {&w[d].xp, &w[d].hs, &w[d].r,   &w[d].z,   &w[d].n, &w[d].hn,
                             &w[d].hp, &w[d].dgi, &w[d].dgh, &w[d].dh, &w[d].dh2};
        for (int i = 0; i < 11; i++) {
            if (base) *slots[i] = base + off;
            off += sizes[i];
        }
    }
    return off;
}

size_t gru_workspace_size(const struct gru_shape *sh)
{
    struct gru_ws_dir w[2];
    return gru_layout(sh, NULL, w);
}

static float sigmoidf(float x) { return 1.0f / (1.0f + expf(-x)); }

/* Frame processed at step s of direction d. */
static size_t frame_of(int d, size_t s, size_t T) { return d == 0 ? s : T - 1 - s; }

/* Element-wise gate work of step s, direction d, sample b (forward). */
static void step_forward(struct gru_ws_dir *w, int d, size_t s, size_t b, size_t B, size_t T,
                         size_t G)
{
    size_t t = frame_of(d, s, T);
    const float *xp = w->xp + (b * T + t) * 3 * G, *hp = w->hp + b * 3 * G;
    const float *h = w->hs + (s * B + b) * G;
    float *hn1 = w->hs + ((s + 1) * B + b) * G;
    size_t o = (s * B + b) * G;
    for (size_t j = 0; j < G; j++) {
        float r = sigmoidf(xp[j] + hp[j]);
        float z = sigmoidf(xp[G + j] + hp[G + j]);
        float hn = hp[2 * G + j];
        float n = tanhf(xp[2 * G + j] + r * hn);
        hn1[j] = (1.0f - z) * n + z * h[j];
        w->r[o + j] = r;
        w->z[o + j] = z;
        w->n[o + j] = n;
        w->hn[o + j] = hn;
    }
}

/* Element-wise gate gradients of step s, direction d, sample b (backward): fills the gate
 * gradient rows and sets dh2 to the direct part dh ⊙ z of dh_prev. */
static void step_backward(struct gru_ws_dir *w, int d, size_t s, size_t b, size_t B, size_t T,
                          size_t G)
{
    size_t t = frame_of(d, s, T);
    size_t o = (s * B + b) * G;
    const float *h = w->hs + o, *dh = w->dh + b * G;
    float *gi = w->dgi + (b * T + t) * 3 * G, *gh = w->dgh + (s * B + b) * 3 * G;
    float *dh2 = w->dh2 + b * G;
    for (size_t j = 0; j < G; j++) {
        float r = w->r[o + j], z = w->z[o + j], n = w->n[o + j], hn = w->hn[o + j];
        float dn = dh[j] * (1.0f - z);
        float dz = dh[j] * (h[j] - n);
        float dan = dn * (1.0f - n * n);
        float dar = dan * hn * r * (1.0f - r);
        float daz = dz * z * (1.0f - z);
        gi[j] = dar;
        gi[G + j] = daz;
        gi[2 * G + j] = dan;
        gh[j] = dar;
        gh[G + j] = daz;
        gh[2 * G + j] = dan * r;
        dh2[j] = dh[j] * z;
    }
}

static void gru_fwd(bool ref, float *Z, const float *X, const struct gru_params *p,
                    const struct gru_shape *sh, float *ws)
{
    size_t B = sh->B, T = sh->T, E = sh->E, G = sh->G;
    struct gru_ws_dir w[2];
    gru_layout(sh, ws, w);
    for (int d = 0; d < 2; d++) {
        const struct gru_dir_params *q = &p->dir[d];
        if (ref)
            linear_forward_ref(w[d].xp, X, q->w_ih, q->b_ih, B * T, E, 3 * G);
        else
            linear_forward(w[d].xp, X, q->w_ih, q->b_ih, B * T, E, 3 * G);
        memset(w[d].hs, 0, B * G * sizeof(float));
    }
#pragma omp parallel for schedule(static) if (!ref)
    for (int d = 0; d < 2; d++) {
        const struct gru_dir_params *q = &p->dir[d];
        for (size_t s = 0; s < T; s++) {
            const float *h = w[d].hs + s * B * G;
            if (ref)
                linear_forward_ref(w[d].hp, h, q->w_hh, q->b_hh, B, G, 3 * G);
            else
                linear_forward(w[d].hp, h, q->w_hh, q->b_hh, B, G, 3 * G);
            for (size_t b = 0; b < B; b++) step_forward(&w[d], d, s, b, B, T, G);
        }
    }
    for (size_t b = 0; b < B; b++)
        for (int d = 0; d < 2; d++)
            memcpy(Z + b * 2 * G + (size_t)d * G, w[d].hs + (T * B + b) * G, G * sizeof(float));
}

static void gru_bwd(bool ref, float *dX, const struct gru_grads *g, const float *dZ,
                    const float *X, const struct gru_params *p, const struct gru_shape *sh,
                    float *ws)
{
    size_t B = sh->B, T = sh->T, E = sh->E, G = sh->G;
    struct gru_ws_dir w[2];
    gru_layout(sh, ws, w);
    for (int d = 0; d < 2; d++)
        for (size_t b = 0; b < B; b++)
            memcpy(w[d].dh + b * G, dZ + b * 2 * G + (size_t)d * G, G * sizeof(float));
#pragma omp parallel for schedule(static) if (!ref)
    for (int d = 0; d < 2; d++) {
        for (size_t s = T; s-- > 0;) {
            for (size_t b = 0; b < B; b++) step_backward(&w[d], d, s, b, B, T, G);
            const float *gh = w[d].dgh + s * B * 3 * G;
            if (ref)
                linear_backward_ref(w[d].dh2, NULL, NULL, gh, NULL, p->dir[d].w_hh, B, G, 3 * G);
            else
                linear_backward(w[d].dh2, NULL, NULL, gh, NULL, p->dir[d].w_hh, B, G, 3 * G);
            float *tmp = w[d].dh;
            w[d].dh = w[d].dh2;
            w[d].dh2 = tmp;
        }
    }
    for (int d = 0; d < 2; d++) {
        const struct gru_dir_params *q = &p->dir[d];
        const struct gru_dir_grads *gd = &g->dir[d];
        if (ref) {
            linear_backward_ref(NULL, gd->w_hh, gd->b_hh, w[d].dgh, w[d].hs, q->w_hh, T * B, G,
                                3 * G);
            linear_backward_ref(dX, gd->w_ih, gd->b_ih, w[d].dgi, X, q->w_ih, B * T, E, 3 * G);
        } else {
            linear_backward(NULL, gd->w_hh, gd->b_hh, w[d].dgh, w[d].hs, q->w_hh, T * B, G,
                            3 * G);
            linear_backward(dX, gd->w_ih, gd->b_ih, w[d].dgi, X, q->w_ih, B * T, E, 3 * G);
        }
    }
}

void gru_forward(float *Z, const float *X, const struct gru_params *p, const struct gru_shape *sh,
                 float *ws)
{
    gru_fwd(false, Z, X, p, sh, ws);
}

void gru_backward(float *dX, const struct gru_grads *g, const float *dZ, const float *X,
                  const struct gru_params *p, const struct gru_shape *sh, float *ws)
{
    gru_bwd(false, dX, g, dZ, X, p, sh, ws);
}

void gru_forward_ref(float *Z, const float *X, const struct gru_params *p,
                     const struct gru_shape *sh, float *ws)
{
    gru_fwd(true, Z, X, p, sh, ws);
}

void gru_backward_ref(float *dX, const struct gru_grads *g, const float *dZ, const float *X,
                      const struct gru_params *p, const struct gru_shape *sh, float *ws)
{
    gru_bwd(true, dX, g, dZ, X, p, sh, ws);
}
