/* test_topology.c — the generated MediaPipe tables against the counts that
 * data/mediapipe_topology.txt states in its header, and the face subsets of topology.h. */
#include <stdbool.h>
#include <string.h>

#include "graph/topology.h"
#include "testutil.h"

static void test_group_counts(void **state)
{
    (void)state;
    static const struct { enum topology_group g; const char *name; size_t pts, edges; } want[] = {
        {TOPOLOGY_POSE, "pose", 33, 35},
        {TOPOLOGY_HAND, "hand", 21, 21},
        {TOPOLOGY_FACE_LIPS, "face_lips", 478, 40},
        {TOPOLOGY_FACE_LEFT_EYE, "face_left_eye", 478, 16},
        {TOPOLOGY_FACE_LEFT_EYEBROW, "face_left_eyebrow", 478, 8},
        {TOPOLOGY_FACE_RIGHT_EYE, "face_right_eye", 478, 16},
        {TOPOLOGY_FACE_RIGHT_EYEBROW, "face_right_eyebrow", 478, 8},
        {TOPOLOGY_FACE_OVAL, "face_oval", 478, 36},
        {TOPOLOGY_FACE_LEFT_IRIS, "face_left_iris", 478, 4},
        {TOPOLOGY_FACE_RIGHT_IRIS, "face_right_iris", 478, 4},
        {TOPOLOGY_FACE_NOSE, "face_nose", 478, 25},
    };
    assert_int_equal(sizeof want / sizeof want[0], TOPOLOGY_GROUP_COUNT);
    for (size_t i = 0; i < TOPOLOGY_GROUP_COUNT; i++) {
        const struct topology_group_data *d = topology_group(want[i].g);
        assert_non_null(d);
        assert_string_equal(d->name, want[i].name);
        assert_int_equal(d->num_points, want[i].pts);
        assert_int_equal(d->num_edges, want[i].edges);
        for (size_t e = 0; e < d->num_edges; e++) {
            assert_true(d->edges[e][0] >= 0 && (size_t)d->edges[e][0] < d->num_points);
            assert_true(d->edges[e][1] >= 0 && (size_t)d->edges[e][1] < d->num_points);
            assert_true(d->edges[e][0] != d->edges[e][1]);
        }
    }
    assert_null(topology_group(TOPOLOGY_GROUP_COUNT));
}

/* Every pose and hand point is touched by an edge; POSE_CONNECTIONS leaves the head (0-10)
 * apart from the body (11-32) and the mouth (9-10) apart from the eyes. */
static void test_pose_hand_shape(void **state)
{
    (void)state;
    const struct topology_group_data *pose = topology_group(TOPOLOGY_POSE);
    bool touched[33] = {false};
    for (size_t e = 0; e < pose->num_edges; e++) {
        int a = pose->edges[e][0], b = pose->edges[e][1];
        touched[a] = touched[b] = true;
        assert_true((a <= 10) == (b <= 10));
        assert_true((a == 9 || a == 10) == (b == 9 || b == 10));
    }
    for (int i = 0; i < 33; i++) assert_true(touched[i]);
    const struct topology_group_data *hand = topology_group(TOPOLOGY_HAND);
    int deg0 = 0;
    for (size_t e = 0; e < hand->num_edges; e++)
        deg0 += (hand->edges[e][0] == 0) + (hand->edges[e][1] == 0);
    assert_int_equal(deg0, 3); /* wrist: thumb, index and pinky bases */
}

static bool edge_in(const struct topology_group_data *d, int a, int b)
{
    for (size_t e = 0; e < d->num_edges; e++)
        if ((d->edges[e][0] == a && d->edges[e][1] == b) ||
            (d->edges[e][0] == b && d->edges[e][1] == a))
            return true;
    return false;
}

