/* model.c — SignSTGCN's parameters: declaration with SPEC §3's state_dict names and shapes,
 * and PyTorch's default initialisation.
 *
 * Tensors are declared in the order PyTorch's state_dict lists them, so a listing of the
 * table reads like `model.state_dict().keys()`. Initialisation draws from the project's
 * generator in that order: Linear weight and bias U(±1/√in); the temporal Conv2d U(±1/√(in·3));
 * every GRU tensor U(±1/√G); LayerNorm and BatchNorm weight 1, bias 0; BatchNorm running mean 0
 * and variance 1. The C generator is not PyTorch's, so parity tests load parameters from the
 * reference rather than re-drawing them.
 */
#include "model/model.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"

static int add(struct model *m, int *idx, enum param_kind kind, const char *name, int ndim,
               size_t d0, size_t d1, size_t d2, size_t d3, struct error *err)
{
    size_t shape[4] = {d0, d1, d2, d3};
    int i = params_add(&m->pt, name, kind, ndim, shape, err);
    if (i < 0) return -1;
    *idx = i;
    return 0;
}

#define ADD1(idx, kind, name, a) \
    if (add(m, &(idx), kind, name, 1, a, 0, 0, 0, err)) goto fail
#define ADD2(idx, kind, name, a, b) \
    if (add(m, &(idx), kind, name, 2, a, b, 0, 0, err)) goto fail

void model_dims_spec(struct model_dims *d)
{
    const size_t ch[MODEL_LAYERS] = {64, 128, 128};
    for (int l = 0; l < MODEL_LAYERS; l++) {
        d->channels[l] = ch[l];
        d->dilations[l] = (size_t)l + 1;
    }
    d->heads = 4;
    d->signer_hidden = 128;
    d->signer_dim = 64;
    d->gru = 256;
    d->cls_hidden = 512;
    d->signer_head_hidden = 256;
}

static void set_all(struct model_idx *x)
{
    memset(x, 0xff, sizeof *x); /* every index -1 */
}

int model_init(struct model *m, const struct model_config *cfg, const struct graph *g,
               struct error *err)
{
    memset(m, 0, sizeof *m);
    params_init(&m->pt);
    if (cfg->num_joints == 0 || cfg->coords == 0 || cfg->num_classes == 0)
        return error_set(err, "model_init: joints, coords and classes must be > 0");
    if (!g || g->num_joints != cfg->num_joints)
        return error_set(err, "model_init: graph has %zu joints, model expects %zu",
                         g ? g->num_joints : 0, cfg->num_joints);
    if ((cfg->signer_head || cfg->use_mi) && cfg->num_signers == 0)
        return error_set(err, "model_init: a signer head or MI estimator needs signers");
    if (cfg->signer_head && cfg->use_mi)
        return error_set(err, "model_init: the signer head is not used with MI minimisation");
    if (cfg->use_mi && cfg->mi_hidden == 0)
        return error_set(err, "model_init: mi_hidden must be > 0");
    const struct model_dims *dm = &cfg->dims;
    for (int l = 0; l < MODEL_LAYERS; l++)
        if (dm->channels[l] == 0 || dm->dilations[l] == 0)
            return error_set(err, "model_init: layer %d has no channels or dilation", l);
    if (dm->heads == 0 || dm->channels[2] % dm->heads || !dm->signer_hidden ||
        !dm->signer_dim || !dm->gru || !dm->cls_hidden || !dm->signer_head_hidden)
        return error_set(err, "model_init: bad widths (heads must divide the model width)");
    m->cfg = *cfg;
    m->graph = g;
    struct model_idx *x = &m->idx;
    set_all(x);
    const size_t K = g->K, C = cfg->coords, S = 2 * cfg->coords;
    const size_t E = dm->channels[2], SD = dm->signer_dim, SH = dm->signer_hidden;
    const size_t GH = dm->gru, Z = 2 * dm->gru, CH = dm->cls_hidden;
    const size_t HH = dm->signer_head_hidden;
    char name[PARAM_NAME_MAX];
    size_t in = cfg->in_channels ? cfg->in_channels : C;
    for (int l = 0; l < MODEL_LAYERS; l++) {
        struct model_layer_idx *L = &x->layer[l];
        size_t out = dm->channels[l];
        L->in = in;
        L->out = out;
        L->dilation = dm->dilations[l];
#define LNAME(suffix) (snprintf(name, sizeof name, "backbone.layers.%d.%s", l, suffix), name)
        ADD2(L->gc_w, PARAM_TRAINED, LNAME("gc.lin.weight"), K * out, in);
        ADD1(L->gc_b, PARAM_TRAINED, LNAME("gc.lin.bias"), K * out);
        {
            size_t shape[4] = {out, out, 3, 1};
            L->tconv_w = params_add(&m->pt, LNAME("temporal.weight"), PARAM_TRAINED, 4, shape,
                                    err);
            if (L->tconv_w < 0) goto fail;
        }
        ADD1(L->bn_w, PARAM_TRAINED, LNAME("bn.weight"), out);
        ADD1(L->bn_b, PARAM_TRAINED, LNAME("bn.bias"), out);
        ADD1(L->bn_mean, PARAM_BUFFER, LNAME("bn.running_mean"), out);
        ADD1(L->bn_var, PARAM_BUFFER, LNAME("bn.running_var"), out);
        if (in != out) {
            ADD2(L->res_w, PARAM_TRAINED, LNAME("res_proj.weight"), out, in);
            ADD1(L->res_b, PARAM_TRAINED, LNAME("res_proj.bias"), out);
        }
#undef LNAME
        in = out;
    }
    ADD1(x->senc_ln_w, PARAM_TRAINED, "signer_enc.net.0.weight", S);
    ADD1(x->senc_ln_b, PARAM_TRAINED, "signer_enc.net.0.bias", S);
    ADD2(x->senc_l1_w, PARAM_TRAINED, "signer_enc.net.1.weight", SH, S);
    ADD1(x->senc_l1_b, PARAM_TRAINED, "signer_enc.net.1.bias", SH);
    ADD2(x->senc_l2_w, PARAM_TRAINED, "signer_enc.net.3.weight", SD, SH);
    ADD1(x->senc_l2_b, PARAM_TRAINED, "signer_enc.net.3.bias", SD);

