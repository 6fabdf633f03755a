/* checkpoint.c — save and load the model as safetensors (see checkpoint.h).
 *
 * The weights are written straight from the parameter table (the table's names are the
 * state_dict names), so a C checkpoint loads into the PyTorch reference with strict names
 * and shapes; the same walk reads a reference checkpoint back. Loading is strict in both
 * directions: a missing or mis-shaped tensor and an unknown tensor are errors naming the file
 * and the tensor, so a checkpoint of another configuration is never half-loaded.
 */
#include "model/checkpoint.h"

#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "io/safetensors.h"
#include "model/model.h"

#define NAME_MAX_LEN (PARAM_NAME_MAX + 32)

static int add_entry(struct safetensors_writer *w, const char *prefix,
                     const struct param_entry *e, const float *base, struct error *err)
{
    char name[NAME_MAX_LEN];
    snprintf(name, sizeof name, "%s%s", prefix, e->name);
    return safetensors_writer_add_f32(w, name, (size_t)e->ndim, e->shape, base + e->offset, err);
}

int checkpoint_save(const struct model *m, const char *path, const struct checkpoint_meta *meta,
                    const struct checkpoint_state *state, struct error *err)
{
    struct safetensors_writer w;
    safetensors_writer_init(&w);
    char name[NAME_MAX_LEN];
    const struct param_table *pt = &m->pt;
    for (size_t i = 0; i < pt->n; i++)
        if (add_entry(&w, "", &pt->e[i], pt->data, err)) goto fail;
    for (int l = 0; l < MODEL_LAYERS; l++) {
        snprintf(name, sizeof name, "backbone.layers.%d.bn.num_batches_tracked", l);
        if (safetensors_writer_add_i64(&w, name, 0, NULL, &m->bn_batches[l], err)) goto fail;
    }
    if (state) {
        if (safetensors_writer_add_i64(&w, "optim.step", 0, NULL, &state->optim_step, err) ||
            safetensors_writer_add_i64(&w, "mi_optim.step", 0, NULL, &state->mi_optim_step, err))
            goto fail;
        for (size_t i = 0; i < pt->n; i++) {
            const struct param_entry *e = &pt->e[i];
            if (e->kind == PARAM_BUFFER) continue;
            const char *opt = e->kind == PARAM_MI ? "mi_optim" : "optim";
            char prefix[32];
            snprintf(prefix, sizeof prefix, "%s.exp_avg.", opt);
            if (add_entry(&w, prefix, e, pt->m, err)) goto fail;
            snprintf(prefix, sizeof prefix, "%s.exp_avg_sq.", opt);
            if (add_entry(&w, prefix, e, pt->v, err)) goto fail;
        }
        for (size_t r = 0; r < state->n_rngs; r++) {
            const size_t shape[1] = {4};
            snprintf(name, sizeof name, "rng.%s", state->rng_names[r]);
            if (safetensors_writer_add_u64(&w, name, 1, shape, state->rngs[r].s, err)) goto fail;
        }
        for (size_t x = 0; x < state->n_extra; x++) {
            const size_t shape[1] = {state->extra[x].n};
            snprintf(name, sizeof name, "optim.loop.%s", state->extra[x].name);
            if (safetensors_writer_add_u64(&w, name, 1, shape, state->extra[x].data, err))
                goto fail;
        }
    }
    char num[64];
    if (safetensors_writer_set_meta(&w, "format", CHECKPOINT_FORMAT, err) ||
        safetensors_writer_set_meta(&w, "config", meta && meta->config ? meta->config : "{}",
                                    err))
        goto fail;
    snprintf(num, sizeof num, "%ld", meta ? meta->epoch : 0L);
    if (safetensors_writer_set_meta(&w, "epoch", num, err) ||
        safetensors_writer_set_meta(&w, "metric", meta && meta->metric ? meta->metric : "",
                                    err))
        goto fail;
    snprintf(num, sizeof num, "%.9g", meta ? meta->metric_value : 0.0);
    if (safetensors_writer_set_meta(&w, "metric_value", num, err)) goto fail;
    if (safetensors_writer_save(&w, path, err)) goto fail;
    safetensors_writer_free(&w);
    return 0;
fail:
    safetensors_writer_free(&w);
    return error_prefix(err, "checkpoint_save: '%s'", path);
}

