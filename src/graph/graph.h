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

#include "graph/layout.h"

struct error;

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
    struct sparse_adj A[GRAPH_MAX_K];  /* Â_0 .. Â_{K-1}; A[k] for k >= K are empty (NULL) */
};

/* --graph: the MediaPipe skeleton of SPEC §2, joint i linked to i+1 over the joint order, the
 * OpenPose skeleton (BODY_25 + hands + face 70, built the same way), or `auto`: the skeleton
 * of the data's layout (the default; training stores the kind it resolved to). */
enum graph_kind { GRAPH_MEDIAPIPE = 0, GRAPH_CHAIN, GRAPH_OPENPOSE, GRAPH_AUTO };
/* --partition: K = 1 (uniform, symmetric normalisation) or K = 3 (spatial: root, centripetal,
 * centrifugal, each row scaled by 1/deg). */
enum partition { PARTITION_UNIFORM = 0, PARTITION_SPATIAL };

const char *graph_kind_name(enum graph_kind kind);   /* "mediapipe", "chain", "openpose",
                                                        "auto" */
/* The skeleton graph of a layout kind: GRAPH_MEDIAPIPE or GRAPH_OPENPOSE. */
enum graph_kind graph_kind_of_skeleton(enum skeleton s);
int graph_kind_parse(const char *name);              /* -1 for an unknown name */
const char *partition_name(enum partition p);        /* "uniform", "spatial" */
int partition_parse(const char *name);               /* -1 for an unknown name */
size_t partition_num_subsets(enum partition p);      /* K: 1 or 3 (0 if unknown) */

/* Builders. Each one overwrites *g (it does not free what *g held) and on success leaves
 * g->num_joints = J, g->K and the K CSR matrices, columns increasing in every row; on failure
 * *g is left empty (graph_free on it is harmless) and err says why.
 *
 * From an undirected edge list over joints 0..J-1 (either direction, duplicates merged;
 * a self-loop or an index outside 0..J-1 is an error; every joint gets its self-loop). The
 * root of each connected component is its smallest joint index. */
int graph_build_edges(struct graph *g, size_t J, const int (*edges)[2], size_t n_edges,
                      enum partition p, struct error *err);
/* --graph chain: joint i to i+1 for i < J-1. */
int graph_build_chain(struct graph *g, size_t J, enum partition p, struct error *err);
/* --graph mediapipe over the parts the layout includes (graph_mediapipe_edges). */
int graph_build_mediapipe(struct graph *g, const struct joint_layout *layout, enum partition p,
                          struct error *err);
/* --graph openpose over the parts the layout includes (graph_openpose_edges). */
int graph_build_openpose(struct graph *g, const struct joint_layout *layout, enum partition p,
                         struct error *err);
/* Any kind, as the CLI and the model choose it (GRAPH_AUTO: the layout's skeleton). */
int graph_build(struct graph *g, enum graph_kind kind, const struct joint_layout *layout,
                enum partition p, struct error *err);

void graph_free(struct graph *g);

/* The undirected edges of --graph mediapipe for a layout, in joint indices, a < b, no
 * duplicates: pose POSE_CONNECTIONS + 0–11, 0–12, 0–9, 0–10; each hand's HAND_CONNECTIONS;
 * pose 15 – left-hand 0, pose 16 – right-hand 0; the face's FACEMESH_CONTOURS (all, contours)
 * or lips edges (lips); pose 0 – face point 0. Links to a part not included are left out.
 * Writes at most `cap` edges (GRAPH_MEDIAPIPE_MAX_EDGES is always enough) and sets *n. */
#define GRAPH_MEDIAPIPE_MAX_EDGES 256
int graph_mediapipe_edges(const struct joint_layout *layout, int (*edges)[2], size_t cap,
                          size_t *n, struct error *err);
/* The same for an OpenPose layout: BODY_25's 24 edges, each hand's 20 (the palm drawn from the
 * wrist), LWrist 7 – left-hand 0, RWrist 4 – right-hand 0, the face's 65 edges (among the kept
 * points) and nose 0 – face nose tip 30 (when kept). No extra pose links: BODY_25's neck
 * already joins head and body. */
int graph_openpose_edges(const struct joint_layout *layout, int (*edges)[2], size_t cap,
                         size_t *n, struct error *err);

/* The skeleton tree of the graph `kind` builds for a layout: parent[i] is i's lowest-index
 * neighbour one hop closer to the root of its component, −1 for a root (J entries). The bone
 * stream (data/features.h) is joint minus parent. */
int graph_parents(enum graph_kind kind, const struct joint_layout *layout, int32_t *parent,
                  struct error *err);

/* Breadth-first hop distance of every joint from the root of its component (the component's
 * smallest joint index), for the same edge lists graph_build_edges takes. hop has J entries. */
int graph_hop_distances(size_t J, const int (*edges)[2], size_t n_edges, int32_t *hop,
                        struct error *err);

/* Writes the n×n dense matrix of a (row-major, zeros elsewhere): the tests' and the
 * aggregation kernel's plain-loop oracle. */
void sparse_adj_to_dense(const struct sparse_adj *a, float *dense);

#endif
