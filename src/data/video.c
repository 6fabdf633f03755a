/* video.c — one video: assembly, missing joints, shoulder normalisation and the sums behind
 * the signer statistics (SPEC §1.1–1.2), on in-memory arrays.
 *
 *   x[t, j, c]      the first C channels of joint j, concatenated pose, left_hand,
 *                   right_hand, face (face: every point, or the contours/lips subset in
 *                   increasing MediaPipe index order); a joint that is not detected (NaN/±inf
 *                   in a kept channel, or all kept channels exactly 0 with --zero-is-missing)
 *                   or belongs to a part the file lacks is all zeros; a detected joint has
 *                   channels 0..min(C,3)-1 shoulder-normalised, (v - m)/d, with m and d taken
 *                   from the nearest frame that has shoulders (ties: the earlier frame; the
 *                   shoulders are pose 11, 12 for MediaPipe, 2, 5 for OpenPose's BODY_25);
 *                   channel 3 (visibility) is copied.
 *   frame_stats[t]  count, Σ(v - ref_c), Σ(v - ref_c)² of the raw kept channels over the
 *                   frame's present pose joints (the included joints when the file has no
 *                   pose). ref_c is the video's mean: shifting by it keeps the one-pass
 *                   variance of a window accurate to double rounding.
 *
 * Normalisation arithmetic is in double, rounded once to float32: m, d, then (v - m)·(1/d) —
 * a multiplication, several times cheaper than a division in the hot loop, and after the
 * rounding to float32 equal to (v - m)/d but for about one value in 2^29. The nearest
 * shoulder frame is found in one forward sweep (O(T), no allocation). The file's pose
 * is used for normalisation and statistics whether or not it is included, so its shape is
 * checked like an included part's. Not here: reading files, labels, windows (dataset.c).
 */
#include "data/video.h"

#include <math.h>
#include <string.h>

#include "core/error.h"
#include "graph/topology.h"

static const char *const part_names[DATA_PART_COUNT] = {"pose", "left_hand", "right_hand",
                                                         "face"};

const char *data_part_name(enum data_part p)
{
    return (unsigned)p < DATA_PART_COUNT ? part_names[p] : "?";
}

bool data_part_included(const struct data_config *cfg, enum data_part p)
{
    switch (p) {
    case DATA_PART_POSE: return cfg->include_pose;
    case DATA_PART_LEFT_HAND:
    case DATA_PART_RIGHT_HAND: return cfg->include_hands;
    default: return cfg->include_face;
    }
}

void data_layout_init(struct data_layout *lay, const struct data_config *cfg,
                      size_t face_in_file)
{
    data_layout_init_skeleton(lay, cfg, SKELETON_MEDIAPIPE, face_in_file);
}

void data_layout_init_skeleton(struct data_layout *lay, const struct data_config *cfg,
                               enum skeleton skeleton, size_t face_in_file)
{
    memset(lay, 0, sizeof *lay);
    const struct skeleton_info *sk = skeleton_info(skeleton);
    lay->skeleton = skeleton;
    lay->coords = cfg->coords;
    lay->face_in_file = face_in_file;
    size_t off = 0;
    for (int p = 0; p < DATA_PART_COUNT; p++) {
        lay->part_offset[p] = off;
        if (!data_part_included(cfg, (enum data_part)p)) continue;
        size_t n;
        if (p == DATA_PART_POSE) {
            n = sk->pose_points;
        } else if (p != DATA_PART_FACE) {
            n = sk->hand_points;
        } else if (cfg->face_points == FACE_POINTS_ALL) {
            n = face_in_file;
        } else {
            const int *idx;
            n = skeleton_face_subset(skeleton, cfg->face_points, &idx);
            lay->face_index = idx;
        }
        lay->part_joints[p] = n;
        off += n;
    }
    lay->joints = off;
}

/* ---- one video ------------------------------------------------------------------------ */

static size_t part_expected_joints(const struct data_layout *lay, int p)
{
    const struct skeleton_info *sk = skeleton_info(lay->skeleton);
    return p == DATA_PART_POSE ? sk->pose_points : sk->hand_points;
}

