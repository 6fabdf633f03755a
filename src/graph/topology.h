/* topology.h — MediaPipe landmark topology compiled into tables (contract; see topology.c).
 *
 * The edge lists of data/mediapipe_topology.txt (pose 33, hand 21, face 468/478
 * points), turned into C tables by tools/gen_topology.py, plus the face point subsets used
 * by --face-points (contours: the 128 points of FACEMESH_CONTOURS; lips: the 40 lips points),
 * each in increasing MediaPipe index order.
 */
#ifndef SG_GRAPH_TOPOLOGY_H
#define SG_GRAPH_TOPOLOGY_H

#include <stddef.h>

enum face_points { FACE_POINTS_ALL = 0, FACE_POINTS_CONTOURS, FACE_POINTS_LIPS };

/* The MediaPipe face indices a subset keeps, increasing. FACE_POINTS_ALL returns 0 and sets
 * *indices to NULL (every point of the file is kept). */
size_t topology_face_subset(enum face_points fp, const int **indices);
/* "all", "contours", "lips"; and back (returns -1 for an unknown name). */
const char *face_points_name(enum face_points fp);
int face_points_parse(const char *name);

/* The edge groups of the topology file, in its order (tools/gen_topology.py keeps the two in
 * step: the generated table is indexed by these names). */
enum topology_group {
    TOPOLOGY_POSE = 0,            /* POSE_CONNECTIONS, 35 edges on 33 points */
    TOPOLOGY_HAND,                /* HAND_CONNECTIONS, 21 edges on 21 points */
    TOPOLOGY_FACE_LIPS,           /* the six contour groups: FACEMESH_CONTOURS */
    TOPOLOGY_FACE_LEFT_EYE,
    TOPOLOGY_FACE_LEFT_EYEBROW,
    TOPOLOGY_FACE_RIGHT_EYE,
    TOPOLOGY_FACE_RIGHT_EYEBROW,
    TOPOLOGY_FACE_OVAL,
    TOPOLOGY_FACE_LEFT_IRIS,      /* extra groups, not used by the skeleton graph */
    TOPOLOGY_FACE_RIGHT_IRIS,
    TOPOLOGY_FACE_NOSE,
    TOPOLOGY_GROUP_COUNT
};

/* One group's undirected edges, indices local to the part (MediaPipe indices for the face). */
struct topology_group_data {
    const char *name;        /* "pose", "hand", "face_lips", ... */
    size_t num_points;       /* points of the part: 33, 21 or 478 */
    size_t num_edges;
    const int (*edges)[2];
};

const struct topology_group_data *topology_group(enum topology_group g);
/* FACEMESH_CONTOURS: the union of the six contour groups (124 edges on the 128 points of the
 * `contours` subset), in file order. */
const struct topology_group_data *topology_face_contours_edges(void);
/* Position of MediaPipe face point `mp_index` inside a subset (0-based), or -1 when the subset
 * does not keep it; FACE_POINTS_ALL returns mp_index itself. */
int topology_face_local_index(enum face_points fp, int mp_index);

#endif
