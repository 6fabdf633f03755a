/* detect.c — per-frame probabilities, hysteresis segments and their scores (see detect.h).
 *
 * Everything here works on plain arrays of one recording; the command (cli/cmd_detect.c)
 * and the live stream (detect/stream.c) call the same functions, so a file and a stream
 * give the same frames and segments.
 */
#include "detect/detect.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "train/metrics.h"

const char *detect_mode_name(enum detect_mode m)
{
    return m == DETECT_CAUSAL ? "causal" : "centred";
}

int detect_mode_parse(const char *s)
{
    if (!strcmp(s, "centred") || !strcmp(s, "centered")) return DETECT_CENTRED;
    if (!strcmp(s, "causal")) return DETECT_CAUSAL;
    return -1;
}

size_t detect_spans(size_t L, size_t T, size_t stride, enum detect_mode mode, uint32_t video,
                    struct infer_span *out)
{
    CHECK(L >= 1 && T >= 1 && stride >= 1);
    size_t n = 0;
    if (mode == DETECT_CENTRED) {
        if (L < T) {
            if (out) out[0] = (struct infer_span){video, 0, (uint32_t)L};
            return 1;
        }
        for (size_t s = 0; s + T <= L; s += stride, n++)
            if (out) out[n] = (struct infer_span){video, (uint32_t)s, (uint32_t)T};
        return n;
    }
    /* causal: warm-up decisions at e ≡ 0 (mod s) below T−1, then e ≡ T−1 (mod s) */
    for (size_t e = 0; e < L && e + 1 < T; e += stride, n++)
        if (out) out[n] = (struct infer_span){video, 0, (uint32_t)(e + 1)};
    for (size_t e = T - 1; e < L; e += stride, n++)
        if (out) out[n] = (struct infer_span){video, (uint32_t)(e + 1 - T), (uint32_t)T};
    return n;
}

int detect_frames(size_t L, enum detect_mode mode, const struct infer_span *sp, size_t n,
                  const float *wp, size_t nc, float *fp, struct error *err)
{
    CHECK(n >= 1);
    if (mode == DETECT_CAUSAL) {
        size_t w = 0;
        for (size_t f = 0; f < L; f++) {
            while (w + 1 < n && sp[w + 1].start + sp[w + 1].real - 1 <= f) w++;
            memcpy(fp + f * nc, wp + w * nc, nc * sizeof(float));
        }
        return 0;
    }
    /* centred: the windows containing f are a contiguous run [lo, hi) of the spans, which
     * are in increasing start order; sums in double, each frame in the same order. */
    size_t lo = 0, hi = 0;
    double *acc = sg_malloc(nc, sizeof *acc, "frame probabilities", err);
    if (!acc) return -1;
    for (size_t f = 0; f < L; f++) {
        while (hi < n && sp[hi].start <= f) hi++;
        while (lo < hi && sp[lo].start + sp[lo].real <= f) lo++;
        if (lo == hi) { /* past the last window's end */
            memcpy(fp + f * nc, wp + (n - 1) * nc, nc * sizeof(float));
            continue;
        }
        for (size_t q = 0; q < nc; q++) acc[q] = 0;
        for (size_t w = lo; w < hi; w++)
            for (size_t q = 0; q < nc; q++) acc[q] += (double)wp[w * nc + q];
        for (size_t q = 0; q < nc; q++) fp[f * nc + q] = (float)(acc[q] / (double)(hi - lo));
    }
    free(acc);
    return 0;
}

void detect_p_signing(const float *fp, size_t L, size_t nc, const bool *is_background, float *p)
{
    for (size_t f = 0; f < L; f++) {
        double s = 0;
        for (size_t q = 0; q < nc; q++)
            if (!is_background[q]) s += (double)fp[f * nc + q];
        p[f] = (float)(s > 1 ? 1 : s);
    }
}

