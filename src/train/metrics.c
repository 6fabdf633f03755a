/* metrics.c — accuracy, balanced accuracy, F1 and average precision as scikit-learn 1.2
 * computes them (see metrics.h for the definitions).
 *
 * Conventions. Accuracy, balanced accuracy and F1 all follow from the confusion matrix, so
 * they are computed from it, with integer counts and one division per ratio in the order
 * sklearn uses (precision and recall first, then F = 2·P·R/(P+R) with a zero denominator
 * read as 1, as precision_recall_fscore_support does). Means are plain sums in class order;
 * sklearn's numpy means sum pairwise, which differs in the last bit at most.
 *
 * Average precision follows precision_recall_curve and _binary_uninterpolated_average_
 * precision: samples sorted by decreasing score; every distinct score is a threshold; at the
 * k-th threshold tps_k and fps_k count the positives and negatives scored at or above it,
 * P_k = tps_k/(tps_k+fps_k), R_k = tps_k/tps_total, and AP = Σ_k (R_k − R_{k−1})·P_k with
 * R_0 = 0. Scores are compared as the floats the model wrote, so ties are exact.
 *
 * Degenerate cases, matched to sklearn: n = 0 gives NaN for accuracy and balanced accuracy,
 * 0 for the binary F1 and NaN for the macro F1; average precision with n = 0 raises in
 * sklearn and is NaN here; without any positive sample it is 0. See docs/decisions.md.
 *
 * Not here: sample weights, other averages ('micro', 'weighted'), interpolated AP.
 */
#include "train/metrics.h"

#include <math.h>
#include <stdlib.h>

#include "core/alloc.h"
#include "core/error.h"

static int check_labels(const char *fn, const char *which, const int *y, size_t n, size_t nc,
                        struct error *err)
{
    for (size_t i = 0; i < n; i++)
        if (y[i] < 0 || (size_t)y[i] >= nc)
            return error_set(err, "%s: %s[%zu] = %d is not a class (expected 0..%zu)", fn,
                             which, i, y[i], nc - 1);
    return 0;
}

int metrics_confusion(const int *y_true, const int *y_pred, size_t n, size_t nc, size_t *cm,
                      struct error *err)
{
    if (nc == 0) return error_set(err, "metrics_confusion: no classes (nc = 0)");
    if (check_labels("metrics_confusion", "y_true", y_true, n, nc, err)) return -1;
    if (check_labels("metrics_confusion", "y_pred", y_pred, n, nc, err)) return -1;
    for (size_t i = 0; i < nc * nc; i++) cm[i] = 0;
    for (size_t i = 0; i < n; i++) cm[(size_t)y_true[i] * nc + (size_t)y_pred[i]]++;
    return 0;
}

double metrics_accuracy_cm(const size_t *cm, size_t nc)
{
    size_t total = 0, correct = 0;
    for (size_t i = 0; i < nc * nc; i++) total += cm[i];
    for (size_t c = 0; c < nc; c++) correct += cm[c * nc + c];
    if (total == 0) return NAN;
    return (double)correct / (double)total;
}

double metrics_balanced_accuracy_cm(const size_t *cm, size_t nc)
{
    double sum = 0.0;
    size_t present = 0;
    for (size_t t = 0; t < nc; t++) {
        size_t row = 0;
        for (size_t p = 0; p < nc; p++) row += cm[t * nc + p];
        if (row == 0) continue; /* class absent from y_true: nan in sklearn, dropped */
        sum += (double)cm[t * nc + t] / (double)row;
        present++;
    }
    if (present == 0) return NAN;
    return sum / (double)present;
}

/* F1 of class c as precision_recall_fscore_support computes it (zero_division → 0). */
static double class_f1(const size_t *cm, size_t nc, size_t c, bool *present)
{
    size_t tp = cm[c * nc + c], true_sum = 0, pred_sum = 0;
    for (size_t j = 0; j < nc; j++) {
        true_sum += cm[c * nc + j];
        pred_sum += cm[j * nc + c];
    }
    *present = true_sum > 0 || pred_sum > 0;
    double precision = pred_sum ? (double)tp / (double)pred_sum : 0.0;
    double recall = true_sum ? (double)tp / (double)true_sum : 0.0;
    double denom = precision + recall;
    if (denom == 0.0) denom = 1.0;
    return 2.0 * precision * recall / denom;
}

double metrics_f1_cm(const size_t *cm, size_t nc, bool binary)
{
    bool present;
    if (binary) return class_f1(cm, nc, 1, &present);
    double sum = 0.0;
    size_t count = 0;
    for (size_t c = 0; c < nc; c++) {
        double f = class_f1(cm, nc, c, &present);
        if (!present) continue; /* not in unique_labels(y_true, y_pred) */
        sum += f;
        count++;
    }
    if (count == 0) return NAN;
    return sum / (double)count;
}

/* Allocates and fills a confusion matrix; NULL with err set on failure. */
static size_t *confusion_alloc(const char *fn, const int *y_true, const int *y_pred, size_t n,
                               size_t nc, struct error *err)
{
    size_t cells;
    if (nc == 0) {
        error_set(err, "%s: no classes (nc = 0)", fn);
        return NULL;
    }
    if (!size_mul(nc, nc, &cells)) {
        error_set(err, "%s: %zu classes: confusion matrix size overflows", fn, nc);
        return NULL;
    }
    size_t *cm = sg_malloc(cells, sizeof *cm, "confusion matrix", err);
    if (!cm) return NULL;
    if (metrics_confusion(y_true, y_pred, n, nc, cm, err)) {
        error_prefix(err, "%s", fn);
        free(cm);
        return NULL;
    }
    return cm;
}

