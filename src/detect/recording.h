/* recording.h — detection over one recording of a dataset, through the shared inference path.
 *
 * detect_recording() runs a checkpoint over the windows of one video (detect_spans), turns
 * the window probabilities into per-frame class probabilities and p_signing, finds the
 * segments and, when the dataset has a groundtruth, the per-frame truth, the true segments
 * and the counts for the scores. `detect` and `eval --frames` both call it, so the two
 * report the same numbers for the same recording.
 *
 * Which classes are signing: a binary checkpoint's class 1; for a multi-class checkpoint
 * every class but the background classes (detect_background). Which groundtruth labels are
 * signing: binary — the checkpoint's --signing-labels (ASCII case-insensitive, as training
 * mapped them); multi-class — every label that is not a background class name.
 */
#ifndef SG_DETECT_RECORDING_H
#define SG_DETECT_RECORDING_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "detect/detect.h"
#include "train/infer.h"

struct error;

/* Frame rate when neither --fps nor the recording gives one. */
#define DETECT_DEFAULT_FPS 25.0

struct detect_options {
    enum detect_mode mode;      /* centred */
    size_t stride;              /* 1 */
    double on, off;             /* 0.5, 0.4 */
    double min_sign_ms;         /* 120 */
    double merge_gap_ms;        /* 120 */
};
void detect_options_default(struct detect_options *o);
/* The segment options in frames at `fps`: min = ceil(min_sign_ms·fps/1000), gap =
 * floor(merge_gap_ms·fps/1000). */
void detect_seg_options_at(const struct detect_options *o, double fps,
                           struct detect_seg_options *so);

/* is_background (NC): binary — class 0; multi-class — the classes named in `background`
 * (comma separated, each must be a class), or without it the classes that are not among the
 * checkpoint's signing labels. An error when no class would be signing, or when no class
 * is background and the model is multi-class without --background. */
int detect_background(const struct infer *inf, const char *background, bool *is_background,
                      struct error *err);

/* truth_of_label (groundtruth labels): 1 signing, 0 not, as the header says. */
int detect_truth_map(const struct infer *inf, const struct dataset *ds,
                     const bool *is_background, int8_t *truth_of_label, struct error *err);

struct detect_result {
    size_t frames, nc;
    double fps;
    float *fp;                  /* (frames, nc) class probabilities */
    float *p;                   /* (frames) p_signing */
    uint8_t *signing;           /* (frames) inside a segment */
    struct detect_segment *seg;
    size_t n_seg;
    bool has_truth;
    int8_t *truth;              /* (frames) -1 unlabelled, 0, 1 */
    struct detect_segment *gt;
    size_t n_gt;
    struct detect_counts counts;
};

/* Detection on video v of ds (loaded with infer_data_config's options). truth_of_label may
 * be NULL (no scores). */
int detect_recording(struct infer *inf, const struct dataset *ds, size_t v,
                     const struct detect_options *o, double fps, const bool *is_background,
                     const int8_t *truth_of_label, struct detect_result *r, struct error *err);
void detect_result_free(struct detect_result *r);

/* Detection over the recordings of a dataset (fps > 0: that frame rate for every
 * recording; 0: each recording's own, else DETECT_DEFAULT_FPS): those of split `split` of splits_json (every
 * recording when splits_json is NULL; split recordings missing from the data give one
 * warning each), each through detect_recording, with per-recording scores and the scores
 * pooled over all of them (frame decisions and segment matches summed, PR-AUC over every
 * labelled frame). */
struct detect_run {
    size_t n_videos;             /* ds->n_videos */
    bool *selected;              /* (n_videos) */
    struct detect_result *res;   /* (n_videos), filled where selected */
    struct detect_scores *sc;    /* (n_videos), where the recording has a groundtruth */
    size_t recordings, frames, segments;
    bool any_truth;
    struct detect_scores overall;
};
struct warn_sink;
int detect_run_dataset(struct infer *inf, const struct dataset *ds, const char *splits_json,
                       int split, const struct detect_options *o, double fps,
                       const bool *is_background, const struct warn_sink *warn,
                       struct detect_run *run, struct error *err);
void detect_run_free(struct detect_run *run);

#endif
