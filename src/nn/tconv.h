/* tconv.h — the temporal convolution of an ST-GCN block (SPEC §3.1), forward and backward.
 *
 * PyTorch: nn.Conv2d(C, O, kernel_size=(3,1), dilation=(d,1), padding=(d,0), bias=False)
 * applied to x.permute(0,3,1,2) (B,C,T,J); here on channels-last activations directly:
 *
 *     Y[b,t,j,o] = Σ_{k=0..2} Σ_c W[o,c,k,0] · X[b, t+(k−1)·d, j, c]   (X = 0 outside [0,T))
 *
 * W keeps PyTorch's layout (O,C,3,1). The kernels are three shifted SGEMMs; cblas needs each
 * tap W_k (O,C) contiguous, so they repack W into a caller-provided workspace of
 * tconv_workspace_floats(C,O) floats (no allocation inside). Conventions as linear.h: forward
 * overwrites Y; backward ADDS into dX and dW (either may be NULL).
 */
#ifndef SG_NN_TCONV_H
#define SG_NN_TCONV_H

#include <stddef.h>

/* Floats of workspace that tconv_forward and tconv_backward need: 6·O·C. */
size_t tconv_workspace_floats(size_t C, size_t O);

/* Y (B,T,J,O) from X (B,T,J,C) and W (O,C,3,1); dilation d >= 1. ws: tconv_workspace_floats. */
void tconv_forward(float *Y, const float *X, const float *W, float *ws, size_t B, size_t T,
                   size_t J, size_t C, size_t O, size_t d);

/* dX (B,T,J,C) += Σ_k shift_k(dY)·W_k;  dW[o,c,k] += Σ_{b,t,j} dY[b,t,j,o]·X[b,t+(k−1)d,j,c]. */
void tconv_backward(float *dX, float *dW, const float *dY, const float *X, const float *W,
                    float *ws, size_t B, size_t T, size_t J, size_t C, size_t O, size_t d);
/* The same, but dX = Σ_k shift_k(dY)·W_k (overwritten: the caller need not zero it first, a
 * pass over dX saved); dW still adds. */
void tconv_backward_set(float *dX, float *dW, const float *dY, const float *X, const float *W,
                        float *ws, size_t B, size_t T, size_t J, size_t C, size_t O, size_t d);

/* Plain-loop versions (no workspace, double accumulators): the test oracle. */
void tconv_forward_ref(float *Y, const float *X, const float *W, size_t B, size_t T, size_t J,
                       size_t C, size_t O, size_t d);
void tconv_backward_ref(float *dX, float *dW, const float *dY, const float *X, const float *W,
                        size_t B, size_t T, size_t J, size_t C, size_t O, size_t d);

#endif
