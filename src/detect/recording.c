/* recording.c — one recording through the model, frames, segments and scores (recording.h). */
#include "detect/recording.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "data/splits.h"
#include "data/windows.h"

void detect_options_default(struct detect_options *o)
{
    o->mode = DETECT_CENTRED;
    o->stride = 1;
    o->on = 0.5;
    o->off = 0.4;
    o->min_sign_ms = 120;
    o->merge_gap_ms = 120;
}

void detect_seg_options_at(const struct detect_options *o, double fps,
                           struct detect_seg_options *so)
{
    so->on = o->on;
    so->off = o->off;
    /* a small epsilon so that 120 ms at 25 fps is exactly 3 frames, not 3.0000000004 */
    so->min_frames = (size_t)ceil(o->min_sign_ms * fps / 1000.0 - 1e-9);
    so->merge_gap = (size_t)floor(o->merge_gap_ms * fps / 1000.0 + 1e-9);
}

int detect_background(const struct infer *inf, const char *background, bool *is_background,
                      struct error *err)
{
    const size_t NC = inf->d.num_classes;
    if (inf->tc.data.binary) {
        if (background && *background)
            return error_set(err, "--background is for multi-class checkpoints; '%s' is binary "
                             "(class 0 'not_signing' is its background)", inf->ckpt);
        for (size_t k = 0; k < NC; k++) is_background[k] = k == 0;
        return 0;
    }
    size_t n_bg = 0;
    if (background && *background) {
        struct name_list bl;
        if (name_list_parse(&bl, background, "--background", false, err)) return -1;
        for (size_t k = 0; k < NC; k++) is_background[k] = name_list_find(&bl, inf->d.classes[k]) >= 0;
        for (size_t i = 0; i < bl.n; i++) {
            bool found = false;
            for (size_t k = 0; k < NC; k++) found = found || !strcmp(bl.names[i], inf->d.classes[k]);
            if (!found) {
                error_set(err, "--background: '%s' is not a class of '%s'", bl.names[i], inf->ckpt);
                error_hint(err, "its classes are %s%s%s%s", inf->d.classes[0], NC > 1 ? ", " : "",
                           NC > 1 ? inf->d.classes[1] : "", NC > 2 ? ", ..." : "");
                name_list_free(&bl);
                return -1;
            }
        }
        name_list_free(&bl);
    } else {
        struct name_list sl;
        if (name_list_parse(&sl, inf->tc.data.signing_labels, "signing_labels", false, err))
            return -1;
        size_t signing = 0;
        for (size_t k = 0; k < NC; k++) signing += name_list_contains_ci(&sl, inf->d.classes[k]);
        for (size_t k = 0; k < NC; k++)
            is_background[k] = signing && !name_list_contains_ci(&sl, inf->d.classes[k]);
        name_list_free(&sl);
        if (!signing) {
            error_set(err, "'%s' is a multi-class checkpoint and none of its classes (%s, ...) "
                      "is among its signing labels '%s', so detect cannot tell signing from "
                      "rest", inf->ckpt, inf->d.classes[0], inf->tc.data.signing_labels);
            return error_hint(err, "name the classes that are not signing with --background "
                              "(e.g. --background %s)", inf->d.classes[0]);
        }
    }
    for (size_t k = 0; k < NC; k++) n_bg += is_background[k];
    if (n_bg == NC)
        return error_set(err, "--background names every class of '%s'; at least one class "
                         "must be signing", inf->ckpt);
    return 0;
}

