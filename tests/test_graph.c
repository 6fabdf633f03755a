/* test_graph.c — joint layouts and the partitioned adjacency of SPEC §2.
 *
 * Parity: every configuration that tools/graph_reference.py (an independent numpy
 * implementation) wrote into tests/fixtures/graph/ is rebuilt here and compared element by
 * element, pattern exactly and values within 1e-6. Properties: CSR invariants, spatial rows
 * summing to 1 as D⁻¹(A+I), uniform symmetry, degrees and hop distances worked out by hand on
 * small skeletons and on MediaPipe joints, edge counts per layout, and every bad configuration
 * giving an error (also under injected allocation failures, which ASan checks for leaks).
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "graph/graph.h"
#include "graph/layout.h"
#include "testutil.h"

/* ---- helpers ------------------------------------------------------------------------- */

static struct joint_layout make_layout(bool pose, bool hands, bool face, enum face_points fp,
                                       size_t fin)
{
    struct joint_layout l;
    struct error err = {{0}};
    int rc = joint_layout_init(&l, pose, hands, face, fp, fin, &err);
    if (rc) fail_msg("joint_layout_init: %s", err.msg);
    return l;
}

/* CSR invariants: offsets monotone, last = nnz, columns strictly increasing and in range. */
static void check_csr(const struct graph *g)
{
    assert_true(g->K == 1 || g->K == 3);
    for (size_t k = 0; k < g->K; k++) {
        const struct sparse_adj *m = &g->A[k];
        assert_int_equal(m->n, g->num_joints);
        assert_int_equal(m->row_ptr[0], 0);
        assert_int_equal(m->row_ptr[m->n], m->nnz);
        for (size_t i = 0; i < m->n; i++) {
            assert_true(m->row_ptr[i] <= m->row_ptr[i + 1]);
            for (size_t r = m->row_ptr[i]; r < m->row_ptr[i + 1]; r++) {
                assert_true(m->col[r] >= 0 && (size_t)m->col[r] < m->n);
                if (r > m->row_ptr[i]) assert_true(m->col[r - 1] < m->col[r]);
                assert_true(m->val[r] > 0.0f && m->val[r] <= 1.0f);
            }
        }
    }
}

/* Dense K×J×J copy of a graph. */
static float *graph_dense(const struct graph *g)
{
    size_t J = g->num_joints;
    float *d = malloc(g->K * J * J * sizeof *d);
    assert_non_null(d);
    for (size_t k = 0; k < g->K; k++) sparse_adj_to_dense(&g->A[k], d + k * J * J);
    return d;
}

static size_t graph_nnz(const struct graph *g)
{
    size_t n = 0;
    for (size_t k = 0; k < g->K; k++) n += g->A[k].nnz;
    return n;
}

/* Â_k[i,j] for tests on small graphs (0 where not stored). */
static float entry(const struct graph *g, size_t k, size_t i, size_t j)
{
    const struct sparse_adj *m = &g->A[k];
    for (size_t r = m->row_ptr[i]; r < m->row_ptr[i + 1]; r++)
        if ((size_t)m->col[r] == j) return m->val[r];
    return 0.0f;
}

/* ---- parity with tools/graph_reference.py --------------------------------------------- */

enum cfg_kind { CFG_MEDIAPIPE, CFG_CHAIN, CFG_EDGES };

struct parity_case {
    const char *name;
    enum cfg_kind kind;
    bool pose, hands, face;
    enum face_points fp;
    size_t face_in_file;
    size_t J;
};

/* The same list as EDGES13 in tools/graph_reference.py. */
static const int edges13[][2] = {{0, 1}, {1, 2}, {2, 3}, {3, 1}, {1, 4}, {4, 5},
                                 {5, 6}, {7, 8}, {8, 9}, {9, 10}, {10, 7}, {9, 11}};

