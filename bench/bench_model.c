/* bench_model.c — throughput of the C model, the figure set beside the PyTorch reference's
 * (bench/bench_reference.py, same work, same thread count; bench/run.sh runs both).
 *
 *   build/bench_model [--threads 2] [--batch 32] [--window 25] [--joints 75,553]
 *                     [--min-time 10] [--warmup 1] [--min-iters 2]
 *
 * For each joint set — 75: pose + hands, 553: pose + hands + face (478 points), MediaPipe graph,
 * spatial partition — and the SPEC's widths (basic variant: bias-aware attention, no signer
 * head, C=2, NC=2, dropout 0.1), it reports windows/s of
 *   forward   evaluation mode
 *   train     training mode: forward + cross-entropy + backward + AdamW step (lr 1e-3)
 * on random inputs, after --warmup iterations, timing whole iterations until --min-time
 * seconds have passed (at least --min-iters). Output: a CSV header and one line per
 * measurement (impl,joints,batch,window,threads,mode,iters,seconds,windows_per_s), the same
 * columns as the reference's. Not a test: nothing here asserts a time.
 */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/error.h"
#include "core/rng.h"
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

struct opts {
    int threads, batch, window, warmup, min_iters;
    double min_time;
    char joints[64];
};

static int run(const struct opts *o, int J)
{
    struct error err;
    struct joint_layout layout;
    struct graph g;
    if (joint_layout_init(&layout, true, true, J == 553, FACE_POINTS_ALL, 478, &err) ||
        graph_build_mediapipe(&g, &layout, PARTITION_SPATIAL, &err)) {
        fprintf(stderr, "bench_model: %s\n", err.msg);
        return 1;
    }
    struct model_config c = {.num_joints = layout.num_joints, .coords = 2, .num_classes = 2,
                             .attn = ATTN_BIAS_AWARE, .dropout = 0.1f};
    model_dims_spec(&c.dims);
    struct model m;
    if (model_init(&m, &c, &g, &err) || model_reserve(&m, (size_t)o->batch, (size_t)o->window, &err)) {
        fprintf(stderr, "bench_model: %s\n", err.msg);
        return 1;
    }
    struct rng r;
    rng_seed(&r, 0);
    model_init_weights(&m, &r);
    const size_t B = (size_t)o->batch, T = (size_t)o->window, n = B * T * layout.num_joints * 2;
    float *x = malloc(n * sizeof(float)), *stats = malloc(B * 4 * sizeof(float));
    int *y = malloc(B * sizeof(int));
    for (size_t i = 0; i < n; i++) x[i] = (float)rng_normal(&r);
    for (size_t i = 0; i < B * 4; i++) stats[i] = (float)rng_uniform(&r);
    for (size_t b = 0; b < B; b++) y[b] = (int)(b % 2);
    struct model_inputs in = {.B = B, .T = T, .x = x, .stats = stats, .y = y};
    struct adam_config opt;
    adam_config_default(&opt);
    struct model_loss_config lc = {.mi_adam = &opt};
    struct model_losses L;
    long step = 0;
    for (int mode = 0; mode < 2; mode++) {
        int iters = 0;
        double t0 = 0, elapsed = 0;
        for (int i = 0;; i++) {
            if (i == o->warmup) t0 = now();
            if (mode == 0) {
                model_forward(&m, &in, false, NULL);
            } else {
                model_forward(&m, &in, true, &r);
                model_backward(&m, &in, &lc, &L);
                adam_step(m.pt.data, m.pt.grad, m.pt.m, m.pt.v, 0, m.pt.kind_end[PARAM_TRAINED],
                          &opt, ++step);
            }
            if (i >= o->warmup) {
                iters++;
                elapsed = now() - t0;
                if (elapsed >= o->min_time && iters >= o->min_iters) break;
            }
        }
        printf("c,%d,%d,%d,%d,%s,%d,%.3f,%.2f\n", J, o->batch, o->window, o->threads,
               mode ? "train" : "forward", iters, elapsed, (double)iters * (double)B / elapsed);
        fflush(stdout);
    }
    free(x);
    free(stats);
    free(y);
    model_free(&m);
    graph_free(&g);
    return 0;
}

int main(int argc, char **argv)
{
    struct opts o = {.threads = 2, .batch = 32, .window = 25, .warmup = 1, .min_iters = 2,
                     .min_time = 10.0};
    strcpy(o.joints, "75,553");
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--threads")) o.threads = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--batch")) o.batch = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--window")) o.window = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--warmup")) o.warmup = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--min-iters")) o.min_iters = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--min-time")) o.min_time = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--joints")) snprintf(o.joints, sizeof o.joints, "%s", argv[i + 1]);
        else {
            fprintf(stderr, "bench_model: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    if (o.threads < 1 || o.batch < 1 || o.window < 1 || o.min_iters < 1) {
        fprintf(stderr, "bench_model: bad numbers\n");
        return 2;
    }
    omp_set_num_threads(o.threads);
    openblas_set_num_threads(o.threads);
    printf("impl,joints,batch,window,threads,mode,iters,seconds,windows_per_s\n");
    for (char *tok = strtok(o.joints, ","); tok; tok = strtok(NULL, ",")) {
        int J = atoi(tok);
        if (J != 75 && J != 553) {
            fprintf(stderr, "bench_model: --joints takes 75 and/or 553\n");
            return 2;
        }
        if (run(&o, J)) return 1;
    }
    return 0;
}
