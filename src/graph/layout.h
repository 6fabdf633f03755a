/* layout.h — which landmark parts a run includes and where their joints sit (see layout.c).
 *
 * SPEC §1.1: joints are concatenated in the order pose (33), left_hand (21), right_hand (21),
 * face (F), each part only when included: J = 33·pose + 42·hands + F·face, with F the face
 * points of the file (478 or 468) for `--face-points all`, else the subset size (contours
 * 128, lips 40). The data loader fills joints with it, the graph builder links them, and the
 * model sizes its tensors by num_joints. The OpenPose skeleton has the same parts with pose 25
 * (BODY_25) and face 70 (subsets: contours 68, lips 20).
 */
#ifndef SG_GRAPH_LAYOUT_H
#define SG_GRAPH_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>

#include "graph/topology.h"

struct error;

enum joint_part {
    JOINT_PART_POSE = 0,
    JOINT_PART_LEFT_HAND,
    JOINT_PART_RIGHT_HAND,
    JOINT_PART_FACE,
    JOINT_PART_COUNT
};

struct joint_layout {
    /* chosen (set by joint_layout_init) */
    enum skeleton skeleton;        /* MediaPipe (joint_layout_init) or OpenPose */
    bool include_pose;
    bool include_hands;            /* both hands, or none */
    bool include_face;
    enum face_points face_points;  /* which face points are kept */
    size_t face_in_file;           /* 468 or 478 (OpenPose: 70): the files' face size */
    /* derived */
    size_t num_joints;                 /* J */
    size_t offset[JOINT_PART_COUNT];   /* first joint of each part; for a part not included,
                                          where it would start (and count is 0) */
    size_t count[JOINT_PART_COUNT];    /* joints of each part: 33, 21, 21, F; 0 if left out */
};

/* Fills *l. Errors: no part included; a face included with face_in_file other than 468 or
 * 478; an unknown face_points value. face_in_file is not checked when the face is left out. */
int joint_layout_init(struct joint_layout *l, bool include_pose, bool include_hands,
                      bool include_face, enum face_points fp, size_t face_in_file,
                      struct error *err);

/* The same for either skeleton (joint_layout_init is the MediaPipe one). */
int joint_layout_init_skeleton(struct joint_layout *l, enum skeleton skeleton,
                               bool include_pose, bool include_hands, bool include_face,
                               enum face_points fp, size_t face_in_file, struct error *err);

/* "pose", "left_hand", "right_hand", "face": the npz member names (SPEC §1.1). */
const char *joint_part_name(enum joint_part p);

/* Joint index of point `local` of part p (for the face: the position inside the kept set),
 * or -1 when the part is not included or local is out of range. */
long joint_layout_joint(const struct joint_layout *l, enum joint_part p, size_t local);

/* Face index (MediaPipe's or OpenPose's) of the k-th kept face point (k itself for `all`), or -1 when the face
 * is not included or k >= count[JOINT_PART_FACE]. */
int joint_layout_face_point(const struct joint_layout *l, size_t k);

#endif
