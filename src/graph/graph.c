/* graph.c — skeleton graphs and their partitioned, normalised adjacency (SPEC §2).
 *
 * Three steps, each on plain arrays:
 *   1. an undirected edge list over joints 0..J-1: the MediaPipe or OpenPose skeleton of a
 *      joint layout (graph_mediapipe_edges, graph_openpose_edges), a chain, or the caller's
 *      own list;
 *   2. neighbour lists N(i) (sorted, duplicates merged, no self), deg(i) = |N(i)| + 1 and,
 *      for the spatial partition, the breadth-first hop distance h(i) from the root of i's
 *      component. The root is the component's smallest joint index: pose 0 is joint 0
 *      whenever the pose is included, so "pose 0 for its component, else the smallest index"
 *      of the SPEC is this one rule;
 *   3. the K matrices in CSR form (struct sparse_adj), columns increasing:
 *        uniform (K=1)  Â_0[i,j] = 1/√(deg i · deg j), j ∈ N(i) ∪ {i}
 *        spatial (K=3)  Â_0[i,i] = 1/deg i; Â_1[i,j] = 1/deg i for h(j) < h(i);
 *                       Â_2[i,j] = 1/deg i for h(j) >= h(i)
 *      so Σ_k Â_k = D⁻¹(A+I) for spatial (each row sums to 1) and Â_0 is symmetric for
 *      uniform. Values are computed in double and rounded once to float.
 *
 * Row i is the joint being computed (Y[i] = Σ_k Σ_j Â_k[i,j] H_k[j]), as ST-GCN
 * (Yan et al. 2018) normalises the neighbourhood once and then splits it. The reference
 * written independently in numpy is tools/graph_reference.py; tests/test_graph.c compares
 * the two. Not here: the aggregation kernel (src/nn/gconv.c) and the joint layout
 * (layout.c).
 */
#include "graph/graph.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "graph/topology.h"

static const char *const kind_names[] = {"mediapipe", "chain", "openpose", "auto"};
static const char *const partition_names[] = {"uniform", "spatial"};
_Static_assert(sizeof kind_names / sizeof kind_names[0] == GRAPH_AUTO + 1,
               "enum graph_kind and its name table");
_Static_assert(sizeof partition_names / sizeof partition_names[0] == PARTITION_SPATIAL + 1,
               "enum partition and its name table");

const char *graph_kind_name(enum graph_kind kind)
{
    return (unsigned)kind <= GRAPH_AUTO ? kind_names[kind] : "?";
}

int graph_kind_parse(const char *name)
{
    for (int i = 0; name && i <= GRAPH_AUTO; i++)
        if (strcmp(name, kind_names[i]) == 0) return i;
    return -1;
}

const char *partition_name(enum partition p)
{
    return (unsigned)p <= PARTITION_SPATIAL ? partition_names[p] : "?";
}

int partition_parse(const char *name)
{
    for (int i = 0; name && i <= PARTITION_SPATIAL; i++)
        if (strcmp(name, partition_names[i]) == 0) return i;
    return -1;
}

size_t partition_num_subsets(enum partition p)
{
    switch (p) {
    case PARTITION_UNIFORM: return 1;
    case PARTITION_SPATIAL: return 3;
    default: return 0;
    }
}

/* ---- neighbour lists ------------------------------------------------------------------ */

/* N(i) = nb[ptr[i] .. ptr[i+1]), increasing, no duplicates, no i. */
struct neighbours {
    size_t J;
    size_t *ptr; /* J+1 */
    int32_t *nb; /* ptr[J] */
};

static void neighbours_free(struct neighbours *a)
{
    free(a->ptr);
    free(a->nb);
    memset(a, 0, sizeof *a);
}

static int cmp_i32(const void *pa, const void *pb)
{
    int32_t a = *(const int32_t *)pa, b = *(const int32_t *)pb;
    return (a > b) - (a < b);
}

