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
