/* dataset.h — a folder of landmark files loaded for training and inference (SPEC §1.1–1.2).
 *
 * dataset_load() lists the recordings of a folder — `.npz` files, pose-format `.pose` files
 * and folders of OpenPose JSON frames (data/landmarks.h), byte order of their ids, not
 * recursive — and reads from
 * each file only the members it needs, and keeps per video: the frames × J × C float32
 * landmarks (assembled, normalised, absent joints zeroed), per-frame label ids (with a
 * groundtruth) and per-frame sums for the signer statistics. Windows are views (video, start, label): a batch is
 * assembled from them on demand by dataset_fill_batch(), which pads short videos with zero
 * frames. No window is ever stored as a copy.
 *
 * One video's assembly, normalisation and statistic sums are data/video.h, on in-memory
 * arrays; this module adds the files, the groundtruth and the windows.
 */
#ifndef SG_DATA_DATASET_H
#define SG_DATA_DATASET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "data/config.h"
#include "data/landmarks.h"
#include "data/video.h"
#include "io/groundtruth.h"
#include "io/npz.h"

struct error;
struct warn_sink;

/* One npz member, .pose component or OpenPose keypoint array as listed in the file (for
 * inspect; for .pose the descr is the point format and the shape (frames, points, format
 * length)). */
struct data_member_info {
    char *name;
    char descr[16];
    bool ok;                /* a float16/32/64 array whose header parsed */
    bool fortran_order;
    int ndim;
    size_t shape[NPY_MAX_DIMS];
};

struct data_video {
    char *id;                 /* file name without ".npz"/".pose", or the OpenPose folder's */
    char *path;
    enum landmark_format format;
    enum skeleton skeleton;   /* from the file's parts (all videos of a dataset agree) */
    double fps;               /* the file's frame rate (.pose); 0 when unknown */
    size_t frames;            /* T */
    float *x;                 /* T × J × C */
    double *frame_stats;      /* T × data_frame_stats_size(C) */
    double stat_ref[DATA_COORDS_MAX];
    int32_t *labels;          /* T label ids, -1 unlabelled; NULL without a groundtruth */
    size_t n_annotations;     /* groundtruth annotations at frames < T */
    bool normalized;
    bool has_pose;            /* the file has a pose member (normalisation, statistics) */
    size_t face_in_file;      /* its points (468|478, OpenPose 70), 0 without */
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
/* Loads the given recordings (.npz, .pose, OpenPose folders; video ids from their names, in
 * the order given; two with one id are an error). The groundtruth is cfg->groundtruth if set,
 * else the first file's folder's groundtruth(.txt) when it exists; windows stay unlabelled
 * without one. Only the given videos are warned about (one the groundtruth does not
 * annotate), never the groundtruth's other videos. */
int dataset_load_files(struct dataset *ds, const char *const *paths, size_t n,
                       const struct data_config *cfg, const struct warn_sink *warn,
                       struct error *err);
void dataset_free(struct dataset *ds);
/* Index of the video with this id, or -1. */
long dataset_find_video(const struct dataset *ds, const char *id);

/* Bytes of float32 landmarks held (Σ T × J × C × 4). */
size_t dataset_landmark_bytes(const struct dataset *ds);
/* Bytes the dataset allocated in all: landmarks, statistic sums, labels, windows, member
 * lists, names (the groundtruth's own tables aside). */
size_t dataset_held_bytes(const struct dataset *ds);

/* Assembles a batch of B = n windows ds->windows[window_idx[b]]: x (B × window × J × C,
 * zero frames after a short video's end), stats (B × 2C, over the window's real frames) and labels (B): the window's
 * label id mapped through label_map (label id → class, -1 dropped by the caller) when
 * label_map is not NULL, else the label id itself. Any output may be NULL. */
void dataset_fill_batch(const struct dataset *ds, const size_t *window_idx, size_t n,
                        float *x, float *stats, int32_t *labels, const int32_t *label_map);
/* One window as a span of video `video`: x (window × J × C) gets frames [start, start+real)
 * then window − real zero frames, stats (2C) the statistics over those real frames. real in
 * [1, window], start + real <= the video's frames. Either output may be NULL. */
void dataset_fill_span(const struct dataset *ds, size_t video, size_t start, size_t real,
                       float *x, float *stats);

#endif
