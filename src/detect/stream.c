/* stream.c — live detection, one frame at a time (see stream.h). */
#include "detect/stream.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"


int detect_stream_init(struct detect_stream *s, struct infer *inf, size_t stride,
                       const struct detect_seg_options *seg, const bool *is_background,
                       struct error *err)
{
    memset(s, 0, sizeof *s);
    if (inf->d.skeleton != SKELETON_MEDIAPIPE)
        return error_set(err, "--stream reads MediaPipe Holistic frames, but '%s' was trained on "
                         "%s skeletons", inf->ckpt, skeleton_name(inf->d.skeleton));
    s->inf = inf;
    s->cfg = inf->tc.data;
    s->T = s->cfg.window;
    s->stride = stride;
    s->nc = inf->d.num_classes;
    s->shape.ch = s->cfg.coords > 2 ? s->cfg.coords : 2;
    s->face_points = inf->d.face_points_in_file ? inf->d.face_points_in_file : 478;
    s->is_background = is_background;
    s->seg = *seg;
    data_layout_init(&s->lay, &s->cfg, s->face_points);
    CHECK(s->lay.joints == inf->d.num_joints);
    /* the pose always (normalisation, statistics), the other parts when the model uses them */
    const size_t full[DATA_PART_COUNT] = {DATA_POSE_JOINTS, DATA_HAND_JOINTS, DATA_HAND_JOINTS,
                                          s->face_points};
    for (int p = 0; p < DATA_PART_COUNT; p++)
        s->shape.part_joints[p] = p == DATA_PART_POSE || s->lay.part_joints[p] ? full[p] : 0;
    const size_t C = s->cfg.coords, J = s->lay.joints;
    for (int p = 0; p < DATA_PART_COUNT; p++)
        if (s->shape.part_joints[p] &&
            !(s->raw[p] = sg_malloc(s->T * s->shape.part_joints[p], s->shape.ch * sizeof(float),
                                    "stream", err)))
            goto fail;
    if (!(s->x = sg_calloc(s->T * J, C * sizeof(float), "stream", err)) ||
        !(s->frame_stats = sg_malloc(s->T, data_frame_stats_size(C) * sizeof(double), "stream", err)) ||
        !(s->probs = sg_calloc(s->nc, sizeof(float), "stream", err)) ||
        !(s->class_sum = sg_calloc(s->nc, sizeof(double), "stream", err)) ||
        !(s->gap_class_sum = sg_calloc(s->nc, sizeof(double), "stream", err)))
        goto fail;
    return 0;
fail:
    detect_stream_free(s);
    return -1;
}

void detect_stream_free(struct detect_stream *s)
{
    if (!s) return;
    for (int p = 0; p < DATA_PART_COUNT; p++) free(s->raw[p]);
    free(s->x);
    free(s->frame_stats);
    free(s->probs);
    free(s->class_sum);
    free(s->gap_class_sum);
    memset(s, 0, sizeof *s);
}

int detect_frame_alloc(const struct detect_frame_shape *sh, struct detect_frame *f,
                       struct error *err)
{
    memset(f, 0, sizeof *f);
    for (int p = 0; p < DATA_PART_COUNT; p++)
        if (sh->part_joints[p] &&
            !(f->part[p] = sg_malloc(sh->part_joints[p], sh->ch * sizeof(float), "frame", err))) {
            detect_frame_free(f);
            return -1;
        }
    return 0;
}

void detect_frame_free(struct detect_frame *f)
{
    for (int p = 0; p < DATA_PART_COUNT; p++) free(f->part[p]);
    memset(f, 0, sizeof *f);
}

int detect_frame_parse(const struct detect_frame_shape *sh, const char *line, size_t len,
                       struct detect_frame *f, struct error *err)
{
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(line, len, &end, false);
    if (!root) {
        size_t at = end && end >= line && end <= line + len ? (size_t)(end - line) : 0;
        /* the line need not end in a NUL: print at most what is left of it */
        int show = (int)(len - at < 20 ? len - at : 20);
        if (at >= len) return error_set(err, "not valid JSON (it ends early, at byte %zu)", at + 1);
        return error_set(err, "not valid JSON (at byte %zu: '%.*s')", at + 1, show, line + at);
    }
    int rc = -1;
    if (!cJSON_IsObject(root)) {
        error_set(err, "expected a JSON object with pose, left_hand, right_hand, face");
        goto out;
    }
    /* nothing after the object but blanks */
    for (const char *q = end; q && q < line + len; q++)
        if (*q != ' ' && *q != '\t' && *q != '\r' && *q != '\n') {
            size_t left = (size_t)(line + len - q);
            error_set(err, "text after the JSON object: '%.*s'", (int)(left < 20 ? left : 20), q);
            goto out;
        }
    for (int p = 0; p < DATA_PART_COUNT; p++) {
        if (!f->part[p]) continue;
        const char *name = data_part_name((enum data_part)p);
        const size_t n = sh->part_joints[p], ch = sh->ch;
        cJSON *a = cJSON_GetObjectItemCaseSensitive(root, name);
        if (!a || cJSON_IsNull(a)) {
            for (size_t i = 0; i < n * ch; i++) f->part[p][i] = NAN;
            continue;
        }
        if (!cJSON_IsArray(a)) {
            error_set(err, "'%s' is not an array of points or null", name);
            goto out;
        }
        size_t got = (size_t)cJSON_GetArraySize(a);
        if (got != n) {
            error_set(err, "'%s' has %zu points (expected %zu)", name, got, n);
            goto out;
        }
        size_t k = 0;
        const cJSON *pt;
        cJSON_ArrayForEach(pt, a)
        {
            size_t m = cJSON_IsArray(pt) ? (size_t)cJSON_GetArraySize(pt) : 0;
            if (!cJSON_IsArray(pt) || m < ch || m > 4) {
                error_set(err, "'%s' point %zu is not an array of %zu to 4 numbers", name, k, ch);
                goto out;
            }
            size_t c = 0;
            const cJSON *v;
            cJSON_ArrayForEach(v, pt)
            {
                if (!cJSON_IsNumber(v)) {
                    error_set(err, "'%s' point %zu coordinate %zu is not a number", name, k, c);
                    goto out;
                }
                if (c < ch) f->part[p][k * ch + c] = (float)v->valuedouble;
                c++;
            }
            k++;
        }
    }
    rc = 0;
out:
    cJSON_Delete(root);
    return rc;
}

