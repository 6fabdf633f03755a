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

#include "core/error.h"

#include <omp.h>
#ifdef SG_HAVE_DNNL
#include <oneapi/dnnl/dnnl.h>
#else
#include <cblas.h>
#endif

enum { GEMM_ROWS = 2048, GEMM_OB = 64 };
#define GEMM_SMALL ((size_t)1 << 22)

/* oneDNN threads a product over omp_get_max_threads() (and splits it differently for another
 * count) unless told otherwise; one thread per call keeps the bits independent of the thread
 * count, as the pieces above require. Inside a parallel region the setting is the calling
 * thread's own (it governs only regions nested in it) and is restored. */
void gemm_one_thread(bool ta, bool tb, size_t M, size_t N, size_t K, const float *A, size_t lda,
                     const float *B, size_t ldb, float beta, float *C, size_t ldc)
{
    if (M == 0 || N == 0) return;
    if (K == 0) { /* C = beta·C, without reading C when beta is 0 */
        for (size_t i = 0; i < M; i++)
            for (size_t j = 0; j < N; j++) C[i * ldc + j] = beta == 0.0f ? 0.0f : beta * C[i * ldc + j];
        return;
    }
#ifdef SG_HAVE_DNNL
    const int saved = omp_get_max_threads();
    if (saved != 1) omp_set_num_threads(1);
    const dnnl_status_t st = dnnl_sgemm(ta ? 'T' : 'N', tb ? 'T' : 'N', (dnnl_dim_t)M,
                                        (dnnl_dim_t)N, (dnnl_dim_t)K, 1.0f, A, (dnnl_dim_t)lda,
                                        B, (dnnl_dim_t)ldb, beta, C, (dnnl_dim_t)ldc);
    if (saved != 1) omp_set_num_threads(saved);
    /* dnnl_sgemm fails only on invalid arguments (a programmer error here), never on data */
    CHECK(st == dnnl_success);
#else
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                (int)M, (int)N, (int)K, 1.0f, A, (int)lda, B, (int)ldb, beta, C, (int)ldc);
#endif
}

static void sgemm(bool ta, bool tb, size_t M, size_t N, size_t K, const float *A, size_t lda,
                  const float *B, size_t ldb, float beta, float *C, size_t ldc)
{
    gemm_one_thread(ta, tb, M, N, K, A, lda, B, ldb, beta, C, ldc);
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
