/* dataset.h — a folder of landmark files loaded for training and inference (SPEC §1.1–1.2).
 *
 * dataset_load() lists the .npz files of a folder (byte order, not recursive), reads from
 * each file only the members it needs, and keeps per video: the frames × J × C float32 landmarks (assembled,
 * normalised, absent joints zeroed), per-frame label ids (with a groundtruth) and per-frame
 * sums for the signer statistics. Windows are views (video, start, label): a batch is
 * assembled from them on demand by dataset_fill_batch(), which pads short videos with zero
 * frames. No window is ever stored as a copy.
 *
 * The building blocks are public so that tests can drive them on in-memory arrays:
 * data_layout_init (where each part sits in the J joints), data_video_build (one video's
 * assembly, missing joints, normalisation and statistic sums) and data_window_stats.
 */
#ifndef SG_DATA_DATASET_H
#define SG_DATA_DATASET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "data/config.h"
#include "io/groundtruth.h"
#include "io/npz.h"

struct error;
struct warn_sink;

enum data_part { DATA_PART_POSE = 0, DATA_PART_LEFT_HAND, DATA_PART_RIGHT_HAND, DATA_PART_FACE,
                 DATA_PART_COUNT };
/* The npz member name: "pose", "left_hand", "right_hand", "face". */
const char *data_part_name(enum data_part p);

#define DATA_POSE_JOINTS 33
#define DATA_HAND_JOINTS 21

/* Where each included part sits in the J joints (order pose, left_hand, right_hand, face). */
struct data_layout {
    size_t coords;                         /* C */
    size_t joints;                         /* J */
    size_t face_in_file;                   /* F of the face member read (468|478); 0: none */
    size_t part_offset[DATA_PART_COUNT];   /* first joint of the part */
    size_t part_joints[DATA_PART_COUNT];   /* joints of the part; 0 when not included */
    const int *face_index;                 /* subset: MediaPipe index of face joint k; NULL:
                                              all points in file order */
};
/* Layout for cfg when the face member has `face_in_file` points (0 when unknown: with
 * --face-points all the face then takes no joints). */
void data_layout_init(struct data_layout *lay, const struct data_config *cfg,
                      size_t face_in_file);

/* One video's parts as read: frames × joints × channels float32 in C order; data == NULL
 * when the file has no such member. */
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

/* One npz member as listed in the file (for inspect). */
struct data_member_info {
    char *name;
    char descr[16];
    bool ok;                /* a float16/32/64 array whose header parsed */
    int ndim;
    size_t shape[NPY_MAX_DIMS];
};

struct data_video {
    char *id;                 /* file name without ".npz" */
    char *path;
    size_t frames;            /* T */
    float *x;                 /* T × J × C */
    double *frame_stats;      /* T × data_frame_stats_size(C) */
    double stat_ref[DATA_COORDS_MAX];
    int32_t *labels;          /* T label ids, -1 unlabelled; NULL without a groundtruth */
    size_t n_annotations;     /* groundtruth annotations at frames < T */
    bool normalized;
    bool has_pose;            /* the file has a pose member (normalisation, statistics) */
    size_t face_in_file;      /* its points (468|478), 0 without */
    size_t n_members;
    struct data_member_info *members;
    size_t first_window;      /* index of the video's first window in dataset.windows */
    size_t n_windows;
};

/* A window: a view of `window` frames of a video from `start`. */
struct data_window {
    uint32_t video;
    uint32_t start;
    int32_t label;            /* label id (groundtruth), -1 unlabelled */
};

struct dataset {
    struct data_config cfg;
    struct data_layout layout;
    char *dir;
    char *groundtruth_path;   /* NULL when loaded without a groundtruth */
    struct groundtruth gt;    /* label names: groundtruth_label_name(&ds->gt, id) */
    bool has_groundtruth;
    size_t n_videos;
    struct data_video *videos;
    size_t n_windows;
    struct data_window *windows; /* video order, then start */
};

/* Loads <dir>. The groundtruth is cfg->groundtruth, else <dir>/groundtruth.txt, else
 * <dir>/groundtruth; when none exists the dataset has no labels (windows all -1), or, with
 * `require_groundtruth`, it is an error. Warnings (an unnormalised video, a groundtruth id
 * without an npz) go to `warn`, in file order. Files are read in parallel (OpenMP); the
 * result does not depend on the thread count. On failure ds is left empty. */
int dataset_load(struct dataset *ds, const char *dir, const struct data_config *cfg,
                 bool require_groundtruth, const struct warn_sink *warn, struct error *err);
void dataset_free(struct dataset *ds);

/* Bytes of float32 landmarks held (Σ T × J × C × 4). */
size_t dataset_landmark_bytes(const struct dataset *ds);

/* Assembles a batch of B = n windows ds->windows[window_idx[b]]: x (B × window × J × C, zero frames after a short
 * video's end), stats (B × 2C, over the window's real frames) and labels (B): the window's
 * label id mapped through label_map (label id → class, -1 dropped by the caller) when
 * label_map is not NULL, else the label id itself. Any output may be NULL. */
void dataset_fill_batch(const struct dataset *ds, const size_t *window_idx, size_t n,
                        float *x, float *stats, int32_t *labels, const int32_t *label_map);

#endif
