/* pca.h — principal component analysis of window embeddings (signstgcn embed --reduce pca).
 *
 * X is n rows of d features, row-major float (what the model's forward writes); the
 * projection is n rows of k doubles. The data are centred and projected on the top-k
 * eigenvectors of their scatter matrix (LAPACK's dsyevd, double precision): numpy's SVD
 * projection up to sign, the same for any number of threads. Sign convention (scikit-learn >= 1.5's svd_flip with
 * u_based_decision=False): the entry of largest magnitude of each principal axis is positive
 * (the first such entry on ties), so the output does not depend on LAPACK's choice of sign.
 */
#ifndef SG_VIZ_PCA_H
#define SG_VIZ_PCA_H

#include <stddef.h>

struct error;

/* Projects x (n×d, row-major) on its top-k principal axes: y is n×k row-major.
 * components (k×d, may be NULL) receives the axes, explained_variance (k, may be NULL) the
 * variance along each (singular value² / (n-1); 0 when n == 1).
 * Fails on k == 0, k > min(n, d), n == 0, a non-finite input, or a LAPACK failure. */
int pca_project(const float *x, size_t n, size_t d, size_t k, double *y, double *components,
                double *explained_variance, struct error *err);

#endif
