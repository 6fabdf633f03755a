/* features.h — input streams of the model (`--features joints[,bones][,motion]`, see
 * features.c): SL-GCN's joint, bone and motion streams as extra channels of one model. */
#ifndef SG_DATA_FEATURES_H
#define SG_DATA_FEATURES_H

#include <stddef.h>
#include <stdint.h>

enum {
    FEATURE_JOINTS = 1u, /* the normalised coordinates themselves (always on) */
    FEATURE_BONES = 2u,  /* joint minus its parent in the skeleton tree */
    FEATURE_MOTION = 4u, /* joint minus the same joint one frame earlier */
};

/* "joints[,bones][,motion]" (any order, joints implied) → mask; -1 for an unknown name. */
int features_parse(const char *s);
/* The canonical comma list ("joints,bones,motion" order) into buf. */
const char *features_name(unsigned mask, char *buf, size_t cap);
/* Streams in the mask (1..3). */
size_t features_count(unsigned mask);

/* x (B × T × J × C, missing joints exact zeros) → out (B × T × J × C·n): per joint the joint's
 * C channels, then (bones) x[j] − x[parent[j]], then (motion) x[t][j] − x[t−1][j]. A difference
 * whose either side is missing, a root (parent −1) and the first frame's motion are zeros, so
 * a missing joint has missing streams. */
void features_apply(const float *x, size_t B, size_t T, size_t J, size_t C, unsigned mask,
                    const int32_t *parent, float *out);

#endif
