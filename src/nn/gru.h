/* gru.h — one bidirectional GRU layer over time (torch.nn.GRU(E, G, batch_first=True,
 * bidirectional=True)), reduced to its final states (SPEC §3.5), forward and backward.
 *
 * Conventions as in linear.h (raw floats, shapes as arguments, backward ADDS, NULL gradient
 * pointers skip that gradient). A caller-provided workspace of gru_workspace_size() floats
 * holds what the forward saves for the backward (hand the same, untouched workspace to the
 * backward) and the backward's scratch. Nothing is allocated.
 */
#ifndef SG_NN_GRU_H
#define SG_NN_GRU_H

#include <stddef.h>

struct gru_shape {
    size_t B, T; /* batch, frames */
    size_t E;    /* input width (128) */
    size_t G;    /* hidden size per direction (256) */
};

/* One direction's parameters, PyTorch layouts: w_ih (3G,E) = weight_ih_l0[_reverse], rows
 * [r; z; n]; w_hh (3G,G) = weight_hh_l0[_reverse]; b_ih, b_hh (3G) = bias_ih_l0, bias_hh_l0. */
struct gru_dir_params {
    const float *w_ih, *w_hh, *b_ih, *b_hh;
};
struct gru_dir_grads {
    float *w_ih, *w_hh, *b_ih, *b_hh; /* each may be NULL */
};
/* [0] forward direction (`_l0`), [1] reverse direction (`_l0_reverse`). */
struct gru_params {
    struct gru_dir_params dir[2];
};
struct gru_grads {
    struct gru_dir_grads dir[2];
};

size_t gru_workspace_size(const struct gru_shape *sh);

/* Z (B,2G) = [h_fwd after frame T−1 ‖ h_bwd after frame 0]; X (B,T,E); zero initial state.
 *   r = σ(W_ir x + b_ir + W_hr h + b_hr),  z = σ(W_iz x + b_iz + W_hz h + b_hz),
 *   n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)),  h' = (1 − z) ⊙ n + z ⊙ h. */
void gru_forward(float *Z, const float *X, const struct gru_params *p, const struct gru_shape *sh,
                 float *ws);

/* dX (B,T,E) += dL/dX (may be NULL) and g += the parameter gradients, given dZ (B,2G); X, p
 * and ws as given to the forward. */
void gru_backward(float *dX, const struct gru_grads *g, const float *dZ, const float *X,
                  const struct gru_params *p, const struct gru_shape *sh, float *ws);

/* Plain-loop versions (no BLAS, no threads): the test oracle. Same workspace contract. */
void gru_forward_ref(float *Z, const float *X, const struct gru_params *p,
                     const struct gru_shape *sh, float *ws);
void gru_backward_ref(float *dX, const struct gru_grads *g, const float *dZ, const float *X,
                      const struct gru_params *p, const struct gru_shape *sh, float *ws);

#endif
