/* gelu.c — GELU with the exact erf form, as torch.nn.GELU() (approximate='none').
 *
 * Forward 0.5·x·(1 + erf(x/√2)); derivative Φ(x) + x·φ(x) with φ(x) = exp(−x²/2)/√(2π).
 * Evaluated in double per element (erf and exp of a float argument) and rounded once, which
 * matches PyTorch's float32 kernel within an ulp or two. Element-wise: OpenMP over elements
 * when the array is large enough to pay for the threads.
 */
#include "nn/gelu.h"

#include <math.h>

static const double SQRT1_2 = 0.70710678118654752440;
static const double INV_SQRT_2PI = 0.39894228040143267794;

void gelu_forward(float *out, const float *in, size_t n)
{
#pragma omp parallel for schedule(static) if (n > 65536)
    for (size_t i = 0; i < n; i++) {
        double x = (double)in[i];
        out[i] = (float)(0.5 * x * (1.0 + erf(x * SQRT1_2)));
    }
}

void gelu_backward(float *din, const float *dout, const float *in, size_t n)
{
#pragma omp parallel for schedule(static) if (n > 65536)
    for (size_t i = 0; i < n; i++) {
        double x = (double)in[i];
        double cdf = 0.5 * (1.0 + erf(x * SQRT1_2));
        double pdf = INV_SQRT_2PI * exp(-0.5 * x * x);
        din[i] += (float)((double)dout[i] * (cdf + x * pdf));
    }
}
