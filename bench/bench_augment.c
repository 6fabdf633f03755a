/* bench_augment.c — what augmentation and input streams cost beside a training step.
 *
 *   build/bench_augment [--threads 2] [--batch 16] [--window 25] [--min-time 5]
 *
 * On the demo recogniser's shape (MediaPipe pose + hands, J = 75, C = 2; a synthetic
 * 300-frame recording with a missing hand in a third of the frames) it times, per batch:
 *   fill       the batch copied out of the recording (dataset_fill_span, what training does
 *              without augmentation)
 *   augment    the same windows filled and augmented with --augment standard (resampling,
 *              frame and hand dropout, affine, jitter; draws included)
 *   streams    joints,bones,motion computed from the filled batch (features_apply)
 *   step       one training step of the model on the batch: forward, cross-entropy,
 *              backward, AdamW (joints alone, C = 2)
 *   step3      the same with the three streams' width (C = 6 into the first layer)
 * and prints each as milliseconds per batch and as a share of `step` (streams: of `step3`,
 * the step it belongs to). Single-threaded parts (augmentation runs in the trainer's thread)
 * are timed as they run. Not a test: nothing here asserts a time.
 */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/error.h"
#include "core/rng.h"
#include "data/augment.h"
#include "data/dataset.h"
#include "data/features.h"
#include "graph/graph.h"
#include "graph/layout.h"
#include "model/model.h"
#include "model/adam.h"

void openblas_set_num_threads(int n);

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Seconds per call of fn(ctx) over at least min_time seconds (after one warm-up call). */
static double per_call(void (*fn)(void *), void *ctx, double min_time)
{
    fn(ctx);
    int n = 0;
    double t0 = now(), el = 0;
    while (el < min_time || n < 3) {
        fn(ctx);
        n++;
        el = now() - t0;
    }
    return el / n;
}

struct job {
    struct dataset *ds;
    struct augment_parts *parts;
    struct augment_config aug;
    size_t B, T, J, C;
    float *x, *xf;
    int32_t *parent;
    uint64_t index;
    struct model *m, *m3;
    struct model_inputs in, in3;
    struct model_loss_config lc;
    struct adam_config opt;
    long step;
};

static void do_fill(void *p)
{
    struct job *j = p;
    for (size_t b = 0; b < j->B; b++)
        dataset_fill_span(j->ds, 0, (b * 17) % 270, j->T, j->x + b * j->T * j->J * j->C, NULL);
}

static void do_augment(void *p)
{
    struct job *j = p;
    for (size_t b = 0; b < j->B; b++) {
        struct augment_draw d;
        augment_draw_make(&j->aug, 1, j->index++, &d);
        augment_fill_window(j->ds, 0, (b * 17) % 270, &j->aug, j->parts, &d,
                            j->x + b * j->T * j->J * j->C);
    }
}

static void do_streams(void *p)
{
    struct job *j = p;
    features_apply(j->x, j->B, j->T, j->J, j->C, FEATURE_JOINTS | FEATURE_BONES | FEATURE_MOTION,
                   j->parent, j->xf);
}

static void train_step(struct job *j, struct model *m, struct model_inputs *in)
{
    struct model_losses L;
    struct rng r;
    rng_seed(&r, (uint64_t)j->step);
    model_forward(m, in, true, &r);
    model_backward(m, in, &j->lc, &L);
    adam_step(m->pt.data, m->pt.grad, m->pt.m, m->pt.v, 0, m->pt.kind_end[PARAM_TRAINED],
              &j->opt, ++j->step);
}

static void do_step(void *p)
{
    struct job *j = p;
    train_step(j, j->m, &j->in);
}

static void do_step3(void *p)
{
    struct job *j = p;
    train_step(j, j->m3, &j->in3);
}