static int push(struct detect_segment **seg, size_t *n, size_t *cap, size_t start, size_t end,
                struct error *err)
{
    if (*n == *cap) {
        size_t nc = *cap ? 2 * *cap : 16;
        void *t = *seg;
        if (sg_realloc(&t, nc, sizeof **seg, "segments", err)) return -1;
        *seg = t;
        *cap = nc;
    }
    (*seg)[(*n)++] = (struct detect_segment){start, end, 0, -1};
    return 0;
}

size_t detect_segments(const float *p, size_t L, const struct detect_seg_options *o,
                       struct detect_segment **out, struct error *err)
{
    struct detect_segment *seg = NULL;
    size_t n = 0, cap = 0;
    bool on = false;
    size_t start = 0;
    for (size_t f = 0; f <= L; f++) {
        if (f < L && !on && (double)p[f] >= o->on) {
            on = true;
            start = f;
        } else if (on && (f == L || (double)p[f] < o->off)) {
            on = false;
            /* join to the previous segment when the gap is at most merge_gap frames */
            if (n && start - seg[n - 1].end - 1 <= o->merge_gap) seg[n - 1].end = f - 1;
            else if (push(&seg, &n, &cap, start, f - 1, err)) goto fail;
        }
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (seg[i].end - seg[i].start + 1 < o->min_frames) continue;
        double s = 0;
        for (size_t f = seg[i].start; f <= seg[i].end; f++) s += (double)p[f];
        seg[i].mean_p = s / (double)(seg[i].end - seg[i].start + 1);
        seg[k++] = seg[i];
    }
    if (!k) {
        free(seg);
        seg = NULL;
    }
    *out = seg;
    return k;
fail:
    free(seg);
    *out = NULL;
    return (size_t)-1;
}

void detect_label_segments(struct detect_segment *seg, size_t n, const float *fp, size_t nc,
                           const bool *is_background)
{
    for (size_t i = 0; i < n; i++) {
        int best = -1;
        double best_s = -1;
        for (size_t q = 0; q < nc; q++) {
            if (is_background[q]) continue;
            double s = 0;
            for (size_t f = seg[i].start; f <= seg[i].end; f++) s += (double)fp[f * nc + q];
            if (s > best_s) {
                best_s = s;
                best = (int)q;
            }
        }
        seg[i].cls = best;
    }
}

void detect_segment_mask(const struct detect_segment *seg, size_t n, size_t L, uint8_t *signing)
{
    memset(signing, 0, L);
    for (size_t i = 0; i < n; i++)
        for (size_t f = seg[i].start; f <= seg[i].end && f < L; f++) signing[f] = 1;
}

size_t detect_truth_segments(const int8_t *truth, size_t L, struct detect_segment **out,
                             struct error *err)
{
    struct detect_segment *seg = NULL;
    size_t n = 0, cap = 0, start = 0;
    bool in = false;
    for (size_t f = 0; f <= L; f++) {
        bool s = f < L && truth[f] == 1;
        if (s && !in) {
            in = true;
            start = f;
        } else if (!s && in) {
            in = false;
            if (push(&seg, &n, &cap, start, f - 1, err)) {
                free(seg);
                *out = NULL;
                return (size_t)-1;
            }
            seg[n - 1].mean_p = 1;
        }
    }
    *out = seg;
    return n;
}

struct pair {
    double iou;
    size_t p, g;
};

static int cmp_pair(const void *a, const void *b)
{
    const struct pair *x = a, *y = b;
    if (x->iou != y->iou) return x->iou > y->iou ? -1 : 1;
    if (x->p != y->p) return x->p < y->p ? -1 : 1;
    return x->g < y->g ? -1 : (x->g > y->g);
}