static int neighbours_build(struct neighbours *a, size_t J, const int (*edges)[2],
                            size_t n_edges, const char *fn, struct error *err)
{
    memset(a, 0, sizeof *a);
    if (J == 0) return error_set(err, "%s: the graph has no joints", fn);
    if (J > INT32_MAX) return error_set(err, "%s: %zu joints is too many", fn, J);
    if (n_edges && !edges) return error_set(err, "%s: %zu edges but no edge list", fn, n_edges);
    for (size_t e = 0; e < n_edges; e++) {
        int u = edges[e][0], v = edges[e][1];
        if (u < 0 || v < 0 || (size_t)u >= J || (size_t)v >= J)
            return error_set(err, "%s: edge %zu (%d, %d) is outside joints 0..%zu", fn, e, u,
                             v, J - 1);
        if (u == v)
            return error_set(err, "%s: edge %zu (%d, %d) is a self-loop", fn, e, u, v);
    }
    size_t two_e;
    if (!size_mul(n_edges, 2, &two_e)) return error_set(err, "%s: too many edges", fn);
    a->J = J;
    a->ptr = sg_calloc(J + 1, sizeof *a->ptr, "graph neighbour offsets", err);
    a->nb = sg_malloc(two_e, sizeof *a->nb, "graph neighbours", err);
    size_t *fill = sg_calloc(J, sizeof *fill, "graph neighbour fill", err);
    if (!a->ptr || !a->nb || !fill) {
        free(fill);
        neighbours_free(a);
        return error_prefix(err, "%s", fn);
    }
    for (size_t e = 0; e < n_edges; e++) {
        a->ptr[edges[e][0] + 1]++;
        a->ptr[edges[e][1] + 1]++;
    }
    for (size_t i = 0; i < J; i++) a->ptr[i + 1] += a->ptr[i];
    for (size_t e = 0; e < n_edges; e++) {
        size_t u = (size_t)edges[e][0], v = (size_t)edges[e][1];
        a->nb[a->ptr[u] + fill[u]++] = (int32_t)v;
        a->nb[a->ptr[v] + fill[v]++] = (int32_t)u;
    }
    free(fill);
    /* sort each row and merge duplicates, compacting in place */
    size_t w = 0;
    for (size_t i = 0; i < J; i++) {
        size_t lo = a->ptr[i], hi = a->ptr[i + 1];
        qsort(a->nb + lo, hi - lo, sizeof *a->nb, cmp_i32);
        a->ptr[i] = w;
        for (size_t r = lo; r < hi; r++)
            if (r == lo || a->nb[r] != a->nb[r - 1]) a->nb[w++] = a->nb[r];
    }
    a->ptr[J] = w;
    return 0;
}

/* Breadth-first hop distances; each component's root is its smallest index because roots
 * are taken in increasing order of unvisited joints. */
static int neighbours_hops(const struct neighbours *a, int32_t *hop, const char *fn,
                           struct error *err)
{
    size_t *queue = sg_malloc(a->J, sizeof *queue, "graph BFS queue", err);
    if (!queue) return error_prefix(err, "%s", fn);
    for (size_t i = 0; i < a->J; i++) hop[i] = -1;
    for (size_t root = 0; root < a->J; root++) {
        if (hop[root] >= 0) continue;
        size_t head = 0, tail = 0;
        hop[root] = 0;
        queue[tail++] = root;
        while (head < tail) {
            size_t u = queue[head++];
            for (size_t r = a->ptr[u]; r < a->ptr[u + 1]; r++) {
                size_t v = (size_t)a->nb[r];
                if (hop[v] < 0) {
                    hop[v] = hop[u] + 1;
                    queue[tail++] = v;
                }
            }
        }
    }
    free(queue);
    return 0;
}

/* ---- matrices ------------------------------------------------------------------------- */

static int sparse_alloc(struct sparse_adj *m, size_t n, size_t nnz, struct error *err)
{
    m->n = n;
    m->nnz = nnz;
    m->row_ptr = sg_calloc(n + 1, sizeof *m->row_ptr, "adjacency row offsets", err);
    m->col = sg_malloc(nnz, sizeof *m->col, "adjacency columns", err);
    m->val = sg_malloc(nnz, sizeof *m->val, "adjacency values", err);
    return m->row_ptr && m->col && m->val ? 0 : -1;
}

static void sparse_free(struct sparse_adj *m)
{
    free(m->row_ptr);
    free(m->col);
    free(m->val);
    memset(m, 0, sizeof *m);
}