int data_raw_check(const struct data_config *cfg, const struct data_layout *lay,
                   const struct data_raw_video *raw, const char *label, struct error *err)
{
    bool any = false, any_used = false;
    for (int p = 0; p < DATA_PART_COUNT; p++) {
        const struct data_raw_part *rp = &raw->part[p];
        if (!rp->data) continue;
        any = true;
        bool used = data_part_included(cfg, (enum data_part)p) || p == DATA_PART_POSE;
        if (!used) continue;
        any_used = true;
        if (p == DATA_PART_FACE) {
            if (!skeleton_face_count_ok(lay->skeleton, rp->joints))
                return error_set(err,
                                 "dataset: '%s': part 'face' has %zu points (expected %s)",
                                 label, rp->joints,
                                 lay->skeleton == SKELETON_OPENPOSE ? "70" : "468 or 478");
            if (!lay->face_index && lay->part_joints[p] != rp->joints)
                return error_set(err,
                                 "dataset: '%s': part 'face' has %zu points but the dataset's "
                                 "files have %zu",
                                 label, rp->joints, lay->part_joints[p]);
        } else if (rp->joints != part_expected_joints(lay, p)) {
            return error_set(err, "dataset: '%s': part '%s' has %zu joints (expected %zu)",
                             label, part_names[p], rp->joints, part_expected_joints(lay, p));
        }
        if (rp->channels < 2)
            return error_set(err,
                             "dataset: '%s': part '%s' has %zu channel%s (at least 2 needed: "
                             "x, y)",
                             label, part_names[p], rp->channels, rp->channels == 1 ? "" : "s");
        if (rp->channels < lay->coords)
            return error_set(err,
                             "dataset: '%s': part '%s' has %zu channels but --coords %zu needs "
                             "%zu",
                             label, part_names[p], rp->channels, lay->coords, lay->coords);
    }
    if (!any)
        return error_set(err,
                         "dataset: '%s': none of the members pose, left_hand, right_hand, face",
                         label);
    if (!any_used)
        return error_set(err,
                         "dataset: '%s': neither an included part nor a pose (parts: %s%s%s)",
                         label, cfg->include_pose ? "pose " : "",
                         cfg->include_hands ? "left_hand right_hand " : "",
                         cfg->include_face ? "face" : "");
    if (raw->frames == 0) return error_set(err, "dataset: '%s': 0 frames (T = 0)", label);
    return 0;
}

/* A joint is present (detected) when its kept channels are finite and, with
 * zero_is_missing, not all exactly 0. */
static bool joint_present(const float *v, size_t C, bool zero_is_missing)
{
    bool all_zero = true;
    for (size_t c = 0; c < C; c++) {
        if (!isfinite(v[c])) return false;
        if (v[c] != 0.0f) all_zero = false;
    }
    return !(zero_is_missing && all_zero);
}

struct shoulder {
    double m[3]; /* midpoint of the shoulders (MediaPipe 11, 12; OpenPose 2, 5) (x, y, z) */
    double d;    /* their x,y distance */
    double inv_d; /* 1/d */
};

/* Whether frame t has shoulders: both shoulder joints `sj` present and d > 0; fills *s. */
static bool frame_shoulders(const struct data_raw_part *pose, const int *sj, size_t t,
                            size_t C, bool zero_is_missing, struct shoulder *s)
{
    const float *a = pose->data + (t * pose->joints + (size_t)sj[0]) * pose->channels;
    const float *b = pose->data + (t * pose->joints + (size_t)sj[1]) * pose->channels;
    if (!joint_present(a, C, zero_is_missing) || !joint_present(b, C, zero_is_missing))
        return false;
    double dx = (double)a[0] - (double)b[0], dy = (double)a[1] - (double)b[1];
    double d = sqrt(dx * dx + dy * dy);
    if (!(d > 0.0)) return false; /* also false for a NaN y when C == 1 */
    size_t nc = C < 3 ? C : 3;
    for (size_t c = 0; c < 3; c++)
        s->m[c] = c < nc ? 0.5 * ((double)a[c] + (double)b[c]) : 0.0;
    s->d = d;
    s->inv_d = 1.0 / d;
    return true;
}

/* Raw index of joint k of part p (the face subset maps k to its MediaPipe index). */
static size_t raw_joint(const struct data_layout *lay, int p, size_t k)
{
    return (p == DATA_PART_FACE && lay->face_index) ? (size_t)lay->face_index[k] : k;
}

/* Calls fn on every present stats-source joint of frame t: the pose's 33 joints when the file
 * has a pose, else the included joints. */
static void stats_frame(const struct data_layout *lay, const struct data_raw_video *raw,
                        bool zero_is_missing, size_t t, const double *ref, double *acc)
{
    size_t C = lay->coords;
    for (int p = 0; p < DATA_PART_COUNT; p++) {
        const struct data_raw_part *rp = &raw->part[p];
        size_t n;
        if (raw->part[DATA_PART_POSE].data) {
            if (p != DATA_PART_POSE) break;
            n = rp->joints;
        } else {
            n = lay->part_joints[p];
        }
        if (!rp->data) continue;
        for (size_t k = 0; k < n; k++) {
            const float *v = rp->data + (t * rp->joints + raw_joint(lay, p, k)) * rp->channels;
            if (!joint_present(v, C, zero_is_missing)) continue;
            acc[0] += 1.0;
            for (size_t c = 0; c < C; c++) {
                double dv = (double)v[c] - ref[c];
                acc[1 + c] += dv;
                acc[1 + C + c] += dv * dv;
            }
        }
    }
}

/* One frame of one part: n joints (through the face subset `map` when not NULL) from src
 * (stride `channels`) to dst (stride C): absent joints zeroed, the others copied and, with
 * a shoulder frame `s`, normalised in channels 0..min(C,3)-1. */