static const struct parity_case parity_cases[] = {
    {"pose", CFG_MEDIAPIPE, true, false, false, FACE_POINTS_ALL, 478, 33},
    {"pose_hands", CFG_MEDIAPIPE, true, true, false, FACE_POINTS_ALL, 478, 75},
    {"pose_hands_lips", CFG_MEDIAPIPE, true, true, true, FACE_POINTS_LIPS, 478, 115},
    {"pose_hands_contours", CFG_MEDIAPIPE, true, true, true, FACE_POINTS_CONTOURS, 468, 203},
    {"pose_face_all478", CFG_MEDIAPIPE, true, false, true, FACE_POINTS_ALL, 478, 511},
    {"pose_hands_face_all478", CFG_MEDIAPIPE, true, true, true, FACE_POINTS_ALL, 478, 553},
    {"hands", CFG_MEDIAPIPE, false, true, false, FACE_POINTS_ALL, 478, 42},
    {"face_lips", CFG_MEDIAPIPE, false, false, true, FACE_POINTS_LIPS, 478, 40},
    {"chain_pose_hands", CFG_CHAIN, true, true, false, FACE_POINTS_ALL, 478, 75},
    {"edges13", CFG_EDGES, false, false, false, FACE_POINTS_ALL, 0, 13},
};

static void build_case(struct graph *g, const struct parity_case *c, enum partition p)
{
    struct error err = {{0}};
    int rc;
    if (c->kind == CFG_EDGES) {
        rc = graph_build_edges(g, 13, edges13, sizeof edges13 / sizeof edges13[0], p, &err);
    } else {
        struct joint_layout l = make_layout(c->pose, c->hands, c->face, c->fp, c->face_in_file);
        assert_int_equal(l.num_joints, c->J);
        rc = graph_build(g, c->kind == CFG_CHAIN ? GRAPH_CHAIN : GRAPH_MEDIAPIPE, &l, p, &err);
    }
    if (rc) fail_msg("%s: %s", c->name, err.msg);
    assert_int_equal(g->num_joints, c->J);
    assert_int_equal(g->K, partition_num_subsets(p));
    check_csr(g);
}

/* Reads "J K nnz" and the "k i j value" lines of a fixture into a dense K×J×J array. */
static double *read_fixture(const char *name, enum partition p, size_t *J, size_t *K,
                            size_t *nnz)
{
    char rel[128];
    snprintf(rel, sizeof rel, "graph/%s_%s.txt", name, partition_name(p));
    size_t len;
    char *text = read_text_file(fixture_path(rel), &len);
    if (!text) fail_msg("missing fixture %s (run tools/graph_reference.py)", rel);
    char *s = text;
    while (*s == '#') s = strchr(s, '\n') + 1;
    int used = 0;
    if (sscanf(s, "J %zu K %zu nnz %zu%n", J, K, nnz, &used) != 3) fail_msg("%s: header", rel);
    s += used;
    double *d = calloc(*K * *J * *J, sizeof *d);
    assert_non_null(d);
    for (size_t e = 0; e < *nnz; e++) {
        char *end;
        long k = strtol(s, &end, 10);
        long i = strtol(end, &end, 10);
        long j = strtol(end, &end, 10);
        double v = strtod(end, &end);
        if (end == s || k < 0 || (size_t)k >= *K || i < 0 || (size_t)i >= *J || j < 0 ||
            (size_t)j >= *J)
            fail_msg("%s: bad line %zu", rel, e);
        d[((size_t)k * *J + (size_t)i) * *J + (size_t)j] = v;
        s = end;
    }
    free(text);
    return d;
}

static void test_parity_with_reference(void **state)
{
    (void)state;
    for (size_t c = 0; c < sizeof parity_cases / sizeof parity_cases[0]; c++) {
        for (int pi = PARTITION_UNIFORM; pi <= PARTITION_SPATIAL; pi++) {
            enum partition p = (enum partition)pi;
            const struct parity_case *pc = &parity_cases[c];
            struct graph g;
            build_case(&g, pc, p);
            size_t J, K, nnz;
            double *ref = read_fixture(pc->name, p, &J, &K, &nnz);
            assert_int_equal(J, g.num_joints);
            assert_int_equal(K, g.K);
            assert_int_equal(nnz, graph_nnz(&g));
            float *d = graph_dense(&g);
            for (size_t e = 0; e < K * J * J; e++) {
                if ((d[e] != 0.0f) != (ref[e] != 0.0) || fabs((double)d[e] - ref[e]) > 1e-6)
                    fail_msg("%s %s: k=%zu i=%zu j=%zu: C %.9g, reference %.9g", pc->name,
                             partition_name(p), e / (J * J), e / J % J, e % J, (double)d[e],
                             ref[e]);
            }
            free(d);
            free(ref);
            graph_free(&g);
        }
    }
}

