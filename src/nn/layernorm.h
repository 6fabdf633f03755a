/* layernorm.h — torch.nn.LayerNorm over the last dimension, forward and backward.
 *
 * Conventions as in linear.h: raw floats, shapes as arguments, no state, no allocation,
 * backward ADDS into the gradients it produces, and a gradient pointer may be NULL.
 */
#ifndef SG_NN_LAYERNORM_H
#define SG_NN_LAYERNORM_H

#include <stddef.h>

/* PyTorch: y = (x − E[x]) / sqrt(Var[x] + eps) · weight + bias, Var biased (÷D).
 * out, in (N,D); weight, bias (D); mean, rstd (N) are written for the backward
 * (rstd = 1/sqrt(var + eps)). The statistics are accumulated in double. */
void layernorm_forward(float *out, float *mean, float *rstd, const float *in,
                       const float *weight, const float *bias, size_t N, size_t D, float eps);

/* din (N,D) += dL/dx; dweight (D) += Σ_n dout·x̂; dbias (D) += Σ_n dout. dout, in (N,D);
 * mean, rstd (N) from the forward. Any of din, dweight, dbias may be NULL. */
void layernorm_backward(float *din, float *dweight, float *dbias, const float *dout,
                        const float *in, const float *mean, const float *rstd,
                        const float *weight, size_t N, size_t D);

#endif
