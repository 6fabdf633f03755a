/* kmeans.c — K-means with k-means++ seeding and Lloyd iterations (see kmeans.h).
 *
 * What it follows: scikit-learn 1.2's KMeans(init='k-means++', n_init=10, algorithm='lloyd',
 * tol=1e-4, max_iter=300), step for step, with the project's generator in place of numpy's.
 *   - The data are centred on their mean first (sklearn does this for dense input); the
 *     returned centres have the mean added back.
 *   - k-means++ (_kmeans_plusplus; Arthur & Vassilvitskii 2007): the first centre is a point
 *     drawn uniformly; each further centre draws 2 + ⌊ln k⌋ candidates with probability
 *     proportional to the squared distance to the nearest chosen centre (u·potential searched
 *     in the running sum of distances, first index whose sum reaches it) and keeps the
 *     candidate giving the lowest potential (first one on ties).
 *   - Lloyd: assign every point to its nearest centre (ties to the lower index), move each
 *     centre to the mean of its points. An empty cluster takes the point farthest from its
 *     old centre (farthest first, lower index on ties), removed from its own cluster's sums
 *     while its label stays, as _relocate_empty_clusters_dense does. Stop when no label changed
 *     (strict convergence) or when Σ_j ‖c_j^new − c_j^old‖² <= tol·mean_f var(X[:, f])
 *     (population variance); after a tolerance stop the labels are recomputed once.
 *   - The inertia Σ_i ‖x_i − c_{label_i}‖² decides between restarts: the first strictly lower
 *     one wins (sklearn also skips a lower inertia with the same partition; that can only
 *     differ by rounding).
 *
 * Reproducibility: restart r uses the r-th child of rng_seed(seed) (rng_split, in order), and
 * every sum runs sequentially over the points, so a restart's result does not depend on which
 * thread runs it. Restarts run in parallel (OpenMP), one workspace per thread allocated before
 * the parallel loop, and are compared in restart order afterwards: bit-identical centres for a
 * seed at every thread count. The generator differs from numpy's, so the centres are not
 * sklearn's; the inertia reached is what the tests compare (within 1%).
 *
 * Not here: sample weights, Elkan's algorithm, sparse input, mini-batches.
 */
#include "train/kmeans.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "core/alloc.h"
#include "core/error.h"
#include "core/rng.h"

void kmeans_config_default(struct kmeans_config *c)
{
    c->k = 8;
    c->n_init = 10;
    c->max_iter = 300;
    c->tol = 1e-4;
    c->seed = 0;
}

void kmeans_result_free(struct kmeans_result *r)
{
    if (!r) return;
    free(r->centres);
    r->centres = NULL;
}

static double sqdist(const double *a, const double *b, size_t d)
{
    double s = 0.0;
    for (size_t f = 0; f < d; f++) {
        double t = a[f] - b[f];
        s += t * t;
    }
    return s;
}

/* Nearest centre with its squared distance; ties to the lower index. */
static size_t nearest(const double *centres, size_t k, size_t d, const double *p, double *best)
{
    size_t j_best = 0;
    double d_best = sqdist(p, centres, d);
    for (size_t j = 1; j < k; j++) {
        double dj = sqdist(p, centres + j * d, d);
        if (dj < d_best) {
            d_best = dj;
            j_best = j;
        }
    }
    if (best) *best = d_best;
    return j_best;
}

size_t kmeans_assign(const double *centres, size_t k, size_t d, const double *point)
{
    return nearest(centres, k, d, point, NULL);
}

size_t kmeans_assign_f32(const double *centres, size_t k, size_t d, const float *point)
{
    size_t j_best = 0;
    double d_best = 0.0;
    for (size_t j = 0; j < k; j++) {
        double s = 0.0;
        for (size_t f = 0; f < d; f++) {
            double t = (double)point[f] - centres[j * d + f];
            s += t * t;
        }
        if (j == 0 || s < d_best) {
            d_best = s;
            j_best = j;
        }
    }
    return j_best;
}

