/* bench_model.c — throughput of the C model, the figure set beside the PyTorch reference's
 * (bench/bench_reference.py, same work, same thread count; bench/run.sh runs both).
 *
 *   build/bench_model [--threads 2] [--batch 32] [--window 25] [--joints 75,553]
 *                     [--min-time 10] [--warmup 1] [--min-iters 2] [--profile 0]
 *                     [--mode forward|train|both] [--governor 0|1]
 *
 * --mode forward alone plans the inference arena and runs the batch in the chunks that
 * predict/detect/eval use (train/infer.c: at most INFER_ARENA_BUDGET of arena), so its
 * peak resident memory is theirs; otherwise the training arena is planned for the batch.
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
 *
 * --governor 1 runs the training steps under train/thread_gov.h, as `signstgcn train` does
 * (unless --fixed-threads): one thread when that measures faster than --threads, for
 * bench/contention.sh; it prints how many steps ran at one thread. The default 0 keeps
 * --threads throughout.
 *
 * --profile N (after the two measurements) runs N more training steps with the model's
 * per-kind timers on (model.h, struct model_profile) and prints, per layer kind, forward and
 * backward milliseconds per step (wall clock and process CPU), the arithmetic rate those
 * imply, and the bytes each kind moves per step. FLOPs count multiply-adds as 2; bytes are
 * the float arrays each kernel reads and writes as it is written (every pass over an array
 * counted, a read-modify-write counted twice), an estimate of memory traffic for arrays far
 * larger than the caches — an analytic figure, not a hardware counter. On a shared machine
 * the CPU milliseconds are the steadier figure: time the process spent descheduled does not
 * count in them, but spinning OpenMP threads do (OMP_WAIT_POLICY=passive removes that).
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
#include "model/adam.h"
#include "model/model.h"
#include "train/infer.h"
#include "train/thread_gov.h"

void openblas_set_num_threads(int n);

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

struct opts {
    int threads, batch, window, warmup, min_iters, profile, governor;
    int modes; /* bit 0 forward, bit 1 train (--mode forward|train|both) */
    double min_time;
    char joints[64];
};

/* FLOPs and bytes of one training step per layer kind, [0] forward and [1] backward. */
struct cost {
    double flop[2][MPROF_COUNT], bytes[2][MPROF_COUNT];
};

static void step_cost(struct cost *c, const struct model *m, size_t B, size_t T)
{
    memset(c, 0, sizeof *c);
    const size_t J = m->cfg.num_joints, K = m->graph->K, N = B * T * J;
    size_t nnz = 0;
    for (size_t k = 0; k < K; k++) nnz += m->graph->A[k].nnz;
    const double f = 4.0; /* bytes per float */
    for (int l = 0; l < MODEL_LAYERS; l++) {
        const struct model_layer_idx *L = &m->idx.layer[l];
        const double n = (double)N, ci = (double)L->in, o = (double)L->out, Ko = (double)K * o;
        const double d = (double)L->dilation, t = (double)T;
        const double taps = (t + 2.0 * (d < t ? t - d : 0.0)) / t; /* rows each tap covers */
        const double kk = (double)K;
        /* graph convolution, fused per piece of slices and per partition: bias broadcast and
         * SGEMM into H_k, read back from cache by the aggregation (not counted), write G then
         * update it K−1 times; backward per partition: read dG, write dH_k, dX (not layer 0:
         * zeroed once, updated K times), dW and db re-read dH_k and X */
        c->flop[0][MPROF_GCN] += 2 * n * ci * Ko + 2.0 * (double)nnz * (double)(B * T) * o;
        c->bytes[0][MPROF_GCN] += f * (kk * n * ci + (2 * kk - 1) * n * o);
        c->flop[1][MPROF_GCN] += (l ? 4 : 2) * n * ci * Ko + n * Ko +
                                 2.0 * (double)nnz * (double)(B * T) * o;
        c->bytes[1][MPROF_GCN] += f * (kk * n * o + 2 * n * Ko + kk * n * ci +
                                       (l ? (2 * kk + 1) * n * ci : 0));
        /* tconv: three tap SGEMMs (X read per tap, Y written once and updated twice);
         * backward zero dG, dX and dW products */
        c->flop[0][MPROF_TCONV] += 2 * n * o * o * taps;
        c->bytes[0][MPROF_TCONV] += f * n * o * 8;
        c->flop[1][MPROF_TCONV] += 4 * n * o * o * taps;
        c->bytes[1][MPROF_TCONV] += f * n * o * 16;
        /* batchnorm: the statistics pass (its affine is fused into the block tail); backward
         * zero, sums pass, input pass */
        c->flop[0][MPROF_BN] += 3 * n * o;
        c->bytes[0][MPROF_BN] += f * n * o;
        c->flop[1][MPROF_BN] += 8 * n * o;
        c->bytes[1][MPROF_BN] += f * 7 * n * o;
        if (L->res_w >= 0) {
            c->flop[0][MPROF_RES_PROJ] += 2 * n * ci * o;
            c->bytes[0][MPROF_RES_PROJ] += f * (n * ci + 3 * n * o);
            c->flop[1][MPROF_RES_PROJ] += 4 * n * ci * o + n * o;
            c->bytes[1][MPROF_RES_PROJ] += f * (3 * n * o + n * ci + 2 * n * ci);
        }
        /* block tail: read TC and R, write Y and a bit per element; backward in place on dY
         * reading the bits, and the residual's dX += dS (3 passes) when in == out */
        c->flop[0][MPROF_ELTWISE] += 4 * n * o;
        c->bytes[0][MPROF_ELTWISE] += f * (3 + 1.0 / 32) * n * o;
        c->flop[1][MPROF_ELTWISE] += (L->res_w >= 0 ? 1 : 2) * n * o;
        c->bytes[1][MPROF_ELTWISE] += f * (2 + 1.0 / 32 + (L->res_w >= 0 ? 0 : 3)) * n * o;
    }
    const double E = (double)m->cfg.dims.channels[2], G = (double)m->cfg.dims.gru;
    const double bt = (double)(B * T), S = (double)m->cfg.dims.signer_dim;
    c->flop[0][MPROF_JOINT_MEAN] = (double)N * E;
    c->bytes[0][MPROF_JOINT_MEAN] = f * (double)N * E;
    c->flop[1][MPROF_JOINT_MEAN] = (double)N * E;
    c->bytes[1][MPROF_JOINT_MEAN] = f * 2 * (double)N * E;
    /* attention: q, k from [H ‖ s], v, out projections; scores and weighted sum per head */
    c->flop[0][MPROF_ATTENTION] = 2 * bt * (2 * (E + S) * E + 2 * E * E) + 4 * bt * (double)T * E;
    c->flop[1][MPROF_ATTENTION] = 2 * c->flop[0][MPROF_ATTENTION];
    /* GRU: input projections and recurrent products, both directions */
    c->flop[0][MPROF_GRU] = 2 * (2 * bt * E * 3 * G + 2 * bt * G * 3 * G);
    c->flop[1][MPROF_GRU] = 2 * c->flop[0][MPROF_GRU];
}

