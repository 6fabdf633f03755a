/* losses.c — cross-entropy (optionally class-weighted), supervised contrastive loss and the
 * CLUB mutual-information bound (SPEC §4).
 *
 * Everything here runs in double: the batch is small (B ≤ a few hundred), and these sums
 * decide the reported losses. Loops run in a fixed order without threads, so values and
 * gradients are bit-identical from run to run.
 *
 * Cross-entropy: log-softmax with the max subtracted; d/dlogit_bc = w[y_b]/W·(p_bc − [c=y_b]),
 * W = Σ_b w[y_b] (W = B without weights).
 *
 * Supervised contrastive: with G_ij = dL/ds_ij = (softmax_{a≠i}(s_i)_j − [j∈P(i)]/|P(i)|)/|A|
 * for anchors i (0 for non-anchors and j = i), dL/dz_k = Σ_j (G_kj + G_jk)·z_j / tau, then
 * through the normalisation: dZ_k = (g_k − z_k (z_k·g_k)) / ‖Z_k‖ (or g_k / 1e−12 where the
 * norm is clamped, as F.normalize's max() passes no gradient to the norm there).
 *
 * CLUB bound: log q(c|z_i) = l_ic − LSE_i; the LSE cancels between the two means, so the
 * bound equals mean_i [l_{i,y_i} − mean_j l_{i,y_j}], linear in the logits, with gradient
 * ([c=y_i] − n_c/B)/B, n_c the count of label c in the batch. It is computed in that form
 * (exact, no exponentials); PyTorch's log_softmax form differs only by rounding.
 */
#include "nn/losses.h"

#include <math.h>
#include <string.h>

#include "core/error.h"

double cross_entropy_weight_sum(const int *y, const float *w, size_t B, size_t K)
{
    double wsum = 0.0;
    for (size_t b = 0; b < B; b++) {
        CHECK(y[b] >= 0 && (size_t)y[b] < K);
        wsum += w ? (double)w[y[b]] : 1.0;
    }
    return wsum;
}

double cross_entropy_loss(float *dlogits, const float *logits, const int *y, const float *w,
                          size_t B, size_t K, float scale)
{
    return cross_entropy_smooth_part(dlogits, logits, y, w, B, K, scale, 0.0,
                                     cross_entropy_weight_sum(y, w, B, K));
}

double cross_entropy_smooth_loss(float *dlogits, const float *logits, const int *y,
                                 const float *w, size_t B, size_t K, float scale, double eps)
{
    return cross_entropy_smooth_part(dlogits, logits, y, w, B, K, scale, eps,
                                     cross_entropy_weight_sum(y, w, B, K));
}

/* log Σ_c exp(l[c]) of one row of K logits, in double, shifted by the row's maximum. */
static double row_lse(const float *l, size_t K)
{
    double mx = -INFINITY;
    for (size_t c = 0; c < K; c++)
        if ((double)l[c] > mx) mx = (double)l[c];
    double den = 0.0;
    for (size_t c = 0; c < K; c++) den += exp((double)l[c] - mx);
    return mx + log(den);
}

/* Plain cross-entropy rows over a given weight sum (the eps = 0 case of the smoothed one, kept
 * apart so that its arithmetic is the unsmoothed formula's). */
static double cross_entropy_rows(float *dlogits, const float *logits, const int *y,
                                 const float *w, size_t B, size_t K, float scale, double wsum)
{
    for (size_t b = 0; b < B; b++) CHECK(y[b] >= 0 && (size_t)y[b] < K);
    if (B == 0 || wsum == 0.0) return 0.0;
    double loss = 0.0;
    for (size_t b = 0; b < B; b++) {
        const float *l = logits + b * K;
        double lse = row_lse(l, K);
        double wb = w ? (double)w[y[b]] : 1.0;
        loss += wb * (lse - (double)l[y[b]]);
        if (dlogits) {
            double f = (double)scale * wb / wsum;
            for (size_t c = 0; c < K; c++) {
                double pc = exp((double)l[c] - lse);
                dlogits[b * K + c] += (float)(f * (pc - (c == (size_t)y[b] ? 1.0 : 0.0)));
            }
        }
    }
    return loss / wsum;
}

double cross_entropy_smooth_part(float *dlogits, const float *logits, const int *y,
                                 const float *w, size_t B, size_t K, float scale, double eps,
                                 double wsum)
{
    if (eps == 0.0) return cross_entropy_rows(dlogits, logits, y, w, B, K, scale, wsum);
    for (size_t b = 0; b < B; b++) CHECK(y[b] >= 0 && (size_t)y[b] < K);
    if (B == 0 || wsum == 0.0) return 0.0;
    const double off = eps / (double)K, on = 1.0 - eps + off;
    double loss = 0.0;
    for (size_t b = 0; b < B; b++) {
        const float *l = logits + b * K;
        const double lse = row_lse(l, K);
        double ce = 0.0;
        for (size_t c = 0; c < K; c++)
            ce += (c == (size_t)y[b] ? on : off) * (lse - (double)l[c]);
        const double wb = w ? (double)w[y[b]] : 1.0;
        loss += wb * ce;
        if (dlogits) {
            const double f = (double)scale * wb / wsum;
            for (size_t c = 0; c < K; c++) {
                double pc = exp((double)l[c] - lse);
                dlogits[b * K + c] += (float)(f * (pc - (c == (size_t)y[b] ? on : off)));
            }
        }
    }
    return loss / wsum;
}

