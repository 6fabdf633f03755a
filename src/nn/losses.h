/* losses.h — the training losses of SPEC §4: weighted softmax cross-entropy, supervised
 * contrastive loss, and the CLUB mutual-information pieces.
 *
 * Every loss returns its value as a double and, when the gradient pointer is not NULL,
 * ADDS scale · d(loss)/d(input) into it (scale carries the loss weight, e.g.
 * --supcon-weight), so the model can sum several terms into one gradient buffer. Labels are
 * ints in [0, K); a label out of range is a programmer error (CHECK).
 */
#ifndef SG_NN_LOSSES_H
#define SG_NN_LOSSES_H

#include <stddef.h>

/* PyTorch F.cross_entropy(logits, y, weight=w): Σ_b w[y_b]·CE_b / Σ_b w[y_b] with
 * CE_b = −log softmax(logits_b)[y_b]; w (K) may be NULL (plain mean). logits, dlogits (B,K).
 * Returns 0 with no gradient when B == 0 or Σ_b w[y_b] == 0 (PyTorch would give NaN). */
double cross_entropy_loss(float *dlogits, const float *logits, const int *y, const float *w,
                          size_t B, size_t K, float scale);

/* The same with label smoothing eps: targets q_c = (1 − eps)[c = y_b] + eps/K, CE_b =
 * −Σ_c q_c log p_bc, gradient w[y_b]/W·(p_bc − q_c). Weights multiply whole rows by w[y_b]
 * (PyTorch weights each class's term by w[c] instead; the two agree without weights).
 * eps = 0 is cross_entropy_loss exactly. */
double cross_entropy_smooth_loss(float *dlogits, const float *logits, const int *y,
                                 const float *w, size_t B, size_t K, float scale, double eps);

/* Data-parallel pieces: a process holding rows of a larger batch computes its part of the
 * batch's loss (Σ over its rows / the whole batch's weight sum) and adds the exact gradient
 * of the whole batch's loss for its rows; the parts of all processes sum to the loss.
 * cross_entropy_weight_sum gives Σ_b w[y_b] (B without weights) of labels y. */
double cross_entropy_weight_sum(const int *y, const float *w, size_t B, size_t K);
double cross_entropy_smooth_part(float *dlogits, const float *logits, const int *y,
                                 const float *w, size_t B, size_t K, float scale, double eps,
                                 double wsum);
/* club_bound's part of rows y (B) of a batch whose labels are y_all (B_all). */
double club_bound_part(float *dlogits, const float *logits, const int *y, size_t B, size_t NS,
                       float scale, const int *y_all, size_t B_all);

/* Workspace for supcon_loss, in floats. */
size_t supcon_workspace_size(size_t B, size_t D);

/* Supervised contrastive loss (Khosla et al. 2020, SPEC §4) on features Z (B,D):
 * z_i = Z_i / max(‖Z_i‖, 1e−12), s_ij = z_i·z_j / tau; anchors are the i with at least one
 * other j of the same class; L_i = −mean_{p ∈ P(i)} [s_ip − log Σ_{a≠i} exp(s_ia)];
 * loss = mean over anchors, 0 (and no gradient) when there is no anchor. dZ (B,D) may be
 * NULL; ws has supcon_workspace_size(B, D) floats. */
double supcon_loss(float *dZ, const float *Z, const int *y, size_t B, size_t D, float tau,
                   float scale, float *ws);

/* CLUB estimator loss: −mean_i log q(y_i | Z_i) on the estimator's logits (B,NS), i.e. the
 * unweighted cross-entropy (the estimator's training objective, with Z detached). */
double club_estimator_loss(float *dlogits, const float *logits, const int *y, size_t B,
                           size_t NS, float scale);

/* CLUB upper bound on the estimator's logits (B,NS), log q = log_softmax:
 * mean_i log q(y_i|z_i) − mean_i mean_j log q(y_j|z_i) (j over the batch, j = i included);
 * dlogits += scale · its gradient. 0 when B == 0. */
double club_bound(float *dlogits, const float *logits, const int *y, size_t B, size_t NS,
                  float scale);

#endif
