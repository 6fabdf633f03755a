/* activation.h — element-wise layers of an ST-GCN block (SPEC §3.1): ReLU, Dropout and the
 * residual add, forward and backward on flat arrays of n floats.
 *
 * Conventions as linear.h: forward writes its output (which may alias its input), backward
 * ADDS into the gradients it produces (a NULL gradient is skipped).
 */
#ifndef SG_NN_ACTIVATION_H
#define SG_NN_ACTIVATION_H

#include <stddef.h>
#include <stdint.h>

struct rng;

/* torch.relu: y = max(x, 0). */
void relu_forward(float *y, const float *x, size_t n);
/* dx += dy·[y > 0]; y is the forward's output (or its input: the two are positive together). */
void relu_backward(float *dx, const float *dy, const float *y, size_t n);

/* Draws a Dropout(p) keep mask into mask (n bytes, 1 = keep, 0 = drop), each element kept
 * with probability 1−p. The mask depends only on the generator's state, not on the thread
 * count: it advances r by exactly one draw and derives one generator per block of
 * DROPOUT_BLOCK elements from that draw (rng_seed(block seed)), so blocks can be drawn in
 * parallel. 0 <= p < 1. */
#define DROPOUT_BLOCK 4096
void dropout_draw_mask(uint8_t *mask, size_t n, float p, struct rng *r);
/* Training-mode forward with a given mask, as F.dropout(x, p, training=True):
 * y = x·mask·(1/(1−p)). Use with dropout_draw_mask, or with a mask copied from elsewhere (the
 * parity test uses PyTorch's). In evaluation Dropout is the identity: the caller skips it. */
void dropout_forward(float *y, const float *x, const uint8_t *mask, size_t n, float p);
/* dx += dy·mask·(1/(1−p)). */
void dropout_backward(float *dx, const float *dy, const uint8_t *mask, size_t n, float p);
/* The factor PyTorch multiplies kept elements by: 1/(1−p) rounded to float. */
float dropout_scale(float p);

/* Residual add y = a + r (y may alias a or r). */
void residual_forward(float *y, const float *a, const float *r, size_t n);
/* da += dy; dr += dy. */
void residual_backward(float *da, float *dr, const float *dy, size_t n);

#endif