static void print_profile(const struct model *m, const struct model_profile *pr, int steps,
                          double adam_wall, double adam_cpu, size_t B, size_t T)
{
    struct cost c;
    step_cost(&c, m, B, T);
    const double s = (double)steps;
    printf("# profile: J=%zu B=%zu T=%zu, %d training steps; per step:\n", m->cfg.num_joints, B,
           T, steps);
    printf("# %-16s %9s %9s %9s %9s %9s %9s %9s %9s\n", "kind", "fwd_ms", "bwd_ms", "fwd_cpu",
           "bwd_cpu", "fwd_GF/s", "bwd_GF/s", "MB", "GB/s");
    double tw[2] = {0, 0}, tc[2] = {0, 0}, tf = 0, tb = 0;
    for (int k = 0; k < MPROF_COUNT; k++) {
        const double w0 = pr->wall[0][k] / s, w1 = pr->wall[1][k] / s;
        const double c0 = pr->cpu[0][k] / s, c1 = pr->cpu[1][k] / s;
        const double by = c.bytes[0][k] + c.bytes[1][k];
        tw[0] += w0, tw[1] += w1, tc[0] += c0, tc[1] += c1;
        tf += c.flop[0][k] + c.flop[1][k], tb += by;
        printf("# %-16s %9.2f %9.2f %9.2f %9.2f %9.1f %9.1f %9.0f %9.1f\n", model_prof_names[k],
               1e3 * w0, 1e3 * w1, 1e3 * c0, 1e3 * c1, w0 > 0 ? c.flop[0][k] / w0 * 1e-9 : 0.0,
               w1 > 0 ? c.flop[1][k] / w1 * 1e-9 : 0.0, by * 1e-6,
               by > 0 && w0 + w1 > 0 ? by / (w0 + w1) * 1e-9 : 0.0);
    }
    printf("# %-16s %9.2f %9s %9.2f %9s\n", "adamw", 1e3 * adam_wall / s, "", 1e3 * adam_cpu / s,
           "");
    const double all = tw[0] + tw[1] + adam_wall / s;
    printf("# %-16s %9.2f %9.2f %9.2f %9.2f %9.1f %9s %9.0f %9.1f\n", "total", 1e3 * tw[0],
           1e3 * tw[1], 1e3 * tc[0], 1e3 * tc[1], tf / all * 1e-9, "(step)", tb * 1e-6,
           tb / all * 1e-9);
    printf("# step %.1f ms wall = %.1f windows/s; %.2f GFLOP per window\n", 1e3 * all,
           (double)B / all, tf / (double)B * 1e-9);
}

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

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
    /* forward alone plans the inference arena, as predict/detect/eval do (peak RSS is then
     * inference's); anything that trains plans the training arena */
    const bool infer_only = o->modes == 1 && o->profile == 0;
    size_t chunk = (size_t)o->batch; /* windows per forward pass, as train/infer.c chunks them */
    if (model_init(&m, &c, &g, &err)) {
        fprintf(stderr, "bench_model: %s\n", err.msg);
        return 1;
    }
    if (infer_only) {
        const size_t one = model_arena_bytes(&m, 1, (size_t)o->window, true);
        chunk = INFER_ARENA_BUDGET / (one ? one : 1);
        if (chunk > (size_t)o->batch) chunk = (size_t)o->batch;
        if (chunk < 1) chunk = 1;
    }
    if (infer_only ? model_reserve_inference(&m, chunk, (size_t)o->window, &err)
                   : model_reserve(&m, (size_t)o->batch, (size_t)o->window, &err)) {
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
    struct thread_gov gov;
    thread_gov_init(&gov, o->governor ? o->threads : 1);
    for (int mode = 0; mode < 2; mode++) {
        if (!(o->modes & (1 << mode))) continue;
        int iters = 0;
        double t0 = 0, elapsed = 0;
        for (int i = 0;; i++) {
            if (i == o->warmup) t0 = now();
            if (mode == 0) {
                for (size_t b0 = 0; b0 < B; b0 += chunk) {
                    const size_t nb = B - b0 < chunk ? B - b0 : chunk;
                    const struct model_inputs part = {.B = nb, .T = T,
                                                      .x = x + b0 * T * layout.num_joints * 2,
                                                      .stats = stats + b0 * 4, .y = y + b0};
                    /* re-plans only when nb changes (the last chunk), as infer.c does; with
                     * training too, the training arena serves the whole batch (chunk = B) */
                    if (infer_only && model_reserve_inference(&m, nb, T, &err)) {
                        fprintf(stderr, "bench_model: %s\n", err.msg);
                        return 1;
                    }
                    model_forward(&m, &part, false, NULL);
                }
            } else {
                thread_gov_begin(&gov);
                const double s0 = now(), c0 = cpu_now();
                model_forward(&m, &in, true, &r);
                model_backward(&m, &in, &lc, &L);
                adam_step(m.pt.data, m.pt.grad, m.pt.m, m.pt.v, 0, m.pt.kind_end[PARAM_TRAINED],
                          &opt, ++step);
                thread_gov_end(&gov, now() - s0, cpu_now() - c0, (double)B);
            }
            if (i >= o->warmup) {
                iters++;
                elapsed = now() - t0;
                if (elapsed >= o->min_time && iters >= o->min_iters) break;
            }
        }
        printf("c,%d,%d,%d,%d,%s,%d,%.3f,%.2f\n", J, o->batch, o->window, o->threads,
               mode ? "train" : "forward", iters, elapsed, (double)iters * (double)B / elapsed);
        if (mode == 1 && o->governor)
            printf("# governor: %zu of %zu steps at one thread, %zu probes, %zu switches\n",
                   gov.steps_at_one, gov.steps, gov.probes, gov.switches);
        fflush(stdout);
        if (gov.max > 1) omp_set_num_threads(gov.max);
    }
    if (o->profile > 0) {
        struct model_profile pr;
        memset(&pr, 0, sizeof pr);
        m.prof = &pr;
        double aw = 0, ac = 0;
        for (int i = 0; i < o->profile; i++) {
            model_forward(&m, &in, true, &r);
            model_backward(&m, &in, &lc, &L);
            double w0 = now(), c0 = cpu_now();
            adam_step(m.pt.data, m.pt.grad, m.pt.m, m.pt.v, 0, m.pt.kind_end[PARAM_TRAINED], &opt,
                      ++step);
            aw += now() - w0, ac += cpu_now() - c0;
        }
        m.prof = NULL;
        print_profile(&m, &pr, o->profile, aw, ac, B, T);
        printf("# training arena %.1f MiB at this batch, inference arena %.1f MiB\n",
               (double)model_arena_bytes(&m, B, T, false) / 1048576.0,
               (double)model_arena_bytes(&m, B, T, true) / 1048576.0);
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
                     .min_time = 10.0, .modes = 3};
    strcpy(o.joints, "75,553");
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--threads")) o.threads = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--batch")) o.batch = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--window")) o.window = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--warmup")) o.warmup = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--min-iters")) o.min_iters = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--min-time")) o.min_time = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--profile")) o.profile = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--governor")) o.governor = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--joints")) snprintf(o.joints, sizeof o.joints, "%s", argv[i + 1]);
        else if (!strcmp(argv[i], "--mode") && !strcmp(argv[i + 1], "forward")) o.modes = 1;
        else if (!strcmp(argv[i], "--mode") && !strcmp(argv[i + 1], "train")) o.modes = 2;
        else if (!strcmp(argv[i], "--mode") && !strcmp(argv[i + 1], "both")) o.modes = 3;
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
