/* infer.c — the shared inference path (see infer.h).
 *
 * The batch buffers are allocated once by infer_open for `batch` windows; the model's arena
 * is planned for the largest batch seen (model_reserve), so a run of many batches allocates
 * nothing after its first. Windows are filled by dataset_fill_span, the same code that fills
 * training batches, so a window here is bit for bit the window the model was trained on.
 */
#include "train/infer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "data/features.h"
#include "model/checkpoint.h"
#include "train/trainer.h"

int infer_open(struct infer *inf, const char *ckpt, size_t batch, struct error *err)
{
    memset(inf, 0, sizeof *inf);
    CHECK(batch >= 1);
    inf->ckpt = ckpt;
    inf->batch = batch;
    if (train_config_from_checkpoint(ckpt, &inf->tc, &inf->d, err)) return -1;
    if (trainer_build_model(&inf->tc, &inf->d, &inf->g, &inf->m, err)) {
        train_derived_free(&inf->d);
        memset(inf, 0, sizeof *inf);
        return -1;
    }
    const size_t T = inf->tc.data.window;
    size_t one = model_arena_bytes(&inf->m, 1, T, true);
    inf->chunk = INFER_ARENA_BUDGET / (one ? one : 1);
    if (inf->chunk > batch) inf->chunk = batch;
    if (inf->chunk < 1) inf->chunk = 1;
    if (inf->tc.features != FEATURE_JOINTS) {
        /* the checkpoint's input streams, computed here exactly as training computed them */
        const size_t CO = inf->tc.data.coords * features_count(inf->tc.features);
        if (trainer_feature_parents(&inf->tc, &inf->d, &inf->parent, err) ||
            !(inf->xf = sg_malloc(inf->chunk * T * inf->d.num_joints, CO * sizeof(float),
                                  "inference batch (--batch)", err))) {
            infer_close(inf);
            return -1;
        }
    }
    if (checkpoint_load(&inf->m, ckpt, NULL, NULL, err)) {
        infer_close(inf);
        return -1;
    }
    return 0;
}

/* The batch buffers for k windows (allocated on first use, so that a --batch larger than the
 * windows there are costs nothing). */
static int ensure_buffers(struct infer *inf, size_t k, struct error *err)
{
    if (k <= inf->buf_windows) return 0;
    const size_t T = inf->tc.data.window, C = inf->tc.data.coords, J = inf->d.num_joints;
    free(inf->x);
    free(inf->stats);
    inf->buf_windows = 0;
    if (!(inf->x = sg_malloc(k * T * J, C * sizeof(float), "inference batch (--batch)", err)) ||
        !(inf->stats = sg_malloc(k, 2 * C * sizeof(float), "inference batch (--batch)", err)))
        return -1;
    inf->buf_windows = k;
    return 0;
}

void infer_close(struct infer *inf)
{
    if (!inf) return;
    free(inf->x);
    free(inf->stats);
    free(inf->parent);
    free(inf->xf);
    model_free(&inf->m);
    graph_free(&inf->g);
    train_derived_free(&inf->d);
    memset(inf, 0, sizeof *inf);
}

void infer_data_config(const struct infer *inf, const char *groundtruth, struct data_config *dc)
{
    *dc = inf->tc.data;
    snprintf(dc->groundtruth, sizeof dc->groundtruth, "%s", groundtruth ? groundtruth : "");
    dc->signers[0] = '\0';
}

int infer_load(const struct infer *inf, struct dataset *ds, const char *dir,
               const char *const *files, size_t n, const struct data_config *dc,
               const struct warn_sink *warn, struct error *err)
{
    CHECK(dc->window == inf->tc.data.window && dc->coords == inf->tc.data.coords);
    if (dir ? dataset_load(ds, dir, dc, false, warn, err)
            : dataset_load_files(ds, files, n, dc, warn, err))
        return -1;
    if (ds->layout.joints != inf->d.num_joints) {
        error_set(err, "'%s' gives %zu joints per frame, the checkpoint's model takes %zu",
                  dir ? dir : files[0], ds->layout.joints, inf->d.num_joints);
        error_hint(err, "the face member must have the same number of points (%zu)",
                   inf->d.face_points_in_file);
        dataset_free(ds);
        return -1;
    }
    return 0;
}

size_t infer_softmax(const float *logits, size_t nc, float *probs)
{
    double mx = (double)logits[0], sum = 0;
    size_t best = 0;
    for (size_t q = 1; q < nc; q++) {
        if ((double)logits[q] > mx) mx = (double)logits[q];
        if (logits[q] > logits[best]) best = q;
    }
    for (size_t q = 0; q < nc; q++) sum += exp((double)logits[q] - mx);
    for (size_t q = 0; q < nc; q++) probs[q] = (float)(exp((double)logits[q] - mx) / sum);
    return best;
}

