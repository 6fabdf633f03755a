/* tconv.c — temporal Conv2d (3,1) with dilation on channels-last activations (see tconv.h).
 *
 * Design. With channels last, the frames of one sample are one (T·J, C) matrix, and shifting
 * by s frames is shifting by s·J rows. So tap k of the convolution is a matrix product of the
 * rows of X shifted by (k−1)·d frames with W_kᵀ, added into the rows of Y that stay inside
 * [0,T): no im2col, no padding copies. The centre tap (k = 1, no shift) is one SGEMM over all
 * B·T·J rows; each side tap is one SGEMM per sample (its shifted rows must not cross from one
 * sample into the next), skipped when d >= T. Backward mirrors it: dX gets dY·W_k through the
 * same shifts, and dW_k = Σ_b shift(dY)ᵀ·X, reduced over rows by the SGEMM itself.
 *
 * cblas needs unit stride in one dimension, and PyTorch's weight (O,C,3,1) has tap k of
 * W[o,c] at stride 3; the kernels copy the three taps into ws[0 .. 3·O·C) as (3,O,C) first
 * (49k floats at O = C = 128, nothing beside the products). Backward accumulates the tap
 * gradients in ws[3·O·C .. 6·O·C) and then adds them into dW in PyTorch's layout.
 *
 * Threads. The centre tap is one large SGEMM shared out in fixed pieces (gemm.h). The side
 * taps are many mid-sized products (one per sample), so instead of paying a fork/join inside OpenBLAS for
 * each, one OpenMP loop hands whole samples to threads and each calls a single-threaded SGEMM
 * (OpenBLAS's OpenMP build runs one thread when called inside a parallel region): a thread
 * owns the rows of Y (dX) of its samples. The side-tap weight gradients sum over samples, so
 * their work items are (tap, block of TCONV_OB = 128 output rows) instead, each owning its
 * rows of dW_k and adding the samples in order. At SPEC's widths a block is all of O, so each
 * sample's X is packed once per tap (blocks of 32 packed it four times: 11% more CPU in the
 * tconv backward at J=75). Every partition is fixed by the shapes, not by the thread
 * count, and the loops hand their items out dynamically, so a thread slowed by another process
 * takes fewer; the results are OpenBLAS's SGEMMs', reproducible run to run.
 */
#include "nn/tconv.h"

#include <stdbool.h>
#include <string.h>

#include "core/error.h"
#include "nn/gemm.h"

/* Output rows of a side-tap weight-gradient work item. */
enum { TCONV_OB = 128 };

size_t tconv_workspace_floats(size_t C, size_t O) { return 6 * O * C; }

/* Wp (3,O,C) ← W (O,C,3). */
static void pack_taps(float *Wp, const float *W, size_t C, size_t O)
{
    for (size_t k = 0; k < 3; k++)
        for (size_t o = 0; o < O; o++)
            for (size_t c = 0; c < C; c++) Wp[(k * O + o) * C + c] = W[(o * C + c) * 3 + k];
}

/* Row-major C(M,N) = op(A)·op(B) + beta·C on one thread (nn/gemm.h), skipping empty products. */
static void gemm_nt(size_t M, size_t N, size_t Kd, const float *A, size_t lda, const float *Bm,
                    size_t ldb, float beta, float *Cm, size_t ldc)
{
    gemm_one_thread(false, true, M, N, Kd, A, lda, Bm, ldb, beta, Cm, ldc);
}

static void gemm_nn(size_t M, size_t N, size_t Kd, const float *A, size_t lda, const float *Bm,
                    size_t ldb, float beta, float *Cm, size_t ldc)
{
    gemm_one_thread(false, false, M, N, Kd, A, lda, Bm, ldb, beta, Cm, ldc);
}

static void gemm_tn(size_t M, size_t N, size_t Kd, const float *A, size_t lda, const float *Bm,
                    size_t ldb, float beta, float *Cm, size_t ldc)
{
    if (Kd == 0) return;
    gemm_one_thread(true, false, M, N, Kd, A, lda, Bm, ldb, beta, Cm, ldc);
}

void tconv_forward(float *Y, const float *X, const float *W, float *ws, size_t B, size_t T,
                   size_t J, size_t C, size_t O, size_t d)
{
    CHECK(d >= 1);
    const size_t rows = B * T * J;
    float *Wp = ws;
    pack_taps(Wp, W, C, O);
    /* centre tap: Y = X·W_1ᵀ over every row (beta 0 also clears Y) */
    if (C == 0) {
        memset(Y, 0, rows * O * sizeof *Y);
        return;
    }
    gemm_rows(true, rows, O, C, X, C, Wp + O * C, C, 0.0f, Y, O, NULL);
    if (d >= T) return;
    const size_t sh = d * J, len = (T - d) * J; /* rows shifted, rows that stay inside */
#pragma omp parallel for schedule(dynamic, 1)
    for (size_t b = 0; b < B; b++) {
        const float *Xb = X + b * T * J * C;
        float *Yb = Y + b * T * J * O;
        /* k = 0: Y[t] += X[t−d]·W_0ᵀ for t >= d */
        gemm_nt(len, O, C, Xb, C, Wp, C, 1.0f, Yb + sh * O, O);
        /* k = 2: Y[t] += X[t+d]·W_2ᵀ for t < T−d */
        gemm_nt(len, O, C, Xb + sh * C, C, Wp + 2 * O * C, C, 1.0f, Yb, O);
    }
}

