/* gemm.c — SGEMMs cut into fixed pieces handed to threads dynamically (see gemm.h).
 *
 * Piece sizes: GEMM_ROWS rows of C for a product over activations (a few hundred KB of A per
 * piece: large enough that OpenBLAS's packing of B per call costs little, small enough that a
 * J=75 batch gives some thirty pieces); GEMM_OB output rows for a weight gradient (each piece reads all of B, so
 * few pieces: 4 to 12 at our widths). Products
 * below GEMM_SMALL multiply-adds are not shared: a parallel region there costs more than it
 * saves, and under contention every region's join waits for its slowest thread.
 */
#include "nn/gemm.h"

#include <cblas.h>
#include <omp.h>

enum { GEMM_ROWS = 2048, GEMM_OB = 64 };
#define GEMM_SMALL ((size_t)1 << 22)

static void sgemm(bool ta, bool tb, size_t M, size_t N, size_t K, const float *A, size_t lda,
                  const float *B, size_t ldb, float beta, float *C, size_t ldc)
{
    if (M == 0 || N == 0) return;
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                (int)M, (int)N, (int)K, 1.0f, A, (int)lda, B, (int)ldb, beta, C, (int)ldc);
}

/* Rows [r0, r0+rows) of C: the bias first (then beta 1), then the product. */
static void rows_piece(bool trans_b, size_t r0, size_t rows, size_t N, size_t K, const float *A,
                      size_t lda, const float *B, size_t ldb, float beta, float *C, size_t ldc,
                      const float *bias)
{
    if (bias) {
        for (size_t i = r0; i < r0 + rows; i++)
            for (size_t j = 0; j < N; j++) C[i * ldc + j] = bias[j];
        beta = 1.0f;
    }
    sgemm(false, trans_b, rows, N, K, A + r0 * lda, lda, B, ldb, beta, C + r0 * ldc, ldc);
}

void gemm_rows(bool trans_b, size_t M, size_t N, size_t K, const float *A, size_t lda,
               const float *B, size_t ldb, float beta, float *C, size_t ldc, const float *bias)
{
    const size_t pieces = (M + GEMM_ROWS - 1) / GEMM_ROWS;
    if (pieces <= 1 || M * N * K < GEMM_SMALL || omp_in_parallel()) {
        rows_piece(trans_b, 0, M, N, K, A, lda, B, ldb, beta, C, ldc, bias);
        return;
    }
#pragma omp parallel for schedule(dynamic, 1)
    for (size_t p = 0; p < pieces; p++) {
        const size_t r0 = p * GEMM_ROWS, rows = M - r0 < GEMM_ROWS ? M - r0 : GEMM_ROWS;
        rows_piece(trans_b, r0, rows, N, K, A, lda, B, ldb, beta, C, ldc, bias);
    }
}

void gemm_tn_rows(size_t M, size_t N, size_t K, const float *A, size_t lda, const float *B,
                  size_t ldb, float beta, float *C, size_t ldc)
{
    if (K == 0) {
        if (beta == 0.0f)
            for (size_t i = 0; i < M; i++)
                for (size_t j = 0; j < N; j++) C[i * ldc + j] = 0.0f;
        return;
    }
    const size_t pieces = (M + GEMM_OB - 1) / GEMM_OB;
    if (pieces <= 1 || M * N * K < GEMM_SMALL || omp_in_parallel()) {
        sgemm(true, false, M, N, K, A, lda, B, ldb, beta, C, ldc);
        return;
    }
#pragma omp parallel for schedule(dynamic, 1)
    for (size_t p = 0; p < pieces; p++) {
        const size_t o0 = p * GEMM_OB, ob = M - o0 < GEMM_OB ? M - o0 : GEMM_OB;
        sgemm(true, false, ob, N, K, A + o0, lda, B, ldb, beta, C + o0 * ldc, ldc);
    }
}
