/* model_fixture.h — reading the PyTorch reference's fixtures into C models (tests only):
 * the options JSON of tools/reference.py (Options.to_json_dict) as a model_config, and a dense
 * (K,J,J) Â tensor as the CSR graph the model uses. */
#ifndef SG_MODEL_FIXTURE_H
#define SG_MODEL_FIXTURE_H

#include <stddef.h>

#include "graph/graph.h"
#include "model/model.h"

/* Fails the test on a missing or malformed option. */
void fixture_model_config(struct model_config *c, const char *options_json);
/* Builds g from dense A (K,J,J); free with graph_free. */
void fixture_graph_from_dense(struct graph *g, const float *A, size_t K, size_t J);

#endif
