/* splits.h — video-level train/val/test splits for `signstgcn splits` (SPEC §7).
 *
 * Windows overlap, so splits are made of whole videos. A window is S under --rule any when one
 * of its real frames is annotated with the s-label, under --rule majority when its §1.4 label
 * is the s-label (both ASCII case-insensitive, no label fill); every other window is nonS.
 * A video is positive when it has an S window.
 *
 * Assignment (splits_assign): videos are grouped — by signer when signer ids are given, else
 * one group per video — a group is positive when it holds a positive video; positive and
 * negative groups are each put in byte order of their key, shuffled with the seed and cut by
 * the ratios (a group goes to the split whose share of the cumulative video count holds the
 * group's midpoint); then, when there are at least as many positive groups as splits with a
 * non-zero ratio, every such split is given a positive group. See docs/decisions.md.
 */
#ifndef SG_DATA_SPLITS_H
#define SG_DATA_SPLITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "io/groundtruth.h"

struct error;

enum split_rule { SPLIT_RULE_ANY = 0, SPLIT_RULE_MAJORITY = 1 };
int split_rule_parse(const char *s, enum split_rule *out, struct error *err);
const char *split_rule_name(enum split_rule r);

enum { SPLIT_TRAIN = 0, SPLIT_VAL = 1, SPLIT_TEST = 2, SPLIT_COUNT = 3 };
/* "train", "val", "test" */
const char *split_name(int split);

struct split_video {
    char *id;
    size_t frames;      /* T */
    size_t windows;     /* windows_count(T, window, stride) */
    size_t s_windows;
    const char *signer; /* NULL without signer ids (not owned) */
    int split;          /* SPLIT_*, set by splits_assign */
};

/* Counts the windows of one video and those that are S. */
int splits_count_video(const struct groundtruth *gt, const char *video_id, size_t T,
                       size_t window, size_t stride, const char *s_label,
                       enum split_rule rule, size_t *windows, size_t *s_windows,
                       struct error *err);

/* Checks ratios (each >= 0, sum 1 ± 1e-6); -1 with a message otherwise. */
int splits_check_ratios(const double ratios[SPLIT_COUNT], struct error *err);

/* Sets v[i].split for every video. The result depends only on the videos (ids, s_windows,
 * signers), the ratios and the seed — not on the order of v. */
int splits_assign(struct split_video *v, size_t n, const double ratios[SPLIT_COUNT],
                  uint64_t seed, struct error *err);

/* ---- the dataset side: recordings and their frame counts --------------------------------- */

/* The recordings directly in `dir` (not recursive): `<id>.npz`, `<id>.pose` and OpenPose
 * folders `<id>/`, ids in byte order (an id held twice is listed once). */
int splits_list_videos(const char *dir, char ***ids, size_t *n, struct error *err);
void splits_free_ids(char **ids, size_t n);
/* The path of recording `id` in `dir`: `<id>.npz`, else `<id>.pose`, else the folder `<id>`
 * (malloc'ed; `<id>.npz` when none exists, so the reader's message names it). */
char *splits_video_path(const char *dir, const char *id, struct error *err);
/* T of a recording: for an npz the common first dimension of whichever of pose, left_hand,
 * right_hand, face it has (only the headers are read); a disagreement is an error naming both
 * lengths, as is a file with none of them or T = 0. A .pose file or an OpenPose folder is
 * read (data/landmarks.h) and its frames counted. */
int splits_video_frames(const char *npz_path, size_t *T, struct error *err);

/* ---- the JSON file ----------------------------------------------------------------------- */

struct splits_meta {
    const char *data;
    const char *groundtruth;
    size_t window, stride;
    const char *s_label;
    enum split_rule rule;
    double ratios[SPLIT_COUNT];
    uint64_t seed; /* <= 2^53 so that JSON keeps it exact */
};

/* Writes `meta`, `splits` (videos in byte order, counts S/nonS) and `per_video` atomically. */
int splits_json_write(const char *path, const struct splits_meta *meta,
                      const struct split_video *v, size_t n, struct error *err);

/* What a trainer needs back: the videos of each split (test may be absent: has_test). */
struct splits_lists {
    size_t n[SPLIT_COUNT];
    char **videos[SPLIT_COUNT];
    bool has_test;
};
/* Reads and validates a splits JSON: `splits` with `train` and `val` (and optionally `test`),
 * each {videos: [strings], …}; a video in two splits or twice in one is an error. */
int splits_json_read(const char *path, struct splits_lists *out, struct error *err);
int splits_json_parse(const char *text, size_t len, const char *label, struct splits_lists *out,
                      struct error *err);
void splits_lists_free(struct splits_lists *l);

#endif
