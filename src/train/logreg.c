/* logreg.c — multinomial L2 logistic regression by L-BFGS (see logreg.h).
 *
 * The objective is convex, so any solver run to a small gradient reaches sklearn's optimum;
 * what is followed from sklearn is the problem, not its solver's path: standardisation on the
 * training rows (StandardScaler: population std, 0 → 1), classes = the labels present in y,
 * a softmax over all k classes (the over-parameterised form, made unique by the penalty on
 * W), an unpenalised intercept, and C = 1.
 *
 * Solver: L-BFGS (Nocedal & Wright 2006, Alg. 7.4/7.5) with m = 10 pairs, the two-loop
 * recursion scaled by sᵀy/yᵀy, and a backtracking Armijo line search (c1 = 1e-4, halving,
 * first trial step 1, or 1/‖g‖∞ on the first iteration). A pair with sᵀy <= 1e-12·‖s‖‖y‖ is
 * not stored (Armijo alone does not promise curvature). It stops when max|g|/n <= tol
 * (sklearn 1.2 scales the loss by 1/n and uses max|g| <= tol in L-BFGS-B's pgtol), or after
 * max_iter iterations, or when the line search cannot decrease f (then converged = false).
 *
 * Sums in double; the two matrix products per evaluation (XWᵀ and (P−Y)ᵀX) go through
 * cblas_dgemm, which is deterministic for a given thread count.
 *
 * Not here: other penalties, class or sample weights, the one-vs-rest form.
 */
#include "train/logreg.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/rng.h"

void logreg_config_default(struct logreg_config *c)
{
    c->C = 1.0;
    c->max_iter = 1000;
    c->tol = 1e-8;
    c->history = 10;
}

void logreg_free(struct logreg *m)
{
    if (!m) return;
    free(m->classes);
    free(m->mean);
    free(m->scale);
    free(m->w);
    free(m->b);
    memset(m, 0, sizeof *m);
}

/* The problem: standardised rows xs (n, d), class index yc (n) in [0, k). */
struct problem {
    const double *xs;
    const int *yc;
    size_t n, d, k;
    double inv_c;
    double *z;   /* (n, k) scratch: scores, then P − Y */
};

/* f(θ) and g = ∇f, θ = [W (k, d) | b (k)]. */
static double objective(struct problem *p, const double *theta, double *g)
{
    const size_t n = p->n, d = p->d, k = p->k;
    const double *w = theta, *b = theta + k * d;
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)k, (int)d, 1.0, p->xs,
                (int)d, w, (int)d, 0.0, p->z, (int)k);
    double f = 0;
    double *gb = g + k * d;
    for (size_t c = 0; c < k; c++) gb[c] = 0;
    for (size_t i = 0; i < n; i++) {
        double *zi = p->z + i * k;
        double mx = -INFINITY;
        for (size_t c = 0; c < k; c++) {
            zi[c] += b[c];
            if (zi[c] > mx) mx = zi[c];
        }
        double s = 0;
        for (size_t c = 0; c < k; c++) s += exp(zi[c] - mx);
        double lse = mx + log(s);
        f += lse - zi[p->yc[i]];
        for (size_t c = 0; c < k; c++) zi[c] = exp(zi[c] - lse);
        zi[p->yc[i]] -= 1.0;
        for (size_t c = 0; c < k; c++) gb[c] += zi[c];
    }
    /* gW = (P − Y)ᵀ X + W / C */
    memcpy(g, w, k * d * sizeof(double));
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)k, (int)d, (int)n, 1.0, p->z,
                (int)k, p->xs, (int)d, p->inv_c, g, (int)d);
    double ww = 0;
    for (size_t j = 0; j < k * d; j++) ww += w[j] * w[j];
    return f + 0.5 * p->inv_c * ww;
}

static double dot(const double *a, const double *b, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

static double max_abs(const double *a, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++)
        if (fabs(a[i]) > m) m = fabs(a[i]);
    return m;
}