static void test_contours(void **state)
{
    (void)state;
    const struct topology_group_data *c = topology_face_contours_edges();
    assert_int_equal(c->num_edges, 124);
    /* the union of the six contour groups, without duplicates */
    size_t sum = 0;
    for (int g = TOPOLOGY_FACE_LIPS; g <= TOPOLOGY_FACE_OVAL; g++) {
        const struct topology_group_data *d = topology_group((enum topology_group)g);
        sum += d->num_edges;
        for (size_t e = 0; e < d->num_edges; e++)
            assert_true(edge_in(c, d->edges[e][0], d->edges[e][1]));
    }
    assert_int_equal(sum, 124);
    for (size_t e = 0; e < c->num_edges; e++)
        for (size_t f = e + 1; f < c->num_edges; f++)
            assert_false((c->edges[e][0] == c->edges[f][0] && c->edges[e][1] == c->edges[f][1]) ||
                         (c->edges[e][0] == c->edges[f][1] && c->edges[e][1] == c->edges[f][0]));

    const int *pts;
    size_t n = topology_face_subset(FACE_POINTS_CONTOURS, &pts);
    assert_int_equal(n, 128);
    assert_non_null(pts);
    bool in_edges[478] = {false};
    for (size_t e = 0; e < c->num_edges; e++) in_edges[c->edges[e][0]] = in_edges[c->edges[e][1]] = true;
    size_t count = 0;
    for (int p = 0; p < 478; p++) count += in_edges[p];
    assert_int_equal(count, 128);
    for (size_t i = 0; i < n; i++) {
        assert_true(in_edges[pts[i]]);
        if (i) assert_true(pts[i - 1] < pts[i]);
    }
    assert_int_equal(pts[0], 0); /* the upper lip, which pose nose 0 links to */
}

static void test_lips(void **state)
{
    (void)state;
    const int *pts;
    size_t n = topology_face_subset(FACE_POINTS_LIPS, &pts);
    assert_int_equal(n, 40);
    const struct topology_group_data *lips = topology_group(TOPOLOGY_FACE_LIPS);
    bool in_edges[478] = {false};
    for (size_t e = 0; e < lips->num_edges; e++)
        in_edges[lips->edges[e][0]] = in_edges[lips->edges[e][1]] = true;
    size_t count = 0;
    for (int p = 0; p < 478; p++) count += in_edges[p];
    assert_int_equal(count, 40);
    for (size_t i = 0; i < n; i++) {
        assert_true(in_edges[pts[i]]);
        if (i) assert_true(pts[i - 1] < pts[i]);
    }
    assert_int_equal(pts[0], 0);
    assert_int_equal(pts[n - 1], 415);
    /* every lips point is a contour point */
    for (size_t i = 0; i < n; i++) assert_true(topology_face_local_index(FACE_POINTS_CONTOURS, pts[i]) >= 0);
}

static void test_local_index(void **state)
{
    (void)state;
    for (int fp = FACE_POINTS_CONTOURS; fp <= FACE_POINTS_LIPS; fp++) {
        const int *pts;
        size_t n = topology_face_subset((enum face_points)fp, &pts);
        size_t hits = 0;
        for (int p = 0; p < 478; p++) {
            int k = topology_face_local_index((enum face_points)fp, p);
            if (k >= 0) {
                assert_true((size_t)k < n);
                assert_int_equal(pts[k], p);
                hits++;
            }
        }
        assert_int_equal(hits, n);
        assert_int_equal(topology_face_local_index((enum face_points)fp, 468), -1); /* iris */
    }
    assert_int_equal(topology_face_local_index(FACE_POINTS_ALL, 477), 477);
    assert_int_equal(topology_face_local_index(FACE_POINTS_ALL, 478), -1);
    assert_int_equal(topology_face_local_index(FACE_POINTS_ALL, -1), -1);
    assert_int_equal(topology_face_local_index(FACE_POINTS_LIPS, 61), 7);
}

static void test_names(void **state)
{
    (void)state;
    const int *pts = (const int *)&pts;
    assert_int_equal(topology_face_subset(FACE_POINTS_ALL, &pts), 0);
    assert_null(pts);
    for (int fp = FACE_POINTS_ALL; fp <= FACE_POINTS_LIPS; fp++)
        assert_int_equal(face_points_parse(face_points_name((enum face_points)fp)), fp);
    assert_string_equal(face_points_name(FACE_POINTS_CONTOURS), "contours");
    assert_int_equal(face_points_parse("lips"), FACE_POINTS_LIPS);
    assert_int_equal(face_points_parse("Lips"), -1);
    assert_int_equal(face_points_parse(""), -1);
    assert_int_equal(face_points_parse(NULL), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_group_counts), cmocka_unit_test(test_pose_hand_shape),
        cmocka_unit_test(test_contours),     cmocka_unit_test(test_lips),
        cmocka_unit_test(test_local_index),  cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
