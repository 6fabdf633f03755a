/* params.c — the parameter table (see params.h for the design).
 *
 * Entries are declared in model order, then params_finalize() assigns offsets kind by kind
 * (trained, MI, buffers), each tensor starting on a 64-byte boundary so kernels can use
 * aligned loads; the padding between tensors is zero in every buffer and never touched.
 */
#include "model/params.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"

void params_init(struct param_table *pt) { memset(pt, 0, sizeof *pt); }

void params_free(struct param_table *pt)
{
    free(pt->e);
    sg_free(pt->data);
    sg_free(pt->grad);
    sg_free(pt->m);
    sg_free(pt->v);
    memset(pt, 0, sizeof *pt);
}

int params_find(const struct param_table *pt, const char *name)
{
    for (size_t i = 0; i < pt->n; i++)
        if (!strcmp(pt->e[i].name, name)) return (int)i;
    return -1;
}

int params_add(struct param_table *pt, const char *name, enum param_kind kind, int ndim,
               const size_t *shape, struct error *err)
{
    if (pt->finalized) return error_set(err, "params_add: '%s' added after finalize", name);
    if (strlen(name) >= PARAM_NAME_MAX)
        return error_set(err, "params_add: name '%s' is too long", name);
    if (ndim < 0 || ndim > PARAM_MAX_DIMS)
        return error_set(err, "params_add: '%s' has %d dims (at most %d)", name, ndim,
                         PARAM_MAX_DIMS);
    if (params_find(pt, name) >= 0)
        return error_set(err, "params_add: duplicate tensor name '%s'", name);
    size_t numel = 1;
    for (int d = 0; d < ndim; d++)
        if (!size_mul(numel, shape[d], &numel))
            return error_set(err, "params_add: '%s' is too large", name);
    if (pt->n == pt->cap) {
        size_t cap = pt->cap ? 2 * pt->cap : 64;
        void *p = pt->e;
        if (sg_realloc(&p, cap, sizeof *pt->e, "params_add", err) != 0) return -1;
        pt->e = p;
        pt->cap = cap;
    }
    struct param_entry *e = &pt->e[pt->n];
    memset(e, 0, sizeof *e);
    strcpy(e->name, name);
    e->kind = kind;
    e->ndim = ndim;
    for (int d = 0; d < ndim; d++) e->shape[d] = shape[d];
    e->numel = numel;
    return (int)pt->n++;
}

int params_finalize(struct param_table *pt, struct error *err)
{
    size_t off = 0;
    for (int k = 0; k < PARAM_NUM_KINDS; k++) {
        pt->kind_begin[k] = off;
        for (size_t i = 0; i < pt->n; i++) {
            struct param_entry *e = &pt->e[i];
            if ((int)e->kind != k) continue;
            e->offset = off;
            size_t padded = (e->numel + 15) & ~(size_t)15;
            if (padded < e->numel || !size_add(off, padded, &off))
                return error_set(err, "params_finalize: parameters too large");
        }
        pt->kind_end[k] = off;
    }
    pt->total = off;
    pt->data = sg_aligned_calloc(off, sizeof(float), "parameters", err);
    pt->grad = sg_aligned_calloc(off, sizeof(float), "gradients", err);
    pt->m = sg_aligned_calloc(off, sizeof(float), "adam moments", err);
    pt->v = sg_aligned_calloc(off, sizeof(float), "adam moments", err);
    if (!pt->data || !pt->grad || !pt->m || !pt->v) return -1;
    pt->finalized = true;
    return 0;
}

float *params_data(struct param_table *pt, int idx) { return pt->data + pt->e[idx].offset; }
float *params_grad(struct param_table *pt, int idx) { return pt->grad + pt->e[idx].offset; }

void params_zero_grad(struct param_table *pt, enum param_kind kind)
{
    size_t b = kind == PARAM_NUM_KINDS ? 0 : pt->kind_begin[kind];
    size_t e = kind == PARAM_NUM_KINDS ? pt->total : pt->kind_end[kind];
    memset(pt->grad + b, 0, (e - b) * sizeof(float));
}

size_t params_count(const struct param_table *pt, enum param_kind kind)
{
    size_t c = 0;
    for (size_t i = 0; i < pt->n; i++)
        if (pt->e[i].kind == kind) c += pt->e[i].numel;
    return c;
}