int metrics_accuracy(const int *y_true, const int *y_pred, size_t n, size_t nc, double *out,
                     struct error *err)
{
    size_t *cm = confusion_alloc("metrics_accuracy", y_true, y_pred, n, nc, err);
    if (!cm) return -1;
    *out = metrics_accuracy_cm(cm, nc);
    free(cm);
    return 0;
}

int metrics_balanced_accuracy(const int *y_true, const int *y_pred, size_t n, size_t nc,
                              double *out, struct error *err)
{
    size_t *cm = confusion_alloc("metrics_balanced_accuracy", y_true, y_pred, n, nc, err);
    if (!cm) return -1;
    *out = metrics_balanced_accuracy_cm(cm, nc);
    free(cm);
    return 0;
}

int metrics_f1(const int *y_true, const int *y_pred, size_t n, size_t nc, bool binary,
               double *out, struct error *err)
{
    if (binary && nc != 2)
        return error_set(err, "metrics_f1: binary mode needs 2 classes, got %zu", nc);
    size_t *cm = confusion_alloc("metrics_f1", y_true, y_pred, n, nc, err);
    if (!cm) return -1;
    *out = metrics_f1_cm(cm, nc, binary);
    free(cm);
    return 0;
}

struct scored {
    float score;
    unsigned char positive;
    size_t index;
};

/* Decreasing score; equal scores by index, so the order (and every sum) is reproducible. */
static int scored_cmp(const void *pa, const void *pb)
{
    const struct scored *a = pa, *b = pb;
    if (a->score > b->score) return -1;
    if (a->score < b->score) return 1;
    return (a->index > b->index) - (a->index < b->index);
}

int metrics_average_precision(const unsigned char *positive, const float *score, size_t stride,
                              size_t n, double *out, struct error *err)
{
    if (n == 0) {
        *out = NAN;
        return 0;
    }
    size_t total_pos = 0;
    for (size_t i = 0; i < n; i++) {
        float s = score[i * stride];
        if (!isfinite(s))
            return error_set(err, "metrics_average_precision: score[%zu] = %g is not finite", i,
                             (double)s);
        total_pos += positive[i] != 0;
    }
    if (total_pos == 0) { /* recall is 1 at every threshold: no step, AP = 0 */
        *out = 0.0;
        return 0;
    }
    struct scored *v = sg_malloc(n, sizeof *v, "average precision ranking", err);
    if (!v) return -1;
    for (size_t i = 0; i < n; i++) {
        v[i].score = score[i * stride];
        v[i].positive = positive[i] != 0;
        v[i].index = i;
    }
    qsort(v, n, sizeof *v, scored_cmp);
    double ap = 0.0, recall_prev = 0.0;
    size_t tps = 0;
    for (size_t i = 0; i < n; i++) {
        tps += v[i].positive;
        if (i + 1 < n && v[i + 1].score == v[i].score) continue; /* same threshold */
        double precision = (double)tps / (double)(i + 1);
        double recall = (double)tps / (double)total_pos;
        ap += (recall - recall_prev) * precision;
        recall_prev = recall;
    }
    free(v);
    *out = ap;
    return 0;
}

int metrics_pr_auc(const int *y_true, const float *probs, size_t n, size_t nc, bool binary,
                   double *out, struct error *err)
{
    if (nc == 0) return error_set(err, "metrics_pr_auc: no classes (nc = 0)");
    if (binary && nc != 2)
        return error_set(err, "metrics_pr_auc: binary mode needs 2 classes, got %zu", nc);
    if (check_labels("metrics_pr_auc", "y_true", y_true, n, nc, err)) return -1;
    if (n == 0) {
        *out = NAN;
        return 0;
    }
    unsigned char *pos = sg_malloc(n, 1, "average precision labels", err);
    if (!pos) return -1;
    int rc = 0;
    if (binary) {
        for (size_t i = 0; i < n; i++) pos[i] = y_true[i] == 1;
        rc = metrics_average_precision(pos, probs + 1, nc, n, out, err);
    } else {
        double sum = 0.0;
        size_t present = 0;
        for (size_t c = 0; c < nc && rc == 0; c++) {
            size_t count = 0;
            for (size_t i = 0; i < n; i++) {
                pos[i] = (size_t)y_true[i] == c;
                count += pos[i];
            }
            if (count == 0) continue; /* only the classes present in y_true */
            double ap;
            rc = metrics_average_precision(pos, probs + c, nc, n, &ap, err);
            sum += ap;
            present++;
        }
        if (rc == 0) *out = sum / (double)present; /* n > 0: some class is present */
    }
    free(pos);
    if (rc) error_prefix(err, "metrics_pr_auc");
    return rc;
}

int metrics_compute(const int *y_true, const int *y_pred, const float *probs, size_t n,
                    size_t nc, bool binary, struct metrics *out, struct error *err)
{
    if (binary && nc != 2)
        return error_set(err, "metrics_compute: binary mode needs 2 classes, got %zu", nc);
    size_t *cm = confusion_alloc("metrics_compute", y_true, y_pred, n, nc, err);
    if (!cm) return -1;
    out->acc = metrics_accuracy_cm(cm, nc);
    out->balanced_acc = metrics_balanced_accuracy_cm(cm, nc);
    out->f1 = metrics_f1_cm(cm, nc, binary);
    free(cm);
    if (metrics_pr_auc(y_true, probs, n, nc, binary, &out->pr_auc, err))
        return error_prefix(err, "metrics_compute");
    return 0;
}