static inline __attribute__((always_inline)) void
copy_joints(const float *src, size_t channels, const int *map, size_t n, float *dst, size_t C,
            bool zero_is_missing, const struct shoulder *s)
{
    const size_t ncoord = C < 3 ? C : 3;
    for (size_t k = 0; k < n; k++, dst += C) {
        const float *v = src + (map ? (size_t)map[k] : k) * channels;
        if (!joint_present(v, C, zero_is_missing)) {
            for (size_t c = 0; c < C; c++) dst[c] = 0.0f;
            continue;
        }
        for (size_t c = 0; c < C; c++)
            dst[c] = (s && c < ncoord) ? (float)(((double)v[c] - s->m[c]) * s->inv_d) : v[c];
    }
}

void data_video_build(const struct data_config *cfg, const struct data_layout *lay,
                      const struct data_raw_video *raw, float *x, double *frame_stats,
                      double *stat_ref, bool *normalized)
{
    const size_t T = raw->frames, J = lay->joints, C = lay->coords;
    const bool zim = cfg->zero_is_missing;
    const struct data_raw_part *pose = &raw->part[DATA_PART_POSE];
    const int *sj = skeleton_info(lay->skeleton)->shoulders;

    /* Does any frame have shoulders? */
    bool norm = false;
    struct shoulder sh;
    size_t next = T; /* first frame >= t with shoulders (T: none) */
    if (cfg->normalize == DATA_NORMALIZE_SHOULDERS && pose->data) {
        for (next = 0; next < T; next++)
            if (frame_shoulders(pose, sj, next, C, zim, &sh)) break;
        norm = next < T;
    }
    *normalized = cfg->normalize == DATA_NORMALIZE_NONE || norm;

    size_t prev = T; /* last frame <= t with shoulders (T: none) */
    for (size_t t = 0; t < T; t++) {
        if (norm) {
            if (next < t) { /* advance to the first shoulder frame >= t */
                for (next = t; next < T; next++)
                    if (frame_shoulders(pose, sj, next, C, zim, &sh)) break;
            }
            if (next == t) prev = t;
            size_t use;
            if (prev == T) use = next;
            else if (next == T) use = prev;
            else use = (t - prev <= next - t) ? prev : next; /* ties: the earlier */
            bool ok = frame_shoulders(pose, sj, use, C, zim, &sh);
            CHECK(ok);
        }
        for (int p = 0; p < DATA_PART_COUNT; p++) {
            const struct data_raw_part *rp = &raw->part[p];
            const size_t n = lay->part_joints[p];
            float *dst = x + (t * J + lay->part_offset[p]) * C;
            if (!rp->data) {
                memset(dst, 0, n * C * sizeof *dst);
                continue;
            }
            const float *src = rp->data + t * rp->joints * rp->channels;
            const int *map = p == DATA_PART_FACE ? lay->face_index : NULL;
            const struct shoulder *s = norm ? &sh : NULL;
            /* C as a constant in each call, so the channel loops unroll. */
            switch (C) {
            case 1: copy_joints(src, rp->channels, map, n, dst, 1, zim, s); break;
            case 2: copy_joints(src, rp->channels, map, n, dst, 2, zim, s); break;
            case 3: copy_joints(src, rp->channels, map, n, dst, 3, zim, s); break;
            default: copy_joints(src, rp->channels, map, n, dst, 4, zim, s); break;
            }
        }
    }

    /* Statistic sums: first the per-channel mean of the whole video (the shift), then the
     * shifted sums per frame. */
    const size_t fs = data_frame_stats_size(C);
    double zero[DATA_COORDS_MAX] = {0};
    double tot[1 + 2 * DATA_COORDS_MAX] = {0};
    for (size_t t = 0; t < T; t++) stats_frame(lay, raw, zim, t, zero, tot);
    for (size_t c = 0; c < C; c++) stat_ref[c] = tot[0] > 0 ? tot[1 + c] / tot[0] : 0.0;
    for (size_t c = C; c < DATA_COORDS_MAX; c++) stat_ref[c] = 0.0;
    for (size_t t = 0; t < T; t++) {
        double *acc = frame_stats + t * fs;
        memset(acc, 0, fs * sizeof *acc);
        stats_frame(lay, raw, zim, t, stat_ref, acc);
    }
}

void data_window_stats(const double *frame_stats, const double *stat_ref, size_t coords,
                       size_t first, size_t count, float *out)
{
    const size_t C = coords, fs = data_frame_stats_size(C);
    double acc[1 + 2 * DATA_COORDS_MAX] = {0};
    for (size_t t = first; t < first + count; t++)
        for (size_t i = 0; i < fs; i++) acc[i] += frame_stats[t * fs + i];
    if (acc[0] <= 0.0) {
        memset(out, 0, 2 * C * sizeof *out);
        return;
    }
    for (size_t c = 0; c < C; c++) {
        double mean = acc[1 + c] / acc[0];
        double var = acc[1 + C + c] / acc[0] - mean * mean;
        if (var < 0.0) var = 0.0;
        out[c] = (float)(stat_ref[c] + mean);
        out[C + c] = (float)(sqrt(var) + 1e-6);
    }
}

