/* openpose_json.h — one frame of OpenPose's JSON output (`<name>_<frame>_keypoints.json`)
 * (contract; implementation in openpose_json.c).
 *
 * {"version": 1.3, "people": [{"person_id": [-1], "pose_keypoints_2d": [x, y, c, ...],
 *  "face_keypoints_2d": [...], "hand_left_keypoints_2d": [...],
 *  "hand_right_keypoints_2d": [...], ...3d arrays...}, ...]}
 * Each keypoint array is flat x, y, confidence triples: BODY_25 75 numbers, each hand 63, the
 * face 210, or empty (the part was not estimated). Other keys are ignored. Which person is
 * used, and what confidence 0 means, is src/data/landmarks.c's business.
 */
#ifndef SG_IO_OPENPOSE_JSON_H
#define SG_IO_OPENPOSE_JSON_H

#include <stddef.h>

struct error;

enum openpose_part {
    OPENPOSE_POSE = 0,  /* pose_keypoints_2d, BODY_25 */
    OPENPOSE_HAND_LEFT, /* hand_left_keypoints_2d */
    OPENPOSE_HAND_RIGHT,
    OPENPOSE_FACE,      /* face_keypoints_2d, 70 points */
    OPENPOSE_PART_COUNT
};
/* The JSON key and the keypoint count of a part. */
const char *openpose_part_key(enum openpose_part p);
size_t openpose_part_points(enum openpose_part p);

struct openpose_person {
    /* points × 3 floats (x, y, confidence), or NULL when the array is missing or empty */
    float *kp[OPENPOSE_PART_COUNT];
};

struct openpose_frame {
    size_t n_people;
    struct openpose_person *people;
};

/* Parses one frame's JSON text (`len` bytes, need not be NUL-terminated); `label` names the
 * file in messages. Errors: not JSON, not an object, no `people` list, a person that is not
 * an object, a keypoint array that is not a list of numbers or has the wrong length. */
int openpose_frame_parse(struct openpose_frame *f, const char *json, size_t len,
                         const char *label, struct error *err);
int openpose_frame_read(struct openpose_frame *f, const char *path, struct error *err);
void openpose_frame_free(struct openpose_frame *f);

#endif
