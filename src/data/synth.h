/* synth.h — the built-in demo dataset: synthetic MediaPipe Holistic landmarks of signers
 * performing a few sign classes between rest stretches (see synth.c and docs/demo-data.md).
 *
 * Two levels:
 *   - in memory: synth_world_init() draws the signers, the video-to-signer assignment and the
 *     per-video generators from the seed; synth_video_generate() fills one video's arrays and
 *     its per-frame labels. Video i depends only on (config, i), never on other videos.
 *   - on disk: synth_write_dataset() writes DIR/<video_id>.npz, DIR/groundtruth.txt (every
 *     5th frame) and DIR/signers.txt.
 * The same config (seed included) gives byte-identical files.
 */
#ifndef SG_DATA_SYNTH_H
#define SG_DATA_SYNTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/rng.h"

struct error;

/* Limits checked by synth_config_check (the CLI uses the same numbers). */
#define SYNTH_MAX_VIDEOS 10000
#define SYNTH_MAX_SIGNERS 1000
#define SYNTH_MAX_CLASSES 12
#define SYNTH_MIN_FRAMES 30
#define SYNTH_MAX_FRAMES 100000
/* Groundtruth annotates frames 0, 5, 10, ... */
#define SYNTH_GT_STEP 5
/* Label of rest and transition frames. Sign classes are "s1".."sN". */
#define SYNTH_REST_LABEL "n"

/* MediaPipe Holistic sizes written per frame. */
#define SYNTH_POSE_J 33
#define SYNTH_POSE_C 4 /* x, y, z, visibility */
#define SYNTH_HAND_J 21
#define SYNTH_HAND_C 3
#define SYNTH_FACE_J 478
#define SYNTH_FACE_C 3

struct synth_config {
    size_t videos;
    size_t signers;
    size_t classes;
    size_t frames;
    uint64_t seed;
};

/* Defaults: 36 videos, 6 signers, 4 classes, 300 frames, seed 0. */
void synth_config_default(struct synth_config *cfg);
/* 0, or -1 with a message naming the bad field (sizes outside the limits above, more
 * signers than videos). */
int synth_config_check(const struct synth_config *cfg, struct error *err);

/* One signer's fixed traits. Lengths are in body units (half the shoulder width = 1);
 * the camera maps body units to image-normalised coordinates. */
struct synth_signer {
    char id[16];          /* "p01", ... (byte order = index order) */
    bool left_handed;     /* dominant hand is the left one */
    bool rest_on_lap;     /* rest with hands in the lap (often in view) instead of at the sides */
    float upper_arm;      /* shoulder-elbow length */
    float forearm;        /* elbow-wrist length */
    float hand_size;      /* scale of the hand skeleton */
    float neck;           /* shoulder line to face centre */
    float face_scale;     /* face width multiplier */
    float speed;          /* signing speed multiplier (durations divide by it) */
    float zoom;           /* image height units per body unit */
    float aspect;         /* image width / height (x is normalised by the width) */
    float cx, cy;         /* image position of the shoulder midpoint */
};

struct synth_world {
    struct synth_config cfg;
    struct synth_signer *signers;   /* cfg.signers */
    size_t *video_signer;           /* cfg.videos: signer index of each video */
    struct rng *video_rng;          /* cfg.videos: each video's own generator */
    float *face_template;           /* SYNTH_FACE_J x 3, body units around the face centre */
    int id_width;                   /* digits in video ids */
};

int synth_world_init(struct synth_world *w, const struct synth_config *cfg, struct error *err);
void synth_world_free(struct synth_world *w);
/* "v000"-style id of video i into buf (size >= 16). */
void synth_video_id(const struct synth_world *w, size_t i, char *buf, size_t size);
/* Name of class k ("s1".. ) into buf. */
void synth_class_name(size_t k, char *buf, size_t size);

struct synth_video {
    size_t frames;
    size_t signer;
    float *pose;       /* frames x 33 x 4 */
    float *left_hand;  /* frames x 21 x 3, NaN where not detected */
    float *right_hand; /* frames x 21 x 3 */
    float *face;       /* frames x 478 x 3 */
    int *label;        /* frames: class index, or -1 for rest/transition ("n") */
};

/* Generates video i of the world. Deterministic: uses a copy of w->video_rng[i]. */
int synth_video_generate(const struct synth_world *w, size_t i, struct synth_video *v,
                         struct error *err);
void synth_video_free(struct synth_video *v);

struct synth_summary {
    size_t videos, frames_total, sign_instances;
    size_t left_handed_signers;
    size_t hand_frames_missing;   /* hand-frames (left and right counted apart) written as NaN */
};

/* Writes the whole dataset into dir (created if missing; its parent must exist). Fails
 * before writing anything if dir already holds .npz files that this config does not write
 * (a stale larger dataset would otherwise mix in). summary may be NULL. */
int synth_write_dataset(const struct synth_config *cfg, const char *dir,
                        struct synth_summary *summary, struct error *err);

#endif
