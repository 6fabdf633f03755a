/* config.h — the data options of SPEC §1 in one plain struct.
 *
 * Every command that reads a dataset (inspect, train, predict, embed) fills a
 * `struct data_config` from its flags (src/cli/data_opts.c); the trainer stores it in the
 * checkpoint's JSON config. It is a plain value: fixed-size text fields, no pointers, so it
 * can be copied with `=` and compared field by field.
 */
#ifndef SG_DATA_CONFIG_H
#define SG_DATA_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "graph/topology.h"
#include "data/windows.h"
#include "io/groundtruth.h"

#define DATA_CONFIG_PATH_MAX 4096
#define DATA_CONFIG_LABELS_MAX 1024
#define DATA_COORDS_MAX 4 /* x, y, z, visibility */

enum data_normalize { DATA_NORMALIZE_SHOULDERS = 0, DATA_NORMALIZE_NONE };

struct data_config {
    size_t window;                /* --window, frames per window (25) */
    size_t stride;                /* --stride (1) */
    size_t coords;                /* --coords C, 1..4 (2) */
    bool include_pose;            /* --include-pose / --no-include-pose (on) */
    bool include_hands;           /* --include-hands (off) */
    bool include_face;            /* --include-face (off) */
    enum face_points face_points; /* --face-points all|contours|lips (all) */
    enum data_normalize normalize;     /* --normalize shoulders|none (shoulders) */
    bool zero_is_missing;              /* --zero-is-missing / --no-zero-is-missing (on) */
    enum label_fill label_fill;        /* --label-fill none|previous (none) */
    bool binary;                       /* --binary (off) */
    /* --signing-labels as given, comma separated (trimming and dropping empty items is the
     * binary mapping's job, src/data/windows.h). */
    char signing_labels[DATA_CONFIG_LABELS_MAX];
    char groundtruth[DATA_CONFIG_PATH_MAX]; /* --groundtruth; "" = <data>/groundtruth(.txt) */
    char signers[DATA_CONFIG_PATH_MAX];     /* --signers; "" = <data>/signers.txt */
    size_t person;                     /* --person N: the person of a .pose file (0) */
};

#define DATA_SIGNING_LABELS_DEFAULT WINDOWS_DEFAULT_SIGNING_LABELS

/* The defaults of SPEC §1. */
void data_config_default(struct data_config *cfg);
/* S = 2C, the size of a window's signer statistics. */
size_t data_config_stats_size(const struct data_config *cfg);

/* "shoulders" | "none", and back (-1: unknown). (--label-fill's names are
 * label_fill_name/label_fill_parse in io/groundtruth.h; --face-points' face_points_name/
 * face_points_parse in graph/topology.h.) */
const char *data_normalize_name(enum data_normalize n);
int data_normalize_parse(const char *name);

#endif
