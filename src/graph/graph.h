/* graph.h — skeleton graphs and their partitioned, normalised adjacency (contract; the
 * builder is graph.c, the aggregation kernel lives in src/nn/gconv.c).
 *
 * SPEC §2: Â_k (k < K) for K = 1 (uniform) or 3 (spatial), stored sparse in CSR form because
 * J can be 553. Row i is the joint being computed: Y[:,:,i,:] = Σ_k Σ_j Â_k[i,j]·H_k[:,:,j,:].
 */
#ifndef SG_GRAPH_GRAPH_H
#define SG_GRAPH_GRAPH_H

#include <stddef.h>
#include <stdint.h>

#define GRAPH_MAX_K 3

/* One n×n matrix in compressed sparse rows: the non-zeros of row i are
 * col[row_ptr[i] .. row_ptr[i+1]) with values val[...], columns increasing. */
struct sparse_adj {
    size_t n;
    size_t nnz;
    size_t *row_ptr; /* n+1 */
    int32_t *col;    /* nnz */
    float *val;      /* nnz */
};

struct graph {
    size_t num_joints;
    size_t K;                          /* 1 (uniform) or 3 (spatial) */
    struct sparse_adj A[GRAPH_MAX_K];  /* Â_0 .. Â_{K-1} */
};

void graph_free(struct graph *g);

#endif
