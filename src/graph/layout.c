/* layout.c — the joint layout of layout.h: which parts are included, how many joints each
 * brings, and where each starts in the joint order pose, left_hand, right_hand, face.
 *
 * Face subsets come from topology.c and keep increasing MediaPipe index order, so the k-th
 * face joint of `lips` is topology_face_subset(LIPS)[k]. A part that is left out keeps an
 * offset (where it would start) and a count of 0, so loops over parts need no special case.
 * Not here: reading files (src/data) or linking joints (graph.c).
 */
#include "graph/layout.h"

#include <string.h>

#include "core/error.h"

static const char *const part_names[] = {"pose", "left_hand", "right_hand", "face"};
_Static_assert(sizeof part_names / sizeof part_names[0] == JOINT_PART_COUNT,
               "enum joint_part and its name table");

int joint_layout_init(struct joint_layout *l, bool include_pose, bool include_hands,
                      bool include_face, enum face_points fp, size_t face_in_file,
                      struct error *err)
{
    return joint_layout_init_skeleton(l, SKELETON_MEDIAPIPE, include_pose, include_hands,
                                      include_face, fp, face_in_file, err);
}

int joint_layout_init_skeleton(struct joint_layout *l, enum skeleton skeleton,
                               bool include_pose, bool include_hands, bool include_face,
                               enum face_points fp, size_t face_in_file, struct error *err)
{
    memset(l, 0, sizeof *l);
    if ((unsigned)skeleton >= SKELETON_COUNT)
        return error_set(err, "joint_layout_init: unknown skeleton %d", (int)skeleton);
    const struct skeleton_info *sk = skeleton_info(skeleton);
    if (!include_pose && !include_hands && !include_face) {
        error_set(err, "joint_layout_init: no landmark part is included");
        return error_hint(err, "keep --include-pose, or add --include-hands or --include-face");
    }
    if ((unsigned)fp > FACE_POINTS_LIPS)
        return error_set(err, "joint_layout_init: unknown face point set %d", (int)fp);
    size_t face_count = 0;
    if (include_face) {
        if (!skeleton_face_count_ok(skeleton, face_in_file))
            return error_set(err,
                             "joint_layout_init: face has %zu points in the files "
                             "(expected %s)",
                             face_in_file, skeleton == SKELETON_OPENPOSE ? "70" : "468 or 478");
        const int *pts;
        face_count =
            fp == FACE_POINTS_ALL ? face_in_file : skeleton_face_subset(skeleton, fp, &pts);
    }
    l->skeleton = skeleton;
    l->include_pose = include_pose;
    l->include_hands = include_hands;
    l->include_face = include_face;
    l->face_points = fp;
    l->face_in_file = face_in_file;
    l->count[JOINT_PART_POSE] = include_pose ? sk->pose_points : 0;
    l->count[JOINT_PART_LEFT_HAND] = include_hands ? sk->hand_points : 0;
    l->count[JOINT_PART_RIGHT_HAND] = include_hands ? sk->hand_points : 0;
    l->count[JOINT_PART_FACE] = face_count;
    size_t off = 0;
    for (int p = 0; p < JOINT_PART_COUNT; p++) {
        l->offset[p] = off;
        off += l->count[p];
    }
    l->num_joints = off;
    return 0;
}

const char *joint_part_name(enum joint_part p)
{
    if ((unsigned)p >= JOINT_PART_COUNT) return "?";
    return part_names[p];
}

long joint_layout_joint(const struct joint_layout *l, enum joint_part p, size_t local)
{
    if ((unsigned)p >= JOINT_PART_COUNT || local >= l->count[p]) return -1;
    return (long)(l->offset[p] + local);
}

int joint_layout_face_point(const struct joint_layout *l, size_t k)
{
    if (k >= l->count[JOINT_PART_FACE]) return -1;
    if (l->face_points == FACE_POINTS_ALL) return (int)k;
    const int *pts;
    skeleton_face_subset(l->skeleton, l->face_points, &pts);
    return pts[k];
}