void kmeans_assign_many(const double *centres, size_t k, size_t d, const double *x, size_t n,
                        size_t *labels)
{
    for (size_t i = 0; i < n; i++) labels[i] = nearest(centres, k, d, x + i * d, NULL);
}

/* One thread's buffers. */
struct kmeans_ws {
    double *centres_new; /* (k, d) */
    double *counts;      /* (k) points per cluster (a double, as sklearn's weights) */
    double *dist;        /* (n) squared distance to the nearest chosen / assigned centre */
    double *cum;         /* (n) running sum of dist for k-means++ sampling */
    size_t *labels;      /* (n) */
    size_t *labels_old;  /* (n) */
    size_t *far;         /* (k) points chosen for empty clusters */
};

static void ws_free(struct kmeans_ws *w)
{
    free(w->centres_new);
    free(w->counts);
    free(w->dist);
    free(w->cum);
    free(w->labels);
    free(w->labels_old);
    free(w->far);
}

static int ws_alloc(struct kmeans_ws *w, size_t n, size_t k, size_t d, struct error *err)
{
    memset(w, 0, sizeof *w);
    w->centres_new = sg_malloc(k * d, sizeof(double), "k-means centres", err);
    w->counts = sg_malloc(k, sizeof(double), "k-means counts", err);
    w->dist = w->counts ? sg_malloc(n, sizeof(double), "k-means distances", err) : NULL;
    w->cum = w->dist ? sg_malloc(n, sizeof(double), "k-means sampling sums", err) : NULL;
    w->labels = w->cum ? sg_malloc(n, sizeof(size_t), "k-means labels", err) : NULL;
    w->labels_old = w->labels ? sg_malloc(n, sizeof(size_t), "k-means labels", err) : NULL;
    w->far = w->labels_old ? sg_malloc(k, sizeof(size_t), "k-means relocation", err) : NULL;
    if (!w->centres_new || !w->far) {
        ws_free(w);
        return -1;
    }
    return 0;
}

/* First index i with cum[i] >= v (numpy's searchsorted, side='left'), clipped to n − 1. */
static size_t search_sorted(const double *cum, size_t n, double v)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cum[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n ? lo : n - 1;
}

/* k-means++ seeding of centres (k, d) from x (n, d). */
static void kmeans_plusplus(const double *x, size_t n, size_t d, size_t k, struct rng *r,
                            double *centres, struct kmeans_ws *w)
{
    const size_t trials = 2 + (size_t)log((double)k);
    size_t first = (size_t)rng_below(r, n);
    memcpy(centres, x + first * d, d * sizeof(double));
    double pot = 0.0;
    for (size_t i = 0; i < n; i++) {
        w->dist[i] = sqdist(x + i * d, centres, d);
        pot += w->dist[i];
    }
    for (size_t c = 1; c < k; c++) {
        double run = 0.0;
        for (size_t i = 0; i < n; i++) {
            run += w->dist[i];
            w->cum[i] = run;
        }
        size_t cand[64] = {0};
        size_t nt = trials < 64 ? trials : 64;
        for (size_t t = 0; t < nt; t++) cand[t] = search_sorted(w->cum, n, rng_uniform(r) * pot);
        size_t best = cand[0];
        double best_pot = INFINITY;
        for (size_t t = 0; t < nt; t++) {
            const double *p = x + cand[t] * d;
            double s = 0.0;
            for (size_t i = 0; i < n; i++) {
                double di = sqdist(x + i * d, p, d);
                s += di < w->dist[i] ? di : w->dist[i];
            }
            if (s < best_pot) {
                best_pot = s;
                best = cand[t];
            }
        }
        const double *p = x + best * d;
        memcpy(centres + c * d, p, d * sizeof(double));
        pot = 0.0;
        for (size_t i = 0; i < n; i++) {
            double di = sqdist(x + i * d, p, d);
            if (di < w->dist[i]) w->dist[i] = di;
            pot += w->dist[i];
        }
    }
}

/* One Lloyd iteration: labels and dist from centres, the new centres into w->centres_new.
 * Returns Σ_j ‖new_j − old_j‖². */
