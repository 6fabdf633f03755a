/* topology.h — MediaPipe and OpenPose landmark topologies compiled into tables (contract;
 * see topology.c).
 *
 * The edge lists of data/mediapipe_topology.txt (pose 33, hand 21, face 468/478
 * points) and data/openpose_topology.txt (BODY_25 25, hand 21, face 70), turned into C
 * tables by tools/gen_topology.py, plus the face point subsets used by --face-points
 * (MediaPipe: contours = the 128 points of FACEMESH_CONTOURS, lips = the 40 lips points;
 * OpenPose: contours = the 68 points 0..67 that have edges, lips = the 20 mouth points
 * 48..67), each in increasing index order.
 */
#ifndef SG_GRAPH_TOPOLOGY_H
#define SG_GRAPH_TOPOLOGY_H

#include <stdbool.h>
#include <stddef.h>

enum face_points { FACE_POINTS_ALL = 0, FACE_POINTS_CONTOURS, FACE_POINTS_LIPS };

/* Which landmark model the joints come from: it decides the parts' sizes, the shoulders that
 * normalise a frame and the skeleton graph. */
enum skeleton { SKELETON_MEDIAPIPE = 0, SKELETON_OPENPOSE };
#define SKELETON_COUNT 2

struct skeleton_info {
    const char *name;        /* "mediapipe", "openpose" */
    const char *description; /* for messages: "MediaPipe Holistic (pose 33, ...)" */
    size_t pose_points;      /* 33 | 25 */
    size_t hand_points;      /* 21 */
    int shoulders[2];        /* pose joints whose midpoint and distance normalise: 11, 12 |
                                2, 5 */
    int wrist[2];            /* pose joints linked to left-hand 0 and right-hand 0: 15, 16 |
                                7, 4 */
    int face_link;           /* face point linked to pose 0 (nose): 0 (upper lip) | 30 (nose
                                tip) */
};
const struct skeleton_info *skeleton_info(enum skeleton s);
const char *skeleton_name(enum skeleton s);
int skeleton_parse(const char *name); /* -1 for an unknown name */
/* The skeleton's pose joints that exchange under a left/right mirror, as pairs (MediaPipe:
 * eyes, ears, mouth corners, shoulders … feet, 16 pairs; OpenPose BODY_25: shoulders … feet,
 * eyes, ears, 11 pairs). Joints not listed (the nose, OpenPose's neck and mid-hip) map to
 * themselves. Returns the number of pairs and sets *pairs. */
size_t skeleton_pose_mirror_pairs(enum skeleton s, const int (**pairs)[2]);
/* A face with n points: 468 or 478 (MediaPipe), 70 (OpenPose). */
bool skeleton_face_count_ok(enum skeleton s, size_t n);
/* The face subset of a skeleton (indices increasing); FACE_POINTS_ALL returns 0 and NULL. */
size_t skeleton_face_subset(enum skeleton s, enum face_points fp, const int **indices);
/* Position of face point `index` inside the skeleton's subset, or -1 (see
 * topology_face_local_index). */
int skeleton_face_local_index(enum skeleton s, enum face_points fp, int index);
/* OpenPose's edge tables: 0 pose (BODY_25, 24 edges), 1 hand (20), 2 face (65). */
enum topology_openpose_part { TOPOLOGY_OP_POSE = 0, TOPOLOGY_OP_HAND, TOPOLOGY_OP_FACE };
const struct topology_group_data *topology_openpose_group(enum topology_openpose_part p);

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