/* ---- properties ---------------------------------------------------------------------- */

/* With A from graph_mediapipe_edges: spatial Σ_k Â_k = D⁻¹(A+I) (rows sum to 1, each
 * neighbour in exactly one subset), uniform Â = D^-½(A+I)D^-½ and exactly symmetric. */
static void test_partition_properties(void **state)
{
    (void)state;
    for (size_t c = 0; c < sizeof parity_cases / sizeof parity_cases[0]; c++) {
        const struct parity_case *pc = &parity_cases[c];
        if (pc->kind != CFG_MEDIAPIPE) continue;
        struct joint_layout l = make_layout(pc->pose, pc->hands, pc->face, pc->fp,
                                            pc->face_in_file);
        int edges[GRAPH_MEDIAPIPE_MAX_EDGES][2];
        size_t n, J = l.num_joints;
        struct error err;
        assert_int_equal(graph_mediapipe_edges(&l, edges, GRAPH_MEDIAPIPE_MAX_EDGES, &n, &err), 0);
        unsigned char *adj = calloc(J * J, 1);
        size_t *deg = calloc(J, sizeof *deg);
        for (size_t i = 0; i < J; i++) adj[i * J + i] = 1, deg[i] = 1;
        for (size_t e = 0; e < n; e++) {
            size_t a = (size_t)edges[e][0], b = (size_t)edges[e][1];
            assert_true(a < b); /* sorted, unique */
            if (e) assert_true(edges[e - 1][0] < edges[e][0] ||
                               (edges[e - 1][0] == edges[e][0] && edges[e - 1][1] < edges[e][1]));
            adj[a * J + b] = adj[b * J + a] = 1;
            deg[a]++, deg[b]++;
        }

        struct graph sp, un;
        build_case(&sp, pc, PARTITION_SPATIAL);
        build_case(&un, pc, PARTITION_UNIFORM);
        assert_int_equal(graph_nnz(&sp), J + 2 * n);
        assert_int_equal(graph_nnz(&un), J + 2 * n);
        float *ds = graph_dense(&sp), *du = graph_dense(&un);
        for (size_t i = 0; i < J; i++) {
            double row = 0;
            for (size_t j = 0; j < J; j++) {
                double s = (double)ds[i * J + j] + (double)ds[J * J + i * J + j] +
                           (double)ds[2 * J * J + i * J + j];
                row += s;
                assert_true(fabs(s - adj[i * J + j] / (double)deg[i]) < 1e-7);
                /* a neighbour sits in exactly one of the three subsets */
                int where = (ds[i * J + j] != 0) + (ds[J * J + i * J + j] != 0) +
                            (ds[2 * J * J + i * J + j] != 0);
                assert_int_equal(where, adj[i * J + j]);
                assert_true(du[i * J + j] == du[j * J + i]);
                assert_true(fabs((double)du[i * J + j] -
                                 adj[i * J + j] / sqrt((double)deg[i] * (double)deg[j])) < 1e-7);
            }
            assert_true(fabs(row - 1.0) < 1e-5);
            assert_true(ds[i * J + i] > 0.0f); /* root subset is the diagonal */
        }
        free(ds);
        free(du);
        free(adj);
        free(deg);
        graph_free(&sp);
        graph_free(&un);
    }
}

