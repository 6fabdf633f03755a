/* joint_mean.c — mean over the joint axis (see joint_mean.h).
 *
 * Threads split the B·T slices; inside a slice, channels go in blocks of 32 with double
 * accumulators on the stack, joints added in index order, so the result does not depend on the
 * thread count. The sum is divided by J in double and rounded once, like PyTorch's mean (sum,
 * then divide). The backward spreads dY/J (rounded to float once per element of dY) over the
 * joints.
 */
#include "nn/joint_mean.h"

enum { JM_CB = 32 };

void joint_mean_forward(float *Y, const float *X, size_t BT, size_t J, size_t C)
{
#pragma omp parallel for schedule(static)
    for (size_t s = 0; s < BT; s++) {
        const float *Xs = X + s * J * C;
        for (size_t c0 = 0; c0 < C; c0 += JM_CB) {
            const size_t w = C - c0 < JM_CB ? C - c0 : JM_CB;
            double acc[JM_CB] = {0};
            for (size_t j = 0; j < J; j++)
#pragma omp simd
                for (size_t c = 0; c < w; c++) acc[c] += (double)Xs[j * C + c0 + c];
            for (size_t c = 0; c < w; c++) Y[s * C + c0 + c] = (float)(acc[c] / (double)J);
        }
    }
}

void joint_mean_backward(float *dX, const float *dY, size_t BT, size_t J, size_t C)
{
#pragma omp parallel for schedule(static)
    for (size_t s = 0; s < BT; s++) {
        const float *g = dY + s * C;
        float *dXs = dX + s * J * C;
        for (size_t c0 = 0; c0 < C; c0 += JM_CB) {
            const size_t w = C - c0 < JM_CB ? C - c0 : JM_CB;
            float v[JM_CB];
            for (size_t c = 0; c < w; c++) v[c] = (float)((double)g[c0 + c] / (double)J);
            for (size_t j = 0; j < J; j++)
#pragma omp simd
                for (size_t c = 0; c < w; c++) dXs[j * C + c0 + c] += v[c];
        }
    }
}