void graph_free(struct graph *g)
{
    if (!g) return;
    for (size_t k = 0; k < GRAPH_MAX_K; k++) sparse_free(&g->A[k]);
    g->num_joints = 0;
    g->K = 0;
}

static int fill_uniform(struct graph *g, const struct neighbours *a, struct error *err)
{
    size_t J = a->J;
    struct sparse_adj *m = &g->A[0];
    if (sparse_alloc(m, J, a->ptr[J] + J, err)) return -1;
    size_t w = 0;
    for (size_t i = 0; i < J; i++) {
        double di = (double)(a->ptr[i + 1] - a->ptr[i] + 1);
        bool self_done = false;
        m->row_ptr[i] = w;
        for (size_t r = a->ptr[i]; r <= a->ptr[i + 1]; r++) {
            /* merge the self-loop into the increasing neighbour list */
            if (!self_done && (r == a->ptr[i + 1] || (size_t)a->nb[r] > i)) {
                m->col[w] = (int32_t)i;
                m->val[w++] = (float)(1.0 / di);
                self_done = true;
            }
            if (r == a->ptr[i + 1]) break;
            size_t j = (size_t)a->nb[r];
            double dj = (double)(a->ptr[j + 1] - a->ptr[j] + 1);
            m->col[w] = (int32_t)j;
            m->val[w++] = (float)(1.0 / sqrt(di * dj));
        }
    }
    m->row_ptr[J] = w;
    CHECK(w == m->nnz);
    return 0;
}

static int fill_spatial(struct graph *g, const struct neighbours *a, const int32_t *hop,
                        struct error *err)
{
    size_t J = a->J;
    size_t n_in = 0; /* neighbours closer to the root, over all rows */
    for (size_t i = 0; i < J; i++)
        for (size_t r = a->ptr[i]; r < a->ptr[i + 1]; r++) n_in += hop[a->nb[r]] < hop[i];
    if (sparse_alloc(&g->A[0], J, J, err) || sparse_alloc(&g->A[1], J, n_in, err) ||
        sparse_alloc(&g->A[2], J, a->ptr[J] - n_in, err))
        return -1;
    size_t w1 = 0, w2 = 0;
    for (size_t i = 0; i < J; i++) {
        float v = (float)(1.0 / (double)(a->ptr[i + 1] - a->ptr[i] + 1));
        g->A[0].row_ptr[i] = i;
        g->A[0].col[i] = (int32_t)i;
        g->A[0].val[i] = v;
        g->A[1].row_ptr[i] = w1;
        g->A[2].row_ptr[i] = w2;
        for (size_t r = a->ptr[i]; r < a->ptr[i + 1]; r++) {
            int32_t j = a->nb[r];
            if (hop[j] < hop[i]) {
                g->A[1].col[w1] = j;
                g->A[1].val[w1++] = v;
            } else {
                g->A[2].col[w2] = j;
                g->A[2].val[w2++] = v;
            }
        }
    }
    g->A[0].row_ptr[J] = J;
    g->A[1].row_ptr[J] = w1;
    g->A[2].row_ptr[J] = w2;
    CHECK(w1 == g->A[1].nnz && w2 == g->A[2].nnz);
    return 0;
}

static int build(struct graph *g, size_t J, const int (*edges)[2], size_t n_edges,
                 enum partition p, const char *fn, struct error *err)
{
    memset(g, 0, sizeof *g);
    size_t K = partition_num_subsets(p);
    if (K == 0) return error_set(err, "%s: unknown partition %d", fn, (int)p);
    struct neighbours a;
    if (neighbours_build(&a, J, edges, n_edges, fn, err)) return -1;
    int32_t *hop = NULL;
    int rc = 0;
    if (p == PARTITION_SPATIAL) {
        hop = sg_malloc(J, sizeof *hop, "graph hop distances", err);
        rc = hop ? neighbours_hops(&a, hop, fn, err) : error_prefix(err, "%s", fn);
        if (rc == 0 && fill_spatial(g, &a, hop, err)) rc = error_prefix(err, "%s", fn);
    } else if (fill_uniform(g, &a, err)) {
        rc = error_prefix(err, "%s", fn);
    }
    free(hop);
    neighbours_free(&a);
    if (rc) {
        graph_free(g);
        return -1;
    }
    g->num_joints = J;
    g->K = K;
    return 0;
}