int detect_truth_map(const struct infer *inf, const struct dataset *ds,
                     const bool *is_background, int8_t *truth_of_label, struct error *err)
{
    const size_t nl = groundtruth_num_labels(&ds->gt);
    if (inf->tc.data.binary) {
        struct name_list sl;
        if (name_list_parse(&sl, inf->tc.data.signing_labels, "signing_labels", false, err))
            return -1;
        for (size_t i = 0; i < nl; i++)
            truth_of_label[i] =
                (int8_t)name_list_contains_ci(&sl, groundtruth_label_name(&ds->gt, (int32_t)i));
        name_list_free(&sl);
        return 0;
    }
    for (size_t i = 0; i < nl; i++) {
        const char *name = groundtruth_label_name(&ds->gt, (int32_t)i);
        bool bg = false;
        for (size_t k = 0; k < inf->d.num_classes; k++)
            bg = bg || (is_background[k] && !strcmp(inf->d.classes[k], name));
        truth_of_label[i] = bg ? 0 : 1;
    }
    return 0;
}

void detect_result_free(struct detect_result *r)
{
    if (!r) return;
    free(r->fp);
    free(r->p);
    free(r->signing);
    free(r->seg);
    free(r->truth);
    free(r->gt);
    memset(r, 0, sizeof *r);
}

int detect_recording(struct infer *inf, const struct dataset *ds, size_t v,
                     const struct detect_options *o, double fps, const bool *is_background,
                     const int8_t *truth_of_label, struct detect_result *r, struct error *err)
{
    memset(r, 0, sizeof *r);
    const struct data_video *dv = &ds->videos[v];
    const size_t L = dv->frames, T = inf->tc.data.window, NC = inf->d.num_classes;
    r->frames = L;
    r->nc = NC;
    r->fps = fps;
    size_t n = detect_spans(L, T, o->stride, o->mode, (uint32_t)v, NULL);
    struct infer_span *sp = sg_malloc(n, sizeof *sp, "detect windows", err);
    float *wp = sg_malloc(n, NC * sizeof(float), "detect windows", err);
    r->fp = sg_malloc(L, NC * sizeof(float), "detect frames", err);
    r->p = sg_malloc(L, sizeof(float), "detect frames", err);
    r->signing = sg_malloc(L, 1, "detect frames", err);
    int rc = -1;
    if (!sp || !wp || !r->fp || !r->p || !r->signing) goto out;
    detect_spans(L, T, o->stride, o->mode, (uint32_t)v, sp);
    struct infer_out io = {.probs = wp};
    if (infer_spans(inf, ds, sp, n, &io, err) ||
        detect_frames(L, o->mode, sp, n, wp, NC, r->fp, err))
        goto out;
    detect_p_signing(r->fp, L, NC, is_background, r->p);
    struct detect_seg_options so;
    detect_seg_options_at(o, fps, &so);
    r->n_seg = detect_segments(r->p, L, &so, &r->seg, err);
    if (r->n_seg == (size_t)-1) {
        r->n_seg = 0;
        goto out;
    }
    if (!inf->tc.data.binary) detect_label_segments(r->seg, r->n_seg, r->fp, NC, is_background);
    detect_segment_mask(r->seg, r->n_seg, L, r->signing);
    if (truth_of_label && dv->labels) {
        r->has_truth = true;
        if (!(r->truth = sg_malloc(L, 1, "detect truth", err))) goto out;
        for (size_t f = 0; f < L; f++)
            r->truth[f] = dv->labels[f] < 0 ? -1 : truth_of_label[dv->labels[f]];
        r->n_gt = detect_truth_segments(r->truth, L, &r->gt, err);
        if (r->n_gt == (size_t)-1) {
            r->n_gt = 0;
            goto out;
        }
        if (detect_count(r->truth, r->signing, L, r->seg, r->n_seg, r->gt, r->n_gt, &r->counts,
                         err))
            goto out;
    }
    rc = 0;
out:
    free(sp);
    free(wp);
    if (rc) detect_result_free(r);
    return rc;
}

void detect_run_free(struct detect_run *run)
{
    if (!run) return;
    for (size_t v = 0; run->res && v < run->n_videos; v++) detect_result_free(&run->res[v]);
    free(run->res);
    free(run->sc);
    free(run->selected);
    memset(run, 0, sizeof *run);
}