/* A "T": 0-1-2-3 and 1-4. deg = 2,4,3,2,2 (self included); hops from 0 = 0,1,2,3,2. */
static void test_small_tree_by_hand(void **state)
{
    (void)state;
    static const int e[][2] = {{0, 1}, {2, 1}, {2, 3}, {1, 4}};
    struct graph g;
    struct error err;
    assert_int_equal(graph_build_edges(&g, 5, e, 4, PARTITION_SPATIAL, &err), 0);
    check_csr(&g);
    int32_t hop[5];
    assert_int_equal(graph_hop_distances(5, e, 4, hop, &err), 0);
    static const int32_t want_hop[5] = {0, 1, 2, 3, 2};
    for (int i = 0; i < 5; i++) assert_int_equal(hop[i], want_hop[i]);
    static const float inv_deg[5] = {1.0f / 2, 1.0f / 4, 1.0f / 3, 1.0f / 2, 1.0f / 2};
    for (size_t i = 0; i < 5; i++) assert_true(entry(&g, 0, i, i) == inv_deg[i]);
    /* centripetal: the parent; centrifugal: the children */
    assert_int_equal(g.A[1].nnz, 4);
    assert_int_equal(g.A[2].nnz, 4);
    assert_true(entry(&g, 1, 1, 0) == 1.0f / 4);
    assert_true(entry(&g, 1, 2, 1) == 1.0f / 3);
    assert_true(entry(&g, 1, 3, 2) == 1.0f / 2);
    assert_true(entry(&g, 1, 4, 1) == 1.0f / 2);
    assert_true(entry(&g, 2, 0, 1) == 1.0f / 2);
    assert_true(entry(&g, 2, 1, 2) == 1.0f / 4);
    assert_true(entry(&g, 2, 1, 4) == 1.0f / 4);
    assert_true(entry(&g, 2, 2, 3) == 1.0f / 3);
    assert_true(entry(&g, 0, 0, 1) == 0.0f);
    graph_free(&g);

    assert_int_equal(graph_build_edges(&g, 5, e, 4, PARTITION_UNIFORM, &err), 0);
    assert_int_equal(g.K, 1);
    assert_int_equal(g.A[0].nnz, 13);
    assert_true(entry(&g, 0, 0, 0) == 0.5f);
    assert_true(fabsf(entry(&g, 0, 0, 1) - 1.0f / sqrtf(8.0f)) < 1e-7f);
    assert_true(fabsf(entry(&g, 0, 1, 2) - 1.0f / sqrtf(12.0f)) < 1e-7f);
    assert_true(entry(&g, 0, 1, 1) == 0.25f);
    assert_true(entry(&g, 0, 3, 4) == 0.0f);
    /* row 1 is 0,1,2,4 in that order: the self-loop is merged in place */
    const struct sparse_adj *m = &g.A[0];
    assert_int_equal(m->row_ptr[2] - m->row_ptr[1], 4);
    assert_int_equal(m->col[m->row_ptr[1] + 1], 1);
    graph_free(&g);
}

/* Same-hop neighbours (a triangle) are centrifugal both ways; duplicates and reversed edges
 * merge; each component has its own root, an isolated joint only its self-loop. */
static void test_cycles_components_duplicates(void **state)
{
    (void)state;
    static const int e[][2] = {{3, 4}, {4, 5}, {5, 3}, {4, 3}, {3, 4}, {6, 5}};
    struct graph g;
    struct error err;
    assert_int_equal(graph_build_edges(&g, 8, e, 6, PARTITION_SPATIAL, &err), 0);
    check_csr(&g);
    int32_t hop[8];
    assert_int_equal(graph_hop_distances(8, e, 6, hop, &err), 0);
    static const int32_t want[8] = {0, 0, 0, 0, 1, 1, 2, 0};
    for (int i = 0; i < 8; i++) assert_int_equal(hop[i], want[i]);
    assert_int_equal(graph_nnz(&g), 8 + 2 * 4);
    for (size_t i = 0; i < 3; i++) assert_true(entry(&g, 0, i, i) == 1.0f);
    assert_true(entry(&g, 0, 7, 7) == 1.0f);
    assert_true(entry(&g, 2, 4, 5) == 1.0f / 3); /* same hop */
    assert_true(entry(&g, 2, 5, 4) == 1.0f / 4);
    assert_true(entry(&g, 1, 4, 3) == 1.0f / 3);
    assert_true(entry(&g, 1, 6, 5) == 1.0f / 2);
    assert_true(entry(&g, 2, 5, 6) == 1.0f / 4);
    graph_free(&g);
}