static float *rows(float *p, size_t row, size_t width)
{
    return p ? p + row * width : NULL;
}

/* Output rows [i, i+k) of out. */
static struct infer_out out_at(const struct infer *inf, const struct infer_out *out, size_t i)
{
    const size_t NC = inf->m.cfg.num_classes, ZD = 2 * inf->m.cfg.dims.gru;
    const size_t SD = inf->m.cfg.dims.signer_dim, S = 2 * inf->tc.data.coords;
    struct infer_out o = {rows(out->probs, i, NC), rows(out->logits, i, NC), rows(out->Z, i, ZD),
                          rows(out->s, i, SD), rows(out->stats, i, S)};
    return o;
}

/* One forward pass of B <= chunk windows. */
static int forward_chunk(struct infer *inf, const float *x, const float *stats, size_t B,
                         const struct infer_out *out, struct error *err)
{
    struct model *m = &inf->m;
    const size_t T = inf->tc.data.window, NC = m->cfg.num_classes;
    const size_t ZD = 2 * m->cfg.dims.gru, SD = m->cfg.dims.signer_dim;
    const size_t S = 2 * inf->tc.data.coords;
    if (model_reserve_inference(m, B, T, err)) return -1;
    if (inf->xf) {
        features_apply(x, B, T, inf->d.num_joints, inf->tc.data.coords, inf->tc.features,
                       inf->parent, inf->xf);
        x = inf->xf;
    }
    struct model_inputs in = {.B = B, .T = T, .x = x, .stats = stats};
    model_forward(m, &in, false, NULL);
    if (out->logits) memcpy(out->logits, m->act.logits, B * NC * sizeof(float));
    if (out->probs)
        for (size_t b = 0; b < B; b++)
            infer_softmax(m->act.logits + b * NC, NC, out->probs + b * NC);
    if (out->Z) memcpy(out->Z, m->act.Z, B * ZD * sizeof(float));
    if (out->s) memcpy(out->s, m->act.s, B * SD * sizeof(float));
    if (out->stats) memcpy(out->stats, stats, B * S * sizeof(float));
    return 0;
}

int infer_forward(struct infer *inf, const float *x, const float *stats, size_t B,
                  const struct infer_out *out, struct error *err)
{
    const size_t F = inf->tc.data.window * inf->d.num_joints * inf->tc.data.coords;
    const size_t S = 2 * inf->tc.data.coords;
    for (size_t i = 0; i < B; i += inf->chunk) {
        size_t k = B - i < inf->chunk ? B - i : inf->chunk;
        struct infer_out o = out_at(inf, out, i);
        if (forward_chunk(inf, x + i * F, stats + i * S, k, &o, err)) return -1;
    }
    return 0;
}

int infer_windows(struct infer *inf, const struct dataset *ds, const size_t *idx, size_t n,
                  const struct infer_out *out, struct error *err)
{
    if (ensure_buffers(inf, n < inf->batch ? n : inf->batch, err)) return -1;
    for (size_t i = 0; i < n; i += inf->batch) {
        size_t k = n - i < inf->batch ? n - i : inf->batch;
        dataset_fill_batch(ds, idx + i, k, inf->x, inf->stats, NULL, NULL);
        struct infer_out o = out_at(inf, out, i);
        if (infer_forward(inf, inf->x, inf->stats, k, &o, err)) return -1;
    }
    return 0;
}

int infer_spans(struct infer *inf, const struct dataset *ds, const struct infer_span *sp,
                size_t n, const struct infer_out *out, struct error *err)
{
    if (ensure_buffers(inf, n < inf->batch ? n : inf->batch, err)) return -1;
    const size_t T = inf->tc.data.window, F = ds->layout.joints * ds->layout.coords;
    const size_t S = 2 * ds->layout.coords;
    for (size_t i = 0; i < n; i += inf->batch) {
        size_t k = n - i < inf->batch ? n - i : inf->batch;
        for (size_t b = 0; b < k; b++)
            dataset_fill_span(ds, sp[i + b].video, sp[i + b].start, sp[i + b].real,
                              inf->x + b * T * F, inf->stats + b * S);
        struct infer_out o = out_at(inf, out, i);
        if (infer_forward(inf, inf->x, inf->stats, k, &o, err)) return -1;
    }
    return 0;
}