int detect_run_dataset(struct infer *inf, const struct dataset *ds, const char *splits_json,
                       int split, const struct detect_options *o, double fps,
                       const bool *is_background, const struct warn_sink *warn,
                       struct detect_run *run, struct error *err)
{
    memset(run, 0, sizeof *run);
    const size_t nv = ds->n_videos ? ds->n_videos : 1;
    int8_t *truth_of_label = NULL;
    float *all_p = NULL;
    int8_t *all_truth = NULL;
    int rc = -1;
    run->n_videos = ds->n_videos;
    run->selected = sg_calloc(nv, sizeof(bool), "detect", err);
    run->res = sg_calloc(nv, sizeof *run->res, "detect", err);
    run->sc = sg_calloc(nv, sizeof *run->sc, "detect", err);
    if (!run->selected || !run->res || !run->sc) goto out;
    if (splits_json) {
        struct splits_lists sl;
        if (splits_json_read(splits_json, &sl, err)) goto out;
        if (split == SPLIT_TEST && !sl.has_test) {
            splits_lists_free(&sl);
            error_set(err, "%s: has no test split (only train and val)", splits_json);
            goto out;
        }
        for (size_t i = 0; i < sl.n[split]; i++) {
            long v = dataset_find_video(ds, sl.videos[split][i]);
            if (v < 0)
                warn_emit(warn, "%s: recording '%s' of the %s split is not in the data",
                          splits_json, sl.videos[split][i], split_name(split));
            else
                run->selected[v] = true;
        }
        splits_lists_free(&sl);
    } else {
        for (size_t v = 0; v < ds->n_videos; v++) run->selected[v] = true;
    }
    if (ds->has_groundtruth) {
        size_t nl = groundtruth_num_labels(&ds->gt);
        if (!(truth_of_label = sg_malloc(nl ? nl : 1, 1, "detect", err)) ||
            detect_truth_map(inf, ds, is_background, truth_of_label, err))
            goto out;
    }
    for (size_t v = 0; v < ds->n_videos; v++) {
        if (!run->selected[v]) continue;
        struct detect_result *r = &run->res[v];
        double f = fps > 0 ? fps : ds->videos[v].fps > 0 ? ds->videos[v].fps : DETECT_DEFAULT_FPS;
        if (detect_recording(inf, ds, v, o, f, is_background, truth_of_label, r, err)) goto out;
        if (r->has_truth && detect_scores(&r->counts, r->p, r->truth, r->frames, &run->sc[v], err))
            goto out;
        run->recordings++;
        run->frames += r->frames;
        run->segments += r->n_seg;
    }
    /* pooled over the recordings with a groundtruth */
    struct detect_counts all;
    memset(&all, 0, sizeof all);
    all_p = sg_malloc(run->frames ? run->frames : 1, sizeof(float), "detect", err);
    all_truth = sg_malloc(run->frames ? run->frames : 1, 1, "detect", err);
    if (!all_p || !all_truth) goto out;
    size_t at = 0;
    for (size_t v = 0; v < ds->n_videos; v++) {
        const struct detect_result *r = &run->res[v];
        if (!run->selected[v] || !r->has_truth) continue;
        run->any_truth = true;
        const struct detect_counts *c = &r->counts;
        all.frames += c->frames;
        all.tp += c->tp;
        all.fp += c->fp;
        all.fn += c->fn;
        all.tn += c->tn;
        all.pred_segments += c->pred_segments;
        all.true_segments += c->true_segments;
        all.matched += c->matched;
        all.iou_sum += c->iou_sum;
        all.hits += c->hits;
        memcpy(all_p + at, r->p, r->frames * sizeof(float));
        memcpy(all_truth + at, r->truth, r->frames);
        at += r->frames;
    }
    if (run->any_truth && detect_scores(&all, all_p, all_truth, at, &run->overall, err)) goto out;
    rc = 0;
out:
    free(truth_of_label);
    free(all_p);
    free(all_truth);
    if (rc) detect_run_free(run);
    return rc;
}
