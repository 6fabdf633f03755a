/* gconv.h — the graph aggregation of an ST-GCN block (SPEC §3.1), forward and backward.
 *
 * The block computes H = X·Wᵀ + b with linear_forward (W = gc.lin.weight (K·out, in)), then
 * this kernel mixes joints with the K partitioned adjacency matrices of struct graph:
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

/* One partition at a time, for callers that never hold all of H (model/forward.c: the Linear
 * of partition k, then its aggregation, so H takes (N, out) instead of (N, K·out)):
 *   forward:  G (=, k == 0; +=, k > 0) Â_k · Hk,   Hk (BT,J,out);
 *   backward: dHk (BT,J,out) += Â_kᵀ-aggregation of dG.
 * Calling the forward for k = 0 … K−1 gives gconv_forward's bits: each element of G receives
 * the same additions in the same order. */
void gconv_forward_part(float *G, const float *Hk, const struct graph *g, size_t k, size_t BT,
                        size_t out);
void gconv_backward_part(float *dHk, const float *dG, const struct graph *g, size_t k,
                         size_t BT, size_t out);

/* Plain-loop versions (dense scan of every (i,j) pair through the CSR rows, one thread): the
 * test oracle. */
void gconv_forward_ref(float *G, const float *H, const struct graph *g, size_t BT, size_t out);
void gconv_backward_ref(float *dH, const float *dG, const struct graph *g, size_t BT,
                        size_t out);

#endif
