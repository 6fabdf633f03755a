/* adam.h — Adam with decoupled weight decay (AdamW) and global-norm clipping, SPEC §6.
 *
 * The optimiser works on contiguous ranges of the parameter table's flat buffers (params.h):
 * the model's trained range and, separately, the MI estimator's range with its own step count.
 * Padding between tensors has zero parameter, gradient and moments, and stays zero.
 */
#ifndef SG_MODEL_ADAM_H
#define SG_MODEL_ADAM_H

#include <stddef.h>

struct adam_config {
    double lr;            /* 1e-3 */
    double beta1, beta2;  /* 0.9, 0.999 */
    double eps;           /* 1e-8 */
    double weight_decay;  /* decoupled: p ← p·(1 − lr·wd) before the Adam update */
};

void adam_config_default(struct adam_config *c);

/* One step on p[begin,end) with gradients g, moments m, v; `step` is the 1-based step number
 * after this update (PyTorch's state['step']). Follows torch.optim.AdamW (single-tensor path):
 *   p ← p·(1−lr·wd);  m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²;
 *   p ← p − (lr / (1−β1^step)) · m / (√v / √(1−β2^step) + eps)                              */
void adam_step(float *p, const float *g, float *m, float *v, size_t begin, size_t end,
               const struct adam_config *c, long step);

/* ‖g[begin,end)‖₂ accumulated in double in a fixed order (independent of thread count). */
double grad_norm(const float *g, size_t begin, size_t end);

/* Global-norm clipping as torch.nn.utils.clip_grad_norm_: with ‖g‖ = grad_norm, multiplies g by
 * min(1, max_norm / (‖g‖ + 1e−6)). Returns ‖g‖ before clipping. max_norm <= 0: no clipping. */
double grad_clip(float *g, size_t begin, size_t end, double max_norm);

#endif
