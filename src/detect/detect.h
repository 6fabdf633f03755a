/* detect.h — from window probabilities to an answer about a whole recording: per-frame
 * probabilities, signing segments, and their scores against a groundtruth.
 *
 * A recording of L frames is covered by windows of T frames (the checkpoint's window):
 *   centred  the windows of SPEC §1.4 at `stride` (starts 0, s, 2s, ... while start+T <= L;
 *            one padded window when L < T). A frame's probability is the mean over the windows
 *            that contain it; a frame that no window contains (the last L − T mod s frames
 *            when s does not divide L − T) takes the last window's.
 *   causal   the window that ends at each decision frame e, frames [max(0, e−T+1), e]: what a
 *            live system knows at e. Decision frames are e ≡ T−1 (mod s) from T−1 on, and
 *            during the first T−1 frames (the warm-up, and a recording shorter than T) every
 *            e ≡ 0 (mod s), each with a partial window of e+1 real frames zero-padded as
 *            SPEC §1.4 pads short videos. A frame takes the latest decision at or before it;
 *            with stride 1 every frame is a decision frame.
 * Segments come from p_signing by hysteresis — a segment opens at a frame with p >= on and
 * closes before the first frame with p < off — then segments separated by at most
 * merge_gap frames are joined, then segments shorter than min_frames are dropped. Frames are
 * 0-based; a segment [start, end] includes both ends.
 *
 * Scores (the segmentation literature's): frame accuracy and F1 of the segmentation's
 * signing/not decision on the labelled frames, PR-AUC (average precision) of p_signing;
 * segments matched one to one, greedily by decreasing IoU (temporal intersection over union,
 * in frames) among overlapping pairs: mean IoU of the matched pairs, and segment precision,
 * recall and F1 counting a match with IoU >= 0.5 as a true positive.
 */
#ifndef SG_DETECT_DETECT_H
#define SG_DETECT_DETECT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "train/infer.h"

struct error;

enum detect_mode { DETECT_CENTRED = 0, DETECT_CAUSAL };
const char *detect_mode_name(enum detect_mode m);
int detect_mode_parse(const char *s); /* -1: unknown */

/* The windows of a recording of L >= 1 frames (video index `video`) in increasing order of
 * their last real frame. out may be NULL to count. Returns their number. */
size_t detect_spans(size_t L, size_t T, size_t stride, enum detect_mode mode, uint32_t video,
                    struct infer_span *out);

/* Per-frame probabilities fp (L, nc) from the n = detect_spans(...) windows' probabilities
 * wp (n, nc) as the header describes. */
int detect_frames(size_t L, enum detect_mode mode, const struct infer_span *sp, size_t n,
                  const float *wp, size_t nc, float *fp, struct error *err);

/* p_signing per frame from class probabilities fp (L, nc): the sum of the classes that are
 * not background (is_background[k]), summed in double. */
void detect_p_signing(const float *fp, size_t L, size_t nc, const bool *is_background,
                      float *p);

struct detect_seg_options {
    double on, off;           /* hysteresis thresholds, off <= on */
    size_t min_frames;        /* drop segments shorter than this (frames) */
    size_t merge_gap;         /* join segments at most this many frames apart */
};

struct detect_segment {
    size_t start, end;        /* frames, inclusive */
    double mean_p;            /* mean p_signing over the segment */
    int cls;                  /* class of a multi-class model, else -1 */
};

/* Segments of p (L). *out is malloc'ed (NULL when there are none). Returns their number,
 * or (size_t)-1 on allocation failure with err set. */
size_t detect_segments(const float *p, size_t L, const struct detect_seg_options *o,
                       struct detect_segment **out, struct error *err);

/* Labels each segment with the sign class (not background) of highest mean probability
 * over its frames; fp (L, nc). */
void detect_label_segments(struct detect_segment *seg, size_t n, const float *fp, size_t nc,
                           const bool *is_background);

/* signing[f] = 1 inside a segment, else 0. */
void detect_segment_mask(const struct detect_segment *seg, size_t n, size_t L,
                         uint8_t *signing);

/* Groundtruth segments: the maximal runs of truth == 1 (truth: -1 unlabelled, 0, 1). */
size_t detect_truth_segments(const int8_t *truth, size_t L, struct detect_segment **out,
                             struct error *err);

/* Counts that pool over recordings. */
struct detect_counts {
    size_t frames;            /* labelled frames */
    size_t tp, fp, fn, tn;    /* frame decisions */
    size_t pred_segments, true_segments;
    size_t matched;           /* one-to-one matched pairs (IoU > 0) */
    double iou_sum;           /* Σ IoU over matched pairs */
    size_t hits;              /* matched pairs with IoU >= 0.5 */
};

struct detect_scores {
    size_t frames;
    double frame_acc, frame_f1, frame_pr_auc;
    size_t pred_segments, true_segments, matched, hits;
    double mean_iou;          /* NaN without a matched pair */
    double seg_precision, seg_recall, seg_f1; /* NaN where undefined (no segment at all) */
};

/* Adds one recording's frame decisions and segment matching to c. truth (L), signing (L). */
int detect_count(const int8_t *truth, const uint8_t *signing, size_t L,
                 const struct detect_segment *pred, size_t np,
                 const struct detect_segment *gt, size_t ng, struct detect_counts *c,
                 struct error *err);

/* Scores from pooled counts, and PR-AUC from the labelled frames' p and truth (n frames,
 * unlabelled ones skipped). */
int detect_scores(const struct detect_counts *c, const float *p, const int8_t *truth, size_t n,
                  struct detect_scores *s, struct error *err);

#endif
