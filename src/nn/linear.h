/* linear.h — y = x·Wᵀ + b over the last dimension (torch.nn.Linear), forward and backward.
 *
 * Conventions for every layer in src/nn (after llm.c): plain functions on raw float arrays with
 * the shapes as arguments; no state, no allocation; backward functions ADD (+=) into the
 * gradients they produce (the model zeroes gradients once per step); a gradient pointer may be
 * NULL when that gradient is not needed. Activations are row-major with channels last, so a
 * (B,T,J,C) tensor is an (N = B·T·J, C) matrix for a per-joint Linear.
 */
#ifndef SG_NN_LINEAR_H
#define SG_NN_LINEAR_H

#include <stddef.h>

/* out (N,Dout) = in (N,Din) · W(Dout,Din)ᵀ + b(Dout); b may be NULL. */
void linear_forward(float *out, const float *in, const float *W, const float *b, size_t N,
                    size_t Din, size_t Dout);

/* din (N,Din) += dout·W; dW (Dout,Din) += doutᵀ·in; db (Dout) += Σ_n dout[n,:]. Any of din, dW, db may
 * be NULL. */
void linear_backward(float *din, float *dW, float *db, const float *dout, const float *in,
                     const float *W, size_t N, size_t Din, size_t Dout);

/* Plain-loop versions: the test oracle for the cblas path. */
void linear_forward_ref(float *out, const float *in, const float *W, const float *b, size_t N,
                        size_t Din, size_t Dout);
void linear_backward_ref(float *din, float *dW, float *db, const float *dout, const float *in,
                         const float *W, size_t N, size_t Din, size_t Dout);

#endif
