/* fixture_npz.h — loading PyTorch parity fixtures (.npz written by tools/) in tests. */
#ifndef SG_FIXTURE_NPZ_H
#define SG_FIXTURE_NPZ_H

#include <stddef.h>

#include "io/npz.h"

/* Opens $SG_FIXTURES/<rel> or fails the test with the reader's message. */
void fx_open(struct npz *z, const char *rel);
/* Reads member `name` as float32; fails the test when it is missing or its element count is
 * not `count`. Returns a malloc'ed array. */
float *fx_read(struct npz *z, const char *name, size_t count);
/* Reads member `name` into dst (count floats), with the same checks. */
void fx_read_into(struct npz *z, const char *name, float *dst, size_t count);

#endif