/* Is frame e (0-based) a decision frame of the causal rule (detect.h)? */
static bool decision_frame(size_t e, size_t T, size_t stride)
{
    if (e + 1 < T) return e % stride == 0;
    return (e + 1 - T) % stride == 0;
}

static int decide(struct detect_stream *s, bool *unnormalised, struct error *err)
{
    const size_t r = s->have, C = s->cfg.coords, J = s->lay.joints;
    struct data_raw_video raw;
    memset(&raw, 0, sizeof raw);
    raw.frames = r;
    for (int p = 0; p < DATA_PART_COUNT; p++)
        if (s->raw[p])
            raw.part[p] = (struct data_raw_part){s->raw[p], s->shape.part_joints[p], s->shape.ch};
    double stat_ref[DATA_COORDS_MAX];
    bool normalized = true;
    data_video_build(&s->cfg, &s->lay, &raw, s->x, s->frame_stats, stat_ref, &normalized);
    *unnormalised = !normalized;
    memset(s->x + r * J * C, 0, (s->T - r) * J * C * sizeof(float));
    data_window_stats(s->frame_stats, stat_ref, C, 0, r, s->stats);
    struct infer_out io = {.probs = s->probs};
    if (infer_forward(s->inf, s->x, s->stats, 1, &io, err)) return -1;
    detect_p_signing(s->probs, 1, s->nc, s->is_background, &s->p);
    return 0;
}

static int best_class(const struct detect_stream *s, const double *sum)
{
    if (s->inf->tc.data.binary) return -1;
    int best = -1;
    for (size_t q = 0; q < s->nc; q++)
        if (!s->is_background[q] && (best < 0 || sum[q] > sum[best])) best = (int)q;
    return best;
}

/* Closes the open segment: an END event when it was announced. */
static void close_segment(struct detect_stream *s, struct detect_event *ev, size_t *n_ev)
{
    if (s->open && s->announced) {
        ev[*n_ev] = (struct detect_event){DETECT_EVENT_END, s->seg_start, s->seg_end,
                                         s->seg_sum / (double)(s->seg_end - s->seg_start + 1),
                                         best_class(s, s->class_sum)};
        (*n_ev)++;
    }
    s->open = false;
    s->announced = false;
}

int detect_stream_push(struct detect_stream *s, const struct detect_frame *f,
                       struct detect_event ev[2], size_t *n_ev, bool *unnormalised,
                       struct error *err)
{
    *n_ev = 0;
    *unnormalised = false;
    /* the window of the last T frames, oldest first */
    for (int p = 0; p < DATA_PART_COUNT; p++) {
        if (!s->raw[p]) continue;
        const size_t fsz = s->shape.part_joints[p] * s->shape.ch;
        if (s->have == s->T) memmove(s->raw[p], s->raw[p] + fsz, (s->T - 1) * fsz * sizeof(float));
        memcpy(s->raw[p] + (s->have == s->T ? s->T - 1 : s->have) * fsz, f->part[p],
               fsz * sizeof(float));
    }
    if (s->have < s->T) s->have++;
    const size_t t = s->frame++;
    if (decision_frame(t, s->T, s->stride) && decide(s, unnormalised, err)) return -1;
    const double p = (double)s->p;
    /* hysteresis, then the incremental merge and minimum length of detect_segments */
    if (!s->on && p >= s->seg.on) s->on = true;
    else if (s->on && p < s->seg.off) s->on = false;
    if (s->on) {
        if (s->open && t - s->seg_end - 1 <= s->seg.merge_gap) {
            s->seg_sum += s->gap_sum + p;
            for (size_t q = 0; q < s->nc; q++)
                s->class_sum[q] += s->gap_class_sum[q] + (double)s->probs[q];
        } else {
            close_segment(s, ev, n_ev);
            s->open = true;
            s->seg_start = t;
            s->seg_sum = p;
            for (size_t q = 0; q < s->nc; q++) s->class_sum[q] = (double)s->probs[q];
        }
        s->seg_end = t;
        s->gap_sum = 0;
        for (size_t q = 0; q < s->nc; q++) s->gap_class_sum[q] = 0;
        if (!s->announced && s->seg_end - s->seg_start + 1 >= s->seg.min_frames) {
            s->announced = true;
            ev[*n_ev] = (struct detect_event){DETECT_EVENT_START, s->seg_start, 0, 0,
                                             best_class(s, s->class_sum)};
            (*n_ev)++;
        }
    } else if (s->open) {
        s->gap_sum += p;
        for (size_t q = 0; q < s->nc; q++) s->gap_class_sum[q] += (double)s->probs[q];
        if (t - s->seg_end > s->seg.merge_gap) close_segment(s, ev, n_ev);
    }
    return 0;
}

void detect_stream_finish(struct detect_stream *s, struct detect_event *ev, size_t *n_ev)
{
    *n_ev = 0;
    close_segment(s, ev, n_ev);
}