static void test_chain(void **state)
{
    (void)state;
    struct graph g;
    struct error err;
    assert_int_equal(graph_build_chain(&g, 1, PARTITION_SPATIAL, &err), 0);
    assert_int_equal(graph_nnz(&g), 1);
    assert_true(entry(&g, 0, 0, 0) == 1.0f);
    graph_free(&g);
    assert_int_equal(graph_build_chain(&g, 6, PARTITION_SPATIAL, &err), 0);
    check_csr(&g);
    for (size_t i = 1; i < 6; i++) {
        assert_true(entry(&g, 1, i, i - 1) > 0.0f); /* hop = index */
        assert_true(entry(&g, 2, i - 1, i) > 0.0f);
    }
    assert_true(entry(&g, 0, 0, 0) == 0.5f && entry(&g, 0, 3, 3) == 1.0f / 3);
    graph_free(&g);
}

/* Joint counts, offsets and face points of the layouts SPEC §1.1 names. */
static void test_layouts(void **state)
{
    (void)state;
    struct joint_layout l = make_layout(true, true, true, FACE_POINTS_ALL, 478);
    assert_int_equal(l.num_joints, 553);
    static const size_t off553[4] = {0, 33, 54, 75}, cnt553[4] = {33, 21, 21, 478};
    for (int p = 0; p < JOINT_PART_COUNT; p++) {
        assert_int_equal(l.offset[p], off553[p]);
        assert_int_equal(l.count[p], cnt553[p]);
    }
    assert_int_equal(joint_layout_joint(&l, JOINT_PART_RIGHT_HAND, 20), 74);
    assert_int_equal(joint_layout_joint(&l, JOINT_PART_RIGHT_HAND, 21), -1);
    assert_int_equal(joint_layout_face_point(&l, 477), 477);

    l = make_layout(true, true, true, FACE_POINTS_ALL, 468);
    assert_int_equal(l.num_joints, 543);
    l = make_layout(true, false, true, FACE_POINTS_LIPS, 468);
    assert_int_equal(l.num_joints, 73);
    assert_int_equal(l.offset[JOINT_PART_FACE], 33);
    assert_int_equal(l.count[JOINT_PART_LEFT_HAND], 0);
    assert_int_equal(joint_layout_joint(&l, JOINT_PART_LEFT_HAND, 0), -1);
    assert_int_equal(joint_layout_face_point(&l, 0), 0);
    assert_int_equal(joint_layout_face_point(&l, 7), 61);
    assert_int_equal(joint_layout_face_point(&l, 40), -1);
    l = make_layout(false, true, true, FACE_POINTS_CONTOURS, 478);
    assert_int_equal(l.num_joints, 170);
    assert_int_equal(l.offset[JOINT_PART_LEFT_HAND], 0);
    assert_int_equal(l.offset[JOINT_PART_FACE], 42);
    assert_int_equal(joint_layout_joint(&l, JOINT_PART_POSE, 0), -1);
    l = make_layout(true, false, false, FACE_POINTS_ALL, 0); /* face size unchecked when out */
    assert_int_equal(l.num_joints, 33);
    assert_string_equal(joint_part_name(JOINT_PART_RIGHT_HAND), "right_hand");
    assert_string_equal(joint_part_name(JOINT_PART_FACE), "face");
}