int graph_build_edges(struct graph *g, size_t J, const int (*edges)[2], size_t n_edges,
                      enum partition p, struct error *err)
{
    return build(g, J, edges, n_edges, p, "graph_build_edges", err);
}

int graph_build_chain(struct graph *g, size_t J, enum partition p, struct error *err)
{
    memset(g, 0, sizeof *g);
    if (J == 0) return error_set(err, "graph_build_chain: the graph has no joints");
    if (J > INT32_MAX) return error_set(err, "graph_build_chain: %zu joints is too many", J);
    int(*edges)[2] = sg_malloc(J - 1, sizeof *edges, "chain edges", err);
    if (!edges) return error_prefix(err, "graph_build_chain");
    for (size_t i = 0; i + 1 < J; i++) {
        edges[i][0] = (int)i;
        edges[i][1] = (int)(i + 1);
    }
    int rc = build(g, J, (const int(*)[2])edges, J - 1, p, "graph_build_chain", err);
    free(edges);
    return rc;
}

/* ---- the MediaPipe skeleton ---------------------------------------------------------- */

struct edge_sink {
    int (*e)[2];
    size_t n, cap;
};

static int edge_add(struct edge_sink *s, long a, long b, struct error *err)
{
    CHECK(a >= 0 && b >= 0 && a != b);
    if (s->n == s->cap)
        return error_set(err, "graph skeleton edges: more than %zu edges", s->cap);
    s->e[s->n][0] = (int)(a < b ? a : b);
    s->e[s->n][1] = (int)(a < b ? b : a);
    s->n++;
    return 0;
}

static int cmp_edge(const void *pa, const void *pb)
{
    const int *a = pa, *b = pb;
    if (a[0] != b[0]) return (a[0] > b[0]) - (a[0] < b[0]);
    return (a[1] > b[1]) - (a[1] < b[1]);
}

/* The group's edges whose both ends the layout keeps, mapped to joints. */
static int add_group(struct edge_sink *s, const struct joint_layout *l, enum joint_part part,
                     const struct topology_group_data *d, struct error *err)
{
    for (size_t e = 0; e < d->num_edges; e++) {
        long a = d->edges[e][0], b = d->edges[e][1];
        if (part == JOINT_PART_FACE) {
            a = skeleton_face_local_index(l->skeleton, l->face_points, (int)a);
            b = skeleton_face_local_index(l->skeleton, l->face_points, (int)b);
            if (a < 0 || b < 0) continue;
        }
        long ja = joint_layout_joint(l, part, (size_t)a);
        long jb = joint_layout_joint(l, part, (size_t)b);
        if (ja < 0 || jb < 0) continue;
        if (edge_add(s, ja, jb, err)) return -1;
    }
    return 0;
}

/* A link between two parts, left out unless both ends are included. */
static int add_link(struct edge_sink *s, const struct joint_layout *l, enum joint_part pa,
                    size_t a, enum joint_part pb, size_t b, struct error *err)
{
    long ja = joint_layout_joint(l, pa, a), jb = joint_layout_joint(l, pb, b);
    if (ja < 0 || jb < 0) return 0;
    return edge_add(s, ja, jb, err);
}

/* Sorts the edges and merges duplicates. */
static size_t edges_unique(struct edge_sink *s)
{
    qsort(s->e, s->n, sizeof *s->e, cmp_edge);
    size_t w = 0;
    for (size_t r = 0; r < s->n; r++)
        if (r == 0 || cmp_edge(s->e[r], s->e[w - 1]) != 0) {
            s->e[w][0] = s->e[r][0];
            s->e[w][1] = s->e[r][1];
            w++;
        }
    return w;
}