static double lloyd_step(const double *x, size_t n, size_t d, size_t k, const double *centres,
                         struct kmeans_ws *w)
{
    double *cn = w->centres_new;
    for (size_t i = 0; i < n; i++) w->labels[i] = nearest(centres, k, d, x + i * d, &w->dist[i]);
    memset(cn, 0, k * d * sizeof(double));
    for (size_t j = 0; j < k; j++) w->counts[j] = 0.0;
    for (size_t i = 0; i < n; i++) {
        size_t j = w->labels[i];
        w->counts[j] += 1.0;
        for (size_t f = 0; f < d; f++) cn[j * d + f] += x[i * d + f];
    }
    /* Empty clusters take the points farthest from their old centres. */
    size_t n_empty = 0;
    for (size_t j = 0; j < k; j++) n_empty += w->counts[j] == 0.0;
    for (size_t e = 0; e < n_empty; e++) {
        size_t pick = SIZE_MAX;
        for (size_t i = 0; i < n; i++) {
            bool taken = false;
            for (size_t q = 0; q < e; q++) taken = taken || w->far[q] == i;
            if (taken) continue;
            if (pick == SIZE_MAX || w->dist[i] > w->dist[pick]) pick = i;
        }
        w->far[e] = pick;
    }
    for (size_t j = 0, e = 0; j < k && e < n_empty; j++) {
        if (w->counts[j] != 0.0) continue;
        size_t p = w->far[e++];
        size_t old = w->labels[p];
        for (size_t f = 0; f < d; f++) {
            cn[old * d + f] -= x[p * d + f];
            cn[j * d + f] = x[p * d + f];
        }
        w->counts[old] -= 1.0;
        w->counts[j] = 1.0;
    }
    double shift = 0.0;
    for (size_t j = 0; j < k; j++) {
        double alpha = w->counts[j] > 0.0 ? 1.0 / w->counts[j] : 1.0;
        for (size_t f = 0; f < d; f++) {
            cn[j * d + f] *= alpha;
            double t = cn[j * d + f] - centres[j * d + f];
            shift += t * t;
        }
    }
    return shift;
}

struct restart_out {
    double inertia;
    size_t n_iter;
    size_t n_used;
};

/* One restart: seeding then Lloyd to convergence; centres (k, d) receive the result. */
static void kmeans_restart(const double *x, size_t n, size_t d, size_t k, size_t max_iter,
                           double tol, struct rng *r, double *centres, struct kmeans_ws *w,
                           struct restart_out *out)
{
    kmeans_plusplus(x, n, d, k, r, centres, w);
    for (size_t i = 0; i < n; i++) w->labels_old[i] = SIZE_MAX;
    bool strict = false;
    size_t it = 0;
    while (it < max_iter) {
        double shift = lloyd_step(x, n, d, k, centres, w);
        memcpy(centres, w->centres_new, k * d * sizeof(double));
        it++;
        if (memcmp(w->labels, w->labels_old, n * sizeof(size_t)) == 0) {
            strict = true;
            break;
        }
        if (shift <= tol) break;
        memcpy(w->labels_old, w->labels, n * sizeof(size_t));
    }
    if (!strict)
        for (size_t i = 0; i < n; i++) w->labels[i] = nearest(centres, k, d, x + i * d, NULL);
    double inertia = 0.0;
    for (size_t j = 0; j < k; j++) w->counts[j] = 0.0;
    for (size_t i = 0; i < n; i++) {
        inertia += sqdist(x + i * d, centres + w->labels[i] * d, d);
        w->counts[w->labels[i]] = 1.0;
    }
    size_t used = 0;
    for (size_t j = 0; j < k; j++) used += w->counts[j] != 0.0;
    out->inertia = inertia;
    out->n_iter = it;
    out->n_used = used;
}