/* MediaPipe joints worked out by hand. */
static void test_mediapipe_by_hand(void **state)
{
    (void)state;
    struct error err;
    int edges[GRAPH_MEDIAPIPE_MAX_EDGES][2];
    size_t n;
    static const struct { bool pose, hands, face; enum face_points fp; size_t fin, edges; } cnt[] = {
        {true, false, false, FACE_POINTS_ALL, 478, 39},
        {true, true, false, FACE_POINTS_ALL, 478, 39 + 42 + 2},
        {true, true, true, FACE_POINTS_LIPS, 478, 83 + 40 + 1},
        {true, true, true, FACE_POINTS_CONTOURS, 478, 83 + 124 + 1},
        {true, true, true, FACE_POINTS_ALL, 468, 83 + 124 + 1},
        {false, true, false, FACE_POINTS_ALL, 478, 42},
        {false, false, true, FACE_POINTS_ALL, 478, 124},
        {false, true, true, FACE_POINTS_LIPS, 478, 42 + 40},
    };
    for (size_t c = 0; c < sizeof cnt / sizeof cnt[0]; c++) {
        struct joint_layout l = make_layout(cnt[c].pose, cnt[c].hands, cnt[c].face, cnt[c].fp,
                                            cnt[c].fin);
        assert_int_equal(graph_mediapipe_edges(&l, edges, GRAPH_MEDIAPIPE_MAX_EDGES, &n, &err), 0);
        assert_int_equal(n, cnt[c].edges);
    }
    struct joint_layout l = make_layout(true, true, true, FACE_POINTS_ALL, 478);
    assert_int_equal(graph_mediapipe_edges(&l, edges, 100, &n, &err), -1); /* too small */
    assert_non_null(strstr(err.msg, "more than 100 edges"));

    assert_int_equal(graph_mediapipe_edges(&l, edges, GRAPH_MEDIAPIPE_MAX_EDGES, &n, &err), 0);
    int32_t hop[553];
    assert_int_equal(graph_hop_distances(553, (const int(*)[2])edges, n, hop, &err), 0);
    assert_int_equal(hop[0], 0);
    assert_int_equal(hop[11], 1);     /* nose - shoulder */
    assert_int_equal(hop[9], 1);      /* nose - mouth corner */
    assert_int_equal(hop[15], 3);     /* 0-11-13-15 */
    assert_int_equal(hop[33], 4);     /* left-hand wrist behind pose wrist 15 */
    assert_int_equal(hop[33 + 8], 8); /* left index tip: 0-5-6-7-8 */
    assert_int_equal(hop[54 + 4], 8); /* right thumb tip: 0-1-2-3-4 */
    assert_int_equal(hop[75], 1);     /* face 0 (upper lip) */
    assert_int_equal(hop[32], 5);     /* 0-12-24-26-28-32 */
    for (int i = 75 + 468; i < 553; i++) assert_int_equal(hop[i], 0); /* irises: own roots */

    struct graph g;
    assert_int_equal(graph_build_mediapipe(&g, &l, PARTITION_SPATIAL, &err), 0);
    assert_true(entry(&g, 0, 0, 0) == 1.0f / 8); /* 1,4,9,10,11,12, face 0, self */
    assert_true(entry(&g, 1, 33, 15) == 1.0f / 5); /* hand wrist: 1, 5, 17, pose 15, self */
    assert_true(entry(&g, 2, 15, 33) == 1.0f / 6); /* pose 15: 13,17,19,21, hand 0, self */
    for (size_t i = 75 + 468; i < 553; i++) {
        assert_true(entry(&g, 0, i, i) == 1.0f);
        assert_int_equal(g.A[1].row_ptr[i + 1] - g.A[1].row_ptr[i], 0);
        assert_int_equal(g.A[2].row_ptr[i + 1] - g.A[2].row_ptr[i], 0);
    }
    graph_free(&g);

    /* hands only: each hand's wrist is its component's root */
    l = make_layout(false, true, false, FACE_POINTS_ALL, 478);
    assert_int_equal(graph_mediapipe_edges(&l, edges, GRAPH_MEDIAPIPE_MAX_EDGES, &n, &err), 0);
    assert_int_equal(graph_hop_distances(42, (const int(*)[2])edges, n, hop, &err), 0);
    assert_int_equal(hop[0], 0);
    assert_int_equal(hop[21], 0);
    assert_int_equal(hop[21 + 20], 4);
}

static void test_names(void **state)
{
    (void)state;
    assert_int_equal(graph_kind_parse("mediapipe"), GRAPH_MEDIAPIPE);
    assert_int_equal(graph_kind_parse("chain"), GRAPH_CHAIN);
    assert_int_equal(graph_kind_parse("Chain"), -1);
    assert_int_equal(graph_kind_parse(NULL), -1);
    assert_int_equal(partition_parse("uniform"), PARTITION_UNIFORM);
    assert_int_equal(partition_parse("spatial"), PARTITION_SPATIAL);
    assert_int_equal(partition_parse("distance"), -1);
    assert_string_equal(graph_kind_name(GRAPH_CHAIN), "chain");
    assert_string_equal(partition_name(PARTITION_SPATIAL), "spatial");
    assert_int_equal(partition_num_subsets(PARTITION_UNIFORM), 1);
    assert_int_equal(partition_num_subsets(PARTITION_SPATIAL), 3);
}

static void assert_empty(const struct graph *g)
{
    assert_int_equal(g->num_joints, 0);
    assert_int_equal(g->K, 0);
    for (size_t k = 0; k < GRAPH_MAX_K; k++) assert_null(g->A[k].row_ptr);
}

