/* gemm.h — the large SGEMMs of the backbone, shared out between OpenMP threads in fixed pieces.
 *
 * OpenBLAS threads one SGEMM by cutting it into one static piece per thread: when another
 * process holds one of the cores, the thread there finishes its half late and the other waits
 * at the join, so two threads were slower than one. These wrappers cut the product
 * into pieces whose size depends only on the shapes, hand them to threads dynamically (a
 * slowed thread takes fewer), and compute each piece with a single-threaded SGEMM (OpenBLAS's
 * OpenMP build runs one thread inside a parallel region). The pieces depend only on the shapes and
 * each output element is computed by one single-threaded SGEMM over the full inner dimension,
 * so the bits do not depend on the thread count. Called inside a parallel region, or on a
 * product too small to share, they are one cblas call.
 */
#ifndef SG_NN_GEMM_H
#define SG_NN_GEMM_H

#include <stdbool.h>
#include <stddef.h>

/* Row-major C (M,N) = A (M,K) · op(B) + beta·C, op(B) = Bᵀ with B (N,K) when trans_b, else
 * B (K,N); with bias (N) not NULL, C's rows are first set to bias and beta must be 0 (C =
 * A·op(B) + bias, as linear_forward adds it). The M rows are cut into pieces. */
void gemm_rows(bool trans_b, size_t M, size_t N, size_t K, const float *A, size_t lda,
               const float *B, size_t ldb, float beta, float *C, size_t ldc, const float *bias);

/* Row-major C (M,N) = Aᵀ · B + beta·C with A (K,M), B (K,N): a weight gradient, the sum over
 * K rows of activations. C's M rows are cut into pieces (the K sum stays whole in each). */
void gemm_tn_rows(size_t M, size_t N, size_t K, const float *A, size_t lda, const float *B,
                  size_t ldb, float beta, float *C, size_t ldc);

/* Row-major C (M,N) = op(A)·op(B) + beta·C on the calling thread alone, op(A) = Aᵀ (A is
 * (K,M)) when ta, op(B) = Bᵀ (B is (N,K)) when tb: the kernel every piece above runs, and the
 * one for products already inside a parallel region. oneDNN's dnnl_sgemm when the build has
 * it (SG_HAVE_DNNL; its JIT'd kernels measured 7–24% faster than OpenBLAS's on the backbone's
 * pieces, bench/bench_gemm_libs.c), else OpenBLAS's cblas_sgemm. */
void gemm_one_thread(bool ta, bool tb, size_t M, size_t N, size_t K, const float *A, size_t lda,
                     const float *B, size_t ldb, float beta, float *C, size_t ldc);

#endif