int main(int argc, char **argv)
{
    int threads = 2;
    size_t B = 16, T = 25;
    double min_time = 5;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--threads")) threads = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--batch")) B = (size_t)atol(argv[i + 1]);
        else if (!strcmp(argv[i], "--window")) T = (size_t)atol(argv[i + 1]);
        else if (!strcmp(argv[i], "--min-time")) min_time = atof(argv[i + 1]);
        else {
            fprintf(stderr, "bench_augment: unknown flag %s\n", argv[i]);
            return 2;
        }
    }
    omp_set_num_threads(threads);
    openblas_set_num_threads(threads);
    struct error err;
    struct joint_layout layout;
    struct graph g;
    if (joint_layout_init(&layout, true, true, false, FACE_POINTS_ALL, 478, &err) ||
        graph_build_mediapipe(&g, &layout, PARTITION_SPATIAL, &err)) {
        fprintf(stderr, "bench_augment: %s\n", err.msg);
        return 1;
    }
    const size_t J = layout.num_joints, C = 2, F = 300;
    /* a recording: random present joints, the right hand missing in every third frame */
    struct rng r;
    rng_seed(&r, 0);
    float *video = malloc(F * J * C * sizeof(float));
    for (size_t i = 0; i < F * J * C; i++) video[i] = (float)rng_normal(&r);
    for (size_t t = 0; t < F; t += 3) memset(video + (t * J + 54) * C, 0, 21 * C * sizeof(float));
    struct data_video v = {.frames = F, .x = video};
    struct dataset ds = {.n_videos = 1, .videos = &v};
    ds.cfg.window = T;
    ds.layout.joints = J;
    ds.layout.coords = C;
    const size_t off[4] = {0, 33, 54, 75}, cnt[4] = {33, 21, 21, 0};
    struct augment_parts parts;
    int32_t *parent = malloc(J * sizeof *parent);
    if (augment_parts_init(&parts, SKELETON_MEDIAPIPE, C, off, cnt, &err) ||
        graph_parents(GRAPH_MEDIAPIPE, &layout, parent, &err)) {
        fprintf(stderr, "bench_augment: %s\n", err.msg);
        return 1;
    }
    struct model m, m3;
    struct model_config mc = {.num_joints = J, .coords = C, .num_classes = 5,
                              .attn = ATTN_BIAS_AWARE, .dropout = 0.1f};
    model_dims_spec(&mc.dims);
    struct model_config mc3 = mc;
    mc3.in_channels = 3 * C;
    if (model_init(&m, &mc, &g, &err) || model_reserve(&m, B, T, &err) ||
        model_init(&m3, &mc3, &g, &err) || model_reserve(&m3, B, T, &err)) {
        fprintf(stderr, "bench_augment: %s\n", err.msg);
        return 1;
    }
    model_init_weights(&m, &r);
    model_init_weights(&m3, &r);
    struct job j = {.ds = &ds, .parts = &parts, .B = B, .T = T, .J = J, .C = C,
                    .parent = parent, .m = &m, .m3 = &m3};
    augment_preset_values(AUGMENT_STANDARD, &j.aug);
    j.x = malloc(B * T * J * C * sizeof(float));
    j.xf = malloc(B * T * J * 3 * C * sizeof(float));
    float *stats = calloc(B * 2 * C, sizeof(float));
    int *y = malloc(B * sizeof(int));
    for (size_t b = 0; b < B; b++) y[b] = (int)(b % 5);
    do_fill(&j);
    do_streams(&j);
    j.in = (struct model_inputs){.B = B, .T = T, .x = j.x, .stats = stats, .y = y};
    j.in3 = (struct model_inputs){.B = B, .T = T, .x = j.xf, .stats = stats, .y = y};
    adam_config_default(&j.opt);
    j.lc = (struct model_loss_config){.mi_adam = &j.opt};
    double t_fill = per_call(do_fill, &j, min_time / 5);
    double t_aug = per_call(do_augment, &j, min_time / 5);
    double t_streams = per_call(do_streams, &j, min_time / 5);
    double t_step = per_call(do_step, &j, min_time);
    double t_step3 = per_call(do_step3, &j, min_time);
    printf("bench_augment: J=%zu C=%zu batch=%zu window=%zu threads=%d\n", J, C, B, T, threads);
    printf("%-10s %12s %14s\n", "part", "ms/batch", "share of step");
    printf("%-10s %12.4f %13.3f%%\n", "fill", 1e3 * t_fill, 100 * t_fill / t_step);
    printf("%-10s %12.4f %13.3f%%\n", "augment", 1e3 * t_aug, 100 * t_aug / t_step);
    printf("%-10s %12.4f %13.3f%%  (of step3)\n", "streams", 1e3 * t_streams,
           100 * t_streams / t_step3);
    printf("%-10s %12.4f %13.3f%%\n", "step", 1e3 * t_step, 100.0);
    printf("%-10s %12.4f %13.3f%%  (three streams' first layer)\n", "step3", 1e3 * t_step3,
           100 * t_step3 / t_step);
    printf("augmentation beyond the plain fill: %.3f%% of a step\n",
           100 * (t_aug - t_fill) / t_step);
    free(video);
    free(parent);
    free(j.x);
    free(j.xf);
    free(stats);
    free(y);
    augment_parts_free(&parts);
    model_free(&m);
    model_free(&m3);
    graph_free(&g);
    return 0;
}
