/* grad_reverse.h — gradient reversal layer (Ganin & Lempitsky 2015): the identity going
 * forward, −λ times the gradient going back. Element-wise over n values. */
#ifndef SG_NN_GRAD_REVERSE_H
#define SG_NN_GRAD_REVERSE_H

#include <stddef.h>

/* out = in (a copy; out == in is allowed and does nothing). */
void grad_reverse_forward(float *out, const float *in, size_t n);
/* din += −lambda · dout. */
void grad_reverse_backward(float *din, const float *dout, size_t n, float lambda);

#endif