static void backward(bool set, float *dX, float *dW, const float *dY, const float *X,
                     const float *W, float *ws, size_t B, size_t T, size_t J, size_t C,
                     size_t O, size_t d)
{
    CHECK(d >= 1);
    const size_t rows = B * T * J;
    float *Wp = ws, *dWp = ws + 3 * O * C;
    if (rows == 0 || C == 0 || O == 0) return;
    const int side = d < T;
    const size_t sh = d * J, len = side ? (T - d) * J : 0;
    if (dX) {
        pack_taps(Wp, W, C, O);
        /* the centre tap covers every row: with set, it overwrites dX (beta 0) */
        gemm_rows(false, rows, C, O, dY, O, Wp + O * C, C, set ? 0.0f : 1.0f, dX, C, NULL);
        /* (without a side tap, len = 0 and the products are skipped) */
#pragma omp parallel for schedule(dynamic, 1) if (side)
        for (size_t b = 0; b < B; b++) {
            const float *dYb = dY + b * T * J * O;
            float *dXb = dX + b * T * J * C;
            /* k = 0 read X[t−d] for Y[t]: dX[t'] += dY[t'+d]·W_0 for t' < T−d */
            gemm_nn(len, C, O, dYb + sh * O, O, Wp, C, 1.0f, dXb, C);
            /* k = 2 read X[t+d] for Y[t]: dX[t'] += dY[t'−d]·W_2 for t' >= d */
            gemm_nn(len, C, O, dYb, O, Wp + 2 * O * C, C, 1.0f, dXb + sh * C, C);
        }
    }
    if (dW) {
        memset(dWp, 0, 3 * O * C * sizeof *dWp);
        gemm_tn_rows(O, C, rows, dY, O, X, C, 0.0f, dWp + O * C, C);
        /* side taps: work items (tap, block of TCONV_OB output rows), each owning its rows of
         * dW_k and summing the samples in order: a fixed partition, so the same bits for any
         * thread count */
        const size_t nob = (O + TCONV_OB - 1) / TCONV_OB, items = side ? 2 * nob : 0;
#pragma omp parallel for schedule(dynamic, 1) if (side)
        for (size_t it = 0; it < items; it++) {
            const size_t tap = it / nob, o0 = it % nob * TCONV_OB;
            const size_t ob = O - o0 < TCONV_OB ? O - o0 : TCONV_OB;
            float *dWk = dWp + (tap ? 2 * O * C : 0) + o0 * C;
            for (size_t b = 0; b < B; b++) {
                const float *dYb = dY + b * T * J * O + o0;
                const float *Xb = X + b * T * J * C;
                if (tap == 0) /* dW_0 += Σ_{t>=d} dY[t]ᵀ·X[t−d] */
                    gemm_tn(ob, C, len, dYb + sh * O, O, Xb, C, 1.0f, dWk, C);
                else /* dW_2 += Σ_{t<T−d} dY[t]ᵀ·X[t+d] */
                    gemm_tn(ob, C, len, dYb, O, Xb + sh * C, C, 1.0f, dWk, C);
            }
        }
        for (size_t o = 0; o < O; o++)
            for (size_t c = 0; c < C; c++)
                for (size_t k = 0; k < 3; k++) dW[(o * C + c) * 3 + k] += dWp[(k * O + o) * C + c];
    }
}

void tconv_backward(float *dX, float *dW, const float *dY, const float *X, const float *W,
                    float *ws, size_t B, size_t T, size_t J, size_t C, size_t O, size_t d)
{
    backward(false, dX, dW, dY, X, W, ws, B, T, J, C, O, d);
}

void tconv_backward_set(float *dX, float *dW, const float *dY, const float *X, const float *W,
                        float *ws, size_t B, size_t T, size_t J, size_t C, size_t O, size_t d)
{
    backward(true, dX, dW, dY, X, W, ws, B, T, J, C, O, d);
}

void tconv_forward_ref(float *Y, const float *X, const float *W, size_t B, size_t T, size_t J,
                       size_t C, size_t O, size_t d)
{
    for (size_t b = 0; b < B; b++)
        for (size_t t = 0; t < T; t++)
            for (size_t j = 0; j < J; j++)
                for (size_t o = 0; o < O; o++) {
                    double acc = 0.0;
                    for (size_t k = 0; k < 3; k++) {
                        long long ts = (long long)t + ((long long)k - 1) * (long long)d;
                        if (ts < 0 || ts >= (long long)T) continue;
                        for (size_t c = 0; c < C; c++)
                            acc += (double)W[(o * C + c) * 3 + k] *
                                   (double)X[((b * T + (size_t)ts) * J + j) * C + c];
                    }
                    Y[((b * T + t) * J + j) * O + o] = (float)acc;
                }
}

void tconv_backward_ref(float *dX, float *dW, const float *dY, const float *X, const float *W,
                        size_t B, size_t T, size_t J, size_t C, size_t O, size_t d)
{
    for (size_t b = 0; b < B; b++)
        for (size_t t = 0; t < T; t++)
            for (size_t j = 0; j < J; j++)
                for (size_t o = 0; o < O; o++) {
                    const float g = dY[((b * T + t) * J + j) * O + o];
                    for (size_t k = 0; k < 3; k++) {
                        long long ts = (long long)t + ((long long)k - 1) * (long long)d;
                        if (ts < 0 || ts >= (long long)T) continue;
                        const size_t xr = ((b * T + (size_t)ts) * J + j) * C;
                        for (size_t c = 0; c < C; c++) {
                            if (dX) dX[xr + c] += g * W[(o * C + c) * 3 + k];
                            if (dW) dW[(o * C + c) * 3 + k] += g * X[xr + c];
                        }
                    }
                }
}
