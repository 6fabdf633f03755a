/* pca.c — principal component analysis through LAPACK's symmetric eigensolver.
 *
 * What: the projection of scikit-learn's PCA(n_components=k).fit_transform(X): X is centred
 * column by column (means in double), the scatter matrix AᵀA (d×d) of the centred data A is
 * summed with plain loops, its eigenvectors come from LAPACKE_dsyevd (divide and conquer,
 * double), and the projection is Y = A V_k on the k eigenvectors of largest eigenvalue.
 * These are the right singular vectors of A, so Y equals U_k S_k of A's SVD (what numpy and
 * scikit-learn compute) up to the sign of each column; the test checks it to 1e-6.
 *
 * Why not the SVD of A (dgesdd): embeddings have n ≫ d (tens of thousands of windows,
 * 64..256 features), so AᵀA costs O(n d²) time and O(d²) extra memory instead of U's O(n d);
 * and the sums here are ours, each entry added in row order by one thread, so the result
 * is the same for any number of OpenMP threads — a threaded BLAS inside dgesdd changed the
 * last bits with the thread count, and t-SNE (viz/tsne.c) starts from this projection. The
 * price is precision on axes of tiny variance (AᵀA squares the condition number), which a
 * 2-d scatter plot never uses.
 *
 * Conventions: row-major. Sign of each axis as scikit-learn >= 1.5 (svd_flip with
 * u_based_decision=False): the entry of largest absolute value of each principal axis is
 * positive (the first one on exact ties). scikit-learn 1.2 decided the sign on U instead;
 * the V-based rule does not depend on the rows. explained_variance = eigenvalue / (n − 1),
 * as scikit-learn's s² / (n − 1).
 *
 * Not done: whitening, randomized or incremental solvers, k > min(n, d).
 */
#include "viz/pca.h"

#include <lapacke.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"

int pca_project(const float *x, size_t n, size_t d, size_t k, double *y, double *components,
                double *explained_variance, struct error *err)
{
    if (n == 0 || d == 0) return error_set(err, "pca_project: empty input (%zu x %zu)", n, d);
    size_t r = n < d ? n : d;
    if (k == 0 || k > r)
        return error_set(err, "pca_project: %zu components asked of a %zu x %zu matrix "
                              "(expected 1..%zu)", k, n, d, r);
    size_t nd;
    if (!size_mul(n, d, &nd)) return error_set(err, "pca_project: %zu x %zu overflows", n, d);
    for (size_t i = 0; i < nd; i++)
        if (!isfinite(x[i]))
            return error_set(err, "pca_project: value %zu (row %zu, column %zu) is not finite",
                             i, i / d, i % d);

    if (d > (size_t)INT32_MAX)
        return error_set(err, "pca_project: %zu features are too many for LAPACK's 32-bit sizes",
                         d);
    size_t dd;
    if (!size_mul(d, d, &dd)) return error_set(err, "pca_project: %zu x %zu overflows", d, d);
    int rc = -1;
    double *a = sg_malloc(nd, sizeof *a, "pca_project: centred data", err);
    double *cov = sg_malloc(dd, sizeof *cov, "pca_project: covariance", err);
    double *w = sg_malloc(d, sizeof *w, "pca_project: eigenvalues", err);
    double *mean = sg_calloc(d, sizeof *mean, "pca_project: means", err);
    if (!a || !cov || !w || !mean) goto done;

    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < d; j++) mean[j] += (double)x[i * d + j];
    for (size_t j = 0; j < d; j++) mean[j] /= (double)n;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < d; j++) a[i * d + j] = (double)x[i * d + j] - mean[j];

    /* AᵀA, upper triangle, each entry summed over rows in order by one thread */
    long ld = (long)d;
    int par = (double)n * (double)d * (double)d >= 1e7; /* else not worth a parallel region */
#pragma omp parallel for schedule(dynamic, 1) if (par)
    for (long lj = 0; lj < ld; lj++) {
        size_t j = (size_t)lj;
        for (size_t l = j; l < d; l++) {
            double s = 0.0;
            for (size_t i = 0; i < n; i++) s += a[i * d + j] * a[i * d + l];
            cov[j * d + l] = s;
            cov[l * d + j] = s;
        }
    }
    lapack_int info = LAPACKE_dsyevd(LAPACK_ROW_MAJOR, 'V', 'U', (lapack_int)d, cov,
                                     (lapack_int)d, w);
    if (info != 0) {
        error_set(err, "pca_project: LAPACKE_dsyevd failed (info %d%s)", (int)info,
                  info > 0 ? ": the eigensolver did not converge" : "");
        goto done;
    }

    /* eigenvalues ascending: component c is eigenvector d-1-c, a column of cov */
    for (size_t c = 0; c < k; c++) {
        size_t e = d - 1 - c;
        size_t best = 0;
        for (size_t j = 1; j < d; j++)
            if (fabs(cov[j * d + e]) > fabs(cov[best * d + e])) best = j;
        double sign = cov[best * d + e] < 0 ? -1.0 : 1.0;
        for (size_t j = 0; j < d; j++) cov[j * d + e] *= sign;
        if (components)
            for (size_t j = 0; j < d; j++) components[c * d + j] = cov[j * d + e];
        if (explained_variance)
            explained_variance[c] = n > 1 ? fmax(w[e], 0.0) / (double)(n - 1) : 0.0;
    }
    long ln = (long)n;
#pragma omp parallel for schedule(static) if (par)
    for (long li = 0; li < ln; li++) {
        size_t i = (size_t)li;
        for (size_t c = 0; c < k; c++) {
            size_t e = d - 1 - c;
            double s = 0.0;
            for (size_t j = 0; j < d; j++) s += a[i * d + j] * cov[j * d + e];
            y[i * k + c] = s;
        }
    }
    rc = 0;
done:
    sg_free(a);
    sg_free(cov);
    sg_free(w);
    sg_free(mean);
    return rc;
}
