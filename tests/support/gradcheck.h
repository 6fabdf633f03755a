/* gradcheck.h — finite-difference check of a layer's backward (as ggml's test-backend-ops).
 *
 * The layer under test is wrapped in a loss L = Σ_i w_i·y_i with fixed random weights w
 * (so dL/dy = w, which the test passes as the upstream gradient to backward). The harness
 * perturbs a bounded number of elements of each tensor by ±eps, re-runs the forward through
 * `loss`, and compares the central difference (L(x+eps) − L(x−eps)) / 2eps with the analytic
 * gradient the test computed once beforehand. Elements are chosen spread across the tensor;
 * the test keeps points away from kinks (ReLU at 0) by its choice of inputs.
 */
#ifndef SG_GRADCHECK_H
#define SG_GRADCHECK_H

#include <stddef.h>

struct gc_tensor {
    const char *name;
    float *data;        /* perturbed in place (restored afterwards) */
    const float *grad;  /* analytic gradient, same length */
    size_t n;
};

/* Runs the forward with the current data and returns Σ w·y in double. */
typedef double (*gc_loss_fn)(void *ctx);

struct gc_options {
    double eps;        /* perturbation, default 1e-3 */
    double rtol;       /* default 1e-2 (float32 forward) */
    double atol;       /* default 1e-3 */
    size_t max_elems;  /* per tensor, default 64 */
};

/* Fails the current cmocka test with the tensor name, element, numeric and analytic values
 * at the first mismatch. Zeroed options take the defaults. */
void gradcheck(gc_loss_fn loss, void *ctx, const struct gc_tensor *ts, size_t nt,
               const struct gc_options *opt);

/* Fills x with uniform values in [lo, hi) from a fixed seed (test inputs). */
void gc_fill_uniform(float *x, size_t n, float lo, float hi, unsigned long long seed);
/* Σ w_i·y_i in double. */
double gc_dot(const float *w, const float *y, size_t n);

#endif