int kmeans_fit(const double *x, size_t n, size_t d, const struct kmeans_config *c,
               struct kmeans_result *out, struct error *err)
{
    memset(out, 0, sizeof *out);
    const size_t k = c->k;
    if (k == 0) return error_set(err, "kmeans_fit: k = 0 (need at least one cluster)");
    if (n == 0) return error_set(err, "kmeans_fit: no points to cluster");
    if (d == 0) return error_set(err, "kmeans_fit: points have dimension 0");
    if (n < k)
        return error_set(err, "kmeans_fit: %zu clusters but only %zu points (need at least one "
                              "point per cluster)", k, n);
    if (c->n_init == 0) return error_set(err, "kmeans_fit: n_init = 0 (need one restart)");
    if (c->max_iter == 0) return error_set(err, "kmeans_fit: max_iter = 0");
    size_t nd, kd, all_kd;
    if (!size_mul(n, d, &nd) || !size_mul(k, d, &kd) || !size_mul(kd, c->n_init, &all_kd))
        return error_set(err, "kmeans_fit: %zu points of dimension %zu: size overflows", n, d);
    for (size_t i = 0; i < nd; i++)
        if (!isfinite(x[i]))
            return error_set(err, "kmeans_fit: point %zu has a non-finite coordinate (%g)",
                             i / d, x[i]);

    /* Centre the data; the tolerance scales with the mean per-feature variance. */
    double *xc = sg_malloc(nd, sizeof(double), "k-means points", err);
    double *mean = sg_calloc(d, sizeof(double), "k-means mean", err);
    double *all = sg_malloc(all_kd, sizeof(double), "k-means restart centres", err);
    struct restart_out *res = sg_calloc(c->n_init, sizeof *res, "k-means restarts", err);
    struct rng *rngs = sg_malloc(c->n_init, sizeof *rngs, "k-means generators", err);
    size_t nthreads = 1;
#ifdef _OPENMP
    nthreads = (size_t)omp_get_max_threads();
#endif
    if (nthreads > c->n_init) nthreads = c->n_init;
    struct kmeans_ws *ws = sg_calloc(nthreads, sizeof *ws, "k-means workspaces", err);
    size_t ws_ready = 0;
    int rc = -1;
    if (!xc || !mean || !all || !res || !rngs || !ws) goto done;
    for (size_t t = 0; t < nthreads; t++, ws_ready++)
        if (ws_alloc(&ws[t], n, k, d, err)) goto done;

    for (size_t i = 0; i < n; i++)
        for (size_t f = 0; f < d; f++) mean[f] += x[i * d + f];
    for (size_t f = 0; f < d; f++) mean[f] /= (double)n;
    double var_sum = 0.0;
    for (size_t f = 0; f < d; f++) {
        double v = 0.0;
        for (size_t i = 0; i < n; i++) {
            double t = x[i * d + f] - mean[f];
            xc[i * d + f] = t;
            v += t * t;
        }
        var_sum += v / (double)n;
    }
    const double tol = c->tol * (var_sum / (double)d);

    struct rng root;
    rng_seed(&root, c->seed);
    for (size_t r = 0; r < c->n_init; r++) rng_split(&root, &rngs[r]);

    const long n_init = (long)c->n_init;
#pragma omp parallel for schedule(dynamic, 1) num_threads((int)nthreads)
    for (long r = 0; r < n_init; r++) {
        size_t t = 0;
#ifdef _OPENMP
        t = (size_t)omp_get_thread_num();
#endif
        kmeans_restart(xc, n, d, k, c->max_iter, tol, &rngs[r], all + (size_t)r * kd, &ws[t],
                       &res[r]);
    }

    size_t best = 0;
    for (size_t r = 1; r < c->n_init; r++)
        if (res[r].inertia < res[best].inertia) best = r;
    out->centres = sg_malloc(kd, sizeof(double), "k-means centres", err);
    if (!out->centres) goto done;
    for (size_t j = 0; j < k; j++)
        for (size_t f = 0; f < d; f++) out->centres[j * d + f] = all[best * kd + j * d + f] + mean[f];
    out->k = k;
    out->d = d;
    out->inertia = res[best].inertia;
    out->n_iter = res[best].n_iter;
    out->n_used = res[best].n_used;
    rc = 0;
done:
    if (ws)
        for (size_t t = 0; t < ws_ready; t++) ws_free(&ws[t]);
    free(ws);
    free(rngs);
    free(res);
    free(all);
    free(mean);
    free(xc);
    return rc;
}
