/* pca.c — principal component analysis through LAPACK's SVD.
 *
 * What: the PCA projection of scikit-learn's PCA(n_components=k).fit_transform(X) with the
 * full solver: X is centred column by column (means accumulated in double), the centred
 * n×d matrix A is decomposed as A = U S Vᵀ with LAPACKE_dgesdd (jobz 'S', thin SVD, in
 * double), and the projection is Y = U_k S_k = A V_k. Singular values come sorted in
 * decreasing order, so the first k columns are the top-k principal axes.
 *
 * Conventions: row-major everywhere (LAPACK_ROW_MAJOR). The sign of each axis is fixed as in
 * scikit-learn >= 1.5 (svd_flip with u_based_decision=False): the entry of largest absolute
 * value in each row of Vᵀ is made positive (the first one on exact ties), and U's column is
 * flipped with it. scikit-learn 1.2 decided the sign on U instead; the projection is the same
 * up to the sign of each column, and the V-based rule has the merit of not depending on the
 * number of rows. explained_variance = s² / (n − 1), as scikit-learn.
 *
 * Cost: dgesdd on an n×d matrix is O(n d min(n,d)) time and O(n d) memory (A and U), fine
 * for the tens of thousands of windows × 64..256 features that `embed` sees.
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

    int rc = -1;
    double *a = sg_malloc(nd, sizeof *a, "pca_project: centred data", err);
    double *u = sg_malloc(n, r * sizeof(double), "pca_project: U", err);
    double *vt = sg_malloc(r, d * sizeof(double), "pca_project: V^T", err);
    double *s = sg_malloc(r, sizeof *s, "pca_project: singular values", err);
    double *mean = sg_calloc(d, sizeof *mean, "pca_project: means", err);
    if (!a || !u || !vt || !s || !mean) goto done;

    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < d; j++) mean[j] += (double)x[i * d + j];
    for (size_t j = 0; j < d; j++) mean[j] /= (double)n;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < d; j++) a[i * d + j] = (double)x[i * d + j] - mean[j];

    if (n > (size_t)INT32_MAX || d > (size_t)INT32_MAX) {
        error_set(err, "pca_project: %zu x %zu is too large for LAPACK's 32-bit sizes", n, d);
        goto done;
    }
    lapack_int info = LAPACKE_dgesdd(LAPACK_ROW_MAJOR, 'S', (lapack_int)n, (lapack_int)d, a,
                                     (lapack_int)d, s, u, (lapack_int)r, vt, (lapack_int)d);
    if (info != 0) {
        error_set(err, "pca_project: LAPACKE_dgesdd failed (info %d%s)", (int)info,
                  info > 0 ? ": the SVD did not converge" : "");
        goto done;
    }

    for (size_t c = 0; c < k; c++) {
        const double *v = vt + c * d;
        size_t best = 0;
        for (size_t j = 1; j < d; j++)
            if (fabs(v[j]) > fabs(v[best])) best = j;
        double sign = v[best] < 0 ? -1.0 : 1.0;
        for (size_t i = 0; i < n; i++) y[i * k + c] = sign * u[i * r + c] * s[c];
        if (components)
            for (size_t j = 0; j < d; j++) components[c * d + j] = sign * v[j];
        if (explained_variance)
            explained_variance[c] = n > 1 ? s[c] * s[c] / (double)(n - 1) : 0.0;
    }
    rc = 0;
done:
    sg_free(a);
    sg_free(u);
    sg_free(vt);
    sg_free(s);
    sg_free(mean);
    return rc;
}