    const size_t qk_in = cfg->attn == ATTN_BIAS_AWARE ? E + SD : E;
    ADD2(x->q_w, PARAM_TRAINED, "attn.q_proj.weight", E, qk_in);
    ADD2(x->k_w, PARAM_TRAINED, "attn.k_proj.weight", E, qk_in);
    ADD2(x->v_w, PARAM_TRAINED, "attn.v_proj.weight", E, E);
    ADD2(x->o_w, PARAM_TRAINED, "attn.out_proj.weight", E, E);
    if (cfg->attn == ATTN_FILM) {
        ADD2(x->ks_w, PARAM_TRAINED, "attn.k_scale_net.0.weight", E, SD);
        ADD1(x->ks_b, PARAM_TRAINED, "attn.k_scale_net.0.bias", E);
        ADD2(x->kb_w, PARAM_TRAINED, "attn.k_shift_net.weight", E, SD);
        ADD1(x->kb_b, PARAM_TRAINED, "attn.k_shift_net.bias", E);
        ADD2(x->vs_w, PARAM_TRAINED, "attn.v_scale_net.0.weight", E, SD);
        ADD1(x->vs_b, PARAM_TRAINED, "attn.v_scale_net.0.bias", E);
        ADD2(x->vb_w, PARAM_TRAINED, "attn.v_shift_net.weight", E, SD);
        ADD1(x->vb_b, PARAM_TRAINED, "attn.v_shift_net.bias", E);
    }
    for (int d = 0; d < 2; d++) {
        const char *sfx = d ? "_reverse" : "";
        snprintf(name, sizeof name, "temporal.gru.weight_ih_l0%s", sfx);
        ADD2(x->gru_wih[d], PARAM_TRAINED, name, 3 * GH, E);
        snprintf(name, sizeof name, "temporal.gru.weight_hh_l0%s", sfx);
        ADD2(x->gru_whh[d], PARAM_TRAINED, name, 3 * GH, GH);
        snprintf(name, sizeof name, "temporal.gru.bias_ih_l0%s", sfx);
        ADD1(x->gru_bih[d], PARAM_TRAINED, name, 3 * GH);
        snprintf(name, sizeof name, "temporal.gru.bias_hh_l0%s", sfx);
        ADD1(x->gru_bhh[d], PARAM_TRAINED, name, 3 * GH);
    }
    ADD1(x->cls_ln_w, PARAM_TRAINED, "cls_head.net.0.weight", Z);
    ADD1(x->cls_ln_b, PARAM_TRAINED, "cls_head.net.0.bias", Z);
    ADD2(x->cls_l1_w, PARAM_TRAINED, "cls_head.net.1.weight", CH, Z);
    ADD1(x->cls_l1_b, PARAM_TRAINED, "cls_head.net.1.bias", CH);
    ADD2(x->cls_l2_w, PARAM_TRAINED, "cls_head.net.4.weight", cfg->num_classes, CH);
    ADD1(x->cls_l2_b, PARAM_TRAINED, "cls_head.net.4.bias", cfg->num_classes);
    if (cfg->signer_head) {
        const size_t NS = cfg->num_signers;
        ADD1(x->sh_ln_w, PARAM_TRAINED, "signer_head.net.0.weight", Z);
        ADD1(x->sh_ln_b, PARAM_TRAINED, "signer_head.net.0.bias", Z);
        ADD2(x->sh_l1_w, PARAM_TRAINED, "signer_head.net.1.weight", HH, Z);
        ADD1(x->sh_l1_b, PARAM_TRAINED, "signer_head.net.1.bias", HH);
        ADD2(x->sh_l2_w, PARAM_TRAINED, "signer_head.net.4.weight", NS, HH);
        ADD1(x->sh_l2_b, PARAM_TRAINED, "signer_head.net.4.bias", NS);
    }
    if (cfg->use_mi) {
        const size_t NS = cfg->num_signers, H = cfg->mi_hidden;
        ADD2(x->mi_l0_w, PARAM_MI, "mi.net.0.weight", H, Z);
        ADD1(x->mi_l0_b, PARAM_MI, "mi.net.0.bias", H);
        ADD2(x->mi_l1_w, PARAM_MI, "mi.net.2.weight", H, H);
        ADD1(x->mi_l1_b, PARAM_MI, "mi.net.2.bias", H);
        ADD2(x->mi_l2_w, PARAM_MI, "mi.net.4.weight", NS, H);
        ADD1(x->mi_l2_b, PARAM_MI, "mi.net.4.bias", NS);
    }
    if (params_finalize(&m->pt, err) != 0) goto fail;
    return 0;
fail:
    params_free(&m->pt);
    return -1;
}

