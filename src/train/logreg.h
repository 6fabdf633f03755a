/* logreg.h — multinomial logistic regression with an L2 penalty, the signer probe of
 * `signstgcn eval`.
 *
 * What it computes: scikit-learn 1.2's make_pipeline(StandardScaler(),
 * LogisticRegression(C=1.0, multi_class='multinomial', solver='lbfgs')) fitted to
 * convergence: features are standardised with the training rows' mean and population
 * standard deviation (a constant feature keeps scale 1), then W (k, d) and b (k) minimise
 *
 *     Σ_i −log softmax(W x_i + b)[y_i]  +  ‖W‖² / (2C)          (b is not penalised)
 *
 * over the classes present in the training labels (as sklearn's classes_). Features are
 * float rows (n, d); labels are ints in [0, n_labels); probabilities come back per label,
 * 0 for a label the fit never saw.
 */
#ifndef SG_TRAIN_LOGREG_H
#define SG_TRAIN_LOGREG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct error;

struct logreg_config {
    double C;          /* inverse regularisation strength (1.0) */
    size_t max_iter;   /* L-BFGS iterations at most (1000) */
    double tol;        /* stop when max |∂f/∂θ| / n <= tol (1e-8) */
    size_t history;    /* L-BFGS memory (10) */
};

/* C = 1, max_iter = 1000, tol = 1e-8, history = 10. */
void logreg_config_default(struct logreg_config *c);

struct logreg {
    size_t d;          /* features */
    size_t n_labels;   /* label space of the caller */
    size_t k;          /* classes seen in training (columns of W) */
    int *classes;      /* (k) label of each class, increasing */
    double *mean;      /* (d) standardisation */
    double *scale;     /* (d) */
    double *w;         /* (k, d) on standardised features */
    double *b;         /* (k) */
    size_t n_iter;     /* iterations run */
    bool converged;    /* the gradient tolerance was met */
    double objective;  /* f at the solution */
};

/* Fits the model to x (n, d) and y (n). Errors: n = 0, d = 0, a label outside
 * [0, n_labels), a non-finite feature, C <= 0, out of memory. A single class in y is not an
 * error: the model then predicts it with probability 1. On success m owns its arrays. */
int logreg_fit(struct logreg *m, const float *x, size_t n, size_t d, const int *y,
               size_t n_labels, const struct logreg_config *cfg, struct error *err);
void logreg_free(struct logreg *m);

/* probs (n, n_labels) for x (n, d). */
void logreg_predict_proba(const struct logreg *m, const float *x, size_t n, double *probs);
/* The most probable label of each row (the lowest label on ties). */
void logreg_predict(const struct logreg *m, const float *x, size_t n, int *pred);

/* k-fold cross-validated accuracy: the rows are shuffled with the project's generator
 * seeded with `seed`, fold f holds positions [f·n/k, (f+1)·n/k) of that order, each fold is
 * predicted by a model fitted (standardisation included) on the other folds; *acc is the
 * share of rows predicted right over all folds, and fold_acc (k entries, may be NULL) each
 * fold's. Needs 2 <= folds <= n. */
int logreg_cross_val_accuracy(const float *x, size_t n, size_t d, const int *y,
                              size_t n_labels, size_t folds, uint64_t seed,
                              const struct logreg_config *cfg, double *acc, double *fold_acc,
                              struct error *err);

#endif
