/* joint_mean.h — mean over joints (SPEC §3.2): (B,T,J,C) → (B,T,C), forward and backward.
 *
 * PyTorch: Y = X.mean(dim=2). Conventions as linear.h: forward overwrites Y, backward ADDS
 * into dX. B and T enter only as their product BT.
 */
#ifndef SG_NN_JOINT_MEAN_H
#define SG_NN_JOINT_MEAN_H

#include <stddef.h>

/* Y (BT,C) = (1/J)·Σ_j X (BT,J,C), summed in double in joint order. */
void joint_mean_forward(float *Y, const float *X, size_t BT, size_t J, size_t C);
/* dX (BT,J,C) += dY (BT,C) / J for every joint. */
void joint_mean_backward(float *dX, const float *dY, size_t BT, size_t J, size_t C);

#endif