int detect_count(const int8_t *truth, const uint8_t *signing, size_t L,
                 const struct detect_segment *pred, size_t np,
                 const struct detect_segment *gt, size_t ng, struct detect_counts *c,
                 struct error *err)
{
    for (size_t f = 0; f < L; f++) {
        if (truth[f] < 0) continue;
        c->frames++;
        if (truth[f]) signing[f] ? c->tp++ : c->fn++;
        else signing[f] ? c->fp++ : c->tn++;
    }
    c->pred_segments += np;
    c->true_segments += ng;
    /* overlapping pairs: both lists are sorted and disjoint, so a two-pointer sweep */
    struct pair *pairs = NULL;
    size_t n = 0, cap = 0, g0 = 0;
    for (size_t i = 0; i < np; i++) {
        while (g0 < ng && gt[g0].end < pred[i].start) g0++;
        for (size_t j = g0; j < ng && gt[j].start <= pred[i].end; j++) {
            size_t lo = pred[i].start > gt[j].start ? pred[i].start : gt[j].start;
            size_t hi = pred[i].end < gt[j].end ? pred[i].end : gt[j].end;
            size_t ulo = pred[i].start < gt[j].start ? pred[i].start : gt[j].start;
            size_t uhi = pred[i].end > gt[j].end ? pred[i].end : gt[j].end;
            if (n == cap) {
                size_t nc = cap ? 2 * cap : 16;
                void *t = pairs;
                if (sg_realloc(&t, nc, sizeof *pairs, "segment matching", err)) {
                    free(pairs);
                    return -1;
                }
                pairs = t;
                cap = nc;
            }
            pairs[n++] = (struct pair){(double)(hi - lo + 1) / (double)(uhi - ulo + 1), i, j};
        }
    }
    if (n) qsort(pairs, n, sizeof *pairs, cmp_pair);
    uint8_t *used = sg_calloc(np + ng + 1, 1, "segment matching", err);
    if (!used) {
        free(pairs);
        return -1;
    }
    for (size_t k = 0; k < n; k++) {
        if (used[pairs[k].p] || used[np + pairs[k].g]) continue;
        used[pairs[k].p] = used[np + pairs[k].g] = 1;
        c->matched++;
        c->iou_sum += pairs[k].iou;
        if (pairs[k].iou >= 0.5) c->hits++;
    }
    free(used);
    free(pairs);
    return 0;
}

int detect_scores(const struct detect_counts *c, const float *p, const int8_t *truth, size_t n,
                  struct detect_scores *s, struct error *err)
{
    memset(s, 0, sizeof *s);
    s->frames = c->frames;
    s->frame_acc = c->frames ? (double)(c->tp + c->tn) / (double)c->frames : (double)NAN;
    size_t den = 2 * c->tp + c->fp + c->fn;
    s->frame_f1 = c->frames ? (den ? 2.0 * (double)c->tp / (double)den : 0.0) : (double)NAN;
    s->pred_segments = c->pred_segments;
    s->true_segments = c->true_segments;
    s->matched = c->matched;
    s->hits = c->hits;
    s->mean_iou = c->matched ? c->iou_sum / (double)c->matched : (double)NAN;
    s->seg_precision = c->pred_segments ? (double)c->hits / (double)c->pred_segments : (double)NAN;
    s->seg_recall = c->true_segments ? (double)c->hits / (double)c->true_segments : (double)NAN;
    if (!c->pred_segments && !c->true_segments) s->seg_f1 = (double)NAN;
    else if (!c->hits) s->seg_f1 = 0;
    else s->seg_f1 = 2 * s->seg_precision * s->seg_recall / (s->seg_precision + s->seg_recall);
    /* PR-AUC over the labelled frames */
    s->frame_pr_auc = (double)NAN;
    if (!c->frames) return 0;
    unsigned char *pos = sg_malloc(c->frames, 1, "frame scores", err);
    float *sc = sg_malloc(c->frames, sizeof(float), "frame scores", err);
    int rc = -1;
    if (!pos || !sc) goto out;
    size_t k = 0;
    for (size_t f = 0; f < n && k < c->frames; f++) {
        if (truth[f] < 0) continue;
        pos[k] = (unsigned char)truth[f];
        sc[k++] = p[f];
    }
    CHECK(k == c->frames);
    rc = metrics_average_precision(pos, sc, 1, k, &s->frame_pr_auc, err);
out:
    free(pos);
    free(sc);
    return rc;
}
