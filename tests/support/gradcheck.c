/* gradcheck.c — central-difference gradient checks (see gradcheck.h). */
#include "gradcheck.h"

#include <math.h>

#include "core/rng.h"
#include "testutil.h"

void gc_fill_uniform(float *x, size_t n, float lo, float hi, unsigned long long seed)
{
    struct rng r;
    rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++) x[i] = rng_uniform_f(&r, lo, hi);
}

double gc_dot(const float *w, const float *y, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) s += (double)w[i] * (double)y[i];
    return s;
}

void gradcheck(gc_loss_fn loss, void *ctx, const struct gc_tensor *ts, size_t nt,
               const struct gc_options *opt)
{
    double eps = opt && opt->eps > 0 ? opt->eps : 1e-3;
    double rtol = opt && opt->rtol > 0 ? opt->rtol : 1e-2;
    double atol = opt && opt->atol > 0 ? opt->atol : 1e-3;
    size_t max_elems = opt && opt->max_elems ? opt->max_elems : 64;
    for (size_t t = 0; t < nt; t++) {
        const struct gc_tensor *g = &ts[t];
        size_t step = g->n > max_elems ? g->n / max_elems : 1;
        for (size_t i = 0; i < g->n; i += step) {
            float orig = g->data[i];
            g->data[i] = (float)((double)orig + eps);
            double lp = loss(ctx);
            g->data[i] = (float)((double)orig - eps);
            double lm = loss(ctx);
            g->data[i] = orig;
            /* use the step actually taken in float32 */
            double h = (double)(float)((double)orig + eps) - (double)(float)((double)orig - eps);
            double num = (lp - lm) / h;
            double ana = g->grad[i];
            if (!(fabs(num - ana) <= atol + rtol * fabs(num)))
                fail_msg("gradcheck %s[%zu]: numeric %.7g, analytic %.7g", g->name, i, num,
                         ana);
        }
    }
}
