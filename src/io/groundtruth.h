/* groundtruth.h — the groundtruth file (sparse per-frame labels) and the signers file
 * (SPEC §1.3).
 *
 * Groundtruth: one annotation a line, `<video_id> <frame_idx> <label>`, whitespace separated;
 * frame_idx is one or more ASCII digits. Blank lines and lines whose first non-blank character
 * is '#' are skipped; extra tokens are ignored; a later duplicate (same video and frame)
 * overrides an earlier one. Any other line is an error naming file:line and the line's text.
 * Label strings are interned: a label id indexes groundtruth_label_name(); ids follow first
 * appearance in the file. Videos are kept in byte order of their id.
 *
 * Signers: `<video_id> <signer_id>` lines, same blank/'#' rules, extra tokens ignored, a later
 * line for the same video overrides an earlier one.
 */
#ifndef SG_IO_GROUNDTRUTH_H
#define SG_IO_GROUNDTRUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct error;

enum label_fill {
    LABEL_FILL_NONE = 0,     /* only annotated frames carry a label */
    LABEL_FILL_PREVIOUS = 1, /* a label lasts until the next annotation or the end */
};
/* "none" | "previous" → *out; -1 with err set otherwise. */
int label_fill_parse(const char *s, enum label_fill *out, struct error *err);
const char *label_fill_name(enum label_fill f);

struct gt_annotation {
    uint64_t frame;
    int32_t label; /* label id */
};

struct gt_video {
    char *id;
    size_t n_annotations;
    struct gt_annotation *annotations; /* by increasing frame, one per frame */
};

struct groundtruth {
    char *path;              /* file path or buffer label, for messages */
    size_t n_labels;
    char **labels;           /* label id → name */
    size_t n_videos;
    struct gt_video *videos; /* byte order of id */
};

/* Reads and parses a groundtruth file. On failure gt is left empty (safe to free). */
int groundtruth_read(struct groundtruth *gt, const char *path, struct error *err);
/* Parses text[0..len) (NUL bytes allowed: a line holding one is an error); `label` stands for
 * the path in messages. */
int groundtruth_parse(struct groundtruth *gt, const char *text, size_t len, const char *label,
                      struct error *err);
void groundtruth_free(struct groundtruth *gt);

size_t groundtruth_num_labels(const struct groundtruth *gt);
/* Name of label `id` (0 <= id < num_labels), NULL when out of range. */
const char *groundtruth_label_name(const struct groundtruth *gt, int32_t id);
/* Id of the label spelled exactly `name`, or -1. */
int32_t groundtruth_label_id(const struct groundtruth *gt, const char *name);

size_t groundtruth_num_videos(const struct groundtruth *gt);
/* i-th video id mentioned by the file, byte order. */
const char *groundtruth_video_id(const struct groundtruth *gt, size_t i);
/* The video's annotations, or NULL when the file never mentions it. */
const struct gt_video *groundtruth_find_video(const struct groundtruth *gt, const char *video_id);

/* Fills out[0..T) with per-frame label ids: -1 unlabelled. Annotations at frames >= T are
 * ignored; with LABEL_FILL_PREVIOUS a label lasts from its frame to the next annotation or T.
 * A video the file never mentions gives all -1. Returns the number of annotations at frames
 * < T (those ignored for being >= T are not counted). */
size_t groundtruth_frame_labels(const struct groundtruth *gt, const char *video_id, size_t T,
                                enum label_fill fill, int32_t *out);

/* Resolves the groundtruth path: `explicit_path` (--groundtruth; must exist) if not NULL,
 * else <data_dir>/groundtruth.txt, else <data_dir>/groundtruth. *out is a malloc'ed path, or
 * NULL when none exists and `required` is false. When `required` and none exists: -1 with an
 * error naming both paths tried. */
int groundtruth_find(const char *data_dir, const char *explicit_path, bool required, char **out,
                     struct error *err);

/* ---- signers ---------------------------------------------------------------------------- */

struct signer_entry {
    char *video;
    char *signer;
};

struct signers {
    char *path;
    size_t n;
    struct signer_entry *entries; /* byte order of video id, one per video */
};

int signers_read(struct signers *s, const char *path, struct error *err);
int signers_parse(struct signers *s, const char *text, size_t len, const char *label,
                  struct error *err);
void signers_free(struct signers *s);
/* The signer of `video_id`, or NULL when the file has no line for it. */
const char *signers_lookup(const struct signers *s, const char *video_id);
/* `explicit_path` (--signers; must exist) if not NULL, else <data_dir>/signers.txt when it
 * exists, else *out = NULL (signers are optional). */
int signers_find(const char *data_dir, const char *explicit_path, char **out,
                 struct error *err);

#endif