static void test_bad_configurations(void **state)
{
    (void)state;
    struct error err;
    struct joint_layout l;
    assert_int_equal(joint_layout_init(&l, false, false, false, FACE_POINTS_ALL, 478, &err), -1);
    assert_non_null(strstr(err.msg, "no landmark part is included"));
    assert_non_null(strstr(err.msg, "hint:"));
    assert_int_equal(joint_layout_init(&l, true, false, true, FACE_POINTS_ALL, 470, &err), -1);
    assert_non_null(strstr(err.msg, "470"));
    assert_int_equal(joint_layout_init(&l, true, false, true, (enum face_points)5, 478, &err), -1);

    struct graph g;
    static const int ok[][2] = {{0, 1}};
    static const int out_of_range[][2] = {{0, 1}, {1, 5}};
    static const int negative[][2] = {{-1, 1}};
    static const int self[][2] = {{0, 1}, {2, 2}};
    assert_int_equal(graph_build_edges(&g, 0, NULL, 0, PARTITION_SPATIAL, &err), -1);
    assert_empty(&g);
    assert_non_null(strstr(err.msg, "no joints"));
    assert_int_equal(graph_build_edges(&g, 5, out_of_range, 2, PARTITION_SPATIAL, &err), -1);
    assert_empty(&g);
    assert_non_null(strstr(err.msg, "edge 1 (1, 5) is outside joints 0..4"));
    assert_int_equal(graph_build_edges(&g, 5, negative, 1, PARTITION_UNIFORM, &err), -1);
    assert_int_equal(graph_build_edges(&g, 5, self, 2, PARTITION_SPATIAL, &err), -1);
    assert_non_null(strstr(err.msg, "self-loop"));
    assert_int_equal(graph_build_edges(&g, 5, NULL, 3, PARTITION_SPATIAL, &err), -1);
    assert_int_equal(graph_build_edges(&g, 2, ok, 1, (enum partition)7, &err), -1);
    assert_non_null(strstr(err.msg, "unknown partition"));
    assert_empty(&g);
    assert_int_equal(graph_build_chain(&g, 0, PARTITION_UNIFORM, &err), -1);
    assert_empty(&g);

    struct joint_layout empty;
    memset(&empty, 0, sizeof empty);
    assert_int_equal(graph_build_mediapipe(&g, &empty, PARTITION_SPATIAL, &err), -1);
    assert_non_null(strstr(err.msg, "no joints"));
    assert_empty(&g);
    l = make_layout(true, false, false, FACE_POINTS_ALL, 478);
    assert_int_equal(graph_build(&g, (enum graph_kind)4, &l, PARTITION_SPATIAL, &err), -1);
    assert_non_null(strstr(err.msg, "unknown graph kind"));
    assert_empty(&g);
    graph_free(&g); /* harmless on an empty graph */
    graph_free(NULL);
}

/* Every allocation of a build failing in turn: an error, an empty graph, nothing leaked. */
static void test_allocation_failures(void **state)
{
    (void)state;
    struct joint_layout l = make_layout(true, true, true, FACE_POINTS_LIPS, 478);
    for (int pi = PARTITION_UNIFORM; pi <= PARTITION_SPATIAL; pi++) {
        long n = 0;
        for (;; n++) {
            struct graph g;
            struct error err = {{0}};
            alloc_fail_after(n);
            int rc = graph_build(&g, GRAPH_MEDIAPIPE, &l, (enum partition)pi, &err);
            alloc_fail_after(-1);
            if (rc == 0) {
                check_csr(&g);
                graph_free(&g);
                break;
            }
            assert_empty(&g);
            assert_non_null(strstr(err.msg, "graph_build_mediapipe: "));
            assert_non_null(strstr(err.msg, "cannot allocate"));
        }
        assert_true(n >= 5);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parity_with_reference),
        cmocka_unit_test(test_partition_properties),
        cmocka_unit_test(test_small_tree_by_hand),
        cmocka_unit_test(test_cycles_components_duplicates),
        cmocka_unit_test(test_chain),
        cmocka_unit_test(test_layouts),
        cmocka_unit_test(test_mediapipe_by_hand),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_bad_configurations),
        cmocka_unit_test(test_allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
