/* gconv.h — the graph aggregation of an ST-GCN block (SPEC §3.1), forward and backward.
 *
 * The block computes H = X·Wᵀ + b (W = gc.lin.weight (K·out, in)), then this kernel mixes joints with the K partitioned adjacency matrices of struct graph:
 *
 *     G[b,t,i,:] = Σ_k Σ_j Â_k[i,j] · H[b,t,j, k·out:(k+1)·out]
 *
 * PyTorch: G = torch.einsum('kij,btjkc->btic', A, H.view(B,T,J,K,out)).
 * Conventions as linear.h: raw float arrays, channels last, no state, no allocation; forward
 * overwrites G, backward ADDS into dH. The (b,t) slices are independent, so B and T enter only
 * as their product BT.
 */
#ifndef SG_NN_GCONV_H
#define SG_NN_GCONV_H

#include <stddef.h>

struct graph;

/* G (BT,J,out) = Σ_k Â_k · H_k, with H (BT,J,K·out) and J = g->num_joints, K = g->K. */
void gconv_forward(float *G, const float *H, const struct graph *g, size_t BT, size_t out);

/* dH (BT,J,K·out) += Â_kᵀ-aggregation of dG (BT,J,out):
 *     dH[b,t,j,k·out+c] += Σ_i Â_k[i,j] · dG[b,t,i,c]. */
void gconv_backward(float *dH, const float *dG, const struct graph *g, size_t BT, size_t out);

/* The block's whole graph convolution, Linear included, fused per piece of (b,t) slices (what
 * model/forward.c runs; gconv.c says why):
 *   forward:  G (BT,J,out) = Σ_k Â_k · (X·W_kᵀ + b_k), with X (BT,J,cin), W = gc.lin.weight
 *             (K·out, cin), b (K·out) or NULL, and Hk an (BT·J, out) scratch it overwrites;
 *   backward, partition k: dHk (BT,J,out) = Â_kᵀ-aggregation of dG (overwritten, kept for
 *             the caller's dW_k = dHkᵀ·X and db_k), and dX (BT,J,cin) (=, k == 0; +=, k > 0)
 *             dHk · W_k when dX is not NULL (W_k = W + k·out·cin), so partitions 0 … K−1 in
 *             turn leave dX = Σ_k dH_k·W_k without zeroing it first.
 * The forward's G has gconv_forward's bits for H = X·Wᵀ + b computed by the same pieces. */
void gconv_linear_forward(float *G, float *Hk, const float *X, const float *W, const float *b,
                          const struct graph *g, size_t BT, size_t cin, size_t out);
void gconv_linear_backward_part(float *dX, float *dHk, const float *dG, const float *Wk,
                                const struct graph *g, size_t k, size_t BT, size_t cin,
                                size_t out);

/* Plain-loop versions (dense scan of every (i,j) pair through the CSR rows, one thread): the
 * test oracle. */
void gconv_forward_ref(float *G, const float *H, const struct graph *g, size_t BT, size_t out);
void gconv_backward_ref(float *dH, const float *dG, const struct graph *g, size_t BT,
                        size_t out);

#endif
