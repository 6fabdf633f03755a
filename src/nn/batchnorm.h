/* batchnorm.h — BatchNorm2d over channels-last activations (SPEC §3.1), forward and backward.
 *
 * PyTorch: nn.BatchNorm2d(C) (eps 1e-5, momentum 0.1, affine) applied to (B,C,T,J); here on
 * the (N = B·T·J, C) matrix of channels-last activations, statistics per channel over N.
 *
 *   training:   μ = mean_n X,  σ² = mean_n (X−μ)²  (biased, used to normalise)
 *               Y = (X−μ)/√(σ²+eps)·γ + β
 *               running_mean ← (1−m)·running_mean + m·μ
 *               running_var  ← (1−m)·running_var  + m·σ²·N/(N−1)   (unbiased; N >= 2)
 *   evaluation: Y = (X−running_mean)/√(running_var+eps)·γ + β
 *
 * num_batches_tracked is not touched here: the model adds 1 to it after each training-mode
 * forward (PyTorch does that only because momentum may be None, which SPEC never uses; it is
 * kept for state_dict compatibility). Conventions as linear.h: forward overwrites Y (Y may be X),
 * backward ADDS into dX, dgamma and dbeta (any may be NULL). Statistics are accumulated in
 * double over n in a fixed order, so they do not depend on the thread count.
 */
#ifndef SG_NN_BATCHNORM_H
#define SG_NN_BATCHNORM_H

#include <stddef.h>

#define BATCHNORM_EPS 1e-5f
#define BATCHNORM_MOMENTUM 0.1f

/* Training mode. X, Y (N,C); gamma, beta (C); saves mean (C) and invstd = 1/√(σ²+eps) (C) for
 * the backward, updates running_mean, running_var (C) in place (either may be NULL to skip).
 * Y NULL: the statistics only (gamma and beta unused) — the normalisation is then applied by a
 * fused kernel (block_tail_forward) through batchnorm_fold. */
void batchnorm_forward_train(float *Y, float *mean, float *invstd, float *running_mean,
                             float *running_var, const float *X, const float *gamma,
                             const float *beta, size_t N, size_t C, float momentum, float eps);

/* Training-mode backward with x̂ = (X−mean)·invstd, g = dY:
 *   dbeta += Σ_n g;  dgamma += Σ_n g·x̂;
 *   dX += γ·invstd·(g − Σ_n g/N − x̂·Σ_n g·x̂/N). */
void batchnorm_backward_train(float *dX, float *dgamma, float *dbeta, const float *dY,
                              const float *X, const float *gamma, const float *mean,
                              const float *invstd, size_t N, size_t C);
/* The same, but dX = γ·invstd·(…) (overwritten: the caller need not zero it first). */
void batchnorm_backward_train_set(float *dX, float *dgamma, float *dbeta, const float *dY,
                                  const float *X, const float *gamma, const float *mean,
                                  const float *invstd, size_t N, size_t C);

/* BatchNorm as the per-channel affine y = x·a + b that the forwards apply, with the same float
 * operations: training, from the batch statistics the forward saved (a = invstd·γ,
 * b = β − mean·a); evaluation, from the running statistics. a, b (C). */
void batchnorm_fold(float *a, float *b, const float *gamma, const float *beta, const float *mean,
                    const float *invstd, size_t C);
void batchnorm_fold_eval(float *a, float *b, const float *gamma, const float *beta,
                         const float *running_mean, const float *running_var, size_t C,
                         float eps);

/* Evaluation mode: the running statistics (C) normalise; nothing is updated. */
void batchnorm_forward_eval(float *Y, const float *X, const float *gamma, const float *beta,
                            const float *running_mean, const float *running_var, size_t N,
                            size_t C, float eps);

/* Evaluation-mode backward (an affine map): dbeta += Σ g; dgamma += Σ g·x̂;
 * dX += g·γ/√(running_var+eps), with x̂ = (X−running_mean)/√(running_var+eps). */
void batchnorm_backward_eval(float *dX, float *dgamma, float *dbeta, const float *dY,
                             const float *X, const float *gamma, const float *running_mean,
                             const float *running_var, size_t N, size_t C, float eps);

/* Synchronised BatchNorm (data-parallel training): the batch of N rows is split over several
 * processes and the statistics must be those of all rows, with batchnorm_forward_train's
 * arithmetic. Each process computes partial sums, the caller sums them over the processes,
 * and each process finishes with the totals:
 *   forward:  shift = the batch's first row (batchnorm_stats_shift on the process that holds
 *             it, zeros elsewhere, then summed) → batchnorm_stats_partial (local Σ(x−shift)
 *             and Σ(x−shift)² in s1, s2 (C, double)) → summed → batchnorm_stats_finish
 *             (mean, invstd and running statistics from the totals of N_total rows);
 *   backward: batchnorm_grad_sums (local Σg and Σg·x̂ in sg, sgx (C, double)) → summed →
 *             batchnorm_backward_input (dX with the totals); dbeta += Σg and dgamma += Σg·x̂
 *             of the totals are added by one process only, so that the gradient all-reduce
 *             leaves exactly them.
 * The sums are double, so the totals differ from one process's only in the last bits of a
 * double: mean and invstd come out as the same floats nearly always. A process with N = 0
 * rows contributes zeros. */
void batchnorm_stats_shift(double *shift, const float *X, size_t N, size_t C);
void batchnorm_stats_partial(double *s1, double *s2, const double *shift, const float *X,
                             size_t N, size_t C);
void batchnorm_stats_finish(float *mean, float *invstd, float *running_mean, float *running_var,
                            const double *shift, const double *s1, const double *s2, size_t C,
                            size_t N_total, float momentum, float eps);
void batchnorm_grad_sums(double *sg, double *sgx, const float *dY, const float *X,
                         const float *mean, const float *invstd, size_t N, size_t C);
void batchnorm_backward_input(float *dX, const float *dY, const float *X, const float *gamma,
                              const float *mean, const float *invstd, const double *sg_total,
                              const double *sgx_total, size_t N, size_t C, size_t N_total);
/* batchnorm_backward_input overwriting dX instead of adding to it. */
void batchnorm_backward_input_set(float *dX, const float *dY, const float *X,
                                  const float *gamma, const float *mean, const float *invstd,
                                  const double *sg_total, const double *sgx_total, size_t N,
                                  size_t C, size_t N_total);

/* Plain-loop versions (one thread, one channel at a time, two-pass statistics): the oracle. */
void batchnorm_forward_train_ref(float *Y, float *mean, float *invstd, float *running_mean,
                                 float *running_var, const float *X, const float *gamma,
                                 const float *beta, size_t N, size_t C, float momentum,
                                 float eps);
void batchnorm_backward_train_ref(float *dX, float *dgamma, float *dbeta, const float *dY,
                                  const float *X, const float *gamma, const float *mean,
                                  const float *invstd, size_t N, size_t C);

#endif
