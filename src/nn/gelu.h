/* gelu.h — GELU, exact (erf) form (torch.nn.GELU(approximate='none')), forward and backward.
 * Element-wise over n values; backward ADDS into din. */
#ifndef SG_NN_GELU_H
#define SG_NN_GELU_H

#include <stddef.h>

/* out[i] = x·Φ(x) = 0.5·x·(1 + erf(x/√2)), x = in[i]; out may alias in. */
void gelu_forward(float *out, const float *in, size_t n);
/* din[i] += dout[i] · (Φ(x) + x·φ(x)), φ the standard normal density; in is the forward's
 * input. */
void gelu_backward(float *din, const float *dout, const float *in, size_t n);

#endif
