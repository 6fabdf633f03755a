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
/* Elements [off, off + n) of the mask dropout_draw_mask would draw over a longer array (one
 * draw from r as well): a process that holds a shard of a batch draws exactly its part of the
 * whole batch's mask, whatever the number of processes. off = 0 is dropout_draw_mask. */
void dropout_draw_mask_at(uint8_t *mask, size_t n, float p, struct rng *r, uint64_t off);
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

/* The tail of an ST-GCN block in one pass (SPEC §3.1, Y = Dropout(ReLU(BN(TC) + R))), with
 * BatchNorm folded into a per-channel affine (batchnorm_fold*): on (N,C) arrays,
 *     y = Dropout_p(ReLU(x·a[c] + b[c] + r)),
 * with the same float operations in the same order as batchnorm's affine, residual_forward,
 * relu_forward and dropout_forward one after the other, and the dropout decisions those of
 * dropout_draw_mask(…, p, rg) (one draw from rg when p > 0; none when p == 0, rg unused):
 * the same bits as the four-pass version, reading and writing each array once. bits (NULL:
 * not kept) receives one bit per element, 64 per word, element i at bit i%64 of word i/64:
 * set where y > 0, i.e. where the gradient passes back through ReLU and Dropout — the
 * backward needs nothing else (a byte mask and y were kept before: 4.1 bytes per element,
 * now 1/8). y may alias x or r. */
void block_tail_forward(float *y, uint64_t *bits, const float *x, const float *a,
                        const float *b, const float *r, size_t N, size_t C, float p,
                        struct rng *rg);
/* The same on elements [off, off + N·C) of a longer (N', C) array: the dropout decisions
 * are that array's (dropout_draw_mask_at); off = 0 is block_tail_forward. */
void block_tail_forward_at(float *y, uint64_t *bits, const float *x, const float *a,
                           const float *b, const float *r, size_t N, size_t C, float p,
                           struct rng *rg, uint64_t off);
/* dx = dy·[bit]·(1/(1−p)) (p == 0: dy·[bit]) over n elements. It WRITES dx, unlike the
 * other backwards: it is meant to run in place (dx == dy), turning the upstream gradient into
 * the gradient of the pre-ReLU sum with no second buffer. */
void block_tail_backward(float *dx, const float *dy, const uint64_t *bits, size_t n, float p);
/* Words of a bit mask of n elements. */
static inline size_t block_tail_words(size_t n) { return (n + 63) / 64; }

/* Plain versions built from the unfused layers: the test oracle (mask scratch of n bytes). */
void block_tail_forward_ref(float *y, uint64_t *bits, uint8_t *mask, const float *x,
                            const float *a, const float *b, const float *r, size_t N, size_t C,
                            float p, struct rng *rg);
void block_tail_backward_ref(float *dx, const float *dy, const uint64_t *bits, size_t n,
                             float p);

#endif
