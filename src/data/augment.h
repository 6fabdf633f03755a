/* augment.h — training-time augmentation of windows (see augment.c).
 *
 * Everything here works on normalised windows in the model's layout (T × J × C, SPEC §1.1:
 * with --normalize shoulders the origin is the shoulder midpoint and the unit the shoulder
 * width) where a joint that is not present is exact zeros in every channel; every operation
 * keeps a missing joint missing. Channels: 0 x, 1 y, 2 z, 3 visibility (never changed).
 */
#ifndef SG_DATA_AUGMENT_H
#define SG_DATA_AUGMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/rng.h"
#include "graph/topology.h"

struct dataset;
struct error;

/* The knobs (`--aug-*`); all zero (speed 1..1) is no augmentation at all. */
struct augment_config {
    double rotate;     /* degrees: angle ~ U(−rotate, rotate) about the origin, in x-y */
    double scale;      /* factor ~ U(1 − scale, 1 + scale) on x, y, z */
    double shear;      /* x += a·y, y += b·x with a, b ~ U(−shear, shear) */
    double translate;  /* x, y offsets ~ U(−translate, translate) (shoulder widths) */
    double jitter;     /* σ of Gaussian noise on x, y, z of every present joint and frame */
    double mirror;     /* probability of the left/right mirror */
    double speed_lo;   /* resampling factor ~ U(speed_lo, speed_hi) (1, 1: off) */
    double speed_hi;
    double frame_drop; /* probability that a real frame becomes missing (all joints) */
    double hand_drop;  /* probability, per hand and window, that the hand becomes missing */
    double face_drop;  /* probability, per window, that the face becomes missing */
};

enum augment_preset { AUGMENT_NONE = 0, AUGMENT_STANDARD };
const char *augment_preset_name(enum augment_preset p);
int augment_preset_parse(const char *s); /* -1 for an unknown name */
/* The preset's knob values (docs/decisions.md says why these). */
void augment_preset_values(enum augment_preset p, struct augment_config *a);
bool augment_is_off(const struct augment_config *a);
/* Checks ranges (probabilities in [0, 1], 0 < speed_lo <= speed_hi, scale < 1, ...). */
int augment_check(const struct augment_config *a, struct error *err);

/* Where the parts sit in a window's joints, and which pose joints a mirror exchanges. */
struct augment_parts {
    size_t J, C;
    size_t pose_off, pose_n;
    size_t lhand_off, rhand_off, hand_n;   /* hand_n 0: no hands */
    size_t face_off, face_n;
    int32_t *swap;                         /* J: the joint a mirror puts here */
};
/* From a skeleton and the included parts (counts 0 for parts left out). */
int augment_parts_init(struct augment_parts *p, enum skeleton sk, size_t C,
                       const size_t part_offset[4], const size_t part_joints[4],
                       struct error *err);
void augment_parts_free(struct augment_parts *p);

/* One window's draw: every value is drawn, in a fixed order, whatever the knobs, so one knob
 * never shifts another's draws. */
struct augment_draw {
    bool mirror;
    double speed;
    float A[4];        /* x' = A0·x + A1·y + tx, y' = A2·x + A3·y + ty */
    float zscale;
    float tx, ty;
    bool drop_lhand, drop_rhand, drop_face;
    struct rng rng;    /* jitter and frame dropout */
};
/* The draw of window `index` (its position in the run's sequence of training windows: epoch
 * × windows per epoch + position in the epoch's order) for the run's key: a pure function of
 * (key, index), so draws do not depend on threads, batch boundaries or --resume. */
void augment_draw_make(const struct augment_config *a, uint64_t key, uint64_t index,
                       struct augment_draw *d);

/* The pieces, each usable alone (the tests check them one by one). x is T × J × C. */
void augment_mirror(float *x, size_t T, const struct augment_parts *p);
void augment_affine(float *x, size_t T, size_t J, size_t C, const float A[4], float zscale,
                    float tx, float ty);
void augment_jitter(float *x, size_t T, size_t J, size_t C, double sigma, struct rng *r);
void augment_frame_drop(float *x, size_t T, size_t real, size_t J, size_t C, double p,
                        struct rng *r);
void augment_drop_joints(float *x, size_t T, size_t J, size_t C, size_t off, size_t n);
/* Resamples a recording (frames × J × C) around a window at `speed`: output frame t reads
 * source position p = start + c + (t − c)·speed with c = (W − 1)/2, linear between frames
 * ⌊p⌋ and ⌊p⌋+1; a joint missing in either frame it mixes is missing. p < 0 reads frame 0 (the
 * recording's start holds still); p > frames − 1 is a padding frame (zeros), as after a short
 * recording's end. At speed 1 it is the window itself, padding included. */
void augment_resample(const float *video, size_t frames, size_t J, size_t C, size_t start,
                      size_t W, double speed, float *out);

/* A training window (video, start) filled and augmented with draw d into x (W × J × C). */
void augment_fill_window(const struct dataset *ds, size_t video, size_t start,
                         const struct augment_config *a, const struct augment_parts *p,
                         struct augment_draw *d, float *x);

#endif