double club_estimator_loss(float *dlogits, const float *logits, const int *y, size_t B,
                           size_t NS, float scale)
{
    return cross_entropy_loss(dlogits, logits, y, NULL, B, NS, scale);
}

double club_bound(float *dlogits, const float *logits, const int *y, size_t B, size_t NS,
                  float scale)
{
    return club_bound_part(dlogits, logits, y, B, NS, scale, y, B);
}

double club_bound_part(float *dlogits, const float *logits, const int *y, size_t B, size_t NS,
                       float scale, const int *y_all, size_t B_all)
{
    if (B_all == 0) return 0.0;
    for (size_t b = 0; b < B; b++) CHECK(y[b] >= 0 && (size_t)y[b] < NS);
    for (size_t b = 0; b < B_all; b++) CHECK(y_all[b] >= 0 && (size_t)y_all[b] < NS);
    double total = 0.0;
    for (size_t i = 0; i < B; i++) {
        const float *l = logits + i * NS;
        double cross = 0.0;
        for (size_t j = 0; j < B_all; j++) cross += (double)l[y_all[j]];
        total += (double)l[y[i]] - cross / (double)B_all;
    }
    if (dlogits) {
        /* n_c / B per class, the same for every row. */
        for (size_t i = 0; i < B; i++) {
            float *d = dlogits + i * NS;
            for (size_t c = 0; c < NS; c++) {
                size_t nc = 0;
                for (size_t j = 0; j < B_all; j++) nc += (size_t)y_all[j] == c;
                double gval = ((c == (size_t)y[i] ? 1.0 : 0.0) - (double)nc / (double)B_all) /
                              (double)B_all;
                d[c] += (float)((double)scale * gval);
            }
        }
    }
    return total / (double)B_all;
}

size_t supcon_workspace_size(size_t B, size_t D) { return B * D + B * B + B; }

double supcon_loss(float *dZ, const float *Z, const int *y, size_t B, size_t D, float tau,
                   float scale, float *ws)
{
    CHECK(tau > 0.0f);
    float *zn = ws, *Gm = ws + B * D, *norm = ws + B * D + B * B;
    size_t n_anchor = 0;
    for (size_t i = 0; i < B; i++) {
        size_t np = 0;
        for (size_t j = 0; j < B; j++) np += j != i && y[j] == y[i];
        n_anchor += np > 0;
    }
    if (n_anchor == 0) return 0.0;
    for (size_t i = 0; i < B; i++) {
        double ss = 0.0;
        for (size_t d = 0; d < D; d++) ss += (double)Z[i * D + d] * (double)Z[i * D + d];
        double nrm = sqrt(ss);
        double den = nrm > 1e-12 ? nrm : 1e-12;
        norm[i] = (float)nrm;
        for (size_t d = 0; d < D; d++) zn[i * D + d] = (float)((double)Z[i * D + d] / den);
    }
    double invtau = 1.0 / (double)tau, loss = 0.0;
    for (size_t i = 0; i < B; i++) {
        float *Gi = Gm + i * B;
        size_t np = 0;
        for (size_t j = 0; j < B; j++) np += j != i && y[j] == y[i];
        if (np == 0) {
            memset(Gi, 0, B * sizeof *Gi);
            continue;
        }
        /* Row i of the logits s_ij, stored in Gi (as floats, the precision of the features)
         * until they are replaced by the row's gradient G_ij. */
        double mx = -INFINITY, pos = 0.0;
        for (size_t j = 0; j < B; j++) {
            if (j == i) continue;
            double sij = 0.0;
            for (size_t d = 0; d < D; d++) sij += (double)zn[i * D + d] * (double)zn[j * D + d];
            Gi[j] = (float)(sij * invtau);
            if ((double)Gi[j] > mx) mx = (double)Gi[j];
            if (y[j] == y[i]) pos += (double)Gi[j];
        }
        double den = 0.0;
        for (size_t j = 0; j < B; j++)
            if (j != i) den += exp((double)Gi[j] - mx);
        double lse = mx + log(den);
        loss += lse - pos / (double)np;
        for (size_t j = 0; j < B; j++) {
            if (j == i) {
                Gi[j] = 0.0f;
                continue;
            }
            double pj = exp((double)Gi[j] - lse);
            double gij = pj - (y[j] == y[i] ? 1.0 / (double)np : 0.0);
            Gi[j] = (float)(gij / (double)n_anchor);
        }
    }
    if (dZ) {
        for (size_t k = 0; k < B; k++) {
            double zg = 0.0;
            /* g_k = Σ_j (G_kj + G_jk) z_j / tau, one channel at a time. */
            for (size_t d = 0; d < D; d++) {
                double a = 0.0;
                for (size_t j = 0; j < B; j++)
                    a += ((double)Gm[k * B + j] + (double)Gm[j * B + k]) * (double)zn[j * D + d];
                zg += a * invtau * (double)zn[k * D + d];
            }
            double nrm = (double)norm[k];
            for (size_t d = 0; d < D; d++) {
                double a = 0.0;
                for (size_t j = 0; j < B; j++)
                    a += ((double)Gm[k * B + j] + (double)Gm[j * B + k]) * (double)zn[j * D + d];
                a *= invtau;
                double dz = nrm > 1e-12 ? (a - (double)zn[k * D + d] * zg) / nrm : a / 1e-12;
                dZ[k * D + d] += (float)((double)scale * dz);
            }
        }
    }
    return loss / (double)n_anchor;
}