static int load_entry(const struct safetensors *st, const char *path, const char *prefix,
                      const struct param_entry *e, float *base, struct error *err)
{
    char name[NAME_MAX_LEN];
    snprintf(name, sizeof name, "%s%s", prefix, e->name);
    const struct st_tensor *t = safetensors_find(st, name);
    if (!t)
        return error_set(err, "checkpoint_load: '%s': tensor '%s' is missing", path, name);
    bool same = t->ndim == (size_t)e->ndim;
    for (size_t d = 0; same && d < t->ndim; d++) same = t->shape[d] == e->shape[d];
    if (!same) {
        char want[96] = "", got[96] = "";
        for (int d = 0; d < e->ndim; d++)
            snprintf(want + strlen(want), sizeof want - strlen(want), "%s%zu", d ? "," : "",
                     e->shape[d]);
        for (size_t d = 0; d < t->ndim && d < ST_MAX_DIMS; d++)
            snprintf(got + strlen(got), sizeof got - strlen(got), "%s%zu", d ? "," : "",
                     t->shape[d]);
        return error_set(err, "checkpoint_load: '%s': tensor '%s' has shape (%s), the model "
                         "expects (%s)", path, name, got, want);
    }
    if (safetensors_get_f32(st, name, base + e->offset, e->numel, err))
        return error_prefix(err, "checkpoint_load: '%s'", path);
    /* A diverged or damaged training leaves NaN or inf weights, which would give p=nan for
     * every window: refuse them here, by tensor, rather than predict nonsense. */
    const float *v = base + e->offset;
    for (size_t i = 0; i < e->numel; i++)
        if (!isfinite(v[i]))
            return error_set(err, "checkpoint_load: '%s': tensor '%s' holds %s at element %zu; "
                             "the checkpoint is unusable (diverged training?), use an earlier "
                             "one", path, name, isnan(v[i]) ? "NaN" : "inf", i);
    return 0;
}

/* Is `name` a tensor the model or its training state accounts for? */
static bool known_tensor(const struct model *m, const char *name)
{
    if (!strncmp(name, "optim.", 6) || !strncmp(name, "mi_optim.", 9) || !strncmp(name, "rng.", 4))
        return true;
    if (params_find(&m->pt, name) >= 0) return true;
    for (int l = 0; l < MODEL_LAYERS; l++) {
        char nb[NAME_MAX_LEN];
        snprintf(nb, sizeof nb, "backbone.layers.%d.bn.num_batches_tracked", l);
        if (!strcmp(name, nb)) return true;
    }
    return false;
}

int checkpoint_load(struct model *m, const char *path, struct checkpoint_state *state,
                    char **meta_config, struct error *err)
{
    struct safetensors st;
    if (safetensors_open(&st, path, err)) return -1;
    int rc = -1;
    char name[NAME_MAX_LEN];
    struct param_table *pt = &m->pt;
    for (size_t i = 0; i < st.num_tensors; i++)
        if (!known_tensor(m, st.tensors[i].name)) {
            error_set(err, "checkpoint_load: '%s': unexpected tensor '%s' (not part of this "
                      "model's configuration)", path, st.tensors[i].name);
            goto out;
        }
    for (size_t i = 0; i < pt->n; i++)
        if (load_entry(&st, path, "", &pt->e[i], pt->data, err)) goto out;
    for (int l = 0; l < MODEL_LAYERS; l++) {
        snprintf(name, sizeof name, "backbone.layers.%d.bn.num_batches_tracked", l);
        if (!safetensors_find(&st, name)) {
            error_set(err, "checkpoint_load: '%s': tensor '%s' is missing", path, name);
            goto out;
        }
        if (safetensors_get_i64(&st, name, &m->bn_batches[l], 1, err)) goto out;
    }
    if (state) {
        if (!safetensors_find(&st, "optim.step") || !safetensors_find(&st, "mi_optim.step")) {
            error_set(err, "checkpoint_load: '%s': no optimiser state (optim.step); is it a "
                      "best.safetensors rather than last.safetensors?", path);
            goto out;
        }
        if (safetensors_get_i64(&st, "optim.step", &state->optim_step, 1, err) ||
            safetensors_get_i64(&st, "mi_optim.step", &state->mi_optim_step, 1, err))
            goto out;
        for (size_t i = 0; i < pt->n; i++) {
            const struct param_entry *e = &pt->e[i];
            if (e->kind == PARAM_BUFFER) continue;
            const char *opt = e->kind == PARAM_MI ? "mi_optim" : "optim";
            char prefix[32];
            snprintf(prefix, sizeof prefix, "%s.exp_avg.", opt);
            if (load_entry(&st, path, prefix, e, pt->m, err)) goto out;
            snprintf(prefix, sizeof prefix, "%s.exp_avg_sq.", opt);
            if (load_entry(&st, path, prefix, e, pt->v, err)) goto out;
        }
        for (size_t r = 0; r < state->n_rngs; r++) {
            snprintf(name, sizeof name, "rng.%s", state->rng_names[r]);
            if (!safetensors_find(&st, name)) {
                error_set(err, "checkpoint_load: '%s': generator state '%s' is missing", path,
                          name);
                goto out;
            }
            if (safetensors_get_u64(&st, name, state->rngs[r].s, 4, err)) goto out;
        }
        for (size_t x = 0; x < state->n_extra; x++) {
            struct checkpoint_extra *e = &state->extra[x];
            snprintf(name, sizeof name, "optim.loop.%s", e->name);
            const struct st_tensor *t = safetensors_find(&st, name);
            if (!t) {
                error_set(err, "checkpoint_load: '%s': training state '%s' is missing", path,
                          name);
                goto out;
            }
            e->n = t->numel;
            e->data = sg_calloc(t->numel ? t->numel : 1, sizeof(uint64_t), name, err);
            if (!e->data || safetensors_get_u64(&st, name, e->data, t->numel, err)) goto out;
        }
    }
    if (meta_config) {
        const char *c = safetensors_meta_get(&st, "config");
        *meta_config = sg_strdup(c ? c : "{}", err);
        if (!*meta_config) goto out;
    }
    rc = 0;
out:
    safetensors_free(&st);
    return rc;
}
