/* metrics.h — validation metrics as scikit-learn 1.2 defines them (SPEC §6).
 *
 * Labels are class indices in [0, nc); probabilities are the model's softmax outputs,
 * row-major (n, nc). Every function checks its labels and returns -1 with a message naming
 * the first bad one. Values that scikit-learn leaves undefined are NaN (see each function).
 *
 *   accuracy           accuracy_score(y_true, y_pred)
 *   balanced accuracy  balanced_accuracy_score(y_true, y_pred)
 *   f1                 binary: f1_score(y_true, y_pred) (pos_label 1);
 *                      multi-class: f1_score(..., average='macro')
 *   pr_auc             binary: average_precision_score(y_true, probs[:, 1]);
 *                      multi-class: mean over the classes c present in y_true of
 *                      average_precision_score(y_true == c, probs[:, c])
 */
#ifndef SG_TRAIN_METRICS_H
#define SG_TRAIN_METRICS_H

#include <stdbool.h>
#include <stddef.h>

struct error;

struct metrics {
    double acc;
    double balanced_acc;
    double f1;
    double pr_auc;
};

/* cm (nc, nc): cm[t*nc + p] = number of samples with y_true t and y_pred p (rows true, columns
 * predicted, as sklearn's confusion_matrix(labels=range(nc))). y_true, y_pred (n). */
int metrics_confusion(const int *y_true, const int *y_pred, size_t n, size_t nc, size_t *cm,
                      struct error *err);

/* From a confusion matrix cm (nc, nc). No sample: NaN (sklearn returns nan). */
double metrics_accuracy_cm(const size_t *cm, size_t nc);
/* Mean recall over the classes present in y_true (rows with samples). A prediction of a class
 * absent from y_true counts as an error for its true class, and the absent class itself is
 * left out of the mean (sklearn warns "y_pred contains classes not in y_true"). No sample: NaN. */
double metrics_balanced_accuracy_cm(const size_t *cm, size_t nc);
/* binary (nc must be 2): F1 of class 1, 0 when class 1 is neither true nor predicted
 * (zero_division's default). Multi-class: the mean F1 over the classes present in y_true or
 * y_pred, each with precision/recall 0 where undefined; no class present (n = 0): NaN. */
double metrics_f1_cm(const size_t *cm, size_t nc, bool binary);

/* The same from labels (they allocate a confusion matrix). */
int metrics_accuracy(const int *y_true, const int *y_pred, size_t n, size_t nc, double *out,
                     struct error *err);
int metrics_balanced_accuracy(const int *y_true, const int *y_pred, size_t n, size_t nc,
                              double *out, struct error *err);
int metrics_f1(const int *y_true, const int *y_pred, size_t n, size_t nc, bool binary,
               double *out, struct error *err);

/* average_precision_score(positive, score): positive (n) is 0/1, score (n) with stride
 * `stride` floats between samples (1 for a plain vector, nc for a column of probs).
 * Σ_k (R_k − R_{k−1})·P_k over the distinct score thresholds in decreasing order (tied scores
 * form one threshold; no interpolation). No positive sample: 0 (sklearn warns that recall is
 * set to 1 everywhere). n = 0: NaN (sklearn raises). Scores must be finite (NaN has no
 * place in the ranking: an error). */
int metrics_average_precision(const unsigned char *positive, const float *score, size_t stride,
                              size_t n, double *out, struct error *err);

/* pr_auc as in the header comment; probs (n, nc). binary requires nc = 2. */
int metrics_pr_auc(const int *y_true, const float *probs, size_t n, size_t nc, bool binary,
                   double *out, struct error *err);

/* All four. y_true, y_pred (n); probs (n, nc). binary requires nc = 2 (labels 0/1, class 1 is
 * signing). n = 0: acc, balanced_acc and pr_auc are NaN; f1 is 0 (binary) or NaN. */
int metrics_compute(const int *y_true, const int *y_pred, const float *probs, size_t n,
                    size_t nc, bool binary, struct metrics *out, struct error *err);

#endif