void model_free(struct model *m)
{
    params_free(&m->pt);
    sg_free(m->arena);
    memset(m, 0, sizeof *m);
}

/* Fills a tensor with U(-bound, bound). */
static void fill_uniform(struct model *m, int idx, double bound, struct rng *r)
{
    if (idx < 0) return;
    float *p = params_data(&m->pt, idx);
    for (size_t i = 0; i < m->pt.e[idx].numel; i++)
        p[i] = (float)((2.0 * rng_uniform(r) - 1.0) * bound);
}

static void fill_const(struct model *m, int idx, float v)
{
    if (idx < 0) return;
    float *p = params_data(&m->pt, idx);
    for (size_t i = 0; i < m->pt.e[idx].numel; i++) p[i] = v;
}

void model_init_weights(struct model *m, struct rng *r)
{
    /* Walk the table in declaration order and initialise by the tensor's role. */
    for (size_t i = 0; i < m->pt.n; i++) {
        const struct param_entry *e = &m->pt.e[i];
        const char *n = e->name;
        int idx = (int)i;
        size_t len = strlen(n);
        int is_bias = len > 5 && !strcmp(n + len - 5, ".bias");
        if (strstr(n, ".bn.") || !strncmp(n, "signer_enc.net.0.", 17) ||
            !strncmp(n, "cls_head.net.0.", 15) || !strncmp(n, "signer_head.net.0.", 18)) {
            /* BatchNorm / LayerNorm: weight 1, bias 0, running mean 0, running var 1 */
            int one = strstr(n, ".weight") != NULL || strstr(n, "running_var") != NULL;
            fill_const(m, idx, one ? 1.0f : 0.0f);
        } else if (!strncmp(n, "temporal.gru.", 13)) {
            fill_uniform(m, idx, 1.0 / sqrt((double)m->cfg.dims.gru), r);
        } else if (strstr(n, ".temporal.weight")) {
            fill_uniform(m, idx, 1.0 / sqrt((double)e->shape[1] * 3.0), r);
        } else {
            /* Linear: weight (out, in) and bias (out), both U(±1/√in); a bias takes the
             * fan-in of the weight declared just before it. */
            size_t fan_in = is_bias && i > 0 ? m->pt.e[i - 1].shape[1] : e->shape[1];
            fill_uniform(m, idx, 1.0 / sqrt((double)fan_in), r);
        }
    }
    for (int l = 0; l < MODEL_LAYERS; l++) m->bn_batches[l] = 0;
}
