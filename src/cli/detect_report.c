/* detect_report.c — the detection table and JSON (see detect_report.h). */
#include "cli/detect_report.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static void json_num(cJSON *o, const char *k, double v)
{
    if (isfinite(v)) cJSON_AddNumberToObject(o, k, v);
    else cJSON_AddNullToObject(o, k);
}

cJSON *detect_scores_json(const struct detect_scores *s)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "labelled_frames", (double)s->frames);
    json_num(o, "frame_accuracy", s->frame_acc);
    json_num(o, "frame_f1", s->frame_f1);
    json_num(o, "frame_pr_auc", s->frame_pr_auc);
    cJSON_AddNumberToObject(o, "predicted_segments", (double)s->pred_segments);
    cJSON_AddNumberToObject(o, "true_segments", (double)s->true_segments);
    cJSON_AddNumberToObject(o, "matched_segments", (double)s->matched);
    json_num(o, "mean_iou", s->mean_iou);
    json_num(o, "segment_precision", s->seg_precision);
    json_num(o, "segment_recall", s->seg_recall);
    json_num(o, "segment_f1", s->seg_f1);
    return o;
}

static void fmt3(char *buf, size_t n, double v)
{
    if (isfinite(v)) snprintf(buf, n, "%.3f", v);
    else snprintf(buf, n, "-");
}

static void table_row(const char *name, size_t frames, size_t segs, const struct detect_scores *s,
                      bool truth)
{
    char a[16], f1[16], pr[16], iou[16], sf[16];
    if (truth) {
        fmt3(a, sizeof a, s->frame_acc);
        fmt3(f1, sizeof f1, s->frame_f1);
        fmt3(pr, sizeof pr, s->frame_pr_auc);
        fmt3(iou, sizeof iou, s->mean_iou);
        fmt3(sf, sizeof sf, s->seg_f1);
    } else {
        strcpy(a, "-");
        strcpy(f1, "-");
        strcpy(pr, "-");
        strcpy(iou, "-");
        strcpy(sf, "-");
    }
    printf("%-24s %8zu %8zu %9s %8s %8s %8s %8s\n", name, frames, segs, a, f1, pr, iou, sf);
}

void detect_report_table(const struct dataset *ds, const struct detect_run *run)
{
    printf("%-24s %8s %8s %9s %8s %8s %8s %8s\n", "recording", "frames", "segments", "frame_acc",
           "frame_f1", "pr_auc", "mean_iou", "seg_f1");
    for (size_t v = 0; v < ds->n_videos; v++)
        if (run->selected[v])
            table_row(ds->videos[v].id, run->res[v].frames, run->res[v].n_seg, &run->sc[v],
                      run->res[v].has_truth);
    if (run->any_truth) table_row("overall", run->frames, run->segments, &run->overall, true);
}

cJSON *detect_report_json(const struct infer *inf, const struct detect_options *o, double fps,
                          const bool *is_background, const struct dataset *ds,
                          const struct detect_run *run)
{
    cJSON *summary = cJSON_CreateObject();
    if (!summary) return NULL;
    cJSON_AddStringToObject(summary, "checkpoint", inf->ckpt);
    cJSON_AddStringToObject(summary, "mode", detect_mode_name(o->mode));
    cJSON_AddNumberToObject(summary, "stride", (double)o->stride);
    cJSON_AddNumberToObject(summary, "window", (double)inf->tc.data.window);
    if (fps > 0) cJSON_AddNumberToObject(summary, "fps", fps);
    else cJSON_AddNullToObject(summary, "fps"); /* each recording's own (below) */
    cJSON_AddNumberToObject(summary, "on", o->on);
    cJSON_AddNumberToObject(summary, "off", o->off);
    cJSON_AddNumberToObject(summary, "min_sign_ms", o->min_sign_ms);
    cJSON_AddNumberToObject(summary, "merge_gap_ms", o->merge_gap_ms);
    cJSON *classes = cJSON_AddArrayToObject(summary, "signing_classes");
    for (size_t k = 0; k < inf->d.num_classes; k++)
        if (!is_background[k]) cJSON_AddItemToArray(classes, cJSON_CreateString(inf->d.classes[k]));
    cJSON *recs = cJSON_AddArrayToObject(summary, "recordings");
    for (size_t v = 0; v < ds->n_videos; v++) {
        if (!run->selected[v]) continue;
        const struct detect_result *r = &run->res[v];
        cJSON *o2 = cJSON_CreateObject();
        cJSON_AddStringToObject(o2, "name", ds->videos[v].id);
        cJSON_AddNumberToObject(o2, "frames", (double)r->frames);
        cJSON_AddNumberToObject(o2, "fps", r->fps);
        cJSON_AddNumberToObject(o2, "seconds", (double)r->frames / r->fps);
        cJSON_AddNumberToObject(o2, "segments", (double)r->n_seg);
        double sig = 0;
        for (size_t i = 0; i < r->n_seg; i++) sig += (double)(r->seg[i].end - r->seg[i].start + 1);
        cJSON_AddNumberToObject(o2, "signing_seconds", sig / r->fps);
        if (r->has_truth) cJSON_AddItemToObject(o2, "scores", detect_scores_json(&run->sc[v]));
        cJSON_AddItemToArray(recs, o2);
    }
    if (run->any_truth) cJSON_AddItemToObject(summary, "overall", detect_scores_json(&run->overall));
    return summary;
}
