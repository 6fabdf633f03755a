/* kmeans.h — K-means for pseudo-signers (SPEC §5), as scikit-learn's KMeans(init='k-means++',
 * n_init=10, algorithm='lloyd') computes it, on the project's generator.
 *
 * Points are row-major doubles (n, d); d is the signer-statistics size S = 2C (a few numbers),
 * n up to tens of thousands. The same seed gives bit-identical centres for every thread count.
 */
#ifndef SG_TRAIN_KMEANS_H
#define SG_TRAIN_KMEANS_H

#include <stddef.h>
#include <stdint.h>

struct error;

struct kmeans_config {
    size_t k;          /* number of clusters (--num-pseudo-signers, 8) */
    size_t n_init;     /* restarts, the best inertia is kept (10) */
    size_t max_iter;   /* Lloyd iterations per restart at most (300) */
    double tol;        /* relative tolerance (1e-4): stop when Σ‖Δcentre‖² <= tol·mean(var(X)) */
    uint64_t seed;     /* --pseudo-seed (0) */
};

/* k = 8, n_init = 10, max_iter = 300, tol = 1e-4, seed = 0. */
void kmeans_config_default(struct kmeans_config *c);

struct kmeans_result {
    double *centres;   /* (k, d), owned; free with kmeans_result_free */
    size_t k, d;
    double inertia;    /* Σ_i ‖x_i − centre(label_i)‖² of the kept restart */
    size_t n_iter;     /* Lloyd iterations the kept restart ran */
    size_t n_used;     /* clusters with at least one point (< k: duplicate points) */
};

/* Fits k centres to x (n, d). Errors: k = 0, n = 0, d = 0, n < k, n_init = 0, max_iter = 0,
 * a non-finite coordinate, out of memory. On success out owns its centres. */
int kmeans_fit(const double *x, size_t n, size_t d, const struct kmeans_config *c,
               struct kmeans_result *out, struct error *err);
void kmeans_result_free(struct kmeans_result *r);

/* Index of the centre nearest to point (d) by squared Euclidean distance in double; ties go to
 * the lower index. centres (k, d), k >= 1. */
size_t kmeans_assign(const double *centres, size_t k, size_t d, const double *point);
/* The same for a float point (signer statistics as the windows hold them). */
size_t kmeans_assign_f32(const double *centres, size_t k, size_t d, const float *point);
/* labels (n) for x (n, d). */
void kmeans_assign_many(const double *centres, size_t k, size_t d, const double *x, size_t n,
                        size_t *labels);

#endif