int graph_mediapipe_edges(const struct joint_layout *l, int (*edges)[2], size_t cap,
                          size_t *n, struct error *err)
{
    *n = 0;
    if (l->num_joints == 0)
        return error_set(err, "graph_mediapipe_edges: the joint layout has no joints");
    if (l->skeleton != SKELETON_MEDIAPIPE)
        return error_set(err, "graph_mediapipe_edges: the joints are %s's, not MediaPipe's",
                         skeleton_name(l->skeleton));
    struct edge_sink s = {edges, 0, cap};
    const struct topology_group_data *pose = topology_group(TOPOLOGY_POSE);
    const struct topology_group_data *hand = topology_group(TOPOLOGY_HAND);
    const struct topology_group_data *face = l->face_points == FACE_POINTS_LIPS
                                                 ? topology_group(TOPOLOGY_FACE_LIPS)
                                                 : topology_face_contours_edges();
    /* nose to shoulders and to mouth corners: one body out of MediaPipe's separate pieces */
    static const int pose_extra[4][2] = {{0, 11}, {0, 12}, {0, 9}, {0, 10}};
    if (add_group(&s, l, JOINT_PART_POSE, pose, err)) return -1;
    for (int e = 0; e < 4; e++)
        if (add_link(&s, l, JOINT_PART_POSE, (size_t)pose_extra[e][0], JOINT_PART_POSE,
                     (size_t)pose_extra[e][1], err))
            return -1;
    if (add_group(&s, l, JOINT_PART_LEFT_HAND, hand, err) ||
        add_group(&s, l, JOINT_PART_RIGHT_HAND, hand, err) ||
        add_link(&s, l, JOINT_PART_POSE, 15, JOINT_PART_LEFT_HAND, 0, err) ||
        add_link(&s, l, JOINT_PART_POSE, 16, JOINT_PART_RIGHT_HAND, 0, err))
        return -1;
    if (l->count[JOINT_PART_FACE]) {
        if (add_group(&s, l, JOINT_PART_FACE, face, err)) return -1;
        /* face point 0 (the upper lip) is the first kept point of every face set */
        int f0 = topology_face_local_index(l->face_points, 0);
        CHECK(f0 == 0);
        if (add_link(&s, l, JOINT_PART_POSE, 0, JOINT_PART_FACE, (size_t)f0, err)) return -1;
    }
    *n = edges_unique(&s);
    return 0;
}

int graph_openpose_edges(const struct joint_layout *l, int (*edges)[2], size_t cap, size_t *n,
                         struct error *err)
{
    *n = 0;
    if (l->num_joints == 0)
        return error_set(err, "graph_openpose_edges: the joint layout has no joints");
    if (l->skeleton != SKELETON_OPENPOSE)
        return error_set(err, "graph_openpose_edges: the joints are %s's, not OpenPose's",
                         skeleton_name(l->skeleton));
    const struct skeleton_info *sk = skeleton_info(SKELETON_OPENPOSE);
    struct edge_sink s = {edges, 0, cap};
    const struct topology_group_data *hand = topology_openpose_group(TOPOLOGY_OP_HAND);
    if (add_group(&s, l, JOINT_PART_POSE, topology_openpose_group(TOPOLOGY_OP_POSE), err) ||
        add_group(&s, l, JOINT_PART_LEFT_HAND, hand, err) ||
        add_group(&s, l, JOINT_PART_RIGHT_HAND, hand, err) ||
        add_link(&s, l, JOINT_PART_POSE, (size_t)sk->wrist[0], JOINT_PART_LEFT_HAND, 0, err) ||
        add_link(&s, l, JOINT_PART_POSE, (size_t)sk->wrist[1], JOINT_PART_RIGHT_HAND, 0, err))
        return -1;
    if (l->count[JOINT_PART_FACE]) {
        if (add_group(&s, l, JOINT_PART_FACE, topology_openpose_group(TOPOLOGY_OP_FACE), err))
            return -1;
        /* the nose to the face's nose tip (30), which every OpenPose face set but `lips` keeps */
        int f = skeleton_face_local_index(SKELETON_OPENPOSE, l->face_points, sk->face_link);
        if (f >= 0 && add_link(&s, l, JOINT_PART_POSE, 0, JOINT_PART_FACE, (size_t)f, err))
            return -1;
    }
    *n = edges_unique(&s);
    return 0;
}

int graph_build_mediapipe(struct graph *g, const struct joint_layout *layout, enum partition p,
                          struct error *err)
{
    memset(g, 0, sizeof *g);
    int edges[GRAPH_MEDIAPIPE_MAX_EDGES][2];
    size_t n;
    if (graph_mediapipe_edges(layout, edges, GRAPH_MEDIAPIPE_MAX_EDGES, &n, err)) return -1;
    return build(g, layout->num_joints, (const int(*)[2])edges, n, p, "graph_build_mediapipe",
                 err);
}

