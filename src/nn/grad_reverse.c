/* grad_reverse.c — gradient reversal: forward identity, backward din += −λ·dout.
 *
 * The PyTorch original implements it as an autograd Function whose backward returns
 * −λ·grad; the layer has no parameters. λ comes from the caller (constant or the DANN
 * schedule of SPEC §4); it is a float, and −λ·dout is one float product per element.
 */
#include "nn/grad_reverse.h"

#include <string.h>

void grad_reverse_forward(float *out, const float *in, size_t n)
{
    if (out != in && n) memmove(out, in, n * sizeof *out);
}

void grad_reverse_backward(float *din, const float *dout, size_t n, float lambda)
{
    float m = -lambda;
    for (size_t i = 0; i < n; i++) din[i] += m * dout[i];
}