/* Minimises the problem from θ = 0. */
static int lbfgs(struct problem *p, const struct logreg_config *cfg, double *theta,
                 struct logreg *m, struct error *err)
{
    const size_t P = p->k * (p->d + 1), H = cfg->history ? cfg->history : 1;
    double *buf = sg_malloc(4 + 2 * H, P * sizeof(double), "logistic regression", err);
    double *alpha = sg_malloc(H, sizeof(double), "logistic regression", err);
    double *rho = sg_malloc(H, sizeof(double), "logistic regression", err);
    if (!buf || !alpha || !rho) {
        free(buf);
        free(alpha);
        free(rho);
        return -1;
    }
    double *g = buf, *dir = buf + P, *th2 = buf + 2 * P, *g2 = buf + 3 * P;
    double *S = buf + 4 * P, *Y = S + H * P;
    size_t stored = 0, head = 0; /* ring of pairs: newest at head - 1 */
    memset(theta, 0, P * sizeof(double));
    double f = objective(p, theta, g);
    const double gtol = cfg->tol * (double)p->n;
    m->converged = false;
    size_t it = 0;
    for (; it < cfg->max_iter; it++) {
        if (max_abs(g, P) <= gtol) {
            m->converged = true;
            break;
        }
        /* two-loop recursion: dir = −H g */
        for (size_t j = 0; j < P; j++) dir[j] = -g[j];
        for (size_t q = 0; q < stored; q++) {
            size_t s = (head + H - 1 - q) % H;
            alpha[s] = rho[s] * dot(S + s * P, dir, P);
            for (size_t j = 0; j < P; j++) dir[j] -= alpha[s] * Y[s * P + j];
        }
        if (stored) {
            size_t s = (head + H - 1) % H;
            double gamma = dot(S + s * P, Y + s * P, P) / dot(Y + s * P, Y + s * P, P);
            for (size_t j = 0; j < P; j++) dir[j] *= gamma;
        }
        for (size_t q = stored; q-- > 0;) {
            size_t s = (head + H - 1 - q) % H;
            double beta = rho[s] * dot(Y + s * P, dir, P);
            for (size_t j = 0; j < P; j++) dir[j] += (alpha[s] - beta) * S[s * P + j];
        }
        double slope = dot(g, dir, P);
        if (!(slope < 0)) { /* not a descent direction: restart from steepest descent */
            stored = 0;
            for (size_t j = 0; j < P; j++) dir[j] = -g[j];
            slope = dot(g, dir, P);
        }
        double step = stored ? 1.0 : 1.0 / fmax(max_abs(g, P), 1e-300);
        double f2 = f;
        bool ok = false;
        for (int ls = 0; ls < 60; ls++) {
            for (size_t j = 0; j < P; j++) th2[j] = theta[j] + step * dir[j];
            f2 = objective(p, th2, g2);
            if (isfinite(f2) && f2 <= f + 1e-4 * step * slope) {
                ok = true;
                break;
            }
            step *= 0.5;
        }
        if (!ok) break;
        /* the pair s = θ' − θ, y = g' − g */
        double *sn = S + head * P, *yn = Y + head * P;
        for (size_t j = 0; j < P; j++) {
            sn[j] = th2[j] - theta[j];
            yn[j] = g2[j] - g[j];
        }
        double sy = dot(sn, yn, P);
        if (sy > 1e-12 * sqrt(dot(sn, sn, P) * dot(yn, yn, P))) {
            rho[head] = 1.0 / sy;
            head = (head + 1) % H;
            if (stored < H) stored++;
        }
        memcpy(theta, th2, P * sizeof(double));
        memcpy(g, g2, P * sizeof(double));
        f = f2;
    }
    if (!m->converged && max_abs(g, P) <= gtol) m->converged = true;
    m->n_iter = it;
    m->objective = f;
    free(buf);
    free(alpha);
    free(rho);
    return 0;
}

