/* windows.h — windows over a video and their labels (SPEC §1.4).
 *
 * A window is a view (video, start) of `window` frames; nothing here copies landmark data.
 * Starts are 0, stride, 2·stride, … while start + window <= T; a video shorter than the window
 * has one window at 0 (its frames T..window-1 are padding: unlabelled).
 *
 * The label of a window is the most frequent label id among its labelled frames (per-frame ids
 * from groundtruth_frame_labels); ties go to the label that appears first in the window; no
 * labelled frame → -1 (unlabelled).
 *
 * Binary mode maps a label to class 1 (signing) when its name is in --signing-labels, compared
 * with ASCII case folding; multi-class mode maps labels to a class list (byte-ordered distinct
 * labels of the labelled training windows, or --classes), -1 when the label is not a class.
 */
#ifndef SG_DATA_WINDOWS_H
#define SG_DATA_WINDOWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct error;
struct warn_sink;

#define WINDOWS_DEFAULT_SIGNING_LABELS "s,sign,signing,gesture"
#define WINDOWS_BINARY_CLASS_NAMES {"not_signing", "signing"}

/* Number of windows of a video with T >= 1 frames (>= 1; window, stride >= 1). */
size_t windows_count(size_t T, size_t window, size_t stride);
/* Start frame of window i (i * stride). */
size_t windows_start(size_t i, size_t stride);
/* Real (non-padding) frames of the window at `start`: min(window, T - start). */
size_t windows_real_frames(size_t T, size_t start, size_t window);

/* Label id of the window at `start` over per-frame ids frame_labels[0..T): -1 unlabelled.
 * Ids must be -1 or in [0, n_labels). `counts` is caller scratch of n_labels entries, all 0
 * on entry and left all 0 on return (cost O(window), independent of n_labels). */
int32_t windows_label(const int32_t *frame_labels, size_t T, size_t start, size_t window,
                      uint32_t *counts);
/* Labels of every window of a video: out[windows_count(T, window, stride)]. Allocates its own
 * scratch of n_labels counters. */
int windows_label_all(const int32_t *frame_labels, size_t T, size_t window, size_t stride,
                      size_t n_labels, int32_t *out, struct error *err);
/* True when a frame of the window at `start` carries a label id whose mask entry is true
 * (label_mask has one entry per label id). */
bool windows_any_label(const int32_t *frame_labels, size_t T, size_t start, size_t window,
                       const bool *label_mask);

/* ASCII case-insensitive equality (A–Z folded; other bytes compared as they are). */
bool ascii_equal_ci(const char *a, const char *b);

/* A comma-separated name list (--signing-labels, --classes): items trimmed of blanks (space,
 * tab), empty items dropped. */
struct name_list {
    size_t n;
    char **names;
};
/* Parses `text`. An empty result (e.g. "" or " , ") is an error naming `flag`. With
 * `unique`, a repeated item (exact bytes) is an error. */
int name_list_parse(struct name_list *l, const char *text, const char *flag, bool unique,
                    struct error *err);
void name_list_free(struct name_list *l);
/* Index of `name` in the list compared exactly, or -1. */
long name_list_find(const struct name_list *l, const char *name);
/* True when `name` equals an item under ASCII case folding. */
bool name_list_contains_ci(const struct name_list *l, const char *name);

/* Binary mapping: class_of_label[id] = 1 when label_names[id] is in `signing` (case-
 * insensitive), else 0. */
void windows_binary_map(const struct name_list *signing, const char *const *label_names,
                        size_t n_labels, int32_t *class_of_label);

/* Multi-class class list. `names` are the n_classes class names in output order;
 * `num_outputs` >= n_classes is the model's output count (unused outputs named by their
 * decimal index, SPEC §6). */
struct class_list {
    size_t n_classes;
    char **names;
    size_t num_outputs;
};
/* Classes from the labels used by labelled training windows: label_used[id] marks a label id
 * that is the label of at least one labelled training window; the classes are those names in
 * byte order. num_outputs = n_classes. */
int class_list_from_labels(struct class_list *cl, const char *const *label_names,
                           size_t n_labels, const bool *label_used, struct error *err);
/* Classes from an explicit --classes list (order kept; duplicates are an error). */
int class_list_from_names(struct class_list *cl, const char *text, struct error *err);
/* Applies --num-classes: 0 keeps num_outputs = n_classes; N < n_classes is an error;
 * N > n_classes leaves N - n_classes unused outputs, with a warning. */
int class_list_set_outputs(struct class_list *cl, size_t num_classes,
                           const struct warn_sink *warn, struct error *err);
/* Name of output k (class name, or the decimal index for an unused output) into buf. */
const char *class_list_output_name(const struct class_list *cl, size_t k, char *buf,
                                   size_t cap);
void class_list_free(struct class_list *cl);
/* class_of_label[id] = index of label_names[id] in the class list (exact bytes), -1 when the
 * label is not a class. */
void class_list_map(const struct class_list *cl, const char *const *label_names,
                    size_t n_labels, int32_t *class_of_label);
/* Marks in label_used the labels of windows with label >= 0. */
void windows_mark_labels(const int32_t *window_labels, size_t n_windows, bool *label_used);

#endif
