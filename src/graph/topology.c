/* topology.c — the MediaPipe landmark topology of topology.h, over the generated tables.
 *
 * The edge lists of data/mediapipe_topology.txt (a copy of the team's shared file) are
 * compiled into topology_data.c by tools/gen_topology.py, so nothing is read at run time and
 * the tables cannot drift from the file without the generator's counts check failing. This
 * file only answers questions about them: the face point subsets that --face-points keeps
 * (each in increasing MediaPipe index order, SPEC §1.1), their names, and where a MediaPipe
 * face point lands inside a subset.
 *
 * Conventions: all indices are local to their part (pose 0..32, hand 0..20, face 0..477);
 * joint offsets inside a layout are graph/layout's business. Not here: building graphs
 * (graph.c) or deciding which parts a run includes.
 */
#include "graph/topology.h"

#include <string.h>

#include "graph/topology_data.h"

_Static_assert(TOPOLOGY_GROUP_COUNT == 11, "enum topology_group and the generated table");

static const char *const face_points_names[] = {"all", "contours", "lips"};
_Static_assert(sizeof face_points_names / sizeof face_points_names[0] == FACE_POINTS_LIPS + 1,
               "enum face_points and its name table");

size_t topology_face_subset(enum face_points fp, const int **indices)
{
    switch (fp) {
    case FACE_POINTS_CONTOURS:
        *indices = topology_contours_points;
        return topology_contours_count;
    case FACE_POINTS_LIPS:
        *indices = topology_lips_points;
        return topology_lips_count;
    case FACE_POINTS_ALL:
    default:
        *indices = NULL;
        return 0;
    }
}

const char *face_points_name(enum face_points fp)
{
    if ((unsigned)fp > FACE_POINTS_LIPS) return "?";
    return face_points_names[fp];
}

int face_points_parse(const char *name)
{
    if (!name) return -1;
    for (int i = 0; i <= FACE_POINTS_LIPS; i++)
        if (strcmp(name, face_points_names[i]) == 0) return i;
    return -1;
}

const struct topology_group_data *topology_group(enum topology_group g)
{
    if ((unsigned)g >= TOPOLOGY_GROUP_COUNT) return NULL;
    return &topology_groups[g];
}

const struct topology_group_data *topology_face_contours_edges(void)
{
    return &topology_face_contours;
}

int topology_face_local_index(enum face_points fp, int mp_index)
{
    if (mp_index < 0 || mp_index >= 478) return -1;
    const int *pts;
    size_t n = topology_face_subset(fp, &pts);
    if (!pts) return fp == FACE_POINTS_ALL ? mp_index : -1;
    size_t lo = 0, hi = n; /* binary search over the increasing list */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (pts[mid] < mp_index)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && pts[lo] == mp_index ? (int)lo : -1;
}

/* ---- skeletons -------------------------------------------------------------------------- */

static const struct skeleton_info skeletons[SKELETON_COUNT] = {
    [SKELETON_MEDIAPIPE] = {"mediapipe",
                            "MediaPipe Holistic (pose 33, hands 21, face 468/478)", 33, 21,
                            {11, 12}, {15, 16}, 0},
    [SKELETON_OPENPOSE] = {"openpose", "OpenPose (BODY_25 pose 25, hands 21, face 70)", 25,
                           21, {2, 5}, {7, 4}, 30},
};

const struct skeleton_info *skeleton_info(enum skeleton s)
{
    return (unsigned)s < SKELETON_COUNT ? &skeletons[s] : &skeletons[0];
}

const char *skeleton_name(enum skeleton s)
{
    return (unsigned)s < SKELETON_COUNT ? skeletons[s].name : "?";
}

int skeleton_parse(const char *name)
{
    for (int i = 0; name && i < SKELETON_COUNT; i++)
        if (strcmp(name, skeletons[i].name) == 0) return i;
    return -1;
}

/* MediaPipe pose: 1-3 left eye inner/centre/outer ↔ 4-6 right; 7/8 ears; 9/10 mouth corners;
 * then every odd joint from 11 (the signer's left) with the next one (right). OpenPose
 * BODY_25: 2-4 right arm ↔ 5-7 left, 9-11 right leg ↔ 12-14 left, eyes 15/16, ears 17/18,
 * left foot 19-21 ↔ right foot 22-24. */
static const int mp_mirror[16][2] = {{1, 4},   {2, 5},   {3, 6},   {7, 8},   {9, 10},  {11, 12},
                                     {13, 14}, {15, 16}, {17, 18}, {19, 20}, {21, 22}, {23, 24},
                                     {25, 26}, {27, 28}, {29, 30}, {31, 32}};
static const int op_mirror[11][2] = {{2, 5},   {3, 6},   {4, 7},   {9, 12},  {10, 13}, {11, 14},
                                     {15, 16}, {17, 18}, {19, 22}, {20, 23}, {21, 24}};

size_t skeleton_pose_mirror_pairs(enum skeleton s, const int (**pairs)[2])
{
    if (s == SKELETON_OPENPOSE) {
        *pairs = op_mirror;
        return sizeof op_mirror / sizeof op_mirror[0];
    }
    *pairs = mp_mirror;
    return sizeof mp_mirror / sizeof mp_mirror[0];
}

bool skeleton_face_count_ok(enum skeleton s, size_t n)
{
    return s == SKELETON_OPENPOSE ? n == 70 : (n == 468 || n == 478);
}

/* OpenPose face subsets: the 68 points that have edges (the two pupils 68, 69 have none) and
 * the 20 mouth points. */
static const int op_contours[68] = {
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24,
    25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47,
    48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65, 66, 67,
};
static const int op_lips[20] = {
    48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65, 66, 67,
};

static const int *op_subset(enum face_points fp, size_t *n)
{
    if (fp == FACE_POINTS_CONTOURS) {
        *n = 68;
        return op_contours;
    }
    *n = 20;
    return op_lips;
}

size_t skeleton_face_subset(enum skeleton s, enum face_points fp, const int **indices)
{
    if (s != SKELETON_OPENPOSE) return topology_face_subset(fp, indices);
    if (fp != FACE_POINTS_CONTOURS && fp != FACE_POINTS_LIPS) {
        *indices = NULL;
        return 0;
    }
    size_t n;
    *indices = op_subset(fp, &n);
    return n;
}

int skeleton_face_local_index(enum skeleton s, enum face_points fp, int index)
{
    if (s != SKELETON_OPENPOSE) return topology_face_local_index(fp, index);
    if (index < 0 || index >= 70) return -1;
    switch (fp) {
    case FACE_POINTS_ALL: return index;
    case FACE_POINTS_CONTOURS: return index < 68 ? index : -1;
    case FACE_POINTS_LIPS: return index >= 48 && index < 68 ? index - 48 : -1;
    default: return -1;
    }
}

const struct topology_group_data *topology_openpose_group(enum topology_openpose_part p)
{
    return (unsigned)p <= TOPOLOGY_OP_FACE ? &topology_openpose_groups[p] : NULL;
}