int logreg_fit(struct logreg *m, const float *x, size_t n, size_t d, const int *y,
               size_t n_labels, const struct logreg_config *cfg, struct error *err)
{
    memset(m, 0, sizeof *m);
    if (n == 0 || d == 0) return error_set(err, "logistic regression: no data (%zu rows, %zu "
                                           "features)", n, d);
    if (!(cfg->C > 0)) return error_set(err, "logistic regression: C must be > 0 (got %g)", cfg->C);
    for (size_t i = 0; i < n; i++)
        if (y[i] < 0 || (size_t)y[i] >= n_labels)
            return error_set(err, "logistic regression: label %d of row %zu is outside [0, %zu)",
                             y[i], i, n_labels);
    for (size_t i = 0; i < n * d; i++)
        if (!isfinite(x[i]))
            return error_set(err, "logistic regression: feature %zu of row %zu is not finite",
                             i % d, i / d);
    m->d = d;
    m->n_labels = n_labels;
    int *class_of = sg_malloc(n_labels, sizeof(int), "logistic regression", err);
    m->mean = sg_calloc(d, sizeof(double), "logistic regression", err);
    m->scale = sg_calloc(d, sizeof(double), "logistic regression", err);
    double *xs = sg_malloc(n, d * sizeof(double), "logistic regression", err);
    int *yc = sg_malloc(n, sizeof(int), "logistic regression", err);
    struct problem p = {0};
    int rc = -1;
    if (!class_of || !m->mean || !m->scale || !xs || !yc) goto out;
    for (size_t l = 0; l < n_labels; l++) class_of[l] = -1;
    for (size_t i = 0; i < n; i++) class_of[y[i]] = 0;
    for (size_t l = 0; l < n_labels; l++)
        if (class_of[l] == 0) class_of[l] = (int)m->k++;
    m->classes = sg_malloc(m->k, sizeof(int), "logistic regression", err);
    if (!m->classes) goto out;
    for (size_t l = 0; l < n_labels; l++)
        if (class_of[l] >= 0) m->classes[class_of[l]] = (int)l;
    for (size_t i = 0; i < n; i++) yc[i] = class_of[y[i]];
    /* StandardScaler: mean, then population variance around it */
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < d; j++) m->mean[j] += (double)x[i * d + j];
    for (size_t j = 0; j < d; j++) m->mean[j] /= (double)n;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < d; j++) {
            double t = (double)x[i * d + j] - m->mean[j];
            m->scale[j] += t * t;
        }
    for (size_t j = 0; j < d; j++) {
        double sd = sqrt(m->scale[j] / (double)n);
        m->scale[j] = sd > 0 ? sd : 1.0;
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < d; j++)
            xs[i * d + j] = ((double)x[i * d + j] - m->mean[j]) / m->scale[j];
    const size_t k = m->k;
    double *theta = sg_calloc(k * (d + 1), sizeof(double), "logistic regression", err);
    p = (struct problem){.xs = xs, .yc = yc, .n = n, .d = d, .k = k, .inv_c = 1.0 / cfg->C};
    p.z = sg_malloc(n, k * sizeof(double), "logistic regression", err);
    if (!theta || !p.z) {
        free(theta);
        goto out;
    }
    if (k == 1) {
        m->converged = true; /* one class: probability 1 whatever θ is */
    } else if (lbfgs(&p, cfg, theta, m, err)) {
        free(theta);
        goto out;
    }
    m->w = theta;
    m->b = sg_malloc(k, sizeof(double), "logistic regression", err);
    if (!m->b) goto out;
    memcpy(m->b, theta + k * d, k * sizeof(double));
    rc = 0;
out:
    free(class_of);
    free(xs);
    free(yc);
    free(p.z);
    if (rc) logreg_free(m);
    return rc;
}

