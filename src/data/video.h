/* video.h — one video's landmarks assembled, normalised and summed for statistics
 * (SPEC §1.1–1.2), on in-memory arrays.
 *
 * The loader (dataset.c) reads a file's parts and hands them here; tests drive the same
 * functions on arrays they build. data_layout_init says where each part sits in the J joints,
 * data_raw_check validates shapes against the options, data_video_build fills the video's
 * landmarks and per-frame statistic sums, data_window_stats turns sums into a window's S = 2C
 * signer statistics.
 */
#ifndef SG_DATA_VIDEO_H
#define SG_DATA_VIDEO_H

#include <stdbool.h>
#include <stddef.h>

#include "data/config.h"
#include "graph/topology.h"

struct error;

enum data_part { DATA_PART_POSE = 0, DATA_PART_LEFT_HAND, DATA_PART_RIGHT_HAND, DATA_PART_FACE,
                 DATA_PART_COUNT };
/* The npz member name: "pose", "left_hand", "right_hand", "face". */
const char *data_part_name(enum data_part p);

/* Whether cfg includes the part (the file's pose is used even when it is not). */
bool data_part_included(const struct data_config *cfg, enum data_part p);
/* A face member has 468 or 478 points (478: with the iris). */
static inline bool data_face_count_ok(size_t n)
{
    return n == 468 || n == 478;
}

#define DATA_POSE_JOINTS 33
#define DATA_HAND_JOINTS 21

/* Where each included part sits in the J joints (order pose, left_hand, right_hand, face).
 * The skeleton (MediaPipe or OpenPose, from the files) decides the parts' sizes, the shoulder
 * joints of the normalisation and the graph. */
struct data_layout {
    enum skeleton skeleton;
    size_t coords;                         /* C */
    size_t joints;                         /* J */
    size_t face_in_file;                   /* F of the face member read (468|478, OpenPose 70);
                                              0: none */
    size_t part_offset[DATA_PART_COUNT];   /* first joint of the part */
    size_t part_joints[DATA_PART_COUNT];   /* joints of the part; 0 when not included */
    const int *face_index;                 /* subset: MediaPipe index of face joint k; NULL:
                                              all points in file order */
};
/* Layout for cfg when the face member has `face_in_file` points (0 when unknown: with
 * --face-points all the face then takes no joints): MediaPipe's, or the given skeleton's. */
void data_layout_init(struct data_layout *lay, const struct data_config *cfg,
                      size_t face_in_file);
void data_layout_init_skeleton(struct data_layout *lay, const struct data_config *cfg,
                               enum skeleton skeleton, size_t face_in_file);

/* One video's parts as read: frames × joints × channels float32 in C order; data == NULL
 * when the file has no such member. Every reader (npz, .pose, OpenPose JSON) fills these. */
struct data_raw_part {
    const float *data;
    size_t joints;
    size_t channels;
};
struct data_raw_video {
    size_t frames;
    struct data_raw_part part[DATA_PART_COUNT];
};

/* Doubles per frame of statistic sums: count, then Σ(v−ref_c) and Σ(v−ref_c)² per channel. */
static inline size_t data_frame_stats_size(size_t coords)
{
    return 1 + 2 * coords;
}

/* Checks a raw video against cfg: frames >= 1, every part present has the expected joints
 * and at least max(2, C) channels (the file's pose always, since normalisation and statistics
 * use it), and the video has an included part or a pose. `label` names the video. */
int data_raw_check(const struct data_config *cfg, const struct data_layout *lay,
                   const struct data_raw_video *raw, const char *label, struct error *err);

/* Builds one checked video: x (frames × lay->joints × C), frame_stats (frames ×
 * data_frame_stats_size(C)) and stat_ref (C shift values, the video's mean per channel, that
 * keep the sums of squares well conditioned). *normalized is false when normalisation was
 * asked for and the video has no pose or no frame with shoulders (SPEC §1.1). */
void data_video_build(const struct data_config *cfg, const struct data_layout *lay,
                      const struct data_raw_video *raw, float *x, double *frame_stats,
                      double *stat_ref, bool *normalized);

/* Signer statistics (SPEC §1.2) of frames [first, first+count) of a video: out[2C] =
 * [mean_0..mean_{C-1}, std_0+1e-6..std_{C-1}+1e-6] (population std); all 0 when no joint is
 * present in those frames. */
void data_window_stats(const double *frame_stats, const double *stat_ref, size_t coords,
                       size_t first, size_t count, float *out);

#endif
