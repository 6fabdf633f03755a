/* model_fixture.c — see model_fixture.h. */
#include "model_fixture.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static double jnum(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    if (!cJSON_IsNumber(v) && !cJSON_IsBool(v)) fail_msg("fixture option '%s' missing", k);
    return cJSON_IsBool(v) ? (cJSON_IsTrue(v) ? 1.0 : 0.0) : v->valuedouble;
}

void fixture_model_config(struct model_config *c, const char *options_json)
{
    cJSON *opt = cJSON_Parse(options_json ? options_json : "");
    if (!opt) fail_msg("fixture options are not JSON");
    memset(c, 0, sizeof *c);
    c->num_joints = (size_t)jnum(opt, "num_joints");
    c->coords = (size_t)jnum(opt, "coords");
    c->num_classes = (size_t)jnum(opt, "num_classes");
    c->num_signers = (size_t)jnum(opt, "num_signers");
    c->signer_head = jnum(opt, "signer_head") != 0;
    c->use_mi = jnum(opt, "use_mi") != 0;
    c->mi_hidden = (size_t)jnum(opt, "mi_hidden");
    c->attn = jnum(opt, "film") != 0 ? ATTN_FILM : ATTN_BIAS_AWARE;
    c->dropout = (float)jnum(opt, "dropout");
    const cJSON *dims = cJSON_GetObjectItemCaseSensitive(opt, "dims");
    const cJSON *ch = cJSON_GetObjectItemCaseSensitive(dims, "channels");
    const cJSON *dl = cJSON_GetObjectItemCaseSensitive(dims, "dilations");
    if (cJSON_GetArraySize(ch) != MODEL_LAYERS || cJSON_GetArraySize(dl) != MODEL_LAYERS)
        fail_msg("fixture dims need %d channels and dilations", MODEL_LAYERS);
    for (int l = 0; l < MODEL_LAYERS; l++) {
        c->dims.channels[l] = (size_t)cJSON_GetArrayItem(ch, l)->valuedouble;
        c->dims.dilations[l] = (size_t)cJSON_GetArrayItem(dl, l)->valuedouble;
    }
    c->dims.heads = (size_t)jnum(dims, "heads");
    c->dims.signer_hidden = (size_t)jnum(dims, "signer_hidden");
    c->dims.signer_dim = (size_t)jnum(dims, "signer_dim");
    c->dims.gru = (size_t)jnum(dims, "gru");
    c->dims.cls_hidden = (size_t)jnum(dims, "cls_hidden");
    c->dims.signer_head_hidden = (size_t)jnum(dims, "signer_head_hidden");
    cJSON_Delete(opt);
}

void fixture_graph_from_dense(struct graph *g, const float *A, size_t K, size_t J)
{
    memset(g, 0, sizeof *g);
    g->num_joints = J;
    g->K = K;
    for (size_t k = 0; k < K; k++) {
        struct sparse_adj *a = &g->A[k];
        const float *Ak = A + k * J * J;
        size_t nnz = 0;
        for (size_t i = 0; i < J * J; i++) nnz += Ak[i] != 0.0f;
        a->n = J;
        a->nnz = nnz;
        a->row_ptr = calloc(J + 1, sizeof *a->row_ptr);
        a->col = calloc(nnz ? nnz : 1, sizeof *a->col);
        a->val = calloc(nnz ? nnz : 1, sizeof *a->val);
        size_t e = 0;
        for (size_t i = 0; i < J; i++) {
            for (size_t j = 0; j < J; j++)
                if (Ak[i * J + j] != 0.0f) {
                    a->col[e] = (int32_t)j;
                    a->val[e++] = Ak[i * J + j];
                }
            a->row_ptr[i + 1] = e;
        }
    }
}