void logreg_predict_proba(const struct logreg *m, const float *x, size_t n, double *probs)
{
    const size_t d = m->d, k = m->k;
    double zbuf[64];
    double *z = k <= 64 ? zbuf : malloc(k * sizeof(double));
    CHECK(z != NULL);
    for (size_t i = 0; i < n; i++) {
        double *pr = probs + i * m->n_labels;
        for (size_t l = 0; l < m->n_labels; l++) pr[l] = 0;
        double mx = -INFINITY;
        for (size_t c = 0; c < k; c++) {
            double s = m->b[c];
            const double *wc = m->w + c * d;
            for (size_t j = 0; j < d; j++)
                s += wc[j] * (((double)x[i * d + j] - m->mean[j]) / m->scale[j]);
            z[c] = s;
            if (s > mx) mx = s;
        }
        double sum = 0;
        for (size_t c = 0; c < k; c++) sum += exp(z[c] - mx);
        for (size_t c = 0; c < k; c++) pr[m->classes[c]] = exp(z[c] - mx) / sum;
    }
    if (z != zbuf) free(z);
}

void logreg_predict(const struct logreg *m, const float *x, size_t n, int *pred)
{
    double *pr = malloc(m->n_labels * sizeof(double));
    CHECK(pr != NULL);
    for (size_t i = 0; i < n; i++) {
        logreg_predict_proba(m, x + i * m->d, 1, pr);
        size_t best = 0;
        for (size_t l = 1; l < m->n_labels; l++)
            if (pr[l] > pr[best]) best = l;
        pred[i] = (int)best;
    }
    free(pr);
}

int logreg_cross_val_accuracy(const float *x, size_t n, size_t d, const int *y,
                              size_t n_labels, size_t folds, uint64_t seed,
                              const struct logreg_config *cfg, double *acc, double *fold_acc,
                              struct error *err)
{
    if (folds < 2 || folds > n)
        return error_set(err, "logistic regression: %zu-fold cross-validation needs at least "
                         "%zu rows (got %zu)", folds, folds < 2 ? 2 : folds, n);
    size_t *order = sg_malloc(n, sizeof(size_t), "cross-validation", err);
    float *xt = sg_malloc(n, d * sizeof(float), "cross-validation", err);
    float *xv = sg_malloc(n, d * sizeof(float), "cross-validation", err);
    int *yt = sg_malloc(n, sizeof(int), "cross-validation", err);
    int *pv = sg_malloc(n, sizeof(int), "cross-validation", err);
    int rc = -1;
    if (!order || !xt || !xv || !yt || !pv) goto out;
    for (size_t i = 0; i < n; i++) order[i] = i;
    struct rng r;
    rng_seed(&r, seed);
    rng_shuffle(&r, order, n, sizeof(size_t));
    size_t right = 0;
    for (size_t f = 0; f < folds; f++) {
        size_t lo = f * n / folds, hi = (f + 1) * n / folds, nt = 0, nv = 0;
        for (size_t q = 0; q < n; q++) {
            size_t i = order[q];
            if (q >= lo && q < hi) {
                memcpy(xv + nv * d, x + i * d, d * sizeof(float));
                nv++;
            } else {
                memcpy(xt + nt * d, x + i * d, d * sizeof(float));
                yt[nt++] = y[i];
            }
        }
        struct logreg m;
        if (logreg_fit(&m, xt, nt, d, yt, n_labels, cfg, err)) goto out;
        logreg_predict(&m, xv, nv, pv);
        logreg_free(&m);
        size_t ok = 0;
        for (size_t q = lo; q < hi; q++) ok += pv[q - lo] == y[order[q]];
        right += ok;
        if (fold_acc) fold_acc[f] = nv ? (double)ok / (double)nv : (double)NAN;
    }
    *acc = (double)right / (double)n;
    rc = 0;
out:
    free(order);
    free(xt);
    free(xv);
    free(yt);
    free(pv);
    return rc;
}
