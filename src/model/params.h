/* params.h — the parameter table: every tensor of the model by its state_dict name.
 *
 * One entry per tensor holds its PyTorch state_dict name, shape, offset and kind. One aligned
 * allocation holds all float tensors; the gradients and both Adam moments mirror it at the same
 * offsets, so "all gradients live in one buffer" (one all-reduce for data-parallel training) and
 * adding a tensor is one params_add() line. Kinds:
 *   PARAM_TRAINED  optimised by the model's Adam (and clipped, and weight-decayed)
 *   PARAM_MI       optimised by the MI estimator's own Adam (SPEC §4), never clipped or decayed
 *   PARAM_BUFFER   state that is saved but not trained (BatchNorm running mean/var)
 * Trained tensors come first, then MI tensors, then buffers: each kind is one contiguous range
 * [kind_begin, kind_end) of the flat buffers. Counters such as BatchNorm's num_batches_tracked
 * are int64 and live in the model, not here.
 */
#ifndef SG_MODEL_PARAMS_H
#define SG_MODEL_PARAMS_H

#include <stdbool.h>
#include <stddef.h>

struct error;

enum param_kind { PARAM_TRAINED = 0, PARAM_MI, PARAM_BUFFER, PARAM_NUM_KINDS };

#define PARAM_NAME_MAX 96
#define PARAM_MAX_DIMS 4

struct param_entry {
    char name[PARAM_NAME_MAX];
    enum param_kind kind;
    int ndim;
    size_t shape[PARAM_MAX_DIMS];
    size_t numel;
    size_t offset; /* in floats, 16-float (64-byte) aligned */
};

struct param_table {
    size_t n, cap;
    struct param_entry *e;
    size_t total;                         /* floats in each flat buffer */
    size_t kind_begin[PARAM_NUM_KINDS];   /* contiguous range of each kind, in floats */
    size_t kind_end[PARAM_NUM_KINDS];
    float *data, *grad, *m, *v;           /* flat buffers, NULL until params_finalize */
    bool finalized;
};

void params_init(struct param_table *pt);
void params_free(struct param_table *pt);
/* Declares a tensor (before params_finalize). Returns its index, or -1 with err set (duplicate
 * name, too many dims, size overflow). */
int params_add(struct param_table *pt, const char *name, enum param_kind kind, int ndim,
               const size_t *shape, struct error *err);
/* Lays out the entries by kind and allocates data/grad/m/v (zeroed). */
int params_finalize(struct param_table *pt, struct error *err);
/* Index of a name, or -1. */
int params_find(const struct param_table *pt, const char *name);
float *params_data(struct param_table *pt, int idx);
float *params_grad(struct param_table *pt, int idx);
/* Zeroes the gradients of one kind (or of all kinds with kind = PARAM_NUM_KINDS). */
void params_zero_grad(struct param_table *pt, enum param_kind kind);
/* Number of floats of one kind (without alignment padding). */
size_t params_count(const struct param_table *pt, enum param_kind kind);

#endif
