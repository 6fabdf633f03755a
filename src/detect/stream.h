/* stream.h — live detection: frames in one at a time, a decision per frame, segment events.
 *
 * A frame is one JSON object in MediaPipe Holistic's own result layout:
 *   {"pose": [[x, y, z, visibility], ...33], "left_hand": [[x, y, z], ...21],
 *    "right_hand": [...21], "face": [[x, y, z], ...468 or 478]}
 * each part an array of points of 2 to 4 numbers, or null (or absent) when it was not
 * detected in that frame. Points need at least max(2, C) numbers for the checkpoint's C
 * coordinates; the face's count must be the checkpoint's (468 or 478). Parts the model does
 * not use are ignored, except the pose, which normalisation and statistics always use. A null
 * part is not detected in that frame (NaN), exactly as a missing joint of a file. Other keys
 * are ignored, so MediaPipe's result with extra fields pipes straight in.
 *
 * Each frame is kept in a window of the last T frames. At a decision frame (detect.h's
 * causal rule) the window is assembled, normalised and summed by the same functions that
 * read files (data/video.h) — with the frames the stream has seen, so a frame without
 * shoulders takes the nearest such frame within the window rather than one in the future —
 * and goes through the model (infer_forward, one window). Every other frame repeats the last
 * decision. With shoulders visible in every frame this equals `detect --mode causal` on the
 * same recording as a file.
 *
 * Segments: the same hysteresis, merge and minimum length as detect_segments, incrementally:
 * a segment is announced (start event) once it is min_frames long, and closed (end event,
 * with its final extent and mean p) once p has stayed below `off` for more than merge_gap
 * frames, or at the end of the stream. The announced segments are exactly those that
 * detect_segments finds on the whole sequence of per-frame p.
 */
#ifndef SG_DETECT_STREAM_H
#define SG_DETECT_STREAM_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "data/video.h"
#include "detect/detect.h"
#include "train/infer.h"

struct error;

/* What a frame line must hold: points per part (0: the part is not read), numbers kept per
 * point (max(2, C)). */
struct detect_frame_shape {
    size_t part_joints[DATA_PART_COUNT];
    size_t ch;
};

struct detect_stream {
    struct infer *inf;               /* not owned */
    struct data_config cfg;          /* the checkpoint's data options */
    struct data_layout lay;
    size_t T, stride, nc;            /* window, stride, classes */
    size_t face_points;              /* 468 | 478 */
    struct detect_frame_shape shape; /* the parts a frame line holds */
    const bool *is_background;       /* (nc), not owned */
    struct detect_seg_options seg;
    float *raw[DATA_PART_COUNT];     /* (T, part_joints, ch): the last frames, oldest first */
    size_t have;                     /* frames in raw (<= T) */
    float *x;                        /* (T, J, C) one window */
    double *frame_stats;             /* (T, 1 + 2C) */
    float stats[2 * DATA_COORDS_MAX];
    float *probs;                    /* (nc) of the last decision */
    float p;                         /* p_signing of the last decision */
    size_t frame;                    /* frames pushed */
    bool unnormalised_warned;
    /* hysteresis and the open segment */
    bool on;
    bool open;                       /* a segment [seg_start, seg_end] is pending */
    bool announced;
    size_t seg_start, seg_end;
    double seg_sum, gap_sum;         /* Σp over [start, end], Σp over (end, now] */
    double *class_sum;               /* (nc) Σ class probabilities over the open segment */
    double *gap_class_sum;           /* (nc) the same over the gap */
};

/* One frame as parsed: parts (part_joints × ch), NaN where not detected. */
struct detect_frame {
    float *part[DATA_PART_COUNT];
};

enum detect_event_kind { DETECT_EVENT_NONE = 0, DETECT_EVENT_START, DETECT_EVENT_END };
struct detect_event {
    enum detect_event_kind kind;
    size_t start, end;               /* frames (end: END only) */
    double mean_p;                   /* END only */
    int cls;                         /* multi-class: the segment's class so far, else -1 */
};

int detect_stream_init(struct detect_stream *s, struct infer *inf, size_t stride,
                       const struct detect_seg_options *seg, const bool *is_background,
                       struct error *err);
void detect_stream_free(struct detect_stream *s);

/* Frame buffers for the parts of a shape (a stream's: s->shape). */
int detect_frame_alloc(const struct detect_frame_shape *sh, struct detect_frame *f,
                       struct error *err);
void detect_frame_free(struct detect_frame *f);
/* Parses one JSON line into f (allocated for the same shape). On a bad line returns -1 with
 * err saying what was wrong (the caller adds the line number); f is then unspecified. */
int detect_frame_parse(const struct detect_frame_shape *sh, const char *line, size_t len,
                       struct detect_frame *f, struct error *err);

/* Pushes one frame: runs the model at a decision frame, updates p, s->probs and the
 * segment state. Up to two events (an END then a START can't happen in one frame, but a
 * END of a segment that can no longer grow and the START of a new one can) are written to
 * ev[0..*n_ev). `unnormalised` is set when
 * this decision's window had no frame with shoulders (normalisation was asked for). */
int detect_stream_push(struct detect_stream *s, const struct detect_frame *f,
                       struct detect_event ev[2], size_t *n_ev, bool *unnormalised,
                       struct error *err);
/* End of stream: closes an open, announced segment (one END event, or none). */
void detect_stream_finish(struct detect_stream *s, struct detect_event *ev, size_t *n_ev);

#endif
