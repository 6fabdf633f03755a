/* attention.h — signer-aware temporal self-attention (SPEC §3.4), forward and backward.
 *
 * H_att = H + out_proj( softmax(q kᵀ / √dh) · v ), per head, over time, no dropout, no
 * projection biases. Two variants:
 *   bias-aware (film = false): q, k = [H ‖ s]·Wᵀ with W (E, E+S) — H's E channels first, then
 *     the S channels of the signer embedding s broadcast over T; v = H·Wvᵀ, Wv (E,E).
 *   FiLM (film = true): q, k, v = H·Wᵀ with W (E,E); then
 *     k ← k ⊙ (1 + tanh(s·Wksᵀ + bks)) + (s·Wkbᵀ + bkb), and the same for v with its own nets.
 * Head h uses channels h·dh … h·dh+dh−1, dh = E / heads.
 *
 * Conventions as in linear.h (raw floats, shapes as arguments, backward ADDS, NULL gradient
 * pointers skip that gradient). The layer needs a caller-provided workspace of
 * attention_workspace_size() floats: the forward stores there what the backward reads (so
 * the same workspace must go to the backward, untouched in between), and the backward uses
 * the rest as scratch. Nothing is allocated.
 */
#ifndef SG_NN_ATTENTION_H
#define SG_NN_ATTENTION_H

#include <stdbool.h>
#include <stddef.h>

struct attention_shape {
    size_t B, T;   /* batch, frames */
    size_t E;      /* model width (128) */
    size_t heads;  /* 4; E % heads == 0 */
    size_t S;      /* signer embedding width (64) */
    bool film;     /* false: bias-aware (default), true: FiLM */
};

/* Parameters, PyTorch layouts (state_dict names in brackets).
 *   q_proj, k_proj [attn.q_proj.weight, attn.k_proj.weight]: (E, E+S) bias-aware, (E,E) FiLM
 *   v_proj, out_proj [attn.v_proj.weight, attn.out_proj.weight]: (E,E)
 *   FiLM only (NULL otherwise): k_scale_w (E,S), k_scale_b (E) [attn.k_scale_net.0.*],
 *   v_scale_w, v_scale_b [attn.v_scale_net.0.*], k_shift_w, k_shift_b [attn.k_shift_net.*],
 *   v_shift_w, v_shift_b [attn.v_shift_net.*]. */
struct attention_params {
    const float *q_proj, *k_proj, *v_proj, *out_proj;
    const float *k_scale_w, *k_scale_b, *v_scale_w, *v_scale_b;
    const float *k_shift_w, *k_shift_b, *v_shift_w, *v_shift_b;
};

/* Gradients, same shapes; each pointer may be NULL (that gradient is skipped). */
struct attention_grads {
    float *q_proj, *k_proj, *v_proj, *out_proj;
    float *k_scale_w, *k_scale_b, *v_scale_w, *v_scale_b;
    float *k_shift_w, *k_shift_b, *v_shift_w, *v_shift_b;
};

/* Workspace length in floats for this shape. */
size_t attention_workspace_size(const struct attention_shape *sh);

/* out (B,T,E) = H + Attn(H, s); H (B,T,E), s (B,S); ws as above. out must not alias H. */
void attention_forward(float *out, const float *H, const float *s, const struct attention_params *p,
                       const struct attention_shape *sh, float *ws);

/* dH (B,T,E) += dL/dH (the residual path included), ds (B,S) += dL/ds, g += the parameter
 * gradients; dout (B,T,E); H, s, p and ws as given to the forward. dH and ds may be NULL. */
void attention_backward(float *dH, float *ds, const struct attention_grads *g,
                        const float *dout, const float *H, const float *s,
                        const struct attention_params *p, const struct attention_shape *sh,
                        float *ws);

/* Plain-loop versions (double accumulation, no BLAS, no threads): the test oracle. Same
 * workspace contract. */
void attention_forward_ref(float *out, const float *H, const float *s,
                           const struct attention_params *p, const struct attention_shape *sh,
                           float *ws);
void attention_backward_ref(float *dH, float *ds, const struct attention_grads *g,
                            const float *dout, const float *H, const float *s,
                            const struct attention_params *p, const struct attention_shape *sh,
                            float *ws);

#endif
