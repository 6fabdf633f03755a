/* landmarks.h — one recording's landmarks from any of the supported formats, in memory,
 * and written back out (contract; implementation in landmarks.c).
 *
 * A recording is an `.npz` file (SPEC §1.1), a pose-format `.pose` file, or a folder of
 * OpenPose JSON frames (`<name>_<frame>_keypoints.json`). Each is read into the same struct:
 * per part (pose, left_hand, right_hand, face) a frames × joints × channels float32 array in
 * which a joint that was not detected is NaN in every channel. The dataset loader hands these
 * arrays to data/video.c as a struct data_raw_video, exactly as it hands an npz's members, so
 * there is one loader path; `signstgcn convert` writes them as npz or `.pose`.
 *
 * Channels: npz parts as stored. `.pose` and OpenPose: x, y[, z] (z when the point format has
 * one, e.g. XYZC), and for MediaPipe's POSE_LANDMARKS with a z also the confidence as channel 3
 * (pose-format stores MediaPipe's visibility there), so a Holistic `.pose` gives the npz
 * layout: pose 33×4, hands 21×3, face 468/478×3. OpenPose gives x, y (2 channels).
 */
#ifndef SG_DATA_LANDMARKS_H
#define SG_DATA_LANDMARKS_H

#include <stdbool.h>
#include <stddef.h>

#include "data/video.h"
#include "graph/topology.h"

struct error;
struct npz;

enum landmark_format { LANDMARK_NPZ = 0, LANDMARK_POSE, LANDMARK_OPENPOSE };
#define LANDMARK_FORMAT_COUNT 3
const char *landmark_format_name(enum landmark_format f); /* "npz", "pose", "openpose" */
/* What `path` is: a folder holding `*_keypoints.json` files (OpenPose), a `*.pose` or a
 * `*.npz` file; -1 otherwise (also for a folder without keypoint files). */
int landmark_format_of_path(const char *path);
/* The recording's id: the file name without ".npz"/".pose", or the folder's name. Malloc'ed. */
char *landmark_id_of_path(const char *path, enum landmark_format f, struct error *err);

struct landmark_part {
    float *data; /* frames × joints × channels; NULL when the recording lacks the part */
    size_t joints;
    size_t channels;
};

/* A component (.pose), member (.npz) or keypoint array (OpenPose) as the file has it, for
 * `inspect`. */
struct landmark_component {
    char name[64];
    char format[16];  /* ".pose": the point format ("XYZC"); npz: the dtype; OpenPose: "XYC" */
    size_t points;
    bool used;        /* mapped to one of our parts */
};

struct landmarks {
    enum landmark_format format;
    enum skeleton skeleton;
    size_t frames;
    double fps;            /* 0 when the file does not say (OpenPose JSON, npz without `fps`) */
    /* When `pixels`, x and y are in pixels of a width × height frame, as pose-format stores
     * them; landmarks_normalize() divides them (a size of 0 divides by 1). */
    bool pixels;
    unsigned width, height;
    size_t people;         /* people in the file (.pose), most in one frame (OpenPose) */
    size_t n_components;
    struct landmark_component *components;
    struct landmark_part part[DATA_PART_COUNT];
};

/* Options of the readers. */
struct landmark_read_opts {
    size_t person;         /* .pose: the person used (--person, default 0) */
    unsigned width, height;/* OpenPose JSON: the frame size its pixels refer to (0: unknown,
                              the pixel values are kept) */
};

/* Reads any recording (landmark_format_of_path decides). Errors name the file, and the frame
 * or component where there is one. On failure *lm is empty. */
int landmarks_read(struct landmarks *lm, const char *path, const struct landmark_read_opts *o,
                   struct error *err);
int landmarks_read_npz(struct landmarks *lm, const char *path, struct error *err);
/* The optional `fps` member of an open npz (0-d or 1 element, finite, >= 0) into *fps; 0 when
 * the archive has none. Shared by landmarks_read_npz and the dataset loader. */
int landmarks_npz_fps(struct npz *z, const char *path, double *fps, struct error *err);
int landmarks_read_pose(struct landmarks *lm, const char *path, size_t person,
                        struct error *err);
/* The same from a buffer (fuzzing, tests); `label` stands for the path. */
int landmarks_parse_pose(struct landmarks *lm, const void *buf, size_t len, const char *label,
                         size_t person, struct error *err);
int landmarks_read_openpose(struct landmarks *lm, const char *dir, unsigned width,
                            unsigned height, struct error *err);
void landmarks_free(struct landmarks *lm);

/* Divides x by width and y by height when the values are pixels (then pixels = false). */
void landmarks_normalize(struct landmarks *lm);
/* The parts as the dataset loader takes them (pointers into lm). */
void landmarks_raw(const struct landmarks *lm, struct data_raw_video *raw);

/* The skeleton of a recording from its parts' sizes: pose 33 or face 468/478 → MediaPipe,
 * pose 25 or face 70 → OpenPose, neither (hands only) → MediaPipe. A pose and a face of
 * different skeletons is an error naming `label`. Sizes of 0 mean "no such part". */
int landmarks_skeleton_of(size_t pose_joints, size_t face_joints, const char *label,
                          enum skeleton *out, struct error *err);

/* Writers, atomic (temporary file, fsync, rename). npz: members pose, left_hand, right_hand,
 * face as float32 (values as held: call landmarks_normalize first for normalised values),
 * and when fps > 0 a member `fps` (a 0-d float32; the npz reader takes a 0-d or 1-element
 * `fps` as the recording's frame rate).
 * .pose: version 0.2, one person, the components pose-format's MediaPipe Holistic or
 * OpenPose readers name, format XYC or XYZC, confidence 1 for a detected joint (MediaPipe
 * pose with 4 channels: channel 3) and 0 with zero data for a missing one. Pixel values are
 * written as they are with their size; normalised values are multiplied by width × height
 * (a power of two such as the default 1024 keeps the round trip exact). */
int landmarks_write_npz(const struct landmarks *lm, const char *path, struct error *err);
int landmarks_write_pose(const struct landmarks *lm, const char *path, unsigned width,
                         unsigned height, double fps, struct error *err);

#endif