int graph_build_openpose(struct graph *g, const struct joint_layout *layout, enum partition p,
                         struct error *err)
{
    memset(g, 0, sizeof *g);
    int edges[GRAPH_MEDIAPIPE_MAX_EDGES][2];
    size_t n;
    if (graph_openpose_edges(layout, edges, GRAPH_MEDIAPIPE_MAX_EDGES, &n, err)) return -1;
    return build(g, layout->num_joints, (const int(*)[2])edges, n, p, "graph_build_openpose",
                 err);
}

enum graph_kind graph_kind_of_skeleton(enum skeleton s)
{
    return s == SKELETON_OPENPOSE ? GRAPH_OPENPOSE : GRAPH_MEDIAPIPE;
}

int graph_build(struct graph *g, enum graph_kind kind, const struct joint_layout *layout,
                enum partition p, struct error *err)
{
    if (kind == GRAPH_AUTO) kind = graph_kind_of_skeleton(layout->skeleton);
    switch (kind) {
    case GRAPH_MEDIAPIPE: return graph_build_mediapipe(g, layout, p, err);
    case GRAPH_OPENPOSE: return graph_build_openpose(g, layout, p, err);
    case GRAPH_CHAIN: return graph_build_chain(g, layout->num_joints, p, err);
    default:
        memset(g, 0, sizeof *g);
        return error_set(err, "graph_build: unknown graph kind %d", (int)kind);
    }
}

int graph_hop_distances(size_t J, const int (*edges)[2], size_t n_edges, int32_t *hop,
                        struct error *err)
{
    struct neighbours a;
    if (neighbours_build(&a, J, edges, n_edges, "graph_hop_distances", err)) return -1;
    int rc = neighbours_hops(&a, hop, "graph_hop_distances", err);
    neighbours_free(&a);
    return rc;
}

int graph_parents(enum graph_kind kind, const struct joint_layout *layout, int32_t *parent,
                  struct error *err)
{
    const size_t J = layout->num_joints;
    if (kind == GRAPH_AUTO) kind = graph_kind_of_skeleton(layout->skeleton);
    if (kind == GRAPH_CHAIN) {
        for (size_t i = 0; i < J; i++) parent[i] = (int32_t)i - 1;
        return 0;
    }
    int(*edges)[2] = sg_malloc(GRAPH_MEDIAPIPE_MAX_EDGES, sizeof *edges, "graph parents", err);
    int32_t *hop = sg_malloc(J ? J : 1, sizeof *hop, "graph parents", err);
    size_t n = 0;
    int rc = -1;
    if (!edges || !hop) goto out;
    if (kind == GRAPH_OPENPOSE ? graph_openpose_edges(layout, edges, GRAPH_MEDIAPIPE_MAX_EDGES,
                                                      &n, err)
                               : graph_mediapipe_edges(layout, edges, GRAPH_MEDIAPIPE_MAX_EDGES,
                                                       &n, err))
        goto out;
    struct neighbours a;
    if (neighbours_build(&a, J, (const int(*)[2])edges, n, "graph_parents", err)) goto out;
    rc = neighbours_hops(&a, hop, "graph_parents", err);
    for (size_t i = 0; rc == 0 && i < J; i++) {
        parent[i] = -1;
        for (size_t r = a.ptr[i]; r < a.ptr[i + 1]; r++) {
            int32_t j = a.nb[r];
            if (hop[j] == hop[i] - 1 && (parent[i] < 0 || j < parent[i])) parent[i] = j;
        }
    }
    neighbours_free(&a);
out:
    free(edges);
    free(hop);
    return rc;
}

void sparse_adj_to_dense(const struct sparse_adj *a, float *dense)
{
    memset(dense, 0, a->n * a->n * sizeof *dense);
    for (size_t i = 0; i < a->n; i++)
        for (size_t r = a->row_ptr[i]; r < a->row_ptr[i + 1]; r++)
            dense[i * a->n + (size_t)a->col[r]] = a->val[r];
}
